#if canImport(Glibc)
import Glibc
#endif
import PolicyCore
import PolicySyntax
import PolicySupport

/// Which shard of how many a run is: 1…shards.
public struct ShardSpec: Sendable, Equatable {
    public var shard: Int
    public var shards: Int

    public init(shard: Int, shards: Int) {
        self.shard = shard
        self.shards = shards
    }

    /// What is wrong with a shard's number or count.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// More shards than this is a mistake (a shard file per unit is already 10,000 files).
    public static let maxShards = 100_000

    /// K and N from `--shard K/N`, else from the scheduler: a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`
    /// or `--shards N`), or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, from 0, with
    /// `--shards N`). Returns what is wrong when neither gives them.
    ///
    ///     ShardSpec.resolve(shard: "2/4", shards: nil, environment: [:])   // shard 2 of 4
    public static func resolve(shard: String?, shards: Int?, environment env: [String: String]) -> Result<ShardSpec, Problem> {
        if let shards, !(1...maxShards).contains(shards) {
            return .failure(Problem(description: "--shards must be from 1 to \(Limits.grouped(maxShards)), not \(shards)"))
        }
        func number(_ name: String) -> Int? { env[name].flatMap { Int($0.filter { $0 != " " }) } }
        let spec: ShardSpec
        if let shard {
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
                return .failure(Problem(description: "--shard takes K/N, the shard and how many there are, as in --shard 2/4; not '\(shard)'"))
            }
            if let shards, shards != n { return .failure(Problem(description: "--shard \(shard) says \(n) shards but --shards says \(shards)")) }
            spec = ShardSpec(shard: k, shards: n)
        } else if let id = number("SLURM_ARRAY_TASK_ID") {
            let low = number("SLURM_ARRAY_TASK_MIN") ?? 0
            guard let n = shards ?? number("SLURM_ARRAY_TASK_COUNT")
                    ?? number("SLURM_ARRAY_TASK_MAX").map({ $0 - low + 1 }) else {
                return .failure(Problem(description: "SLURM_ARRAY_TASK_ID is set but not how many tasks the array has: give --shards N"))
            }
            spec = ShardSpec(shard: id - low + 1, shards: n)
        } else if let index = number("JOB_COMPLETION_INDEX") {
            guard let shards else {
                return .failure(Problem(description: "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shards N, the Job's completions"))
            }
            spec = ShardSpec(shard: index + 1, shards: shards)
        } else {
            return .failure(Problem(description: "--out needs to know which shard this is: give --shard K/N, or run in a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shards N)"))
        }
        guard (1...maxShards).contains(spec.shards), (1...spec.shards).contains(spec.shard) else {
            return .failure(Problem(description: "shard \(spec.shard) of \(spec.shards) does not exist: shards are numbered 1 to N (N from 1 to \(Limits.grouped(maxShards)))"
                + (shard == nil ? "; a job array's task ids must run from its first id without gaps" : "")))
        }
        return .success(spec)
    }
}

extension Commands {
    /// `policy run FILE… --shard K/N --out DIR`: computes shard K's units and writes
    /// DIR/shard-K-of-N.json atomically; a file already there that verifies is kept.
    public func runShard(_ paths: [String], spec: ShardSpec, out: String, version: String) -> ExitCode {
        let session = Session(console: console)
        session.provider.recording = true
        let loaded = session.load(paths)
        guard loaded == .success else { return loaded }
        let plan = ShardRun(.plan)
        let planned = session.runSharded(plan)
        if let error = planned.error { return Session.exitCode(for: error) }
        let mine = ShardRun.assign(plan.planned, shards: spec.shards).filter { $0.shard == spec.shard - 1 }
        let path = (out.hasSuffix("/") ? out : out + "/") + ShardFile.fileName(shard: spec.shard, of: spec.shards)
        let name = "shard \(spec.shard)/\(spec.shards)"
        var header = shardHeader(session, paths, spec, version: version)

        if case .success(let bytes) = SourceLoader.readBytes(path, limit: .csv) {
            if let existing = try? ShardFile.decode(String(decoding: bytes, as: UTF8.self)) {
                let why = ShardCommands.mismatch(existing, header, mine.map(\.unit))
                if why == nil {
                    console.err("\(name): \(path) is already complete; nothing to do\n")
                    return .success
                }
                console.err("\(name): \(path) is from another run (\(why ?? "")); running the shard again\n")
            } else {
                console.err("\(name): \(path) is incomplete; running the shard again\n")
            }
        }
        if let reason = ShardCommands.makeFolder(out) {
            console.err("error: cannot create the folder '\(out)': \(reason)\n")
            return .noInput
        }
        let run = ShardRun(.shard(owned: Set(mine.map(\.unit))))
        let status = session.runSharded(run)
        if let error = status.error { return Session.exitCode(for: error) }
        if status.interrupted {
            console.err("interrupted — \(path) is not written\n")
            return .dataError
        }
        header.data = session.provider.dataRead
        var units: [(PlannedUnit, UnitResult)] = []
        for p in mine {
            guard let result = run.results[p.unit] else {
                console.err("error: internal error: \(p.label) computed nothing — this is a bug in policy; please report it\n")
                return .internalError
            }
            units.append((p, result))
        }
        header.units = units
        if let reason = FileWriter.write(path, header.encode()) {
            console.err(FileWriter.message(path, reason) + "\n")
            return .dataError
        }
        let cost = mine.reduce(0) { $0 + $1.cost }
        console.err("\(name): \(mine.count) unit\(mine.count == 1 ? "" : "s") (about \(ShardCommands.cost(cost)) case evaluations) → \(path)\n")
        return .success
    }

