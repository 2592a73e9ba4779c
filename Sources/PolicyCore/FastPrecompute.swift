import PolicySyntax
import PolicySupport

// Evaluating each key once for all workers (what W2 measures). Without this, every worker
// evaluates every key its cases meet — on two cores, each key twice. Instead: (1) the
// workers mark which table entries the cases use, with one case for each; (2) they share
// out those keys and evaluate each along every path of draws (`completeTree`); (3) their
// memos are merged into one; (4) every worker starts from a copy of it.

extension Memo {
    /// A copy of `other`, for another worker: its own table, values, trees and frame.
    convenience init(copying other: Memo) {
        self.init(layout: other.layout, eval: other.eval, world: other.world, data: other.data, columns: other.columns)
        _ = table.update(fromContentsOf: other.table)
        values = other.values
        codes = other.codes
        boolOf = other.boolOf
        memberOf = other.memberOf
        numberOf = other.numberOf
        intOf = other.intOf
        errors = other.errors
        errorCodes = other.errorCodes
        readCode = other.readCode
        masks = other.masks
        maskCodes = other.maskCodes
        nodes = other.nodes
        interned = other.interned
        streamKeys = other.streamKeys
        parentOf = other.parentOf
    }

    /// Evaluates table entry `i` (whose key is `row`'s) along every path, unless known.
    func precompute(_ i: Int, row: Int) {
        guard i < table.count, table[i] == .unknown else { return }
        frame.paramsRead = 0
        guard let tree = completeTree(row) else { return }
        table[i] = tree
        setReadMask(i, frame.paramsRead)
    }
}

