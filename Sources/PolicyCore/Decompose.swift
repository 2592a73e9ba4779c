import PolicySyntax
import PolicySupport

// `decompose S on AGG …` (§10): the difference AGG under S − AGG under its parent, split
// among S's changes by their Shapley values. Every sub-scenario (the parent plus a subset of
// the changes) is one world; all of them are added up in one pass over the cases, so what
// they share — the cases, the keys, the answers of jurisdictions where they agree — is
// computed once.

extension QueryRunner {
    /// The worlds of every sub-scenario of `d`, in subset order: the parent and the full
    /// scenario as they are, the others assembled and their timelines run on every core (each
    /// is a world of its own, read only from frozen ones; the first error in subset order
    /// is the one thrown, whatever the thread count).
    func subScenarios(_ d: Decomposition) throws -> [World] {
        let size = 1 << d.changes.count
        let made = (0..<size).filter { !($0 == 0 && d.added.isEmpty) && $0 != size - 1 }
        let program = self.program
        // The changes that can alter the timeline: all but params it does not read. Subsets
        // that make the same ones share one timeline — the parent's, the full scenario's, or
        // the first such subset's, run before the others take it over.
        let read = WorldVariants.sharedTimelineParams(program)
        var relevant = 0
        for (k, change) in d.changes.enumerated() {
            if case .param(let id, _) = change.target, let read, !read.contains(id) { continue }
            relevant |= 1 << k
        }
        var donors: [Int: World] = [:]
        if d.added.isEmpty { donors[0] = program.worlds[d.parent] }
        donors[relevant] = donors[relevant] ?? program.worlds[d.scenario]
        var runs: [Int] = [], takers: [Int] = []
        var runFor = Set<Int>()
        for (k, t) in made.enumerated() {
            let key = t & relevant
            if donors[key] == nil, runFor.insert(key).inserted { runs.append(k) } else { takers.append(k) }
        }
        let slots = Slots<Result<World, Error>>(made.count)
        func build(_ ks: [Int], _ donorOf: @escaping @Sendable (Int) -> World?) {
            let counter = ChunkCounter()
            runParallel(workers: min(workerCount(), ks.count)) { _ in
                while true {
                    let i = counter.take()
                    guard i < ks.count else { return }
                    let k = ks[i]
                    if program.cancellation.isRaised {
                        slots.set(k, .failure(Interrupted()))
                        return
                    }
                    slots.set(k, Result { try WorldVariants.coalition(program, d, subset: made[k], timelineFrom: donorOf(made[k]),
                                                                       reading: read) })
                }
            }
        }
        if !runs.isEmpty { build(runs) { _ in nil } }
        let ran = slots.all
        for k in runs { if case .success(let world)? = ran[k] { donors[made[k] & relevant] = world } }
        let shared = donors, mask = relevant
        if !takers.isEmpty { build(takers) { shared[$0 & mask] } }
        var built = slots.all.makeIterator()
        var worlds: [World] = []
        worlds.reserveCapacity(size)
        for t in 0..<size {
            if t == 0, d.added.isEmpty {
                worlds.append(program.worlds[d.parent])
                continue
            }
            if t == size - 1 {
                worlds.append(program.worlds[d.scenario])
                continue
            }
            switch built.next() ?? nil {
            case .success(let world)?:
                worlds.append(world)
            case .failure(var e as EvalError)?:
                let applied = d.changes.indices.filter { t & (1 << $0) != 0 }.map { d.changes[$0].name }
                e.message += " (in the part of '\(program.scenarios[d.scenario].name)' made of \(applied.joined(separator: ", ")))"
                throw e
            case .failure(let e)?:
                throw e
            case nil:
                // Not built: the run was interrupted before this part's turn.
                throw Interrupted()
            }
        }
        return worlds
    }

