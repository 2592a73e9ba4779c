import PolicySyntax
import PolicySupport

/// One policy instance: a policy and, if it has parameters, its arguments (§4.6).
public struct PolicyInstance: Hashable, Sendable {
    public var policy: Int
    public var arguments: [Value]
}

/// The state of one instance in one scenario.
public struct InstanceState: Sendable {
    public var instance: PolicyInstance
    /// The jurisdiction whose territory the owner covers.
    public var territory: Int32
    public var depth: Int32
    public var inForce = InForce()
    /// What happened to it, in time order (for `explain … under` and `status`).
    public var history: [(date: Int32, what: String)] = []
}

/// A dated change to a param or an attribute.
public struct Change: Sendable {
    public var date: Int32
    public var value: Value
}

/// One line of `timeline`.
public struct TimelineEntry: Sendable {
    public var date: Int32
    public var event: String
    public var label: String?
    public var owner: String?
    /// "declared", "derived from EVENT", "reaction NAME (j = cook)" …
    public var origin: String
    /// What its effects did, one line each.
    public var effects: [String]
    /// Jurisdictions the entry concerns (for `timeline for J`).
    public var jurisdictions: [Int32]
}

/// A scenario made concrete: which version of each declaration it uses, and — once its
/// timeline has run — the time series of params and attributes and when each policy
/// instance is in force.
public final class World: @unchecked Sendable {
    public unowned let program: Program
    public let scenario: Int
    public var name: String { program.scenarios[scenario].name }

    /// Version index per declaration (-1: absent or cancelled in this scenario).
    public var paramVersion: [Int]
    public var letVersion: [Int]
    public var decisionVersion: [Int]
    public var policyVersion: [Int]
    public var eventVersion: [Int]
    public var reactionVersion: [Int]
    public var populationVersion: [Int]

    /// Initial param values, then dated changes.
    public var paramInitial: [Value] = []
    public var paramChanges: [[Change]] = []
    /// Dated attribute changes, keyed by `j * attributeCount + a`.
    public var attributeChanges: [Int: [Change]] = [:]
    /// Once frozen: whether any jurisdiction's attribute `a` changes over time (if not, it
    /// is read without looking for changes).
    private(set) var attributeTimed: [Bool] = []
    /// Attributes laid out for the evaluator of many cases at once (`attributeTable`).
    private var attributeTables: [Int: AttributeTable] = [:]
    private let attributeTablesLock = Lock()

    /// Attribute `a` laid out for the evaluator of many cases at once, built on first use
    /// (by whichever worker asks first) and then only read.
    func attributeTable(_ a: Int) -> AttributeTable {
        attributeTablesLock.withLock {
            if let made = attributeTables[a] { return made }
            let started = Engine.explain ? Engine.clock() : 0
            let made = AttributeTable(self, a)
            if Engine.explain {
                Engine.note("  attribute '\(program.attributes[a].name)' laid out in \(Engine.microseconds(since: started)) µs: "
                            + "\(made.valueStart.count) jurisdictions, \(made.cuts.count) changes")
            }
            attributeTables[a] = made
            return made
        }
    }
    public var instances: [PolicyInstance: Int] = [:]
    public var instanceStates: [InstanceState] = []
    public var timeline: [TimelineEntry] = []
    /// Names of cancelled declarations (effects on them are noted in the timeline).
    public var cancelled: Set<String> = []
    /// Instances cancelled one by one: their enactments do nothing.
    public var cancelledInstances: Set<PolicyInstance> = []

    /// Params set from outside the program (a sweep point): their initial value in this
    /// world, whatever the declaration says; dated events still change them.
    var paramOverrides: [Int: Value] = [:]
    /// Made for one point of an analysis (a sweep point, a sub-scenario of `decompose`),
    /// not one of the program's own worlds: nothing is cached under its scenario's name.
    var isVariant = false
    /// For a variant: what identifies it (its scenario's fingerprint and what was changed),
    /// so its memo answers can be kept between replicates; 0: not kept.
    var variantFingerprint: UInt64 = 0
    /// The worlds `under` reaches from this one (a sweep point's patched scenarios); nil:
    /// the program's own.
    weak var siblings: WorldSet?

    /// Set once the timeline has run: caches may be built from then on.
    public private(set) var isFrozen = false
    /// Per decision, the instances that have a rule for it.
    var rulesByDecision: [[Int]] = []
    /// Per decision, those instances by the jurisdiction their owner covers.
    var rulesByTerritory: [[Int32: [Int]]] = []
    /// Per decision, the candidates of each jurisdiction that has any (once frozen).
    var candidateLists: [[Int32: [Int]]] = []
    /// Per decision, what resolving it needs, with its candidates by jurisdiction (once frozen).
    var decisionCodes: [DecisionCode] = []
    /// Per `let`, this world's version's code (once frozen).
    var letCodes: [LetCode?] = []

