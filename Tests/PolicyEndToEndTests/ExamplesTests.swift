import Foundation
import XCTest

/// Every example script runs with its golden output (Examples/golden-outputs.txt lists
/// them; each has a `.expected` beside it), and every `test` block under Examples passes
/// (the Secure Communities calibration and timeline claims, the tutorials' tests).
final class ExamplesTests: XCTestCase {
    static var examples: URL { PolicyProcess.packageRoot.appendingPathComponent("Examples") }

    func testEveryExampleMatchesItsGoldenOutput() throws {
        let list = try String(contentsOf: Self.examples.appendingPathComponent("golden-outputs.txt"), encoding: .utf8)
        let scripts = list.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        XCTAssertGreaterThanOrEqual(scripts.count, 10, "the golden list names the examples")
        for script in scripts {
            let expectedPath = PolicyProcess.packageRoot.appendingPathComponent(String(script.dropLast(".policy".count)) + ".expected")
            let expected = try String(contentsOf: expectedPath, encoding: .utf8)
            let r = try PolicyProcess.run(["run", script], currentDirectory: PolicyProcess.packageRoot, timeout: 240)
            XCTAssertEqual(r.status, 0, "\(script) exited \(r.status): \(r.stderr.prefix(2_000))")
            if r.stdout != expected {
                let got = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }
                let where_ = first.map { "line \($0.offset + 1):\n  got:  \($0.element.0)\n  want: \($0.element.1)" } ?? "lengths differ (\(got.count) vs \(want.count) lines)"
                XCTFail("\(script) differs from its golden output at \(where_)")
            }
        }
    }

    func testEveryExampleTestPasses() throws {
        let r = try PolicyProcess.run(["test", "Examples"], currentDirectory: PolicyProcess.packageRoot, timeout: 600)
        XCTAssertEqual(r.status, 0, "policy test Examples:\n\(r.stdout.suffix(3_000))\n\(r.stderr.prefix(2_000))")
        XCTAssertTrue(r.stdout.hasSuffix(" 0 failed\n"), r.stdout.suffix(500).description)
        XCTAssertFalse(r.stdout.contains("✗"), r.stdout)
    }

    /// The memoised engine and the general one, and one thread and several, give the same
    /// output, byte for byte (a what-if with compare, attribution, plot and explain).
    func testEnginesAndThreadCountsAgree() throws {
        let script = "Examples/secure-communities/whatif-trust-act-2012.policy"
        let root = PolicyProcess.packageRoot
        let fast = try PolicyProcess.run(["run", script], currentDirectory: root, timeout: 240)
        let single = try PolicyProcess.run(["run", script], environment: ["POLICY_THREADS": "1"], currentDirectory: root, timeout: 240)
        let four = try PolicyProcess.run(["run", script], environment: ["POLICY_THREADS": "4"], currentDirectory: root, timeout: 240)
        let general = try PolicyProcess.run(["run", script], environment: ["POLICY_ENGINE": "general"], currentDirectory: root, timeout: 400)
        XCTAssertEqual(fast.status, 0, fast.stderr)
        XCTAssertEqual(fast.stdout, single.stdout, "one thread differs from the default")
        XCTAssertEqual(fast.stdout, four.stdout, "four threads differ from the default")
        XCTAssertEqual(fast.stdout, general.stdout, "the memoised engine differs from evaluating every case")
        let explain = try PolicyProcess.run(["run", script], environment: ["POLICY_ENGINE_EXPLAIN": "1"], currentDirectory: root, timeout: 240)
        XCTAssertTrue(explain.stderr.contains("fast engine"), "the what-if should use the memoised engine: \(explain.stderr.prefix(500))")
    }

    func testEveryExampleIsFormatted() throws {
        let r = try PolicyProcess.run(["fmt", "--check", "Examples"], currentDirectory: PolicyProcess.packageRoot)
        XCTAssertEqual(r.status, 0, "unformatted examples:\n\(r.stdout)\(r.stderr)")
    }
}
