import PolicySyntax

// One worker of the fast path of `table`, `compare` and `plot`: per chunk of cases, the
// memoised codes of every per-case expression, then their totals per group — by a
// histogram of codes when no case failed and no column sums numbers, else case by case.

/// What every worker of one fast query shares (read-only while they run). The raw columns
/// are valid while the query runs (`PopulationData.withRawColumns`).
struct _FastShared: @unchecked Sendable {
    enum KeyKind { case year, month, quarter, expression }
    enum ColumnKind { case count, countIf, spread, intSum, numberSum }

    let q: Query
    let data: PopulationData
    let worlds: [World]
    let layout: MemoLayout
    let columns: [UnsafeRawBufferPointer]
    let dates: UnsafeBufferPointer<Int32>
    let keyKinds: [KeyKind]
    let colAggregate: [Int]
    let colMember: [Int32]
    let colKind: [ColumnKind]
    /// Per day from `calendarStart`: the year, month and quarter keys.
    let calendarTable: [(year: Int64, month: Int64, quarter: Int64)]
    let calendarStart: Int32
    /// For one calendar key: per day, its group number, and per group number, its key.
    let dayGroups: [Int32]
    let calendarGroupCodes: [Int64]
    /// Whether the histogram path may be used (one key at most, no number sums).
    let histogram: Bool
    let runner: QueryRunner
}

/// One worker: its memos (never shared: no locks on the hot path), its buffers (reused
/// from chunk to chunk), and the attribution texts it has worked out.
final class _FastWorker {
    typealias ChunkResult = QueryRunner.ChunkResult
    typealias Accumulator = QueryRunner.Accumulator

    let s: _FastShared
    let filterMemo: Memo?
    let keyMemos: [Memo?]
    let aggMemos: [[Memo?]]
    /// This chunk's codes (the first `n` entries): per memo, per case.
    private var filterCodes: [MemoCode]
    private var keyCodes: [[MemoCode]]
    private var aggCodes: [[[MemoCode]]]
    private var rowGroup: [Int32]
    /// Each case's entry in the memo tables (shared by all the memos).
    private var rowIndex: [Int32]
    private var attributionCache: [[Int]: AttributionCause] = [:]
    private lazy var attributor = QueryRunner.Attributor(s.q, s.worlds[0])
    /// Compare: per (world, aggregate), whether a baseline code and this world's code are
    /// the same answer (`sameWidth` codes per row of the table).
    private var sameTables: [[Bool]] = [], sameWidth: [Int] = []

    /// What each memo evaluates, in one list: the filter, each key, then each aggregate in
    /// each world (nil where there is nothing to evaluate).
    static func specs(_ s: _FastShared) -> [(eval: Eval, world: World)?] {
        let q = s.q
        var out: [(eval: Eval, world: World)?] = [q.filter.map { ($0, s.worlds[0]) }]
        for k in q.keys {
            if case .expression(let e) = k.kind { out.append((e, s.worlds[0])) } else { out.append(nil) }
        }
        for w in s.worlds {
            for a in q.aggregates { out.append(a.perCase.map { ($0, w) }) }
        }
        return out
    }

    /// `memos`: as `specs` lists them (made here when nil).
    init(_ s: _FastShared, memos given: [Memo?]? = nil) {
        self.s = s
        let q = s.q
        let memos = given ?? _FastWorker.specs(s).map { spec in
            spec.map { Memo(layout: s.layout, eval: $0.eval, world: $0.world, data: s.data, columns: s.columns) }
        }
        filterMemo = memos.first ?? nil
        keyMemos = Array(memos.dropFirst().prefix(q.keys.count))
        let perWorld = q.aggregates.count
        aggMemos = s.worlds.indices.map { w in
            let start = 1 + q.keys.count + w * perWorld
            return Array(memos[start..<start + perWorld])
        }
        let size = QueryRunner.chunkSize
        filterCodes = filterMemo == nil ? [] : [MemoCode](repeating: .unknown, count: size)
        keyCodes = keyMemos.map { $0 == nil ? [] : [MemoCode](repeating: .unknown, count: size) }
        aggCodes = aggMemos.map { $0.map { $0 == nil ? [] : [MemoCode](repeating: .unknown, count: size) } }
        rowGroup = [Int32](repeating: 0, count: size)
        rowIndex = [Int32](repeating: 0, count: size)
    }

