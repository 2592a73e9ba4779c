import Foundation
import XCTest

/// Every example script runs with its golden output (Examples/golden-outputs.txt lists
/// them; each has a `.expected` beside it), and every `test` block under Examples passes
/// (the Secure Communities calibration and timeline claims, the tutorials' tests).
final class ExamplesTests: XCTestCase {
    static var examples: URL { PolicyProcess.packageRoot.appendingPathComponent("Examples") }

    func testEveryExampleMatchesItsGoldenOutput() throws {
        let list = try String(contentsOf: Self.examples.appendingPathComponent("golden-outputs.txt"), encoding: .utf8)
        let scripts = list.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        XCTAssertGreaterThanOrEqual(scripts.count, 10, "the golden list names the examples")
        for script in scripts {
            let expectedPath = PolicyProcess.packageRoot.appendingPathComponent(String(script.dropLast(".policy".count)) + ".expected")
            let expected = try String(contentsOf: expectedPath, encoding: .utf8)
            let r = try PolicyProcess.run(["run", script], currentDirectory: PolicyProcess.packageRoot, timeout: 240)
            XCTAssertEqual(r.status, 0, "\(script) exited \(r.status): \(r.stderr.prefix(2_000))")
            if r.stdout != expected {
                let got = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }
                let where_ = first.map { "line \($0.offset + 1):\n  got:  \($0.element.0)\n  want: \($0.element.1)" } ?? "lengths differ (\(got.count) vs \(want.count) lines)"
                XCTFail("\(script) differs from its golden output at \(where_)")
            }
        }
    }

    func testEveryExampleTestPasses() throws {
        let r = try PolicyProcess.run(["test", "Examples"], currentDirectory: PolicyProcess.packageRoot, timeout: 600)
        XCTAssertEqual(r.status, 0, "policy test Examples:\n\(r.stdout.suffix(3_000))\n\(r.stderr.prefix(2_000))")
        XCTAssertTrue(r.stdout.hasSuffix(" 0 failed\n"), r.stdout.suffix(500).description)
        XCTAssertFalse(r.stdout.contains("✗"), r.stdout)
    }

    func testEveryExampleIsFormatted() throws {
        let r = try PolicyProcess.run(["fmt", "--check", "Examples"], currentDirectory: PolicyProcess.packageRoot)
        XCTAssertEqual(r.status, 0, "unformatted examples:\n\(r.stdout)\(r.stderr)")
    }
}
