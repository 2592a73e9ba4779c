import PolicySyntax

/// Where a case comes from in an expression: a record-typed local slot (a decision's case,
/// a let's record parameter) or the implicit subject of a query.
enum CaseRef: Hashable, Sendable {
    case slot(Int)
    case subject
}

/// What an expression's value depends on, as far as the fast population engine cares:
/// which fields of which case it reads, whether it draws `chance`, which constant dates the
/// case's date is compared with, and what it calls. Built while checking (each `expr` call
/// adds to the innermost record), resolved per query.
struct Deps: Sendable {
    var fields: [CaseRef: IndexBits] = [:]
    /// The case's date compared with these constant dates.
    var dateBreaks: Set<Int32> = []
    /// The case's date compared with these date attributes of the case's jurisdiction.
    var dateAttributes: Set<Int> = []
    var chance = false
    /// Something the analysis does not follow (a case used as a whole value, an aggregate
    /// inside, an `at` with a computed date …): the fast engine is not used.
    var opaque = false
    var decisionCalls: Set<DecisionCall> = []
    var letCalls: [LetCall] = []
    /// Reads an attribute of the case's own jurisdiction chain, or of another jurisdiction.
    var ownAttributes = false
    var otherAttributes = false
    /// Which attributes are read.
    var attributesRead = IndexBits()
    var params = false
    /// Which params are read.
    var paramsRead = IndexBits()
    /// Local slots read by name — a policy's rules that read none of its parameters answer
    /// alike for every instance.
    var slotsRead = IndexBits()

    struct DecisionCall: Hashable, Sendable {
        var decision: Int
        var on: CaseRef
    }

    struct LetCall: Sendable {
        var letDef: Int
        /// Per argument: the case it passes, if it passes one whole.
        var cases: [CaseRef?]
    }

    mutating func merge(_ o: Deps) {
        for (k, v) in o.fields { fields[k, default: IndexBits()].formUnion(v) }
        dateBreaks.formUnion(o.dateBreaks)
        dateAttributes.formUnion(o.dateAttributes)
        chance = chance || o.chance
        opaque = opaque || o.opaque
        decisionCalls.formUnion(o.decisionCalls)
        letCalls += o.letCalls
        ownAttributes = ownAttributes || o.ownAttributes
        otherAttributes = otherAttributes || o.otherAttributes
        attributesRead.formUnion(o.attributesRead)
        params = params || o.params
        paramsRead.formUnion(o.paramsRead)
        slotsRead.formUnion(o.slotsRead)
    }

    /// Re-expresses dependencies on `from` as dependencies on `to` (a callee's case
    /// becomes the caller's).
    func mapped(_ from: CaseRef, to: CaseRef) -> Deps {
        var d = self
        d.fields = [:]
        for (k, v) in fields {
            if k == from { d.fields[to, default: IndexBits()].formUnion(v) } else { d.opaque = true }
        }
        d.decisionCalls = Set(decisionCalls.map { c in
            if c.on == from { return DecisionCall(decision: c.decision, on: to) }
            return c
        })
        if decisionCalls.contains(where: { $0.on != from }) { d.opaque = true }
        d.letCalls = letCalls.map { LetCall(letDef: $0.letDef, cases: $0.cases.map { $0.map { $0 == from ? to : $0 } }) }
        return d
    }
}

/// What a query's per-case values depend on once every call is followed.
public struct ResolvedDeps: Sendable {
    /// Fields of the case read.
    public var fields = IndexBits()
    public var dateBreaks: Set<Int32> = []
    public var dateAttributes: Set<Int> = []
    public var chance = false
    public var opaque = false
    public var decisions: Set<Int> = []
    public var ownAttributes = false
    public var otherAttributes = false
    public var attributesRead = IndexBits()
    public var params = false
    public var paramsRead = IndexBits()
}

extension Checker {
    /// Adds to the dependencies of the expression being checked.
    func note(_ change: (inout Deps) -> Void) {
        guard !depsStack.isEmpty else { return }
        change(&depsStack[depsStack.count - 1])
    }

    /// The case a bare name stands for, if it stands for one whole: a record-typed local,
    /// or `it` in a query.
    func caseRef(_ e: Expr, _ scope: Scope) -> CaseRef? {
        guard case .name(let nameID) = e.kind, case let n = nameID.text else { return nil }
        if let local = scope.local(n) {
            if case .record = local.type { return .slot(local.slot) }
            return nil
        }
        if n == "it", scope.subject != nil { return .subject }
        return nil
    }
}

