import PolicySyntax

// The general path of `table`, `compare` and `plot`: every case evaluated by the checked
// code, in chunks of cases on every core, each chunk adding up its own groups, merged in
// chunk order. The chunks are the memo's (`QueryRunner.chunkSize`), so number sums are
// added in the same order whichever engine ran and however many threads it had.

extension QueryRunner {
    /// What one chunk of cases adds up to on the general path.
    struct GeneralChunk {
        var groups: [[Value]: Accumulator] = [:]
        var groupOrder: [[Value]] = []
        var errors = RunErrors()
        /// Rows whose answers differ between the scenarios of a `compare`, in row order.
        var differing: [Int] = []
        var interrupted = false
        /// An error that stops the whole query (not one case's), e.g. an aggregate inside an
        /// expression whose own cases failed: rethrown when the merge reaches this chunk.
        var stop: Error?
    }

    /// Evaluates every case (the general path).
    func generalAccumulate(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column],
                           _ source: SourceRef) throws -> (groups: [[Value]: Accumulator], differing: [Int]) {
        let chunkCount = (data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
        guard chunkCount > 0 else { return ([:], []) }
        // Expressions the dependency analysis does not follow (aggregates inside an
        // expression build populations as they go) run on one thread.
        let opaque: Bool = {
            guard let resolver = program.resolver else { return true }
            var all = q.aggregates.map(\.deps) + q.keys.map(\.deps)
            if q.filter != nil { all.append(q.filterDeps) }
            return all.contains { resolver.resolve($0).opaque }
        }()
        let workers = opaque ? 1 : min(workerCount(), chunkCount)
        let slots = Slots<GeneralChunk>(chunkCount)
        let counter = ChunkCounter()
        let runner = self
        runParallel(workers: workers) { _ in
            while true {
                let chunk = counter.take()
                guard chunk < chunkCount else { break }
                let lo = chunk * QueryRunner.chunkSize
                let result = runner.generalChunk(q, data, worlds, cols, lo: lo, n: Swift.min(QueryRunner.chunkSize, data.count - lo))
                slots.set(chunk, result)
                if result.interrupted || result.stop != nil { break }
            }
        }
        // Merge in chunk order.
        var groups: [[Value]: Accumulator] = [:]
        var differing: [Int] = []
        var errors = RunErrors()
        for r in slots.all {
            guard let r else { continue }
            if r.interrupted { throw Interrupted() }
            if let stop = r.stop { throw stop }
            for k in r.groupOrder {
                guard let acc = r.groups[k] else { continue }
                if var existing = groups[k] {
                    existing.merge(acc)
                    groups[k] = existing
                } else {
                    groups[k] = acc
                }
            }
            errors.merge(r.errors)
            differing += r.differing
        }
        if program.cancellation.isRaised { throw Interrupted() }
        try errors.throwIfAny()
        return (groups, differing)
    }

    /// Rows `lo ..< lo + n`, case by case.
    func generalChunk(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column], lo: Int, n: Int) -> GeneralChunk {
        var out = GeneralChunk()
        var frame = Frame(world: worlds[0])
        let dateField = program.records[data.record].dateField ?? 0
        let aggregateCount = q.aggregates.count
        let intSum = cols.map { $0.isInt && isIntSum(q.aggregates[$0.aggregate]) }
        let kinds = cols.map { q.aggregates[$0.aggregate].kind }
        // Per group (numbered in the chunk): cases and [world][column] totals, flat.
        let stride = worlds.count * cols.count
        var groupOf: [[Value]: Int] = [:]
        var caseCounts: [Int] = []
        var intTotals: [IntTotal] = []
        var totals: [Double] = []
        // Reused for every case: the key and the aggregates' values per world.
        var key: [Value] = []
        key.reserveCapacity(q.keys.count)
        var values = [Value](repeating: .bool(false), count: worlds.count * aggregateCount)
        for row in lo..<(lo + n) {
            if row & 0x3FFF == 0, program.cancellation.isRaised {
                out.interrupted = true
                return out
            }
            let c = data.caseRecord(row)
            frame.subject = .record(c)
            frame.world = worlds[0]
            do {
                if let filter = q.filter, try !filter(&frame).asBool { continue }
                key.removeAll(keepingCapacity: true)
                for k in q.keys {
                    switch k.kind {
                    case .year: key.append(.int(Int64(CivilDate(dayNumber: Int(c.fields[dateField].asDate)).year)))
                    case .month: key.append(.string(Calendar.monthKey(c.fields[dateField].asDate)))
                    case .quarter: key.append(.string(Calendar.quarterKey(c.fields[dateField].asDate)))
                    case .expression(let e): key.append(try e(&frame))
                    }
                }
                for (w, world) in worlds.enumerated() {
                    frame.world = world
                    for a in 0..<aggregateCount { values[w * aggregateCount + a] = try caseValue(q.aggregates[a], &frame) }
                }
                let g: Int
                if let found = groupOf[key] {
                    g = found
                } else {
                    g = caseCounts.count
                    groupOf[key] = g
                    out.groupOrder.append(key)
                    caseCounts.append(0)
                    intTotals.append(contentsOf: repeatElement(0, count: stride))
                    totals.append(contentsOf: repeatElement(0, count: stride))
                }
                caseCounts[g] += 1
                for w in worlds.indices {
                    let base = g * stride + w * cols.count
                    for ci in cols.indices {
                        let v = values[w * aggregateCount + cols[ci].aggregate]
                        switch kinds[ci] {
                        case .count: intTotals[base + ci] += 1
                        case .countIf, .share: if v.asBool { intTotals[base + ci] += 1 }
                        case .spread: if case .member(_, let m) = v, m == cols[ci].member { intTotals[base + ci] += 1 }
                        case .sum, .mean:
                            if intSum[ci] { intTotals[base + ci].add(v.asInt) } else { totals[base + ci] += v.asNumber }
                        }
                    }
                }
                if q.kind == .compare, worlds.count > 1,
                   (1..<worlds.count).contains(where: { w in
                       (0..<aggregateCount).contains { values[w * aggregateCount + $0] != values[$0] }
                   }) {
                    out.differing.append(row)
                }
            } catch let e as EvalError {
                out.errors.add(e, row: row, c)
            } catch is Interrupted {
                out.interrupted = true
                return out
            } catch {
                out.stop = error
                return out
            }
        }
        for (g, k) in out.groupOrder.enumerated() {
            var acc = Accumulator(totals: [], intTotals: [])
            acc.cases = caseCounts[g]
            for w in worlds.indices {
                let base = g * stride + w * cols.count
                acc.intTotals.append(Array(intTotals[base..<(base + cols.count)]))
                acc.totals.append(Array(totals[base..<(base + cols.count)]))
            }
            out.groups[k] = acc
        }
        return out
    }
}
