import PolicyCore
import PolicySyntax

/// `:help NAME`: what a declared name is, its signature, and its `##` documentation.
struct HelpText {
    let program: Program

    /// Every declared name, for suggestions.
    var allNames: [String] {
        let p = program
        return p.decisions.map(\.name) + p.policies.map(\.name) + p.lets.map(\.name) + p.params.map(\.name)
            + p.jurisdictions.names + p.events.map(\.name) + p.scenarios.map(\.name) + p.records.map(\.name)
            + p.enums.map(\.name) + p.populations.map(\.name) + p.reactions.filter(\.isNamed).map(\.name)
    }

    /// What `name` is, or nil when nothing is declared by that name.
    func describe(_ name: String) -> String? {
        let p = program
        var lines: [String] = []
        func doc(_ d: String?) { if let d { lines += d.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 } } }
        if let d = p.decisions.first(where: { $0.name == name }) {
            let caseName = d.caseType >= 0 ? p.records[d.caseType].name : "?"
            lines.append("decision \(d.name)(\(d.parameterName): \(caseName)): \(p.describe(d.type))")
            if let v = d.versions.first { lines.append("  combine \(v.combiner.rawValue); declared at \(v.source.position)") }
            doc(d.doc)
            let rules = p.policies.filter { $0.versions.contains { $0.rules.contains { r in p.decisions[r.decision].name == name } } }
            if !rules.isEmpty { lines.append("  policies with rules for it: \(rules.map(\.name).joined(separator: ", "))") }
        } else if let pol = p.policies.first(where: { $0.name == name }), let v = pol.versions.first {
            lines.append("policy \(pol.name)\(pol.parameterTypes.map { "(" + zip(pol.parameterNames, $0).map { "\($0): \(p.describe($1))" }.joined(separator: ", ") + ")" } ?? "")")
            if let l = v.label { lines.append("  \"\(l)\"") }
            lines.append("  declared at \(v.source.position)\(v.proposed ? "; proposed" : "")")
            doc(pol.doc)
            // Its rules as written.
            for rule in v.rules {
                let text = rule.source.file.text(rule.source.span)
                lines.append("  " + text.split(separator: "\n").map { String($0.drop(while: { $0 == " " })) }.joined(separator: " "))
            }
        } else if let l = p.lets.first(where: { $0.name == name }) {
            lines.append("let \(l.name)\(l.parameterTypes.map { "(" + zip(l.parameterNames, $0).map { "\($0): \(p.describe($1))" }.joined(separator: ", ") + ")" } ?? ""): \(p.describe(l.type))")
            doc(l.doc)
        } else if let par = p.params.first(where: { $0.name == name }) {
            lines.append("param \(par.name): \(p.describe(par.type)) = \(ValueFormatter(p).format(p.baseline.paramInitial[p.params.firstIndex { $0.name == name } ?? 0]))")
            doc(par.doc)
        } else if let j = p.jurisdictions.byName[name] {
            let t = p.jurisdictions
            var head = "jurisdiction \(name): \(p.enums[Program.kindEnum].members[Int(t.kinds[Int(j)])])"
            if t.parents[Int(j)] >= 0 { head += " in \(t.names[Int(t.parents[Int(j)])])" }
            if let l = t.labels[Int(j)] { head += " \"\(l)\"" }
            lines.append(head)
            doc(t.docs[Int(j)])
        } else if let e = p.events.first(where: { $0.name == name }), let v = e.versions.first {
            lines.append("event \(e.name)\(v.label.map { " \"\($0)\"" } ?? ""), declared at \(v.source.position)")
            doc(e.doc)
        } else if let r = p.reactions.first(where: { $0.name == name && $0.isNamed }), let v = r.versions.first {
            // The reaction as written, up to its effects: `when EVENT` or `when J in … where COND`.
            let text = v.source.file.text(v.source.span)
            let head = text.prefix { $0 != "{" }.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            lines.append("reaction \(r.name): \(head), declared at \(v.source.position)")
        } else if let s = p.scenarios.first(where: { $0.name == name }) {
            let parent = s.parent.map { " from \(p.scenarios[$0].name)" } ?? ""
            lines.append("scenario \(s.name)\(parent)\(s.label.map { " \"\($0)\"" } ?? "")")
            doc(s.doc)
            // What it changes, by kind: re-declared (or added), or cancelled.
            func changes(_ kind: String, _ versions: [Int: Int], _ names: [String]) {
                for (i, v) in versions.sorted(by: { $0.key < $1.key }) where i < names.count {
                    lines.append("  \(v < 0 ? "cancels" : "sets") \(kind) \(names[i])")
                }
            }
            // A param it sets, with the value it has there.
            let world = p.scenarioIndex(s.name).flatMap { $0 < p.worlds.count ? p.worlds[$0] : nil }
            for (i, v) in s.params.sorted(by: { $0.key < $1.key }) where i < p.params.count {
                let value = world.map { i < $0.paramInitial.count ? " = " + ValueFormatter(p).format($0.paramInitial[i]) : "" } ?? ""
                lines.append("  \(v < 0 ? "cancels" : "sets") param \(p.params[i].name)\(v < 0 ? "" : value)")
            }
            changes("let", s.lets, p.lets.map(\.name))
            changes("decision", s.decisions, p.decisions.map(\.name))
            changes("policy", s.policies, p.policies.map(\.name))
            changes("event", s.events, p.events.map(\.name))
            changes("reaction", s.reactions, p.reactions.map(\.name))
            changes("population", s.populations, p.populations.map(\.name))
            for c in s.cancelledInstances where c.policy < p.policies.count {
                lines.append("  cancels an instance of policy \(p.policies[c.policy].name)")
            }
        } else if let r = p.records.first(where: { $0.name == name }) {
            lines.append("record \(r.name) { \(r.fields.map { "\($0.name): \(p.describe($0.type))" }.joined(separator: ", ")) }")
            doc(r.doc)
        } else if let e = p.enums.first(where: { $0.name == name }) {
            lines.append("enum \(e.name) { \(e.members.joined(separator: ", ")) }")
            doc(e.doc)
        } else if let pop = p.populations.first(where: { $0.name == name }) {
            lines.append("population \(pop.name) of \(p.records[max(0, pop.record)].name)")
            doc(pop.doc)
        } else {
            return nil
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
