import PolicySyntax
import PolicySupport

// Answers kept from one program to the next at the prompt (what W3 measures). A fast query's
// memo answers, per expression and world, are stored under a fingerprint of everything
// they depend on: the population, the expression as written, the world (the program
// outside scenarios and the world's scenario text), and the shape of the key. After
// `:reload` or a new entry, a memo whose fingerprint is unchanged takes them back — mapped
// through the new layout, whose classes and periods may be finer — instead of evaluating
// its keys again. A world whose scenario changed is evaluated again, except for the
// jurisdictions where it agrees with the first scenario of the query (`sameClasses`).

/// A memo's answers, on their own (no program, no closures).
struct _Answers {
    let layout: MemoLayout
    let table: [MemoCode]
    let values: [Value]
    let nodes: [Memo.ChanceNode]
    let errors: [EvalError]
    /// Per entry: the params its answer read (`Memo.readCode`, `Memo.masks`).
    let readCodes: [UInt8]
    let masks: [UInt64]

    func readMask(_ j: Int) -> UInt64 { j < readCodes.count && Int(readCodes[j]) < masks.count ? masks[Int(readCodes[j])] : .max }
}

public final class AnswerCache: @unchecked Sendable {
    private var entries: [UInt64: (answers: _Answers, used: Int)] = [:]
    private var clock = 0
    private let lock = Lock()
    /// At most this many memos' answers are kept (the least recently used go first).
    static let defaultCapacity = 6
    private var capacity = AnswerCache.defaultCapacity

    /// True while an analysis keeps more answers than usual (they will be asked for again).
    var isKeeping: Bool { lock.withLock { capacity > AnswerCache.defaultCapacity } }

    private var precomputeDepth = 0
    /// True while a query's keys should be evaluated once for all its worlds even when its
    /// cases are few: a decomposition's sub-scenarios take most answers from each other.
    var wantsPrecompute: Bool { lock.withLock { precomputeDepth > 0 } }

    func precomputing<R>(_ body: () throws -> R) rethrows -> R {
        lock.withLock { precomputeDepth += 1 }
        defer { lock.withLock { precomputeDepth -= 1 } }
        return try body()
    }

    /// Keeps at least `n` memos' answers while `body` runs (an analysis that runs the same
    /// memos again for each replicate), then the usual number.
    func keeping<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        lock.withLock { capacity = max(AnswerCache.defaultCapacity, min(n, 512)) }
        defer {
            lock.withLock {
                capacity = AnswerCache.defaultCapacity
                while entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
                    entries[oldest.key] = nil
                }
            }
        }
        return try body()
    }

    /// What the last fast query did with its keys: how many its cases used, how many came
    /// from an earlier program, how many from the query's first scenario, how many were
    /// evaluated (per memo: an expression in a world).
    public struct Work: Sendable {
        public var keysUsed = 0
        public var fromEarlier = 0
        public var fromFirstScenario = 0
        public var evaluated = 0
        public init() {}
    }
    public private(set) var lastQuery = Work()

    public init() {}

    func get(_ key: UInt64) -> _Answers? {
        lock.withLock {
            clock += 1
            guard let e = entries[key] else { return nil }
            entries[key] = (e.answers, clock)
            return e.answers
        }
    }

    func set(_ key: UInt64, _ answers: _Answers) {
        // Large tables are not kept (each entry holds its table and its layout's day table).
        guard answers.table.count <= 1 << 20 else { return }
        lock.withLock {
            clock += 1
            entries[key] = (answers, clock)
            while entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
                entries[oldest.key] = nil
            }
        }
    }

    func note(_ work: Work) { lock.withLock { lastQuery = work } }
}

extension Memo {
    /// This memo's answers, to keep.
    var answers: _Answers {
        _Answers(layout: layout, table: Array(table), values: values, nodes: nodes, errors: errors, readCodes: readCode, masks: masks)
    }

