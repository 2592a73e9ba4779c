import PolicySyntax
import PolicySupport

/// A decision's candidates for one jurisdiction, with what resolving needs of each laid out
/// flat: when it is in force, its rules for that decision, its arguments.
///
/// Resolution reads this instead of walking the world's instance states, the policy's
/// version and all its rules on every call — each of those reads retained and released an
/// array or two. Built once per (decision, candidate list) when the world is frozen (many
/// counties share one list), or on the spot while the timeline still runs.
final class CandidatePlan: @unchecked Sendable {
    struct Entry {
        /// The instance state (for traces, overrides and tie-breaks).
        var state: Int
        /// Whether the instance's rules read its arguments (then instances with other
        /// arguments answer differently).
        var readsArguments: Bool
        /// `periodStarts/periodEnds[periods]`: the in-force pieces.
        var periods: Range<Int>
        /// `rules[rules]`: the instance's rules for the decision, in order.
        var rules: Range<Int>
        /// `arguments[arguments]`: the instance's arguments.
        var arguments: Range<Int>
        /// Locals a rule needs: the case, the arguments, the rule's own.
        var localCount: Int
        var depth: Int32
    }

    let entries: [Entry]
    let periodStarts: [Int32]
    let periodEnds: [Int32]
    let rules: [RuleCode]
    let arguments: [Value]

    static let empty = CandidatePlan(entries: [], periodStarts: [], periodEnds: [], rules: [], arguments: [])

    init(entries: [Entry], periodStarts: [Int32], periodEnds: [Int32], rules: [RuleCode], arguments: [Value]) {
        self.entries = entries
        self.periodStarts = periodStarts
        self.periodEnds = periodEnds
        self.rules = rules
        self.arguments = arguments
    }

    /// The plan for decision `d` over the instance states `candidates` of `world`.
    convenience init(_ world: World, _ d: Int, _ candidates: [Int]) {
        let program = world.program
        var entries: [Entry] = [], starts: [Int32] = [], ends: [Int32] = []
        var rules: [RuleCode] = [], arguments: [Value] = []
        for s in candidates {
            let state = world.instanceStates[s]
            let policy = state.instance.policy
            let version = world.policyVersion[policy]
            guard version >= 0 else { continue }
            let periodsStart = starts.count
            for piece in state.inForce.pieces {
                starts.append(piece.start)
                ends.append(piece.end)
            }
            let rulesStart = rules.count
            var localCount = 1 + state.instance.arguments.count
            let code = policy < program.ruleCode.count ? program.ruleCode[policy][version]
                : program.policies[policy].versions[version].rules.map(RuleCode.init)
            for rule in code where rule.decision == d {
                rules.append(rule)
                localCount = max(localCount, rule.localCount)
            }
            let argumentsStart = arguments.count
            arguments += state.instance.arguments
            entries.append(Entry(state: s, readsArguments: program.policies[policy].versions[version].readsParameters,
                                 periods: periodsStart..<starts.count, rules: rulesStart..<rules.count,
                                 arguments: argumentsStart..<arguments.count, localCount: localCount, depth: state.depth))
        }
        self.init(entries: entries, periodStarts: starts, periodEnds: ends, rules: rules, arguments: arguments)
    }

    /// Whether entry `e`'s instance is in force on `date`.
    @inline(__always)
    func inForce(_ e: Entry, on date: Int32) -> Bool {
        for p in e.periods where periodStarts[p] <= date && date < periodEnds[p] { return true }
        return false
    }
}

/// What resolving decision `d` needs in one world, read once instead of through the
/// program's nested descriptions (each read of those retained an array or a closure).
final class DecisionCode: @unchecked Sendable {
    /// The decision's version in this world (-1: absent or cancelled).
    let version: Int
    let combiner: Combiner
    let defaultValue: Eval
    /// The default as a node (for the evaluators of many cases at once).
    let defaultNode: Node
    let source: SourceRef?
    let defaultSource: SourceRef?
    /// The decision's case type and that record's `date` and `jurisdiction` fields.
    let caseType: Int
    let caseFields: (date: Int, jurisdiction: Int)
    /// The candidates by jurisdiction (none until the world is frozen).
    let plans: PlanIndex
    /// The distinct plans of `plans` with their shapes, when they are dense (worked out as
    /// the plans are made, while they are in cache).
    let numbered: NumberedPlans?

