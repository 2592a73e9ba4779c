import Foundation
import XCTest

/// The fast paths over populations answer exactly what the careful ones answer: the CSV
/// reader's parallel pieces vs the careful reader (quotes, CRLF, a BOM, blank lines, spaces,
/// empty cells), and the memoised engine (interchangeable policy instances, the histogram
/// of answers) vs evaluating every case (`POLICY_ENGINE=general`).
final class FastPathTests: XCTestCase {
    let model = """
        enum charge { violent_felony, felony, misdemeanor }
        enum outcome { not_matched, declined, transferred }
        jurisdiction usa: federal
        jurisdiction s0: state in usa
        jurisdiction s1: state in usa
        jurisdiction c0: county in s0 "County Zero"
        jurisdiction c1: county in s0
        jurisdiction c2: county in s1
        jurisdiction c3: county in s1
        record booking { date: date, jurisdiction: jurisdiction, charge: charge = misdemeanor, match: bool, n: int = 5 }
        decision honored(b: booking): bool = true
        decision outcome(b: booking): outcome =
          if not b.match then not_matched else if honored(b) then transferred else declined
        policy decline_all(j: jurisdiction) by j { honored(b) = false }
        policy removal_only(j: jurisdiction) by j { honored(b) = b.charge == violent_felony }
        policy clash(j: jurisdiction) by j { honored(b) = true }
        event bans on 2011-06-01 {
          for j in jurisdictions where j.kind == county and j.name < "c2" { enact decline_all(j) }
        }
        event wave on 2012-01-01 {
          for j in jurisdictions where j.kind == county and j.name >= "c2" { enact removal_only(j) }
        }
        scenario late "bans a year later" {
          event bans on 2012-06-01 {
            for j in jurisdictions where j.kind == county and j.name < "c2" { enact decline_all(j) }
          }
        }
        population p of booking from "b.csv"

        """

    let queries = """
        table outcome by year from p
        table count, sum(n), share(match) by charge from p
        table count, mean(n) by quarter from p
        table count by outcome from p where n > 2
        table count, share(outcome == transferred) by charge from p where match
        table outcome by month from p where charge != felony

        compare baseline, late on outcome by year from p

        """

    /// 3,000 rows, the same every run: (date, jurisdiction, charge, match, n).
    func rows() -> [[String]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let places = ["c0", "c1", "c2", "c3", "County Zero"], charges = ["violent_felony", "felony", "misdemeanor"]
        return (0..<3_000).map { _ in
            let date = String(format: "%04d-%02d-%02d", 2010 + next(3), 1 + next(12), 1 + next(28))
            return [date, places[next(5)], charges[next(3)], next(2) == 0 ? "true" : "false", String(next(10))]
        }
    }

    func run(_ csv: String, _ program: String, environment: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        try writeFile(dir, "b.csv", csv)
        try writeFile(dir, "m.policy", program)
        let r = try PolicyProcess.run(["run", "--no-color", "m.policy"], environment: environment,
                                      currentDirectory: dir, file: file, line: line)
        assertNoCrash(r, "run", file: file, line: line)
        return r
    }

    /// Small pieces and three workers: many pieces, joined in file order.
    let pieces = ["POLICY_CSV_PIECE_BYTES": "64", "POLICY_THREADS": "3"]

