import PolicySyntax

// Pass 2: the bodies of declarations — defaults, rules, event effects, reactions.

extension Checker {
    func checkBodies() {
        // Record field defaults.
        for r in program.records.indices {
            for i in program.records[r].fields.indices where program.records[r].fields[i].hasDefault {
                guard let ast = recordDefaultASTs[r]?[i] else { continue }
                let field = program.records[r].fields[i]
                let scope = Scope(file: field.source.file)
                let t = require(expr(ast, scope, expected: field.type), field.type, ast, scope, what: "the default of '\(field.name)'")
                program.records[r].fields[i].defaultValue = t.eval
                program.records[r].fields[i].defaultConstant = t.constant
            }
        }
        for i in pendingParams.indices where !stopped { checkParamItem(i) }
        checkAttributeValues()
        for i in letCheckOrder() where !stopped && pendingLets[i].version < 0 { checkLet(i) }
        for d in pendingDecisions where !stopped { checkDecision(d) }
        for p in pendingPolicies where !stopped { checkPolicy(p) }
        for e in pendingEvents where !stopped { readByTheTimeline { checkEvent(e) } }
        for r in pendingReactions where !stopped { readByTheTimeline { checkReaction(r) } }
        for p in pendingPopulations where !stopped { checkPopulation(p) }
    }

    /// Checks what the timeline evaluates, adding what it reads to `program.timelineDeps`.
    func readByTheTimeline(_ body: () -> Void) {
        depsStack.append(Deps())
        body()
        program.timelineDeps.merge(depsStack.removeLast())
    }

    func patch(_ scenario: Int, _ keyPath: WritableKeyPath<ScenarioInfo, [Int: Int]>, _ id: Int, _ version: Int) {
        program.scenarios[scenario][keyPath: keyPath][id] = version
    }

    // MARK: - Params and lets

    /// Checks a pending param once (params whose type is inferred may be checked early, when
    /// something refers to them, §9.4).
    func checkParamItem(_ i: Int) {
        guard !paramsChecked.contains(i) else { return }
        paramsChecked.insert(i)
        checkParam(pendingParams[i])
    }

    func inferParamType(_ id: Int) {
        guard program.params[id].type == .error, program.params[id].versions.isEmpty,
              let i = pendingParams.firstIndex(where: { $0.id == id }) else { return }
        checkParamItem(i)
    }

    func checkParam(_ p: (id: Int, decl: ParamDecl, file: SourceFile, scenario: Int, infer: Bool)) {
        var scope = Scope(file: p.file, scenario: p.scenario)
        scope.definition = .param(p.id)
        scope.owner = .param(p.id, scenario: p.scenario)
        let declared = program.params[p.id].type
        var t = expr(p.decl.value, scope, expected: declared == .error ? nil : declared)
        if p.infer, program.params[p.id].versions.isEmpty {
            program.params[p.id].type = t.type == .emptyCollection ? .error : t.type
        } else {
            t = require(t, program.params[p.id].type, p.decl.value, scope, what: "the value of param '\(p.decl.name.text)'")
        }
        program.params[p.id].versions.append(ParamVersion(value: t.eval, source: SourceRef(p.file, p.decl.name.span)))
        patch(p.scenario, \.params, p.id, program.params[p.id].versions.count - 1)
    }

    /// Pending lets in an order where a let without a type comes after the untyped lets it
    /// names, so inferring types rarely recurses (a chain of 20,000 forward references would
    /// otherwise nest 20,000 deep). Found by an iterative walk of the names in the bodies.
    func letCheckOrder() -> [Int] {
        var byName: [String: Int] = [:]
        for (i, item) in pendingLets.enumerated() where item.scenario == 0 && item.decl.type == nil && byName[item.decl.name.text] == nil {
            byName[item.decl.name.text] = i
        }
        func names(_ e: Expr, into out: inout [String]) {
            var stack = [e]
            while let x = stack.popLast() {
                switch x.kind {
                case .name(let n): out.append(n.text)
                case .member(let b, _): stack.append(b)
                case .call(let f, let args, let filter):
                    out.append(f.text)
                    stack += args
                    if let filter { stack.append(filter) }
                case .record(_, let fs): stack += fs.map(\.value)
                case .with(let b, let fs): stack.append(b); stack += fs.map(\.value)
                case .set(let xs), .list(let xs): stack += xs
                case .unary(_, let a), .paren(let a), .under(let a, _): stack.append(a)
                case .binary(_, let a, let b), .at(let a, let b), .index(let a, let b): stack += [a, b]
                case .ifThenElse(let c, let a, let b): stack += [c, a, b]
                default: break
                }
            }
        }
        var order: [Int] = []
        var state = [UInt8](repeating: 0, count: pendingLets.count) // 1: open, 2: done
        for root in pendingLets.indices where state[root] == 0 {
            var stack: [(Int, [Int], Int)] = [] // node, its dependencies, next to visit
            func deps(_ i: Int) -> [Int] {
                var ns: [String] = []
                names(pendingLets[i].decl.value, into: &ns)
                return ns.compactMap { byName[$0] }.filter { $0 != i }
            }
            state[root] = 1
            stack.append((root, deps(root), 0))
            while !stack.isEmpty {
                let top = stack.count - 1
                let (node, ds, next) = stack[top]
                if next < ds.count {
                    stack[top].2 += 1
                    let d = ds[next]
                    if state[d] == 0 {
                        state[d] = 1
                        stack.append((d, deps(d), 0))
                    }
                } else {
                    state[node] = 2
                    order.append(node)
                    stack.removeLast()
                }
            }
        }
        return order
    }

