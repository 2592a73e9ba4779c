import Foundation
import XCTest

/// The drill-down and weighting parts of LANGUAGE.md §10, through the real executable:
/// `sample`, `POP[i]`, chance draws in `explain`, `cases`, and `weight`.
final class AnalysisTests: XCTestCase {
    static let model = """
        enum charge { felony, misdemeanor }
        enum outcome_kind { held, released }
        jurisdiction usa: federal
        jurisdiction cook: county in usa
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
          n: int = 0
          note: string = "a, b"
        }
        population bookings of booking {
          size 1_000
          seed 42
          date uniform 2010-01-01 .. 2010-12-31
          jurisdiction = cook
          charge { felony: 30%, misdemeanor: 70% }
          n uniform 1 .. 3
        }
        decision outcome(b: booking): outcome_kind = if chance(30%, "detain") then held else released
        scenario strict { decision outcome(b: booking): outcome_kind = if b.charge == felony then held else released }

        """

    func run(_ program: String, format: String? = nil, environment: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        _ = try writeFile(dir, "m.policy", program)
        let args = ["run", "--no-color"] + (format.map { ["--format", $0] } ?? []) + ["m.policy"]
        let r = try PolicyProcess.run(args, environment: environment, currentDirectory: dir, file: file, line: line)
        assertNoCrash(r, "run", file: file, line: line)
        return r
    }

    // MARK: - sample

