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
    /// output, byte for byte (a what-if with compare, attribution, plot and explain). The
    /// model's populations are weighted to real bookings and spread over 3,142 counties, which
    /// the general engine takes (a memo table would outgrow the cases); the what-if is run here
    /// on the same generator, unweighted and in Los Angeles County alone, where the memo pays.
    func testEnginesAndThreadCountsAgree() throws {
        let root = PolicyProcess.packageRoot
        let model = root.appendingPathComponent("Examples/secure-communities")
        let populations = try String(contentsOf: model.appendingPathComponent("populations.policy"), encoding: .utf8)
        guard let start = populations.range(of: "population bookings of booking {"),
              let end = populations.range(of: "\n}\n", range: start.upperBound..<populations.endIndex) else {
            return XCTFail("populations.policy declares bookings")
        }
        let plain = populations[start.lowerBound..<end.upperBound]
            .replacingOccurrences(of: "population bookings of", with: "population plain_bookings of")
            .replacingOccurrences(of: "jurisdiction weighted by admissions", with: "jurisdiction = los_angeles")
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("weight ") }.joined(separator: "\n")
        let whatIf = try String(contentsOf: model.appendingPathComponent("whatif-trust-act-2012.policy"), encoding: .utf8)
            .replacingOccurrences(of: "include \"main.policy\"", with: "include \"\(model.appendingPathComponent("main.policy").path)\"")
            .replacingOccurrences(of: "from bookings", with: "from plain_bookings")
        let dir = try scratchDirectory()
        let script = try writeFile(dir, "whatif.policy", whatIf + "\n" + plain + "\n")
        let fast = try PolicyProcess.run(["run", script], currentDirectory: dir, timeout: 240)
        let single = try PolicyProcess.run(["run", script], environment: ["POLICY_THREADS": "1"], currentDirectory: dir, timeout: 240)
        let four = try PolicyProcess.run(["run", script], environment: ["POLICY_THREADS": "4"], currentDirectory: dir, timeout: 240)
        let general = try PolicyProcess.run(["run", script], environment: ["POLICY_ENGINE": "general"], currentDirectory: dir, timeout: 400)
        XCTAssertEqual(fast.status, 0, fast.stderr)
        XCTAssertTrue(fast.stdout.contains("Attribution of the"), fast.stdout)
        XCTAssertEqual(fast.stdout, single.stdout, "one thread differs from the default")
        XCTAssertEqual(fast.stdout, four.stdout, "four threads differ from the default")
        XCTAssertEqual(fast.stdout, general.stdout, "the memoised engine differs from evaluating every case")
        let explain = try PolicyProcess.run(["run", script], environment: ["POLICY_ENGINE_EXPLAIN": "1"], currentDirectory: dir, timeout: 240)
        XCTAssertTrue(explain.stderr.contains("fast engine"), "the what-if should use the memoised engine: \(explain.stderr.prefix(500))")
        let sizes = explain.stderr.components(separatedBy: "memo layout (").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertFalse(sizes.isEmpty, explain.stderr.prefix(500).description)
        XCTAssertTrue(sizes.allSatisfy { $0 < 10_000 }, "one county's table, not the nation's: \(sizes)")
        // The model's own (weighted) what-if: every thread count alike.
        let weighted = try PolicyProcess.run(["run", "Examples/secure-communities/whatif-trust-act-2012.policy"], currentDirectory: root, timeout: 240)
        let weightedSingle = try PolicyProcess.run(["run", "Examples/secure-communities/whatif-trust-act-2012.policy"],
                                                   environment: ["POLICY_THREADS": "1"], currentDirectory: root, timeout: 240)
        XCTAssertEqual(weighted.stdout, weightedSingle.stdout, "the weighted what-if differs with one thread")
    }

    func testEveryExampleIsFormatted() throws {
        let r = try PolicyProcess.run(["fmt", "--check", "Examples"], currentDirectory: PolicyProcess.packageRoot)
        XCTAssertEqual(r.status, 0, "unformatted examples:\n\(r.stdout)\(r.stderr)")
    }
}