    /// Infers a let's type from its body when it has none, checking the body now.
    func inferLetType(_ l: Int) {
        guard letTypeState[l] == false else { return }
        // The first pending version of `l` (its base declaration): found by index, not by
        // searching, so long chains of forward references stay linear.
        if firstPendingLet.isEmpty {
            for (i, item) in pendingLets.enumerated() where firstPendingLet[item.id] == nil { firstPendingLet[item.id] = i }
        }
        guard let i = firstPendingLet[l], pendingLets[i].version < 0 else { return }
        checkLet(i)
    }

    func checkLet(_ i: Int) {
        let item = pendingLets[i]
        guard item.version < 0 else { return }
        pendingLets[i].version = Int.max // being checked: a re-entry is a cycle, reported later
        let l = item.id
        var scope = Scope(file: item.source.file, scenario: item.scenario)
        scope.definition = .letDef(l)
        scope.owner = .letDef(l, scenario: item.scenario)
        scope.streamName = item.decl.name.text
        if let types = program.lets[l].parameterTypes {
            for (n, t) in zip(program.lets[l].parameterNames, types) { _ = scope.bind(n, t) }
        }
        let declared: PType? = item.decl.type == nil && letTypeState[l] == false && program.lets[l].versions.isEmpty ? nil : program.lets[l].type
        var t = expr(item.decl.value, scope, expected: declared)
        if let declared {
            t = require(t, declared, item.decl.value, scope, what: "the value of '\(item.decl.name.text)'")
        } else {
            program.lets[l].type = t.type == .emptyCollection ? .error : t.type
            letTypeState[l] = true
        }
        var compiled = LetVersion(body: t.eval, localCount: scope.slots.maximum, source: item.source, ast: item.decl)
        compiled.deps = t.deps
        compiled.bodyNode = t.ir
        compiled.recordSlots = (program.lets[l].parameterTypes ?? []).enumerated().map { i, type in
            if case .record = type { return i }
            return nil
        }
        program.lets[l].versions.append(compiled)
        let version = program.lets[l].versions.count - 1
        pendingLets[i].version = version
        patch(item.scenario, \.lets, l, version)
    }

    // MARK: - Decisions

