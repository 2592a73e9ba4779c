import Foundation
import XCTest

/// Answers where the memoised engine, the chunked adders and the general engine once
/// disagreed: each engine must print exactly what the others print, and what a person
/// working the figures out by hand would get.
final class EngineAgreementTests: XCTestCase {
    /// The default (memo where it applies), the general engine (chunks many cases at a
    /// time, with its kernels and without), the reference (every case alone), and other thread counts.
    let engines: [[String: String]] = [
        [:], ["POLICY_ENGINE": "general"], ["POLICY_ENGINE": "vectors"], ["POLICY_ENGINE": "scalar"], ["POLICY_ENGINE": "memo"], ["POLICY_THREADS": "1"], ["POLICY_THREADS": "3"],
        ["POLICY_ENGINE": "general", "POLICY_THREADS": "1"],
    ]

    func run(_ program: String, csv: String? = nil, environment: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        if let csv { _ = try writeFile(dir, "cases.csv", csv) }
        _ = try writeFile(dir, "m.policy", program)
        let r = try PolicyProcess.run(["run", "--no-color", "m.policy"], environment: environment,
                                      currentDirectory: dir, file: file, line: line)
        assertNoCrash(r, "run", file: file, line: line)
        return r
    }

    /// Every engine prints the same, and that is `expected`.
    func assertAllEngines(_ program: String, csv: String? = nil, status: Int32 = 0, stdout expected: String? = nil,
                          stderrContains: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        var first: PolicyProcess.Result?
        for env in engines {
            let r = try run(program, csv: csv, environment: env, file: file, line: line)
            XCTAssertEqual(r.status, status, "\(env): \(r.stderr)", file: file, line: line)
            if let expected { XCTAssertEqual(r.stdout, expected, "\(env)", file: file, line: line) }
            for text in stderrContains { XCTAssertTrue(r.stderr.contains(text), "\(env): \(r.stderr)", file: file, line: line) }
            if let first {
                XCTAssertEqual(r.stdout, first.stdout, "\(env) against the default engine", file: file, line: line)
                XCTAssertEqual(r.stderr, first.stderr, "\(env) against the default engine", file: file, line: line)
            }
            first = first ?? r
        }
    }

    /// Records wider than 64 fields: a field past the 63rd is read as itself (it once
    /// shared one bit of the "fields read" mask with the 63rd and later ones, so the memo
    /// keyed on too few fields).
    func testARecordWiderThan64FieldsReadsEveryField() throws {
        let padding = (0..<70).map { "f\($0): bool = false" }.joined(separator: ", ")
        var rows = ["date,jurisdiction,x,flag"]
        var expected: [Int: (count: Int, sum: Int)] = [:]
        var state: UInt64 = 12_345
        for i in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let year = 2010 + i % 3, x = Int((state >> 33) % 4), flag = (state >> 20) & 1 == 1
            rows.append("\(year)-0\(1 + i % 9)-1\(i % 10),c0,\(x),\(flag)")
            expected[year, default: (0, 0)].count += x >= 2 ? 1 : 0
            expected[year, default: (0, 0)].sum += x
        }
        let program = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record wide { date: date, jurisdiction: jurisdiction, \(padding), x: int = 0, flag: bool = false }
            decision big(w: wide): bool = w.x >= 2 and not w.f69
            population p of wide from "cases.csv"
            table count(x >= 2), sum(x), count(big) by year from p

