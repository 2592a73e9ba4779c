/// `policy bench analysis`: what replicates, sweeps and decomposition cost on the Secure
/// Communities model's bookings — a plain compare, the same compare over a 5-point sweep with
/// 20 replicates, and the decomposition of a scenario with 6 changes against its compare.
extension Workloads {
    public static func analysis(dir: String, model: String, console: Console) -> ExitCode {
        let folder = "\(dir)/analysis"
        let modelPath = prepareFolder(dir, folder, model: model)
        let header = """
        include "\(modelPath)"
        scenario six_changes {
          param discretion_2012 = 35%
          param discretion_2008 = 45%
          param match_rate = 5.5%
          param limit_threshold = 45
          param ban_threshold = 35
          param liability_cost = 30
        }

        """
        let runs: [(String, String)] = [
            ("compare (one run)", "compare baseline, trust_act_2012 on outcome by year from bookings"),
            ("compare, sweep of 5 × replicates 20", "compare baseline, trust_act_2012 on outcome by year from bookings sweep discretion_2012 in {35%, 40%, 43%, 46%, 50%} replicates 20"),
            ("compare of a scenario with 6 changes", "compare baseline, six_changes on outcome by year from bookings"),
            ("decompose of those 6 changes", "decompose six_changes on outcome by year from bookings"),
        ]
        var lines = "Analysis — the Secure Communities model's bookings (release build for real figures)\n"
        var times: [Double] = []
        for (k, (name, statement)) in runs.enumerated() {
            let path = "\(folder)/analysis-\(k).policy"
            guard FileWriter.write(path, header + statement + "\n") == nil else { return .noInput }
            var output = ""
            let quiet = Console(out: { output += $0 }, err: { console.err($0) })
            let session = Session(console: quiet)
            var code = ExitCode.success
            _ = seconds { code = session.load([path]) }
            guard code == .success else { return code }
            var failed = false
            let t = seconds { failed = session.run(tests: false).error != nil }
            guard !failed else { return .dataError }
            times.append(t)
            lines += "  \(name + String(repeating: " ", count: max(0, 40 - name.count))) \(Benchmark.format3(t * 1000)) ms\n"
        }
        if times.count == 4, times[2] > 0 {
            lines += "  decompose / compare                      \(Benchmark.format3(times[3] / times[2]))×\n"
        }
        lines += "  peak memory                              \(Benchmark.formatBytes(Double(Benchmark.peakResidentBytes())))\n"
        console.out(lines)
        return .success
    }
}
