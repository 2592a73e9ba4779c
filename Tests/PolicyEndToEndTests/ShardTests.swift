import Foundation
import XCTest

/// `policy run --shard K/N --out DIR`, `policy merge DIR` and `policy plan`: the merge of a
/// run's shards prints what the run prints on one machine, byte for byte, in every format;
/// whatever is missing, doubled, cut short or changed is an error that names it; a rerun
/// keeps what verifies. GNU parallel drives real shards here; Slurm in SlurmTests.
final class ShardTests: XCTestCase {
    /// A model with jurisdictions and cases from CSV, sweeps with replicates, a plot to a
    /// file, a decomposition, and statements that print without reading cases.
    static let script = """
        enum charge { felony, misdemeanor }
        jurisdiction attributes { trust: number = 1.0, admissions: int = 1 }
        jurisdiction usa: federal
        jurisdictions from "counties.csv"
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
        }
        param p: number = 30%
        param q: number = 10%
        population bookings of booking {
          size 2_000
          seed 5
          date uniform 2012-01-01 .. 2014-12-31
          jurisdiction weighted by admissions
          charge { felony: 40%, misdemeanor: 60% }
        }
        population recorded of booking from "bookings.csv"
        decision detain(b: booking): bool = chance(p * b.jurisdiction.trust)
        decision flag(b: booking): bool = chance(q)
        scenario reform {
          param p = 50%
          param q = 25%
        }
        let held(b: booking): bool = detain(b) or flag(b)

        1 + 1
        compare baseline, reform on count(held), count(detain) by year from bookings sweep p in 20% .. 40% step 10% replicates 4
        table count(held) by jurisdiction from recorded replicates 3
        plot count(held) by year from bookings under baseline, reform replicates 3 to "held.svg"
        decompose reform on count(held) from bookings replicates 3
        compare baseline, reform on count(held) by charge from bookings
        explain detain(bookings[3])
        assert 2 > 1

        """

    static let counties = """
        name,kind,parent,trust
        illinois,state,usa,
        cook,county,illinois,0.8
        dupage,county,illinois,0.5

        """

    static let bookings = """
        date,jurisdiction,charge
        2012-01-01,cook,felony
        2012-02-01,dupage,misdemeanor
        2013-03-01,cook,misdemeanor
        2013-04-01,dupage,felony

        """

    func makeModel() throws -> URL {
        let dir = try scratchDirectory()
        try writeFile(dir, "study.policy", Self.script)
        try writeFile(dir, "counties.csv", Self.counties)
        try writeFile(dir, "bookings.csv", Self.bookings)
        return dir
    }

    func policy(_ args: [String], in dir: URL, environment: [String: String] = [:],
                file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let r = try PolicyProcess.run(args, environment: environment, currentDirectory: dir, timeout: 120, file: file, line: line)
        assertNoCrash(r, args.joined(separator: " "), file: file, line: line)
        return r
    }

