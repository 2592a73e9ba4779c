#if canImport(Glibc)
import Glibc
#endif
import PolicyCore
import PolicySyntax
import PolicySupport

extension Commands {
    /// `policy merge DIR`: checks that DIR holds every shard of one run, of the program and
    /// data as they are now, with every unit exactly once; then prints what `policy run`
    /// prints on one machine. Anything missing, doubled or changed is an error (65) that
    /// names it.
    public func merge(_ dir: String, format: OutputFormat, version: String) -> ExitCode {
        func fail(_ message: String, hint: String? = nil) -> ExitCode {
            var text = "error: \(message)\n"
            if let hint { text += "  = hint: \(hint)\n" }
            console.err(text)
            return .dataError
        }
        let paths: [String]
        switch ShardCommands.jsonFiles(dir) {
        case .failure(let why):
            console.err("error: cannot read the folder '\(dir)': \(why)\n")
            return .noInput
        case .success(let found): paths = found
        }
        guard !paths.isEmpty else {
            return fail("no shard files in '\(dir)'", hint: "run each shard with `policy run FILE --shard K/N --out \(dir)` first")
        }

        // Every file reads as a whole shard file.
        var files: [(path: String, file: ShardFile)] = []
        var broken: [String] = []
        for path in paths {
            switch SourceLoader.readBytes(path, limit: .csv) {
            case .failure(let e): broken.append("\(path): cannot be read: \(e.reason)")
            case .success(let bytes):
                do {
                    files.append((path, try ShardFile.decode(String(decoding: bytes, as: UTF8.self))))
                } catch {
                    broken.append("\(path) is not a complete shard file: \(error)")
                }
            }
        }
        if !broken.isEmpty {
            return fail(broken.joined(separator: "\n       "),
                        hint: "a shard that stopped while writing leaves no file; a damaged one is written again by running its shard again")
        }

        // One run: the same policy, program, shard count and limits.
        let first = files[0]
        for (path, f) in files.dropFirst() {
            if f.version != first.file.version {
                return fail("\(path) was written by policy \(f.version) and \(first.path) by policy \(first.file.version)",
                            hint: "run every shard with the same policy")
            }
            if f.program != first.file.program || f.scripts != first.file.scripts || f.cwd != first.file.cwd {
                return fail("\(path) and \(first.path) come from different programs\(ShardCommands.difference(f, first.file))",
                            hint: "run every shard of one program into its own folder")
            }
            if f.shards != first.file.shards {
                return fail("\(path) is one of \(f.shards) shards but \(first.path) one of \(first.file.shards)",
                            hint: "every shard of a run is given the same N in --shard K/N")
            }
            if f.limits != first.file.limits {
                return fail("\(path) ran with --limit \(f.limits.joined(separator: " ")) but \(first.path) with \(first.file.limits.isEmpty ? "none" : first.file.limits.joined(separator: " "))")
            }
        }
        if first.file.version != version {
            return fail("the shards were written by policy \(first.file.version); this is policy \(version)",
                        hint: "merge with the policy that ran the shards")
        }
        let n = first.file.shards
        var byShard = [Int: [String]]()
        for (path, f) in files { byShard[f.shard, default: []].append(path) }
        let missing = (1...n).filter { byShard[$0] == nil }
        if !missing.isEmpty {
            let list = missing.count > 10 ? missing.prefix(10).map(String.init).joined(separator: ", ") + " and \(missing.count - 10) more"
                : missing.map(String.init).joined(separator: ", ")
            return fail("\(missing.count == 1 ? "shard" : "shards") \(list) of \(n) \(missing.count == 1 ? "is" : "are") missing from '\(dir)'",
                        hint: "run \(missing.count == 1 ? "it" : "them") with `policy run \(first.file.scripts.joined(separator: " ")) --shard \(missing.count == 1 ? String(missing[0]) : "K")/\(n) --out \(dir)`; shards already written are kept")
        }
        if let (k, twice) = byShard.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 1 }) {
            return fail("shard \(k) of \(n) is in \(twice.count) files: \(twice.joined(separator: ", "))",
                        hint: "keep one of them (a rerun of a shard replaces its own file)")
        }

        // The program and data as they are now are the ones the shards ran.
        for setting in first.file.limits {
            do { try Limits.current.set(setting) } catch { return fail("the shards' limit \(setting): \(error)") }
        }
        guard chdir(first.file.cwd) == 0 else {
            return fail("cannot enter '\(first.file.cwd)', the folder the shards ran in: \(String(cString: strerror(errno)))",
                        hint: "merge where the shards' files and folder can be read")
        }
        let session = Session(console: console)
        session.format = format
        session.provider.recording = true
        let loaded = session.load(first.file.scripts)
        guard loaded == .success else {
            console.err("error: the program the shards ran no longer checks (above)\n")
            return loaded
        }
        let header = shardHeader(session, first.file.scripts, ShardSpec(shard: 1, shards: n), version: version)
        if header.program != first.file.program {
            let changed = ShardCommands.changedSources(first.file.sources, header.sources)
            return fail("the program has changed since the shards ran: \(changed.joined(separator: ", "))",
                        hint: "run the shards again (`policy run … --shard K/\(n) --out DIR` into an empty folder), or restore the file")
        }
        var data: [String: ShardFile.FileHash] = [:]
        for (path, f) in files {
            for d in f.data {
                if let seen = data[d.path], seen != d {
                    return fail("the shards read different versions of '\(d.path)' (\(path) among them)",
                                hint: "a data file changed while the shards ran: run them again")
                }
                data[d.path] = d
            }
        }
        let changed = ShardCommands.changedData(data.values.sorted { $0.path < $1.path })
        if !changed.isEmpty {
            return fail("\(changed.joined(separator: ", ")) \(changed.count == 1 ? "has" : "have") changed since the shards read \(changed.count == 1 ? "it" : "them")",
                        hint: "run the shards again, or restore the data")
        }

        // Every unit of the plan, exactly once.
        let plan = ShardRun(.plan)
        let planned = session.runSharded(plan)
        if let error = planned.error { return Session.exitCode(for: error) }
        let statements = session.result?.statements ?? []
        let merge = ShardRun(.merge)
        var from: [WorkUnit: String] = [:]
        for (path, f) in files {
            for (p, result) in f.units {
                if let other = from[p.unit] {
                    return fail("\(p.label) is in two shard files: \(other) and \(path)",
                                hint: "the files are of different runs; run the shards again into an empty folder")
                }
                from[p.unit] = path
                merge.results[p.unit] = ShardCommands.withSources(result, statements, p.unit.statement)
            }
        }
        let lost = plan.planned.filter { from[$0.unit] == nil }
        if let u = lost.first {
            let shard = ShardRun.assign(plan.planned, shards: n).first { $0.unit == u.unit }.map { $0.shard + 1 } ?? 0
            return fail("\(u.label) is in no shard file\(lost.count > 1 ? " (nor are \(lost.count - 1) more units)" : "") — it is shard \(shard)'s",
                        hint: "run shard \(shard) again: `policy run \(first.file.scripts.joined(separator: " ")) --shard \(shard)/\(n) --out \(dir)`")
        }
        let plannedUnits = Set(plan.planned.map(\.unit))
        if let stray = files.lazy.flatMap({ f in f.file.units.map { (f.path, $0.0) } }).first(where: { !plannedUnits.contains($0.1.unit) }) {
            return fail("\(stray.0) has a unit this program does not have (\(stray.1.label))",
                        hint: "the file is of another run; remove it or run its shard again")
        }

        session.beginDocument()
        let status = session.runSharded(merge)
        session.endDocument()
        if let error = status.error { return Session.exitCode(for: error) }
        if session.writeFailed { return .dataError }
        return status.failed > 0 ? .testFailed : .success
    }
}

