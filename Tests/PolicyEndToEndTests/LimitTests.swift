import Foundation
import XCTest

/// Every resource limit (`--limit NAME=N`): its error names the limit, points at the input
/// that crossed it, says how to raise it, and exits 65; raising the limit lets the input through.
final class LimitTests: XCTestCase {
    func run(_ args: [String], _ name: String, _ text: String, extra: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        try writeFile(dir, name, text)
        for (n, t) in extra { try writeFile(dir, n, t) }
        return try PolicyProcess.run(args + ["--no-color", name], currentDirectory: dir, file: file, line: line)
    }

    func assertLimit(_ r: PolicyProcess.Result, _ message: String, at position: String, raise name: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        assertNoCrash(r, message, file: file, line: line)
        XCTAssertEqual(r.status, 65, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("error: " + message), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(" --> " + position), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("--limit \(name)=N"), r.stderr, file: file, line: line)
    }

    func testNestingLimitCanBeLoweredAndRaised() throws {
        let deep = "let x = " + String(repeating: "(", count: 1_500) + "1" + String(repeating: ")", count: 1_500) + "\nx\n"
        assertLimit(try run(["run"], "deep.policy", deep), "nesting too deep (more than 1000 levels)",
                    at: "deep.policy:1:1009", raise: "nesting")
        let raised = try run(["run", "--limit", "nesting=2000"], "deep.policy", deep)
        XCTAssertEqual(raised.status, 0, raised.stderr)
        XCTAssertEqual(raised.stdout, "1\n")
        assertLimit(try run(["check", "--limit", "nesting=3"], "n.policy", "let x = ((((1))))\n"),
                    "nesting too deep (more than 3 levels)", at: "n.policy:1:12", raise: "nesting")
    }

    func testChainLimit() throws {
        assertLimit(try run(["check", "--limit", "chain=3"], "c.policy", "let x = 1 + 2 + 3 + 4 + 5\n"),
                    "expression too long (more than 3 operators in a row)", at: "c.policy:1:", raise: "chain")
        XCTAssertEqual(try run(["run", "--limit", "chain=4"], "c.policy", "let x = 1 + 2 + 3 + 4 + 5\nx\n").stdout, "15\n")
    }

    func testLineLimitPointsAtTheFirstCharacterPastIt() throws {
        let long = "let long_name = \"ééééé\" # and a comment ü" // 41 characters, 48 bytes
        let r = try run(["check", "--limit", "line=20"], "l.policy", "let short = 1\n" + long + "\n")
        assertLimit(r, "line too long (41 characters; the limit is 20)", at: "l.policy:2:21", raise: "line")
        XCTAssertEqual(try run(["check", "--limit", "line=41"], "l.policy", long + "\n").status, 0)
    }

    func testStringLimitCountsCharacters() throws {
        let r = try run(["check", "--limit", "string=4"], "s.policy", "let a = \"éééé\"\nlet b = \"ééééé\"\n")
        assertLimit(r, "string too long (5 characters; the limit is 4)", at: "s.policy:2:9", raise: "string")
        XCTAssertFalse(r.stderr.contains("s.policy:1:"), "a string at the limit is fine:\n\(r.stderr)")
    }

    func testFileSizeLimit() throws {
        let big = String(repeating: "let x = 1 # padding padding padding padding padding padding\n", count: 20_000)
        XCTAssertGreaterThan(big.utf8.count, 1 << 20)
        let r = try run(["check", "--limit", "file-mb=1"], "big.policy", big)
        assertLimit(r, "file too large (\(grouped(big.utf8.count)) bytes; the limit is 1 MB)", at: "big.policy:1:1", raise: "file-mb")
    }

