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
        // The same bytes as the machine formats print.
        try writeFile(dir, "t.policy", Self.model + table + "\n")
        try writeFile(dir, "c.policy", Self.model + compare + "\n")
        let csv = try PolicyProcess.run(["run", "--format", "csv", "t.policy"], currentDirectory: dir)
        let json = try PolicyProcess.run(["run", "--format", "json", "c.policy"], currentDirectory: dir)
        XCTAssertEqual(String(decoding: try readFile(dir.appendingPathComponent("held.csv").path), as: UTF8.self), csv.stdout)
        XCTAssertEqual(String(decoding: try readFile(dir.appendingPathComponent("out/more.json").path), as: UTF8.self), json.stdout)
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
}
