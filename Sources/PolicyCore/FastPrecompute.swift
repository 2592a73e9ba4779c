import PolicySyntax

// Evaluating each key once for all workers (issue 4, W2). Without this, every worker
// evaluates every key its cases meet — on two cores, each key twice. Instead: (1) the
// workers mark which table entries the cases use, with one case for each; (2) they share
// out those keys and evaluate each along every path of draws (`completeTree`); (3) their
// memos are merged into one; (4) every worker starts from a copy of it.

extension Memo {
    /// A copy of `other`, for another worker: its own table, values, trees and frame.
    convenience init(copying other: Memo) {
        self.init(layout: other.layout, eval: other.eval, world: other.world, data: other.data, columns: other.columns)
        table.update(fromContentsOf: other.table)
        values = other.values
        codes = other.codes
        boolOf = other.boolOf
        memberOf = other.memberOf
        numberOf = other.numberOf
        intOf = other.intOf
        errors = other.errors
        errorCodes = other.errorCodes
        nodes = other.nodes
        interned = other.interned
        streamKeys = other.streamKeys
        parentOf = other.parentOf
    }

    /// Evaluates table entry `i` (whose key is `row`'s) along every path, unless known.
    func precompute(_ i: Int, row: Int) {
        guard i < table.count, table[i] == -1, let tree = completeTree(row) else { return }
        table[i] = tree
    }

    /// Takes the entries `other` (another worker's memo of the same expression) knows and
    /// this one does not, its codes and trees translated into this memo's.
    /// `entries`: which entries to take; `errors`: whether to take errors (an error can
    /// name its scenario: not taken from another world's memo).
    func absorb(_ other: Memo, entries: (Int) -> Bool = { _ in true }, errors: Bool = true) {
        var map: [Int32: Int32] = [:]
        func translate(_ c: Int32, _ depth: Int) -> Int32? {
            if let m = map[c] { return m }
            let out: Int32
            if c >= Memo.treeBase {
                let k = Int(c - Memo.treeBase)
                guard depth < 64, k < other.nodes.count else { return nil }
                let node = other.nodes[k]
                // Only complete trees are shared (an unexplored branch is -1: not taken).
                guard let onFalse = translate(node.next.0, depth + 1), let onTrue = translate(node.next.1, depth + 1) else { return nil }
                let key = NodeKey(stream: node.stream, probability: node.probability.bitPattern, onFalse: onFalse, onTrue: onTrue)
                if let shared = interned[key] {
                    out = shared
                } else {
                    nodes.append(ChanceNode(stream: node.stream, probability: node.probability, next: (onFalse, onTrue)))
                    out = Memo.treeBase + Int32(nodes.count - 1)
                    interned[key] = out
                }
            } else if c >= 0, Int(c) < other.values.count {
                out = valueCode(other.values[Int(c)])
            } else if errors, c <= -2, Int(-2 - c) < other.errors.count {
                out = errorCode(other.error(c))
            } else {
                return nil
            }
            map[c] = out
            return out
        }
        for i in 0..<min(table.count, other.table.count) where table[i] == -1 && other.table[i] != -1 && entries(i) {
            if let c = translate(other.table[i], 0) { table[i] = c }
        }
    }
}