    func runDecomposition(_ q: Query, _ d: Decomposition, replicates: Int, source: SourceRef) throws -> [Output] {
        let n = d.changes.count
        let size = 1 << n
        // Planning and merging compute no case, so they need no sub-scenario.
        let computes = sharding.map { !$0.isPlanning && !$0.isMerging } ?? true
        let worlds = computes ? try subScenarios(d) : []
        let scenarioOfWorld = (0..<size).map { $0 == 0 ? d.parent : d.scenario }
        let version = program.worlds[d.parent].populationVersion[q.population]
        let cols = columns(q, weighted: version >= 0 && program.populations[q.population].versions[version].weight != nil)
        // [group][replicate] → [column] → the decomposition
        var results: [[Value]: [[Split]?]] = [:]
        if let sharding, sharding.isPlanning {
            planUnits(q, source, points: [""], replicates: replicates, worlds: size)
            return []
        }
        func add(_ part: UnitPartial, replicate r: Int) {
            for g in part.groups {
                results[g.key, default: Array(repeating: nil, count: replicates)][r] = g.cells.map { Split($0, changes: n) }
            }
        }
        // Each key evaluated once for all the sub-scenarios, which lend each other answers;
        // kept for the next replicate when there is one.
        try program.answerCache.keeping(replicates > 1 ? 1 + q.keys.count + size * q.aggregates.count : 0) { try program.answerCache.precomputing {
            for r in 0..<replicates {
                let unit = WorkUnit(statement: statement, point: 0, replicate: r)
                if let sharding {
                    if sharding.isMerging { add(try sharding.partial(unit), replicate: r) }
                    guard sharding.computes(unit) else { continue }
                }
                let data = try PopulationBuilder.build(q.population, in: program.worlds[d.parent], cancel: program.cancellation,
                                                       replicate: UInt64(r))
                let acc = try accumulate(q, data, worlds, cols, source)
                var part = UnitPartial(groups: [], differing: [])
                for key in sortedKeys(acc.groups.keys) {
                    guard let group = acc.groups[key] else { continue }
                    // [column][sub-scenario]
                    let values = try cols.indices.map { ci in try (0..<size).map { try cell(group, $0, ci, key, cols, scenarioOfWorld, source) } }
                    part.groups.append(.init(key: key, cells: values))
                }
                if let sharding { sharding.keep(unit, .partial(part)) } else { add(part, replicate: r) }
            }
        } }
        if let sharding, !sharding.isMerging { return [] }
        let empty = Split(Array(repeating: .int(0), count: size), changes: n)
        let parentName = program.scenarios[d.parent].name, name = program.scenarios[d.scenario].name
        let lead = q.keys.map(\.label) + ["change"]
        var header = lead
        var groups: [(String, Int)] = [("", lead.count)]
        for col in cols {
            header += ["share", "alone", "last"]
            groups.append((col.label, 3))
        }
        func summarize(_ xs: [Cell], _ unit: Estimate.Unit) -> Cell { .summary(of: xs, unit) }
        var rows: [[Cell]] = []
        for key in sortedKeys(results.keys) {
            let reps = (results[key] ?? []).map { $0 ?? Array(repeating: empty, count: cols.count) }
            for k in 0...n {
                var row = keyCells(key) + [.text(k < n ? d.changes[k].name : "total (\(name) − \(parentName))")]
                for ci in cols.indices {
                    let u = cols[ci].unit
                    if k < n {
                        row.append(summarize(reps.map { $0[ci].shares[k] }, u))
                        row.append(summarize(reps.map { $0[ci].alone[k] }, u))
                        row.append(summarize(reps.map { $0[ci].last[k] }, u))
                    } else {
                        row += [summarize(reps.map { $0[ci].total }, u), .empty, .empty]
                    }
                }
                rows.append(row)
            }
        }
        var table = ResultTable(header: header, keyColumns: lead.count, rows: rows)
        table.groups = groups
        table.title = "\(name) − \(parentName), split among the \(n) change\(n == 1 ? "" : "s") of \(name)"
        table.notes = ["share: the change's Shapley value (its mean effect over every order of applying the changes); the shares add up to the total.",
                       "alone: its effect applied to \(parentName) by itself; last: its effect removed from \(name)."]
        if !d.added.isEmpty {
            table.notes.append("In every part: \(d.added.map(\.name).joined(separator: ", ")) (added by \(name); they change nothing by themselves).")
        }
        if replicates > 1 { table.notes.append(Estimate.note(replicates: replicates)) }
        return [.table(table)]
    }

    typealias Cell = ResultTable.Cell

    /// One column's decomposition in one group: from the value in every sub-scenario
    /// (indexed by the bit set of its changes).
    struct Split {
        var shares: [Cell]
        var alone: [Cell]
        var last: [Cell]
        var total: Cell

        init(_ values: [Cell], changes n: Int) {
            let full = (1 << n) - 1
            func diff(_ a: Int, _ b: Int) -> Cell {
                switch (values[a], values[b]) {
                case (.int(let x), .int(let y)):
                    let (v, o) = x.subtractingReportingOverflow(y)
                    return o ? .number(Double(x) - Double(y)) : .int(v)
                case (.percent(let x), .percent(let y)): return .percent(x - y)
                default: return .number((values[a].numeric ?? 0) - (values[b].numeric ?? 0))
                }
            }
            total = diff(full, 0)
            alone = (0..<n).map { diff(1 << $0, 0) }
            last = (0..<n).map { diff(full, full & ~(1 << $0)) }
            // Shapley: Σ over T ∌ i of |T|!(n−|T|−1)!/n! · (v(T ∪ i) − v(T)). Counts exactly:
            // the weights times n! are whole numbers, so the sum is kept in 128 bits and
            // divided once.
            var factorial = [Int128](repeating: 1, count: n + 1)
            for k in stride(from: 1, through: n, by: 1) { factorial[k] = factorial[k - 1] * Int128(k) }
            let allInts = values.allSatisfy { if case .int = $0 { return true }; return false }
            var shares: [Cell] = []
            for i in 0..<n {
                let bit = 1 << i
                if allInts {
                    var sum: Int128 = 0
                    var overflow = false
                    for t in 0...full where t & bit == 0 {
                        guard case .int(let with) = values[t | bit], case .int(let without) = values[t] else { continue }
                        let w = factorial[t.nonzeroBitCount] * factorial[n - t.nonzeroBitCount - 1]
                        let (product, o1) = w.multipliedReportingOverflow(by: Int128(with) - Int128(without))
                        let (next, o2) = sum.addingReportingOverflow(product)
                        if o1 || o2 { overflow = true; break }
                        sum = next
                    }
                    if !overflow {
                        let (q, r) = sum.quotientAndRemainder(dividingBy: factorial[n])
                        if r == 0, let whole = Int64(exactly: q) {
                            shares.append(.int(whole))
                        } else {
                            shares.append(.number(Double(q) + Double(r) / Double(factorial[n])))
                        }
                        continue
                    }
                }
                var sum = 0.0
                for t in 0...full where t & bit == 0 {
                    let w = Double(factorial[t.nonzeroBitCount]) * Double(factorial[n - t.nonzeroBitCount - 1]) / Double(factorial[n])
                    sum += w * ((values[t | bit].numeric ?? 0) - (values[t].numeric ?? 0))
                }
                if case .percent = values[0] { shares.append(.percent(sum)) } else { shares.append(.number(sum)) }
            }
            self.shares = shares
        }
    }
}