/// Follows decision and let calls to resolve a query's dependencies.
struct DependencyResolver {
    let decisionDeps: [Int: Deps]
    /// The program's lets: a let's dependencies are those of all its versions, merged when
    /// a query asks (a query names few lets; a session at the prompt declares thousands).
    let lets: [LetInfo]

    /// The same decisions over `lets` (a continued check adds lets, never decisions).
    func with(lets: [LetInfo]) -> DependencyResolver {
        DependencyResolver(decisionDeps: decisionDeps, lets: lets)
    }

    func letDeps(_ l: Int) -> Deps? {
        guard l >= 0, l < lets.count else { return nil }
        var all = Deps()
        for v in lets[l].versions { all.merge(v.deps) }
        return all
    }

    /// What `deps` (of an expression over a query's subject) depends on.
    func resolve(_ d: Deps, subject: CaseRef = .subject) -> ResolvedDeps {
        var out = ResolvedDeps()
        var visiting: Set<String> = []
        add(d, on: subject, &out, &visiting, depth: 0)
        return out
    }

    private func add(_ d: Deps, on ref: CaseRef, _ out: inout ResolvedDeps, _ visiting: inout Set<String>, depth: Int) {
        guard depth < 64 else { out.opaque = true; return }
        for (k, v) in d.fields {
            if k == ref { out.fields.formUnion(v) } else { out.opaque = true }
        }
        out.dateBreaks.formUnion(d.dateBreaks)
        out.dateAttributes.formUnion(d.dateAttributes)
        out.chance = out.chance || d.chance
        out.opaque = out.opaque || d.opaque
        out.ownAttributes = out.ownAttributes || d.ownAttributes
        out.otherAttributes = out.otherAttributes || d.otherAttributes
        out.attributesRead.formUnion(d.attributesRead)
        out.params = out.params || d.params
        out.paramsRead.formUnion(d.paramsRead)
        for call in d.decisionCalls {
            guard call.on == ref else { out.opaque = true; continue }
            out.decisions.insert(call.decision)
            let key = "d\(call.decision)"
            guard !visiting.contains(key), let callee = decisionDeps[call.decision] else { continue }
            visiting.insert(key)
            add(callee, on: .slot(0), &out, &visiting, depth: depth + 1)
            visiting.remove(key)
        }
        for call in d.letCalls {
            guard let callee = letDeps(call.letDef) else { out.opaque = true; continue }
            let key = "l\(call.letDef)"
            guard !visiting.contains(key) else { continue }
            visiting.insert(key)
            // The callee's record parameters become the cases the caller passed.
            var body = callee
            let slots = lets[call.letDef].versions.first?.recordSlots ?? []
            var remapped = Deps()
            remapped.merge(body)
            remapped.fields = [:]
            remapped.decisionCalls = []
            for (k, v) in body.fields {
                if case .slot(let s) = k, let i = slots.firstIndex(of: s), i < call.cases.count, let c = call.cases[i], c == ref {
                    remapped.fields[ref, default: IndexBits()].formUnion(v)
                } else {
                    remapped.opaque = true
                }
            }
            remapped.letCalls = body.letCalls.map { lc in
                Deps.LetCall(letDef: lc.letDef, cases: lc.cases.map { c -> CaseRef? in
                    guard case .slot(let s)? = c, let i = slots.firstIndex(of: s), i < call.cases.count else { return c }
                    return call.cases[i]
                })
            }
            for dc in body.decisionCalls {
                if case .slot(let s) = dc.on, let i = slots.firstIndex(of: s), i < call.cases.count, let c = call.cases[i], c == ref {
                    remapped.decisionCalls.insert(Deps.DecisionCall(decision: dc.decision, on: ref))
                } else {
                    remapped.opaque = true
                }
            }
            body = remapped
            add(body, on: ref, &out, &visiting, depth: depth + 1)
            visiting.remove(key)
        }
    }
}

extension Checker {
    /// The dependencies of every decision (default and all rules, in every version); lets'
    /// are read from the program when a query asks.
    func makeResolver() -> DependencyResolver {
        var decisions: [Int: Deps] = [:]
        for (d, info) in program.decisions.enumerated() {
            var all = Deps()
            for v in info.versions { all.merge(v.deps) }
            decisions[d] = all
        }
        for policy in program.policies {
            for v in policy.versions {
                for rule in v.rules { decisions[rule.decision, default: Deps()].merge(rule.deps) }
            }
        }
        return DependencyResolver(decisionDeps: decisions, lets: program.lets)
    }
}