    /// `policy plan FILE… --shards N`: each unit, its estimated cost and its shard; then each
    /// shard's share.
    public func plan(_ paths: [String], shards: Int) -> ExitCode {
        guard (1...ShardSpec.maxShards).contains(shards) else {
            console.err("error: --shards must be from 1 to \(Limits.grouped(ShardSpec.maxShards)), not \(shards)\n")
            return .usage
        }
        let session = Session(console: console)
        let loaded = session.load(paths)
        guard loaded == .success else { return loaded }
        let plan = ShardRun(.plan)
        let status = session.runSharded(plan)
        if let error = status.error { return Session.exitCode(for: error) }
        let units = ShardRun.assign(plan.planned, shards: shards)
        let renderer = TableRenderer(format: .table)
        let rows: [[ResultTable.Cell]] = units.enumerated().map { i, u in
            [.int(Int64(i + 1)), .text(u.label), ShardCommands.costCell(u.cost), .int(Int64(u.shard + 1))]
        }
        console.out(renderer.render(ResultTable(header: ["unit", "what", "estimated cost", "shard"], keyColumns: 2, rows: rows)))
        var perShard = Array(repeating: (units: 0, cost: 0.0), count: shards)
        for u in units {
            perShard[u.shard].units += 1
            perShard[u.shard].cost += u.cost
        }
        let total = max(1, units.reduce(0) { $0 + $1.cost })
        console.out("\n" + renderer.render(ResultTable(header: ["shard", "units", "estimated cost", "share"], keyColumns: 1,
                                                        rows: perShard.enumerated().map { k, s in
            [.int(Int64(k + 1)), .int(Int64(s.units)), ShardCommands.costCell(s.cost), .percent(s.cost / total)]
        })))
        console.out("Cost: cases read × worlds computed for them, estimated before running. Run shard K with `policy run \(paths.joined(separator: " ")) --shard K/\(shards) --out DIR`, then `policy merge DIR`.\n")
        return .success
    }

    /// What every shard of this run records about it (the units come later).
    func shardHeader(_ session: Session, _ paths: [String], _ spec: ShardSpec, version: String) -> ShardFile {
        let sources = session.units.map { u in ShardFile.FileHash(path: u.file.name, hash: FNV1a.hash(u.file.bytes), bytes: u.file.bytes.count) }
            + session.provider.sourcesRead
        return ShardFile(version: version, program: ShardCommands.fingerprint(sources), cwd: ShardCommands.currentFolder(),
                         sources: sources, data: session.provider.dataRead, scripts: paths, limits: Limits.current.changedSettings,
                         shard: spec.shard, shards: spec.shards, units: [])
    }
}

/// Helpers of the shard commands that need no session.
enum ShardCommands {
    /// One hash of every source's name and hash, in order.
    static func fingerprint(_ sources: [ShardFile.FileHash]) -> UInt64 {
        FNV1a.hash(sources.map { "\($0.path)\u{0}\(ShardFile.hex($0.hash))\n" }.joined())
    }

    /// Why an existing shard file is not this shard's result, or nil when it is.
    static func mismatch(_ existing: ShardFile, _ header: ShardFile, _ units: [WorkUnit]) -> String? {
        if existing.version != header.version { return "policy \(existing.version), not \(header.version)" }
        if existing.program != header.program { return "another version of the program" }
        if existing.shard != header.shard || existing.shards != header.shards {
            return "shard \(existing.shard) of \(existing.shards)"
        }
        if existing.units.map(\.0.unit) != units { return "other units" }
        if let changed = changedData(existing.data).first { return "\(changed) has changed since" }
        return nil
    }

    /// The data files whose contents on disk no longer have the recorded hash.
    static func changedData(_ files: [ShardFile.FileHash]) -> [String] {
        files.compactMap { f in
            guard case .success(let bytes) = SourceLoader.readBytes(f.path, limit: .csv) else { return f.path }
            return bytes.count == f.bytes && FNV1a.hash(bytes) == f.hash ? nil : f.path
        }
    }

    /// An estimated cost in a table: a whole number where it fits one (a cost is cases ×
    /// worlds, which a population of billions and a large decomposition can take past 2^63).
    static func costCell(_ c: Double) -> ResultTable.Cell {
        Int64(exactly: c.rounded()).map { .int($0) } ?? .number(c)
    }

    /// `1.2 million`, `3.4 billion`, `52,000` — for a shard's one-line report.
    static func cost(_ c: Double) -> String {
        if c >= 1e9 { return NumberText.rounded(c / 1e9, decimals: 1) + " billion" }
        if c >= 1e6 { return NumberText.rounded(c / 1e6, decimals: 1) + " million" }
        return Int64(exactly: c.rounded()).map { Digits.grouped($0) } ?? NumberText.rounded(c, decimals: 0)
    }

    static func currentFolder() -> String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// Creates a folder and its parents; nil on success, else why not.
    static func makeFolder(_ path: String) -> String? {
        var st = stat()
        if stat(path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR ? nil : "a file of that name is in the way" }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if stat(prefix, &st) != 0, mkdir(prefix, 0o777) != 0, errno != EEXIST {
                return String(cString: strerror(errno))
            }
            prefix += "/"
        }
        return nil
    }

    /// The `.json` files directly in a folder, sorted; nil with why when it cannot be read.
    static func jsonFiles(_ dir: String) -> Result<[String], ShardSpec.Problem> {
        guard let listed = SourceLoader.entries(dir) else { return .failure(ShardSpec.Problem(description: String(cString: strerror(errno)))) }
        let names = listed.map(\.name).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        let base = dir.hasSuffix("/") ? dir : dir + "/"
        return .success(names.sorted().map { base + $0 })
    }
}
