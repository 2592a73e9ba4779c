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
                error("unknown scenario '\(p.text)'", file, p.span, hint: Suggest.hint(p.text, program.scenarios.map(\.name)))
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
    func scenarioOrder() -> [Int] {
        var order: [Int] = []
        var done: Set<Int> = [0]
        func visit(_ s: Int, _ depth: Int) {
            guard !done.contains(s), depth < program.scenarios.count + 1 else { return }
            if let p = program.scenarios[s].parent { visit(p, depth + 1) }
            done.insert(s)
            order.append(s)
        }
        for s in program.scenarios.indices { visit(s, 0) }
        return order
    }

    func scenarioItem(_ item: Statement, _ file: SourceFile, scenario s: Int) {
        let parent = program.scenarios[s].parent ?? 0
        switch item.kind {
        case .cancel(let ref):
            switch lookupSymbol(ref.name.text, scenario: parent) {
            case .event(let e)?: program.scenarios[s].events[e] = -1
            case .reaction(let r)?: program.scenarios[s].reactions[r] = -1
            case .policy(let p)?:
                if ref.arguments != nil {
                    error("'cancel' removes a whole policy; to stop one instance, cancel the event that enacts it", file, ref.span,
                          hint: "write cancel \(ref.name.text)")
                }
                program.scenarios[s].policies[p] = -1
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
                      hint: Suggest.hint(ref.name.text, names) ?? "'cancel' names an event, policy or reaction of the scenario this one starts from")
            }
        case .jurisdiction, .jurisdictionsFrom, .agency, .record, .enumDecl, .attributes:
            error("a scenario cannot declare jurisdictions, agencies, records or enums", file, item.span,
                  hint: "declare them at the top level; scenarios change params, lets, decisions, policies, events, reactions and populations")
        case .param, .let, .decision, .policy, .event, .reaction, .population:
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
            pendingPopulations.append((id, d, file, s))
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

    func checkCycles() {
        var state: [DefNode: Int] = [:] // 1: on the stack, 2: done
        var stack: [(DefNode, SourceRef?)] = []
        var reported = false
        func name(_ n: DefNode) -> String {
            switch n {
            case .letDef(let l): return program.lets[l].name
            case .decision(let d): return program.decisions[d].name
            }
        }
        func visit(_ n: DefNode, via: SourceRef?) {
            guard !reported else { return }
            if state[n] == 2 { return }
            if state[n] == 1 {
                guard let start = stack.firstIndex(where: { $0.0 == n }) else { return }
                let chain = stack[start...].map { name($0.0) } + [name(n)]
                if let at = via {
                    error("cycle: \(chain.joined(separator: " → "))", at,
                          hint: "lets and decisions cannot depend on themselves; break the chain with a param or a new decision")
                }
                reported = true
                return
            }
            state[n] = 1
            stack.append((n, via))
            for (next, src) in edges[n] ?? [] { visit(next, via: src) }
            stack.removeLast()
            state[n] = 2
        }
        let nodes = edges.keys.sorted { "\($0)" < "\($1)" }
        for n in nodes { visit(n, via: nil) }
    }
}
