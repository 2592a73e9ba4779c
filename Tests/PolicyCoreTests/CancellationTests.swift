import Foundation
import XCTest
import PolicyCore
import PolicySyntax

/// The checker (and the timeline it runs) reads the caller's cancellation flag: Ctrl-C at
/// the prompt raises it, and the check stops, reporting that it was interrupted.
final class CancellationTests: XCTestCase {
    func testARaisedFlagStopsTheCheck() {
        let flag = CancellationFlag()
        flag.raise()
        let unit = Parser.parse(SourceFile(name: "t.policy", text: prelude + "let x = 1\nx\n"))
        let result = Checker(provider: nil, cancellation: flag).check([unit])
        XCTAssertTrue(result.interrupted)
        XCTAssertTrue(result.hasErrors, "an interrupted check is not a program to run")
        XCTAssertTrue(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.diagnostic.message))")
        XCTAssertTrue(result.program.cancellation === flag, "the program keeps the caller's flag for its runs")
    }

    func testTheTimelineStopsWhenTheFlagIsRaisedWhileItRuns() {
        // A pair of reactions a day apart: centuries of dates, each evaluating both conditions
        // for every jurisdiction. A second thread raises the flag once the check is under way.
        let counties = (0..<2_000).map { "jurisdiction c\($0): county in usa" }.joined(separator: "\n")
        let text = """
            jurisdiction attributes { t: int = 0 }
            jurisdiction usa: federal
            \(counties)
            when j in jurisdictions where j.kind == federal and j.t == 0 as ping { after 1 day { set j.t = 1 } }
            when j in jurisdictions where j.kind == federal and j.t == 1 as pong { after 1 day { set j.t = 0 } }
            event kick on 2012-01-01 by usa

            """
        let flag = CancellationFlag()
        let done = DispatchSemaphore(value: 0)
        let raiser = Thread {
            // Raise it repeatedly until the check returns, however long parsing takes.
            while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut { flag.raise() }
        }
        raiser.start()
        let unit = Parser.parse(SourceFile(name: "t.policy", text: text))
        let result = Checker(provider: nil, cancellation: flag).check([unit])
        done.signal()
        XCTAssertTrue(result.interrupted)
        XCTAssertFalse(result.diagnostics.contains { $0.diagnostic.message.contains("date arithmetic") },
                       "the timeline ran to its end instead of stopping")
    }
}