    /// What chunk `chunk` of the cases adds up to.
    func run(chunk: Int) -> ChunkResult {
        var result = ChunkResult()
        if s.runner.program.cancellation.isRaised {
            result.interrupted = true
            return result
        }
        let lo = chunk * QueryRunner.chunkSize, hi = min(s.data.count, lo + QueryRunner.chunkSize)
        let n = hi - lo
        // Codes for the whole chunk, one tight loop per memo; the table indices once for all.
        let anyMemo = filterMemo ?? keyMemos.lazy.compactMap { $0 }.first ?? aggMemos.lazy.flatMap { $0 }.compactMap { $0 }.first
        let indexed = rowIndex.withUnsafeMutableBufferPointer { index in
            guard let m = anyMemo, let base = index.baseAddress else { return false }
            return m.indices(lo, hi, base)
        }
        func fill(_ m: Memo?, _ out: inout [MemoCode]) {
            guard let m else { return }
            out.withUnsafeMutableBufferPointer { codes in
                guard let base = codes.baseAddress else { return }
                if indexed {
                    rowIndex.withUnsafeBufferPointer { index in
                        if let i = index.baseAddress { m.lookup(i, lo, n, base) }
                    }
                } else {
                    m.fill(lo, hi, base)
                }
            }
        }
        fill(filterMemo, &filterCodes)
        for k in keyMemos.indices { fill(keyMemos[k], &keyCodes[k]) }
        for w in aggMemos.indices { for a in aggMemos[w].indices { fill(aggMemos[w][a], &aggCodes[w][a]) } }
        prepareComparison()
        if s.histogram, !failed(filterCodes, n), !keyCodes.contains(where: { failed($0, n) }),
           !aggCodes.contains(where: { $0.contains { failed($0, n) } }) {
            histogramChunk(lo, n, &result)
        } else {
            rowChunk(lo, n, &result)
        }
        return result
    }

    /// Whether one of the first `n` codes names an error.
    private func failed(_ codes: [MemoCode], _ n: Int) -> Bool {
        guard !codes.isEmpty else { return false }
        var any = false
        for r in 0..<n { any = any || codes[r].isError }
        return any
    }

    // MARK: - Groups

    /// Codes back to values, so chunks from different workers merge.
    private func keyValues(_ k: [Int64]) -> [Value] {
        k.enumerated().map { i, code in _FastWorker.keyValue(s.keyKinds[i], code, keyMemos[i]) }
    }

    /// A key's value from its code: a calendar code, or a code of the key's memo.
    static func keyValue(_ kind: _FastShared.KeyKind, _ code: Int64, _ memo: Memo?) -> Value {
        switch kind {
        case .year: return .int(code)
        case .month: return .string("\(code / 100)-\(code % 100 < 10 ? "0" : "")\(code % 100)")
        case .quarter: return .string("\(code / 10)-Q\(code % 10)")
        case .expression: return memo?.value(.value(Int(code))) ?? .bool(false)
        }
    }

    private func addGroup(_ values: [Value], _ acc: Accumulator, _ result: inout ChunkResult) {
        if var existing = result.groups[values] {
            existing.merge(acc)
            result.groups[values] = existing
        } else {
            result.groups[values] = acc
            result.groupOrder.append(values)
        }
    }

    // MARK: - The histogram path