    /// The single run's output in each format, and its chart file.
    func singleRun(_ dir: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for format in ["table", "csv", "json", "jsonl"] {
            let r = try policy(["run", "--format", format, "study.policy"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            out[format] = r.stdout
        }
        out["svg"] = String(decoding: try readFile(dir.appendingPathComponent("held.svg").path), as: UTF8.self)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("held.svg"))
        return out
    }

    func assertMergeEquals(_ single: [String: String], _ dir: URL, shards: String = "shards",
                           file: StaticString = #filePath, line: UInt = #line) throws {
        for format in ["table", "csv", "json", "jsonl"] {
            let merged = try policy(["merge", "--format", format, shards], in: dir, file: file, line: line)
            XCTAssertEqual(merged.status, 0, merged.stderr, file: file, line: line)
            XCTAssertEqual(merged.stdout, single[format], "merge --format \(format)", file: file, line: line)
        }
        let svg = String(decoding: try readFile(dir.appendingPathComponent("held.svg").path), as: UTF8.self)
        XCTAssertEqual(svg, single["svg"], "the plot's file", file: file, line: line)
    }

    func testFourShardsMergeToTheSingleRunInEveryFormat() throws {
        let dir = try makeModel()
        let single = try singleRun(dir)
        for k in 1...4 {
            let r = try policy(["run", "study.policy", "--shard", "\(k)/4", "--out", "shards"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "", "a shard prints nothing on stdout")
            XCTAssertTrue(r.stderr.contains("shard \(k)/4: "), r.stderr)
            XCTAssertTrue(r.stderr.contains("shards/shard-\(k)-of-4.json"), r.stderr)
        }
        try assertMergeEquals(single, dir)
        // The file says what it ran: program, policy, seeds, shard, and each unit's parts.
        let text = String(decoding: try readFile(dir.appendingPathComponent("shards/shard-1-of-4.json").path), as: UTF8.self)
        for field in ["\"format\":\"policy-shard/1\"", "\"policy\":\"0.1.0\"", "\"program\":", "\"sources\":", "\"data\":",
                      "\"shard\":1", "\"shards\":4", "\"seed\":", "\"groups\":"] {
            XCTAssertTrue(text.contains(field), "\(field) in\n\(text.prefix(1_000))")
        }
        var all = ""
        for k in 1...4 { all += String(decoding: try readFile(dir.appendingPathComponent("shards/shard-\(k)-of-4.json").path), as: UTF8.self) }
        XCTAssertTrue(all.contains("\"path\":\"counties.csv\""), "the data files are recorded")
        XCTAssertTrue(all.contains("\"path\":\"bookings.csv\""), "the data files are recorded")
    }

    func testOneShardAndMoreShardsThanUnitsAlsoMerge() throws {
        let dir = try makeModel()
        let single = try singleRun(dir)
        XCTAssertEqual(try policy(["run", "study.policy", "--shard", "1/1", "--out", "one"], in: dir).status, 0)
        try assertMergeEquals(single, dir, shards: "one")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("held.svg"))
        // 40 shards for fewer units: the last ones hold none, and still must all be there.
        for k in 1...40 {
            XCTAssertEqual(try policy(["run", "study.policy", "--shard", "\(k)/40", "--out", "many"], in: dir).status, 0)
        }
        try assertMergeEquals(single, dir, shards: "many")
    }

    func testGNUParallelRunsTheShards() throws {
        guard let parallel = ["/usr/bin/parallel", "/usr/local/bin/parallel"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("GNU parallel is not installed (bin/ensure-deps --tests installs it as root: apt-get install -y parallel)")
        }
        let dir = try makeModel()
        let single = try singleRun(dir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: parallel)
        process.currentDirectoryURL = dir
        process.arguments = ["--will-cite", "--halt", "now,fail=1", "-j2", PolicyProcess.executable.path, "run", "study.policy",
                             "--shard", "{}/4", "--out", "shards", ":::", "1", "2", "3", "4"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "parallel ran every shard")
        try assertMergeEquals(single, dir)
    }

    func testFaultsAreNamedAndNothingIsLost() throws {
        let dir = try makeModel()
        let single = try singleRun(dir)
        for k in 1...3 { XCTAssertEqual(try policy(["run", "study.policy", "--shard", "\(k)/3", "--out", "shards"], in: dir).status, 0) }
        let second = dir.appendingPathComponent("shards/shard-2-of-3.json")
        let kept = try readFile(second.path)

        // A missing shard.
        try FileManager.default.removeItem(at: second)
        var r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("error: shard 2 of 3 is missing from 'shards'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--shard 2/3 --out shards"), "the hint says how to run it: \(r.stderr)")

        // A doubled shard.
        try kept.write(to: second)
        try kept.write(to: dir.appendingPathComponent("shards/copy.json"))
        r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: shard 2 of 3 is in 2 files: shards/copy.json, shards/shard-2-of-3.json"), r.stderr)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("shards/copy.json"))

        // A truncated file, then a rerun that writes it again.
        try kept.prefix(kept.count / 2).write(to: second)
        r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: shards/shard-2-of-3.json is not a complete shard file"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the file is cut short"), r.stderr)
        r = try policy(["run", "study.policy", "--shard", "2/3", "--out", "shards"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("is incomplete; running the shard again"), r.stderr)
        try assertMergeEquals(single, dir)

        // A resumed run: every shard again; the complete files are kept as they are.
        let before = try readFile(second.path)
        for k in 1...3 {
            r = try policy(["run", "study.policy", "--shard", "\(k)/3", "--out", "shards"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("shard \(k)/3: shards/shard-\(k)-of-3.json is already complete; nothing to do"), r.stderr)
        }
        XCTAssertEqual(try readFile(second.path), before)

        // A data file edited after the shards read it.
        let csv = dir.appendingPathComponent("bookings.csv")
        try writeFile(dir, "bookings.csv", Self.bookings + "2014-05-01,cook,felony\n")
        r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bookings.csv has changed since the shards read it"), r.stderr)
        try Data(Self.bookings.utf8).write(to: csv)

        // A shard of an edited program, beside shards of the old one.
        try writeFile(dir, "study.policy", Self.script + "table count(held) from bookings\n")
        r = try policy(["run", "study.policy", "--shard", "2/3", "--out", "shards"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("is from another run (another version of the program)"), r.stderr)
        r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("come from different programs ('study.policy' differs)"), r.stderr)
        // And every shard of the old program, with the program edited since.
        try kept.write(to: second)
        r = try policy(["merge", "shards"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: the program has changed since the shards ran: 'study.policy'"), r.stderr)
    }

    func testAnEmptyOrMissingFolderAndAForeignFile() throws {
        let dir = try makeModel()
        var r = try policy(["merge", "nowhere"], in: dir)
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("error: cannot read the folder 'nowhere'"), r.stderr)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        r = try policy(["merge", "empty"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: no shard files in 'empty'"), r.stderr)
        try writeFile(dir.appendingPathComponent("empty"), "other.json", "{\"a\": 1}")
        r = try policy(["merge", "empty"], in: dir)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("empty/other.json is not a complete shard file: not a shard file of policy"), r.stderr)
    }

    func testWhichShardComesFromTheScheduler() throws {
        let dir = try makeModel()
        // A Slurm job array counted from 1, of 4 tasks.
        var r = try policy(["run", "study.policy", "--out", "slurm"], in: dir,
                           environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("slurm/shard-3-of-4.json").path), r.stderr)
        // A Kubernetes Indexed Job: the index counts from 0.
        r = try policy(["run", "study.policy", "--out", "k8s", "--shards", "2"], in: dir, environment: ["JOB_COMPLETION_INDEX": "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("k8s/shard-1-of-2.json").path), r.stderr)
        r = try policy(["run", "study.policy", "--out", "k8s"], in: dir, environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shards N"), r.stderr)
        // Neither.
        r = try policy(["run", "study.policy", "--out", "x"], in: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--out needs to know which shard this is: give --shard K/N"), r.stderr)
        r = try policy(["run", "study.policy", "--out", "x", "--shard", "5/4"], in: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("shard 5 of 4 does not exist"), r.stderr)
        r = try policy(["run", "study.policy", "--out", "x", "--shard", "two"], in: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--shard takes K/N, the shard and how many there are, as in --shard 2/4; not 'two'"), r.stderr)
        r = try policy(["run", "study.policy", "--shard", "1/2"], in: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--shard and --shards need --out DIR"), r.stderr)
    }

    /// A cost past 2^63 (a population declared with the largest size, not yet made) is
    /// printed, never trapped on.
    func testPlanOfAHugePopulationDoesNotTrap() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "big.policy", """
            jurisdiction usa: federal
            record b { date: date, jurisdiction: jurisdiction }
            population p of b {
              size 9_223_372_036_854_775_807
              date uniform 2012-01-01 .. 2012-12-31
              jurisdiction = usa
            }
            scenario other { }
            compare baseline, other on count from p replicates 2

            """)
        let r = try policy(["plan", "big.policy", "--shards", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("compare at big.policy:9:1, replicate 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("18,446,744,073,7"), "the cost, as a number: \(r.stdout)")
    }

    func testPlanListsUnitsCostsAndShards() throws {
        let dir = try makeModel()
        let r = try policy(["plan", "study.policy", "--shards", "3"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("unit  what") == true, r.stdout)
        // 1 + 1, 3 points × 4 replicates, 3 replicates, 3 replicates, 3 replicates, compare, explain, assert.
        XCTAssertTrue(r.stdout.contains("compare at study.policy:29:1, p = 20%, replicate 1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("compare at study.policy:29:1, p = 40%, replicate 4"), r.stdout)
        XCTAssertTrue(r.stdout.contains("decompose at study.policy:32:1, replicate 3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("explain at study.policy:34:1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("expression at study.policy:28:1"), r.stdout)
        let unitRows = lines.filter { $0.first?.isNumber == true && $0.contains(" at study.policy:") }
        XCTAssertEqual(unitRows.count, 1 + 12 + 3 + 3 + 3 + 1 + 1 + 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("shard  units  estimated cost  share"), r.stdout)
        // Consecutive units stay together: the shard numbers never go down.
        let shards = unitRows.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        XCTAssertEqual(shards, shards.sorted(), r.stdout)
        XCTAssertEqual(Set(shards), [1, 2, 3], r.stdout)
    }

    /// The merge of 3 shards prints what the single run prints on generated programs (the
    /// differential generator's, with replicates, sweeps and decompositions among them);
    /// where the single run fails, some shard fails and writes no file.
    func testShardsAgreeWithTheSingleRunOnGeneratedPrograms() throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["POLICY_SHARD_DIFF_PROGRAMS"].flatMap { Int($0) } ?? 40
        let first = env["POLICY_SHARD_DIFF_SEED"].flatMap { UInt64($0) } ?? 5_000
        var merged = 0
        for seed in first..<(first + UInt64(count)) {
            let program = SemanticProgramGenerator.program(seed: seed)
            let dir = try scratchDirectory()
            try writeFile(dir, "m.policy", program.source)
            if let csv = program.csv { try writeFile(dir, "cases.csv", csv) }
            let single = try policy(["run", "--no-color", "m.policy"], in: dir)
            var statuses: [Int32] = []
            for k in 1...3 {
                statuses.append(try policy(["run", "--no-color", "m.policy", "--shard", "\(k)/3", "--out", "shards"], in: dir).status)
            }
            guard single.status == 0 || single.status == 1 else {
                XCTAssertTrue(statuses.contains { $0 != 0 }, "seed \(seed): the single run fails (\(single.status)) but no shard does\n\(program.source)")
                continue
            }
            XCTAssertEqual(statuses, [0, 0, 0], "seed \(seed)\n\(program.source)")
            let m = try policy(["merge", "--no-color", "shards"], in: dir)
            XCTAssertEqual(m.status, single.status, "seed \(seed): \(m.stderr)\n\(program.source)")
            XCTAssertEqual(m.stdout, single.stdout, "seed \(seed)\n\(program.source)")
            XCTAssertEqual(m.stderr, single.stderr, "seed \(seed)\n\(program.source)")
            merged += 1
        }
        XCTAssertGreaterThan(merged, count / 2, "most generated programs run")
    }
}
