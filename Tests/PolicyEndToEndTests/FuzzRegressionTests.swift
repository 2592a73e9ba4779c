import Foundation
import XCTest

/// Replays every input under Tests/FuzzRegressions/<target>/ through the command the fuzz
/// target stands for (Fuzz/run.sh saves crashing inputs there): each must finish with a
/// diagnostic or a result — exit 0, 1 or 65 — never a crash, a trap or a hang.
final class FuzzRegressionTests: XCTestCase {
    static var regressions: URL { PolicyProcess.packageRoot.appendingPathComponent("Tests/FuzzRegressions") }

    /// The saved inputs of one target (a README in the folder is not an input).
    func inputs(_ target: String) throws -> [URL] {
        let dir = FuzzRegressionTests.regressions.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0) }
    }

    func assertFinishes(_ r: PolicyProcess.Result, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        assertNoCrash(r, what, file: file, line: line)
        XCTAssertTrue([0, 1, 65].contains(r.status), "\(what): exit \(r.status)\n\(r.stderr.prefix(1_000))", file: file, line: line)
        if r.status == 65 {
            XCTAssertTrue(r.stderr.contains("error: "), "\(what): exit 65 without a diagnostic", file: file, line: line)
        }
    }

    /// Target (a): lexer, parser, formatter.
    func testLexParseRegressions() throws {
        let found = try inputs("lexparse")
        XCTAssertFalse(found.isEmpty, "no saved inputs for lexparse")
        for input in found {
            for args in [["check", "--no-color"], ["fmt", "--no-color"]] {
                assertFinishes(try PolicyProcess.run(args + [input.path], timeout: 30), "\(args[0]) \(input.lastPathComponent)")
            }
        }
    }

    /// Target (b): parser and checker.
    func testCheckRegressions() throws {
        let found = try inputs("check")
        XCTAssertFalse(found.isEmpty, "no saved inputs for check")
        for input in found {
            assertFinishes(try PolicyProcess.run(["check", "--no-color", input.path], timeout: 30), "check \(input.lastPathComponent)")
        }
    }

    /// Target (c): whole runs, with the fuzzer's small population and cascade limits.
    func testRunRegressions() throws {
        let found = try inputs("run-program")
        XCTAssertFalse(found.isEmpty, "no saved inputs for run-program")
        let limits = ["--limit", "population=2000", "--limit", "cascade=200"]
        for input in found {
            let dir = try scratchDirectory()
            let script = try writeFile(dir, "fuzz.policy", try readFile(input.path))
            try writeFile(dir, "inc.policy", "let included = 1\n")
            try writeFile(dir, "cases.csv", "date,jurisdiction\n2013-01-01,usa\n")
            for command in ["run", "test"] {
                for format in ["table", "csv", "json"] where command == "run" || format == "table" {
                    let args = [command, "--no-color"] + limits + (command == "run" ? ["--format", format] : []) + [script]
                    assertFinishes(try PolicyProcess.run(args, currentDirectory: dir, timeout: 60), "\(command) \(format) \(input.lastPathComponent)")
                }
            }
        }
    }

    /// Target (e): the renderers. Its saved `crash-*` inputs are bytes that only the fuzz
    /// target reads (Fuzz/run.sh runs them first in every render campaign); each finding also
    /// has a program here that produces the same kind of table, run in every format.
    func testRenderRegressions() throws {
        let found = try inputs("render").filter { $0.pathExtension == "policy" }
        XCTAssertFalse(found.isEmpty, "no saved programs for render")
        for input in found {
            for format in ["table", "csv", "json"] {
                let r = try PolicyProcess.run(["run", "--no-color", "--format", format, input.path], timeout: 60)
                assertFinishes(r, "run --format \(format) \(input.lastPathComponent)")
            }
        }
    }

    /// Target (d): each input as the cases file and as the jurisdictions file of
    /// Fuzz/csv-program.policy.
    func testCSVRegressions() throws {
        let found = try inputs("csv")
        XCTAssertFalse(found.isEmpty, "no saved inputs for csv")
        let program = try readFile(PolicyProcess.packageRoot.appendingPathComponent("Fuzz/csv-program.policy").path)
        let places = "name,kind,parent,label,trust\nsangamon,county,illinois,Sangamon County,0.4\n"
        let cases = "date,jurisdiction,charge\n2013-01-01,cook,felony\n"
        for input in found {
            let bytes = try readFile(input.path)
            for asCases in [true, false] {
                let dir = try scratchDirectory()
                let script = try writeFile(dir, "p.policy", program)
                try writeFile(dir, "cases.csv", asCases ? bytes : Data(cases.utf8))
                try writeFile(dir, "places.csv", asCases ? Data(places.utf8) : bytes)
                let r = try PolicyProcess.run(["run", "--no-color", script], currentDirectory: dir, timeout: 30)
                assertFinishes(r, "\(input.lastPathComponent) as \(asCases ? "cases" : "jurisdictions")")
            }
        }
    }
}