            """
        let r = try run(program, csv: rows.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        for year in 2010...2012 {
            let e = expected[year] ?? (0, 0)
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("\(year) ") }.map(String.init) ?? ""
            let cells = line.split(separator: " ").map(String.init)
            XCTAssertEqual(cells, ["\(year)", grouped(e.count), grouped(e.sum), grouped(e.count)], r.stdout)
        }
        try assertAllEngines(program, csv: rows.joined(separator: "\n") + "\n", stdout: r.stdout)
    }

    /// An int `sum` is exact in every engine, whatever the order of the cases or the number
    /// of threads: a total past 2^63 is an overflow error naming the group (it once wrapped
    /// silently in the memo's adders), and a total back in range after a large term is the
    /// exact total.
    func testIntSumsAreExactAndOverflowIsAnErrorInEveryEngine() throws {
        let model = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record b { date: date, jurisdiction: jurisdiction, big: bool = false, n: int = 1 }
            population p of b {
              size 20_000
              seed 7
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction = c0
              big 50%
            }

            """
        try assertAllEngines(model + "table sum(if big then 4_611_686_018_427_387_904 else 1) by year from p\n",
                             status: 65, stdout: "",
                             stderrContains: ["error: integer overflow in 'sum(if big then 4_611_686_018_427_387_904 else 1)' for 2010",
                                              "m.policy:11:1", "the total does not fit in a 64-bit int"])
        // Inside an expression too.
        try assertAllEngines(model + "sum(p, if big then 4_611_686_018_427_387_904 else 1)\n", status: 65, stdout: "",
                             stderrContains: ["error: integer overflow in 'sum'"])
        // One huge positive and one huge negative term per year: the exact totals fit.
        let csv = """
            date,jurisdiction,n
            2010-01-01,c0,9223372036854775807
            2010-02-01,c0,1
            2010-03-01,c0,-9223372036854775807
            2011-01-01,c0,-9223372036854775807
            2011-02-01,c0,-5
            2011-03-01,c0,9223372036854775807

            """
        let program = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record b { date: date, jurisdiction: jurisdiction, n: int = 1 }
            population p of b from "cases.csv"
            table count, sum(n) by year from p
            sum(p, n)

            """
        try assertAllEngines(program, csv: csv, stdout: "year  count  sum(n)\n2010      3       1\n2011      3      −5\n-4\n")
    }

    /// Any finite total prints: a number sum past 2^63 (it once trapped converting to an
    /// int), a `compare` whose change in percent is huge, and charts of such values.
    func testHugeTotalsPrintInTablesComparesAndCharts() throws {
        let model = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record b { date: date, jurisdiction: jurisdiction, flag: bool = false }
            param tiny: number = 1.0e-300
            population p of b {
              size 2_000
              seed 7
              date uniform 2010-01-01 .. 2011-12-31
              jurisdiction = c0
              flag 10%
            }
            scenario huge { param tiny: number = 1.0 }

            """
        let r = try run(model + "table sum(if flag then 9.0e19 else 0.0), sum(1.0e300) by year from p\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 3, r.stdout)
        XCTAssertTrue(rows[1].hasPrefix("2010"), r.stdout)
        XCTAssertTrue(rows[1].contains("0,000,000,000,000,000,000"), r.stdout)
        XCTAssertTrue(rows[1].contains("e+30"), r.stdout)  // 1e300 × about 1,000 cases: scientific
        try assertAllEngines(model + "table sum(if flag then 9.0e19 else 0.0), sum(1.0e300) by year from p\n", stdout: r.stdout)

        let compare = try run(model + "compare baseline, huge on sum(tiny) by year from p\n")
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertTrue(compare.stdout.contains("e+30"), compare.stdout)  // the change in percent
        XCTAssertTrue(compare.stdout.contains("%"), compare.stdout)

        for target in ["", " to \"huge.svg\""] {
            let plot = try run(model + "plot sum(if flag then 1.0e304 else 0.0), sum(-1.0e305) by year from p\(target)\n")
            XCTAssertEqual(plot.status, 0, plot.stderr)
        }
    }