    /// Plans by jurisdiction: in an array when most jurisdictions have candidates, in a
    /// dictionary when few do (a county's own decision), so no decisions × jurisdictions
    /// table is made for a program with thousands of each.
    enum PlanIndex {
        case none
        case dense([CandidatePlan])
        case sparse([Int32: CandidatePlan])
    }

    init(_ world: World, _ d: Int, plans: PlanIndex, numbered: NumberedPlans? = nil) {
        let version = world.decisionVersion[d]
        self.version = version
        self.plans = plans
        self.numbered = numbered
        caseType = world.program.decisions[d].caseType
        caseFields = caseType >= 0 ? Resolution.caseFieldsOf(caseType, world.program) : (-1, -1)
        if version >= 0 {
            let v = world.program.decisions[d].versions[version]
            (combiner, defaultValue, source, defaultSource) = (v.combiner, v.defaultValue, v.source, v.defaultSource)
            defaultNode = v.defaultNode ?? .scalar(v.defaultValue)
        } else {
            (combiner, source, defaultSource) = (.mostSpecific, nil, nil)
            defaultValue = { _ in throw EvalError.impossible("a decision with no version was resolved") }
            defaultNode = .scalar(defaultValue)
        }
    }

    /// The candidates laid out for the evaluator of many cases at once, built on first use
    /// (by whichever worker asks first) and then only read.
    private var vectorTableStorage: VectorPlanTable?
    private let vectorTableLock = Lock()

    func vectorTable(_ world: World, _ d: Int) -> VectorPlanTable {
        vectorTableLock.withLock {
            if let made = vectorTableStorage { return made }
            let started = Engine.explain ? Engine.clock() : 0
            let made = VectorPlanTable(world, d, self)
            if Engine.explain {
                // (A note of its own time, not a mark: it is made inside another phase, on one core.)
                Engine.note("  candidates of '\(world.program.decisions[d].name)' laid out in \(Engine.microseconds(since: started)) µs: "
                            + "\(made.planCount) plans in \(made.cutStart.count - 1) shapes, \(made.signatureStart.count - 1) signatures, "
                            + (made.dayRowOf == nil ? "cuts counted" : "\(made.daySpan + 1) days"))
            }
            vectorTableStorage = made
            return made
        }
    }

    /// The candidates for a case in `j`.
    @inline(__always)
    func plan(_ world: World, _ d: Int, _ j: Int32) -> CandidatePlan {
        switch plans {
        case .dense(let byJurisdiction) where Int(j) >= 0 && Int(j) < byJurisdiction.count:
            return byJurisdiction[Int(j)]
        case .sparse(let byJurisdiction):
            return byJurisdiction[j] ?? CandidatePlan.empty
        default:
            return CandidatePlan(world, d, world.candidates(d, j))
        }
    }
}

/// A decision's distinct plans, numbered, each jurisdiction's plan by number, and the
/// plans' shapes: each entry's rules, its arguments where its rules read them, and its
/// in-force periods. Plans of one shape (a policy enacted in hundreds of counties) answer
/// alike, so the evaluators of many cases at once lay out each shape once.
struct NumberedPlans {
    let plans: [CandidatePlan]
    /// Per jurisdiction: its plan's number.
    let planOf: [Int32]
    /// Per plan: its shape's number.
    let shapeOf: [Int32]
    /// Per shape: its first plan's number.
    let shapes: [Int32]

    init(_ plans: [CandidatePlan], planOf: [Int32]) {
        self.plans = plans
        self.planOf = planOf
        var index = HashIndex()
        var shapes: [Int32] = []
        shapeOf = plans.enumerated().map { p, plan in
            let hash = NumberedPlans.shapeHash(plan)
            if let known = index.find(hash, { NumberedPlans.sameShape(plans[Int(shapes[Int($0)])], plan) }) { return known }
            shapes.append(Int32(p))
            return index.add(hash)
        }
        self.shapes = shapes
    }