    func testSampleListsChosenCasesInCaseOrderTheSameEachRun() throws {
        let program = Self.model + "sample 4 from bookings where charge == felony\n"
        let r = try run(program)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "4 of 309 matching cases of bookings", r.stdout)
        XCTAssertEqual(lines.dropFirst().first, "case        date  jurisdiction  charge  n  note")
        XCTAssertEqual(lines.count, 6, r.stdout)
        let cases = lines.dropFirst(2).compactMap { Int($0.split(separator: " ").first ?? "") }
        XCTAssertEqual(cases, cases.sorted(), "in case order")
        XCTAssertTrue(lines.dropFirst(2).allSatisfy { $0.contains("felony") })
        XCTAssertEqual(try run(program).stdout, r.stdout, "seeded: the same each run")
        // Sampling more keeps the cases sampled before (the N smallest keys).
        let more = try run(Self.model + "sample 8 from bookings where charge == felony\n").stdout
        let moreCases = Set(more.split(separator: "\n").dropFirst(2).compactMap { Int($0.split(separator: " ").first ?? "") })
        XCTAssertTrue(Set(cases).isSubset(of: moreCases), "\(cases) ⊄ \(moreCases)")
    }

    func testSampleOfMoreThanTheMatchingCasesGivesThemAll() throws {
        let r = try run(Self.model + "sample 5000 from bookings\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("1,000 of 1,000 cases of bookings\n"), r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1_002)
        // Case numbers are written plain, to be typed back as bookings[999].
        XCTAssertTrue(r.stdout.split(separator: "\n").last?.hasPrefix("999 ") == true, String(r.stdout.suffix(200)))
        XCTAssertFalse(r.stdout.contains("\n1,"), "a case number grouped by thousands")
    }

    func testSampleInCSVAndJSON() throws {
        let program = Self.model + "sample 2 from bookings where n == 3 and charge == felony\n"
        let table = try run(program).stdout.split(separator: "\n").dropFirst(2)
        let ids = table.compactMap { $0.split(separator: " ").first.map(String.init) }
        XCTAssertEqual(ids.count, 2)
        let csv = try run(program, format: "csv")
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let csvLines = CSVOutput.tables(csv.stdout).split(separator: "\n").map(String.init)
        XCTAssertEqual(csvLines.first, "case,date,jurisdiction,charge,n,note")
        XCTAssertEqual(csvLines.count, 3, csv.stdout)
        XCTAssertTrue(csvLines[1].hasPrefix(ids[0] + ","), csv.stdout)
        XCTAssertTrue(csvLines[1].hasSuffix(",cook,felony,3,\"a, b\""), csv.stdout)
        let json = try run(program, format: "json")
        XCTAssertEqual(json.status, 0, json.stderr)
        let rows = JSONDocument.tableRows(json.stdout)
        XCTAssertEqual(rows?.count, 2, json.stdout)
        XCTAssertEqual(rows?.first?["case"] as? Int, Int(ids[0]))
        XCTAssertEqual(rows?.first?["n"] as? Int, 3)
        XCTAssertEqual(rows?.first?["note"] as? String, "a, b")
    }

    func testSampleUnderAScenarioFiltersInIt() throws {
        let r = try run(Self.model + "sample 3 from bookings where outcome == held under strict\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("3 of 309 matching cases of bookings (under strict)\n"), r.stdout)
    }

    func testSampleIsStillANameAndItsErrorsSayWhatToWrite() throws {
        let r = try run(Self.model + "let sample = 2\nsample + 1\nsample\n")
        XCTAssertEqual(r.stdout, "3\n2\n")
        let unknown = try run(Self.model + "sample 3 from bookngs\n")
        XCTAssertEqual(unknown.status, 65)
        XCTAssertTrue(unknown.stderr.contains("unknown population 'bookngs'"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'bookings'?"), unknown.stderr)
        let zero = try run(Self.model + "sample 0 from bookings\n")
        XCTAssertEqual(zero.status, 65)
        XCTAssertTrue(zero.stderr.contains("'sample' needs a positive number of cases, not 0"), zero.stderr)
        let noFrom = try run(Self.model + "sample 3 bookings\n")
        XCTAssertEqual(noFrom.status, 65)
        XCTAssertTrue(noFrom.stderr.contains("'from' and a population after the number of cases"), noFrom.stderr)
    }
}

extension AnalysisTests {
    // MARK: - POP[i]

    /// The cases `sample` lists as held are exactly those whose `outcome(bookings[i])` is
    /// held: an indexed case draws as it does in the population run.
    func testIndexedCaseDrawsAsInThePopulationRun() throws {
        let listed = try run(Self.model + "sample 1000 from bookings where outcome == held\n")
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let held = Set(listed.stdout.split(separator: "\n").dropFirst(2).compactMap { Int($0.split(separator: " ").first ?? "") })
        XCTAssertGreaterThan(held.count, 200)
        XCTAssertLessThan(held.count, 400)
        let probe = (0..<40).map { "outcome(bookings[\($0)])" }.joined(separator: "\n")
        let r = try run(Self.model + probe + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let answers = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(answers, (0..<40).map { held.contains($0) ? "held" : "released" })
    }

    func testExplainOfAnIndexedCaseUnderTwoScenarios() throws {
        let r = try run(Self.model + "explain outcome(bookings[17]) under baseline, strict\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("under baseline: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("under strict: "), r.stdout)
    }

    func testIndexOutOfRangeIsARuntimeErrorNamingTheSize() throws {
        let r = try run(Self.model + "bookings[2].n\nbookings[1000]\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("error: no case 1000 in bookings: bookings has 1,000 cases (0 … 999)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("m.policy:23:10"), r.stderr)
        let notPopulation = try run(Self.model + "let xs = [1]\nxs[0]\n")
        XCTAssertEqual(notPopulation.status, 65)
        XCTAssertTrue(notPopulation.stderr.contains("a list of int cannot be indexed"), notPopulation.stderr)
        XCTAssertTrue(notPopulation.stderr.contains("only a population can be indexed, as bookings[0]"), notPopulation.stderr)
    }
}

extension AnalysisTests {
    // MARK: - chance in explain

    /// The line explain prints for a draw agrees with the answer: `drew u < p → true`
    /// exactly when the case is held, and the same case gives the same draw each run.
    func testExplainShowsEachChanceDrawAndItAgreesWithTheAnswer() throws {
        for i in [0, 1, 2, 3] {
            let r = try run(Self.model + "explain outcome(bookings[\(i)])\noutcome(bookings[\(i)])\n")
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            guard let draw = lines.first(where: { $0.contains("chance(30%)") }) else { return XCTFail(r.stdout) }
            XCTAssertTrue(draw.contains("chance(30%) [stream \"detain\"] drew 0."), draw)
            let held = lines.last == "held"
            XCTAssertTrue(held ? draw.hasSuffix(" < 0.30 → true") : draw.hasSuffix(" ≥ 0.30 → false"), "\(draw) vs \(lines.last ?? "")")
            XCTAssertEqual(try run(Self.model + "explain outcome(bookings[\(i)])\noutcome(bookings[\(i)])\n").stdout, r.stdout)
        }
    }
}
