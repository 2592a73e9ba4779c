import PolicySyntax
import PolicySupport

// The analysis clauses of a query (§10), checked: `replicates N`, `sweep PARAM in …`, and
// the changes `decompose S` splits a difference among.

/// What a query repeats and varies.
public struct QueryAnalysis: Sendable {
    /// `replicates N`: evaluated when the query runs (an int from 2 up).
    var replicates: Eval?
    var replicatesSource: SourceRef?
    /// In the order written: the first varies slowest.
    var sweeps: [SweepPlan] = []
    /// `decompose S`: S's changes, applied to the scenario S starts from.
    var decomposition: Decomposition?

    public var isEmpty: Bool { replicates == nil && sweeps.isEmpty && decomposition == nil }
}

/// `sweep PARAM in {V, …}` or `sweep PARAM in A .. B step S`.
struct SweepPlan: Sendable {
    enum Values: Sendable {
        case list([Eval])
        case range(Eval, Eval, step: Eval)
    }
    var param: Int
    var name: String
    var type: PType
    var values: Values
    /// Written as percentages (`{10%, 20%}`): shown the same way.
    var asPercent: Bool
    var source: SourceRef
}

/// One change a scenario makes to the scenario it starts from (§10: each `cancel`, each
/// re-declared or added declaration, each `param`).
struct ScenarioChange: Sendable {
    enum Target: Sendable {
        case param(Int, version: Int)
        case letDef(Int, version: Int)
        case decision(Int, version: Int)
        case policy(Int, version: Int)
        case event(Int, version: Int)
        case reaction(Int, version: Int)
        case population(Int, version: Int)
        /// `cancel ban(cook)`: index into the scenario's `cancelledInstances`.
        case cancelledInstance(Int)
    }
    var target: Target
    /// How the change reads in a table: `param hold_limit`, `policy trust_act (replaced)`.
    var name: String
    var source: SourceRef?
}

struct Decomposition: Sendable {
    var scenario: Int
    var parent: Int
    var changes: [ScenarioChange]
    /// Params, lets and decisions S adds: they change nothing by themselves (only what
    /// reads them does), so every sub-scenario has them.
    var added: [ScenarioChange] = []
}

extension Checker {
    func analysis(_ a: Analysis, _ scope: Scope) -> QueryAnalysis {
        var out = QueryAnalysis()
        if let r = a.replicates {
            out.replicates = require(expr(r, scope, expected: .int), .int, r, scope, what: "the number of replicates").eval
            out.replicatesSource = scope.ref(r.span)
        }
        var seen: [String: SourceRef] = [:]
        for s in a.sweeps {
            if let first = seen[s.param.text] {
                error("'\(s.param.text)' is swept twice", scope.ref(s.param.span), hint: "the first sweep is at \(first.position); keep one")
                continue
            }
            seen[s.param.text] = scope.ref(s.param.span)
            if let plan = sweep(s, scope) { out.sweeps.append(plan) }
        }
        return out
    }

    func sweep(_ s: Sweep, _ scope: Scope) -> SweepPlan? {
        guard case .param(let p)? = lookupSymbol(s.param.text, scenario: scope.scenario) else {
            let params = visibleNames(scenario: scope.scenario).filter {
                if case .param? = lookupSymbol($0, scenario: scope.scenario) { return true }
                return false
            }
            let what = lookupSymbol(s.param.text, scenario: scope.scenario).map { "'\(s.param.text)' is \($0.what), not a param" }
                ?? "unknown param '\(s.param.text)'"
            error("\(what); a sweep varies a param", scope.ref(s.param.span),
                  hint: suggest(s.param.text, params) ?? (params.isEmpty ? "declare one: param NAME = VALUE" : "params: \(params.sorted().prefix(8).joined(separator: ", "))"))
            return nil
        }
        let type = program.params[p].type
        // Values are read outside any case: they name no subject.
        var valueScope = scope
        valueScope.subject = nil
        func value(_ e: Expr) -> Eval {
            require(expr(e, valueScope, expected: type), type, e, valueScope, what: "a value of '\(s.param.text)'").eval
        }
        func isPercent(_ e: Expr) -> Bool {
            switch e.kind {
            case .percent: return true
            case .unary(.negate, let inner), .paren(let inner): return isPercent(inner)
            default: return false
            }
        }
        switch s.values {
        case .list(let xs):
            return SweepPlan(param: p, name: s.param.text, type: type, values: .list(xs.map(value)),
                             asPercent: xs.allSatisfy(isPercent), source: scope.ref(s.span))
        case .range(let low, let high, let step):
            let stepType: PType
            switch type {
            case .int: stepType = .int
            case .number: stepType = .number
            case .date: stepType = .duration(nil)
            default:
                error("a range sweeps ints, numbers, percents or dates; '\(s.param.text)' is \(program.describe(type))",
                      scope.ref(s.span), hint: "list the values instead: sweep \(s.param.text) in {V1, V2, …}")
                return nil
            }
            let stepEval = require(expr(step, valueScope, expected: stepType), stepType, step, valueScope, what: "the step").eval
            return SweepPlan(param: p, name: s.param.text, type: type, values: .range(value(low), value(high), step: stepEval),
                             asPercent: isPercent(low), source: scope.ref(s.span))
        }
    }

