import Foundation
import XCTest

/// `table|compare … to "file.csv"|"file.json"` writes that one result, in the format its
/// extension names — the same bytes `--format csv|json` prints — atomically, and says so;
/// a file that cannot be written is an error that names it.
final class OutputFileTests: XCTestCase {
    static let model = """
        enum charge { felony, misdemeanor }
        jurisdiction usa: federal
        jurisdiction cook: county in usa
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
        }
        param p: number = 30%
        population bookings of booking {
          size 2_000
          seed 4
          date uniform 2012-01-01 .. 2013-12-31
          jurisdiction = cook
          charge { felony: 40%, misdemeanor: 60% }
        }
        decision held(b: booking): bool = chance(p)
        scenario more { param p = 45% }

        """

    func testTablesAndComparesAreWrittenInTheirFilesFormat() throws {
        let dir = try scratchDirectory()
        let table = "table count(held) by year from bookings"
        let compare = "compare baseline, more on count(held) by charge from bookings replicates 3"
        try writeFile(dir, "m.policy", Self.model + "\(table) to \"held.csv\"\n\(compare) to \"out/more.json\"\n")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        let r = try PolicyProcess.run(["run", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "wrote held.csv\nwrote out/more.json\n")
        let asJSON = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual((JSONDocument.results(asJSON.stdout) ?? []).map { $0["kind"] as? String }, ["file", "file"], asJSON.stdout)
        // The same bytes as the machine formats print.
        try writeFile(dir, "t.policy", Self.model + table + "\n")
        try writeFile(dir, "c.policy", Self.model + compare + "\n")
        let csv = try PolicyProcess.run(["run", "--format", "csv", "t.policy"], currentDirectory: dir)
        let json = try PolicyProcess.run(["run", "--format", "json", "c.policy"], currentDirectory: dir)
        XCTAssertEqual(String(decoding: try readFile(dir.appendingPathComponent("held.csv").path), as: UTF8.self), CSVOutput.tables(csv.stdout))
        XCTAssertEqual(csv.stdout, "# \(table)\n" + CSVOutput.tables(csv.stdout), "the run's CSV names the statement")
        // The file holds the one table; the run's document holds it among its results.
        let file = try JSONSerialization.jsonObject(with: try readFile(dir.appendingPathComponent("out/more.json").path)) as? [String: Any]
        let inDocument = (JSONDocument.results(json.stdout) ?? []).first
        XCTAssertEqual((file?["rows"] as? [[String: Any]])?.count, (inDocument?["rows"] as? [[String: Any]])?.count)
        XCTAssertEqual(file?["notes"] as? [String], inDocument?["notes"] as? [String])
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: try readFile(dir.appendingPathComponent("out/more.json").path)))
        // `fmt` keeps the clause.
        let formatted = try PolicyProcess.run(["fmt", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(formatted.stdout.contains("\(table) to \"held.csv\""), formatted.stdout)
        XCTAssertTrue(formatted.stdout.contains("\(compare) to \"out/more.json\""), formatted.stdout)
    }

    func testAFileThatCannotBeWrittenIsAnError() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", Self.model + "table count(held) from bookings to \"missing/held.csv\"\n")
        let r = try PolicyProcess.run(["run", "--no-color", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: cannot write 'missing/held.csv'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--> m.policy:19:1"), r.stderr)
    }

    /// In CSV and JSON a compare's `%` column is named `AGG change` and holds the fraction
    /// (0.5 for +50%), with an ASCII minus and no thousands separators.
    func testAChangeIsAFractionNamedChange() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", Self.model + "compare baseline, more on count(held), count(not held) from bookings\n")
        let r = try PolicyProcess.run(["run", "--format", "csv", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = CSVOutput.tables(r.stdout).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "count(held) baseline,count(held) more,count(held) Δ,count(held) change,"
                       + "count(not held) baseline,count(not held) more,count(not held) Δ,count(not held) change")
        let cells = (lines.count > 1 ? lines[1] : "").split(separator: ",").map(String.init)
        XCTAssertEqual(cells.count, 8, r.stdout)
        guard cells.count == 8, let base = Double(cells[0]), let more = Double(cells[1]), let change = Double(cells[3]) else { return }
        XCTAssertEqual(change, (more - base) / base, accuracy: 1e-12)
        XCTAssertTrue(cells[6].hasPrefix("-"), "an ASCII minus: \(cells[6])")
        XCTAssertFalse(r.stdout.contains("−"), "no U+2212 in CSV")
        XCTAssertFalse(cells[0].contains(","), "no thousands separator")
    }

    /// `policy run --format json` prints one document: `{"results": [ … ]}`, an object per
    /// result saying what it is, which statement made it and on which line; a runtime error
    /// ends the results with an error object (file, line, column, message) and the document
    /// still parses.
    func testJSONIsOneDocumentOfResults() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", Self.model + """
            1 + 1
            table count(held) by charge from bookings
            plot count(held) by year from bookings replicates 3
            explain held(bookings[2])
            1 / 0

            """)
        let r = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        guard let results = JSONDocument.results(r.stdout) else { return XCTFail("not one document:\n\(r.stdout)") }
        XCTAssertEqual(results.map { $0["kind"] as? String }, ["value", "table", "chart", "explain", "error"], r.stdout)
        XCTAssertEqual(results.map { $0["statement"] as? String }, ["expression", "table", "plot", "explain", "expression"])
        XCTAssertEqual(results.map { $0["line"] as? Int }, [19, 20, 21, 22, 23])
        XCTAssertEqual(results[0]["value"] as? Int, 2)
        XCTAssertEqual((results[1]["rows"] as? [[String: Any]])?.count, 2)
        let series = results[2]["series"] as? [[String: Any]]
        XCTAssertEqual(series?.first?["name"] as? String, "baseline")
        XCTAssertNotNil(series?.first?["ci_low"], "a plot with replicates carries its interval")
        XCTAssertEqual(results[4]["file"] as? String, "m.policy")
        XCTAssertEqual(results[4]["column"] as? Int, 1)
        XCTAssertTrue((results[4]["message"] as? String)?.contains("division by zero") == true, "\(results[4])")
        XCTAssertTrue(r.stderr.contains("division by zero"), "errors are on stderr too: \(r.stderr)")
        // jsonl: the same objects, one per line.
        let lines = try PolicyProcess.run(["run", "--format", "jsonl", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(lines.status, 65)
        let objects = lines.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(objects.count, 5, lines.stdout)
        XCTAssertEqual(objects.map { $0?["kind"] as? String }, ["value", "table", "chart", "explain", "error"], lines.stdout)
    }

    /// An int key (a year) is a number in JSON, and written plain in a table and in CSV.
    func testAYearKeyIsANumberInJSON() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", Self.model + "table count(held) by year from bookings\n")
        let json = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(JSONDocument.tableRows(json.stdout)?.compactMap { $0["year"] as? Int }, [2012, 2013], json.stdout)
        let text = try PolicyProcess.run(["run", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(text.stdout.contains("\n2012  "), text.stdout)
        let csv = try PolicyProcess.run(["run", "--format", "csv", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(CSVOutput.tables(csv.stdout).contains("\n2012,"), csv.stdout)
    }

    /// `plot … where COND` plots only the cases for which COND holds, as `table … where` counts them.
    func testPlotTakesAWhereClause() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", Self.model + """
            plot count by year from bookings where charge == felony
            plot count(charge == felony) by year from bookings

            """)
        let r = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let charts = (JSONDocument.results(r.stdout) ?? []).filter { $0["kind"] as? String == "chart" }
        XCTAssertEqual(charts.count, 2, r.stdout)
        guard charts.count == 2 else { return }
        let filtered = (charts[0]["series"] as? [[String: Any]])?.first?["values"] as? [Double]
        let counted = (charts[1]["series"] as? [[String: Any]])?.first?["values"] as? [Double]
        XCTAssertNotNil(filtered)
        XCTAssertEqual(filtered, counted)
        let formatted = try PolicyProcess.run(["fmt", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(formatted.stdout.contains("plot count by year from bookings where charge == felony"), formatted.stdout)
    }
}
