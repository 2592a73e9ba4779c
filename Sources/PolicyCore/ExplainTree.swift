// `explain` as data (`--format json`): for each scenario, the value and the tree of decisions
// that produced it, each with the case it was asked about, the policies in force with their
// answers, the draws it made and the decisions it asked first:
//
//     {"scenarios": [{"scenario": "baseline", "value": "transferred", "decisions": [
//        {"decision": "outcome", "value": "transferred", "decided_by": "default (pipeline.policy:90)",
//         "case": {…}, "default": true, "candidates": [], "chances": [], "asked": [ … ]}]}],
//      "difference": {"decision": "honored", "scenario": "trust_act_2012", …, "baseline": {…}}}
//
// `difference` (with two scenarios) is the first decision whose derivations part, as a
// compare's attribution gives it; null when none does.

extension ExplainRenderer {
    /// One scenario's side: its value, its decision trees and the draws made outside any decision.
    func jsonSide(_ scenario: Int, _ value: Value, _ recorder: Recorder) -> String {
        let decisions = recorder.roots.map(jsonNode).joined(separator: ", ")
        let loose = recorder.looseChances.map(jsonChance).joined(separator: ", ")
        return "{\"scenario\": \(q(program.scenarios[scenario].name)), \"value\": \(f.json(value)), \"text\": \(q(f.format(value))), "
            + "\"decisions\": [\(decisions)], \"chances\": [\(loose)]}"
    }

    func jsonNode(_ t: DecisionTrace) -> String {
        var m: [(String, String)] = [
            ("decision", q(program.decisions[t.decision].name)),
            ("value", t.value.map(f.json) ?? "null"),
            ("text", q(t.value.map(f.format) ?? "?")),
            ("decided_by", q(decidedBy(t))),
            ("case", f.json(.record(t.caseRecord))),
            ("default", t.usedDefault ? "true" : "false"),
            ("combiner", q(t.combiner.rawValue)),
        ]
        if let d = t.defaultSource { m.append(("default_rule", q(d.shortPosition))) }
        m.append(("candidates", "[" + t.candidates.map(jsonCandidate).joined(separator: ", ") + "]"))
        m.append(("chances", "[" + t.chances.map(jsonChance).joined(separator: ", ") + "]"))
        m.append(("asked", "[" + t.children.map(jsonNode).joined(separator: ", ") + "]"))
        return object(m)
    }

    func jsonCandidate(_ c: DecisionTrace.Candidate) -> String {
        var m: [(String, String)] = [
            ("policy", q(program.policies[c.instance.policy].name)),
            ("instance", q(InstanceNaming.name(program, c.instance))),
            ("owner", q(c.owner)),
            ("answer", c.answer.map(f.json) ?? "null"),
            ("rule", c.rule.map { q($0.shortPosition) } ?? "null"),
        ]
        let since = c.inForceSince.flatMap { $0 == InForce.minusInfinity ? nil : $0 }
        m.append(("in_force_since", since.map { q(date($0)) } ?? "null"))
        m.append(("enacted_by", c.enactedBy.map(q) ?? "null"))
        m.append(("enacted_on", c.enactedOn.map { q(date($0)) } ?? "null"))
        m.append(("dropped", c.dropped.map(q) ?? "null"))
        return object(m)
    }

    func jsonChance(_ d: ChanceDraw) -> String {
        object([("call", q(d.call)), ("stream", q(d.stream)), ("drawn", d.drawn.isFinite ? "\(d.drawn)" : "null"),
                ("probability", d.probability.isFinite ? "\(d.probability)" : "null"), ("outcome", d.outcome ? "true" : "false")])
    }

    /// Where two derivations part (as a compare's attribution names it), or `null`.
    func jsonDifference(_ a: DecisionTrace?, _ b: DecisionTrace?, _ s1: Int, _ s2: Int) -> String {
        guard let a, let b else { return "null" }
        let side = { (t: DecisionTrace, s: Int) -> [(String, String)] in
            let x = Attribution.Side(t, scenario: self.program.scenarios[s].name, self)
            var m: [(String, String)] = [("scenario", self.q(x.scenario)), ("value", x.valueJSON), ("text", self.q(x.value))]
            if x.isDefault { m.append(("default", "true")) }
            for part in x.namedParts { m.append((part.name, self.q(part.value))) }
            return m
        }
        return object([("decision", q(program.decisions[a.decision].name))] + side(b, s2) + [("baseline", object(side(a, s1)))])
    }

    private func q(_ s: String) -> String { ValueFormatter.jsonString(s) }

    private func object(_ m: [(String, String)]) -> String {
        "{" + m.map { "\(q($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
