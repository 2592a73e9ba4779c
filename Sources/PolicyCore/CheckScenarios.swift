import PolicySyntax

// Scenarios as patches (§4.9, §9.16): re-declarations keep their type, additions are
// visible in the scenario and those built on it, `cancel` removes.

extension Checker {
    func collectScenarios(_ all: Units) {
        var decls: [Int: (ScenarioDecl, SourceFile)] = [:]
        for (unit, statements) in all {
            for s in statements {
                guard case .scenario(let d) = s.kind, case .scenario(let id)? = globals[d.name.text],
                      program.scenarios[id].source?.span == s.span else { continue }
                decls[id] = (d, unit.file)
            }
        }
        // Parents.
        for (id, (d, file)) in decls {
            guard let p = d.parent else {
                program.scenarios[id].parent = 0
                continue
            }
            if p.text == "baseline" {
                program.scenarios[id].parent = 0
            } else if case .scenario(let parent)? = globals[p.text] {
                program.scenarios[id].parent = parent
            } else {
                error("unknown scenario '\(p.text)'", file, p.span, hint: suggest(p.text, program.scenarios.map(\.name)))
                program.scenarios[id].parent = 0
            }
        }
        // A scenario cannot start from itself, directly or not.
        for id in decls.keys.sorted() {
            var seen: Set<Int> = [id]
            var x = program.scenarios[id].parent
            while let p = x, p != 0 {
                if seen.contains(p) {
                    if let (d, file) = decls[id] {
                        error("scenario '\(d.name.text)' starts from itself (through 'from')", file, d.name.span,
                              hint: "start it from baseline or from a scenario that does not lead back to it")
                    }
                    program.scenarios[id].parent = 0
                    break
                }
                seen.insert(p)
                x = program.scenarios[p].parent
            }
        }
        // Items, parents first.
        for id in scenarioOrder() {
            guard let (d, file) = decls[id] else { continue }
            for item in d.items { scenarioItem(item, file, scenario: id) }
        }
    }

    /// Scenario indices with every parent before its children.
    func scenarioOrder() -> [Int] { program.scenarioOrder() }

    func scenarioItem(_ item: Statement, _ file: SourceFile, scenario s: Int) {
        let parent = program.scenarios[s].parent ?? 0
        switch item.kind {
        case .cancel(let ref):
            // Still there in the parent: not cancelled on the way up (versions are filled in
            // later, so only cancels and declarations are visible here).
            func present(_ keyPath: KeyPath<ScenarioInfo, [Int: Int]>, _ id: Int) -> Bool {
                var x: Int? = parent
                var found = false
                while let t = x {
                    if program.scenarios[t][keyPath: keyPath][id] == -1 { break }
                    if t == 0 ? globals[ref.name.text] != nil : scenarioDeclared[t]?[ref.name.text] != nil {
                        found = true
                        break
                    }
                    x = t == 0 ? nil : program.scenarios[t].parent ?? 0
                }
                if found { return true }
                let parentName = program.scenarios[parent].name
                error("'\(ref.name.text)' is not in scenario '\(parentName)' (it is cancelled there), so there is nothing to cancel",
                      file, ref.name.span, hint: "remove this line")
                return false
            }
            switch lookupSymbol(ref.name.text, scenario: parent) {
            case .event(let e)?:
                if present(\.events, e) {
                    program.scenarios[s].events[e] = -1
                    program.scenarios[s].cancelSources["event \(e)"] = SourceRef(file, item.span)
                }
            case .reaction(let r)?:
                if present(\.reactions, r) {
                    program.scenarios[s].reactions[r] = -1
                    program.scenarios[s].cancelSources["reaction \(r)"] = SourceRef(file, item.span)
                }
            case .policy(let p)?:
                guard present(\.policies, p) else { break }
                if ref.arguments != nil {
                    // One instance: its enactments do nothing in this scenario.
                    var scope = Scope(file: file, scenario: s)
                    scope.streamName = "cancel"
                    if let r = policyReference(ref, scope, what: "cancel") {
                        program.scenarios[s].cancelledInstances.append(r)
                    }
                } else {
                    program.scenarios[s].policies[p] = -1
                    program.scenarios[s].cancelSources["policy \(p)"] = SourceRef(file, item.span)
                }
            case let other?:
                error("'cancel' removes an event, a policy or a reaction; '\(ref.name.text)' is \(other.what)", file, ref.name.span)
            case nil:
                let names = visibleNames(scenario: parent).filter {
                    switch lookupSymbol($0, scenario: parent) {
                    case .event?, .reaction?, .policy?: return true
                    default: return false
                    }
                }
                error("nothing called '\(ref.name.text)' to cancel", file, ref.name.span,
                      hint: suggest(ref.name.text, names) ?? "'cancel' names an event, policy or reaction of the scenario this one starts from")
            }
        case .record, .enumDecl:
            break // collected with the other types
        case .jurisdiction, .jurisdictionsFrom, .agency, .attributes:
            if let name = item.declaredName, let existing = lookupSymbol(name.text, scenario: parent),
               existing == .jurisdiction(program.jurisdictions.byName[name.text] ?? -1) {
                error("a scenario cannot re-declare jurisdiction '\(name.text)'", file, name.span,
                      hint: "the jurisdiction tree is the same in every scenario; change its attributes with an event's 'set'")
            } else {
                error("a scenario cannot add jurisdictions or agencies", file, item.span,
                      hint: "declare them at the top level: the jurisdiction tree is the same in every scenario")
            }
        case .param, .let, .decision, .policy, .event, .reaction, .population:
            if let name = item.declaredName {
                if let first = scenarioDeclared[s]?[name.text] {
                    error("'\(name.text)' is declared twice in scenario '\(program.scenarios[s].name)'", file, name.span,
                          hint: "the first is at \(first.position); keep one")
                    return
                }
                scenarioDeclared[s, default: [:]][name.text] = SourceRef(file, name.span)
            }
            guard let name = item.declaredName else {
                collectSignature(item, file, scenario: s) // an unnamed reaction: an addition
                return
            }
            guard let existing = lookupSymbol(name.text, scenario: parent) else {
                collectSignature(item, file, scenario: s)
                return
            }
            redeclare(item, existing, file, scenario: s)
        case .scenario:
            error("a scenario cannot be declared inside another", file, item.span)
        default:
            error("a scenario holds declarations and 'cancel'; run queries outside it", file, item.span,
                  hint: "write the query after the scenario, with 'under'")
        }
    }

