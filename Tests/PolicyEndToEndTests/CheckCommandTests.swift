import Foundation
import XCTest

/// `policy check [--dump] FILE…`, run as a user would run it.
final class CheckCommandTests: XCTestCase {
    // MARK: - Success

    func testValidFileExitsZeroAndPrintsNothing() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "ok.policy", """
            # a small valid program
            enum charge { felony, misdemeanor }
            param discretion: number = 70%
            let cutoff = 2012-12-21
            let x = 1 + 2 * 3

            """)
        let r = try PolicyProcess.run(["check", "ok.policy"], currentDirectory: dir)
        assertNoCrash(r, "check ok.policy")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "")
    }

    func testEmptyFileIsValid() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "empty.policy", "")
        let r = try PolicyProcess.run(["check", "empty.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
    }

    // MARK: - Rendered diagnostics, exact text

    func testUnterminatedStringIsRenderedInFull() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "bad.policy", "let x = \"abc\n")
        let r = try PolicyProcess.run(["check", "bad.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, """
            error: unterminated string
             --> bad.policy:1:9
              |
            1 | let x = "abc
              |         ^^^^ close it with '"' on the same line (write \\n for a line break)

            """)
    }

    func testUnexpectedCharacterIsRenderedWithHint() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "bang.policy", "let x = 1 ! 2\n")
        let r = try PolicyProcess.run(["check", "bang.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, """
            error: unexpected character '!'
             --> bang.policy:1:11
              |
            1 | let x = 1 ! 2
              |           ^ write 'not' for negation, '!=' for inequality

            """)
    }

    func testImpossibleDateIsRenderedWithAFullSpan() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "date.policy", "let d = 2013-02-30\n")
        let r = try PolicyProcess.run(["check", "date.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, """
            error: impossible date 2013-02-30: February 2013 has 28 days
             --> date.policy:1:9
              |
            1 | let d = 2013-02-30
              |         ^^^^^^^^^^

            """)
    }

    func testUnclosedBlockNamesItsOpener() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "block.policy", """
            record booking { date: date, jurisdiction: jurisdiction }
            decision honored(b: booking): bool = true
            policy p by x {
              honored(b) = false

            """)
        let r = try PolicyProcess.run(["check", "block.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("""
            error: '}' expected (to close '{' at line 3), found the end of input
             --> block.policy:4:21
              |
            4 |   honored(b) = false
              |                     ^
              = note: '{' opened here (block.policy:3:15)

            """), r.stderr)
    }

    /// The gutter widens with the line number; the caret is under the span.
    func testDiagnosticOnATwoDigitLine() throws {
        let dir = try scratchDirectory()
        let text = String(repeating: "let ok = 1\n", count: 11) + "let x = 1 && 2\n"
        try writeFile(dir, "twelve.policy", text)
        let r = try PolicyProcess.run(["check", "twelve.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("""
            error: unexpected '&&'
              --> twelve.policy:12:11
               |
            12 | let x = 1 && 2
               |           ^^ write 'and'

            """), r.stderr)
    }

    /// Columns count characters; the caret is placed by display width (CJK is two columns)
    /// and a tab in the line is kept in the padding so the caret still lines up.
    func testCaretAlignsAfterWideCharactersAndTabs() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "wide.policy", "let s = \"日本語\" ! 1\n\tlet t = 2 ; 3\n")
        let r = try PolicyProcess.run(["check", "wide.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        let caretPad = String(repeating: " ", count: 17)
        XCTAssertTrue(r.stderr.contains("""
            error: unexpected character '!'
             --> wide.policy:1:15
              |
            1 | let s = "日本語" ! 1
              | \(caretPad)^ write 'not' for negation, '!=' for inequality

            """), r.stderr)
        XCTAssertTrue(r.stderr.contains("""
            error: unexpected character ';'
             --> wide.policy:2:12
              |
            2 | \tlet t = 2 ; 3
              | \t          ^ statements end at the end of the line

            """), r.stderr)
    }

    func testSeveralIndependentErrorsAreAllReported() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "many.policy", """
            let a = 1 ! 2
            let b = 2 ; 3
            let = 1
            let c = )
            record r { a: int b: int }
            let z = 1 < 2 < 3
            let d = 2013-02-30
            let ok = 1

            """)
        let r = try PolicyProcess.run(["check", "many.policy"], currentDirectory: dir)
        let positions = assertRejected(r, path: "many.policy")
        for expected in ["1:11", "2:11", "3:5", "4:9", "5:19", "6:15", "7:9"] {
            XCTAssertTrue(positions.contains(expected), "no diagnostic at \(expected); got \(positions)\n\(r.stderr)")
        }
        XCTAssertTrue(r.stderr.contains("error: comparisons do not chain"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: expected ',' or a new line between fields, found 'b'"), r.stderr)
        // Diagnostics come in source order.
        let lines = positions.compactMap { Int($0.split(separator: ":")[0]) }
        XCTAssertEqual(lines, lines.sorted(), "diagnostics out of source order: \(positions)")
    }

    // MARK: - Files that cannot be read

    func testMissingFileExits66() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["check", "missing.policy"], currentDirectory: dir)
        assertNoCrash(r, "check missing.policy")
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("cannot read 'missing.policy'"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    /// A folder stands for the `.policy` files under it (as for `policy test`).
    func testFolderChecksTheFilesInIt() throws {
        let dir = try scratchDirectory()
        let folder = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "let x = 1\n".write(to: folder.appendingPathComponent("good.policy"), atomically: true, encoding: .utf8)
        try "ignored".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        var r = try PolicyProcess.run(["check", "models"], currentDirectory: dir)
        assertNoCrash(r, "check models")
        XCTAssertEqual(r.status, 0, r.stderr)
        try "let y = \n".write(to: folder.appendingPathComponent("bad.policy"), atomically: true, encoding: .utf8)
        r = try PolicyProcess.run(["check", "models"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("models/bad.policy:1:"), r.stderr)
    }

    func testMissingPathExits66() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["check", "nowhere"], currentDirectory: dir)
        assertNoCrash(r, "check nowhere")
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("cannot read 'nowhere'"), r.stderr)
    }

    func testUnreadableFileExits66() throws {
        try XCTSkipIf(geteuid() == 0, "root can read any file")
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "secret.policy", "let x = 1\n")
        XCTAssertEqual(chmod(path, 0), 0)
        let r = try PolicyProcess.run(["check", "secret.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("cannot read 'secret.policy'"), r.stderr)
    }

    // MARK: - Several files

    func testSeveralFilesOneBadStillChecksTheOthers() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "a.policy", "let a = 1\n")
        try writeFile(dir, "bad1.policy", "let b = 1 ! 2\n")
        try writeFile(dir, "c.policy", "let c = 3\n")
        try writeFile(dir, "bad2.policy", "let d = \"open\n")
        let r = try PolicyProcess.run(["check", "a.policy", "bad1.policy", "c.policy", "bad2.policy"],
                                      currentDirectory: dir)
        assertNoCrash(r, "check several")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains(" --> bad1.policy:1:11"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> bad2.policy:1:9"), r.stderr)
        XCTAssertFalse(r.stderr.contains("a.policy:"), r.stderr)
        XCTAssertFalse(r.stderr.contains("c.policy:"), r.stderr)

        // With --dump, the good files after the bad one are still processed.
        let d = try PolicyProcess.run(["check", "--dump", "bad1.policy", "a.policy", "c.policy"], currentDirectory: dir)
        XCTAssertEqual(d.status, 65)
        XCTAssertTrue(d.stdout.contains("(let a 1)"), d.stdout)
        XCTAssertTrue(d.stdout.contains("(let c 3)"), d.stdout)
        XCTAssertFalse(d.stdout.contains("let b"), d.stdout)
    }

    func testMissingFileAmongOthersIsReportedAndTheRestChecked() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "bad.policy", "let b = 1 ! 2\n")
        try writeFile(dir, "good.policy", "let g = 1\n")
        let r = try PolicyProcess.run(["check", "missing.policy", "bad.policy", "good.policy"], currentDirectory: dir)
        assertNoCrash(r, "check missing + bad")
        XCTAssertTrue([65, 66].contains(r.status), "status \(r.status)")
        XCTAssertTrue(r.stderr.contains("cannot read 'missing.policy'"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> bad.policy:1:11"), r.stderr)
    }

    // MARK: - --dump

    func testDumpPrintsTheSyntaxTree() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "tree.policy", "let x = 1 + 2 * 3\nenum e { a, b }\n")
        let r = try PolicyProcess.run(["check", "--dump", "tree.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, "(let x (+ 1 (* 2 3)))\n(enum e a b)\n")
    }

    func testDumpShowsPrecedenceAndAssociativity() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "prec.policy", "let x = 1 - 2 - 3\nlet y = not true and false or true\n")
        let r = try PolicyProcess.run(["check", "--dump", "prec.policy"], currentDirectory: dir)
        assertNoCrash(r, "check --dump prec.policy")
        XCTAssertTrue(r.stdout.contains("(let x (- (- 1 2) 3))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(let y (or (and (not true) false) true))"), r.stdout)
    }

    // MARK: - Colour

    func testNoEscapeCodesWhenPiped() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "bad.policy", "let x = 1 ! 2\nlet y = \"open\n")
        for env in [[:], ["NO_COLOR": "1"], ["TERM": "xterm-256color", "CLICOLOR_FORCE": "1"]] {
            let r = try PolicyProcess.run(["check", "bad.policy"], environment: env, currentDirectory: dir)
            XCTAssertEqual(r.status, 65)
            XCTAssertFalse(r.stderr.contains("\u{1B}"), "escape codes on a pipe with \(env): \(r.stderr)")
        }
        let r = try PolicyProcess.run(["check", "--no-color", "bad.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), r.stderr)
    }

    /// Under a real terminal colour is on, and `NO_COLOR` / `--no-color` turn it off.
    func testColourOnATerminalAndItsSwitches() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "bad.policy", "let x = 1 ! 2\n")
        guard let coloured = try runUnderTerminal(["check", "bad.policy"], currentDirectory: dir) else {
            throw XCTSkip("util-linux 'script' is not installed")
        }
        XCTAssertEqual(coloured.status, 65)
        XCTAssertTrue(coloured.output.contains("\u{1B}["), "no colour on a terminal: \(coloured.output)")
        XCTAssertTrue(coloured.output.contains("bad.policy:1:11"), coloured.output)

        let noColor = try XCTUnwrap(runUnderTerminal(["check", "bad.policy"], environment: ["NO_COLOR": "1"],
                                                     currentDirectory: dir))
        XCTAssertEqual(noColor.status, 65)
        XCTAssertFalse(noColor.output.contains("\u{1B}"), "NO_COLOR ignored: \(noColor.output)")
        XCTAssertTrue(noColor.output.contains("error: unexpected character '!'"), noColor.output)

        let flag = try XCTUnwrap(runUnderTerminal(["check", "--no-color", "bad.policy"], currentDirectory: dir))
        XCTAssertEqual(flag.status, 65)
        XCTAssertFalse(flag.output.contains("\u{1B}"), "--no-color ignored: \(flag.output)")
    }
}
