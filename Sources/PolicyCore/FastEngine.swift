import PolicySyntax

/// The memoised population engine (ARCHITECTURE.md, "Performance design").
///
/// When an expression over a population's cases depends only on the case's jurisdiction,
/// the period its date falls in (between the dates on which anything it reads changes), and
/// fields with few values (bools, small enums) — no `chance`, no other use of the date — its
/// value is computed once per distinct (jurisdiction, period, fields) and looked up for
/// every other case with the same key. Results are identical to evaluating each case.
struct FastPlan {
    struct SmallField {
        var field: Int
        var size: Int
        var stride: Int
    }

    let smallFields: [SmallField]
    let combos: Int
    /// When the expressions read nothing of the jurisdiction itself (its field, its
    /// attributes), jurisdictions whose policy environment is the same share memo entries.
    let byEnvironment: Bool
    let dateBreaks: [Int32]
    let dateAttributes: [Int]
    let decisions: [Int]
    let params: Bool
    let ownAttributes: Bool
    let otherAttributes: Bool
    let attributesRead: IndexBits
    let paramsRead: IndexBits

    /// A plan for expressions with these (resolved) dependencies over `data`, or nil when
    /// the fast path does not apply.
    static func make(_ program: Program, _ data: PopulationData, _ deps: [ResolvedDeps]) -> FastPlan? {
        var fields = IndexBits()
        var breaks = Set<Int32>()
        var dateAttributes = Set<Int>()
        var decisions = Set<Int>()
        var params = false, own = false, other = false
        var attributesRead = IndexBits(), paramsRead = IndexBits()
        for d in deps {
            if d.opaque { return nil }
            fields.formUnion(d.fields)
            breaks.formUnion(d.dateBreaks)
            dateAttributes.formUnion(d.dateAttributes)
            decisions.formUnion(d.decisions)
            params = params || d.params
            own = own || d.ownAttributes
            other = other || d.otherAttributes
            attributesRead.formUnion(d.attributesRead)
            paramsRead.formUnion(d.paramsRead)
        }
        let info = program.records[data.record]
        guard let dateField = info.dateField, let jField = info.jurisdictionField else { return nil }
        if fields.contains(dateField) { return nil }
        var small: [SmallField] = []
        var combos = 1
        for f in fields.indices where f != jField {
            guard f < info.fields.count, f < data.columns.count else { return nil }
            let size: Int
            switch data.columns[f] {
            case .bools: size = 2
            case .smallMembers(_, let e): size = max(1, program.enums[Int(e)].members.count)
            default: return nil
            }
            small.append(SmallField(field: f, size: size, stride: combos))
            combos *= size
            if combos > 1 << 16 { return nil }
        }
        guard case .dates = data.columns[dateField], case .jurisdictions = data.columns[jField] else { return nil }
        let readsJurisdiction = fields.contains(jField) || own || other
        return FastPlan(smallFields: small, combos: combos, byEnvironment: !readsJurisdiction && dateAttributes.isEmpty,
                        dateBreaks: breaks.sorted(), dateAttributes: dateAttributes.sorted(),
                        decisions: decisions.sorted(), params: params, ownAttributes: own, otherAttributes: other,
                        attributesRead: attributesRead, paramsRead: paramsRead)
    }
}

/// One memoised expression in one world; not shared between threads.
final class Memo {
    let plan: FastPlan
    let eval: Eval
    let world: World
    let data: PopulationData
    let layout: MemoLayout
    private let classOf: [Int32]
    private let boundaryDates: [Int32]
    private let boundaryStart: [Int], boundaryCount: [Int], tableStart: [Int]
    /// Per key: its code (a value, an error, the root of a draw tree, or unknown). Raw memory
    /// owned by the memo (one memo per worker, never shared): the hot loop reads it without
    /// retaining an array buffer per row.
    let table: UnsafeMutableBufferPointer<MemoCode>
    var values: [Value] = []
    var codes: [Value: MemoCode] = [:]
    /// Per code: the value as a bool (0/1), an enum member index, a number — for the
    /// accumulation loop, which must not switch on `Value`.
    var boolOf: [UInt8] = []
    var memberOf: [Int32] = []
    var numberOf: [Double] = []
    var intOf: [Int64] = []
    var errors: [EvalError] = []
    var frame: Frame
    /// Per entry: the params its answer read, for answers `precompute` worked out, as a
    /// code into `masks` (0: unknown, all bits — such an answer is lent to no other world).
    /// A byte per entry: the distinct sets are few.
    var readCode: [UInt8]
    var masks: [UInt64] = [.max]
    var maskCodes: [UInt64: UInt8] = [.max: 0]