    /// A declaration in a scenario that replaces one of the same name (§9.16).
    func redeclare(_ item: Statement, _ existing: Symbol, _ file: SourceFile, scenario s: Int) {
        let name = item.declaredName ?? Name("?")
        func mismatch(_ what: String) {
            error("'\(name.text)' is \(existing.what); a scenario can only replace it with \(what)", file, name.span)
        }
        switch (item.kind, existing) {
        case (.param(let d), .param(let p)):
            if let t = d.type, resolveType(t, file) != program.params[p].type {
                error("'\(name.text)' keeps its type (\(program.describe(program.params[p].type))) in a scenario", file, t.span)
            }
            pendingParams.append((p, d, file, s, false))
        case (.let(let d), .letDef(let l)):
            let types = d.parameters.map { $0.map { resolveType($0.type, file) } }
            if types != program.lets[l].parameterTypes {
                error("'\(name.text)' must keep its parameters in a scenario", file, name.span)
                return
            }
            if let t = d.type, letTypeState[l] == true, resolveType(t, file) != program.lets[l].type {
                error("'\(name.text)' keeps its type (\(program.describe(program.lets[l].type))) in a scenario", file, t.span)
                return
            }
            pendingLets.append((l, -1, d, SourceRef(file, d.name.span), s))
        case (.decision(let d), .decision(let id)):
            let info = program.decisions[id]
            let caseType = d.parameters.count == 1 ? resolveType(d.parameters[0].type, file) : .error
            if resolveType(d.type, file) != info.type || caseType != .record(info.caseType) {
                error("'\(name.text)' keeps its case and answer types (\(program.records[max(0, info.caseType)].name) → \(program.describe(info.type))) in a scenario",
                      file, name.span)
                return
            }
            pendingDecisions.append((id, d, file, s))
        case (.policy(let d), .policy(let id)):
            let types = d.parameters.map { $0.map { resolveType($0.type, file) } }
            if (types ?? []) != (program.policies[id].parameterTypes ?? []) {
                error("'\(name.text)' must keep its parameters in a scenario", file, name.span)
                return
            }
            pendingPolicies.append((id, d, file, s))
        case (.event(let d), .event(let id)):
            pendingEvents.append((id, d, file, s))
        case (.reaction(let d), .reaction(let id)):
            pendingReactions.append((id, d, file, s, SourceRef(file, item.span)))
        case (.population(let d), .population(let id)):
            if case .record(let r)? = types[d.record.text], r != program.populations[id].record {
                error("population '\(name.text)' keeps its record type in a scenario", file, d.record.span)
                return
            }
            pendingPopulations.append((id, d, file, s, item.span))
        case (.param, _): mismatch("another param")
        case (.let, _): mismatch("another let")
        case (.decision, _): mismatch("another decision")
        case (.policy, _): mismatch("another policy")
        case (.event, _): mismatch("another event")
        case (.reaction, _): mismatch("another reaction")
        default: mismatch("a declaration of the same kind")
        }
    }