    func checkDecision(_ d: (id: Int, decl: DecisionDecl, file: SourceFile, scenario: Int)) {
        let info = program.decisions[d.id]
        var combiner = Combiner.mostSpecific
        if let c = d.decl.combiner {
            if let known = Combiner(rawValue: c.text) {
                combiner = known
                if (known == .denyOverrides || known == .permitOverrides), info.type != .bool, info.type != .error {
                    error("'\(c.text)' combines bool answers; '\(info.name)' gives \(article(info.type))", d.file, c.span,
                          hint: "use most_specific, latest, min or max")
                }
                if (known == .min || known == .max), !info.type.isOrdered {
                    error("'\(c.text)' needs ordered answers; '\(info.name)' gives \(article(info.type))", d.file, c.span,
                          hint: info.type == .bool ? "use deny_overrides, permit_overrides, most_specific or latest" : "use most_specific or latest")
                }
            } else {
                error("unknown combiner '\(c.text)'", d.file, c.span,
                      hint: suggest(c.text, Combiner.allCases.map(\.rawValue)) ?? "the combiners are \(Combiner.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var scope = Scope(file: d.file, scenario: d.scenario)
        scope.definition = .decision(d.id)
        scope.owner = .decisionDefault(d.id, scenario: d.scenario)
        scope.streamName = info.name
        _ = scope.bind(info.parameterName, info.caseType >= 0 ? .record(info.caseType) : .error)
        let t = require(expr(d.decl.defaultValue, scope, expected: info.type), info.type, d.decl.defaultValue, scope,
                        what: "the default of '\(info.name)'")
        var version = DecisionVersion(
            defaultValue: t.eval, combiner: combiner, source: SourceRef(d.file, d.decl.name.span),
            defaultSource: SourceRef(d.file, d.decl.defaultValue.span))
        version.deps = t.deps
        version.defaultNode = t.ir
        program.decisions[d.id].versions.append(version)
        patch(d.scenario, \.decisions, d.id, program.decisions[d.id].versions.count - 1)
    }

    // MARK: - Policies

    func checkPolicy(_ p: (id: Int, decl: PolicyDecl, file: SourceFile, scenario: Int)) {
        let decl = p.decl
        let info = program.policies[p.id]
        let paramTypes = info.parameterTypes ?? []
        var owner = Owner.jurisdiction(0)
        if let i = info.parameterNames.firstIndex(of: decl.owner.text) {
            if paramTypes[i] != .jurisdiction {
                error("a policy's owner must be a jurisdiction; '\(decl.owner.text)' is \(article(paramTypes[i]))", p.file, decl.owner.span)
            }
            owner = .parameter(i)
        } else {
            switch lookupSymbol(decl.owner.text, scenario: p.scenario) {
            case .jurisdiction(let j)?: owner = .jurisdiction(j)
            case .agency(let a)?: owner = .agency(a)
            default:
                error("unknown owner '\(decl.owner.text)': a policy is owned by a jurisdiction or an agency", p.file, decl.owner.span,
                      hint: suggest(decl.owner.text, program.jurisdictions.names + program.agencies.map(\.name) + info.parameterNames))
            }
        }
        let headerScope = Scope(file: p.file, scenario: p.scenario)
        var from: Eval?, until: Eval?
        readByTheTimeline {
            from = decl.from.map { require(expr($0, headerScope, expected: .date), .date, $0, headerScope, what: "'from'").eval }
            until = decl.until.map { require(expr($0, headerScope, expected: .date), .date, $0, headerScope, what: "'until'").eval }
        }
        let overrides = decl.overrides.compactMap { policyReference($0, headerScope, what: "overrides") }
        if overrides.contains(where: { $0.policy == p.id && $0.arguments == nil }) {
            error("a policy cannot override itself", p.file, decl.name.span)
        }

        var rules: [CompiledRule] = []
        for rule in decl.rules {
            guard case .decision(let d)? = lookupSymbol(rule.decision.text, scenario: p.scenario) else {
                let decisions = visibleNames(scenario: p.scenario).filter {
                    if case .decision? = lookupSymbol($0, scenario: p.scenario) { return true }
                    return false
                }
                error("unknown decision '\(rule.decision.text)'", p.file, rule.decision.span,
                      hint: suggest(rule.decision.text, decisions) ?? "declare it with: decision \(rule.decision.text)(b: …): TYPE = …")
                continue
            }
            let dinfo = program.decisions[d]
            var scope = Scope(file: p.file, scenario: p.scenario)
            scope.definition = .decision(d)
            scope.owner = .policy(p.id, scenario: p.scenario)
            scope.streamName = dinfo.name
            _ = scope.bind(rule.parameter.text, dinfo.caseType >= 0 ? .record(dinfo.caseType) : .error)
            for (n, t) in zip(info.parameterNames, paramTypes) { _ = scope.bind(n, t) }
            let value = require(expr(rule.value, scope, expected: dinfo.type), dinfo.type, rule.value, scope,
                                what: "the answer of a rule for '\(dinfo.name)'")
            let conditionTyped = rule.condition.map {
                require(expr($0, scope, expected: .bool), .bool, $0, scope, what: "the 'when' condition")
            }
            var compiled = CompiledRule(decision: d, value: value.eval, condition: conditionTyped?.eval,
                                        localCount: scope.slots.maximum, source: SourceRef(p.file, rule.span))
            compiled.deps = value.deps
            compiled.valueNode = value.ir
            compiled.conditionNode = conditionTyped?.ir
            if let c = conditionTyped { compiled.deps.merge(c.deps) }
            rules.append(compiled)
        }
        // The parameters' slots follow the case's (slot 0) in every rule's scope.
        let parameterSlots = IndexBits(paramTypes.indices.map { $0 + 1 })
        let readsParameters = rules.contains { !$0.deps.slotsRead.isDisjoint(with: parameterSlots) }
        program.policies[p.id].versions.append(PolicyVersion(
            owner: owner, from: from, until: until, proposed: decl.proposed, overrides: overrides,
            label: decl.label?.value, rules: rules, source: SourceRef(p.file, decl.name.span),
            readsParameters: readsParameters))
        patch(p.scenario, \.policies, p.id, program.policies[p.id].versions.count - 1)
    }

    /// `NAME[(args)]` naming a policy.
    func policyReference(_ ref: PolicyRef, _ scope: Scope, what: String) -> PolicyReference? {
        guard case .policy(let id)? = lookupSymbol(ref.name.text, scenario: scope.scenario) else {
            let policies = visibleNames(scenario: scope.scenario).filter {
                if case .policy? = lookupSymbol($0, scenario: scope.scenario) { return true }
                return false
            }
            error("unknown policy '\(ref.name.text)'", scope.ref(ref.name.span), hint: suggest(ref.name.text, policies))
            return nil
        }
        let info = program.policies[id]
        guard let args = ref.arguments else {
            return PolicyReference(policy: id, arguments: nil, source: scope.ref(ref.span))
        }
        let types = info.parameterTypes ?? []
        guard args.count == types.count else {
            error("policy '\(info.name)' takes \(types.count) argument\(types.count == 1 ? "" : "s"), not \(args.count)",
                  scope.ref(ref.span), hint: types.isEmpty ? "write \(info.name) without parentheses" : nil)
            return nil
        }
        var evals: [Eval] = []
        for (i, (a, t)) in zip(args, types).enumerated() {
            evals.append(require(expr(a, scope, expected: t), t, a, scope, what: "argument '\(info.parameterNames[i])' of '\(info.name)'").eval)
        }
        return PolicyReference(policy: id, arguments: evals, source: scope.ref(ref.span))
    }

    // MARK: - Events and reactions

    func checkEvent(_ e: (id: Int, decl: EventDecl, file: SourceFile, scenario: Int)) {
        let decl = e.decl
        var scope = Scope(file: e.file, scenario: e.scenario)
        scope.streamName = decl.name.text
        let date = require(expr(decl.date, scope, expected: .date), .date, decl.date, scope, what: "an event's date").eval
        var owner: Owner?
        if let o = decl.owner {
            switch lookupSymbol(o.text, scenario: e.scenario) {
            case .jurisdiction(let j)?: owner = .jurisdiction(j)
            case .agency(let a)?: owner = .agency(a)
            default:
                error("unknown jurisdiction or agency '\(o.text)'", e.file, o.span,
                      hint: suggest(o.text, program.jurisdictions.names + program.agencies.map(\.name)))
            }
        }
        let effects = (decl.effects ?? []).map { effect($0, &scope) }
        program.events[e.id].versions.append(EventVersion(date: date, owner: owner, label: decl.label?.value, effects: effects,
                                                          localCount: scope.slots.maximum, source: SourceRef(e.file, decl.name.span)))
        patch(e.scenario, \.events, e.id, program.events[e.id].versions.count - 1)
    }

    func checkReaction(_ r: (id: Int, decl: ReactionDecl, file: SourceFile, scenario: Int, source: SourceRef)) {
        var scope = Scope(file: r.file, scenario: r.scenario)
        scope.streamName = program.reactions[r.id].name
        let trigger: ReactionTrigger
        switch r.decl.trigger {
        case .event(let n):
            guard case .event(let ev)? = lookupSymbol(n.text, scenario: r.scenario) else {
                let events = visibleNames(scenario: r.scenario).filter {
                    if case .event? = lookupSymbol($0, scenario: r.scenario) { return true }
                    return false
                }
                error("unknown event '\(n.text)'", r.file, n.span,
                      hint: suggest(n.text, events) ?? "a reaction reads 'when EVENT { … }' or 'when j in jurisdictions where … { … }'")
                return
            }
            trigger = .event(ev)
        case .condition(let v, let c):
            _ = scope.bind(v.text, .jurisdiction)
            trigger = .condition(require(expr(c, scope, expected: .bool), .bool, c, scope, what: "a reaction's condition").eval)
        }
        let effects = r.decl.effects.map { effect($0, &scope) }
        program.reactions[r.id].versions.append(ReactionVersion(trigger: trigger, effects: effects,
                                                                localCount: scope.slots.maximum, source: r.source))
        patch(r.scenario, \.reactions, r.id, program.reactions[r.id].versions.count - 1)
    }

    func effect(_ e: Effect, _ scope: inout Scope) -> CompiledEffect {
        let src = scope.ref(e.span)
        let nothing = CompiledEffect.ifElse(condition: { _ in .bool(false) }, then: [], otherwise: [], source: src)
        switch e.kind {
        case .enact(let ref, let from, let until):
            guard let r = policyReference(ref, scope, what: "enact") else { return nothing }
            if r.arguments == nil, program.policies[r.policy].isParameterised {
                let info = program.policies[r.policy]
                error("'\(info.name)' has parameters: say which instance to enact", src,
                      hint: "write enact \(info.name)(\(info.parameterNames.joined(separator: ", ")))")
                return nothing
            }
            let f = from.map { require(expr($0, scope, expected: .date), .date, $0, scope, what: "'from'").eval }
            let u = until.map { require(expr($0, scope, expected: .date), .date, $0, scope, what: "'until'").eval }
            return .enact(r, from: f, until: u, source: src)
        case .repeal(let ref):
            guard let r = policyReference(ref, scope, what: "repeal") else { return nothing }
            return .repeal(r, source: src)
        case .set(let target, let value):
            switch target.kind {
            case .member(let base, let field):
                let j = require(expr(base, scope, expected: .jurisdiction), .jurisdiction, base, scope, what: "the jurisdiction in 'set'")
                guard let a = program.attributes.firstIndex(where: { $0.name == field.text }) else {
                    error("jurisdictions have no attribute '\(field.text)'", scope.ref(field.span),
                          hint: suggest(field.text, program.attributes.map(\.name)))
                    return nothing
                }
                let type = program.attributes[a].type
                let v = require(expr(value, scope, expected: type), type, value, scope, what: "the new value of '\(field.text)'")
                return .setAttribute(jurisdiction: j.eval, attribute: a, value: v.eval, source: src)
            case .name(let id):
                let n = id.text
                guard case .param(let p)? = lookupSymbol(n, scenario: scope.scenario) else {
                    error("'set' changes a param or a jurisdiction's attribute; '\(n)' is neither", scope.ref(target.span),
                          hint: suggest(n, program.params.map(\.name)))
                    return nothing
                }
                let type = program.params[p].type
                let v = require(expr(value, scope, expected: type), type, value, scope, what: "the new value of '\(n)'")
                return .setParam(param: p, value: v.eval, source: src)
            default:
                error("'set' changes a param (set NAME = …) or an attribute (set j.ATTR = …)", scope.ref(target.span))
                return nothing
            }
        case .forEach(let variable, let condition, let body):
            var inner = scope
            let slot = inner.bind(variable.text, .jurisdiction)
            let c = condition.map { require(expr($0, inner, expected: .bool), .bool, $0, inner, what: "the 'where' condition").eval }
            let effects = body.map { effect($0, &inner) }
            return .forEach(slot: slot, condition: c, body: effects, source: src)
        case .after(let delay, let body):
            let d = expr(delay, scope)
            guard case .duration = d.type else {
                if d.type != .error {
                    error("'after' needs a duration, not \(article(d.type))", scope.ref(delay.span), hint: "write after 30 days { … }")
                }
                return nothing
            }
            var inner = scope
            let effects = body.map { effect($0, &inner) }
            return .after(delay: d.eval, body: effects, source: src)
        case .if(let condition, let then, let otherwise):
            let c = require(expr(condition, scope, expected: .bool), .bool, condition, scope, what: "the condition of 'if'").eval
            var thenScope = scope, elseScope = scope
            let t = then.map { effect($0, &thenScope) }
            var o: [CompiledEffect] = []
            switch otherwise {
            case .block(let b)?: o = b.map { effect($0, &elseScope) }
            case .elseIf(let inner)?: o = [effect(inner, &elseScope)]
            case nil: break
            }
            return .ifElse(condition: c, then: t, otherwise: o, source: src)
        }
    }
}

extension Checker {
    // MARK: - Populations

    func checkPopulation(_ p: (id: Int, decl: PopulationDecl, file: SourceFile, scenario: Int, span: Span)) {
        let record = program.populations[p.id].record
        guard record >= 0 else { return }
        var version = populationVersion(p.decl, record: record, file: p.file, scenario: p.scenario)
        version.declarationText = p.file.text(p.span)
        version.needsWholeProgram = !PopulationFingerprint.isSelfContained(p.decl)
        program.populations[p.id].versions.append(version)
        patch(p.scenario, \.populations, p.id, program.populations[p.id].versions.count - 1)
    }
}
