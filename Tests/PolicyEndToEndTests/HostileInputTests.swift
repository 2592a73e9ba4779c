import Foundation
import XCTest

/// Inputs meant to break the front end. Each must end in a diagnostic with `file:line:col`
/// on stderr and exit 65 — never a crash (a signal, status ≥ 128), never a hang.
final class HostileInputTests: XCTestCase {
    /// Writes `bytes` and runs `policy check` on it (relative path, so positions read
    /// `name:line:col`).
    func check(_ name: String, _ bytes: Data, args: [String] = ["check"], timeout: TimeInterval = 60,
               file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        try writeFile(dir, name, bytes)
        return try PolicyProcess.run(args + [name], currentDirectory: dir, timeout: timeout, file: file, line: line)
    }

    func check(_ name: String, _ text: String, args: [String] = ["check"],
               file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        try check(name, Data(text.utf8), args: args, file: file, line: line)
    }

    /// Rejected by both `check` and `fmt`, with a located diagnostic.
    func assertRejectedEverywhere(_ name: String, _ bytes: Data, maxLineBytes: Int? = 400,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        for args in [["check"], ["fmt"]] {
            let r = try check(name, bytes, args: args, file: file, line: line)
            assertRejected(r, path: name, maxLineBytes: maxLineBytes, file: file, line: line)
        }
    }

    func assertRejectedEverywhere(_ name: String, _ text: String, maxLineBytes: Int? = 400,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRejectedEverywhere(name, Data(text.utf8), maxLineBytes: maxLineBytes, file: file, line: line)
    }

    // MARK: - Random input

    func testSeededRandomBytes() throws {
        var rng = SplitMix64(seed: 0x5EED_2024)
        let dir = try scratchDirectory()
        var names: [String] = []
        for i in 0..<20 {
            let count = Int(rng.next() % 4_096) + 1
            var bytes = Data(count: count)
            for j in 0..<count { bytes[j] = UInt8(truncatingIfNeeded: rng.next()) }
            // Always at least one byte that is never valid UTF-8, so the file must be rejected.
            bytes[Int(rng.next() % UInt64(count))] = 0xFF
            let name = "random\(i).policy"
            try writeFile(dir, name, bytes)
            names.append(name)
        }
        for name in names {
            let r = try PolicyProcess.run(["check", name], currentDirectory: dir)
            assertRejected(r, path: name)
            let f = try PolicyProcess.run(["fmt", name], currentDirectory: dir)
            assertRejected(f, path: name)
        }
        // All at once: every file is reported.
        let all = try PolicyProcess.run(["check"] + names, currentDirectory: dir)
        assertNoCrash(all, "check on 20 random files")
        XCTAssertEqual(all.status, 65)
        for name in names {
            XCTAssertTrue(all.stderr.contains(" --> \(name):"), "\(name) not reported when checked with the others")
        }
    }

    func testRandomPrintableASCIISoup() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array((0x20...0x7E).map { Character(UnicodeScalar(UInt8($0))) }) + ["\n", "\n", "\t"]
        let dir = try scratchDirectory()
        for i in 0..<5 {
            var soup = ""
            for _ in 0..<8_000 { soup.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            soup += "\n) !\n" // certainly not a valid program
            let name = "soup\(i).policy"
            try writeFile(dir, name, soup)
            assertRejected(try PolicyProcess.run(["check", name], currentDirectory: dir), path: name)
            assertRejected(try PolicyProcess.run(["fmt", name], currentDirectory: dir), path: name)
        }
    }

    /// Token soup: real tokens of the language in random order.
    func testRandomTokenSoup() throws {
        var rng = SplitMix64(seed: 7)
        let tokens = ["let", "x", "=", "(", ")", "[", "]", "{", "}", ",", ":", ".", "..", "+", "-", "*", "/",
                      "==", "<=", "if", "then", "else", "not", "and", "or", "in", "within", "policy", "by",
                      "event", "on", "2012-12-21", "30 days", "8%", "1_000", "1.5e3", "\"s\"", "\n", "\n",
                      "record", "enum", "when", "for", "after", "enact", "repeal", "scenario", "cancel",
                      "population", "test", "assert", "under", "at", "with", "#c\n", "## d\n", "set of", "list of"]
        let dir = try scratchDirectory()
        for i in 0..<10 {
            var soup = ""
            for _ in 0..<3_000 { soup += tokens[Int(rng.next() % UInt64(tokens.count))] + " " }
            soup += "\n) }\n"
            let name = "tokens\(i).policy"
            try writeFile(dir, name, soup)
            assertRejected(try PolicyProcess.run(["check", name], currentDirectory: dir), path: name)
            assertRejected(try PolicyProcess.run(["fmt", name], currentDirectory: dir), path: name)
        }
    }

