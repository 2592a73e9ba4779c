import PolicySyntax

// The fast path of `table`, `compare` and `plot`: memoised per-case values, chunks of
// cases on every core, merged in chunk order (so the result does not depend on the number
// of threads).

extension QueryRunner {
    struct FastResult {
        var groups: [[Value]: Accumulator]
        var attribution: [String]
    }

    /// What one chunk of cases adds up to.
    struct ChunkResult {
        var groups: [[Value]: Accumulator] = [:]
        var groupOrder: [[Value]] = []
        var errors = RunErrors()
        var differing: [(String, Int)] = []
        var interrupted = false
    }

    static let chunkSize = 1 << 16

    func fastAccumulate(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column],
                        _ source: SourceRef) throws -> FastResult? {
        guard let resolver = program.resolver, data.count > 0, !Engine.generalOnly else { return nil }
        var deps = q.aggregates.map { resolver.resolve($0.deps) }
        for k in q.keys { if case .expression = k.kind { deps.append(resolver.resolve(k.deps)) } }
        if q.filter != nil { deps.append(resolver.resolve(q.filterDeps)) }
        guard let plan = FastPlan.make(program, data, deps) else {
            if Engine.explain { Engine.note("general engine: \(deps.map { "fields \(String($0.fields, radix: 2)) opaque \($0.opaque) chance \($0.chance)" })") }
            return nil
        }
        if Engine.explain { Engine.note("fast engine: \(plan.smallFields.count) small fields, \(plan.combos) combinations, decisions \(plan.decisions)") }

        let info = program.records[data.record]
        guard let dateField = info.dateField, let dates = data.int32Column(dateField) else { return nil }
        // Calendar keys, precomputed over the population's dates.
        let needsCalendar = q.keys.contains { k in if case .expression = k.kind { return false }; return true }
        var minDate = Int32.max, maxDate = Int32.min
        if needsCalendar { for d in dates { minDate = Swift.min(minDate, d); maxDate = Swift.max(maxDate, d) } }
        var calendar: [(year: Int64, month: Int64, quarter: Int64)] = []
        if needsCalendar, minDate <= maxDate {
            calendar.reserveCapacity(Int(maxDate - minDate) + 1)
            for d in minDate...maxDate {
                let c = CivilDate(dayNumber: Int(d))
                calendar.append((Int64(c.year), Int64(c.year * 100 + c.month), Int64(c.year * 10 + (c.month - 1) / 3 + 1)))
            }
        }
        let calendarTable = calendar, calendarStart = minDate

        // Per key and per output column, what the accumulation loop needs, decided once
        // (reading `q.keys[k]` per row would copy the key's description each time).
        enum KeyKind { case year, month, quarter, expression }
        let keyKinds: [KeyKind] = q.keys.map { k in
            switch k.kind {
            case .year: return .year
            case .month: return .month
            case .quarter: return .quarter
            case .expression: return .expression
            }
        }
        enum ColumnKind { case count, countIf, spread, intSum, numberSum }
        let colAggregate = cols.map(\.aggregate)
        let colMember = cols.map { $0.member ?? -1 }
        let colKind: [ColumnKind] = cols.map { col in
            switch q.aggregates[col.aggregate].kind {
            case .count: return .count
            case .countIf, .share: return .countIf
            case .spread: return .spread
            case .sum(_, let isInt): return isInt ? .intSum : .numberSum
            case .mean: return .numberSum
            }
        }
        let layout = MemoLayout(plan: plan, program: program)
        let chunkCount = (data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
        let results = Slots<ChunkResult>(chunkCount)
        let counter = ChunkCounter()
        let program = self.program
        let runner = self
        runParallel(workers: min(workerCount(), chunkCount)) { _ in
            guard let dates = data.int32Column(dateField) else { return }
            // Memos are per worker: no locks on the hot path.
            let filterMemo = q.filter.map { Memo(layout: layout, eval: $0, world: worlds[0], data: data) }
            let keyMemos: [Memo?] = q.keys.map { k in
                if case .expression(let e) = k.kind { return Memo(layout: layout, eval: e, world: worlds[0], data: data) }
                return nil
            }
            let aggMemos: [[Memo?]] = worlds.map { w in
                q.aggregates.map { a in
                    switch a.kind {
                    case .count: return nil
                    case .countIf(let e), .share(let e), .sum(let e, _), .mean(let e), .spread(let e, _):
                        return Memo(layout: layout, eval: e, world: w, data: data)
                    }
                }
            }
            var attributionCache: [Int: String] = [:]
            while true {
                let chunk = counter.take()
                guard chunk < chunkCount else { break }
                var result = ChunkResult()
                var single: [Int64: Int] = [:]
                var multi: [[Int64]: Int] = [:]
                // Per group, flat: [cases] and [world][column] totals at gi * stride (a
                // nested array per group would check three buffers on every increment).
                let stride = worlds.count * cols.count
                var caseCounts: [Int] = []
                var flatInt: [Int64] = []
                var flatNum: [Double] = []
                var keysByIndex: [[Int64]] = []
                let lo = chunk * QueryRunner.chunkSize, hi = min(data.count, lo + QueryRunner.chunkSize)
                var key = [Int64](repeating: 0, count: q.keys.count)
                func newGroup() -> Int {
                    caseCounts.append(0)
                    flatInt.append(contentsOf: repeatElement(0, count: stride))
                    flatNum.append(contentsOf: repeatElement(0, count: stride))
                    return caseCounts.count - 1
                }
                // Codes for the whole chunk, one tight loop per memo; then one pass to add up.
                let n = hi - lo
                func codesOf(_ m: Memo?) -> [Int32] {
                    guard let m else { return [] }
                    var out = [Int32](repeating: 0, count: n)
                    out.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { m.fill(lo, hi, base) } }
                    return out
                }
                if program.cancellation.isRaised {
                    result.interrupted = true
                    results.set(chunk, result)
                    continue
                }
                let filterCodes = codesOf(filterMemo)
                let keyCodes = keyMemos.map(codesOf)
                let aggCodes = aggMemos.map { $0.map(codesOf) }
                let filterBools = filterMemo?.boolOf ?? []
                let boolOf = aggMemos.map { $0.map { $0?.boolOf ?? [] } }
                let memberOf = aggMemos.map { $0.map { $0?.memberOf ?? [] } }
                let intOf = aggMemos.map { $0.map { $0?.intOf ?? [] } }
                let numberOf = aggMemos.map { $0.map { $0?.numberOf ?? [] } }
                var smallKeys: [Int64] = [] // a linear map while there are few groups
                rows: for r in 0..<n {
                    let row = lo + r
                    // Errors: a code below -1 names the error.
                    var failed: EvalError?
                    // (The code first: a memo is touched only when there is an error to read.)
                    if !filterCodes.isEmpty, filterCodes[r] < -1, let m = filterMemo { failed = m.error(filterCodes[r]) }
                    for k in 0..<keyKinds.count where failed == nil {
                        if !keyCodes[k].isEmpty, keyCodes[k][r] < -1, let m = keyMemos[k] { failed = m.error(keyCodes[k][r]) }
                    }
                    for w in worlds.indices where failed == nil {
                        for a in q.aggregates.indices where failed == nil {
                            if !aggCodes[w][a].isEmpty, aggCodes[w][a][r] < -1, let m = aggMemos[w][a] { failed = m.error(aggCodes[w][a][r]) }
                        }
                    }
                    if let failed {
                        result.errors.add(failed, row: row, data.caseRecord(row))
                        continue
                    }
                    if filterMemo != nil, filterBools[Int(filterCodes[r])] == 0 { continue }
                    for k in 0..<keyKinds.count {
                        switch keyKinds[k] {
                        case .year: key[k] = calendarTable[Int(dates[row] - calendarStart)].year
                        case .month: key[k] = calendarTable[Int(dates[row] - calendarStart)].month
                        case .quarter: key[k] = calendarTable[Int(dates[row] - calendarStart)].quarter
                        case .expression: key[k] = Int64(keyCodes[k][r])
                        }
                    }
                    var gi = -1
                    if key.count == 1 {
                        let k0 = key[0]
                        if smallKeys.count <= 32, let found = smallKeys.firstIndex(of: k0) {
                            gi = found
                        } else if let found = single[k0] {
                            gi = found
                        }
                        if gi < 0 {
                            gi = newGroup()
                            single[k0] = gi
                            if smallKeys.count == gi { smallKeys.append(k0) }
                            keysByIndex.append(key)
                        }
                    } else if let found = multi[key] {
                        gi = found
                    } else {
                        gi = newGroup()
                        multi[key] = gi
                        keysByIndex.append(key)
                    }
                    caseCounts[gi] += 1
                    let base = gi * stride
                    for w in worlds.indices {
                        let wbase = base + w * cols.count
                        for ci in cols.indices {
                            let a = colAggregate[ci]
                            switch colKind[ci] {
                            case .count:
                                flatInt[wbase + ci] += 1
                            case .countIf:
                                flatInt[wbase + ci] += Int64(boolOf[w][a][Int(aggCodes[w][a][r])])
                            case .spread:
                                if memberOf[w][a][Int(aggCodes[w][a][r])] == colMember[ci] { flatInt[wbase + ci] += 1 }
                            case .intSum:
                                flatInt[wbase + ci] &+= intOf[w][a][Int(aggCodes[w][a][r])]
                            case .numberSum:
                                flatNum[wbase + ci] += numberOf[w][a][Int(aggCodes[w][a][r])]
                            }
                        }
                    }
                    // Cases whose answer differs between the scenarios.
                    if q.kind == .compare, worlds.count > 1 {
                        var differs = false
                        for w in worlds.indices.dropFirst() {
                            for a in q.aggregates.indices {
                                if let m0 = aggMemos[0][a], let m = aggMemos[w][a], m0.value(aggCodes[0][a][r]) != m.value(aggCodes[w][a][r]) { differs = true }
                            }
                        }
                        if differs, let m0 = aggMemos[0].compactMap({ $0 }).first {
                            // Same key and same answers ⇒ same derivation (draw paths included).
                            var slot = m0.slot(row)
                            for a in q.aggregates.indices { slot = slot &* 1_000_003 &+ Int(aggCodes[0][a][r]) &* 7919 &+ Int(aggCodes[1][a][r]) }
                            let text: String
                            if let cached = attributionCache[slot] {
                                text = cached
                            } else {
                                text = (try? runner.attributionKey(q, data, row, worlds)) ?? "an error while attributing"
                                attributionCache[slot] = text
                            }
                            if let last = result.differing.last, last.0 == text {
                                result.differing[result.differing.count - 1].1 += 1
                            } else {
                                result.differing.append((text, 1))
                            }
                        }
                    }
                }
                for (gi, k) in keysByIndex.enumerated() {
                    var acc = Accumulator(totals: [], intTotals: [])
                    acc.cases = caseCounts[gi]
                    for w in worlds.indices {
                        let lo = gi * stride + w * cols.count
                        acc.intTotals.append(Array(flatInt[lo..<(lo + cols.count)]))
                        acc.totals.append(Array(flatNum[lo..<(lo + cols.count)]))
                    }
                    // Codes back to values, so chunks from different workers merge.
                    let values: [Value] = k.enumerated().map { i, code in
                        switch q.keys[i].kind {
                        case .year: return .int(code)
                        case .month: return .string("\(code / 100)-\(code % 100 < 10 ? "0" : "")\(code % 100)")
                        case .quarter: return .string("\(code / 10)-Q\(code % 10)")
                        case .expression: return keyMemos[i]?.value(Int32(code)) ?? .bool(false)
                        }
                    }
                    if var existing = result.groups[values] {
                        existing.merge(acc)
                        result.groups[values] = existing
                    } else {
                        result.groups[values] = acc
                        result.groupOrder.append(values)
                    }
                }
                results.set(chunk, result)
            }
        }
        // Merge in chunk order.
        var groups: [[Value]: Accumulator] = [:]
        var errors = RunErrors()
        var counts: [String: Int] = [:]
        var order: [String] = []
        var interrupted = false
        for r in results.all {
            guard let r else { continue }
            interrupted = interrupted || r.interrupted
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
            for (text, n) in r.differing {
                if counts[text] == nil { order.append(text) }
                counts[text, default: 0] += n
            }
        }
        if interrupted { throw Interrupted() }
        try errors.throwIfAny()
        var attribution: [String] = []
        if q.kind == .compare { attribution = attributionLines(counts, order) }
        return FastResult(groups: groups, attribution: attribution)
    }

    /// The attribution text of one differing case (computed once per memo key).
    func attributionKey(_ q: Query, _ data: PopulationData, _ row: Int, _ worlds: [World]) throws -> String {
        let renderer = ExplainRenderer(program: program)
        var frame = Frame(world: worlds[0])
        let c = data.caseRecord(row)
        frame.subject = .record(c)
        var traces: [[DecisionTrace]] = []
        for w in worlds.prefix(2) {
            frame.world = w
            let recorder = Recorder()
            frame.recorder = recorder
            for a in q.aggregates { _ = try caseValue(a, &frame) }
            frame.recorder = nil
            traces.append(recorder.roots)
        }
        if let (a, b) = renderer.firstDifference(traces[0], traces[1]) {
            let name = program.decisions[a.decision].name
            return "\(name): \(describe(b, renderer)) in \(worlds[1].name)  vs.  \(describe(a, renderer)) in \(worlds[0].name)"
        }
        return "no decision differs (a param, attribute or let differs)"
    }

    func attributionLines(_ counts: [String: Int], _ order: [String]) -> [String] {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return ["No case differs between the scenarios."] }
        var lines = ["Attribution of the \(ValueFormatter.grouped(Int64(total))) case\(total == 1 ? "" : "s") that differ:"]
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let sorted = order.sorted { (counts[$0, default: 0], -position[$0, default: 0]) > (counts[$1, default: 0], -position[$1, default: 0]) }
        let width = sorted.map { ValueFormatter.grouped(Int64(counts[$0, default: 0])).count }.max() ?? 1
        for k in sorted.prefix(12) {
            let n = ValueFormatter.grouped(Int64(counts[k, default: 0]))
            lines.append("  \(String(repeating: " ", count: width - n.count))\(n)  \(k)")
        }
        if sorted.count > 12 { lines.append("  … and \(sorted.count - 12) smaller groups") }
        return lines
    }
}

extension QueryRunner.Accumulator {
    mutating func merge(_ o: QueryRunner.Accumulator) {
        cases += o.cases
        for s in totals.indices {
            for c in totals[s].indices {
                totals[s][c] += o.totals[s][c]
                intTotals[s][c] &+= o.intTotals[s][c]
            }
        }
    }
}

/// Engine switches, for tests and benchmarks: `POLICY_ENGINE=general` turns the memoised
/// path off (every case is evaluated), so the two can be compared.
public enum Engine {
    /// `POLICY_ENGINE_EXPLAIN=1` prints which engine each query uses, to stderr.
    public static var explain: Bool { getenv("POLICY_ENGINE_EXPLAIN") != nil }
    static func note(_ s: String) {
        var bytes = Array((s + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    public static var generalOnly: Bool {
        guard let raw = getenv("POLICY_ENGINE") else { return false }
        return String(cString: raw) == "general"
    }
}

#if canImport(Glibc)
import Glibc
#endif
