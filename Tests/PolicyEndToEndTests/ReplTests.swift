import Foundation
import XCTest
import PolicySyntax

/// The REPL as a person meets it (ARCHITECTURE.md, "The REPL contract"): the real
/// `policy` executable in a pseudo-terminal (tmux), keys sent one by one, the screen read
/// back (see ReplTerminal). `ReplPipedInputTests` below covers the same shell with no terminal.
///
/// Needs tmux at run time (Debian/Ubuntu package `tmux`); without it these tests skip.
final class ReplTests: XCTestCase {
    var terminal: ReplTerminal!
    var scratch: URL!

    static var taste: String {
        PolicyProcess.packageRoot.appendingPathComponent("Examples/language/taste.policy").path
    }

    /// A booking the taste model answers `false` for (Cook County's 2011 detainer ban).
    static let cookBooking = "honored(booking { jurisdiction: cook, date: 2011-10-01, ident_match: true })"

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

    /// `policy repl taste.policy`, waiting for the first prompt.
    func startWithTaste(file: StaticString = #filePath, line: UInt = #line) throws {
        try terminal.start(["repl", ReplTests.taste])
        terminal.expect("Loaded 1 file", file: file, line: line)
        terminal.expectPrompt(file: file, line: line)
    }

    // MARK: - Prompt, continuation, errors

    func testPromptAndAnExpression() throws {
        try terminal.start([])
        terminal.expect("Type :help for help")
        terminal.expectPrompt("policy> ")
        terminal.enter("1 + 41")
        terminal.expect("policy> 1 + 41")
        terminal.expectLine("42")
        terminal.expectPrompt("policy> ")
    }

    func testContinuationPromptForAnOpenBracketAndATrailingOperator() throws {
        try terminal.start([])
        terminal.expectPrompt()
        // An open bracket continues the entry.
        terminal.enter("(1 +")
        terminal.expectPrompt("   ...> ")
        terminal.enter("2)")
        terminal.expect("   ...> 2)")
        terminal.expectLine("3")
        terminal.expectPrompt("policy> ")
        // So does a line ending with an operator.
        terminal.enter("10 *")
        terminal.expectPrompt("   ...> ")
        terminal.enter("5")
        terminal.expectLine("50")
        terminal.expectPrompt("policy> ")
        // An empty line abandons an unfinished entry; what follows is a fresh entry.
        terminal.enter("(7 +")
        terminal.expectPrompt("   ...> ")
        terminal.press("Enter")
        terminal.expectPrompt("policy> ")
        terminal.enter("2 * 4")
        terminal.expectLine("8")
        terminal.expectPrompt()
    }

    func testAnErrorThenAWorkingEntry() throws {
        try startWithTaste()
        terminal.enter("honored(booking { jurisdiction: cok, date: 2011-10-01 })")
        terminal.expect("unknown name 'cok'")
        terminal.expect("did you mean 'cook'?")
        terminal.expectPrompt()
        terminal.enter(ReplTests.cookBooking)
        terminal.expectLine("false")
        terminal.expectPrompt()
        // A failing entry changes nothing: its definitions are not kept.
        terminal.enter("let answer: int = nope")
        terminal.expect("unknown name 'nope'")
        terminal.expectPrompt()
        terminal.enter("answer")
        terminal.expect("unknown name 'answer'")
        terminal.expectPrompt()
    }

    // MARK: - Completion

    func testTabCompletesADeclaredName() throws {
        try startWithTaste()
        terminal.type("honored(booking { jurisdiction: coo")
        terminal.press("Tab")
        terminal.expect("policy> honored(booking { jurisdiction: cook")
        terminal.type(", date: 2011-10-01, ident_match: true })")
        terminal.press("Enter")
        terminal.expectLine("false")
        terminal.expectPrompt()
        // Meta-commands and scenarios complete too.
        terminal.type(":scen")
        terminal.press("Tab")
        terminal.expect("policy> :scenario")
        terminal.type("early_t")
        terminal.press("Tab")
        terminal.expect("early_trust_act")
        terminal.press("Enter")
        terminal.expectPrompt("policy[early_trust_act]> ")
    }