    func readMask(_ i: Int) -> UInt64 { masks[Int(readCode[i])] }

    func setReadMask(_ i: Int, _ mask: UInt64) {
        if let c = maskCodes[mask] {
            readCode[i] = c
        } else if masks.count < 256 {
            readCode[i] = UInt8(masks.count)
            maskCodes[mask] = UInt8(masks.count)
            masks.append(mask)
        } else {
            readCode[i] = 0
        }
    }
    /// `chance` makes a value depend on the case itself: per key, a small tree of the draws
    /// the evaluation consulted (same key ⇒ same draws asked, in the same order).
    struct ChanceNode {
        var stream: UInt64
        var probability: Double
        var next: (MemoCode, MemoCode) // per outcome: a value or error, a node, or unknown
    }
    var nodes: [ChanceNode] = []
    var streamKeys: [String: UInt64] = [:]
    private let log = ChanceLog()
    let dates: UnsafeBufferPointer<Int32>
    let jurisdictions: UnsafeBufferPointer<Int32>
    /// The small fields' columns (bools as bytes), and their strides in the key.
    let small: [UnsafeBufferPointer<UInt8>]
    let strides: [Int]
    let columns: [UnsafeRawBufferPointer]

    /// `columns`: the population's columns in place (`PopulationData.withRawColumns`),
    /// valid for as long as the memo is used.
    init(layout: MemoLayout, eval: @escaping Eval, world: World, data: PopulationData, columns: [UnsafeRawBufferPointer]) {
        self.columns = columns
        self.layout = layout
        self.plan = layout.plan
        self.eval = eval
        self.world = world
        self.data = data
        classOf = layout.classOf
        boundaryDates = layout.boundaryDates
        boundaryStart = layout.boundaryStart
        boundaryCount = layout.boundaryCount
        tableStart = layout.tableStart
        table = UnsafeMutableBufferPointer<MemoCode>.allocate(capacity: max(1, layout.tableSize))
        table.initialize(repeating: .unknown)
        readCode = [UInt8](repeating: 0, count: max(1, layout.tableSize))
        frame = Frame(world: world)
        let info = world.program.records[data.record]
        func column<T>(_ f: Int?, _: T.Type) -> UnsafeBufferPointer<T> {
            guard let f, f < columns.count else { return UnsafeBufferPointer(start: nil, count: 0) }
            return columns[f].bindMemory(to: T.self)
        }
        dates = column(info.dateField, Int32.self)
        jurisdictions = column(info.jurisdictionField, Int32.self)
        var smallColumns: [UnsafeBufferPointer<UInt8>] = []
        for f in plan.smallFields { smallColumns.append(column(f.field, UInt8.self)) }
        small = smallColumns
        strides = layout.plan.smallFields.map(\.stride)
    }

    deinit {
        if Engine.explain { Engine.note("  memo: \(values.count) values, \(nodes.count) draw nodes, table \(layout.tableSize)") }
        table.deallocate()
    }

    /// Where `row`'s entry is in `table`.
    @inline(__always)
    func index(_ row: Int) -> Int {
        let c = Int(classOf[Int(jurisdictions[row])])
        let date = dates[row]
        var lo = boundaryStart[c], hi = lo + boundaryCount[c]
        let base = lo
        while lo < hi {
            let mid = (lo + hi) >> 1
            if boundaryDates[mid] <= date { lo = mid + 1 } else { hi = mid }
        }
        var packed = 0
        for k in 0..<small.count { packed &+= Int(small[k][row]) &* strides[k] }
        return tableStart[c] + (lo - base) * plan.combos + packed
    }

