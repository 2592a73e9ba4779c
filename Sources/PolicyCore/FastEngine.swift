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

    /// A plan for expressions with these (resolved) dependencies over `data`, or nil when
    /// the fast path does not apply.
    static func make(_ program: Program, _ data: PopulationData, _ deps: [ResolvedDeps]) -> FastPlan? {
        var fields: UInt64 = 0
        var breaks = Set<Int32>()
        var dateAttributes = Set<Int>()
        var decisions = Set<Int>()
        var params = false, own = false, other = false
        for d in deps {
            if d.opaque { return nil }
            fields |= d.fields
            breaks.formUnion(d.dateBreaks)
            dateAttributes.formUnion(d.dateAttributes)
            decisions.formUnion(d.decisions)
            params = params || d.params
            own = own || d.ownAttributes
            other = other || d.otherAttributes
        }
        let info = program.records[data.record]
        guard let dateField = info.dateField, let jField = info.jurisdictionField else { return nil }
        if fields & (1 << UInt64(dateField)) != 0 { return nil }
        var small: [SmallField] = []
        var combos = 1
        for f in 0..<min(64, info.fields.count) where fields & (1 << UInt64(f)) != 0 && f != jField {
            guard f < data.columns.count else { return nil }
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
        let readsJurisdiction = fields & (1 << UInt64(jField)) != 0 || own || other
        return FastPlan(smallFields: small, combos: combos, byEnvironment: !readsJurisdiction && dateAttributes.isEmpty,
                        dateBreaks: breaks.sorted(), dateAttributes: dateAttributes.sorted(),
                        decisions: decisions.sorted(), params: params, ownAttributes: own, otherAttributes: other)
    }
}

/// Where each (jurisdiction, period, fields) key lives in a memo table: shared by every
/// memo of a query (built once, before the workers start; read-only after).
final class MemoLayout: @unchecked Sendable {
    let plan: FastPlan
    /// Per jurisdiction, its class; per class, its period boundaries (a slice of
    /// `boundaryDates`) and the start of its slice of a table.
    private(set) var classOf: [Int32]
    private(set) var boundaryDates: [Int32] = []
    private(set) var boundaryStart: [Int] = [], boundaryCount: [Int] = []
    private(set) var tableStart: [Int] = []
    private(set) var tableSize = 0
    /// Per class: whether it holds jurisdictions with different (interchangeable) policy
    /// instances. An error names the instance, so such a class's errors are not shared.
    private(set) var merged: [Bool] = []
    /// Per class and per day of the population's dates (`firstDay`, `days` of them): the
    /// start of that period's slice of a table — the binary search done once per day, not
    /// once per case. Nil when it would be large (many classes over many years).
    private(set) var dayBase: UnsafeMutablePointer<Int32>?
    private(set) var firstDay: Int32 = 0
    private(set) var days = 0

    deinit { dayBase?.deallocate() }

