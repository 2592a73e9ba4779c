import PolicySyntax

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
    /// Per class, one of its jurisdictions.
    private(set) var representative: [Int32] = []
    /// Per class and per day of the population's dates (`firstDay`, `days` of them): the
    /// start of that period's slice of a table — the binary search done once per day, not
    /// once per case. Nil when it would be large (many classes over many years).
    private(set) var dayBase: UnsafeMutablePointer<Int32>?
    private(set) var firstDay: Int32 = 0
    private(set) var days = 0

    deinit { dayBase?.deallocate() }

    /// `dates`: the smallest and largest date of the population, and its largest
    /// jurisdiction number (each row's class and day are then in the table).
    /// `worlds`: every world whose answers the table holds — the program's own, and any
    /// made for an analysis (a sweep point, a sub-scenario), whose policies may be in force
    /// over other periods.
    convenience init(plan: FastPlan, program: Program, worlds: [World]? = nil,
                     dates: (first: Int32, last: Int32, maxJurisdiction: Int32)?, limit: Int = .max, present: [Bool]? = nil) {
        self.init(plan: plan, program: program, worlds: worlds ?? program.worlds, limit: limit, present: present)
        guard tableSize <= limit, let dates, dates.first <= dates.last, Int(dates.maxJurisdiction) < classOf.count, tableSize < Int(Int32.max) else { return }
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

    /// Stops early (with `tableSize` past `limit`) once the table outgrows `limit` entries:
    /// the caller then evaluates each case instead.
    /// `present`: the jurisdictions the population's cases are in (nil: all); the others get
    /// no entries (a population of one county over a national model needs one class).
    init(plan: FastPlan, program: Program, worlds: [World], limit: Int = .max, present: [Bool]? = nil) {
        self.plan = plan
        let count = program.jurisdictions.count
        classOf = Array(repeating: 0, count: count)
        var classes: [[Int]: Int32] = [:]
        let interchangeable = plan.byEnvironment ? MemoLayout.interchangeablePolicies(program) : []
        // Per world and instance, its part of a signature (an instance serves many jurisdictions).
        var parts: [[[Int]?]] = plan.byEnvironment ? worlds.map { [[Int]?](repeating: nil, count: $0.instanceStates.count) } : []
        // Per world, the dates of every attribute change (worked out once, not per class).
        var otherChanges: [Set<Int32>?] = Array(repeating: nil, count: worlds.count)
        for j in 0..<Int32(count) {
            if let present, Int(j) >= present.count || !present[Int(j)] {
                classOf[Int(j)] = -1
                continue
            }
            var signature: [Int] = []
            var sharesInstances = false
            if plan.byEnvironment {
                signature.reserveCapacity(32)
                for (wi, w) in worlds.enumerated() {
                    for d in plan.decisions {
                        signature.append(-1 - d)
                        for s in w.candidates(d, j) {
                            if let part = parts[wi][s] {
                                signature += part
                                sharesInstances = sharesInstances || part.first == Int.min + 1
                                continue
                            }
                            // (The state is read in place: a copy would retain its arrays.)
                            let policy = w.instanceStates[s].instance.policy
                            var part: [Int]
                            if interchangeable.contains(policy) {
                                // An instance whose rules do not read its arguments answers like
                                // any other instance of its policy at the same depth in force
                                // over the same periods.
                                part = [Int.min + 1, policy, Int(w.instanceStates[s].depth), w.instanceStates[s].inForce.pieces.count]
                                for piece in w.instanceStates[s].inForce.pieces {
                                    part.append(Int(piece.start))
                                    part.append(Int(piece.end))
                                }
                                sharesInstances = true
                            } else {
                                part = [s]
                            }
                            parts[wi][s] = part
                            signature += part
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
            representative.append(j)
            classes[signature] = c
            classOf[Int(j)] = c
            merged.append(false)
            let b = MemoLayout.periods(j, plan, program, worlds, otherChanges: &otherChanges)
            boundaryStart.append(boundaryDates.count)
            boundaryCount.append(b.count)
            boundaryDates += b
            tableStart.append(tableSize)
            tableSize += (b.count + 1) * plan.combos
            if tableSize > limit { return }
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
    static func periods(_ j: Int32, _ plan: FastPlan, _ program: Program, _ worlds: [World],
                        otherChanges: inout [Set<Int32>?]) -> [Int32] {
        var dates = Set(plan.dateBreaks)
        for (wi, w) in worlds.enumerated() {
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
                if wi < otherChanges.count, otherChanges[wi] == nil {
                    // Only the attributes the expressions read (a change of another is no break).
                    let count = max(1, program.attributes.count)
                    var all = Set<Int32>()
                    for (key, changes) in w.attributeChanges where plan.attributesRead.contains(key % count) {
                        for c in changes { all.insert(c.date) }
                    }
                    otherChanges[wi] = all
                }
                if wi < otherChanges.count, let all = otherChanges[wi] { dates.formUnion(all) }
            } else if plan.ownAttributes {
                let count = program.attributes.count
                var x = j
                while x >= 0 {
                    for a in 0..<count where plan.attributesRead.contains(a) {
                        for c in w.attributeChanges[Int(x) * count + a] ?? [] { dates.insert(c.date) }
                    }
                    x = program.jurisdictions.parents[Int(x)]
                }
            }
        }
        return dates.sorted()
    }

    /// The class of each table entry (entries are laid out class by class).
    func classOfEntries() -> [Int32] {
        var out = [Int32](repeating: 0, count: tableSize)
        for c in tableStart.indices {
            let end = c + 1 < tableStart.count ? tableStart[c + 1] : tableSize
            for i in tableStart[c]..<end { out[i] = Int32(c) }
        }
        return out
    }

    /// Per class, whether a case of it gets the same answers in `w` as in `base` — the same
    /// versions of every declaration, the same params over time, the same attributes (of
    /// its jurisdiction's chain, or of all when the expressions read others'), and the same
    /// candidate policy instances in force over the same periods. Then `w` can take
    /// `base`'s answers for it instead of evaluating them (a scenario usually changes a
    /// few jurisdictions). The params read that differ are in `paramDiff` (as
    /// `Frame.paramBit`s): an answer can be taken only if it read none of them.
    func sameClasses(_ w: World, as base: World, _ program: Program) -> (same: [Bool], paramDiff: UInt64) {
        let none = ([Bool](repeating: false, count: representative.count), UInt64(0))
        guard w.letVersion == base.letVersion, w.decisionVersion == base.decisionVersion, w.policyVersion == base.policyVersion,
              w.paramInitial.count == base.paramInitial.count, w.paramChanges.count == base.paramChanges.count else { return none }
        func same(_ a: [Change]?, _ b: [Change]?) -> Bool {
            let a = a ?? [], b = b ?? []
            return a.count == b.count && zip(a, b).allSatisfy { $0.date == $1.date && $0.value == $1.value }
        }
        // Only the params the expressions read: a param read elsewhere (by a reaction, an
        // event's date, a policy's dates) shows in the policies in force, compared below.
        var paramDiff: UInt64 = 0
        for p in plan.paramsRead.indices {
            guard p < w.paramInitial.count else { return none }
            if w.paramInitial[p] != base.paramInitial[p] || !same(w.paramChanges[p], base.paramChanges[p]) {
                paramDiff |= Frame.paramBit(p)
            }
        }
        let attributeCount = program.attributes.count
        // Only the attributes the expressions read.
        func read(_ a: Int) -> Bool { plan.attributesRead.contains(a) }
        if plan.otherAttributes {
            for key in Set(w.attributeChanges.keys).union(base.attributeChanges.keys) where read(key % max(1, attributeCount)) {
                guard same(w.attributeChanges[key], base.attributeChanges[key]) else { return none }
            }
        }
        return (representative.map { j in
            if plan.ownAttributes, !plan.otherAttributes {
                var x = j
                while x >= 0 {
                    for a in 0..<attributeCount where read(a) && !same(w.attributeChanges[Int(x) * attributeCount + a], base.attributeChanges[Int(x) * attributeCount + a]) {
                        return false
                    }
                    x = program.jurisdictions.parents[Int(x)]
                }
            }
            for d in plan.decisions {
                let mine = w.candidates(d, j), theirs = base.candidates(d, j)
                guard mine.count == theirs.count else { return false }
                for (s, t) in zip(mine, theirs) {
                    let a = w.instanceStates[s], b = base.instanceStates[t]
                    guard a.instance == b.instance, a.depth == b.depth, a.inForce.pieces.count == b.inForce.pieces.count,
                          zip(a.inForce.pieces, b.inForce.pieces).allSatisfy({ $0.start == $1.start && $0.end == $1.end }) else { return false }
                }
            }
            return true
        }, paramDiff)
    }
}
