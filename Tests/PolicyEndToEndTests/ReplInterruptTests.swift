import Foundation
import XCTest

/// Ctrl-C at the prompt stops whatever the entry started — loading a file, checking an
/// entry (whose timeline runs while it is checked), one long decision — and keeps the
/// session as it was. Driven through tmux like ReplTests; skipped without tmux.
final class ReplInterruptTests: XCTestCase {
    var terminal: ReplTerminal!
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try PolicyProcess.temporaryDirectory()
        terminal = try ReplTerminal(folder: scratch)
    }

    override func tearDown() {
        terminal?.close()
        terminal = nil
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
        super.tearDown()
    }

    /// Five thousand counties and a pair of reactions that keep scheduling each other a day
    /// apart: every date evaluates both conditions for every jurisdiction, for centuries of
    /// dates — far longer than any test waits.
    func longTimeline(withEvent: Bool) -> String {
        var lines = ["jurisdiction attributes { t: int = 0 }", "jurisdiction usa: federal"]
        lines += (0..<5_000).map { "jurisdiction c\($0): county in usa" }
        lines += [
            "when j in jurisdictions where j.kind == federal and j.t == 0 as ping { after 1 day { set j.t = 1 } }",
            "when j in jurisdictions where j.kind == federal and j.t == 1 as pong { after 1 day { set j.t = 0 } }",
        ]
        if withEvent { lines.append("event kick on 2012-01-01 by usa") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Presses Ctrl-C once the entry is under way and waits for the REPL to say so.
    func interrupt(file: StaticString = #filePath, line: UInt = #line) {
        usleep(500_000)
        terminal.press("C-c")
        terminal.expect("interrupted — the session is unchanged", timeout: 20, file: file, line: line)
        terminal.expectPrompt(file: file, line: line)
    }

    /// The session still holds `kept` and answers new entries.
    func assertSessionKept(file: StaticString = #filePath, line: UInt = #line) {
        terminal.enter("kept + 1")
        terminal.expectLine("42", file: file, line: line)
        terminal.expectPrompt(file: file, line: line)
    }

    func testCtrlCStopsALoadWhoseTimelineRunsLong() throws {
        let path = scratch.appendingPathComponent("long.policy")
        try longTimeline(withEvent: true).write(to: path, atomically: true, encoding: .utf8)
        try terminal.start(["repl"])
        terminal.expectPrompt()
        terminal.enter("let kept = 41")
        terminal.expectPrompt()
        terminal.enter(":load \(path.path)")
        interrupt()
        XCTAssertFalse(terminal.transcript().contains("loaded \(path.path)"), terminal.screenDump())
        assertSessionKept()
        // Nothing of the file was taken in.
        terminal.enter("c17")
        terminal.expect("unknown name 'c17'")
        terminal.expectPrompt()
    }

    func testCtrlCStopsCheckingAnEntryThatRunsTheTimeline() throws {
        let path = scratch.appendingPathComponent("quiet.policy")
        try (longTimeline(withEvent: false) + "let kept = 41\n").write(to: path, atomically: true, encoding: .utf8)
        try terminal.start(["repl", path.path])
        terminal.expect("Loaded 1 file", timeout: 60)
        terminal.expectPrompt()
        // Declaring the event sets the timeline going while the entry is checked.
        terminal.enter("event kick on 2012-01-01 by usa")
        interrupt()
        assertSessionKept()
        terminal.enter("usa.t at 2012-01-05")
        terminal.expectLine("0")
        terminal.expectPrompt()
    }

    func testCtrlCStopsOneLongDecision() throws {
        // Twenty thousand policies all answer the one decision: resolving it compares
        // every answer with every other.
        var lines = [
            "jurisdiction usa: federal",
            "record b { date: date, jurisdiction: jurisdiction }",
            "decision ok(x: b): bool = false combine deny_overrides",
            "let kept = 41",
        ]
        lines += (0..<20_000).map { "policy p\($0) by usa { ok(x) = true }" }
        let path = scratch.appendingPathComponent("many.policy")
        try (lines.joined(separator: "\n") + "\n").write(to: path, atomically: true, encoding: .utf8)
        try terminal.start(["repl", path.path])
        terminal.expect("Loaded 1 file", timeout: 60)
        terminal.expectPrompt()
        terminal.enter("ok(b { date: 2012-01-01, jurisdiction: usa })")
        usleep(500_000)
        terminal.press("C-c")
        terminal.expect("interrupted", timeout: 20)
        terminal.expectPrompt()
        XCTAssertFalse(terminal.transcript().split(separator: "\n").contains("true"), terminal.screenDump())
        assertSessionKept()
    }

    /// A named pipe whose writer never finishes: the read waits in short steps, and Ctrl-C
    /// gives up on it.
    func testCtrlCStopsALoadWaitingOnAPipe() throws {
        let path = scratch.appendingPathComponent("pipe.policy").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        // Held open for writing (and never written to) until the test ends.
        let writer = open(path, O_RDWR)
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { close(writer) }
        try terminal.start(["repl"])
        terminal.expectPrompt()
        terminal.enter("let kept = 41")
        terminal.expectPrompt()
        terminal.enter(":load \(path)")
        usleep(500_000)
        terminal.press("C-c")
        terminal.expect("error: cannot read '\(path)': interrupted", timeout: 20)
        terminal.expectPrompt()
        assertSessionKept()
    }
}
