import Foundation
import XCTest

/// A real Slurm: a single-node cluster on localhost (`Tests/Schedulers/slurm-local.sh`, as
/// root) runs the shards as a job array from `Examples/distributed/slurm-shards.sbatch` and the
/// merge as a job that depends on it (`slurm-merge.sbatch`); the merge equals the single run.
/// Where Slurm cannot be started the test is skipped, saying why — unless
/// `POLICY_REQUIRE_SLURM` is set (as `.ci/run` sets it), when that is a failure.
final class SlurmTests: XCTestCase {
    func sh(_ args: [String], in dir: URL? = nil, timeout: TimeInterval = 300) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        if let dir { process.currentDirectoryURL = dir }
        let scratch = try scratchDirectory()
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            // Foundation sees the exit when every copy of a descriptor it gave the child is
            // closed: a daemon that kept one would hold this wait for ever, so it is bounded.
            process.terminate()
            let grace = Date().addingTimeInterval(5)
            while process.isRunning, Date() < grace { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            XCTFail("\(args.joined(separator: " ")) did not finish within \(timeout) s")
            return (-1, "", "timed out")
        }
        return (process.terminationStatus, String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Skips, or fails when Slurm is required, with the reason.
    func unavailable(_ why: String) throws {
        if ProcessInfo.processInfo.environment["POLICY_REQUIRE_SLURM"] != nil {
            XCTFail("Slurm is required here (POLICY_REQUIRE_SLURM) but \(why)")
            return
        }
        throw XCTSkip("Slurm: \(why)")
    }

    func testAJobArrayAndADependentMergeJob() throws {
        let root = PolicyProcess.packageRoot
        let start = try sh([root.appendingPathComponent("Tests/Schedulers/slurm-local.sh").path, "start"])
        guard start.status == 0 else {
            return try unavailable(start.status == 77 ? "the cluster needs root to start (\(start.err.trimmingCharacters(in: .whitespacesAndNewlines)))"
                : "it could not be started: \(start.err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let dir = try scratchDirectory()
        try writeFile(dir, "study.policy", ShardTests.script)
        try writeFile(dir, "counties.csv", ShardTests.counties)
        try writeFile(dir, "bookings.csv", ShardTests.bookings)
        var single: [String: String] = [:]
        for format in ["table", "csv", "json"] {
            let r = try PolicyProcess.run(["run", "--format", format, "study.policy"], currentDirectory: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            single[format] = r.stdout
        }
        let svg = try readFile(dir.appendingPathComponent("held.svg").path)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("held.svg"))

        let examples = root.appendingPathComponent("Examples/distributed")
        let export = "--export=ALL,POLICY=\(PolicyProcess.executable.path),STUDY=study.policy,OUT=shards"
        let array = try sh(["sbatch", "--parsable", "--array=1-4", "--chdir=\(dir.path)", export,
                            examples.appendingPathComponent("slurm-shards.sbatch").path])
        XCTAssertEqual(array.status, 0, array.err)
        let arrayJob = array.out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        XCTAssertFalse(arrayJob.isEmpty, "sbatch printed the array's job id: \(array.out)")
        let merge = try sh(["sbatch", "--parsable", "--dependency=afterok:\(arrayJob)", "--chdir=\(dir.path)", export + ",FORMAT=csv",
                            examples.appendingPathComponent("slurm-merge.sbatch").path])
        XCTAssertEqual(merge.status, 0, merge.err)
        let mergeJob = merge.out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""

        // Wait until neither job is queued or running (the merge runs only after every shard).
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline {
            let q = try sh(["squeue", "-h", "-j", "\(arrayJob),\(mergeJob)", "-o", "%i %T"])
            if q.status == 0, q.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            usleep(250_000)
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("slurm-") }.sorted()
            .map { name in "--- \(name)\n" + String(decoding: (try? readFile(dir.appendingPathComponent(name).path)) ?? Data(), as: UTF8.self) }
            .joined(separator: "\n")) ?? ""
        for k in 1...4 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("shards/shard-\(k)-of-4.json").path),
                          "task \(k) of the array wrote its shard\n\(logs)")
        }
        let csv = String(decoding: (try? readFile(dir.appendingPathComponent("shards.csv").path)) ?? Data(), as: UTF8.self)
        XCTAssertEqual(csv, single["csv"], "the merge job's CSV is the single run's\n\(logs)")
        XCTAssertEqual(try readFile(dir.appendingPathComponent("held.svg").path), svg, "the merge job wrote the plot's file")
        for format in ["table", "json"] {
            let r = try PolicyProcess.run(["merge", "--format", format, "shards"], currentDirectory: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, single[format], "merge --format \(format) of the array's shards")
        }
    }
}