extension _FastWorker {
    /// The memos of a query (as `_FastWorker.specs` lists them) with every key its cases
    /// use evaluated once, by all the workers together; nil entries where there is no memo.
    /// Nil when the cases are too few for it to pay (each worker then evaluates what it meets).
    static func precomputedMemos(_ s: _FastShared, workers: Int) -> [Memo?]? {
        let size = s.layout.tableSize
        guard workers > 1, s.layout.dayBase != nil, size > 0, s.data.count >= 4 * size else { return nil }
        let specs = _FastWorker.specs(s)
        let chunkCount = (s.data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
        // One set of memos per worker (each used by its worker only).
        let protos: [[Memo?]] = (0..<workers).map { _ in
            specs.map { spec in spec.map { Memo(layout: s.layout, eval: $0.eval, world: $0.world, data: s.data, columns: s.columns) } }
        }
        guard protos[0].contains(where: { $0 != nil }) else { return nil }
        // (1) Which entries the cases use, and a case for each.
        let firstRows = Slots<[Int32]>(workers)
        let counter = ChunkCounter()
        let box = _MemoBox(protos)
        runParallel(workers: workers) { w in
            guard let m = box.memos[w].lazy.compactMap({ $0 }).first else { return }
            var rows = [Int32](repeating: -1, count: size)
            var index = [Int32](repeating: 0, count: QueryRunner.chunkSize)
            while true {
                let chunk = counter.take()
                guard chunk < chunkCount else { break }
                let lo = chunk * QueryRunner.chunkSize, hi = min(s.data.count, lo + QueryRunner.chunkSize)
                let ok = index.withUnsafeMutableBufferPointer { $0.baseAddress.map { m.indices(lo, hi, $0) } ?? false }
                guard ok else { break }
                for r in 0..<(hi - lo) {
                    let i = Int(index[r])
                    if i < size, rows[i] < 0 { rows[i] = Int32(lo + r) }
                }
            }
            firstRows.set(w, rows)
        }
        var rowOf = [Int32](repeating: -1, count: size)
        for case let rows? in firstRows.all {
            for i in 0..<min(size, rows.count) where rowOf[i] < 0 { rowOf[i] = rows[i] }
        }
        let keys = (0..<size).filter { rowOf[$0] >= 0 }
        let caseOf = rowOf
        // An aggregate in another world than the first: its answers for classes whose
        // environment is the same there are the first world's (taken after step 3).
        let classOfEntry = s.layout.classOfEntries()
        let aggregates = s.q.aggregates.count, first = 1 + s.q.keys.count
        let sameAsFirst: [[Bool]?] = specs.indices.map { e in
            guard e >= first + aggregates, aggregates > 0, let spec = specs[e] else { return nil }
            return s.layout.sameClasses(spec.world, as: s.worlds[0], s.runner.program)
        }
        if s.runner.program.cancellation.isRaised { return nil }
        // (2) The keys shared out in blocks; each evaluated along every path.
        let block = 256
        let blocks = (keys.count + block - 1) / block
        let blockCounter = ChunkCounter()
        runParallel(workers: min(workers, max(1, blocks))) { w in
            while true {
                let b = blockCounter.take()
                guard b < blocks else { break }
                if s.runner.program.cancellation.isRaised { break }
                for k in b * block..<min(keys.count, (b + 1) * block) {
                    let i = keys[k]
                    for (e, memo) in box.memos[w].enumerated() {
                        guard let m = memo else { continue }
                        if let same = sameAsFirst[e], same[Int(classOfEntry[i])] { continue }
                        m.precompute(i, row: Int(caseOf[i]))
                    }
                }
            }
        }
        // (3) One memo per expression.
        var merged = protos[0]
        for e in merged.indices {
            guard let m = merged[e] else { continue }
            for w in 1..<workers { if let other = protos[w][e] { m.absorb(other) } }
            merged[e] = m
        }
        var borrowed = 0
        for e in merged.indices {
            guard let same = sameAsFirst[e], let m = merged[e], let base = merged[first + (e - first) % aggregates] else { continue }
            let before = m.table.reduce(0) { $0 + ($1 == -1 ? 1 : 0) }
            m.absorb(base, entries: { same[Int(classOfEntry[$0])] }, errors: false)
            borrowed += before - m.table.reduce(0) { $0 + ($1 == -1 ? 1 : 0) }
        }
        if Engine.explain { Engine.note("  \(keys.count) keys used; \(borrowed) answers taken from the first scenario") }
        return merged
    }
}

/// Memos handed to workers that each use only their own.
final class _MemoBox: @unchecked Sendable {
    let memos: [[Memo?]]
    init(_ memos: [[Memo?]]) { self.memos = memos }
}