    /// Populations of several chunks: the general engine runs its chunks on every core and
    /// merges them in order, the memo adds up the same chunks, so totals (number sums
    /// included, whose last bits depend on the order of the additions) and the first case
    /// of each error are the same for any engine and thread count.
    func testSeveralChunksAddUpAlikeOnEveryEngineAndThreadCount() throws {
        let program = """
            jurisdiction attributes { weight: int = 1 }
            jurisdiction usa: federal
            jurisdiction s0: state in usa
            jurisdiction c0: county in s0
            jurisdiction c1: county in s0
            enum charge { felony, misdemeanor }
            record b { date: date, jurisdiction: jurisdiction, charge: charge = felony, x: number = 0.0, n: int = 0 }
            decision held(c: b): bool = c.x > 0.3 and chance(50%)
            policy lenient by c1 from 2011-01-01 { held(c) = c.x > 0.9 }
            population p of b {
              size 140_000
              seed 11
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction weighted by weight
              charge { felony: 40%, misdemeanor: 60% }
              x uniform 0.0 .. 1.0
              n uniform -5 .. 5
            }
            table count, sum(x), mean(x), sum(n), share(held) by year from p
            table sum(x * 1.1), count(held) by charge from p where n > 0
            compare baseline, baseline on sum(x) by quarter from p

            """
        try assertAllEngines(program)
        // The first case of an error is the first in row order, whichever chunk ran first.
        try assertAllEngines(program + "table sum(1.0 / (n - n)) by year from p\n", status: 65,
                             stderrContains: ["error: division by zero", "the first is case 0:"])
    }

    /// A decision's candidates in force are looked up by day where the calendars are short,
    /// and by counting cuts where they are long: cases on the day before, on and after each
    /// cut, and long before and after them all, get the same answers either way, and the
    /// same as evaluating each case alone.
    func testCandidatesFoundByDayAgreeWithCountingCuts() throws {
        let model = """
            jurisdiction usa: federal
            jurisdiction s0: state in usa
            jurisdiction c0: county in s0
            jurisdiction c1: county in s0
            jurisdiction c2: county in s0
            jurisdiction c3: county in s0
            jurisdiction c4: county in s0
            jurisdiction c5: county in s0
            jurisdiction c6: county in s0
            jurisdiction c7: county in s0
            jurisdiction c8: county in s0
            jurisdiction c9: county in s0
            jurisdiction c10: county in s0
            jurisdiction c11: county in s0
            jurisdiction c12: county in s0
            jurisdiction c13: county in s0
            jurisdiction c14: county in s0
            jurisdiction c15: county in s0
            jurisdiction c16: county in s0
            jurisdiction c17: county in s0
            record b { date: date, jurisdiction: jurisdiction, x: number = 0.0 }
            decision held(c: b): bool = false
            policy wide by usa from 1900-01-01 until 2100-01-01 { held(c) = c.x > 0.5 }
            policy late by s0 from 2099-12-31 { held(c) = c.x < 0.2 }
            population p of b from "cases.csv"

            """
        func day(_ y: Int, _ m: Int, _ d: Int) -> String { String(format: "%04d-%02d-%02d", y, m, d) }
        var cuts = [(1900, 1, 1, 0), (2099, 12, 31, 1), (2100, 1, 1, 2)]
        // Eighteen calendars of three centuries: too long to lay out by day.
        var calendars = ""
        for i in 0..<18 {
            let start = (1860 + 15 * i, 3, i + 2), end = (1900 + 13 * i, 7, i + 5)
            calendars += "policy p\(i) by c\(i) from \(day(start.0, start.1, start.2)) until \(day(end.0, end.1, end.2)) "
                + "{ held(c) = c.x > 0.\(i % 9 + 1) }\n"
            cuts += [(start.0, start.1, start.2, i), (end.0, end.1, end.2, i)]
        }
        var csv = "date,jurisdiction,x\n"
        for (y, m, d, county) in cuts {
            // (The months of these cuts have 31 days.)
            for dd in [d - 1, d, d + 1] where dd >= 1 && dd <= 31 {
                for x in ["0.05", "0.55", "0.95"] { csv += "\(day(y, m, dd)),c\(county),\(x)\n" }
            }
        }
        for x in ["0.05", "0.95"] { csv += "1850-06-01,c3,\(x)\n2150-06-01,c4,\(x)\n1899-12-31,c0,\(x)\n" }
        let query = "table count, count(held) by date, jurisdiction from p\n"
        let expected = try run(model + query, csv: csv, environment: ["POLICY_ENGINE": "scalar"]).stdout
        XCTAssertTrue(expected.contains("2099-12-31"), expected)
        try assertAllEngines(model + query, csv: csv, stdout: expected)
        let long = try run(model + calendars + query, csv: csv, environment: ["POLICY_ENGINE": "scalar"]).stdout
        XCTAssertNotEqual(long, expected, "the eighteen policies change answers")
        try assertAllEngines(model + calendars + query, csv: csv, stdout: long)
    }