    init(program: Program, scenario: Int, parent: World?) {
        self.program = program
        self.scenario = scenario
        paramVersion = parent?.paramVersion ?? program.params.map { $0.versions.isEmpty ? -1 : 0 }
        letVersion = parent?.letVersion ?? program.lets.map { _ in -1 }
        decisionVersion = parent?.decisionVersion ?? program.decisions.map { _ in -1 }
        policyVersion = parent?.policyVersion ?? program.policies.map { _ in -1 }
        eventVersion = parent?.eventVersion ?? program.events.map { _ in -1 }
        reactionVersion = parent?.reactionVersion ?? program.reactions.map { _ in -1 }
        populationVersion = parent?.populationVersion ?? program.populations.map { _ in -1 }
        if let parent {
            cancelled = parent.cancelled
            cancelledInstances = parent.cancelledInstances
        }
    }

    func freeze() {
        rulesByDecision = Array(repeating: [], count: program.decisions.count)
        for (index, state) in instanceStates.enumerated() {
            let v = policyVersion[state.instance.policy]
            guard v >= 0 else { continue }
            let rules = program.policies[state.instance.policy].versions[v].rules
            var seen = Set<Int>()
            for r in rules where seen.insert(r.decision).inserted { rulesByDecision[r.decision].append(index) }
        }
        rulesByTerritory = rulesByDecision.map { list in
            var byTerritory: [Int32: [Int]] = [:]
            for i in list { byTerritory[instanceStates[i].territory, default: []].append(i) }
            return byTerritory
        }
        // Every (decision, jurisdiction)'s candidates, computed once: lookups need no lock.
        // Each territory's instances go to it and every jurisdiction under it, so the work
        // and the memory are those of the lists that are not empty (a program with thousands
        // of counties, each with a decision of its own, makes no decisions × counties table).
        let children = program.jurisdictions.children
        candidateLists = rulesByTerritory.map { byTerritory in
            var lists: [Int32: [Int]] = [:]
            for (territory, owned) in byTerritory {
                var pending = [territory]
                while let x = pending.popLast() {
                    lists[x, default: []] += owned
                    if Int(x) < children.count { pending += children[Int(x)] }
                }
            }
            // In instance order, as resolution and attribution expect.
            return lists.mapValues { $0.count > 1 ? $0.sorted() : $0 }
        }
        buildDecisionCode()
        buildLetCode()
        let attributeCount = max(1, program.attributes.count)
        attributeTimed = Array(repeating: false, count: program.attributes.count)
        for key in attributeChanges.keys where key % attributeCount < attributeTimed.count { attributeTimed[key % attributeCount] = true }
        isFrozen = true
    }

    /// Whether this world uses the same versions as `other` of everything but params, and
    /// cancels the same (what its timeline depends on besides params).
    func sharesTimelineInputs(with other: World) -> Bool {
        letVersion == other.letVersion && decisionVersion == other.decisionVersion && policyVersion == other.policyVersion
            && eventVersion == other.eventVersion && reactionVersion == other.reactionVersion
            && populationVersion == other.populationVersion && cancelled == other.cancelled
            && cancelledInstances == other.cancelledInstances
    }

    // MARK: - Reading state on a date

    /// A param's value on `date` (nil: before any event).
    @inline(__always)
    public func param(_ p: Int, on date: Int32?) -> Value {
        let changes = paramChanges[p]
        if let date, !changes.isEmpty, let v = World.last(changes, onOrBefore: date) { return v }
        return paramInitial[p]
    }

    /// A jurisdiction's attribute on `date`, with inheritance over time (§4.2).
    public func attribute(_ j: Int32, _ a: Int, on date: Int32?) -> Value {
        // The program's tables are read in place: a local copy of the jurisdiction table
        // would retain each of its arrays on every lookup.
        let program = self.program
        let count = program.attributes.count
        var x = j
        while x >= 0 {
            if let date, !isFrozen || a >= attributeTimed.count || attributeTimed[a],
               let changes = attributeChanges[Int(x) * count + a],
               let v = World.last(changes, onOrBefore: date) {
                return v
            }
            if let v = program.jurisdictions.declared[Int(x)][a] { return v }
            x = program.jurisdictions.parents[Int(x)]
        }
        return program.attributes[a].defaultValue
    }

    @inline(__always)
    static func last(_ changes: [Change], onOrBefore date: Int32) -> Value? {
        var lo = 0, hi = changes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if changes[mid].date <= date { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? changes[lo - 1].value : nil
    }

    /// Instances that have a rule for `decision` and whose owner's territory contains `j`.
    func candidates(_ decision: Int, _ j: Int32) -> [Int] {
        guard isFrozen else {
            return instanceStates.indices.filter { i in
                let s = instanceStates[i]
                let v = policyVersion[s.instance.policy]
                return v >= 0 && program.jurisdictions.within(j, s.territory)
                    && program.policies[s.instance.policy].versions[v].rules.contains { $0.decision == decision }
            }
        }
        guard decision < candidateLists.count else { return [] }
        return candidateLists[decision][j] ?? []
    }

    /// The world of another scenario (for `under`).
    public func world(_ scenario: Int) -> World {
        if let siblings, scenario < siblings.worlds.count { return siblings.worlds[scenario] }
        return program.worlds[scenario]
    }
}
