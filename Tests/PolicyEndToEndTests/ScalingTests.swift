import Foundation
import XCTest

/// The checker stays fast on large, valid-looking files (these once took quadratic time:
/// forward-referencing let chains, and 'did you mean' for thousands of unknown names).
final class ScalingTests: XCTestCase {
    // MARK: - The checker is superlinear on some large, valid-looking files

    /// 20,000 `let`s that each name the next one (forward references, legal by §9.4):
    /// `check` takes ~33 s and 400 MB in a debug build (10,000: ~11 s, 200 MB; 5,000: ~3 s)
    /// — quadratic. The same chain written in order takes ~2 s. Expected: about linear.
    func testForwardReferenceChainIsNotQuadratic() throws {
        let dir = try scratchDirectory()
        let n = 20_000
        try writeFile(dir, "forward.policy", (0..<n).map { "let a\($0) = a\($0 + 1)\n" }.joined() + "let a\(n) = 1\n")
        let r = try PolicyProcess.run(["check", "forward.policy"], currentDirectory: dir, timeout: 8)
        assertNoCrash(r, "check on 20,000 forward-referencing lets")
        if !r.timedOut { XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500))) }
    }

    /// 3,000 unknown names (each `let bN = zzN`) take ~60 s to report (1,000: ~6 s; 2,000:
    /// ~28 s): the `did you mean` search is slow and runs against every declared name for
    /// every unknown one. Expected: seconds at most (bounded edit distance, length filter).
    func testManyUnknownNamesAreReportedQuickly() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "unknown.policy", (0..<3_000).map { "let b\($0) = zz\($0)\n" }.joined())
        // All of them shown (past the default of 100, the rest would only be counted).
        let r = try PolicyProcess.run(["check", "--limit", "errors=3000", "unknown.policy"], currentDirectory: dir, timeout: 8)
        assertNoCrash(r, "check on 3,000 unknown names")
        if !r.timedOut {
            assertRejected(r, path: "unknown.policy")
            XCTAssertEqual(r.stderr.components(separatedBy: "error: unknown name").count - 1, 3_000)
        }
    }

    /// One event that schedules an `after` for each of 100,000 jurisdictions: the queue of
    /// derived events took each one off its front by moving all the rest, and found each
    /// one's place by scanning (20 s in a release build). Expected: about linear.
    func testAfterForEveryJurisdictionIsNotQuadratic() throws {
        let dir = try scratchDirectory()
        let counties = (0..<100_000).map { "jurisdiction c\($0): county in usa\n" }.joined()
        try writeFile(dir, "fan.policy", "jurisdiction attributes { t: int = 0 }\njurisdiction usa: federal\n" + counties
            + "event kick on 2012-01-01 by usa { for j in jurisdictions { after 1 day { set j.t = 1 } } }\nc99999.t at 2012-01-03\n")
        let r = try PolicyProcess.run(["run", "fan.policy"], currentDirectory: dir, timeout: 30)
        assertNoCrash(r, "100,000 derived events on one date")
        if !r.timedOut {
            XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500)))
            XCTAssertEqual(r.stdout, "1\n")
        }
    }

    // MARK: - A session at the prompt does not slow down or grow as it goes on

    /// Piped `let` entries, each naming the one before: every entry once checked the whole
    /// session again and kept the programs before (1,000 entries: 379 MB; 4,000: 5.7 GB and
    /// 105 s). An entry now checks itself alone, so what the session holds grows by what the
    /// entries declare, a few kilobytes each. `:timing on` reports the memory in use after
    /// each entry; the growth from the 500th entry to the 3,000th is measured, not the time.
    func testMemoryPerEntryDoesNotGrowWithTheSession() throws {
        let n = 3_000
        let input = ":timing on\nlet v0 = 0\n" + (1...n).map { "let v\($0) = v\($0 - 1) + 1\n" }.joined() + "v\(n)\n"
        let r = try PolicyProcess.run([], stdin: Data(input.utf8), timeout: 120)
        assertNoCrash(r, "\(n) let entries")
        XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500)))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.suffix(2).first, "\(n)")
        let held = lines.compactMap { line -> Double? in
            guard let m = line.firstMatch(of: /, ([0-9.]+) MB in use\)$/) else { return nil }
            return Double(m.1)
        }
        XCTAssertEqual(held.count, n + 2, "a timing line per entry")
        guard held.count == n + 2 else { return }
        let growth = (held[n] - held[500]) * 1_000 / Double(n - 500) // kB per entry
        // About 4 kB per entry (10,000 entries: under 50 MB); 20 kB would still be 200 MB.
        XCTAssertLessThan(growth, 20, "memory per entry, kB (at entry 500: \(held[500]) MB; at \(n): \(held[n]) MB)")
    }

    /// `:timing on` also says how many cases an entry's aggregates went over: a query adds
    /// its population, each scenario of a compare once, an aggregate in an expression its own.
    func testTimingCountsTheCasesAnEntryWentOver() throws {
        let input = """
            jurisdiction usa: federal
            record r { date: date, jurisdiction: jurisdiction, n: int = 0 }
            population p of r {
              size 1_500
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction = usa
              n uniform 0 .. 9
            }
            :timing on
            count(p where n > 4) + count(p)
            table count by year from p
            let quiet = 1

            """
        let r = try PolicyProcess.run([], stdin: Data(input.utf8), timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let timings = r.stdout.split(separator: "\n").filter { $0.hasPrefix("(") && $0.hasSuffix(" in use)") }.map(String.init)
        XCTAssertEqual(timings.count, 3, r.stdout)
        guard timings.count == 3 else { return }
        XCTAssertTrue(timings[0].contains(" s, 3,000 cases, "), timings[0])
        XCTAssertTrue(timings[1].contains(" s, 1,500 cases, "), timings[1])
        XCTAssertFalse(timings[2].contains("cases"), "an entry that goes over no cases says nothing of them: \(timings[2])")
    }
}