    /// The table index of each row in `lo..<hi`, into `out` — the same for every memo of a
    /// query (they share the layout), so computed once per chunk. False when the layout has
    /// no day table (then `fill` works row by row).
    func indices(_ lo: Int, _ hi: Int, _ out: UnsafeMutablePointer<Int32>) -> Bool {
        guard let dayBase = layout.dayBase, let jp = jurisdictions.baseAddress, let dp = dates.baseAddress,
              small.allSatisfy({ $0.baseAddress != nil }) else { return false }
        // Column by column: the small fields' part of the key first (loops the compiler
        // vectorises), then the class and period of each row.
        let n = hi - lo
        out.update(repeating: 0, count: n)
        for k in small.indices {
            guard let column = small[k].baseAddress.map({ $0 + lo }) else { continue }
            let stride = Int32(truncatingIfNeeded: strides[k])
            for r in 0..<n { out[r] &+= Int32(column[r]) &* stride }
        }
        let days = layout.days, firstDay = layout.firstDay
        let js = jp + lo, ds = dp + lo
        classOf.withUnsafeBufferPointer { classes in
            guard let cls = classes.baseAddress else { return }
            for r in 0..<n {
                let c = Int(cls[Int(js[r])])
                out[r] = dayBase[c &* days &+ Int(ds[r] &- firstDay)] &+ out[r]
            }
        }
        return true
    }

    /// Codes for rows `lo..<lo + n` whose table indices are `index`, into `out`: a gather
    /// from the table, then the draw trees walked one level at a time for every row at once
    /// (independent loads, no branch per row on the draw), then the misses evaluated.
    func lookup(_ index: UnsafePointer<Int32>, _ lo: Int, _ n: Int, _ out: UnsafeMutablePointer<MemoCode>) {
        guard let entries = table.baseAddress else { return }
        for r in 0..<n { out[r] = entries[Int(index[r])] }
        var deeper = true
        var depth = 0
        while deeper, depth < 64 {
            deeper = false
            depth += 1
            nodes.withUnsafeBufferPointer { tree in
                let seed = data.seed
                for r in 0..<n where out[r].isTree {
                    let k = out[r].treeNode
                    guard k < tree.count else { out[r] = .unknown; continue }
                    let node = tree[k]
                    let u = Operators.draw(stream: node.stream, seed: seed, identity: UInt64(lo &+ r))
                    let next = u < node.probability ? node.next.1 : node.next.0
                    out[r] = next
                    deeper = deeper || next.isTree
                }
            }
        }
        // What is still unknown (a key not seen, or a path of draws not explored): evaluated.
        for r in 0..<n where !out[r].isAnswer {
            out[r] = (try? code(lo &+ r)) ?? .error(0)
        }
    }

    /// Codes for rows `lo..<hi` into `out`, row by row (when there is no day table): a miss (a key not
    /// seen yet, an error, or a draw tree to walk) goes to `code(_:)`.
    func fill(_ lo: Int, _ hi: Int, _ out: UnsafeMutablePointer<MemoCode>) {
        for row in lo..<hi {
            let v = table[index(row)]
            out[row - lo] = v.isValue ? v : (try? code(row)) ?? .error(0)
        }
    }

    /// The value for `row`: looked up, or computed once for its key.
    @inline(__always)
    func code(_ row: Int) throws -> MemoCode {
        let i = index(row)
        var c = table[i]
        if c == .unknown, let complete = completeTree(row) {
            // Every path at once: later cases of this key never evaluate again.
            table[i] = complete
            c = complete
        } else if c == .unknown {
            let computed = compute(row)
            // An error in a class of interchangeable instances names this case's instance:
            // not kept for the others.
            if computed.isError, uncachedErrors(row) { return computed }
            table[i] = computed
            return resolveRoot(computed)
        }
        // Walk the draws this key consults; evaluate when the path is new.
        guard c.isTree else { return c }
        var parent = c.treeNode
        while true {
            let node = nodes[parent]
            let u = Operators.draw(stream: node.stream, seed: data.seed, identity: UInt64(row))
            let next = u < node.probability ? node.next.1 : node.next.0
            if next == .unknown {
                let computed = compute(row, resumeAt: parent)
                return resolveRoot(computed)
            }
            guard next.isTree else { return next }
            c = next
            parent = c.treeNode
        }
    }

