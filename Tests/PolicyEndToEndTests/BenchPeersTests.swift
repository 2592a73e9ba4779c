import Foundation
import XCTest

/// The yardsticks of `policy bench w4` (bench/w4: a C program and a numpy script) must
/// print exactly the table `policy run --format csv` prints on the same files, or the
/// ratios the engine is measured by compare different work.
final class BenchPeersTests: XCTestCase {
    func testTheW4PeersPrintWhatPolicyPrints() throws {
        let dir = try scratchDirectory()
        let bench = try PolicyProcess.run(["bench", "w4", "--cases", "20000", "--dir", dir.path], timeout: 120)
        assertNoCrash(bench, "bench w4")
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stdout.contains("W4 — 20,000 bookings from CSV"), bench.stdout)
        XCTAssertTrue(bench.stdout.contains("M cases/s"), bench.stdout)
        let folder = dir.appendingPathComponent("w4-20000").path
        let policy = try PolicyProcess.run(["run", "--format", "csv", "\(folder)/w4.policy"])
        XCTAssertEqual(policy.status, 0, policy.stderr)
        let lines = CSVOutput.tables(policy.stdout).split(separator: "\n")
        XCTAssertEqual(lines.count, 6, policy.stdout)
        XCTAssertEqual(lines.first.map(String.init), "year,not_matched,no_detainer,declined,transferred,sum(if outcome == transferred then days_held else 0)")

        let source = PolicyProcess.packageRoot.appendingPathComponent("bench/w4").path
        let binary = dir.appendingPathComponent("w4").path
        let cc = try shell("cc -O2 -o '\(binary)' '\(source)/w4.c'")
        XCTAssertEqual(cc.status, 0, cc.output)
        let c = try shell("'\(binary)' '\(folder)'")
        XCTAssertEqual(c.status, 0, c.output)
        XCTAssertEqual(c.output, CSVOutput.tables(policy.stdout), "the C program and policy disagree")

        guard try shell("python3 -c 'import numpy'").status == 0 else {
            throw XCTSkip("numpy is not installed: the numpy peer was not compared")
        }
        let numpy = try shell("python3 '\(source)/w4.py' '\(folder)'")
        XCTAssertEqual(numpy.status, 0, numpy.output)
        XCTAssertEqual(numpy.output, CSVOutput.tables(policy.stdout), "the numpy script and policy disagree")
    }

    /// Runs `command` with /bin/sh; stdout and stderr together.
    func shell(_ command: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