    func testPopulationLimitAndMemoryEstimate() throws {
        let program = """
            jurisdiction usa: federal
            record b { date: date, jurisdiction: jurisdiction }
            population many of b {
              size 5_000
              date uniform 2013-01-01 .. 2013-12-31
              jurisdiction = usa
            }
            count(many)

            """
        assertLimit(try run(["run", "--limit", "population=1000"], "p.policy", program),
                    "population 'many' has 5,000 cases, more than the limit of 1,000", at: "p.policy:3:12", raise: "population")
        XCTAssertEqual(try run(["run", "--limit", "population=5000"], "p.policy", program).stdout, "5000\n")
        // Without a set limit, a population that cannot fit in memory is refused before it is built.
        let huge = program.replacingOccurrences(of: "size 5_000", with: "size 2_000_000_000")
        let r = try run(["run"], "p.policy", huge)
        assertNoCrash(r, "huge population")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: population 'many' of 2,000,000,000 cases needs about "), r.stderr)
        XCTAssertTrue(r.stderr.contains("of memory available"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--limit population=N"), r.stderr)
    }

    func testPopulationLimitAppliesToCSVFiles() throws {
        let program = """
            jurisdiction usa: federal
            record b { date: date, jurisdiction: jurisdiction }
            population rows of b from "rows.csv"
            count(rows)

            """
        let csv = "date,jurisdiction\n" + String(repeating: "2013-01-01,usa\n", count: 5)
        let r = try run(["run", "--limit", "population=3"], "p.policy", program, extra: ["rows.csv": csv])
        assertLimit(r, "the file has more than 3 cases, the population limit", at: "rows.csv:5:1", raise: "population")
    }

    func testCascadeLimit() throws {
        let program = """
            jurisdiction attributes { c: int = 0, code: int = 0 }
            jurisdiction usa: federal
            jurisdiction a: county in usa { code: 0 }
            jurisdiction b: county in usa { code: 2 }
            jurisdiction d: county in usa { code: 1 }
            let total: int = a.c + b.c + d.c
            let phase: int = total - floor(total / 3) * 3
            when j in jurisdictions where j.kind == county and phase == j.code as spin { set j.c = j.c + 1 }
            event kick on 2012-01-01 by usa
            a.c at 2012-01-02

            """
        let r = try run(["run", "--limit", "cascade=30"], "c.policy", program)
        assertLimit(r, "cascade limit (30 firings) exceeded on 2012-01-01: spin", at: "c.policy:8:1", raise: "cascade")
        XCTAssertTrue(r.stderr.contains("a reaction keeps undoing and redoing its own condition"), r.stderr)
    }

    func testCascadeLimitWithoutALoopSaysSo() throws {
        // Forty counties turn true once each on one date: no loop, just more firings than
        // a limit of 30 allows. The hint says so, instead of blaming a loop.
        let counties = (1...40).map { "jurisdiction k\($0): county in usa" }.joined(separator: "\n")
        let program = """
            jurisdiction attributes { marked: bool = false }
            jurisdiction usa: federal
            \(counties)
            param go: bool = false
            when j in jurisdictions where j.kind == county and go as mark { set j.marked = true }
            event kick on 2012-01-01 by usa { set go = true }
            k1.marked at 2012-01-02

            """
        let r = try run(["run", "--limit", "cascade=30"], "m.policy", program)
        assertLimit(r, "cascade limit (30 firings) exceeded on 2012-01-01: mark (j = k", at: "m.policy:44:1", raise: "cascade")
        XCTAssertTrue(r.stderr.contains("no binding fired twice: 31 different bindings turned true on this date, more than the limit; if that many are expected, raise the limit with --limit cascade=N"), r.stderr)
        XCTAssertFalse(r.stderr.contains("undoing"), r.stderr)
        XCTAssertEqual(try run(["run", "--limit", "cascade=40"], "m.policy", program).stdout, "true\n")
    }

    func testBadLimitSettingsAreUsageErrors() throws {
        for (setting, message) in [
            ("nest=3", "unknown limit 'nest' (limits: nesting, chain, file-mb, line, string, population, cascade, firings, errors, csv-mb, sweep, decompose, replicates)"),
            ("nesting", "--limit takes NAME=N, as in nesting=2000"),
            ("nesting=0", "--limit nesting must be a whole number from 1 to 20,000, not '0'"),
            ("line=lots", "--limit line must be a whole number from 1 to 1,000,000,000, not 'lots'"),
        ] {
            let r = try run(["check", "--limit", setting], "x.policy", "let x = 1\n")
            XCTAssertEqual(r.status, 2, "\(setting): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(setting): \(r.stderr)")
        }
        XCTAssertEqual(try run(["check", "--limit", "line=1_000"], "x.policy", "let x = 1\n").status, 0)
    }

    func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