    // MARK: - Huge lines

    /// 10 MB of identifiers on one line: the shown source line is a window, not 10 MB.
    func testTenMegabyteLineOfIdentifiers() throws {
        let text = String(repeating: "a ", count: 5_000_000) + "\n"
        let r = try check("identifiers.policy", text)
        assertRejected(r, path: "identifiers.policy", maxLineBytes: 300)
        XCTAssertTrue(r.stderr.contains("error: line too long (10,000,000 characters; the limit is 1,000,000)"), String(r.stderr.prefix(500)))
        XCTAssertTrue(r.stderr.contains(" --> identifiers.policy:1:1000001"), String(r.stderr.prefix(500)))
        XCTAssertLessThan(r.stderr.utf8.count, 100_000, "stderr is \(r.stderr.utf8.count) bytes")
    }

    /// A 3 MB list on one line with a stray `)` at the very end: the error is found at the
    /// end, and the line is shown as a window around it.
    func testLongListWithAStrayErrorAtTheEnd() throws {
        let elements = 1_000_000
        let text = "let x = [" + String(repeating: "1, ", count: elements) + "1 )\n"
        // Past the default line limit (1,000,000 characters), which is raised here.
        let r = try check("list.policy", text, args: ["check", "--limit", "line=5000000"])
        let positions = assertRejected(r, path: "list.policy", maxLineBytes: 300)
        XCTAssertEqual(positions, ["1:\(9 + elements * 3 + 3)"])
        XCTAssertTrue(r.stderr.contains("']' expected (to close '[' at line 1), found ')'"), String(r.stderr.prefix(500)))
        XCTAssertTrue(r.stderr.contains("…"), "the long line is not windowed")
    }

    /// A long sum is refused once it has too many operators in a row (so no tree is deeper
    /// than the stack allows); the diagnostic still points into the line, windowed.
    func testVeryLongSumIsRefusedCleanly() throws {
        let text = "let x = " + String(repeating: "1 + ", count: 200_000) + "1\n"
        for args in [["check"], ["check", "--dump"], ["fmt"]] {
            let r = try check("sum.policy", text, args: args)
            assertRejected(r, path: "sum.policy", maxLineBytes: 300)
        }
    }

    /// 10 MB inside an unterminated string.
    func testTenMegabyteUnterminatedString() throws {
        let text = "let s = \"" + String(repeating: "x", count: 10_000_000)
        let r = try check("longstring.policy", text)
        assertRejected(r, path: "longstring.policy", maxLineBytes: 300)
        XCTAssertTrue(r.stderr.contains("error: unterminated string"), String(r.stderr.prefix(500)))
    }

    // MARK: - Deep nesting (LANGUAGE.md §9.20: `nesting too deep`, exit 65)

    func assertNestingTooDeep(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for args in [["check"], ["fmt"]] {
            let r = try check(name, text, args: args, file: file, line: line)
            assertRejected(r, path: name, maxLineBytes: 300, file: file, line: line)
            XCTAssertTrue(r.stderr.contains("nesting too deep"), String(r.stderr.prefix(500)), file: file, line: line)
        }
    }

    static let deep = 100_000

    func testHundredThousandOpenParentheses() throws {
        try assertNestingTooDeep("parens.policy", "let x = " + String(repeating: "(", count: Self.deep) + "1\n")
    }

    func testHundredThousandBalancedParentheses() throws {
        try assertNestingTooDeep("balanced.policy",
                                 "let x = " + String(repeating: "(", count: Self.deep) + "1"
                                 + String(repeating: ")", count: Self.deep) + "\n")
    }

    func testHundredThousandUnaryMinus() throws {
        try assertNestingTooDeep("minus.policy", "let x = " + String(repeating: "-", count: Self.deep) + "1\n")
    }

    func testHundredThousandNot() throws {
        try assertNestingTooDeep("not.policy", "let x = " + String(repeating: "not ", count: Self.deep) + "true\n")
    }