    /// Takes the entries of `source` this memo does not know: entry `i` here is entry
    /// `entryOf(i)` there (nil: none), codes and trees translated into this memo's; only
    /// complete trees are taken, and errors only when `errors` (an error can name its
    /// scenario or its program's files). Only `entries` are looked at, when given (the
    /// entries a query's cases use: far fewer than the table's). Returns how many were taken.
    @discardableResult
    func take(_ source: _Answers, errors: Bool, entries: [Int]? = nil, entryOf: (Int) -> Int?) -> Int {
        var map: [MemoCode: MemoCode] = [:]
        func translate(_ c: MemoCode, _ depth: Int) -> MemoCode? {
            if let m = map[c] { return m }
            let out: MemoCode
            if c.isTree {
                let k = c.treeNode
                guard depth < 64, k < source.nodes.count else { return nil }
                let node = source.nodes[k]
                // An unexplored branch is unknown: such a tree is not taken.
                guard let onFalse = translate(node.next.0, depth + 1), let onTrue = translate(node.next.1, depth + 1) else { return nil }
                out = intern(stream: node.stream, probability: node.probability, onFalse: onFalse, onTrue: onTrue)
            } else if c.isValue, c.valueIndex < source.values.count {
                out = valueCode(source.values[c.valueIndex])
            } else if errors, c.isError, c.errorIndex < source.errors.count {
                out = errorCode(source.errors[c.errorIndex])
            } else {
                return nil
            }
            map[c] = out
            return out
        }
        var taken = 0
        func look(_ i: Int) {
            guard i >= 0, i < table.count, table[i] == .unknown else { return }
            guard let j = entryOf(i), j >= 0, j < source.table.count, source.table[j] != .unknown else { return }
            if let c = translate(source.table[j], 0) {
                table[i] = c
                setReadMask(i, source.readMask(j))
                taken += 1
            }
        }
        if let entries {
            for i in entries { look(i) }
        } else {
            for i in 0..<table.count { look(i) }
        }
        return taken
    }
}

extension MemoLayout {
    /// For each entry of this layout, the entry of `old` (another program's layout of the
    /// same expression over the same population) whose cell contains it — the same
    /// combination of small fields, a class holding all of this class's jurisdictions, a
    /// period covering this period — or -1.
    func entries(from old: MemoLayout) -> [Int32] {
        var out = [Int32](repeating: -1, count: tableSize)
        guard plan.combos == old.plan.combos, classOf.count == old.classOf.count,
              plan.smallFields.map({ [$0.field, $0.size, $0.stride] }) == old.plan.smallFields.map({ [$0.field, $0.size, $0.stride] })
        else { return out }
        // Each class's old class, when all its jurisdictions share one.
        var oldClass = [Int32](repeating: -2, count: tableStart.count)
        for j in classOf.indices where classOf[j] >= 0 {
            let c = Int(classOf[j]), o = old.classOf[j]
            if oldClass[c] == -2 { oldClass[c] = o } else if oldClass[c] != o { oldClass[c] = -1 }
        }
        let combos = plan.combos
        for c in tableStart.indices where oldClass[c] >= 0 {
            let o = Int(oldClass[c])
            let mine = boundaryDates[boundaryStart[c]..<boundaryStart[c] + boundaryCount[c]]
            let theirs = old.boundaryDates[old.boundaryStart[o]..<old.boundaryStart[o] + old.boundaryCount[o]]
            for p in 0...mine.count {
                // This period is [start, end); find the old one that holds start.
                let start = p == 0 ? Int32.min : mine[mine.startIndex + p - 1]
                let end = p == mine.count ? Int32.max : mine[mine.startIndex + p]
                let q = p == 0 ? 0 : theirs.filter { $0 <= start }.count
                let oldEnd = q == theirs.count ? Int32.max : theirs[theirs.startIndex + q]
                guard end <= oldEnd else { continue }
                for k in 0..<combos {
                    out[tableStart[c] + p * combos + k] = Int32(old.tableStart[o] + q * combos + k)
                }
            }
        }
        return out
    }
}