    /// A hash of a plan's shape (each entry's rules, its arguments where its rules read
    /// them, its in-force periods), mixed word by word: plans are many and small.
    private static func shapeHash(_ plan: CandidatePlan) -> UInt64 {
        var h = HashIndex.start
        @inline(__always) func mix(_ x: UInt64) { HashIndex.mix(&h, x) }
        for e in plan.entries {
            mix(UInt64(e.rules.count))
            for i in e.rules { mix(UInt64(UInt(bitPattern: ObjectIdentifier(plan.rules[i])))) }
            if e.readsArguments {
                mix(UInt64(e.arguments.count))
                for i in e.arguments { mix(UInt64(UInt(bitPattern: plan.arguments[i].hashValue))) }
            }
            mix(UInt64(e.periods.count))
            for i in e.periods {
                mix(UInt64(UInt32(bitPattern: plan.periodStarts[i])) << 32 | UInt64(UInt32(bitPattern: plan.periodEnds[i])))
            }
        }
        return h
    }

    /// Whether plans `a` and `b` have the same shape: their layouts are then the same.
    private static func sameShape(_ a: CandidatePlan, _ b: CandidatePlan) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for (x, y) in zip(a.entries, b.entries) {
            guard x.rules.count == y.rules.count, x.periods.count == y.periods.count,
                  x.readsArguments == y.readsArguments else { return false }
            for (i, k) in zip(x.rules, y.rules) where a.rules[i] !== b.rules[k] { return false }
            if x.readsArguments {
                guard x.arguments.count == y.arguments.count else { return false }
                for (i, k) in zip(x.arguments, y.arguments) where a.arguments[i] != b.arguments[k] { return false }
            }
            for (i, k) in zip(x.periods, y.periods)
            where a.periodStarts[i] != b.periodStarts[k] || a.periodEnds[i] != b.periodEnds[k] { return false }
        }
        return true
    }
}

extension World {
    /// Every decision's code, with its plans by jurisdiction: one plan per distinct list.
    func buildDecisionCode() {
        let count = program.jurisdictions.count
        decisionCodes = candidateLists.enumerated().map { d, lists in
            // Plan 0 is the empty one; the others are numbered as they are made.
            var distinct = [CandidatePlan.empty]
            var shared: [[Int]: Int32] = [:]
            func number(_ list: [Int]) -> Int32 {
                if let known = shared[list] { return known }
                distinct.append(CandidatePlan(self, d, list))
                shared[list] = Int32(distinct.count - 1)
                return Int32(distinct.count - 1)
            }
            if lists.count * 4 >= count {
                var numbers = [Int32](repeating: 0, count: count)
                for (j, list) in lists where Int(j) < count { numbers[Int(j)] = number(list) }
                return DecisionCode(self, d, plans: .dense(numbers.map { distinct[Int($0)] }),
                                    numbered: NumberedPlans(distinct, planOf: numbers))
            }
            return DecisionCode(self, d, plans: .sparse(lists.mapValues { distinct[Int(number($0))] }))
        }
    }

    /// This world's version of each `let`, once frozen (nil where it has none).
    func buildLetCode() {
        // The program is read once: each read through the unowned reference costs a retain.
        let code = program.letCode
        letCodes = letVersion.enumerated().map { l, v in
            v >= 0 && l < code.count && v < code[l].count ? code[l][v] : nil
        }
    }

    /// The code of `let` number `l` in this world: nil before the world is frozen, or when
    /// the world has no version of it (the caller then looks it up, or reports it).
    @inline(__always)
    func letCode(_ l: Int) -> LetCode? {
        isFrozen && l < letCodes.count ? letCodes[l] : nil
    }

    /// Let `l`'s code in this world, frozen or not: nil when the world has no version of it
    /// or its code is not prepared yet (while checking).
    func currentLetCode(_ l: Int) -> LetCode? {
        if let made = letCode(l) { return made }
        let v = l < letVersion.count ? letVersion[l] : -1
        guard v >= 0, l < program.letCode.count, v < program.letCode[l].count else { return nil }
        return program.letCode[l][v]
    }

    /// What resolving decision `d` needs (made on the spot while the timeline still runs).
    @inline(__always)
    func decisionCode(_ d: Int) -> DecisionCode {
        if isFrozen, d < decisionCodes.count { return decisionCodes[d] }
        return DecisionCode(self, d, plans: .none)
    }
}
