import PolicySyntax
import PolicySupport

/// A compiled expression: checked once, then evaluated many times without walking the AST.
public typealias Eval = @Sendable (inout Frame) throws -> Value

/// Where a declaration came from.
public struct SourceRef: Sendable {
    public var file: SourceFile
    public var span: Span
    public init(_ file: SourceFile, _ span: Span) {
        self.file = file
        self.span = span
    }

    /// `file:line:column`
    public var position: String {
        let loc = file.location(of: Int(span.start))
        return "\(file.name):\(loc.line):\(loc.column)"
    }

    /// `file:line`
    public var shortPosition: String {
        "\(file.name.split(separator: "/").last.map(String.init) ?? file.name):\(file.location(of: Int(span.start)).line)"
    }
}

public struct EnumInfo: Sendable {
    public var name: String
    public var members: [String]
    public var source: SourceRef?
    public var doc: String?
}

public struct FieldInfo: Sendable {
    public var name: String
    public var type: PType
    /// Set when the declaration has a default; compiled with the bodies.
    public var hasDefault: Bool
    public var defaultValue: Eval?
    /// The default's value when it is a constant (a literal, an enum member, a jurisdiction).
    var defaultConstant: Value?
    public var source: SourceRef
}

public struct RecordInfo: Sendable {
    public var name: String
    public var fields: [FieldInfo]
    public var source: SourceRef
    public var doc: String?
    public var dateField: Int? { fields.firstIndex { $0.name == "date" && $0.type == .date } }
    public var jurisdictionField: Int? { fields.firstIndex { $0.name == "jurisdiction" && $0.type == .jurisdiction } }
    /// A case type has `date: date` and `jurisdiction: jurisdiction` (§4.3).
    public var isCaseType: Bool { dateField != nil && jurisdictionField != nil }
    public func field(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

public struct AttributeInfo: Sendable {
    public var name: String
    public var type: PType
    public var defaultValue: Value
    public var source: SourceRef
}

public struct AgencyInfo: Sendable {
    public var name: String
    public var territory: Int32
    public var label: String?
    public var source: SourceRef
    public var doc: String?
}

/// Who owns a policy or an event.
public enum Owner: Hashable, Sendable {
    case jurisdiction(Int32)
    case agency(Int)
    /// The policy's parameter at this index (`policy ban(j: jurisdiction) by j`).
    case parameter(Int)
}

public struct ParamVersion: Sendable {
    public var value: Eval
    public var source: SourceRef
}

public struct ParamInfo: Sendable {
    public var name: String
    public var type: PType
    public var versions: [ParamVersion]
    public var doc: String?
}

public struct LetVersion: Sendable {
    public var body: Eval
    /// The body as a node (for the evaluators of many cases at once).
    var bodyNode: Node?
    public var localCount: Int
    var deps = Deps()
    /// The slot of each parameter that is a record (nil for the others).
    var recordSlots: [Int?] = []
    public var source: SourceRef
    public var ast: LetDecl
}

public struct LetInfo: Sendable {
    public var name: String
    /// nil for a constant `let x = …`.
    public var parameterTypes: [PType]?
    public var parameterNames: [String]
    public var type: PType
    public var versions: [LetVersion]
    public var doc: String?
}

public enum Combiner: String, Sendable, CaseIterable {
    case mostSpecific = "most_specific"
    case latest
    case denyOverrides = "deny_overrides"
    case permitOverrides = "permit_overrides"
    case min
    case max
}

public struct DecisionVersion: Sendable {
    public var defaultValue: Eval
    public var combiner: Combiner
    var deps = Deps()
    var defaultNode: Node?
    public var source: SourceRef
    public var defaultSource: SourceRef
}

public struct DecisionInfo: Sendable {
    public var name: String
    /// The case type (a record index).
    public var caseType: Int
    public var parameterName: String
    public var type: PType
    public var versions: [DecisionVersion]
    public var doc: String?
}

public struct CompiledRule: Sendable {
    public var decision: Int
    public var value: Eval
    public var condition: Eval?
    public var localCount: Int
    var deps = Deps()
    var valueNode: Node?
    var conditionNode: Node?
    public var source: SourceRef
}

/// A policy named in `overrides`, `enact`, `repeal` or `cancel`.
public struct PolicyReference: Sendable {
    public var policy: Int
    /// nil: every instance.
    public var arguments: [Eval]?
    public var source: SourceRef
}

public struct PolicyVersion: Sendable {
    public var owner: Owner
    public var from: Eval?
    public var until: Eval?
    public var proposed: Bool
    public var overrides: [PolicyReference]
    public var label: String?
    public var rules: [CompiledRule]
    public var source: SourceRef
    /// Whether a rule reads one of the policy's parameters (when none does, every instance
    /// answers a case alike — the population engine shares their answers).
    public var readsParameters = true
}

public struct PolicyInfo: Sendable {
    public var name: String
    /// nil when declared without parentheses.
    public var parameterTypes: [PType]?
    public var parameterNames: [String]
    public var versions: [PolicyVersion]
    public var doc: String?
    public var isParameterised: Bool { !(parameterTypes?.isEmpty ?? true) }
}

/// A compiled effect (§4.8).
public indirect enum CompiledEffect: Sendable {
    case enact(PolicyReference, from: Eval?, until: Eval?, source: SourceRef)
    case repeal(PolicyReference, source: SourceRef)
    case setAttribute(jurisdiction: Eval, attribute: Int, value: Eval, source: SourceRef)
    case setParam(param: Int, value: Eval, source: SourceRef)
    case forEach(slot: Int, condition: Eval?, body: [CompiledEffect], source: SourceRef)
    case after(delay: Eval, body: [CompiledEffect], source: SourceRef)
    case ifElse(condition: Eval, then: [CompiledEffect], otherwise: [CompiledEffect], source: SourceRef)
}

public struct EventVersion: Sendable {
    public var date: Eval
    public var owner: Owner?
    public var label: String?
    public var effects: [CompiledEffect]
    public var localCount: Int
    public var source: SourceRef
}

public struct EventInfo: Sendable {
    public var name: String
    public var versions: [EventVersion]
    public var doc: String?
}

public enum ReactionTrigger: Sendable {
    case event(Int)
    /// `when j in jurisdictions where condition`; the jurisdiction is local slot 0.
    case condition(Eval)
}

public struct ReactionVersion: Sendable {
    public var trigger: ReactionTrigger
    public var effects: [CompiledEffect]
    public var localCount: Int
    public var source: SourceRef
}

public struct ReactionInfo: Sendable {
    /// The name given with `as`, or a generated one (`reaction@file:line`).
    public var name: String
    public var isNamed: Bool
    public var variableName: String?
    public var versions: [ReactionVersion]
}

/// What a scenario changes, as indices into each declaration's `versions` (-1: absent).
public struct ScenarioInfo: Sendable {
    public var name: String
    public var label: String?
    public var parent: Int?
    public var source: SourceRef?
    public var params: [Int: Int] = [:]
    public var lets: [Int: Int] = [:]
    public var decisions: [Int: Int] = [:]
    public var policies: [Int: Int] = [:]
    public var events: [Int: Int] = [:]
    public var reactions: [Int: Int] = [:]
    public var populations: [Int: Int] = [:]
    /// Policy instances cancelled one by one (`cancel ban(cook)`).
    public var cancelledInstances: [PolicyReference] = []
    /// Where each whole-declaration `cancel` is written, by kind and index (`event 3`).
    var cancelSources: [String: SourceRef] = [:]
    public var doc: String?
}

extension Program {
    /// Scenario indices (baseline left out) with every parent before its children.
    func scenarioOrder() -> [Int] {
        var order: [Int] = []
        var done: Set<Int> = [0]
        func visit(_ s: Int, _ depth: Int) {
            guard !done.contains(s), depth < scenarios.count + 1 else { return }
            if let p = scenarios[s].parent { visit(p, depth + 1) }
            done.insert(s)
            order.append(s)
        }
        for s in scenarios.indices { visit(s, 0) }
        return order
    }
}

/// A checked program: every declaration resolved and typed, every expression compiled,
/// and one `World` per scenario with its computed timeline.
public final class Program: @unchecked Sendable {
    public var files: [SourceFile] = []
    /// Index 0 is the predeclared `kind` enum.
    public var enums: [EnumInfo] = [EnumInfo(name: "kind", members: [], source: nil, doc: nil)]
    public var records: [RecordInfo] = []
    public var jurisdictions = JurisdictionTable()
    public var attributes: [AttributeInfo] = []
    public var agencies: [AgencyInfo] = []
    public var params: [ParamInfo] = []
    public var lets: [LetInfo] = []
    public var decisions: [DecisionInfo] = []
    public var policies: [PolicyInfo] = []
    public var events: [EventInfo] = []
    public var reactions: [ReactionInfo] = []
    public var populations: [PopulationInfo] = []
    /// Index 0 is `baseline`.
    public var scenarios: [ScenarioInfo] = [ScenarioInfo(name: "baseline", label: "what happened", parent: nil, source: nil)]
    /// The worlds, one per scenario, built after checking.
    public var worlds: [World] = []
    /// For each record type, the indices of its `date` and `jurisdiction` fields (-1 when
    /// it has none), so resolving a decision does not search the fields by name.
    public internal(set) var caseFields: [(date: Int, jurisdiction: Int)] = []
    /// What evaluation needs of each let version and each policy version's rules, as
    /// objects: handing one out costs one retain, where copying the full descriptions
    /// (`LetVersion`, `CompiledRule`) retains every reference inside them.
    var letCode: [[LetCode]] = []
    var ruleCode: [[[RuleCode]]] = []

    /// Fills `letCode` and `ruleCode` (after checking, before any evaluation). A continued
    /// check (`Checker.init(continuing:)`) keeps the code of the lets before `firstNewLet` and
    /// of every policy: it can add lets, never change one or add a policy.
    func prepareCode(firstNewLet: Int = 0) {
        let kept = min(firstNewLet, letCode.count)
        letCode.removeLast(letCode.count - kept)
        letCode += lets[kept...].map { $0.versions.map { LetCode(body: $0.body, bodyNode: $0.bodyNode ?? .scalar($0.body), localCount: $0.localCount) } }
        guard firstNewLet == 0 else { return }
        ruleCode = policies.map { p in
            p.versions.map { v in
                v.rules.map(RuleCode.init)
            }
        }
    }
    /// The cascade limit of §4.8 (firings on one date); `--limit cascade=N` sets the default.
    public var cascadeLimit = Limits.current.cascadeFirings
    /// The firing limit over a whole timeline (all dates); `--limit firings=N` sets it.
    public var firingLimit = Limits.current.totalFirings
    /// Reads CSV files for populations.
    public weak var provider: SourceProvider?
    /// Generated and loaded cases; `adoptPopulations(from:)` shares it with the program before.
    public private(set) var populationCache = PopulationCache()
    /// Per scenario, a fingerprint of what its world is made of (the program outside
    /// scenarios and its scenario chain's text): equal fingerprints, equal answers.
    var worldFingerprints: [UInt64] = []
    /// Answers of fast queries; `adoptPopulations(from:)` shares it with the program before.
    public private(set) var answerCache = AnswerCache()
    /// Fingerprints of the populations this program built itself (the rest were reused).
    var builtHere: Set<UInt64> = []

    /// Takes over `earlier`'s populations (at the prompt, the program before this entry):
    /// those whose fingerprints this program shares are not built again; the others are freed.
    public func adoptPopulations(from earlier: Program) {
        populationCache = earlier.populationCache
        populationCache.prune(keeping: self)
        answerCache = earlier.answerCache
    }
    /// Attribute values that are not literals, evaluated when the baseline world is built.
    var attributeEvaluations: [(jurisdiction: Int32?, attribute: Int, eval: Eval)] = []
    /// Follows calls when the fast engine asks what a query depends on.
    var resolver: DependencyResolver?
    /// What the timeline's expressions read — every version of every event and reaction,
    /// and the dates of policies' headers — so a sub-scenario that changes only params
    /// none of them reads can take over another's timeline (`timelineParams`).
    var timelineDeps = Deps()

    /// The params the timeline may read (through the lets it calls), or nil when the
    /// analysis cannot tell (a decision about a case built there, an aggregate, …).
    var timelineParams: IndexBits? {
        guard let resolved = resolver?.resolve(timelineDeps), !resolved.opaque else { return nil }
        return resolved.paramsRead
    }
    /// Raised by the shell on Ctrl-C; checking, the timeline and long runs stop at the next
    /// check. The checker shares its caller's flag, so one flag serves a whole session.
    public internal(set) var cancellation = CancellationFlag()
    /// The cases the session's aggregates went over.
    public internal(set) var tally = WorkTally()

    public init() {}

    public static let kindEnum = 0

    public func enumIndex(_ name: String) -> Int? { enums.firstIndex { $0.name == name } }
    public func recordIndex(_ name: String) -> Int? { records.firstIndex { $0.name == name } }
    public func scenarioIndex(_ name: String) -> Int? { scenarios.firstIndex { $0.name == name } }

    public var baseline: World { worlds[0] }

    /// How a type reads in messages.
    public func describe(_ t: PType) -> String {
        switch t {
        case .bool: return "bool"
        case .int: return "int"
        case .number: return "number"
        case .string: return "string"
        case .date: return "date"
        case .duration(.days?): return "duration (days)"
        case .duration(.months?): return "duration (months)"
        case .duration(nil): return "duration"
        case .enumType(let i): return i < enums.count ? enums[i].name : "enum"
        case .jurisdiction: return "jurisdiction"
        case .record(let i): return i < records.count ? records[i].name : "record"
        case .setOf(let e): return "set of \(describe(e))"
        case .listOf(let e): return "list of \(describe(e))"
        case .emptyCollection: return "empty set"
        case .error: return "unknown"
        }
    }
}

final class LetCode: @unchecked Sendable {
    let body: Eval
    let bodyNode: Node
    let localCount: Int
    init(body: @escaping Eval, bodyNode: Node, localCount: Int) {
        self.body = body
        self.bodyNode = bodyNode
        self.localCount = localCount
    }
}

final class RuleCode: @unchecked Sendable {
    let decision: Int
    let condition: Eval?
    let value: Eval
    let localCount: Int
    let source: SourceRef
    /// The condition and value as nodes, for the evaluators of many cases at once.
    let conditionNode: Node?
    let valueNode: Node

    init(_ rule: CompiledRule) {
        decision = rule.decision
        condition = rule.condition
        value = rule.value
        localCount = rule.localCount
        source = rule.source
        conditionNode = rule.condition.map { c in rule.conditionNode ?? .scalar(c) }
        valueNode = rule.valueNode ?? .scalar(rule.value)
    }
}
