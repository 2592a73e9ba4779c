#if canImport(Glibc)
import Glibc
#endif
import PolicyCore

/// `policy bench shards`: what running in shards costs beside the work — a study's single
/// run and its case evaluations per second, a shard's fixed cost (check, plan, write) with no
/// unit to run, and the merge of 1,000 shard files.
extension Workloads {
    public static func shards(dir: String, model: String, console: Console) -> ExitCode {
        let folder = "\(dir)/shards"
        let modelPath = prepareFolder(dir, folder, model: model)
        let study = "\(folder)/study.policy"
        let text = """
            include "\(modelPath)"
            compare baseline, trust_act_2012 on count(outcome == transferred), count(outcome == declined) by year from bookings sweep ban_threshold in 20 .. 40 step 5 replicates 4

            """
        guard FileWriter.write(study, text) == nil else { return .noInput }
        var code = ExitCode.success
        var lines = "Shards — the Secure Communities model's bookings (release build for real figures)\n"
        // What the commands say goes to stderr only when they fail.
        var said = ""
        let quiet = Console(out: { _ in }, err: { said += $0 })
        defer { if code != .success { console.err(said) } }
        let commands = Commands(console: quiet)

        // The single run, and the case evaluations its plan counts.
        let plan = Session(console: quiet)
        guard plan.load([study]) == .success else { return .dataError }
        let planned = ShardRun(.plan)
        guard plan.runSharded(planned).error == nil else { return .dataError }
        let evaluations = planned.planned.reduce(0) { $0 + $1.cost }
        let single = seconds { code = commands.run([study], format: .table) }
        guard code == .success else { return code }
        lines += "  single run: \(planned.planned.count) units        \(Benchmark.format3(single)) s, \(ShardCommands.cost(evaluations / single)) case evaluations/s\n"

        // A shard with nothing to run: what every shard pays beside its units.
        let units = planned.planned.count
        removeJSONFiles("\(folder)/empty")
        let overhead = seconds { code = commands.runShard([study], spec: ShardSpec(shard: units + 1, shards: units + 1),
                                                         out: "\(folder)/empty", version: PolicyVersion.current) }
        guard code == .success else { return code }
        lines += "  a shard with no unit (load, check, plan, write)  \(Benchmark.format3(overhead * 1000)) ms (in process; starting the process adds ≈10 ms)\n"

        // The merge of 1,000 shard files, each of one unit of a small program.
        let small = "\(folder)/thousand.policy"
        let smallText = """
            enum charge { felony, misdemeanor }
            jurisdiction usa: federal
            record booking {
              date: date
              jurisdiction: jurisdiction
              charge: charge = misdemeanor
            }
            param p: number = 30%
            population cases of booking {
              size 100
              date uniform 2012-01-01 .. 2012-12-31
              jurisdiction = usa
              charge { felony: 40%, misdemeanor: 60% }
            }
            decision held(b: booking): bool = chance(p)
            table count(held) by charge from cases replicates 1000

            """
        guard FileWriter.write(small, smallText) == nil else { return .noInput }
        let merged = "\(folder)/thousand"
        removeJSONFiles(merged)
        let writing = seconds {
            for k in 1...1_000 where code == .success {
                code = commands.runShard([small], spec: ShardSpec(shard: k, shards: 1_000), out: merged, version: PolicyVersion.current)
            }
        }
        guard code == .success else { return code }
        let merge = seconds { code = commands.merge(merged, format: .table, version: PolicyVersion.current) }
        guard code == .success else { return code }
        lines += "  1,000 shards of one unit each, written          \(Benchmark.format3(writing)) s (\(Benchmark.format3(writing)) ms each, in process)\n"
        lines += "  merge of the 1,000 shard files                  \(Benchmark.format3(merge * 1000)) ms\n"
        lines += "  peak memory                                     \(Benchmark.formatBytes(Double(Benchmark.peakResidentBytes())))\n"
        console.out(lines)
        return .success
    }

    /// Empties a folder of a previous run's shard files.
    static func removeJSONFiles(_ dir: String) {
        if case .success(let files) = ShardCommands.jsonFiles(dir) { for f in files { unlink(f) } }
    }
}