    /// The answer for a computed entry (a tree's leaf was just filled in).
    private var lastLeaf = MemoCode.unknown
    private func resolveRoot(_ code: MemoCode) -> MemoCode { code.isTree ? lastLeaf : code }

    private func streamKey(_ s: String) -> UInt64 {
        if let k = streamKeys[s] { return k }
        let k = Operators.streamKey(s)
        streamKeys[s] = k
        return k
    }

    /// The code of a value (added when new).
    func valueCode(_ v: Value) -> MemoCode {
        if let c = codes[v] { return c }
        values.append(v)
        let c = MemoCode.value(values.count - 1)
        codes[v] = c
        boolOf.append(v == .bool(true) ? 1 : 0)
        if case .member(_, let m) = v { memberOf.append(m) } else { memberOf.append(-1) }
        numberOf.append(v.numberOrZero)
        intOf.append(v.intOrZero)
        return c
    }

    /// The code of the expression's value (or of its error) for the case in the frame.
    private func evaluateLeaf() -> MemoCode {
        do {
            return valueCode(try eval(&frame))
        } catch let e as EvalError {
            return errorCode(e)
        } catch {
            return errorCode(EvalError("\(error)", at: nil))
        }
    }

    /// The node of a complete tree: the one already made for this draw and these subtrees,
    /// or a new one.
    func intern(stream: UInt64, probability: Double, onFalse: MemoCode, onTrue: MemoCode) -> MemoCode {
        let key = NodeKey(stream: stream, probability: probability.bitPattern, onFalse: onFalse, onTrue: onTrue)
        if let shared = interned[key] { return shared }
        nodes.append(ChanceNode(stream: stream, probability: probability, next: (onFalse, onTrue)))
        let node = MemoCode.tree(nodes.count - 1)
        interned[key] = node
        return node
    }

    /// Complete trees are shared between keys: a node is its draw and its two subtrees.
    struct NodeKey: Hashable {
        var stream: UInt64, probability: UInt64, onFalse: MemoCode, onTrue: MemoCode
    }
    var interned: [NodeKey: MemoCode] = [:]
    /// Keys evaluated by this memo (for the work report).
    var evaluatedHere = 0

    /// The answer for `row`'s key along every path of the draws it consults — a value code,
    /// or the root of a complete tree of draws (no unexplored branch, so shared with any
    /// other key whose tree is the same: the trees stay few and small). Nil when the key
    /// has more than 64 paths, or an error that must not be shared: then cases explore
    /// lazily (`compute`).
    func completeTree(_ row: Int) -> MemoCode? {
        evaluatedHere += 1
        var budget = 64
        frame.subject = .record(data.caseRecord(row))
        frame.world = world
        frame.chanceLog = log
        defer {
            frame.chanceLog = nil
            log.forced = nil
        }
        let uncached = uncachedErrors(row)
        // The subtree after the draws in `prefix` came out as they say.
        func explore(_ prefix: [Bool]) -> MemoCode? {
            budget -= 1
            guard budget >= 0 else { return nil }
            log.entries.removeAll(keepingCapacity: true)
            log.forced = prefix
            let leaf = evaluateLeaf()
            if leaf.isError, uncached { return nil }
            let path = log.entries
            guard path.count >= prefix.count else { return nil }
            var subtree = leaf
            for k in stride(from: path.count - 1, through: prefix.count, by: -1) {
                guard let onTrue = explore(path[0..<k].map(\.outcome) + [true]) else { return nil }
                subtree = intern(stream: streamKey(path[k].stream), probability: path[k].probability, onFalse: subtree, onTrue: onTrue)
            }
            return subtree
        }
        return explore([])
    }

