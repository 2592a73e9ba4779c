import Foundation
import XCTest

/// LANGUAGE.md §8's exit codes where they were easy to get wrong: a file that cannot be read
/// is 66 wherever it is named (command line, `include`, a CSV, `:load`); with piped input,
/// failing meta-commands and an entry cut off by the end of input make the exit non-zero;
/// and `fmt` is not limited by the size of its own output.
final class ExitCodeTests: XCTestCase {
    // MARK: - Unreadable inputs: 66

    func testMissingIncludeExits66() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "main.policy", "include \"nope.policy\"\n1 + 1\n")
        for command in ["run", "check"] {
            let r = try PolicyProcess.run([command, "main.policy"], currentDirectory: dir)
            assertNoCrash(r, "\(command) with a missing include")
            XCTAssertEqual(r.status, 66, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
            XCTAssertEqual(r.stderr, """
                error: cannot read 'nope.policy': No such file or directory
                 --> main.policy:1:9
                  |
                1 | include "nope.policy"
                  |         ^^^^^^^^^^^^^ paths are relative to the folder of main.policy

                """)
        }
    }

    func testIncludeOfAFolderExits66() throws {
        let dir = try scratchDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try writeFile(dir, "main.policy", "include \"sub\"\n")
        let r = try PolicyProcess.run(["check", "main.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot read 'sub': it is a folder\n --> main.policy:1:9\n"), r.stderr)
    }

    func testMissingJurisdictionsCSVExits66() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "j.policy", "jurisdictions from \"nope.csv\"\n")
        let r = try PolicyProcess.run(["run", "j.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot read 'nope.csv': No such file or directory\n --> j.policy:1:20\n"), r.stderr)
    }

    func testMissingCasesCSVExits66() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "c.policy", "record b { x: int }\npopulation p of b from \"nope.csv\"\ncount(p)\n")
        let r = try PolicyProcess.run(["run", "c.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot read 'nope.csv': No such file or directory\n --> c.policy:2:24\n"), r.stderr)
        // The same at the prompt, with piped input.
        let piped = try PolicyProcess.run([], stdin: Data("record b { x: int }\npopulation p of b from \"nope.csv\"\ncount(p)\n".utf8),
                                          currentDirectory: dir, timeout: 20)
        XCTAssertEqual(piped.status, 66, piped.stderr)
        XCTAssertTrue(piped.stderr.contains("cannot read 'nope.csv'"), piped.stderr)
    }

    func testAnErrorInTheInputAndAMissingIncludeTogetherExit66() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", "include \"nope.policy\"\nlet x: int = true\n")
        let r = try PolicyProcess.run(["check", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
    }

    // MARK: - Meta-commands with piped input

    func pipe(_ input: String, in dir: URL? = nil) throws -> PolicyProcess.Result {
        let r = try PolicyProcess.run([], stdin: Data(input.utf8), currentDirectory: dir, timeout: 20)
        assertNoCrash(r, "piped: \(input)")
        return r
    }

    func testUnknownMetaCommandExits2() throws {
        let r = try pipe(":bogus\n1 + 1\n")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stdout, "2\n", "the entries after it still run")
        XCTAssertEqual(r.stderr, "error: unknown command ':bogus'; :help lists the commands\n")
    }

    func testMetaCommandUsageErrorsExit2() throws {
        for (input, message) in [(":timing maybe\n", "usage: :timing on|off\n"),
                                 (":format xml\n", "usage: :format table|csv|json|jsonl (now table)\n"),
                                 (":save\n", "usage: :save FILE\n"),
                                 (":load\n", "usage: :load FILE\n")] {
            let r = try pipe(input)
            XCTAssertEqual(r.status, 2, "\(input): \(r.stderr)")
            XCTAssertEqual(r.stderr, message)
        }
    }

    func testFailingSaveExits66() throws {
        let r = try pipe("let x = 1\n:save /nonexistent-folder/x.policy\n")
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write '/nonexistent-folder/x.policy': No such file or directory — check that the folder exists\n")
    }

    func testFailingLoadExits66Or65() throws {
        let dir = try scratchDirectory()
        let missing = try pipe(":load nothing.policy\n", in: dir)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertEqual(missing.stderr, "error: cannot read 'nothing.policy': No such file or directory\n")
        try writeFile(dir, "bad.policy", "let x: int = true\n")
        let bad = try pipe(":load bad.policy\n", in: dir)
        XCTAssertEqual(bad.status, 65, bad.stderr)
    }

    /// `:reload` after the file broke: the session keeps its definitions, and the exit is 65.
    func testFailingReloadExits65() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", "let x = 1\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The file is broken only after `:load` has read it (the prompt prints 'loaded').
        process.arguments = ["-c", """
            { echo ':load m.policy'; sleep 1; echo 'let x: int = true' > m.policy; echo ':reload'; echo 'x + 1'; } \
            | "$POLICY" > out.txt 2> err.txt
            """]
        var env = ProcessInfo.processInfo.environment
        env["POLICY"] = PolicyProcess.executable.path
        process.environment = env
        process.currentDirectoryURL = dir
        try process.run()
        process.waitUntilExit()
        let out = String(decoding: try readFile(dir.appendingPathComponent("out.txt").path), as: UTF8.self)
        let err = String(decoding: try readFile(dir.appendingPathComponent("err.txt").path), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 65, err)
        XCTAssertEqual(out, "loaded m.policy\n2\n", "the session keeps the definitions it had")
        XCTAssertTrue(err.contains("error: :reload failed; the session keeps the definitions it had\n"), err)
    }

    func testUnknownScenarioExits65() throws {
        let r = try pipe(":scenario nowhere\n")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: unknown scenario 'nowhere'"), r.stderr)
    }

    func testGoodMetaCommandsStillExit0() throws {
        let dir = try scratchDirectory()
        let r = try pipe("let x = 1\n:timing off\n:format csv\n:save s.policy\n:scenario\n:help\n", in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
    }

    // MARK: - An entry cut off by the end of input

    /// A `test` typed at the prompt runs at once; a failed one makes piped input exit 1.
    func testATestTypedAtThePromptRuns() throws {
        let input = "let x = 2\ntest \"doubles\" {\n  assert x * 2 == 4\n}\ntest \"wrong\" { assert x == 3 \"x is two\" }\nx\n"
        let r = try PolicyProcess.run([], stdin: Data(input.utf8))
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("✓ doubles\n✗ wrong\n    assertion failed: x == 3 — x is two\n"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\n2\n"), "the session goes on: \(r.stdout)")
    }

    func testUnfinishedEntryAtEndOfPipedInputExits65() throws {
        let r = try pipe("1 + 1\n\nlet y = {\n  1 +\n")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(r.stdout, "2\n")
        XCTAssertEqual(r.stderr, """
            error: expected an expression, found the end of input
             --> <repl>:2:6
              |
            2 |   1 +
              |      ^
              = note: the input ended inside this entry, which begins on line 3 of the input; complete it, or remove it

            """)
    }

    func testOpenBracketAtEndOfPipedInputWithoutNewlineExits65() throws {
        let r = try pipe("(1 +")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> <repl>:1:5\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("which begins on line 1 of the input"), r.stderr)
    }

    // MARK: - fmt and the file-mb limit

    /// A valid file just under `file-mb` whose formatted text is larger: it formats (its own
    /// output is not input), printed and written.
    func testFmtOutputLargerThanTheFileLimitIsFine() throws {
        let dir = try scratchDirectory()
        var text = "", n = 0
        while true {
            let line = "let a\(n)=1+2\n"
            if text.utf8.count + line.utf8.count > 1_040_000 { break }
            text += line
            n += 1
        }
        let path = try writeFile(dir, "big.policy", text)
        let printed = try PolicyProcess.run(["fmt", "--limit", "file-mb=1", "big.policy"], currentDirectory: dir)
        assertNoCrash(printed, "fmt of a file near the limit")
        XCTAssertEqual(printed.status, 0, String(printed.stderr.prefix(500)))
        XCTAssertGreaterThan(printed.stdoutData.count, 1 << 20)
        XCTAssertTrue(printed.stdout.hasPrefix("let a0 = 1 + 2\nlet a1 = 1 + 2\n"))
        let written = try PolicyProcess.run(["fmt", "--limit", "file-mb=1", "--write", "big.policy"], currentDirectory: dir)
        XCTAssertEqual(written.status, 0, String(written.stderr.prefix(500)))
        XCTAssertEqual(try readFile(path), printed.stdoutData)
        // The input itself is still limited.
        let over = try PolicyProcess.run(["fmt", "--limit", "file-mb=1", "big.policy"], currentDirectory: dir)
        XCTAssertEqual(over.status, 65, String(over.stderr.prefix(500)))
        XCTAssertTrue(over.stderr.contains("file too large"), over.stderr)
    }
}
