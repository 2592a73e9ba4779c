import Foundation
import XCTest

/// Behaviour the product gets wrong today. Each test asserts the CORRECT behaviour, so it
/// fails until the bug is fixed; then move it next to its topic's tests.
final class KnownProductBugsTests: XCTestCase {
    // MARK: - Usage errors exit 64 (ArgumentParser's EX_USAGE) instead of 2 (LANGUAGE.md §8)

    func testUsageErrorsExit2() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "u.policy", "let x = 1\n")
        for args in [["--frobnicate"], ["check", "--frobnicate", "u.policy"],
                     ["fmt", "--frobnicate", "u.policy"], ["check"], ["fmt"],
                     ["fmt", "--check", "--write", "u.policy"]] {
            let r = try PolicyProcess.run(args, currentDirectory: dir)
            assertNoCrash(r, "policy \(args.joined(separator: " "))")
            XCTAssertEqual(r.status, 2, "policy \(args.joined(separator: " ")) must exit 2; stderr: \(r.stderr)")
        }
    }

    // MARK: - Long left-leaning chains are not bounded by the nesting limit

    /// `1+1+…+1` (or `a.b.b.b…`, `x under s under s…`, `x with {…} with {…}…`) builds a tree
    /// as deep as the chain is long: the nesting limit (§9.20) does not see it. `check`
    /// survives, but `check --dump` and `fmt` recurse over the tree and die of a stack
    /// overflow (SIGSEGV) at 300,000 terms — a 600 KB file. They are also quadratic:
    /// 50,000 terms take ~1 s, 100,000 ~3 s, 200,000 ~12 s (debug). Accepted (exit 0) or
    /// rejected with a diagnostic (65) are both fine; a crash or a 30-s run is not.
    func testLongBinaryChainDoesNotCrashDumpOrFmt() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "chain.policy", "let x = " + String(repeating: "1+", count: 300_000) + "1\n")
        for args in [["check", "--dump"], ["fmt"]] {
            let r = try PolicyProcess.run(args + ["chain.policy"], currentDirectory: dir, timeout: 30)
            assertNoCrash(r, "policy \(args.joined(separator: " ")) on a 300,000-term sum")
            if r.status != 0, !r.crashed, !r.timedOut { assertRejected(r, path: "chain.policy") }
        }
    }

    func testLongMemberChainDoesNotCrashFmt() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "members.policy", "let x = y" + String(repeating: ".a", count: 300_000) + "\n")
        let r = try PolicyProcess.run(["fmt", "members.policy"], currentDirectory: dir, timeout: 30)
        assertNoCrash(r, "policy fmt on a 300,000-long member chain")
        if r.status != 0, !r.crashed, !r.timedOut { assertRejected(r, path: "members.policy") }
    }

    /// `x under s under s …` and `x at D at D …` are not covered by the "expression too
    /// long (more than 10000 operators in a row)" limit that binary chains now get:
    /// `policy check` dies of SIGSEGV at 200,000 links (1.6 MB), and `policy fmt` is
    /// quadratic — an `at` chain of 50,000 links takes ~4 s, 100,000 ~18 s, 200,000 ~98 s.
    func testLongUnderAndAtChainsDoNotCrashCheck() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "under.policy", "scenario s {}\nlet x = 1" + String(repeating: " under s", count: 300_000) + "\n")
        try writeFile(dir, "at.policy", "let x = 1" + String(repeating: " at 2020-01-01", count: 300_000) + "\n")
        for name in ["under.policy", "at.policy"] {
            let r = try PolicyProcess.run(["check", name], currentDirectory: dir, timeout: 30)
            assertNoCrash(r, "policy check \(name) (300,000 links)")
            if r.status != 0, !r.crashed, !r.timedOut { assertRejected(r, path: name) }
        }
    }

    func testLongAtChainDoesNotHangFmt() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "at.policy", "let x = 1" + String(repeating: " at 2020-01-01", count: 300_000) + "\n")
        // Linear work on 4 MB takes about a second in a debug build; allow ten.
        let r = try PolicyProcess.run(["fmt", "at.policy"], currentDirectory: dir, timeout: 10)
        assertNoCrash(r, "policy fmt at.policy (300,000 links)")
        if r.status != 0, !r.crashed, !r.timedOut { assertRejected(r, path: "at.policy") }
    }

    // MARK: - Messages quote source text without a bound

    /// The source line is windowed to ~120 bytes, but the message repeats the token in full:
    /// a 10 MB identifier gives a 10 MB `error:` line (likewise `integer 999…9 is too large`
    /// and `invalid suffix 'zzz…'`).
    func testMessagesDoNotQuoteHugeTokensInFull() throws {
        let dir = try scratchDirectory()
        let cases = [
            ("identifier.policy", "let x = 1 " + String(repeating: "a", count: 1_000_000) + "\n"),
            ("integer.policy", "let x = " + String(repeating: "9", count: 1_000_000) + "\n"),
            ("suffix.policy", "let x = 1" + String(repeating: "z", count: 1_000_000) + "\n"),
        ]
        for (name, text) in cases {
            try writeFile(dir, name, text)
            let r = try PolicyProcess.run(["check", name], currentDirectory: dir)
            assertRejected(r, path: name, maxLineBytes: 400)
        }
    }

    // MARK: - A number literal that overflows a double is accepted as infinity

    /// `let x = 1e999` checks fine (exit 0) and `--dump` shows `(let x inf)`, though
    /// `99999999999999999999` (an int) is rejected as too large.
    func testNumberLiteralOverflowIsAnError() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "inf.policy", "let x = 1e999\n")
        try writeFile(dir, "infpct.policy", "let x = 1e400%\n")
        for name in ["inf.policy", "infpct.policy"] {
            let r = try PolicyProcess.run(["check", name], currentDirectory: dir)
            assertRejected(r, path: name)
        }
    }

    // MARK: - Invalid UTF-8 in a comment is accepted, and fmt rewrites it

    /// LANGUAGE.md §2: "Source is UTF-8". Invalid bytes in code and strings are rejected,
    /// but in a comment they pass `check` (exit 0), and `fmt --write` silently replaces them
    /// with U+FFFD — changing the file's bytes without a word.
    func testInvalidUTF8InACommentIsRejected() throws {
        let dir = try scratchDirectory()
        let bytes = Data(Array("let x = 1 # caf".utf8) + [0xFF] + [0x0A] + Array("## doc ".utf8) + [0xC0, 0xAF, 0x0A]
                         + Array("let y = 2\n".utf8))
        let path = try writeFile(dir, "comment.policy", bytes)
        let r = try PolicyProcess.run(["check", "comment.policy"], currentDirectory: dir)
        let positions = assertRejected(r, path: "comment.policy")
        XCTAssertTrue(positions.contains("1:16"), "\(positions)")
        let w = try PolicyProcess.run(["fmt", "--write", "comment.policy"], currentDirectory: dir)
        XCTAssertNotEqual(w.status, 0)
        XCTAssertEqual(try readFile(path), bytes, "fmt --write changed the bytes of an invalid comment")
    }

    // MARK: - A raw NUL byte inside a string literal is accepted

    /// `let x = "a<NUL>b"` checks with exit 0 (a raw NUL outside a string is rejected).
    /// A NUL in source text is almost surely corruption (a binary file, a bad encoding);
    /// expected: a diagnostic and exit 65, like other NUL bytes.
    func testNULInsideAStringIsRejected() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "nul.policy", Data(Array("let x = \"a".utf8) + [0] + Array("b\"\n".utf8)))
        let r = try PolicyProcess.run(["check", "nul.policy"], currentDirectory: dir)
        assertRejected(r, path: "nul.policy")
    }

    // MARK: - fmt --write replaces a symbolic link with a regular file

    /// `writeAtomically` renames its temporary file over the path, so a symlink becomes a
    /// plain file holding the formatted text and the file it pointed to is left unformatted.
    func testWriteThroughASymbolicLink() throws {
        let dir = try scratchDirectory()
        let target = try writeFile(dir, "real.policy", "let   x=1\n")
        let link = dir.appendingPathComponent("link.policy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.policy")
        let r = try PolicyProcess.run(["fmt", "--write", "link.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeSymbolicLink, "the symbolic link was replaced by a regular file")
        XCTAssertEqual(String(decoding: try readFile(target), as: UTF8.self), "let x = 1\n",
                       "the link's target was not formatted")
    }
}