    /// Evaluates `row`; returns a value code, or the root of a new draw tree when the
    /// evaluation consulted `chance`. With `resumeAt`, grafts the new path onto that node.
    private func compute(_ row: Int, resumeAt: Int? = nil) -> MemoCode {
        frame.subject = .record(data.caseRecord(row))
        frame.world = world
        log.entries.removeAll(keepingCapacity: true)
        frame.chanceLog = log
        defer { frame.chanceLog = nil }
        let leaf = evaluateLeaf()
        lastLeaf = leaf
        guard !log.entries.isEmpty else { return leaf }
        if leaf.isError, uncachedErrors(row) { return leaf }
        // Build (or extend) the path of draws this case took.
        var entries = log.entries[...]
        var attach: (node: Int, outcome: Bool)?
        var root = MemoCode.unknown
        if let start = resumeAt {
            // The path down to `start` is already in the tree; skip those draws.
            var depth = 0
            var n = start
            while let p = parentOf[n] { n = p.node; depth += 1 }
            entries = entries.dropFirst(depth + 1)
            attach = (start, log.entries[depth].outcome)
        }
        for e in entries {
            nodes.append(ChanceNode(stream: streamKey(e.stream), probability: e.probability, next: (.unknown, .unknown)))
            let index = nodes.count - 1
            if let a = attach {
                if a.outcome { nodes[a.node].next.1 = .tree(index) } else { nodes[a.node].next.0 = .tree(index) }
                parentOf[index] = (a.node, a.outcome)
            } else {
                root = .tree(index)
            }
            attach = (index, e.outcome)
        }
        if let a = attach {
            if a.outcome { nodes[a.node].next.1 = leaf } else { nodes[a.node].next.0 = leaf }
        }
        return resumeAt == nil ? root : .tree(0)
    }

    var parentOf: [Int: (node: Int, outcome: Bool)] = [:]

    /// The code of an error: one per distinct error (message, place and notes), however many keys or cases raise it.
    var errorCodes: [String: MemoCode] = [:]
    func errorCode(_ e: EvalError) -> MemoCode {
        // The notes too: a conflict's notes give the values of the case's key, and the first
        // case that hits it is reported with its own.
        let key = "\(e.message)@\(e.source?.position ?? "")\u{0}\(e.hint ?? "")\u{0}\(e.notes.map(\.message).joined(separator: "\u{0}"))"
        if let c = errorCodes[key] { return c }
        errors.append(e)
        let c = MemoCode.error(errors.count - 1)
        errorCodes[key] = c
        return c
    }

    /// Whether `row`'s class shares entries between different policy instances.
    func uncachedErrors(_ row: Int) -> Bool {
        let j = Int(jurisdictions[row])
        return j < classOf.count && classOf[j] >= 0 && Int(classOf[j]) < layout.merged.count && layout.merged[Int(classOf[j])]
    }

    /// The memo slot a row falls in (for caching other facts by the same key).
    func slot(_ row: Int) -> Int { index(row) }

    @inline(__always)
    func value(_ code: MemoCode) -> Value { values[code.valueIndex] }

    func error(_ code: MemoCode) -> EvalError { errors[code.errorIndex] }
}

/// What a memo entry holds, in one Int32 (the table is raw memory that the hot loops read,
/// so the kinds share one number space — read only through these names):
/// a value (its index among the memo's values), an error (its index among the memo's
/// errors), the root of a tree of draws (a node's index), or unknown (not evaluated yet, or
/// a path of draws not explored).
struct MemoCode: Hashable {
    let raw: Int32

    /// Trees' nodes from here up; values below; errors from -2 down.
    private static let treeBase: Int32 = 1 << 30

    static let unknown = MemoCode(raw: -1)
    static func value(_ index: Int) -> MemoCode { MemoCode(raw: Int32(index)) }
    static func error(_ index: Int) -> MemoCode { MemoCode(raw: -2 - Int32(index)) }
    static func tree(_ node: Int) -> MemoCode { MemoCode(raw: treeBase + Int32(node)) }

    var isValue: Bool { raw >= 0 && raw < Self.treeBase }
    var isError: Bool { raw < -1 }
    var isTree: Bool { raw >= Self.treeBase }
    /// A value or an error: what a case's lookup ends with.
    var isAnswer: Bool { raw < Self.treeBase && raw != -1 }

    /// The value's index (of a value code), a hot loop's index into per-value tables.
    @inline(__always) var valueIndex: Int { Int(raw) }
    var errorIndex: Int { Int(-2 - raw) }
    var treeNode: Int { Int(raw - Self.treeBase) }
}