    /// The changes `decompose S` splits the difference among, in the order S lists them.
    func decomposition(_ name: Name, population: Int, _ scope: Scope) -> Decomposition? {
        guard let s = scenarioIndex(name, scope) else { return nil }
        guard s != 0, let parent = program.scenarios[s].parent else {
            error("baseline is what happened; it changes nothing to decompose", scope.ref(name.span),
                  hint: "decompose a scenario: it is split among its changes to the scenario it starts from")
            return nil
        }
        let info = program.scenarios[s]
        let parentName = program.scenarios[parent].name
        func exists(_ keyPath: KeyPath<ScenarioInfo, [Int: Int]>, _ id: Int) -> Bool {
            activeScenario(parent, keyPath, id) != nil
        }
        func declared(_ what: String, _ n: String, _ keyPath: KeyPath<ScenarioInfo, [Int: Int]>, _ id: Int, _ v: Int) -> String {
            if v < 0 { return "cancel \(what) \(n)" }
            if what == "param" { return "param \(n)" }
            return "\(what) \(n) (\(exists(keyPath, id) ? "replaced" : "added"))"
        }
        var changes: [ScenarioChange] = []
        var added: [ScenarioChange] = []
        for (id, v) in info.params where v >= 0 && !exists(\.params, id) {
            added.append(ScenarioChange(target: .param(id, version: v), name: "param \(program.params[id].name)",
                                        source: program.params[id].versions[v].source))
        }
        for (id, v) in info.lets where v >= 0 && !exists(\.lets, id) {
            added.append(ScenarioChange(target: .letDef(id, version: v), name: "let \(program.lets[id].name)",
                                        source: program.lets[id].versions[v].source))
        }
        for (id, v) in info.decisions where v >= 0 && !exists(\.decisions, id) {
            added.append(ScenarioChange(target: .decision(id, version: v), name: "decision \(program.decisions[id].name)",
                                        source: program.decisions[id].versions[v].source))
        }
        for (id, v) in info.params where v < 0 || exists(\.params, id) {
            changes.append(ScenarioChange(target: .param(id, version: v), name: declared("param", program.params[id].name, \.params, id, v),
                                          source: v >= 0 ? program.params[id].versions[v].source : info.cancelSources["param \(id)"]))
        }
        for (id, v) in info.lets where v < 0 || exists(\.lets, id) {
            changes.append(ScenarioChange(target: .letDef(id, version: v), name: declared("let", program.lets[id].name, \.lets, id, v),
                                          source: v >= 0 ? program.lets[id].versions[v].source : nil))
        }
        for (id, v) in info.decisions where v < 0 || exists(\.decisions, id) {
            changes.append(ScenarioChange(target: .decision(id, version: v), name: declared("decision", program.decisions[id].name, \.decisions, id, v),
                                          source: v >= 0 ? program.decisions[id].versions[v].source : nil))
        }
        for (id, v) in info.policies {
            changes.append(ScenarioChange(target: .policy(id, version: v), name: declared("policy", program.policies[id].name, \.policies, id, v),
                                          source: v >= 0 ? program.policies[id].versions[v].source : info.cancelSources["policy \(id)"]))
        }
        for (id, v) in info.events {
            changes.append(ScenarioChange(target: .event(id, version: v), name: declared("event", program.events[id].name, \.events, id, v),
                                          source: v >= 0 ? program.events[id].versions[v].source : info.cancelSources["event \(id)"]))
        }
        for (id, v) in info.reactions {
            let r = program.reactions[id]
            let n = r.isNamed ? r.name : "reaction at line \(v >= 0 ? r.versions[v].source.position : "?")"
            changes.append(ScenarioChange(target: .reaction(id, version: v), name: declared("reaction", n, \.reactions, id, v),
                                          source: v >= 0 ? r.versions[v].source : info.cancelSources["reaction \(id)"]))
        }
        for (id, v) in info.populations {
            if id == population {
                error("scenario '\(name.text)' re-declares population '\(program.populations[id].name)': decompose splits a difference over the same cases",
                      scope.ref(name.span), hint: "compare the two scenarios instead, or move the population out of the scenario")
                return nil
            }
            changes.append(ScenarioChange(target: .population(id, version: v), name: declared("population", program.populations[id].name, \.populations, id, v),
                                          source: v >= 0 ? program.populations[id].versions[v].source : nil))
        }
        for (k, ref) in info.cancelledInstances.enumerated() {
            let text = ref.source.file.text(ref.source.span)
            changes.append(ScenarioChange(target: .cancelledInstance(k), name: "cancel \(text)", source: ref.source))
        }
        // In the order the scenario lists them (files in load order, then position).
        func key(_ c: ScenarioChange) -> (Int, UInt32, String) {
            guard let src = c.source else { return (Int.max, 0, c.name) }
            return (program.files.firstIndex { $0 === src.file } ?? Int.max, src.span.start, c.name)
        }
        changes.sort { key($0) < key($1) }
        if changes.isEmpty {
            error("scenario '\(name.text)' makes no change to '\(parentName)': there is nothing to decompose", scope.ref(name.span),
                  hint: "give the scenario a param, a declaration or a 'cancel'")
            return nil
        }
        let limit = Limits.current.decomposeChanges
        if changes.count > limit {
            error("scenario '\(name.text)' makes \(changes.count) changes; decompose splits a difference among at most \(limit) (2^\(changes.count) sub-scenarios)",
                  scope.ref(name.span), hint: Limits.raiseHint("decompose"))
            return nil
        }
        return Decomposition(scenario: s, parent: parent, changes: changes, added: added.sorted { key($0) < key($1) })
    }
}