    /// Counts each group's cases per answer code, then turns the counts into the columns:
    /// no work per case and column.
    private func histogramChunk(_ lo: Int, _ n: Int, _ result: inout ChunkResult) {
        let keyed = !s.q.keys.isEmpty
        let byExpression = keyed && s.keyKinds[0] == .expression
        let groupCount = !keyed ? 1 : byExpression ? (keyMemos[0]?.values.count ?? 0) : s.calendarGroupCodes.count
        // Each case's group, or -1 when the filter leaves it out.
        rowGroup.withUnsafeMutableBufferPointer { g in
            if !keyed {
                for r in 0..<n { g[r] = 0 }
            } else if byExpression {
                keyCodes[0].withUnsafeBufferPointer { k in for r in 0..<n { g[r] = k[r].raw } }
            } else {
                s.dayGroups.withUnsafeBufferPointer { days in
                    guard let dates = s.dates.baseAddress.map({ $0 + lo }) else { return }
                    let start = s.calendarStart
                    for r in 0..<n { g[r] = days[Int(dates[r] &- start)] }
                }
            }
            if let m = filterMemo {
                let bools = m.boolOf
                for r in 0..<n where bools[filterCodes[r].valueIndex] == 0 { g[r] = -1 }
            }
        }
        var cases = [Int](repeating: 0, count: groupCount)
        cases.withUnsafeMutableBufferPointer { cs in
            rowGroup.withUnsafeBufferPointer { g in for r in 0..<n where g[r] >= 0 { cs[Int(g[r])] &+= 1 } }
        }
        // Per world and aggregate: per group, how many cases have each answer code.
        var hist: [[[Int]]] = []
        for w in s.worlds.indices {
            hist.append(s.q.aggregates.indices.map { a in
                guard let m = aggMemos[w][a] else { return [] }
                let width = m.values.count
                var h = [Int](repeating: 0, count: groupCount * width)
                h.withUnsafeMutableBufferPointer { hp in
                    rowGroup.withUnsafeBufferPointer { g in
                        aggCodes[w][a].withUnsafeBufferPointer { c in
                            for r in 0..<n where g[r] >= 0 { hp[Int(g[r]) &* width &+ c[r].valueIndex] &+= 1 }
                        }
                    }
                }
                return h
            })
        }
        let cols = s.colKind.count
        for g in 0..<groupCount where cases[g] > 0 {
            var acc = Accumulator(totals: Array(repeating: Array(repeating: 0, count: cols), count: s.worlds.count),
                                  intTotals: Array(repeating: Array(repeating: 0, count: cols), count: s.worlds.count))
            acc.cases = cases[g]
            for w in s.worlds.indices {
                for ci in 0..<cols {
                    let a = s.colAggregate[ci]
                    if s.colKind[ci] == .count {
                        acc.intTotals[w][ci] = IntTotal(cases[g])
                        continue
                    }
                    guard let m = aggMemos[w][a] else { continue }
                    let width = m.values.count
                    var total: IntTotal = 0
                    for v in 0..<width {
                        let k = hist[w][a][g * width + v]
                        guard k != 0 else { continue }
                        switch s.colKind[ci] {
                        case .countIf: total += IntTotal(k) * IntTotal(m.boolOf[v])
                        case .spread: if m.memberOf[v] == s.colMember[ci] { total += IntTotal(k) }
                        case .intSum: total.add(m.intOf[v], times: k)
                        case .count, .numberSum: break
                        }
                    }
                    acc.intTotals[w][ci] = total
                }
            }
            let key: [Int64] = !keyed ? [] : byExpression ? [Int64(g)] : [s.calendarGroupCodes[g]]
            addGroup(keyValues(key), acc, &result)
        }
        if comparing { for r in 0..<n where rowGroup[r] >= 0 { noteDiffering(lo + r, r, &result) } }
    }

    // MARK: - The case-by-case path