    /// `:set PARAM = VALUE` changes a param for the rest of the session: the prompt shows
    /// it like a scenario; a second `:set` adds to the first; `:scenario baseline` leaves.
    func testSetChangesAParamForTheSessionAndShowsInThePrompt() throws {
        try startWithTaste()
        terminal.enter("discretion")
        terminal.expectLine("0.7")
        terminal.expectPrompt()
        terminal.enter(":set discretion = 40%")
        terminal.expectPrompt("policy[discretion = 40%]> ")
        terminal.enter("discretion")
        terminal.expectLine("0.4")
        terminal.enter(":set discretion = 35%")
        terminal.expectPrompt("policy[discretion = 40%, discretion = 35%]> ")
        terminal.enter(":scenario baseline")
        terminal.expectPrompt()
        terminal.enter("discretion")
        terminal.expectLine("0.7")
    }

    /// A compare wider than the terminal is never wrapped: first its % columns go (with a
    /// note), then, narrower still, it prints long — a row per key and column.
    func testAWideCompareFitsTheTerminal() throws {
        /// The prompt again at `width` columns, with the wide compare entered.
        func compareAt(width: Int) throws {
            terminal.close()
            terminal = try ReplTerminal(folder: scratch, width: width)
            try startWithTaste()
            terminal.enter("compare baseline, early_trust_act on count(outcome == transferred), count(outcome == declined) by year from bookings")
        }
        try compareAt(width: 72)
        terminal.expect("The % columns are left out to fit 72 columns (--format csv has them).")
        terminal.expectPrompt()
        XCTAssertTrue(terminal.screenDump().contains("early_trust_act"), terminal.screenDump())
        XCTAssertFalse(terminal.screenLines().contains { $0.hasPrefix("year") && $0.contains("%") }, terminal.screenDump())
        XCTAssertTrue(terminal.screenLines().contains { $0.hasPrefix("year  baseline  early_trust_act") }, terminal.screenDump())
        try compareAt(width: 44)
        terminal.expect("Printed long, a row per key and")
        terminal.expectPrompt()
        XCTAssertTrue(terminal.screenDump().contains("column"), terminal.screenDump())
    }

    // MARK: - Ctrl-C

    func testCtrlCWhileTypingClearsTheEntry() throws {
        try startWithTaste()
        terminal.type("honored(booking { jurisdiction: ")
        terminal.expect("jurisdiction: ")
        terminal.press("C-c")
        terminal.expectPrompt("policy> ")
        // The abandoned text is gone: the next entry runs on its own.
        terminal.enter("1 + 1")
        terminal.expectLine("2")
        terminal.expectPrompt()
        // Also in the middle of a multi-line entry.
        terminal.enter("(3 +")
        terminal.expectPrompt("   ...> ")
        terminal.type("4")
        terminal.press("C-c")
        terminal.expectPrompt("policy> ")
        terminal.enter("5 * 5")
        terminal.expectLine("25")
        terminal.expectPrompt()
    }

    /// Ctrl-C on an empty line, at the prompt or the continuation prompt, clears (nothing)
    /// and keeps the session: only Ctrl-D on an empty line leaves.
    func testCtrlCOnAnEmptyLineKeepsTheSession() throws {
        try terminal.start([])
        terminal.expectPrompt()
        terminal.press("C-c")
        terminal.expectPrompt("policy> ")
        terminal.enter("1 + 2")
        terminal.expectLine("3")
        terminal.expectPrompt()
        terminal.enter("(1 +")
        terminal.expectPrompt("   ...> ")
        terminal.press("C-c")
        terminal.expectPrompt("policy> ")
        terminal.enter("2 + 2")
        terminal.expectLine("4")
        terminal.expectPrompt()
    }

