/// Why a case answers differently in one scenario than in the first (§7): the first decision
/// whose derivations part ways, and what decided it on each side. Tables print it as a line
/// (`text`); JSON and CSV give its parts.
public struct Attribution: Hashable, Sendable {
    /// What decided the decision in one scenario.
    public struct Side: Hashable, Sendable {
        public var scenario: String
        /// The decision's value there, formatted, and as JSON.
        public var value: String
        public var valueJSON: String
        /// The decision's default answered (no policy did).
        public var isDefault: Bool
        /// The policy that answered, its instance (`warrant_required(rest_of_california)`) and
        /// the jurisdiction that owns it.
        public var policy: String?
        public var instance: String?
        public var owner: String?
        /// Since when that policy is in force (ISO date; nil: from the start).
        public var since: String?
        /// The event or reaction that put it in force, and which of the two it is.
        public var enactedBy: String?
        public var enactedKind: String?

        public init(scenario: String, value: String, valueJSON: String, isDefault: Bool = false, policy: String? = nil,
                    instance: String? = nil, owner: String? = nil, since: String? = nil,
                    enactedBy: String? = nil, enactedKind: String? = nil) {
            self.scenario = scenario
            self.value = value
            self.valueJSON = valueJSON
            self.isDefault = isDefault
            self.policy = policy
            self.instance = instance
            self.owner = owner
            self.since = since
            self.enactedBy = enactedBy
            self.enactedKind = enactedKind
        }

        /// What decided it, by the names JSON gives them (absent ones left out): one list for
        /// every encoding of a side.
        public var namedParts: [(name: String, value: String)] {
            [("policy", policy), ("instance", instance), ("owner", owner), ("since", since),
             ("event", enactedBy), ("event_kind", enactedKind)].compactMap { n, v in v.map { (n, $0) } }
        }

        /// `priorities_2012 (ice) → false, in force from 2012-12-21 (event detainer_guidance)`
        public var text: String {
            if isDefault { return "default → \(value)" }
            guard let instance else { return value }
            let who = owner.map { instance.contains("(\($0))") ? instance : "\(instance) (\($0))" } ?? instance
            var s = "\(who) → \(value)"
            if let since {
                s += ", in force from \(since)"
                if let enactedBy { s += " (\(enactedKind.map { "\($0) " } ?? "")\(enactedBy))" }
            }
            return s
        }
    }

    /// The decision that parts (nil: none does, and `note` says why they differ).
    public var decision: String?
    /// The alternative scenario's side, then the first scenario's.
    public var scenario: Side?
    public var baseline: Side?
    public var note: String?

    public init(decision: String, scenario: Side, baseline: Side) {
        self.decision = decision
        self.scenario = scenario
        self.baseline = baseline
    }

    public init(note: String) {
        self.note = note
    }

    public static let noDecision = Attribution(note: "no decision differs (a param, attribute or let differs)")
    public static let failed = Attribution(note: "an error while attributing")

    /// The line a table's attribution prints.
    public var text: String {
        guard let decision, let scenario, let baseline else { return note ?? "" }
        return "\(decision): \(scenario.text) in \(scenario.scenario)  vs.  \(baseline.text) in \(baseline.scenario)"
    }
}

/// How many differing cases one reason covers, in a `compare`'s result.
public struct AttributedCases: Sendable, Equatable {
    /// The sweep point (`rate = 60%`), when the compare sweeps.
    public var point: String?
    public var cases: Int
    public var reason: Attribution

    public init(point: String?, cases: Int, reason: Attribution) {
        self.point = point
        self.cases = cases
        self.reason = reason
    }
}

/// Why a case answers differently, before it is put in words: the decision whose
/// derivations part ways and, on each side, what decided it, as the derivation names it.
/// A compare counts its differing cases by cause and words each cause once.
struct AttributionCause: Hashable {
    struct Side: Hashable {
        var value: Value?
        var usedDefault: Bool
        /// The candidate that answered and was not dropped (nil: the default, or none).
        var instance: PolicyInstance?
        var owner: String?
        var inForceSince: Int32?
        var enactedBy: String?

        /// What `trace` says decided it.
        init(_ t: DecisionTrace) {
            value = t.value
            usedDefault = t.usedDefault
            guard !t.usedDefault, let c = t.candidates.first(where: { $0.answer != nil && $0.dropped == nil }) else { return }
            instance = c.instance
            owner = c.owner
            inForceSince = c.inForceSince
            enactedBy = c.enactedBy
        }
    }

    /// The decision that parts, or nil: none does (a param, attribute or let differs).
    var decision: Int?
    var scenario: Side?
    var baseline: Side?
    /// Attributing the case failed (an error evaluating it with its derivation recorded).
    var failed = false

    static let noDecision = AttributionCause(decision: nil, scenario: nil, baseline: nil)
    static let failed = AttributionCause(decision: nil, scenario: nil, baseline: nil, failed: true)

    /// The cause in words, `baseline` and `scenario` naming the two sides' scenarios.
    func worded(_ r: ExplainRenderer, baseline baselineName: String, scenario scenarioName: String) -> Attribution {
        guard let decision, let scenario, let baseline else { return failed ? .failed : .noDecision }
        return Attribution(decision: r.program.decisions[decision].name,
                           scenario: Attribution.Side(scenario, scenario: scenarioName, r),
                           baseline: Attribution.Side(baseline, scenario: baselineName, r))
    }
}

extension Attribution.Side {
    /// What `trace` (decided in `scenario`) says decided it.
    init(_ t: DecisionTrace, scenario: String, _ r: ExplainRenderer) {
        self.init(AttributionCause.Side(t), scenario: scenario, r)
    }

    /// One side of a cause, in words.
    init(_ c: AttributionCause.Side, scenario: String, _ r: ExplainRenderer) {
        let f = ValueFormatter(r.program)
        self.init(scenario: scenario, value: c.value.map(f.format) ?? "?", valueJSON: c.value.map(f.json) ?? "null", isDefault: c.usedDefault)
        guard let instance = c.instance else { return }
        policy = r.program.policies[instance.policy].name
        self.instance = InstanceNaming.name(r.program, instance)
        owner = c.owner
        if let start = c.inForceSince, start != InForce.minusInfinity {
            since = r.date(start)
            if let by = c.enactedBy {
                enactedBy = by
                enactedKind = r.program.events.contains { $0.name == by } ? "event"
                    : r.program.reactions.contains { $0.name == by } ? "reaction" : nil
            }
        }
    }
}