    /// A generated field with no default whose rule computes it (`jurisdiction = s0`) starts as
    /// its kind's zero, not as a placeholder of another kind (which a debug build asserts on),
    /// and every case takes the computed value.
    func testAComputedFieldWithNoDefaultTakesItsValueInEveryCase() throws {
        let program = """
            jurisdiction usa: federal "United States"
            jurisdiction s0: state in usa
            record rec { date: date, jurisdiction: jurisdiction, x: number }
            population pop0 of rec {
              size 10
              seed 1
              date uniform 2012-03-07 .. 2012-06-10
              jurisdiction = s0
              x = 1.5
            }
            table count, sum(x) by jurisdiction from pop0

            """
        try assertAllEngines(program, stdout: """
            jurisdiction  count  sum(x)
            s0               10      15

            """)
    }

    /// With three scenarios, each one after the first gets its own attribution: the cases
    /// that differ in it, and why (the third scenario's cases were once put under "no
    /// decision differs", since only the first two were compared).
    func testACompareOfThreeScenariosAttributesEachAgainstTheFirst() throws {
        let program = """
            jurisdiction attributes { weight: int = 1 }
            jurisdiction usa: federal
            jurisdiction s0: state in usa
            jurisdiction c0: county in s0
            jurisdiction c1: county in s0
            enum outcome { held, released }
            record b { date: date, jurisdiction: jurisdiction, bail: int = 0 }
            decision outcome(x: b): outcome = held
            policy ban(j: jurisdiction, floor: int) by j { outcome(x) = if x.bail >= floor then held else released }
            scenario ban20 { event e on 2011-01-01 { enact ban(c0, 20) } }
            scenario ban40 { event e on 2011-01-01 { enact ban(c0, 40), enact ban(c1, 40) } }
            population p of b {
              size 4_000
              seed 5
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction weighted by weight
              bail uniform 0 .. 99
            }
            compare baseline, ban20, ban40 on outcome by year from p

            """
        let r = try run(program)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotNil(r.stdout.range(of: #"Attribution of the [0-9,]+ cases that differ in ban20:"#, options: .regularExpression), r.stdout)
        XCTAssertNotNil(r.stdout.range(of: #"Attribution of the [0-9,]+ cases that differ in ban40:"#, options: .regularExpression), r.stdout)
        XCTAssertFalse(r.stdout.contains("no decision differs"), r.stdout)
        XCTAssertTrue(r.stdout.contains("outcome: ban(c1, 40) (c1) → released"), r.stdout)
        XCTAssertTrue(r.stdout.contains("in ban40  vs.  default → held in baseline"), r.stdout)
        try assertAllEngines(program, stdout: r.stdout)
    }

    /// A number total beyond the largest double is an error, as `/` by zero is.
    func testANumberTotalThatIsNotFiniteIsAnError() throws {
        let program = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record b { date: date, jurisdiction: jurisdiction }
            population p of b {
              size 1_000
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction = c0
            }
            table sum(1.0e308) by year from p

            """
        try assertAllEngines(program, status: 65, stdout: "",
                             stderrContains: ["error: number overflow in 'sum(1.0e308)' for 2010", "m.policy:9:1"])
    }

    func grouped(_ n: Int) -> String {
        let digits = String(n)
        guard digits.count >= 4 else { return digits }
        var out = ""
        for (k, ch) in digits.enumerated() {
            if k > 0, (digits.count - k) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return out
    }
}

extension EngineAgreementTests {
    /// A weighted population (§10): the memo declines it, and every engine adds the same
    /// weights in the same order. The expected figures are worked out by hand below: case
    /// i has n = i % 4 and weight n / 2 (so n = 0 weighs nothing).
    func testAWeightedPopulationGivesTheSameTableUnderEveryEngine() throws {
        var rows = ["date,jurisdiction,n,flag"]
        var count = [0.0, 0.0], flagged = [0.0, 0.0], sum = [0.0, 0.0], cases = [0, 0]
        for i in 0..<2_000 {
            let year = i % 2, n = i % 4, flag = i % 3 == 0
            rows.append("201\(year)-0\(1 + i % 9)-1\(i % 10),c0,\(n),\(flag)")
            let w = Double(n) / 2
            cases[year] += 1
            count[year] += w
            if flag { flagged[year] += w }
            sum[year] += w * Double(n)
        }
        let program = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record r { date: date, jurisdiction: jurisdiction, n: int = 0, flag: bool = false }
            population cases_file of r from "cases.csv" { weight n / 2 }
            decision held(x: r): bool = x.flag and x.n > 0
            table cases, count, count(held), share(flag), sum(n), mean(n) by year from cases_file
            """
        var expected = "year,cases,count,count(held),share(flag),sum(n),mean(n)\n"
        for y in 0..<2 {
            expected += "201\(y),\(cases[y]),\(count[y]),\(flagged[y]),\(flagged[y] / count[y]),\(sum[y]),\(sum[y] / count[y])\n"
        }
        try assertAllEngines(program, csv: rows.joined(separator: "\n") + "\n")
        let dir = try scratchDirectory()
        _ = try writeFile(dir, "cases.csv", rows.joined(separator: "\n") + "\n")
        _ = try writeFile(dir, "m.policy", program)
        let csv = try PolicyProcess.run(["run", "--format", "csv", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(CSVOutput.tables(csv.stdout), expected)
        let json = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        let table = JSONDocument.tableRows(json.stdout)
        XCTAssertEqual(table?.first?["cases"] as? Int, cases[0], json.stdout)
        XCTAssertEqual(table?.first?["count"] as? Double, count[0], json.stdout)
    }

    /// A weighted compare: each engine agrees, and the weighted counts differ by the
    /// weight of the cases that differ.
    func testAWeightedCompareAgreesUnderEveryEngine() throws {
        let program = """
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record r { date: date, jurisdiction: jurisdiction, n: int = 0 }
            population p of r {
              size 3_000
              seed 5
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction = c0
              n uniform 0 .. 9
              weight 0.25 + n / 3
            }
            decision held(x: r): bool = chance(40%)
            scenario strict { decision held(x: r): bool = x.n > 4 }
            compare baseline, strict on count(held), mean(n) by year from p
            """
        try assertAllEngines(program)
    }

    /// The general engine's kernels (a query's nodes run over blocks of cases, decisions
    /// resolved per block) on what they must get right: an attribute and a param an event
    /// changes mid-population, `chance`, `deny_overrides` and most-specific combining, `if`
    /// and arithmetic inside rules, a `where`, a compare — and an overflow and a conflict
    /// inside rules, reported with the same count and first case as evaluating each case alone.
    func testKernelsAnswerFailAndCountAsEachCaseAloneDoes() throws {
        let model = """
            jurisdiction attributes { cap: int = 50, rate: number = 0.5 }
            jurisdiction usa: federal
            jurisdiction s0: state in usa
            jurisdiction s1: state in usa
            jurisdiction c0: county in s0 { cap: 10 }
            jurisdiction c1: county in s0
            jurisdiction c2: county in s1 { cap: 90, rate: 0.25 }
            jurisdiction c3: county in s1
            enum charge { violent, felony, misdemeanor }
            record b { date: date, jurisdiction: jurisdiction, charge: charge = felony, x: int = 0, y: number = 0.0, flag: bool = false }
            param bar: int = 40
            decision held(c: b): bool = c.x >= bar
            decision strict(c: b): bool = false combine deny_overrides
            decision scaled(c: b): int = c.x * 2
            decision level(c: b): number = c.y * c.jurisdiction.rate
            policy fed by usa from 2011-01-01 {
              held(c) = c.x >= c.jurisdiction.cap or c.charge == violent
              scaled(c) = c.x * 3 when c.flag
              strict(c) = c.x > 20
            }
            policy st by s0 from 2012-01-01 {
              held(c) = c.flag and chance(30%)
              strict(c) = not c.flag or c.y < 0.5
              level(c) = if c.flag then c.y else -c.y
            }
            policy ban by c2 from 2012-06-01 until 2013-06-01 { held(c) = c.x > 90, strict(c) = c.charge in {violent, felony} }
            event tighten on 2012-03-01 by usa { set c1.cap = 70, set bar = 60, set c3.rate = 2.0 }
            scenario easy { param bar = 20 }
            population p of b {
              size 30_000
              seed 5
              date uniform 2010-06-01 .. 2013-12-31
              jurisdiction weighted by cap
              charge { violent: 10%, felony: 30%, misdemeanor: 60% }
              x uniform 0 .. 100
              y uniform 0.0 .. 1.0
              flag 40%
            }
            """
        let explained = try run(model + "\n" + """
            table count, count(held), count(strict), sum(scaled), share(held), sum(level), mean(if held then y else 0.0) by year, jurisdiction from p
            table count(held and not strict), sum(if strict then x * 7 else x - 200) by charge from p where jurisdiction within s0
            compare baseline, easy on count(held), sum(scaled) by year from p
            """, environment: ["POLICY_ENGINE": "general", "POLICY_ENGINE_EXPLAIN": "1"])
        XCTAssertEqual(explained.status, 0, explained.stderr)
        XCTAssertTrue(explained.stderr.contains("1 chunks (1 by kernels)"), explained.stderr)
        try assertAllEngines(model + "\n" + """
            table count, count(held), count(strict), sum(scaled), share(held), sum(level), mean(if held then y else 0.0) by year, jurisdiction from p
            table count(held and not strict), sum(if strict then x * 7 else x - 200) by charge from p where jurisdiction within s0
            compare baseline, easy on count(held), sum(scaled) by year from p
            """, stdout: explained.stdout)

        let overflow = "policy big by c3 from 2013-01-01 { scaled(c) = c.x * 4611686018427387904 when c.x > 1 }\n"
            + "table count, sum(scaled) by year from p\n"
        try assertAllEngines(model + "\n" + overflow, status: 65, stdout: "", stderrContains: [
            "error: integer overflow in '*'", "2061 cases hit this; the first is case 22: b { date: 2013-08-12, jurisdiction: c3"])
        let conflict = "policy l1 by c0 from 2012-01-01 { level(c) = 1.0 when c.x > 50 }\n"
            + "policy l2 by c0 from 2012-01-01 { level(c) = 2.0 when c.flag }\n"
            + "table count, sum(level) by year from p\n"
        try assertAllEngines(model + "\n" + conflict, status: 65, stdout: "", stderrContains: [
            "conflict: two rules give different answers for 'level'", "l1 (m.policy:39:35) says 1.0", "l2 (m.policy:40:35) says 2.0",
            "183 cases hit this; the first is case 8: b { date: 2012-07-31, jurisdiction: c0"])
    }
}
