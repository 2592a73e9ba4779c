import Foundation
import XCTest

/// What an analyst hands on: every example's `--format json` is one document valid against
/// `Schemas/results.schema.json`; its `--format csv` reads table by table (with Python's
/// `csv` module where Python is installed); a compare's attribution and an explanation are
/// data, not prose; a chart can be titled and says what its axes are.
final class MachineOutputTests: XCTestCase {
    static var schema: URL { PolicyProcess.packageRoot.appendingPathComponent("Schemas/results.schema.json") }

    /// Every example script that prints (the golden list: the what-ifs, the story, the report,
    /// the tutorial, the taste of the language), run from its own folder. (The distributed
    /// study is the what-ifs' compare at 100 times the work; its shards' merge is checked
    /// against the single run in every format by ShardTests.)
    static func exampleScripts() throws -> [URL] {
        let root = PolicyProcess.packageRoot
        let list = try String(contentsOf: root.appendingPathComponent("Examples/golden-outputs.txt"), encoding: .utf8)
        return list.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { root.appendingPathComponent($0) }
    }

    func run(_ script: URL, _ format: String) throws -> PolicyProcess.Result {
        try PolicyProcess.run(["run", "--no-color", "--format", format, script.lastPathComponent],
                              currentDirectory: script.deletingLastPathComponent(), timeout: 240)
    }