    /// Adds up case by case (errors are counted, number sums keep their order).
    private func rowChunk(_ lo: Int, _ n: Int, _ result: inout ChunkResult) {
        let q = s.q, worlds = s.worlds
        var single: [Int64: Int] = [:]
        var multi: [[Int64]: Int] = [:]
        // Per group, flat: [cases] and [world][column] totals at gi * stride (a nested array
        // per group would check three buffers on every increment).
        let cols = s.colKind.count
        let stride = worlds.count * cols
        var caseCounts: [Int] = []
        var flatInt: [IntTotal] = []
        var flatNum: [Double] = []
        var keysByIndex: [[Int64]] = []
        var key = [Int64](repeating: 0, count: q.keys.count)
        func newGroup() -> Int {
            caseCounts.append(0)
            flatInt.append(contentsOf: repeatElement(0, count: stride))
            flatNum.append(contentsOf: repeatElement(0, count: stride))
            return caseCounts.count - 1
        }
        let filterBools = filterMemo?.boolOf ?? []
        let boolOf = aggMemos.map { $0.map { $0?.boolOf ?? [] } }
        let memberOf = aggMemos.map { $0.map { $0?.memberOf ?? [] } }
        let intOf = aggMemos.map { $0.map { $0?.intOf ?? [] } }
        let numberOf = aggMemos.map { $0.map { $0?.numberOf ?? [] } }
        var smallKeys: [Int64] = [] // a linear map while there are few groups
        for r in 0..<n {
            let row = lo + r
            // Errors: a code below -1 names the error (a memo is read only then).
            var failure: EvalError?
            if !filterCodes.isEmpty, filterCodes[r].isError, let m = filterMemo { failure = m.error(filterCodes[r]) }
            // A case the `where` leaves out is not grouped or added up: its keys' and
            // aggregates' errors are not errors of the query (as in the general engine).
            if failure == nil, filterMemo != nil, filterBools[filterCodes[r].valueIndex] == 0 { continue }
            for k in keyMemos.indices where failure == nil {
                if !keyCodes[k].isEmpty, keyCodes[k][r].isError, let m = keyMemos[k] { failure = m.error(keyCodes[k][r]) }
            }
            for w in worlds.indices where failure == nil {
                for a in q.aggregates.indices where failure == nil {
                    if !aggCodes[w][a].isEmpty, aggCodes[w][a][r].isError, let m = aggMemos[w][a] { failure = m.error(aggCodes[w][a][r]) }
                }
            }
            if let failure {
                result.errors.add(failure, row: row, s.data.caseRecord(row))
                continue
            }
            for k in s.keyKinds.indices {
                switch s.keyKinds[k] {
                case .year: key[k] = s.calendarTable[Int(s.dates[row] - s.calendarStart)].year
                case .month: key[k] = s.calendarTable[Int(s.dates[row] - s.calendarStart)].month
                case .quarter: key[k] = s.calendarTable[Int(s.dates[row] - s.calendarStart)].quarter
                case .expression: key[k] = Int64(keyCodes[k][r].valueIndex)
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
                let wbase = base + w * cols
                for ci in 0..<cols {
                    let a = s.colAggregate[ci]
                    switch s.colKind[ci] {
                    case .count:
                        flatInt[wbase + ci] += 1
                    case .countIf:
                        flatInt[wbase + ci] += IntTotal(boolOf[w][a][aggCodes[w][a][r].valueIndex])
                    case .spread:
                        if memberOf[w][a][aggCodes[w][a][r].valueIndex] == s.colMember[ci] { flatInt[wbase + ci] += 1 }
                    case .intSum:
                        flatInt[wbase + ci].add(intOf[w][a][aggCodes[w][a][r].valueIndex])
                    case .numberSum:
                        flatNum[wbase + ci] += numberOf[w][a][aggCodes[w][a][r].valueIndex]
                    }
                }
            }
            if comparing { noteDiffering(row, r, &result) }
        }
        for (gi, k) in keysByIndex.enumerated() {
            var acc = Accumulator(totals: [], intTotals: [])
            acc.cases = caseCounts[gi]
            for w in worlds.indices {
                let lo = gi * stride + w * cols
                acc.intTotals.append(Array(flatInt[lo..<(lo + cols)]))
                acc.totals.append(Array(flatNum[lo..<(lo + cols)]))
            }
            addGroup(keyValues(k), acc, &result)
        }
    }

    // MARK: - Attribution

    private var comparing: Bool { s.q.kind == .compare && s.worlds.count > 1 }

    /// The tables of same answers, for the codes the memos have so far.
    private func prepareComparison() {
        guard comparing else { return }
        sameTables.removeAll(keepingCapacity: true)
        sameWidth.removeAll(keepingCapacity: true)
        for w in s.worlds.indices {
            for a in s.q.aggregates.indices {
                guard w > 0, let m0 = aggMemos[0][a], let m = aggMemos[w][a] else {
                    sameTables.append([])
                    sameWidth.append(0)
                    continue
                }
                let v0 = m0.values.count, vw = m.values.count
                var table = [Bool](repeating: false, count: v0 * vw)
                for x in 0..<v0 { for y in 0..<vw { table[x * vw + y] = m0.value(.value(x)) == m.value(.value(y)) } }
                sameTables.append(table)
                sameWidth.append(vw)
            }
        }
    }

    /// Notes case `row` (`r` in the chunk) for attribution when its answers differ.
    /// (With three or more scenarios, for each scenario it differs in against the first.)
    private func noteDiffering(_ row: Int, _ r: Int, _ result: inout ChunkResult) {
        let aggregates = s.q.aggregates.count
        for w in s.worlds.indices.dropFirst() {
            var differs = false
            for a in 0..<aggregates where !differs {
                let t = w * aggregates + a
                if !sameTables[t].isEmpty, !sameTables[t][aggCodes[0][a][r].valueIndex * sameWidth[t] + aggCodes[w][a][r].valueIndex] { differs = true }
            }
            // (Most cases answer alike: nothing more is looked at for them.)
            guard differs, let m0 = aggMemos[0].first(where: { $0 != nil }) ?? nil else { continue }
            // Same key and same answers, no draws ⇒ same derivation; in a class of
            // interchangeable instances the text names the case's own, so its jurisdiction too.
            var slot = [w, m0.slot(row), m0.uncachedErrors(row) ? Int(m0.jurisdictions[row]) : -1]
            // An aggregate with no memo (`count`) has no codes.
            for a in 0..<aggregates where !aggCodes[0][a].isEmpty && !aggCodes[w][a].isEmpty {
                slot += [Int(aggCodes[0][a][r].raw), Int(aggCodes[w][a][r].raw)]
            }
            // Along a draw tree, cases of one key can reach the same answers by different rules:
            // their text is worked out case by case.
            let drawn = [aggMemos[0], aggMemos[w]].contains { $0.contains { m in m.map { $0.table[$0.slot(row)].isTree } ?? false } }
            let cause: AttributionCause
            if !drawn, let cached = attributionCache[slot] {
                cause = cached
            } else {
                cause = ((try? s.runner.attributionCause(&attributor, s.data, row, s.worlds, against: w)) ?? nil) ?? .failed
                if !drawn { attributionCache[slot] = cause }
            }
            result.differing.add(QueryRunner.CauseKey(alternative: w, cause: cause))
        }
    }
}
