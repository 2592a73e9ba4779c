import Foundation
import XCTest

/// A number cell of a CSV is a decimal number, finite: what Swift's own reading would also
/// take (`nan`, `inf`, hex `0x10`, `nan%`) is an error at its cell, so no NaN or infinity
/// ever enters a population.
final class CSVNumberTests: XCTestCase {
    let program = """
        jurisdiction usa: federal
        record r { date: date, jurisdiction: jurisdiction, x: number = 0.0 }
        population p of r from "cases.csv"
        sum(p, x)

        """

    func run(_ cell: String) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        _ = try writeFile(dir, "cases.csv", "date,jurisdiction,x\n2011-01-01,usa,1\n2011-01-02,usa,\(cell)\n")
        _ = try writeFile(dir, "m.policy", program)
        let r = try PolicyProcess.run(["run", "--no-color", "m.policy"], currentDirectory: dir)
        assertNoCrash(r, "run with \(cell)")
        return r
    }

    func testDecimalNumbersAndPercentagesAreRead() throws {
        for (cell, total) in [("12.5", "13.5"), ("-3", "-2.0"), ("1e3", "1001.0"), ("1_000", "1001.0"), ("30%", "1.3"), ("+2.", "3.0")] {
            let r = try run(cell)
            XCTAssertEqual(r.status, 0, "\(cell): \(r.stderr)")
            XCTAssertEqual(r.stdout, total + "\n", cell)
        }
    }

    func testNanInfinityAndHexAreErrorsAtTheirCell() throws {
        for cell in ["nan", "NaN", "inf", "-infinity", "0x10", "1e999", "nan%", "inf%", "1e", "--1", "1.2.3", "_1"] {
            let r = try run(cell)
            XCTAssertEqual(r.status, 65, "\(cell) was read: \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("error: cannot read '\(cell)' as a number"), "\(cell): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("cases.csv:3:"), "\(cell): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("write a decimal number"), "\(cell): \(r.stderr)")
        }
    }
}