    // MARK: - Recursion (§9.11)

    /// The scenario whose version of a declaration is in use in scenario `s` (nil: none).
    func activeScenario(_ s: Int, _ keyPath: KeyPath<ScenarioInfo, [Int: Int]>, _ id: Int) -> Int? {
        var x: Int? = s
        while let t = x {
            if let v = program.scenarios[t][keyPath: keyPath][id] { return v < 0 ? nil : t }
            x = t == 0 ? nil : program.scenarios[t].parent ?? 0
        }
        return nil
    }

    func isActive(_ owner: EdgeOwner, in s: Int) -> Bool {
        switch owner {
        case .letDef(let l, let t): return activeScenario(s, \.lets, l) == t
        case .param(let p, let t): return activeScenario(s, \.params, p) == t
        case .decisionDefault(let d, let t): return activeScenario(s, \.decisions, d) == t
        case .policy(let p, let t): return activeScenario(s, \.policies, p) == t
        }
    }

    /// No recursion (§9.11): in each scenario, the definitions in use may not refer to one
    /// another in a cycle. Every distinct cycle is reported once. A continued check looks only
    /// from the definitions it added: the earlier ones were free of cycles, and cannot refer to
    /// the new ones, so a new cycle goes through a new definition.
    func checkCycles(startingAt continuation: Continuation?) {
        var reported = Set<Set<DefNode>>()
        func name(_ n: DefNode) -> String {
            switch n {
            case .letDef(let l): return program.lets[l].name
            case .decision(let d): return program.decisions[d].name
            case .param(let p): return program.params[p].name
            }
        }
        for s in [0] + scenarioOrder() {
            var state: [DefNode: Int] = [:] // 1: on the stack, 2: done
            var stack: [DefNode] = []
            func visit(_ n: DefNode) {
                if state[n] == 2 { return }
                state[n] = 1
                stack.append(n)
                for e in edges[n] ?? [] where isActive(e.owner, in: s) {
                    if state[e.to] == 1 {
                        guard let start = stack.firstIndex(of: e.to) else { continue }
                        let members = Set(stack[start...])
                        if reported.insert(members).inserted {
                            let chain = stack[start...].map(name) + [name(e.to)]
                            error("cycle: \(chain.joined(separator: " → "))", e.at,
                                  hint: "lets and decisions cannot depend on themselves; break the chain with a param or a new decision")
                        }
                    } else if state[e.to] == nil {
                        visit(e.to)
                    }
                }
                stack.removeLast()
                state[n] = 2
            }
            // Start from the definition written first, so the chain reads in source order.
            func key(_ n: DefNode) -> (Int, UInt32) {
                let src: SourceRef?
                switch n {
                case .letDef(let l): src = program.lets[l].versions.first?.source
                case .decision(let d): src = program.decisions[d].versions.first?.source
                case .param(let p): src = program.params[p].versions.first?.source
                }
                guard let src else { return (Int.max, 0) }
                return (program.files.firstIndex { $0 === src.file } ?? Int.max, src.span.start)
            }
            let nodes = edges.keys.filter { continuation?.isNew($0) ?? true }.sorted { key($0) < key($1) }
            for n in nodes where state[n] == nil { visit(n) }
        }
        // A continued check adds no policy, so no `overrides`.
        if continuation == nil { checkOverrideCycles() }
    }

    /// `overrides` may not form a cycle (§9.14).
    func checkOverrideCycles() {
        var reported = Set<Set<Int>>()
        for s in [0] + scenarioOrder() {
            var targets: [Int: [(Int, SourceRef)]] = [:]
            for (p, info) in program.policies.enumerated() {
                guard let t = activeScenario(s, \.policies, p), let v = program.scenarios[t].policies[p], v >= 0 else { continue }
                targets[p] = info.versions[v].overrides.map { ($0.policy, $0.source) }
            }
            var state: [Int: Int] = [:]
            var stack: [Int] = []
            func visit(_ p: Int) {
                state[p] = 1
                stack.append(p)
                for (q, src) in targets[p] ?? [] where q != p {
                    if state[q] == 1, let start = stack.firstIndex(of: q) {
                        let members = Set(stack[start...])
                        if reported.insert(members).inserted {
                            let chain = (stack[start...] + [q]).map { program.policies[$0].name }
                            error("cycle of overrides: \(chain.joined(separator: " → "))", src,
                                  hint: "'overrides' must go one way; remove it from one of these policies")
                        }
                    } else if state[q] == nil {
                        visit(q)
                    }
                }
                stack.removeLast()
                state[p] = 2
            }
            for p in targets.keys.sorted() where state[p] == nil { visit(p) }
        }
    }
}