    func testCtrlCStopsALongPopulationCount() throws {
        // A population big enough that counting it takes far longer than the test waits,
        // even in a release build.
        let big = scratch.appendingPathComponent("big.policy")
        try """
        population many of booking {
          size 50_000_000
          seed 7
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction weighted by admissions
          ident_match 8%
        }

        """.write(to: big, atomically: true, encoding: .utf8)
        try startWithTaste()
        terminal.enter(":load \(big.path)")
        terminal.expect("loaded")
        terminal.expectPrompt()
        terminal.enter("count(many where chance(50%, \"x\"))")
        terminal.expect("count(many where chance(50%, \"x\"))")
        usleep(400_000) // let the evaluation get going
        let sent = Date()
        terminal.press("C-c")
        terminal.expect("interrupted", timeout: 10)
        let latency = Date().timeIntervalSince(sent)
        // The contract says ~100 ms; screen polling and a debug build get some slack.
        XCTAssertLessThan(latency, 1.5, "Ctrl-C took \(latency) s to stop the count")
        terminal.expectPrompt()
        XCTAssertFalse(terminal.transcript().split(separator: "\n").contains { $0.allSatisfy { $0.isNumber || $0 == "," } },
                       "the count printed a result after Ctrl-C:\n\(terminal.screenDump())")
        // The session is intact: definitions, the loaded file and new entries all work.
        terminal.enter("1 + 1")
        terminal.expectLine("2")
        terminal.expectPrompt()
        terminal.enter(ReplTests.cookBooking)
        terminal.expectLine("false")
        terminal.expectPrompt()
        terminal.enter(":help many")
        terminal.expect("population many of booking")
        terminal.expectPrompt()
    }

    // MARK: - Meta-commands

    func testScenarioChangesThePrompt() throws {
        try startWithTaste()
        terminal.enter(":scenario early_trust_act")
        terminal.expectPrompt("policy[early_trust_act]> ")
        terminal.enter("1 + 1")
        terminal.expectLine("2")
        terminal.expectPrompt("policy[early_trust_act]> ")
        terminal.enter(":scenario")
        terminal.expect("current scenario: early_trust_act")
        terminal.expectPrompt("policy[early_trust_act]> ")
        terminal.enter(":scenario baseline")
        terminal.expectPrompt("policy> ")
        // An unknown scenario is an error that leaves the prompt alone.
        terminal.enter(":scenario early_trust")
        terminal.expect("unknown scenario 'early_trust'")
        terminal.expectPrompt("policy> ")
    }

    func testHelpListsTheCommands() throws {
        try startWithTaste()
        terminal.enter(":help")
        terminal.expectPrompt()
        let shown = terminal.transcript()
        for command in [":help", ":load", ":reload", ":reset", ":scenario", ":timing", ":format", ":save", ":history", ":quit"] {
            XCTAssertTrue(shown.contains(command), "\(command) is not in :help:\n\(terminal.screenDump())")
        }
        // `:help NAME` describes a declared name.
        terminal.enter(":help cook")
        terminal.expect("jurisdiction cook")
        terminal.expectPrompt()
    }

    func testSaveWritesAScriptThatCheckAccepts() throws {
        try startWithTaste()
        terminal.enter("let answer: int = 6 * 7")
        terminal.expectPrompt()
        let saved = scratch.appendingPathComponent("saved session.policy")
        terminal.enter(":save \"\(saved.path)\"")
        terminal.expect("saved")
        terminal.expectPrompt()
        let text = try String(contentsOf: saved, encoding: .utf8)
        XCTAssertTrue(text.contains("jurisdiction cook"), text)
        XCTAssertTrue(text.contains("answer"), "the session's own definition is not saved:\n\(text)")
        let check = try PolicyProcess.run(["check", saved.path])
        XCTAssertEqual(check.status, 0, "policy check rejects the saved session:\n\(check.stderr)\n\(text)")
        // And the saved script loads into a fresh REPL with the same definitions.
        try terminal.start(["repl", saved.path])
        terminal.expectPrompt()
        terminal.enter("answer")
        terminal.expectLine("42")
        terminal.expectPrompt()
    }

    // MARK: - History and leaving

    func testHistoryIsRecalledWithUpAfterARestart() throws {
        try terminal.start([])
        terminal.expectPrompt()
        terminal.enter("1 + 41")
        terminal.expectLine("42")
        terminal.expectPrompt()
        terminal.enter("(2 *")
        terminal.expectPrompt("   ...> ")
        terminal.enter("21)")
        terminal.expectLine("42")
        terminal.expectPrompt()
        terminal.press("C-d")
        XCTAssertEqual(terminal.expectExit(), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: terminal.historyFile.path),
                      "no history at $XDG_STATE_HOME/policy/history")