extension ShardCommands {
    /// What differs between two shards' programs, for the message.
    static func difference(_ a: ShardFile, _ b: ShardFile) -> String {
        if a.scripts != b.scripts { return " (\(a.scripts.joined(separator: " ")) and \(b.scripts.joined(separator: " ")))" }
        if a.cwd != b.cwd { return " (run in \(a.cwd) and in \(b.cwd))" }
        let changed = changedSources(a.sources, b.sources)
        return changed.isEmpty ? "" : " (\(changed.joined(separator: ", ")) \(changed.count == 1 ? "differs" : "differ"))"
    }

    /// The sources whose contents differ between two lists (or that are in one only).
    static func changedSources(_ then: [ShardFile.FileHash], _ now: [ShardFile.FileHash]) -> [String] {
        var out: [String] = []
        let nowByPath = Dictionary(now.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let thenPaths = Set(then.map(\.path))
        for f in then where nowByPath[f.path] != f { out.append("'\(f.path)'") }
        for f in now where !thenPaths.contains(f.path) { out.append("'\(f.path)' (new)") }
        return out.isEmpty ? ["the order of its files"] : out
    }

    /// A statement's outputs with their charts pointing at the statement again (for errors
    /// about writing a chart's file).
    static func withSources(_ result: UnitResult, _ statements: [CheckedStatement], _ index: Int) -> UnitResult {
        guard case .outputs(let outputs) = result, statements.indices.contains(index) else { return result }
        return .outputs(outputs.map { o in
            switch o {
            case .chart(var c):
                c.source = statements[index].source
                return .chart(c)
            case .table(var t) where t.output != nil:
                t.source = statements[index].source
                return .table(t)
            default:
                return o
            }
        })
    }
}