    /// `dates`: the smallest and largest date of the population, and its largest
    /// jurisdiction number (each row's class and day are then in the table).
    convenience init(plan: FastPlan, program: Program, dates: (first: Int32, last: Int32, maxJurisdiction: Int32)?) {
        self.init(plan: plan, program: program)
        guard let dates, dates.first <= dates.last, Int(dates.maxJurisdiction) < classOf.count, tableSize < Int(Int32.max) else { return }
        let days = Int(dates.last - dates.first) + 1
        let classes = boundaryStart.count
        guard classes * days <= 1 << 22 else { return }
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: classes * days)
        for c in 0..<classes {
            var period = 0
            let lo = boundaryStart[c], count = boundaryCount[c]
            for k in 0..<days {
                let day = dates.first + Int32(k)
                while period < count, boundaryDates[lo + period] <= day { period += 1 }
                table[c * days + k] = Int32(tableStart[c] + period * plan.combos)
            }
        }
        dayBase = table
        firstDay = dates.first
        self.days = days
    }

    init(plan: FastPlan, program: Program) {
        self.plan = plan
        let count = program.jurisdictions.count
        classOf = Array(repeating: 0, count: count)
        var classes: [[Int]: Int32] = [:]
        let interchangeable = plan.byEnvironment ? MemoLayout.interchangeablePolicies(program) : []
        for j in 0..<Int32(count) {
            var signature: [Int] = []
            var sharesInstances = false
            if plan.byEnvironment {
                for w in program.worlds {
                    for d in plan.decisions {
                        signature.append(-1 - d)
                        for s in w.candidates(d, j) {
                            let state = w.instanceStates[s]
                            let policy = state.instance.policy
                            guard interchangeable.contains(policy) else {
                                signature.append(s)
                                continue
                            }
                            // An instance whose rules do not read its arguments answers like
                            // any other instance of its policy at the same depth in force
                            // over the same periods.
                            sharesInstances = true
                            signature += [Int.min + 1, policy, Int(state.depth), state.inForce.pieces.count]
                            for piece in state.inForce.pieces { signature += [Int(piece.start), Int(piece.end)] }
                        }
                    }
                    signature.append(Int.min)
                }
            } else {
                signature = [Int(j)]
            }
            if let c = classes[signature] {
                classOf[Int(j)] = c
                if sharesInstances { merged[Int(c)] = true }
                continue
            }
            let c = Int32(boundaryStart.count)
            classes[signature] = c
            classOf[Int(j)] = c
            merged.append(false)
            let b = MemoLayout.periods(j, plan, program)
            boundaryStart.append(boundaryDates.count)
            boundaryCount.append(b.count)
            boundaryDates += b
            tableStart.append(tableSize)
            tableSize += (b.count + 1) * plan.combos
        }
    }

    /// Policies whose instances are interchangeable in a class: no rule reads the
    /// instance's arguments, and no `overrides` compares them.
    static func interchangeablePolicies(_ program: Program) -> Set<Int> {
        var comparedArguments = Set<Int>()
        for p in program.policies {
            for v in p.versions {
                for ref in v.overrides where ref.arguments != nil { comparedArguments.insert(ref.policy) }
            }
        }
        var out = Set<Int>()
        for (i, p) in program.policies.enumerated() where !comparedArguments.contains(i) {
            if p.versions.allSatisfy({ !$0.readsParameters && !$0.overrides.contains { $0.arguments != nil } }) { out.insert(i) }
        }
        return out
    }

    /// The dates on which what the expressions read can change for `j`.
    static func periods(_ j: Int32, _ plan: FastPlan, _ program: Program) -> [Int32] {
        var dates = Set(plan.dateBreaks)
        for w in program.worlds {
            // The case's date compared with this jurisdiction's date attributes: every
            // value they take is a break (and the day after, for `>` and `<=`).
            for a in plan.dateAttributes {
                var values = [w.attribute(j, a, on: nil)]
                let count = program.attributes.count
                var x = j
                while x >= 0 {
                    for c in w.attributeChanges[Int(x) * count + a] ?? [] { values.append(c.value) }
                    x = program.jurisdictions.parents[Int(x)]
                }
                for v in values { dates.insert(v.asDate); dates.insert(v.asDate &+ 1) }
            }
            for d in plan.decisions {
                for s in w.candidates(d, j) {
                    for b in w.instanceStates[s].inForce.boundaries where b != InForce.minusInfinity && b != InForce.plusInfinity {
                        dates.insert(b)
                    }
                }
            }
            if plan.params { for changes in w.paramChanges { for c in changes { dates.insert(c.date) } } }
            if plan.otherAttributes {
                for changes in w.attributeChanges.values { for c in changes { dates.insert(c.date) } }
            } else if plan.ownAttributes {
                let count = program.attributes.count
                var x = j
                while x >= 0 {
                    for a in 0..<count { for c in w.attributeChanges[Int(x) * count + a] ?? [] { dates.insert(c.date) } }
                    x = program.jurisdictions.parents[Int(x)]
                }
            }
        }
        return dates.sorted()
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
    /// Per key: a value code, a draw tree (≥ treeBase) or -1. Raw memory owned by the memo
    /// (one memo per worker, never shared): the hot loop reads it without retaining an
    /// array buffer per row.
    private let table: UnsafeMutableBufferPointer<Int32>
    private(set) var values: [Value] = []
    private var codes: [Value: Int32] = [:]
    /// Per code: the value as a bool (0/1), an enum member index, a number — for the
    /// accumulation loop, which must not switch on `Value`.
    private(set) var boolOf: [UInt8] = []
    private(set) var memberOf: [Int32] = []
    private(set) var numberOf: [Double] = []
    private(set) var intOf: [Int64] = []
    private(set) var errors: [EvalError] = []
    private var frame: Frame
    /// `chance` makes a value depend on the case itself: per key, a small tree of the draws
    /// the evaluation consulted (same key ⇒ same draws asked, in the same order).
    struct ChanceNode {
        var stream: UInt64
        var probability: Double
        var next: (Int32, Int32) // per outcome: a code, a node (≥ treeBase) or -1
    }
    private var nodes: [ChanceNode] = []
    static let treeBase: Int32 = 1 << 30
    private var streamKeys: [String: UInt64] = [:]
    private let log = ChanceLog()
    let dates: UnsafeBufferPointer<Int32>
    let jurisdictions: UnsafeBufferPointer<Int32>
    /// The small fields' columns (bools as bytes), and their strides in the key.
    let small: [UnsafeBufferPointer<UInt8>]
    let strides: [Int]
    private var owned: [[UInt8]] = []

    /// `columns`: the population's columns in place (`PopulationData.withRawColumns`),
    /// valid for as long as the memo is used.
    init(layout: MemoLayout, eval: @escaping Eval, world: World, data: PopulationData, columns: [UnsafeRawBufferPointer]) {
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
        table = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(1, layout.tableSize))
        table.initialize(repeating: -1)
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

    deinit { table.deallocate() }

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

    /// Codes for rows `lo..<hi` into `out`: one tight loop of lookups; a miss (a key not
    /// seen yet, an error, or a draw tree to walk) goes to `code(_:)`.
    func fill(_ lo: Int, _ hi: Int, _ out: UnsafeMutablePointer<Int32>) {
        if let dayBase = layout.dayBase, let jp = jurisdictions.baseAddress, let dp = dates.baseAddress,
           small.allSatisfy({ $0.baseAddress != nil }) {
            // Column by column: the small fields' part of the key first (loops the compiler
            // vectorises), then one lookup per row.
            let n = hi - lo
            out.update(repeating: 0, count: n)
            for k in small.indices {
                guard let column = small[k].baseAddress.map({ $0 + lo }) else { continue }
                let stride = Int32(truncatingIfNeeded: strides[k])
                for r in 0..<n { out[r] &+= Int32(column[r]) &* stride }
            }
            let days = layout.days, firstDay = layout.firstDay
            let js = jp + lo, ds = dp + lo
            guard let entries = table.baseAddress else { return }
            classOf.withUnsafeBufferPointer { classes in
                guard let cls = classes.baseAddress else { return }
                for r in 0..<n {
                    let c = Int(cls[Int(js[r])])
                    let i = Int(dayBase[c &* days &+ Int(ds[r] &- firstDay)]) &+ Int(out[r])
                    let v = entries[i]
                    out[r] = v >= 0 && v < Memo.treeBase ? v : (try? code(lo &+ r)) ?? -2
                }
            }
            return
        }
        for row in lo..<hi {
            let v = table[index(row)]
            out[row - lo] = v >= 0 && v < Memo.treeBase ? v : (try? code(row)) ?? -2
        }
    }

    /// The value for `row`: looked up, or computed once for its key.
    @inline(__always)
    func code(_ row: Int) throws -> Int32 {
        let i = index(row)
        var c = table[i]
        if c == -1 {
            let computed = compute(row)
            // An error in a class of interchangeable instances names this case's instance:
            // not kept for the others.
            if computed < -1, uncachedErrors(row) { return computed }
            table[i] = computed
            return resolveRoot(computed)
        }
        // Walk the draws this key consults; evaluate when the path is new.
        guard c >= Memo.treeBase else { return c }
        var parent = Int(c - Memo.treeBase)
        while true {
            let node = nodes[parent]
            let u = Operators.draw(stream: node.stream, seed: data.seed, identity: UInt64(row))
            let next = u < node.probability ? node.next.1 : node.next.0
            if next == -1 {
                let computed = compute(row, resumeAt: parent)
                return resolveRoot(computed)
            }
            if next < Memo.treeBase { return next }
            c = next
            parent = Int(c - Memo.treeBase)
        }
    }

    /// The value code for a computed entry (a tree's leaf was just filled in).
    private var lastLeaf: Int32 = -1
    private func resolveRoot(_ code: Int32) -> Int32 { code >= Memo.treeBase ? lastLeaf : code }

    private func streamKey(_ s: String) -> UInt64 {
        if let k = streamKeys[s] { return k }
        let k = Operators.streamKey(s)
        streamKeys[s] = k
        return k
    }

    /// Evaluates `row`; returns a value code, or the root of a new draw tree when the
    /// evaluation consulted `chance`. With `resumeAt`, grafts the new path onto that node.
    private func compute(_ row: Int, resumeAt: Int? = nil) -> Int32 {
        frame.subject = .record(data.caseRecord(row))
        frame.world = world
        log.entries.removeAll(keepingCapacity: true)
        frame.chanceLog = log
        defer { frame.chanceLog = nil }
        let leaf: Int32
        do {
            let v = try eval(&frame)
            if let c = codes[v] {
                leaf = c
            } else {
                values.append(v)
                codes[v] = Int32(values.count - 1)
                leaf = Int32(values.count - 1)
                boolOf.append(v == .bool(true) ? 1 : 0)
                if case .member(_, let m) = v { memberOf.append(m) } else { memberOf.append(-1) }
                numberOf.append(v.asNumber)
                intOf.append(v.asInt)
            }
        } catch let e as EvalError {
            leaf = errorCode(e)
        } catch {
            leaf = errorCode(EvalError("\(error)", at: nil))
        }
        lastLeaf = leaf
        guard !log.entries.isEmpty else { return leaf }
        if leaf < -1, uncachedErrors(row) { return leaf }
        // Build (or extend) the path of draws this case took.
        var entries = log.entries[...]
        var attach: (node: Int, outcome: Bool)?
        var root: Int32 = -1
        if let start = resumeAt {
            // The path down to `start` is already in the tree; skip those draws.
            var depth = 0
            var n = start
            while let p = parentOf[n] { n = p.node; depth += 1 }
            entries = entries.dropFirst(depth + 1)
            attach = (start, log.entries[depth].outcome)
        }
        for e in entries {
            nodes.append(ChanceNode(stream: streamKey(e.stream), probability: e.probability, next: (-1, -1)))
            let index = nodes.count - 1
            if let a = attach {
                if a.outcome { nodes[a.node].next.1 = Memo.treeBase + Int32(index) } else { nodes[a.node].next.0 = Memo.treeBase + Int32(index) }
                parentOf[index] = (a.node, a.outcome)
            } else {
                root = Memo.treeBase + Int32(index)
            }
            attach = (index, e.outcome)
        }
        if let a = attach {
            if a.outcome { nodes[a.node].next.1 = leaf } else { nodes[a.node].next.0 = leaf }
        }
        return resumeAt == nil ? root : Memo.treeBase
    }

    private var parentOf: [Int: (node: Int, outcome: Bool)] = [:]

    /// The code of an error (the same error once, however many keys or cases raise it).
    private var errorCodes: [String: Int32] = [:]
    private func errorCode(_ e: EvalError) -> Int32 {
        let key = "\(e.message)@\(e.source?.position ?? "")"
        if let c = errorCodes[key] { return c }
        errors.append(e)
        let c = -2 - Int32(errors.count - 1)
        errorCodes[key] = c
        return c
    }

    /// Whether `row`'s class shares entries between different policy instances.
    func uncachedErrors(_ row: Int) -> Bool {
        let j = Int(jurisdictions[row])
        return j < classOf.count && Int(classOf[j]) < layout.merged.count && layout.merged[Int(classOf[j])]
    }

    /// The memo slot a row falls in (for caching other facts by the same key).
    func slot(_ row: Int) -> Int { index(row) }

    @inline(__always)
    func value(_ code: Int32) -> Value { values[Int(code)] }

    func error(_ code: Int32) -> EvalError { errors[Int(-2 - code)] }
}