        try terminal.start([])
        terminal.expectPrompt()
        // The multi-line entry comes back as one item …
        terminal.press("Up")
        terminal.expectScreenEnds(with: ["policy> (2 *", "21)"])
        // … and the one before it.
        terminal.press("Up")
        terminal.expectScreenEnds(with: ["policy> 1 + 41"])
        terminal.press("Enter")
        terminal.expectLine("42")
        terminal.expectPrompt()
    }

    /// A history file libedit cannot read (here: no '_HiStOrY_V2_' header) is not loaded,
    /// and never overwritten: the prompt says so once and keeps its history in memory.
    func testAHistoryFileThatCannotBeReadIsNeverOverwritten() throws {
        let junk = Data("my notes, not a history\n1 + 1\n".utf8)
        // Wide enough for the whole warning on one line.
        terminal.close()
        terminal = try ReplTerminal(folder: scratch, width: 400)
        try FileManager.default.createDirectory(at: terminal.historyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try junk.write(to: terminal.historyFile)
        try terminal.start([])
        terminal.expect("warning: the history file '\(terminal.historyFile.path)' is not used: it does not start with libedit's '_HiStOrY_V2_' line; it is left as it is")
        terminal.expectPrompt()
        terminal.enter("2 + 2")
        terminal.expectLine("4")
        terminal.expectPrompt()
        terminal.press("Up")
        terminal.expectScreenEnds(with: ["policy> 2 + 2"])
        terminal.press("C-u")
        terminal.press("C-d")
        XCTAssertEqual(terminal.expectExit(), 0)
        XCTAssertEqual(try Data(contentsOf: terminal.historyFile), junk, "the unreadable history was overwritten")
    }

    /// A read-only history is read (Up recalls it) but never rewritten.
    func testAReadOnlyHistoryIsReadButNotRewritten() throws {
        let history = Data("_HiStOrY_V2_\n40\\040+\\0402\n".utf8)
        try FileManager.default.createDirectory(at: terminal.historyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try history.write(to: terminal.historyFile)
        XCTAssertEqual(chmod(terminal.historyFile.path, 0o444), 0)
        terminal.close()
        terminal = try ReplTerminal(folder: scratch, width: 400)
        try terminal.start([])
        terminal.expectPrompt()
        terminal.press("Up")
        terminal.expectScreenEnds(with: ["policy> 40 + 2"])
        terminal.press("Enter")
        // The entry is remembered (and the save refused) before it runs.
        terminal.expect("warning: the history file '\(terminal.historyFile.path)' is not used: it could not be written: the file is read-only (mode 0444)")
        terminal.expectLine("42")
        terminal.expectPrompt()
        terminal.press("C-d")
        XCTAssertEqual(terminal.expectExit(), 0)
        XCTAssertEqual(try Data(contentsOf: terminal.historyFile), history)
    }

    /// Two prompts open at once: each save re-reads the file under a lock and adds its own
    /// entries, so neither loses the other's.
    func testTwoPromptsAtOnceBothKeepTheirHistory() throws {
        let other = try ReplTerminal(folder: scratch)
        defer { other.close() }
        try terminal.start([])
        try other.start([])
        terminal.expectPrompt()
        other.expectPrompt()
        terminal.enter("1 + 100")
        terminal.expectLine("101")
        terminal.expectPrompt()
        other.enter("2 + 200")
        other.expectLine("202")
        other.expectPrompt()
        terminal.enter("3 + 300")
        terminal.expectLine("303")
        terminal.expectPrompt()
        other.press("C-d")
        XCTAssertEqual(other.expectExit(), 0)
        terminal.press("C-d")
        XCTAssertEqual(terminal.expectExit(), 0)

        try terminal.start([])
        terminal.expectPrompt()
        terminal.enter(":history")
        terminal.expect("1 + 100")
        terminal.expect("2 + 200")
        terminal.expect("3 + 300")
        terminal.expectPrompt()
        let left = try FileManager.default.contentsOfDirectory(atPath: terminal.historyFile.deletingLastPathComponent().path)
        XCTAssertEqual(left, ["history"], "temporary files left beside the history")
    }

    func testCtrlDOnAnEmptyLineExitsWithStatusZero() throws {
        try startWithTaste()
        terminal.enter("1 + 1")
        terminal.expectLine("2")
        terminal.expectPrompt()
        // Ctrl-D on a line with text is an editing key, not an exit.
        terminal.type("3 * 3")
        terminal.press("C-d")
        terminal.expectNothing(ReplTerminal.exitMarker, for: 0.3)
        terminal.press("Enter")
        terminal.expectLine("9")
        terminal.expectPrompt()
        terminal.press("C-d")
        XCTAssertEqual(terminal.expectExit(), 0)
    }

    func testQuitExitsWithStatusZero() throws {
        try terminal.start([])
        terminal.expectPrompt()
        terminal.enter(":quit")
        XCTAssertEqual(terminal.expectExit(), 0)
    }

    // MARK: - Demo

    static let demoScript = """
    ## First, a number.
    let x: int = 20

    ## Then, double it.
    x * 2

    ## Finally, add one.
    x + 1

    """

    func testDemoOnATerminalWaitsForEnter() throws {
        let path = try writeFile(scratch, "demo.policy", ReplTests.demoScript)
        try terminal.start(["demo", path])
        terminal.expect("First, a number.")
        terminal.expect("let x: int = 20")
        terminal.expect("[Enter")
        terminal.expectNothing("Then, double it.", for: 0.3)
        terminal.press("Enter")
        terminal.expect("Then, double it.")
        terminal.expect("x * 2")
        terminal.expectLine("40")
        terminal.expect("[Enter")
        terminal.press("Enter")
        terminal.expect("Finally, add one.")
        terminal.expectLine("21")
        XCTAssertEqual(terminal.expectExit(), 0)
    }

}

/// The same shell with no terminal: stdin piped, stdout a file. Needs no tmux.
final class ReplPipedInputTests: XCTestCase {
    func testPipedInputHasNoPromptAndExitsZero() throws {
        let r = try PolicyProcess.run([], stdin: Data("1 + 2\n(2 *\n3)\nlet x: int = 4\nx * 10\n".utf8), timeout: 20)
        assertNoCrash(r, "piped input")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "3\n6\n40\n")
        XCTAssertEqual(r.stderr, "")
    }

    /// An entry that cannot change the timeline (a query, a new let, param or decision) takes
    /// over the previous program's; one that can (an event, a policy, a scenario) runs it
    /// again. Either way the prompt answers as a fresh load of the same text would.
    func testTheTimelineIsTakenOverOnlyWhenNothingItReadsChanged() throws {
        let dir = try scratchDirectory()
        let model = """
            jurisdiction usa: federal
            jurisdiction attributes { trust: int = 80 }
            jurisdiction cook: county in usa
            jurisdiction kane: county in usa
            record booking { date: date, jurisdiction: jurisdiction }
            param cost: int = 30
            policy ban(j: jurisdiction) by j { held(b) = false }
            decision held(b: booking): bool = true
            event reversal on 2011-01-01 by usa { for j in jurisdictions where j.kind == county { set j.trust = j.trust - cost } }
            when j in jurisdictions where j.kind == county and j.trust < 60 as refuse { enact ban(j) }
            scenario mild { param cost = 10 }

            """
        try writeFile(dir, "m.policy", model)
        let entries = [
            "let probe = booking { jurisdiction: cook, date: 2012-01-01 }",
            "held(probe)",
            "held(probe) under mild",
            "param extra: int = 5",
            "decision flagged(b: booking): bool = not held(b)",
            "flagged(probe)",
            "event late on 2013-01-01 by usa { set kane.trust = 90 }",
            "kane.trust at 2013-06-01",
            "cook.trust at 2012-06-01",
            "status kane at 2013-06-01",
        ]
        let session = try PolicyProcess.run(["repl", "m.policy"], stdin: Data((entries.joined(separator: "\n") + "\n").utf8),
                                            currentDirectory: dir, timeout: 30)
        XCTAssertEqual(session.status, 0, session.stderr)
        // The same text loaded at once.
        try writeFile(dir, "all.policy", model + entries.joined(separator: "\n") + "\n")
        let fresh = try PolicyProcess.run(["run", "all.policy"], currentDirectory: dir, timeout: 30)
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        XCTAssertEqual(session.stdout, fresh.stdout)
        XCTAssertTrue(session.stdout.hasPrefix("false\ntrue\ntrue\n"), session.stdout)
        XCTAssertTrue(session.stdout.contains("\n90\n50\n"), "the new event moved kane's trust; cook's is as before: \(session.stdout)")
    }

    /// `:help` knows the language's own words, a policy's rules and what a scenario changes,
    /// and suggests a name for a typo.
    func testHelpForWordsPoliciesAndScenarios() throws {
        let model = "Examples/secure-communities/main.policy"
        let input = ":help table\n:help detainer_ban\n:help trust_act_2012\n:help tabel\n:help trust_kept\n:help ruling_reaches_counties\n"
        let r = try PolicyProcess.run(["repl", model], stdin: Data(input.utf8), currentDirectory: PolicyProcess.packageRoot, timeout: 30)
        assertNoCrash(r, ":help")
        XCTAssertTrue(r.stdout.contains("table AGG, … [by KEY, …] from POP [where COND] [under S] [to \"FILE.csv|json\"]\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("policy detainer_ban(j: jurisdiction)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  honored(b) = false\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("scenario trust_act_2012 from baseline"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  cancels event trust_act_veto\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("nothing called 'tabel' (did you mean 'table'?)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("scenario trust_kept from trust_dynamics"), r.stdout)
        XCTAssertTrue(r.stdout.contains("  sets param reversal_cost = 0\n"), "a param it sets, with its value there: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("reaction ruling_reaches_counties: when oregon_ruling as ruling_reaches_counties, declared at "), r.stdout)
    }

    /// The analysis statements run at the prompt, one entry at a time, and `:help` knows them.
    func testAnalysisAtThePrompt() throws {
        let input = """
            :help replicates
            :help decompose
            table count(outcome == transferred) by year from bookings replicates 2
            decompose reform on count(outcome == transferred) from bookings

            """
        let r = try PolicyProcess.run(["repl", "Examples/tutorial/07-how-sure-and-why.policy"], stdin: Data(input.utf8),
                                      currentDirectory: PolicyProcess.packageRoot, timeout: 60)
        assertNoCrash(r, "analysis at the prompt")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("table|compare|plot … from POP replicates N\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("decompose S on AGG, … [by KEY, …] from POP [where COND] [replicates N]\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Mean of 2 replicates ± the half-width of its 95% confidence interval."), r.stdout)
        XCTAssertTrue(r.stdout.contains("reform − baseline, split among the 4 changes of reform"), r.stdout)
    }

    /// Declaring a param again at the prompt says how to change it for the session, and how
    /// to compare values.
    func testAParamDeclaredAgainPointsToSetAndScenarios() throws {
        let r = try PolicyProcess.run([], stdin: Data("param p = 50%\nparam p = 60%\n".utf8), timeout: 20)
        assertNoCrash(r, "param again")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: 'p' is already declared as a param"), r.stderr)
        XCTAssertTrue(r.stderr.contains("to change it for the session, :set p = …; to compare values, declare a scenario (scenario mine { param p = … })"), r.stderr)
    }

    func testPipedInputWithAnErrorExits65() throws {
        let input = "1 + 2\nhonored(booking { jurisdiction: cok, date: 2011-10-01 })\n\(ReplTests.cookBooking)\n"
        let r = try PolicyProcess.run(["repl", ReplTests.taste], stdin: Data(input.utf8), timeout: 20)
        assertNoCrash(r, "piped input with an error")
        XCTAssertEqual(r.status, 65, r.stderr)
        // The entries around the error still run.
        XCTAssertEqual(r.stdout, "3\nfalse\n")
        XCTAssertTrue(r.stderr.contains("unknown name 'cok'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'cook'?"), r.stderr)
        for out in [r.stdout, r.stderr] {
            XCTAssertFalse(out.contains("policy>"), "a prompt on a pipe:\n\(out)")
            XCTAssertFalse(out.contains("...>"), "a continuation prompt on a pipe:\n\(out)")
            XCTAssertFalse(out.contains("Type :help"), "the banner on a pipe:\n\(out)")
            XCTAssertFalse(out.contains("\u{1B}["), "colour escapes on a pipe")
        }
    }

    /// `:set` at piped input: the param changes for what follows; a param that does not
    /// exist, or a value that does not check, is an error that changes nothing.
    func testSetPiped() throws {
        let input = "param rate: number = 30%\n:set rate = 60%\nrate\n:set rat = 1\n:set rate = nowhere\nrate\n:set rate\n:scenario baseline\nrate\n"
        let r = try PolicyProcess.run(["repl"], stdin: Data(input.utf8), timeout: 20)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(r.stdout, "0.6\n0.6\n0.3\n")
        XCTAssertTrue(r.stderr.contains("error: no param called 'rat' — did you mean 'rate'?"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: unknown name 'nowhere'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("usage: :set PARAM = VALUE, as in :set match_rate = 6%"), r.stderr)
    }

    /// `:help syntax` is a cheat sheet: every statement's, declaration's and expression's form
    /// on a line, taken from the same topics as `:help WORD`.
    func testHelpSyntaxIsACheatSheet() throws {
        let r = try PolicyProcess.run(["repl"], stdin: Data(":help syntax\n:help table\n".utf8), timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["Questions:", "  table AGG, … [by KEY, …] from POP [where COND] [under S] [to \"FILE.csv|json\"]",
                     "  decompose S on AGG", "Declarations:", "  param NAME[: TYPE] = VALUE", "Expressions:",
                     "  chance(P [, \"label\"])", "  J within K"] {
            XCTAssertTrue(r.stdout.contains(line), "'\(line)' in:\n\(r.stdout)")
        }
        XCTAssertFalse(r.stdout.contains("nothing called 'syntax'"), r.stdout)
    }

    /// Every statement, declaration, clause and effect has a `:help` topic: its form and an
    /// example (the part after two spaces, which reads as the language).
    func testEveryStatementAndClauseHasHelpWithAnExample() throws {
        let words = ["table", "compare", "plot", "decompose", "sample", "explain", "status", "timeline", "assert", "test",
                     "where", "under", "to", "titled", "replicates", "sweep",
                     "enum", "record", "jurisdiction", "jurisdictions", "agency", "param", "let", "decision", "combine",
                     "policy", "event", "when", "scenario", "cancel", "population", "weight", "include",
                     "enact", "repeal", "set", "after"]
        for word in words {
            let r = try PolicyProcess.run(["repl"], stdin: Data(":help \(word)\n".utf8), timeout: 20)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains("nothing called"), r.stdout)
            XCTAssertTrue(r.stdout.contains(word), "\(word) in:\n\(r.stdout)")
            // The example ends the topic: after ".  " on its last line, or that whole line.
            let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
            let example = (last.range(of: ".  ", options: .backwards).map { String(last[$0.upperBound...]) } ?? last)
                .trimmingCharacters(in: .whitespaces)
            let unit = Parser.parse(SourceFile(name: "help", text: example + "\n"))
            XCTAssertFalse(unit.hasErrors, ":help \(word): its example '\(example)' does not parse")
        }
    }

    /// Only the script's own statements are steps: what an included file declares is loaded
    /// silently, and every declaration of the script itself is shown, narrated or not.
    func testDemoStepsAreTheScriptsOwnStatements() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "model.policy", "## A rate.\nparam rate: number = 10%\nparam hidden_detail: int = 3\n")
        let path = try writeFile(dir, "story.policy", """
            include "model.policy"
            param limit: int = 24
            ## The limit doubled.
            limit * 2

            """)
        let r = try PolicyProcess.run(["demo", path], timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("hidden_detail"), "an include's declarations are not steps:\n\(r.stdout)")
        XCTAssertFalse(r.stdout.contains("A rate."), r.stdout)
        var rest = Substring(r.stdout)
        for expected in ["param limit: int = 24", "The limit doubled.", "limit * 2", "\n48\n"] {
            guard let found = rest.range(of: expected) else {
                XCTFail("'\(expected)' missing or out of order in:\n\(r.stdout)")
                return
            }
            rest = rest[found.upperBound...]
        }
    }

    func testDemoPipedPrintsEverythingWithoutWaiting() throws {
        let path = try writeFile(try scratchDirectory(), "demo.policy", ReplTests.demoScript)
        let started = Date()
        let r = try PolicyProcess.run(["demo", path], timeout: 20)
        assertNoCrash(r, "policy demo piped")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertFalse(r.stdout.contains("[Enter"), "demo waits for Enter on a pipe:\n\(r.stdout)")
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "colour escapes on a pipe")
        // Narration, then the statement, then its result, in order.
        var rest = Substring(r.stdout)
        for expected in ["First, a number.", "let x: int = 20", "Then, double it.", "x * 2", "\n40\n",
                         "Finally, add one.", "x + 1", "\n21\n"] {
            guard let found = rest.range(of: expected) else {
                XCTFail("'\(expected)' missing or out of order in:\n\(r.stdout)")
                return
            }
            rest = rest[found.upperBound...]
        }
    }
}
