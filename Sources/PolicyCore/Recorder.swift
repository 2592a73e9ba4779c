import PolicySyntax

/// One decision's derivation (§5), as `explain` shows it.
public final class DecisionTrace: @unchecked Sendable {
    public struct Candidate: Sendable {
        public var instance: PolicyInstance
        public var owner: String
        /// The answer, or nil when no rule's `when` held.
        public var answer: Value?
        /// The rule that answered.
        public var rule: SourceRef?
        /// How it came to be in force on the case's date.
        public var inForceSince: Int32?
        public var enactedBy: String?
        public var enactedOn: Int32?
        /// Why it was dropped, if it was.
        public var dropped: String?
    }

    public var decision: Int
    public var scenario: Int
    public var caseRecord: RecordValue
    public var value: Value?
    public var candidates: [Candidate] = []
    public var combiner: Combiner = .mostSpecific
    /// What the combiner chose (put in words only when read: attribution records many
    /// derivations and reads few of them).
    public var chosen: CombineChoice?
    /// What the combiner chose, in words.
    public var choice: String { chosen.map { $0.text(combiner) } ?? "" }
    public var usedDefault = false
    public var defaultSource: SourceRef?
    /// Decisions evaluated while answering this one.
    public var children: [DecisionTrace] = []
    /// The `chance` draws made while answering this one (not in the decisions it asked).
    public var chances: [ChanceDraw] = []

    init(decision: Int, scenario: Int, caseRecord: RecordValue) {
        self.decision = decision
        self.scenario = scenario
        self.caseRecord = caseRecord
    }
}

/// One `chance` evaluated under `explain`: what it drew and what that gave.
public struct ChanceDraw: Sendable {
    /// The call as written: `chance(30%)`.
    public var call: String
    public var stream: String
    /// The number drawn from (seed, case, stream), in [0, 1).
    public var drawn: Double
    public var probability: Double
    public var outcome: Bool
}

/// What a combiner chose among several answers (or one).
public enum CombineChoice: Sendable {
    case wins(Bool), allAgree, smallest, largest, onlyAnswer, mostSpecific, latest

    /// `false wins (deny_overrides)`.
    public func text(_ combiner: Combiner) -> String {
        let what: String
        switch self {
        case .wins(let b): what = "\(b) wins"
        case .allAgree: what = "all answers agree"
        case .smallest: what = "the smallest answer"
        case .largest: what = "the largest answer"
        case .onlyAnswer: what = "the only answer"
        case .mostSpecific: what = "the most specific owner"
        case .latest: what = "the latest in force"
        }
        return "\(what) (\(combiner.rawValue))"
    }
}

/// Collects the derivation of every decision an expression evaluates.
public final class Recorder: @unchecked Sendable {
    public var roots: [DecisionTrace] = []
    var stack: [DecisionTrace] = []
    /// Draws made outside any decision (a `let` called on a case directly).
    public var looseChances: [ChanceDraw] = []

    func note(_ draw: ChanceDraw) {
        if let top = stack.last { top.chances.append(draw) } else { looseChances.append(draw) }
    }

    public init() {}

    func begin(_ t: DecisionTrace) {
        if let top = stack.last { top.children.append(t) } else { roots.append(t) }
        stack.append(t)
    }

    func end() { _ = stack.popLast() }
}