    func testTheFastReaderReadsWhatTheCarefulReaderReads() throws {
        let rows = rows()
        let header = "date,jurisdiction,charge,match,n"
        let plain = ([header] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
        let expected = try run(plain, model + queries, environment: ["POLICY_ENGINE": "general"])
        XCTAssertEqual(expected.status, 0, expected.stderr)
        XCTAssertTrue(expected.stdout.contains("Attribution of the"), expected.stdout)
        // Tables with no draws add up the counts of cases per key (no second pass).
        let explained = try run(plain, model + queries, environment: ["POLICY_ENGINE_EXPLAIN": "1"])
        XCTAssertTrue(explained.stderr.contains("totals from the counts of cases per key"), explained.stderr)
        XCTAssertEqual(explained.stdout, expected.stdout)

        // A BOM, CRLF, blank lines, spaces around cells, an empty cell that takes the default.
        var messy = "\u{FEFF}" + header + "\r\n"
        for (i, row) in rows.enumerated() {
            var cells = row
            if i % 7 == 0 { cells[1] = " \(cells[1])\t" }
            if i % 11 == 0, cells[4] == "5" { cells[4] = "" }
            messy += cells.joined(separator: ",") + "\r\n"
            if i % 500 == 0 { messy += "\r\n" }
        }
        // A quote anywhere sends the whole file to the careful reader.
        var quoted = rows.map { $0.joined(separator: ",") }
        quoted[1_500] = quoted[1_500].replacingOccurrences(of: ",County Zero,", with: ",\"County Zero\",")
        let careful = ([header] + quoted).joined(separator: "\n")
        // (The general engine on pieces too: its calendar keys take each date column's first
        // and last day from the pieces the fast reader parsed, or from the careful reader's column.)
        for (name, csv) in [("plain", plain), ("messy", messy), ("quoted", careful)] {
            for env in [[:], pieces, pieces.merging(["POLICY_ENGINE": "general"]) { $1 }] {
                let r = try run(csv, model + queries, environment: env)
                XCTAssertEqual(r.status, 0, "\(name) \(env): \(r.stderr)")
                XCTAssertEqual(r.stdout, expected.stdout, "\(name) \(env)")
            }
        }
    }

    func testABadCellInALaterPieceIsReportedAtItsLineAndNothingIsLoaded() throws {
        let lines = rows().map { $0.joined(separator: ",") }
        var bad = lines
        bad[2_500] = "2011-02-30,c1,felony,true,3"
        let csv = (["date,jurisdiction,charge,match,n"] + bad).joined(separator: "\n") + "\n"
        for env in [[:], pieces] {
            let r = try run(csv, model + "table count by year from p\n", environment: env)
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("error: cannot read '2011-02-30' as a date"), r.stderr)
            XCTAssertTrue(r.stderr.contains("--> b.csv:2502:1"), r.stderr)
            XCTAssertTrue(r.stdout.isEmpty, r.stdout)
        }
        // A jurisdiction nobody has: named with a suggestion, wherever the piece.
        var missing = lines
        missing[2_999] = "2011-02-03,c9,felony,true,3"
        let unknown = (["date,jurisdiction,charge,match,n"] + missing).joined(separator: "\n")
        let r = try run(unknown, model + "table count by year from p\n", environment: pieces)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read 'c9' as a jurisdiction"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--> b.csv:3001:12"), r.stderr)
    }

    /// Counties whose own `decline_all(j)` instances read nothing of `j` share memo entries;
    /// what names an instance (attribution, errors) still names the case's own.
    /// A file of 16 MB or more is read on every core, a 4 MB piece each: what is read is the
    /// whole file, in order, whichever reader then parses it.
    func testALargeFileReadOnEveryCoreIsReadWhole() throws {
        var lines: [String] = ["date,jurisdiction,charge,match,n"]
        var count = [0, 0, 0], total = [0, 0, 0]
        var bytes = 0
        var k = 0
        let places = ["c0", "c1", "c2", "c3"], charges = ["violent_felony", "felony", "misdemeanor"]
        while bytes < 17 << 20 {
            let year = k % 3, n = (k * 7) % 1_000
            let line = "\(2010 + year)-0\(1 + k % 9)-1\(k % 9),\(places[k % 4]),\(charges[k % 3]),\(k % 2 == 0),\(n)"
            lines.append(line)
            bytes += line.utf8.count + 1
            count[year] += 1
            total[year] += n
            k += 1
        }
        let plain = lines.joined(separator: "\n") + "\n"
        XCTAssertGreaterThanOrEqual(plain.utf8.count, 16 << 20)
        /// The table's rows as (year, count, sum).
        func figures(_ stdout: String) -> [[Int]] {
            stdout.split(separator: "\n").dropFirst().map { line in
                line.split(separator: " ").compactMap { Int($0.replacingOccurrences(of: ",", with: "")) }
            }
        }
        let expected = (0..<3).map { [2010 + $0, count[$0], total[$0]] }
        for env in [[:], ["POLICY_THREADS": "1"], ["POLICY_THREADS": "3"]] {
            let r = try run(plain, model + "table count, sum(n) by year from p\n", environment: env)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(figures(r.stdout), expected, "\(env): \(r.stdout)")
        }
        // A quote on the last line sends the same bytes to the careful reader.
        let quoted = try run(plain + "2012-01-01,\"c0\",felony,true,3\n", model + "table count, sum(n) by year from p\n")
        XCTAssertEqual(quoted.status, 0, quoted.stderr)
        XCTAssertEqual(figures(quoted.stdout), [expected[0], expected[1], [2012, count[2] + 1, total[2] + 3]], quoted.stdout)

        // A bad cell on the last line, met after the earlier pieces' pages were handed back:
        // the file is read again, and the careful reader names the line and column.
        let badLine = lines.count + 1
        for env in [[:], ["POLICY_THREADS": "1"], pieces] {
            let bad = try run(plain + "2012-01-01,c0,felony,maybe,3\n", model + "table count, sum(n) by year from p\n", environment: env)
            XCTAssertEqual(bad.status, 65, "\(env): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("--> b.csv:\(badLine):22"), "\(env): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("'maybe'"), "\(env): \(bad.stderr)")
            XCTAssertTrue(bad.stdout.isEmpty, bad.stdout)
        }
    }

    func testInterchangeableInstancesKeepTheirNames() throws {
        let csv = (["date,jurisdiction,charge,match,n"] + rows().map { $0.joined(separator: ",") }).joined(separator: "\n")
        let fast = try run(csv, model + queries)
        let general = try run(csv, model + queries, environment: ["POLICY_ENGINE": "general"])
        XCTAssertEqual(fast.status, 0, fast.stderr)
        XCTAssertEqual(fast.stdout, general.stdout)
        XCTAssertTrue(fast.stdout.contains("decline_all(c0) → false"), fast.stdout)
        XCTAssertTrue(fast.stdout.contains("decline_all(c1) → false"), fast.stdout)

        // Two instances of one county tie: the conflict names that county's instances.
        let clash = model + """
            event clashes on 2011-06-01 {
              for j in jurisdictions where j.kind == county and j.name < "c2" { enact clash(j) }
            }
            table outcome by year from p

            """
        let fastError = try run(csv, clash), generalError = try run(csv, clash, environment: ["POLICY_ENGINE": "general"])
        XCTAssertEqual(fastError.status, 65, fastError.stderr)
        XCTAssertEqual(fastError.stderr, generalError.stderr)
        XCTAssertTrue(fastError.stderr.contains("error: conflict: two rules give different answers for 'honored'"), fastError.stderr)
        let first = fastError.stderr.range(of: "the first is case ").map { String(fastError.stderr[$0.upperBound...]) } ?? ""
        let county = first.contains("jurisdiction: c0") ? "c0" : "c1"
        XCTAssertTrue(fastError.stderr.contains("note: decline_all(\(county))"), fastError.stderr)
        XCTAssertTrue(fastError.stderr.contains("note: clash(\(county))"), fastError.stderr)
    }

    /// Each key evaluated once for all workers, along every path of its draws, and the
    /// answers of jurisdictions a scenario leaves alone taken from the first scenario: the
    /// same tables as evaluating every case, whatever the number of workers.
    func testSharedEvaluationWithDrawsMatchesEvaluatingEveryCase() throws {
        let program = "jurisdiction attributes { weight: int = 1 }\n" + model + """
            decision matched(b: booking): bool = b.match and chance(70%, "ident")
            decision outcome2(b: booking): outcome =
              if not matched(b) then not_matched
              else if honored(b) and chance(60%, "review") then transferred
              else declined
            population g of booking {
              size 140_000
              seed 3
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction weighted by weight
              charge { violent_felony: 10%, felony: 30%, misdemeanor: 60% }
              match 50%
            }
            table outcome2 by quarter from g
            compare baseline, late on outcome2 by year from g
            table count, share(matched) by jurisdiction from g where charge != felony

            """
        let general = try run("date,jurisdiction,charge,match,n\n", program, environment: ["POLICY_ENGINE": "general"])
        XCTAssertEqual(general.status, 0, general.stderr)
        XCTAssertTrue(general.stdout.contains("Attribution of the"), general.stdout)
        for threads in ["1", "2", "3"] {
            let r = try run("date,jurisdiction,charge,match,n\n", program,
                            environment: ["POLICY_THREADS": threads, "POLICY_ENGINE_EXPLAIN": "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, general.stdout, "\(threads) threads")
            if threads != "1" {
                XCTAssertTrue(r.stderr.contains("keys evaluated once for all workers"), r.stderr)
                XCTAssertNotNil(r.stderr.range(of: #"[1-9][0-9]* taken from another scenario of the query"#, options: .regularExpression), r.stderr)
            }
        }
    }
}