    func testHundredThousandNestedSetBraces() throws {
        try assertNestingTooDeep("braces.policy",
                                 "let x = " + String(repeating: "{", count: Self.deep) + "1"
                                 + String(repeating: "}", count: Self.deep) + "\n")
    }

    func testHundredThousandNestedListBrackets() throws {
        try assertNestingTooDeep("brackets.policy",
                                 "let x = " + String(repeating: "[", count: Self.deep) + "1"
                                 + String(repeating: "]", count: Self.deep) + "\n")
    }

    func testDeeplyNestedIfThenElse() throws {
        let n = 20_000
        try assertNestingTooDeep("ifs.policy",
                                 "let x = " + String(repeating: "if true then ", count: n) + "1"
                                 + String(repeating: " else 2", count: n) + "\n")
        // Nested in the else branch, one per line.
        try assertNestingTooDeep("elses.policy",
                                 "let x =\n" + String(repeating: "  if true then 1 else\n", count: n) + "  2\n")
    }

    func testDeeplyNestedCallsTypesAndBlocks() throws {
        let n = 20_000
        try assertNestingTooDeep("calls.policy",
                                 "let x = " + String(repeating: "f(", count: n) + "1" + String(repeating: ")", count: n) + "\n")
        try assertNestingTooDeep("types.policy", "param p: " + String(repeating: "set of ", count: n) + "int = 1\n")
        try assertNestingTooDeep("effects.policy",
                                 "event e on 2020-01-01 {\n" + String(repeating: "after 1 day {\n", count: n)
                                 + String(repeating: "}\n", count: n) + "}\n")
    }