    func testEveryExampleIsOneJSONDocumentValidAgainstTheSchema() throws {
        let validator = try JSONSchemaValidator(schemaAt: Self.schema)
        let scripts = try Self.exampleScripts()
        XCTAssertGreaterThanOrEqual(scripts.count, 19)
        var kinds: Set<String> = []
        for script in scripts {
            let r = try run(script, "json")
            XCTAssertEqual(r.status, 0, "\(script.lastPathComponent): \(r.stderr.prefix(500))")
            guard let doc = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) else {
                XCTFail("\(script.lastPathComponent) is not one JSON document:\n\(r.stdout.prefix(500))")
                continue
            }
            let errors = validator.errors(doc)
            XCTAssertEqual(errors, [], "\(script.lastPathComponent)")
            for result in ((doc as? [String: Any])?["results"] as? [[String: Any]]) ?? [] {
                if let kind = result["kind"] as? String { kinds.insert(kind) }
            }
        }
        XCTAssertTrue(kinds.isSuperset(of: ["value", "table", "chart", "text", "explain"]), "the examples cover the kinds: \(kinds)")
    }

    func testTheValidatorRejectsWhatTheSchemaForbids() throws {
        let validator = try JSONSchemaValidator(schemaAt: Self.schema)
        XCTAssertEqual(validator.errors(["results": []]), [])
        XCTAssertFalse(validator.errors(["results": [["kind": "table", "rows": []]]]).isEmpty, "a table needs its columns")
        XCTAssertFalse(validator.errors(["results": [["kind": "value", "value": 1, "text": "1", "extra": true]]]).isEmpty)
        XCTAssertFalse(validator.errors(["results": [["kind": "pie"]]]).isEmpty)
        XCTAssertFalse(validator.errors(["results": [["kind": "error", "message": "m", "column": 0]]]).isEmpty, "columns count from 1")
        XCTAssertFalse(validator.errors(["output": []]).isEmpty)
    }

    /// Every example's CSV is blocks of `# STATEMENT` and one table each, every record as
    /// wide as its header — read by this suite's reader and, where Python is, by its `csv`.
    func testEveryExampleCSVLoadsTableByTable() throws {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
        for script in try Self.exampleScripts() {
            let r = try run(script, "csv")
            XCTAssertEqual(r.status, 0, "\(script.lastPathComponent): \(r.stderr.prefix(500))")
            for block in CSVOutput.blocks(r.stdout) {
                XCTAssertFalse(block.comments.isEmpty, "\(script.lastPathComponent): a block without its statement\n\(r.stdout.prefix(800))")
                guard let header = block.rows.first else { continue }
                for row in block.rows { XCTAssertEqual(row.count, header.count, "\(script.lastPathComponent): \(row) under \(header)") }
                for cell in block.rows.joined() where cell.hasPrefix("−") { XCTFail("a number with a U+2212 minus: \(cell)") }
            }
            guard python else { continue }
            let check = try Self.pythonCSV(r.stdout)
            XCTAssertTrue(check.hasPrefix("ok"), "\(script.lastPathComponent): \(check)")
        }
    }

    /// Reads CSV output with Python's `csv` module, block by block: `ok N` (N tables), or what
    /// is wrong.
    static func pythonCSV(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("out.csv")
        try Data(text.utf8).write(to: input)
        let script = """
            import csv, sys
            tables, block = 0, None
            with open(sys.argv[1], newline="") as f:
                for row in csv.reader(f):
                    if not row:
                        block = None
                        continue
                    if block is None:
                        if not row[0].startswith("#"):
                            sys.exit("a block does not open with '# STATEMENT': %r" % row)
                        block = {"header": None}
                        continue
                    if block["header"] is None:
                        if row[0].startswith("#"):
                            continue
                        block["header"] = row
                        tables += 1
                    elif len(row) != len(block["header"]):
                        sys.exit("%r is not as wide as %r" % (row, block["header"]))
            for x in []: pass
            print("ok", tables)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, input.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A compare's attribution is its own table in CSV and a list of objects in JSON, with the
    /// same cases as the text's lines.
    func testAttributionIsDataInJSONAndCSV() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", OutputFileTests.model + "compare baseline, more on count(held) by charge from bookings\n")
        let json = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(json.status, 0, json.stderr)
        let table = (JSONDocument.results(json.stdout) ?? []).first
        let attribution = table?["attribution"] as? [[String: Any]] ?? []
        XCTAssertFalse(attribution.isEmpty, json.stdout)
        let first = attribution.first ?? [:]
        XCTAssertEqual(first["decision"] as? String, "held")
        XCTAssertEqual(first["scenario"] as? String, "more")
        XCTAssertNotNil(first["value"] as? Bool, "a value is typed: \(first)")
        XCTAssertEqual((first["baseline"] as? [String: Any])?["scenario"] as? String, "baseline")
        let cases = attribution.compactMap { $0["cases"] as? Int }.reduce(0, +)
        let text = try PolicyProcess.run(["run", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(text.stdout.contains("Attribution of the \(cases) cases that differ"), "\(cases)\n\(text.stdout)")

        let csv = try PolicyProcess.run(["run", "--format", "csv", "m.policy"], currentDirectory: dir)
        let blocks = CSVOutput.blocks(csv.stdout)
        XCTAssertEqual(blocks.count, 2, csv.stdout)
        guard blocks.count == 2 else { return }
        XCTAssertEqual(blocks[0].comments, ["compare baseline, more on count(held) by charge from bookings"])
        XCTAssertEqual(blocks[1].comments, ["attribution: compare baseline, more on count(held) by charge from bookings"])
        XCTAssertEqual(Array(blocks[1].rows.first?.prefix(4) ?? []), ["cases", "decision", "scenario", "value"])
        XCTAssertEqual(blocks[1].rows.dropFirst().compactMap { Int($0[0]) }.reduce(0, +), cases)
    }

    /// `explain` in JSON is a tree: per scenario, the value and its decisions, each with the
    /// case, the policies in force and their answers, the draws and the decisions it asked;
    /// with two scenarios, where they part.
    func testExplainIsATreeInJSON() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", OutputFileTests.model + """
            decision flagged(b: booking): bool = held(b) and b.charge == felony
            explain flagged(bookings[3]) under baseline, more

            """)
        let r = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        guard let result = JSONDocument.results(r.stdout)?.first else { return XCTFail(r.stdout) }
        XCTAssertEqual(result["kind"] as? String, "explain")
        let scenarios = result["scenarios"] as? [[String: Any]] ?? []
        XCTAssertEqual(scenarios.map { $0["scenario"] as? String }, ["baseline", "more"])
        let root = (scenarios.first?["decisions"] as? [[String: Any]])?.first
        XCTAssertEqual(root?["decision"] as? String, "flagged")
        XCTAssertEqual((root?["case"] as? [String: Any])?["jurisdiction"] as? String, "cook")
        let asked = root?["asked"] as? [[String: Any]] ?? []
        XCTAssertEqual(asked.first?["decision"] as? String, "held", "the decision it asked first")
        XCTAssertEqual((asked.first?["chances"] as? [[String: Any]])?.first?["call"] as? String, "chance(p)")
        XCTAssertTrue(result["difference"] is NSNull || result["difference"] is [String: Any])
        XCTAssertTrue((result["text"] as? String)?.hasPrefix("under baseline:") == true, "\(result)")
    }

    /// `plot … titled "…"` sets the title; the axes are labelled in SVG and in JSON; the
    /// terminal shows the labels under a title that may not say them. Only plot takes it.
    func testAChartCanBeTitledAndLabelsItsAxes() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", OutputFileTests.model + """
            plot count(held) by year from bookings titled "Held, by year" to "held.svg"
            plot share(held) by charge from bookings titled "Share held"

            """)
        let r = try PolicyProcess.run(["run", "--no-color", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Share held\nshare(held) (fraction of cases) by charge\n"), r.stdout)
        let svg = String(decoding: try readFile(dir.appendingPathComponent("held.svg").path), as: UTF8.self)
        XCTAssertTrue(svg.contains(">Held, by year</text>"), svg)
        XCTAssertTrue(svg.contains("<title>count(held) (cases)</title>"), "the y axis says what is counted")
        XCTAssertTrue(svg.contains("<title>year</title>year</text>"), "the x axis says what the keys are")
        let json = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        let chart = (JSONDocument.results(json.stdout) ?? []).last
        XCTAssertEqual(chart?["title"] as? String, "Share held")
        XCTAssertEqual(chart?["x_label"] as? String, "charge")
        XCTAssertEqual(chart?["y_label"] as? String, "share(held) (fraction of cases)")

        try writeFile(dir, "t.policy", OutputFileTests.model + "table count(held) by year from bookings titled \"x\"\n")
        let t = try PolicyProcess.run(["run", "--no-color", "t.policy"], currentDirectory: dir)
        XCTAssertEqual(t.status, 65)
        XCTAssertTrue(t.stderr.contains("error: 'titled' names a chart: only 'plot' takes it"), t.stderr)
        XCTAssertTrue(t.stderr.contains("--> t.policy:19:41"), t.stderr)
        let fmt = try PolicyProcess.run(["fmt", "m.policy"], currentDirectory: dir)
        XCTAssertTrue(fmt.stdout.contains("plot count(held) by year from bookings titled \"Held, by year\" to \"held.svg\""), fmt.stdout)
    }

    /// A value is typed in JSON (a million is 1000000, not "1,000,000") and plain in CSV.
    func testValuesAreTypedInJSONAndPlainInCSV() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", "1000 * 1000\n2013-01-01\n-2.5\n")
        let json = try PolicyProcess.run(["run", "--format", "json", "m.policy"], currentDirectory: dir)
        let values = (JSONDocument.results(json.stdout) ?? []).map { $0["value"] }
        XCTAssertEqual(values.count, 3, json.stdout)
        guard values.count == 3 else { return }
        XCTAssertEqual(values[0] as? Int, 1_000_000)
        XCTAssertEqual(values[1] as? String, "2013-01-01")
        XCTAssertEqual(values[2] as? Double, -2.5)
        let csv = try PolicyProcess.run(["run", "--format", "csv", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(CSVOutput.blocks(csv.stdout).map { $0.rows }, [[["value"], ["1000000"]], [["value"], ["2013-01-01"]], [["value"], ["-2.5"]]])
    }

    /// A table written to a `.json` file is the payload of a table result: valid against the
    /// schema's `tablePayload`.
    func testATableFileIsATablePayload() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", OutputFileTests.model + "compare baseline, more on count(held) by charge from bookings to \"c.json\"\n")
        let r = try PolicyProcess.run(["run", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let payload = try JSONSerialization.jsonObject(with: try readFile(dir.appendingPathComponent("c.json").path))
        XCTAssertEqual(try JSONSchemaValidator(schemaAt: Self.schema).errors(payload, definition: "tablePayload"), [])
        XCTAssertNotNil((payload as? [String: Any])?["attribution"])
    }
}