extension _FastWorker {
    /// The memos of a query (as `_FastWorker.specs` lists them) with every key its cases
    /// use evaluated once, by all the workers together; nil entries where there is no memo.
    /// Nil when the cases are too few for it to pay (each worker then evaluates what it meets).
    /// With `counted`, also counts the cases per (calendar group, table entry) — enough for a
    /// table whose answers involve no draws (`countedResult`).
    static func precomputedMemos(_ s: _FastShared, workers: Int, counted: UnsafeMutablePointer<[Int]>? = nil) -> [Memo?]? {
        let size = s.layout.tableSize
        // Fewer cases than entries pay too when the answers are kept for the next replicate.
        guard workers >= 1, s.layout.dayBase != nil, size > 0,
              s.data.count >= 4 * size || s.runner.program.answerCache.isKeeping
                || s.runner.program.answerCache.wantsPrecompute else { return nil }
        let specs = _FastWorker.specs(s)
        let chunkCount = (s.data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
        // One set of memos per worker (each used by its worker only).
        let protos: [[Memo?]] = (0..<workers).map { _ in
            specs.map { spec in spec.map { Memo(layout: s.layout, eval: $0.eval, world: $0.world, data: s.data, columns: s.columns) } }
        }
        guard protos[0].contains(where: { $0 != nil }) else { return nil }
        // (1) Which entries the cases use, and a case for each (and, for a table, how many
        // cases of each calendar group fall in each entry).
        let firstRows = Slots<[Int32]>(workers)
        let calendarGroups = s.q.keys.count == 1 && s.keyKinds[0] != .expression ? s.calendarGroupCodes.count : 1
        let counting = counted != nil && s.histogram && s.q.kind != .compare && calendarGroups * size <= 1 << 20
        let tallies = Slots<[Int]>(workers)
        let counter = ChunkCounter()
        let box = _MemoBox(protos)
        runParallel(workers: workers) { w in
            guard let m = box.memos[w].lazy.compactMap({ $0 }).first else { return }
            var rows = [Int32](repeating: -1, count: size)
            var complete = true
            var entries = [Int32](repeating: 0, count: QueryRunner.chunkSize)
            var tally = [Int](repeating: 0, count: counting ? calendarGroups * size : 0)
            while true {
                let chunk = counter.take()
                guard chunk < chunkCount else { break }
                let lo = chunk * QueryRunner.chunkSize, hi = min(s.data.count, lo + QueryRunner.chunkSize)
                let ok = entries.withUnsafeMutableBufferPointer { index in
                    guard let base = index.baseAddress, m.indices(lo, hi, base) else { return false }
                    rows.withUnsafeMutableBufferPointer { first in
                        for r in 0..<(hi - lo) {
                            let i = Int(base[r])
                            if i < size, first[i] < 0 { first[i] = Int32(truncatingIfNeeded: lo &+ r) }
                        }
                    }
                    guard counting else { return true }
                    tally.withUnsafeMutableBufferPointer { t in
                        s.dayGroups.withUnsafeBufferPointer { days in
                            for r in 0..<(hi - lo) {
                                let i = Int(base[r])
                                guard i < size else { continue }
                                let g = calendarGroups == 1 ? 0 : Int(days[Int(s.dates[lo + r] &- s.calendarStart)])
                                t[g &* size &+ i] &+= 1
                            }
                        }
                    }
                    return true
                }
                guard ok else {
                    complete = false
                    break
                }
            }
            firstRows.set(w, complete ? rows : [])
            if counting { tallies.set(w, tally) }
        }
        if counting, let counted {
            var total = [Int](repeating: 0, count: calendarGroups * size)
            for case let t? in tallies.all where t.count == total.count { for k in t.indices { total[k] &+= t[k] } }
            counted.pointee = total
        }
        guard firstRows.all.allSatisfy({ $0?.count == size }) else { return nil }
        Engine.mark("the keys the cases use")
        var rowOf = [Int32](repeating: -1, count: size)
        for case let rows? in firstRows.all {
            for i in 0..<min(size, rows.count) where rowOf[i] < 0 { rowOf[i] = rows[i] }
        }
        var work = AnswerCache.Work()
        // Answers an earlier program kept for the same expression in the same world.
        let program = s.runner.program
        let fingerprints = specs.indices.map { e in _FastWorker.fingerprint(s, e, specs) }
        var known = [[Bool]](repeating: [], count: specs.count)
        for e in specs.indices {
            guard let fp = fingerprints[e], let m = protos[0][e], let earlier = program.answerCache.get(fp) else { continue }
            let map = s.layout.entries(from: earlier.layout)
            work.fromEarlier += m.take(earlier, errors: false) { i in rowOf[i] >= 0 && map[i] >= 0 ? Int(map[i]) : nil }
            known[e] = m.table.map { $0 != .unknown }
        }
        let keys = (0..<size).filter { rowOf[$0] >= 0 }
        work.keysUsed = keys.count
        let caseOf = rowOf, knownBefore = known
        let classOfEntry = s.layout.classOfEntries()
        let aggregates = s.q.aggregates.count, first = 1 + s.q.keys.count
        let firstWorldEnd = first + aggregates
        if s.runner.program.cancellation.isRaised { return nil }
        // (2) The keys shared out in blocks; each evaluated along every path. First the keys
        // and the first world, then — once their answers show which params each key reads —
        // the other worlds, each taking what it can from a base (below).
        let block = 256
        let blocks = (keys.count + block - 1) / block
        func evaluate(_ memos: Range<Int>, lending: [(base: Int, same: [Bool], paramDiff: UInt64)?], firstMasks: [Int: [UInt64]]) {
            let blockCounter = ChunkCounter()
            runParallel(workers: min(workers, max(1, blocks))) { w in
                while true {
                    let b = blockCounter.take()
                    guard b < blocks else { break }
                    if s.runner.program.cancellation.isRaised { break }
                    for k in b * block..<min(keys.count, (b + 1) * block) {
                        let i = keys[k]
                        for e in memos {
                            guard e < box.memos[w].count, let m = box.memos[w][e] else { continue }
                            // Taken from the base after step 3 when the base's answer (of the
                            // first world, or worked out just before, world by world) read no
                            // param that differs.
                            if let (b, same, diff) = lending[e], same[Int(classOfEntry[i])] {
                                let mask = firstMasks[b].map { $0[i] } ?? (b < e ? box.memos[w][b]?.readMask(i) : nil)
                                if diff == 0 || (mask.map { $0 & diff == 0 } ?? false) {
                                    if let mask { m.setReadMask(i, mask) }
                                    continue
                                }
                            }
                            if !knownBefore[e].isEmpty, knownBefore[e][i] { continue }
                            m.precompute(i, row: Int(caseOf[i]))
                        }
                    }
                }
            }
        }
        let noLending = [(base: Int, same: [Bool], paramDiff: UInt64)?](repeating: nil, count: specs.count)
        evaluate(0..<min(firstWorldEnd, specs.count), lending: noLending, firstMasks: [:])
        // The params each key of the first world read, whichever worker evaluated it.
        var firstMasks: [Int: [UInt64]] = [:]
        for e in first..<min(firstWorldEnd, specs.count) where specs[e] != nil {
            var masks = [UInt64](repeating: .max, count: size)
            for i in keys {
                for memos in protos { if let m = memos[e], m.table[i] != .unknown { masks[i] = m.readMask(i); break } }
            }
            firstMasks[e] = masks
        }
        // An aggregate in another world than the first takes its answers from a base world
        // for the keys whose class has the same environment there and whose answer read no
        // param that differs. The base is the one that leaves the fewest keys to evaluate
        // (estimated from the params the first world's answers read) among the first world
        // and — for many worlds, as `decompose` makes — those with one change less.
        let bases: [(world: Int, same: [Bool], paramDiff: UInt64)?] = s.worlds.indices.map { w in
            guard w > 0, aggregates > 0 else { return nil }
            let candidates = w < 8 ? Array(0..<w) : [0] + (0..<Int.bitWidth).filter { w & (1 << $0) != 0 }.map { w & ~(1 << $0) }
            let proxy = firstMasks[first]
            var best: (world: Int, same: [Bool], paramDiff: UInt64, left: Int)?
            for b in candidates where b < w {
                let (same, diff) = s.layout.sameClasses(s.worlds[w], as: s.worlds[b], s.runner.program)
                var left = 0
                for i in keys where !same[Int(classOfEntry[i])] || (diff != 0 && (proxy?[i] ?? .max) & diff != 0) { left += 1 }
                if left < (best?.left ?? .max) { best = (b, same, diff, left) }
            }
            return best.flatMap { $0.left < keys.count ? ($0.world, $0.same, $0.paramDiff) : nil }
        }
        Engine.mark("keys evaluated in the first world; worlds that share answers")
        let sameAsFirst: [(base: Int, same: [Bool], paramDiff: UInt64)?] = specs.indices.map { e in
            guard e >= first + aggregates, aggregates > 0, specs[e] != nil else { return nil }
            let w = (e - first) / aggregates
            guard w < bases.count, let b = bases[w] else { return nil }
            return (first + b.world * aggregates + (e - first) % aggregates, b.same, b.paramDiff)
        }
        if firstWorldEnd < specs.count {
            evaluate(firstWorldEnd..<specs.count, lending: sameAsFirst, firstMasks: firstMasks)
        }
        Engine.mark("keys evaluated")
        // (3) One memo per expression.
        var merged = protos[0]
        for e in merged.indices {
            guard let m = merged[e] else { continue }
            for w in 1..<workers {
                if let other = protos[w][e] { m.take(other.answers, errors: true, entries: keys) { $0 } }
            }
            merged[e] = m
        }
        // In world order: a base has taken its own base's answers before it lends them.
        for e in merged.indices {
            guard let (b, same, diff) = sameAsFirst[e], b < e, let m = merged[e], let base = merged[b] else { continue }
            let answers = base.answers
            work.fromFirstScenario += m.take(answers, errors: false, entries: keys) { i in
                same[Int(classOfEntry[i])] && (diff == 0 || answers.readMask(i) & diff == 0) ? i : nil
            }
        }
        // Keep the answers for the next program (at the prompt, after :reload) — but a world
        // made for one analysis only while the analysis asks to keep them (for its next replicate).
        let keeping = program.answerCache.isKeeping
        for e in merged.indices {
            guard keeping || specs[e]?.world.isVariant != true else { continue }
            if let fp = fingerprints[e], let m = merged[e] { program.answerCache.set(fp, m.answers) }
        }
        work.evaluated = protos.reduce(0) { total, memos in total + memos.reduce(0) { $0 + ($1?.evaluatedHere ?? 0) } }
        program.answerCache.note(work)
        if Engine.explain {
            Engine.note("  \(keys.count) keys used; answers: \(work.fromEarlier) from an earlier program, \(work.fromFirstScenario) taken from another scenario of the query, \(work.evaluated) evaluated")
        }
        return merged
    }
}

extension _FastWorker {
    /// What memo `e`'s answers depend on, as a number: the population, the expression as
    /// written and its role, and its world. Nil when the program has no fingerprints.
    static func fingerprint(_ s: _FastShared, _ e: Int, _ specs: [(eval: Eval, world: World)?]) -> UInt64? {
        let program = s.runner.program
        guard let spec = specs[e], s.data.fingerprint != 0, spec.world.scenario < program.worldFingerprints.count else { return nil }
        if spec.world.isVariant, spec.world.variantFingerprint == 0 { return nil }
        var h = StableHash()
        h.mix(s.data.fingerprint)
        h.mix(spec.world.isVariant ? spec.world.variantFingerprint : program.worldFingerprints[spec.world.scenario])
        let keys = s.q.keys.count
        if e == 0 {
            h.mix("where \(s.q.filterLabel)")
        } else if e <= keys {
            h.mix("by \(s.q.keys[e - 1].label)")
        } else {
            h.mix("aggregate \(s.q.aggregates[(e - 1 - keys) % max(1, s.q.aggregates.count)].label)")
        }
        return h.value
    }
}

/// Memos handed to workers that each use only their own.
final class _MemoBox: @unchecked Sendable {
    let memos: [[Memo?]]
    init(_ memos: [[Memo?]]) { self.memos = memos }
}

extension _FastWorker {
    /// A table's totals straight from the count of cases per (calendar group, table entry)
    /// and the memos' answers per entry — no second pass over the cases. Nil when an entry
    /// the cases use has no plain answer (a draw tree, an error, not evaluated): then the
    /// cases are gone through one by one.
    static func countedResult(_ s: _FastShared, _ memos: [Memo?], _ counts: [Int]) -> QueryRunner.ChunkResult? {
        let size = s.layout.tableSize
        guard size > 0, counts.count % size == 0, !counts.isEmpty else { return nil }
        let calendarGroups = counts.count / size
        let keyCount = s.q.keys.count, aggregateCount = s.q.aggregates.count
        guard memos.count == 1 + keyCount + s.worlds.count * aggregateCount else { return nil }
        let filter = memos[0]
        let byExpression = keyCount == 1 && s.keyKinds[0] == .expression
        let keyMemo = byExpression ? memos[1] : nil
        func answer(_ m: Memo?, _ i: Int) -> MemoCode? {
            guard let m else { return .value(0) }
            let c = m.table[i]
            return c.isValue ? c : nil
        }
        // Per group (a calendar group, or the key's answer code): cases and totals.
        let groupCount = byExpression ? (keyMemo?.values.count ?? 0) : calendarGroups
        let cols = s.colKind.count
        var cases = [Int](repeating: 0, count: groupCount)
        var totals = [IntTotal](repeating: 0, count: groupCount * s.worlds.count * cols)
        for g in 0..<calendarGroups {
            for i in 0..<size {
                let n = counts[g * size + i]
                guard n > 0 else { continue }
                guard let f = answer(filter, i), let k = answer(keyMemo, i) else { return nil }
                if let m = filter, m.boolOf[f.valueIndex] == 0 { continue }
                let group = byExpression ? k.valueIndex : g
                cases[group] += n
                for w in s.worlds.indices {
                    for ci in 0..<cols {
                        let at = (group * s.worlds.count + w) * cols + ci
                        if s.colKind[ci] == .count {
                            totals[at] += IntTotal(n)
                            continue
                        }
                        guard let m = memos[1 + keyCount + w * aggregateCount + s.colAggregate[ci]] else { continue }
                        guard let c = answer(m, i) else { return nil }
                        switch s.colKind[ci] {
                        case .countIf: totals[at] += IntTotal(n) * IntTotal(m.boolOf[c.valueIndex])
                        case .spread: if m.memberOf[c.valueIndex] == s.colMember[ci] { totals[at] += IntTotal(n) }
                        case .intSum: totals[at].add(m.intOf[c.valueIndex], times: n)
                        case .count, .numberSum: return nil
                        }
                    }
                }
            }
        }
        var result = QueryRunner.ChunkResult()
        for group in 0..<groupCount where cases[group] > 0 {
            var acc = QueryRunner.Accumulator(totals: Array(repeating: Array(repeating: 0, count: cols), count: s.worlds.count),
                                              intTotals: Array(repeating: Array(repeating: 0, count: cols), count: s.worlds.count))
            acc.cases = cases[group]
            for w in s.worlds.indices {
                let at = (group * s.worlds.count + w) * cols
                acc.intTotals[w] = Array(totals[at..<(at + cols)])
            }
            let key: [Value]
            if keyCount == 0 {
                key = []
            } else if byExpression {
                key = [_FastWorker.keyValue(.expression, Int64(group), keyMemo)]
            } else {
                key = [_FastWorker.keyValue(s.keyKinds[0], s.calendarGroupCodes[group], nil)]
            }
            result.groups[key] = acc
            result.groupOrder.append(key)
        }
        return result
    }
}