    /// Just under the limit is fine (the limit is about depth, not about the file).
    func testNestingJustUnderTheLimitIsAccepted() throws {
        let n = 900
        let text = "let x = " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + "\n"
        let r = try check("ok.policy", text)
        assertNoCrash(r, "900 parentheses")
        XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500)))
        let f = try check("ok.policy", text, args: ["fmt"])
        assertNoCrash(f, "fmt 900 parentheses")
        XCTAssertEqual(f.status, 0, String(f.stderr.prefix(500)))
    }

    // MARK: - Unterminated constructs at EOF

    func testUnterminatedStringAtEOF() throws {
        let r = try check("eofstring.policy", "let ok = 1\nlet s = \"no end")
        let positions = assertRejected(r, path: "eofstring.policy")
        XCTAssertEqual(positions, ["2:9"])
        XCTAssertTrue(r.stderr.contains("error: unterminated string"), r.stderr)
    }

    func testUnterminatedBlockAtEOF() throws {
        let r = try check("eofblock.policy", "let ok = 1\n\npolicy p by x {")
        assertRejected(r, path: "eofblock.policy")
        XCTAssertTrue(r.stderr.contains("'}' expected (to close '{' at line 3)"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> eofblock.policy:3:"), r.stderr)

        let withNewline = try check("eofblock2.policy", "policy p by x {\n")
        assertRejected(withNewline, path: "eofblock2.policy")
        XCTAssertTrue(withNewline.stderr.contains("'}' expected (to close '{' at line 1)"), withNewline.stderr)
    }

    func testUnterminatedBracketsAtEOF() throws {
        for (name, text) in [("p.policy", "let x = (1 + 2"), ("l.policy", "let x = [1, 2"),
                             ("s.policy", "let x = {1, 2"), ("r.policy", "record r {\n  a: int\n"),
                             ("i.policy", "let x = if true then 1"), ("o.policy", "let x = 1 +")] {
            try assertRejectedEverywhere(name, text)
        }
    }

    // MARK: - Encodings and odd bytes

    func testInvalidUTF8OutsideStrings() throws {
        let cases: [(String, [UInt8])] = [
            ("fffe.policy", Array("let x = 1 ".utf8) + [0xFF, 0xFE] + [0x0A]),
            ("truncated.policy", Array("let x = ".utf8) + [0xE2, 0x82] + [0x0A]),
            ("overlong.policy", Array("let ".utf8) + [0xC0, 0xAF] + Array(" = 1\n".utf8)),
            ("surrogate.policy", Array("let x = ".utf8) + [0xED, 0xA0, 0x80] + [0x0A]),
            ("eof.policy", Array("let x = 1 ".utf8) + [0xE2, 0x82]),
            ("bare-continuation.policy", [0x80, 0x80, 0x0A]),
        ]
        for (name, bytes) in cases {
            try assertRejectedEverywhere(name, Data(bytes))
            let r = try check(name, Data(bytes))
            XCTAssertTrue(r.stderr.contains("invalid UTF-8"), "\(name): \(r.stderr)")
        }
    }

    func testInvalidUTF8InsideStrings() throws {
        let cases: [(String, [UInt8])] = [
            ("s-fffe.policy", Array("let x = \"a".utf8) + [0xFF, 0xFE] + Array("b\"\n".utf8)),
            ("s-truncated.policy", Array("let x = \"".utf8) + [0xE2, 0x82] + Array("\"\n".utf8)),
            ("s-overlong.policy", Array("let x = \"".utf8) + [0xC0, 0xAF] + Array("\"\n".utf8)),
            ("s-overlong3.policy", Array("let x = \"".utf8) + [0xE0, 0x80, 0xAF] + Array("\"\n".utf8)),
            ("s-toobig.policy", Array("let x = \"".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("\"\n".utf8)),
        ]
        for (name, bytes) in cases {
            try assertRejectedEverywhere(name, Data(bytes))
            let r = try check(name, Data(bytes))
            XCTAssertTrue(r.stderr.contains("invalid UTF-8"), "\(name): \(r.stderr)")
        }
    }

    func testNULBytesOutsideStrings() throws {
        try assertRejectedEverywhere("nul1.policy", Data(Array("let x = 1".utf8) + [0] + [0x0A]))
        try assertRejectedEverywhere("nul2.policy", Data([0, 0, 0]))
        try assertRejectedEverywhere("nul3.policy", Data(Array("let x = 1\n".utf8) + [0] + Array("let y = 2\n".utf8)))
        // The NUL is shown harmlessly (not written raw to the terminal).
        let r = try check("nul1.policy", Data(Array("let x = 1".utf8) + [0] + [0x0A]))
        XCTAssertFalse(r.stderr.utf8.contains(0), "a raw NUL byte was written to stderr")
    }

    func testOnlyClosingBraces() throws {
        let r = try check("braces.policy", "}}}}")
        let positions = assertRejected(r, path: "braces.policy")
        XCTAssertEqual(positions, ["1:1", "1:2", "1:3", "1:4"])
        XCTAssertTrue(r.stderr.contains("unexpected '}' with nothing to close"), r.stderr)
        try assertRejectedEverywhere("closers.policy", "))]]}}\n)\n")
    }

    func testCRLFLineEndingsAreAccepted() throws {
        let text = "# a comment\r\nenum e { a, b }\r\nlet x = 1 +\r\n  2\r\nrecord r {\r\n  a: int\r\n  b: int = 2\r\n}\r\n"
        let r = try check("crlf.policy", text)
        assertNoCrash(r, "check crlf.policy")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let f = try check("crlf.policy", text, args: ["fmt"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertFalse(f.stdout.contains("\r"), "fmt kept a carriage return")
    }

    func testCRLFErrorsPointAtTheRightLineAndColumn() throws {
        let r = try check("crlfbad.policy", "let y = 1\r\nlet x = 1 ! 2\r\n")
        XCTAssertEqual(assertRejected(r, path: "crlfbad.policy"), ["2:11"])
        XCTAssertFalse(r.stderr.contains("\r"), "a carriage return in the rendered line")
    }

    func testControlCharactersAreNotEchoedRaw() throws {
        // An escape sequence in the source must not reach the terminal as one.
        let bytes = Data(Array("let x = 1 ".utf8) + [0x1B] + Array("[2J ! 2\n".utf8))
        let r = try check("esc.policy", bytes)
        assertRejected(r, path: "esc.policy")
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "a raw ESC byte was written to stderr")
    }

    func testTokensThatAreTooLarge() throws {
        try assertRejectedEverywhere("bigint.policy", "let x = 99999999999999999999999\n")
        try assertRejectedEverywhere("baddate.policy", "let d = 2013-13-01\n")
        try assertRejectedEverywhere("oldyear.policy", "let d = 1700-01-01\n")
        try assertRejectedEverywhere("badescape.policy", "let s = \"\\q\"\n")
        try assertRejectedEverywhere("badunicode.policy", "let s = \"\\u{110000}\"\n")
        try assertRejectedEverywhere("surrogateescape.policy", "let s = \"\\u{D800}\"\n")
        try assertRejectedEverywhere("underscore.policy", "let x = 1_\n")
    }

    // MARK: - Long chains (left-leaning trees that the nesting limit does not see)

    /// `1+1+…+1`, `y.a.a.a…`, `x under s under s…` and `x at D at D…` build trees as deep as
    /// the chain is long. Regression: `check --dump` and `fmt` died of a stack overflow at
    /// 300,000 links, `check` at 200,000 `under`/`at` links, and `fmt` was quadratic (an
    /// `at` chain of 100,000 links took 18 s). Accepted (0) or refused with a located
    /// diagnostic (65) are both fine; a crash or a long run is not.
    func testLongChainsDoNotCrashOrCrawl() throws {
        let dir = try scratchDirectory()
        let n = 300_000
        let files = [
            ("sum.policy", "let x = " + String(repeating: "1+", count: n) + "1\n"),
            ("members.policy", "let x = y" + String(repeating: ".a", count: n) + "\n"),
            ("under.policy", "scenario s {}\nlet x = 1" + String(repeating: " under s", count: n) + "\n"),
            ("at.policy", "let x = 1" + String(repeating: " at 2020-01-01", count: n) + "\n"),
        ]
        for (name, text) in files {
            try writeFile(dir, name, text)
            for args in [["check"], ["check", "--dump"], ["fmt"]] {
                let r = try PolicyProcess.run(args + [name], currentDirectory: dir, timeout: 20)
                assertNoCrash(r, "policy \(args.joined(separator: " ")) \(name) (\(n) links)")
                if r.status != 0, !r.crashed, !r.timedOut { assertRejected(r, path: name, maxLineBytes: 300) }
            }
        }
    }

    // MARK: - Messages stay short

    /// The source line is windowed to ~120 bytes; the message must not repeat a huge token
    /// in full either. Regression: a 1 MB identifier gave a 1 MB `error:` line (likewise
    /// `integer 999…9 is too large` and `invalid suffix 'zzz…'`).
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

    /// Regression: a cycle of 2,000 `let`s was one `error: cycle: a0 → a1 → …` line of ~19 KB.
    func testCycleMessageIsBounded() throws {
        let dir = try scratchDirectory()
        let n = 2_000
        try writeFile(dir, "cycle.policy", (0..<n).map { "let a\($0) = a\(($0 + 1) % n)\n" }.joined())
        let r = try PolicyProcess.run(["check", "cycle.policy"], currentDirectory: dir)
        assertRejected(r, path: "cycle.policy", maxLineBytes: 1_000)
        XCTAssertTrue(r.stderr.contains("cycle"), String(r.stderr.prefix(300)))
    }

    // MARK: - Literals and bytes that used to slip through

    /// Regression: `1e999` was accepted as infinity (`--dump` showed `(let x inf)`).
    func testNumberLiteralOverflowIsAnError() throws {
        try assertRejectedEverywhere("inf.policy", "let x = 1e999\n")
        try assertRejectedEverywhere("infpct.policy", "let x = 1e400%\n")
    }

    /// LANGUAGE.md §2: "Source is UTF-8" — comments included. Regression: invalid bytes in
    /// a comment passed `check`, and `fmt --write` silently replaced them with U+FFFD.
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

    /// A raw NUL inside a string literal is corruption, not text. Regression: it was accepted.
    func testNULInsideAStringIsRejected() throws {
        try assertRejectedEverywhere("nulstring.policy", Data(Array("let x = \"a".utf8) + [0] + Array("b\"\n".utf8)))
    }

    // MARK: - Machine formats hold any value

    /// A population whose every case has x = 1e19, so sums reach 9.0e19.
    static let hugeValues = """
        jurisdiction usa: federal
        jurisdiction illinois: state in usa
        jurisdiction cook: county in illinois
        jurisdiction attributes { w: int = 1 }
        enum sort { plain, odd }
        record r {
          date: date
          jurisdiction: jurisdiction
          sort: sort = plain
          x: number = 0
        }
        population p of r {
          size 9
          seed 1
          date uniform 2013-01-01 .. 2013-12-31
          jurisdiction weighted by w
          sort { plain: 50%, odd: 50% }
          x = 1e19
        }

        """

    /// Splits what `--format json` printed into its JSON documents (one per value or table)
    /// and parses each with JSONSerialization; fails on any text that is not JSON.
    /// The payload of each result of the one document `--format json` prints: a value, a
    /// table's rows, a chart as rows of `key` and one member per series.
    func jsonDocuments(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) -> [Any] {
        guard let results = JSONDocument.results(stdout) else {
            XCTFail("--format json did not print one document {\"results\": […]}:\n\(stdout)", file: file, line: line)
            return []
        }
        return results.map { r -> Any in
            switch r["kind"] as? String {
            case "value": return r["value"] ?? NSNull()
            case "table": return r["rows"] ?? []
            case "chart":
                let keys = r["keys"] as? [String] ?? []
                let series = r["series"] as? [[String: Any]] ?? []
                return keys.enumerated().map { i, k -> [String: Any] in
                    var row: [String: Any] = ["key": k]
                    for s in series { if let name = s["name"] as? String, let v = s["values"] as? [Any], i < v.count { row[name] = v[i] } }
                    return row
                }
            default: return r
            }
        }
    }

    func testJSONFormatPrintsValidJSONForValuesAndTables() throws {
        let program = Self.hugeValues + """
            1e19
            9.0e19
            3
            -0.5
            true
            "a \\"q\\", b"
            2013-01-01
            30 days
            [1, 2]
            table sum(x), mean(x), count by sort from p
            table sum(x) by year from p
            plot sum(x) by sort from p

            """
        let dir = try scratchDirectory()
        try writeFile(dir, "huge.policy", program)
        let r = try PolicyProcess.run(["run", "--no-color", "--format", "json", "huge.policy"], currentDirectory: dir)
        assertNoCrash(r, "run --format json huge.policy")
        XCTAssertEqual(r.status, 0, r.stderr)
        let docs = jsonDocuments(r.stdout)
        XCTAssertEqual(docs.count, 12, "one JSON document per value and table:\n\(r.stdout)")
        guard docs.count == 12 else { return }
        XCTAssertEqual((docs[0] as? NSNumber)?.doubleValue, 1e19)
        XCTAssertEqual((docs[1] as? NSNumber)?.doubleValue, 9.0e19)
        XCTAssertEqual((docs[2] as? NSNumber)?.intValue, 3)
        XCTAssertEqual((docs[3] as? NSNumber)?.doubleValue, -0.5)
        XCTAssertEqual(docs[4] as? Bool, true)
        XCTAssertEqual(docs[5] as? String, "a \"q\", b")
        XCTAssertEqual(docs[6] as? String, "2013-01-01", "a date is printed as a JSON string")
        XCTAssertEqual(docs[7] as? String, "30 days", "a duration is printed as a JSON string")
        XCTAssertEqual((docs[8] as? [NSNumber])?.map(\.intValue), [1, 2])
        let rows = docs[9] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.count, 2, "\(docs[9])")
        let plain = rows.first { $0["sort"] as? String == "plain" }
        XCTAssertEqual((plain?["sum(x)"] as? NSNumber)?.doubleValue, 5e19)
        XCTAssertEqual((plain?["mean(x)"] as? NSNumber)?.doubleValue, 1e19)
        XCTAssertEqual((plain?["count"] as? NSNumber)?.intValue, 5)
        let years = docs[10] as? [[String: Any]] ?? []
        XCTAssertEqual(years.count, 1)
        XCTAssertEqual((years.first?["sum(x)"] as? NSNumber)?.doubleValue, 9.0e19, "the total 9.0e19 reads back")
        let chart = docs[11] as? [[String: Any]] ?? []
        XCTAssertEqual(chart.compactMap { ($0["baseline"] as? NSNumber)?.doubleValue }.sorted(), [4e19, 5e19])
    }

    /// Not-a-number results are `null` in JSON, as in tables.
    func testJSONFormatPrintsNullForNonFiniteValues() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "inf.policy", "1e308 * 10\n")
        let r = try PolicyProcess.run(["run", "--no-color", "--format", "json", "inf.policy"], currentDirectory: dir)
        assertNoCrash(r, "run --format json inf.policy")
        // Either an error (infinity is refused) or a JSON value: never `inf`.
        if r.status == 0 {
            let docs = jsonDocuments(r.stdout)
            XCTAssertEqual(docs.count, 1, r.stdout)
            XCTAssertTrue(docs.first is NSNull, "\(r.stdout)")
        } else {
            // The document holds the error, as stderr does.
            XCTAssertEqual(JSONDocument.results(r.stdout)?.first?["kind"] as? String, "error", r.stdout)
            XCTAssertTrue(r.stderr.contains("error: "), r.stderr)
        }
    }

    /// Reads RFC 4180 CSV: quoted fields with doubled quotes; records end at LF or CRLF.
    func csvRecords(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false
        var it = Array(text.unicodeScalars)[...]
        while let u = it.popFirst() {
            if quoted {
                if u == "\"" {
                    if it.first == "\"" { it.removeFirst(); field.unicodeScalars.append(u) } else { quoted = false }
                } else { field.unicodeScalars.append(u) }
            } else if u == "\"" {
                quoted = true
            } else if u == "," {
                record.append(field); field = ""
            } else if u == "\n" || u == "\r" {
                if u == "\r", it.first == "\n" { it.removeFirst() }
                record.append(field); records.append(record); record = []; field = ""
            } else { field.unicodeScalars.append(u) }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    func testCSVFormatOfHugeValuesParsesBack() throws {
        let dir = try scratchDirectory()
        for (name, query, header) in [
            ("by-sort.policy", "table sum(x), mean(x), count by sort from p", ["sort", "sum(x)", "mean(x)", "count"]),
            ("by-year.policy", "table sum(x) by year from p", ["year", "sum(x)"]),
        ] {
            try writeFile(dir, name, Self.hugeValues + query + "\n")
            let r = try PolicyProcess.run(["run", "--no-color", "--format", "csv", name], currentDirectory: dir)
            assertNoCrash(r, "run --format csv \(name)")
            XCTAssertEqual(r.status, 0, r.stderr)
            let records = csvRecords(CSVOutput.tables(r.stdout))
            XCTAssertEqual(records.first, header, r.stdout)
            for rec in records.dropFirst() {
                XCTAssertEqual(rec.count, header.count, "\(rec) in\n\(r.stdout)")
                for (h, cell) in zip(header, rec) where h.hasPrefix("sum") || h.hasPrefix("mean") {
                    guard let v = Double(cell) else { XCTFail("\(h): '\(cell)' is not a number\n\(r.stdout)"); continue }
                    XCTAssertTrue(v.isFinite && v >= 1e19, "\(h): \(cell)")
                }
            }
            let total = records.dropFirst().compactMap { Double($0[1]) }.reduce(0, +)
            XCTAssertEqual(total, 9.0e19, "the sums add up to 9.0e19\n\(r.stdout)")
        }
    }

    /// Keys holding a CR, a CRLF or a quote followed by a combining mark: the CSV must read
    /// back as the table. Regression: such fields were written unquoted (CR, CRLF) or with
    /// the quote not doubled, so the records split or ran together.
    func testCSVOfKeysWithLineEndsAndQuotesParsesBack() throws {
        let input = FuzzRegressionTests.regressions.appendingPathComponent("render/hostile-csv-line-ends-and-quotes.policy")
        let r = try PolicyProcess.run(["run", "--no-color", "--format", "csv", input.path])
        assertNoCrash(r, "run --format csv \(input.lastPathComponent)")
        XCTAssertEqual(r.status, 0, r.stderr)
        let records = csvRecords(CSVOutput.tables(r.stdout))
        // The table (header and one row), then the plot's numbers (header and one row).
        XCTAssertEqual(records.count, 4, "\(records)\n\(r.stdout.debugDescription)")
        guard records.count == 4 else { return }
        XCTAssertEqual(records[0], ["cr", "crlf", "mark", "count", "sum(x)"])
        XCTAssertEqual(records[1].map { Array($0.unicodeScalars) },
                       ["cr\rhere", "crlf\r\nthere", "say \"hi\"\u{301}, ok", "3", "3e+19"].map { Array($0.unicodeScalars) },
                       "\(records[1])")
        XCTAssertEqual(records[2], ["cr", "baseline"])
        XCTAssertEqual(records[3].first.map { Array($0.unicodeScalars) }, Array("cr\rhere".unicodeScalars))
    }
}
