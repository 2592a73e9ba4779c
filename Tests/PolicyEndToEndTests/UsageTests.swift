import Foundation
import XCTest

/// The command line itself: help, version, and what a wrong invocation does.
final class UsageTests: XCTestCase {
    func testHelpMentionsTheCommands() throws {
        for args in [["--help"], ["-h"], ["help"]] {
            let r = try PolicyProcess.run(args)
            assertNoCrash(r, "policy \(args.joined(separator: " "))")
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            let text = r.stdout + r.stderr
            XCTAssertTrue(text.contains("check"), "\(args): \(text)")
            XCTAssertTrue(text.contains("fmt"), "\(args): \(text)")
        }
    }

    func testSubcommandHelp() throws {
        for (sub, flags) in [("check", ["--dump", "--no-color"]), ("fmt", ["--check", "--write"])] {
            let r = try PolicyProcess.run([sub, "--help"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for flag in flags { XCTAssertTrue(r.stdout.contains(flag), "\(sub) --help lacks \(flag): \(r.stdout)") }
        }
    }

    func testVersionPrintsAVersion() throws {
        let r = try PolicyProcess.run(["--version"])
        assertNoCrash(r, "policy --version")
        XCTAssertEqual(r.status, 0, r.stderr)
        let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(version.range(of: #"\d+\.\d+(\.\d+)?"#, options: .regularExpression),
                        "no version number in '\(version)'")
    }

    /// `policy FILE…` runs scripts, so an unknown word is taken for a file name: it must
    /// fail cleanly and name the word.
    func testUnknownSubcommandFailsCleanly() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["frobnicate"], currentDirectory: dir)
        assertNoCrash(r, "policy frobnicate")
        XCTAssertTrue([2, 66].contains(r.status), "policy frobnicate: status \(r.status); stderr: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("frobnicate"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testUnknownFlagIsAUsageError() throws {
        for args in [["check", "--frobnicate", "x.policy"], ["fmt", "--frobnicate", "x.policy"], ["--frobnicate"]] {
            let r = try PolicyProcess.run(args)
            assertNoCrash(r, "policy \(args.joined(separator: " "))")
            XCTAssertEqual(r.status, 2, "\(args): usage errors exit 2 (LANGUAGE.md §8); stderr: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--frobnicate"), "\(args): \(r.stderr)")
        }
    }

    func testMissingFileArgumentIsAUsageError() throws {
        for sub in ["check", "fmt"] {
            let r = try PolicyProcess.run([sub])
            assertNoCrash(r, "policy \(sub)")
            XCTAssertEqual(r.status, 2, "policy \(sub) with no files: usage errors exit 2; stderr: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("files"), r.stderr)
        }
    }

    func testUnknownBenchWorkloadIsAUsageError() throws {
        let r = try PolicyProcess.run(["bench", "frobnicate"])
        assertNoCrash(r, "policy bench frobnicate")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("parse"), r.stderr)
    }

    /// W3 at a small size: the second compare, after one scenario changed for one state,
    /// reuses the population, and its figures differ only where the change applies.
    func testBenchW3ReusesThePopulationAfterAChange() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["bench", "w3", "--cases", "20000", "--dir", dir.path],
                                      currentDirectory: PolicyProcess.packageRoot, timeout: 120)
        assertNoCrash(r, "policy bench w3")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("reused                                      1 population, 20,000 cases not generated again"), r.stdout)
        XCTAssertTrue(r.stdout.contains("in force from 2013-01-01 (event trust_act_signed_2012) in variant"), "first run: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("in force from 2013-07-01 (event trust_act_signed_2012) in variant"), "after the change: \(r.stdout)")
    }

    /// W5 at a small size: the generated population with continuous fields is compared in
    /// two scenarios that differ only from 2013, and the attribution (made on every core)
    /// is the same on one thread and case by case.
    func testBenchW5ComparesAndAttributesAlikeOnAnyEngine() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["bench", "w5", "--cases", "30000", "--dir", dir.path], timeout: 120)
        assertNoCrash(r, "policy bench w5")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("W5 — 30,000 generated bookings"), r.stdout)
        XCTAssertTrue(r.stdout.contains("compare (two scenarios)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("in force from 2013-01-01 (event early_bail_wave) in early_bail_rule"), r.stdout)

        let script = dir.appendingPathComponent("w5-30000/w5.policy").path
        let whole = try PolicyProcess.run(["run", script])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stdout.contains("Attribution of the "), whole.stdout)
        // Before 2013 the scenarios agree (every Δ is 0); from 2013 fewer are transferred.
        let csv = try PolicyProcess.run(["run", "--format", "csv", script])
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.filter { $0.count == 17 && (2010...2014).contains(Int($0[0]) ?? 0) }.count, 5, csv.stdout)
        for row in rows where row.first.map({ ["2010", "2011", "2012"].contains($0) }) ?? false {
            XCTAssertEqual([row[3], row[7], row[11], row[15]], ["0", "0", "0", "0"], row.joined(separator: ","))
        }
        for row in rows where row.first.map({ ["2013", "2014"].contains($0) }) ?? false {
            XCTAssertLessThan(Int(row[15]) ?? 0, 0, row.joined(separator: ","))
        }
        for environment in [["POLICY_THREADS": "1"], ["POLICY_ENGINE": "scalar"], ["POLICY_THREADS": "3"]] {
            let other = try PolicyProcess.run(["run", script], environment: environment)
            XCTAssertEqual(other.stdout, whole.stdout, "\(environment)")
            XCTAssertEqual(other.status, 0, other.stderr)
        }
    }

    func testBenchParseRunsSmall() throws {
        let r = try PolicyProcess.run(["bench", "parse", "--megabytes", "0.05", "--repeats", "1"])
        assertNoCrash(r, "policy bench parse")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.isEmpty)
    }
}
