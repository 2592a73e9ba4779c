import PolicySyntax

/// Lays out derivations (§5 `explain`), differences between scenarios, timelines and status.
public struct ExplainRenderer {
    public let program: Program
    var f: ValueFormatter { ValueFormatter(program) }

    public init(program: Program) {
        self.program = program
    }

    func date(_ d: Int32) -> String {
        d == InForce.minusInfinity ? "the start" : d == InForce.plusInfinity ? "the end" : f.format(.date(d))
    }

    /// `explain EXPR [under S1, S2]`: as text, and as data (see ExplainTree).
    func explain(_ e: Eval, scenarios: [Int], current: Int, _ frame: inout Frame) throws -> (text: String, json: String) {
        if scenarios.count >= 2 {
            return try difference(e, scenarios[0], scenarios[1], &frame)
        }
        let s = scenarios.first ?? current
        frame.world = program.worlds[s]
        let recorder = Recorder()
        frame.recorder = recorder
        defer { frame.recorder = nil }
        let value = try e(&frame)
        var out = "= \(f.format(value))"
        if s != 0 { out += "   (under \(program.scenarios[s].name))" }
        out += "\n"
        if recorder.roots.isEmpty {
            out += "  (no decision was evaluated)\n"
        }
        for (i, t) in recorder.roots.enumerated() {
            out += tree(t, prefix: "", last: i == recorder.roots.count - 1 && recorder.looseChances.isEmpty)
        }
        for (i, draw) in recorder.looseChances.enumerated() {
            out += "\(i == recorder.looseChances.count - 1 ? "└─ " : "├─ ")\(chanceLine(draw))\n"
        }
        return (out, "{\"scenarios\": [\(jsonSide(s, value, recorder))]}")
    }

    /// One decision and what decided it, as an indented tree: the decisions it asked first,
    /// then the policies that answered (or the default).
    func tree(_ t: DecisionTrace, prefix: String, last: Bool, parentCase: RecordValue? = nil) -> String {
        let info = program.decisions[t.decision]
        let branch = last ? "└─ " : "├─ "
        let more = prefix + (last ? "   " : "│  ")
        var out = "\(prefix)\(branch)\(info.name) = \(t.value.map(f.format) ?? "?")    \(decidedBy(t))\n"
        // The case is shown where it changes (a nested decision about the same case does not repeat it).
        if parentCase.map({ !($0 === t.caseRecord || $0 == t.caseRecord) }) ?? true {
            out += "\(more)case: \(caseSummary(t.caseRecord))\n"
        }
        var items: [String] = []
        for c in t.candidates {
            var line = who(c)
            if let a = c.answer {
                line += " → \(f.format(a))"
                if let r = c.rule { line += "    \(r.shortPosition)" }
            } else {
                line += " → no rule applied (every 'when' was false)"
            }
            var detail = "in force since \(c.inForceSince.map(date) ?? "?")"
            if let by = c.enactedBy, let on = c.enactedOn { detail += " (enacted by \(origin(by)), \(date(on)))" }
            if let dropped = c.dropped { detail += "; \(dropped)" }
            items.append(line + "\n" + detail)
        }
        // The draws come first: the rules' `when`s read them before any answer is chosen.
        items.insert(contentsOf: t.chances.map(chanceLine), at: 0)
        if t.usedDefault {
            items.append("default → \(t.value.map(f.format) ?? "?")\(t.defaultSource.map { "    \($0.shortPosition)" } ?? "")\n" +
                         (t.candidates.isEmpty ? "no policy in force here has a rule for \(info.name)" : "no policy answered"))
        }
        let children = t.children
        let total = items.count + children.count
        var k = 0
        for c in children {
            k += 1
            out += tree(c, prefix: more, last: k == total, parentCase: t.caseRecord)
        }
        for item in items {
            k += 1
            let isLast = k == total
            let lines = item.split(separator: "\n", omittingEmptySubsequences: false)
            out += "\(more)\(isLast ? "└─ " : "├─ ")\(lines[0])\n"
            for l in lines.dropFirst() { out += "\(more)\(isLast ? "   " : "│  ")   \(l)\n" }
        }
        return out
    }

    /// `chance(30%) [stream "detain"] drew 0.2741 < 0.30 → true`
    func chanceLine(_ d: ChanceDraw) -> String {
        "\(d.call) [stream \(Formatter.quote(d.stream))] drew \(NumberText.fixed(d.drawn, decimals: 4)) "
            + "\(d.outcome ? "<" : "≥") \(NumberText.fixed(d.probability, decimals: 2, upTo: 6)) → \(d.outcome)"
    }

    /// "priorities_2012 (ice) at federal.policy:18" / "default" / "combine deny_overrides: false wins".
    public func decidedBy(_ t: DecisionTrace) -> String {
        if t.usedDefault { return "default\(t.defaultSource.map { " (\($0.shortPosition))" } ?? "")" }
        let answered = t.candidates.filter { $0.answer != nil && $0.dropped == nil }
        if answered.count == 1, let c = answered.first {
            return "decided by \(who(c))\(c.rule.map { " at \($0.shortPosition)" } ?? "")"
        }
        return "combine \(t.combiner.rawValue): \(t.choice)"
    }

    func caseSummary(_ c: RecordValue) -> String {
        let info = program.records[c.type]
        var parts: [String] = []
        for (field, v) in zip(info.fields, c.fields) {
            if field.name == "date" || field.name == "jurisdiction" { parts.append("\(field.name) \(f.format(v))"); continue }
            // Show fields that differ from false/first member/0 — the interesting ones.
            switch v {
            case .bool(false), .int(0): continue
            default: parts.append("\(field.name) \(f.format(v))")
            }
        }
        return parts.joined(separator: ", ")
    }

    // MARK: - Differences

    func difference(_ e: Eval, _ s1: Int, _ s2: Int, _ frame: inout Frame) throws -> (text: String, json: String) {
        let n1 = program.scenarios[s1].name, n2 = program.scenarios[s2].name
        let r1 = Recorder(), r2 = Recorder()
        frame.world = program.worlds[s1]
        frame.recorder = r1
        let v1 = try e(&frame)
        frame.world = program.worlds[s2]
        frame.recorder = r2
        let v2 = try e(&frame)
        frame.recorder = nil
        var out = "under \(n1): \(f.format(v1))\nunder \(n2): \(f.format(v2))\n"
        let parted = Self.firstDifference(r1.roots, r2.roots)
        let json = "{\"scenarios\": [\(jsonSide(s1, v1, r1)), \(jsonSide(s2, v2, r2))], \"difference\": \(jsonDifference(parted?.0, parted?.1, s1, s2))}"
        guard let (a, b) = parted else {
            out += v1 == v2 ? "The derivations agree: no decision differs.\n" : "The values differ, but no decision does (the difference is outside the rules).\n"
            return (out + chanceSection(r1, n1) + chanceSection(r2, n2), json)
        }
        let info = program.decisions[a.decision]
        out += "They part at \(info.name) (\(caseSummary(a.caseRecord))):\n"
        out += "  \(n1): \(info.name) = \(a.value.map(f.format) ?? "?"), \(decidedBy(a))\n"
        out += "  \(n2): \(info.name) = \(b.value.map(f.format) ?? "?"), \(decidedBy(b))\n"
        let date = a.caseRecord.fields[program.records[a.caseRecord.type].dateField ?? 0].asDate
        // Policies in force in one and not the other, and the events behind them.
        let in1 = Set(a.candidates.map(\.instance)), in2 = Set(b.candidates.map(\.instance))
        for c in b.candidates where !in1.contains(c.instance) {
            out += "  in \(n2), \(who(c)) is in force from \(c.inForceSince.map(self.date) ?? "?")"
            if let by = c.enactedBy, let on = c.enactedOn { out += ", enacted by \(origin(by)) (\(self.date(on)))" }
            out += "; in \(n1) \(whenInForce(c.instance, program.worlds[s1], date))\n"
        }
        for c in a.candidates where !in2.contains(c.instance) {
            out += "  in \(n1), \(who(c)) is in force from \(c.inForceSince.map(self.date) ?? "?")"
            if let by = c.enactedBy, let on = c.enactedOn { out += ", enacted by \(origin(by)) (\(self.date(on)))" }
            out += "; in \(n2) \(whenInForce(c.instance, program.worlds[s2], date))\n"
        }
        if in1 == in2 {
            out += "  The same policies are in force in both; their answers differ"
            let changed = changedDefinitions(program.worlds[s1], program.worlds[s2])
            out += changed.isEmpty ? " (an attribute or param changed by events).\n" : ": \(n2) changes \(changed.joined(separator: ", ")).\n"
        }
        return (out + chanceSection(r1, n1) + chanceSection(r2, n2), json)
    }

    /// Every draw one side of a difference made, each with the decision that made it
    /// (the draws are the same numbers in both scenarios; which draws are made may differ).
    func chanceSection(_ recorder: Recorder, _ scenario: String) -> String {
        var lines: [String] = []
        func visit(_ t: DecisionTrace) {
            for c in t.children { visit(c) }
            for d in t.chances { lines.append("  \(program.decisions[t.decision].name): \(chanceLine(d))") }
        }
        recorder.roots.forEach(visit)
        lines += recorder.looseChances.map { "  \(chanceLine($0))" }
        return lines.isEmpty ? "" : "Chance draws under \(scenario):\n" + lines.joined(separator: "\n") + "\n"
    }

    /// `detainer_ban(cook)` — with its owner in parentheses only when the name does not
    /// already say it.
    func who(_ c: DecisionTrace.Candidate) -> String {
        let name = InstanceNaming.name(program, c.instance)
        return name.contains("(\(c.owner))") ? name : "\(name) (\(c.owner))"
    }

    /// "event trust_act_signed" or "reaction trust_collapse".
    func origin(_ name: String) -> String {
        program.events.contains { $0.name == name } ? "event \(name)" : program.reactions.contains { $0.name == name } ? "reaction \(name)" : name
    }

    /// Declarations whose version differs between two worlds (what a scenario re-declared).
    func changedDefinitions(_ a: World, _ b: World) -> [String] {
        var out: [String] = []
        for (i, p) in program.params.enumerated() where a.paramVersion[i] != b.paramVersion[i] { out.append("param '\(p.name)'") }
        for (i, l) in program.lets.enumerated() where a.letVersion[i] != b.letVersion[i] { out.append("let '\(l.name)'") }
        for (i, d) in program.decisions.enumerated() where a.decisionVersion[i] != b.decisionVersion[i] { out.append("decision '\(d.name)'") }
        for (i, p) in program.policies.enumerated() where a.policyVersion[i] != b.policyVersion[i] { out.append("policy '\(p.name)'") }
        return out
    }

    /// How an instance stands in a world, relative to a date.
    func whenInForce(_ instance: PolicyInstance, _ world: World, _ date: Int32) -> String {
        guard world.policyVersion[instance.policy] >= 0 else { return "it is cancelled" }
        guard let s = world.instances[instance] else { return "it is never in force" }
        let state = world.instanceStates[s]
        if let next = state.inForce.pieces.first(where: { $0.start > date }) {
            var text = "it is not in force until \(self.date(next.start))"
            if let by = next.enactedBy, let on = next.enactedOn { text += " (enacted by \(by), \(self.date(on)))" }
            return text
        }
        if let last = state.inForce.pieces.last(where: { $0.end <= date }) {
            return "it stopped being in force on \(self.date(last.end))"
        }
        return "it is not in force on that date"
    }

    /// The first pair of decisions (in evaluation order) whose answers differ, preferring
    /// the deepest cause.
    static func firstDifference(_ xs: [DecisionTrace], _ ys: [DecisionTrace]) -> (DecisionTrace, DecisionTrace)? {
        for (a, b) in zip(xs, ys) where a.decision == b.decision {
            if a.value != b.value || a.children.count != b.children.count {
                if let deeper = firstDifference(a.children, b.children) { return deeper }
                if a.value != b.value { return (a, b) }
            }
            if let deeper = firstDifference(a.children, b.children) { return deeper }
        }
        return nil
    }

    // MARK: - Timeline and status

    func timeline(_ world: World, from: Int32?, until: Int32?, for j: Int32?) -> String {
        let table = program.jurisdictions
        var out = "timeline\(world.scenario == 0 ? "" : " under \(world.name)")\n"
        var any = false
        for entry in world.timeline {
            if let from, entry.date < from { continue }
            if let until, entry.date >= until { continue }
            if let j, !entry.jurisdictions.contains(where: { table.within(j, $0) || table.within($0, j) }) { continue }
            any = true
            var head = "\(date(entry.date))  \(entry.event)"
            if let o = entry.owner { head += " (\(o))" }
            if let l = entry.label { head += "  \"\(l)\"" }
            if entry.origin != "declared" { head += "  [\(entry.origin)]" }
            out += head + "\n"
            for e in entry.effects { out += "            \(e)\n" }
        }
        if !any { out += "  (no events)\n" }
        let cancelled = world.cancelled.subtracting(world.scenario == 0 ? [] : []).sorted()
        if !cancelled.isEmpty { out += "cancelled in this scenario: \(cancelled.joined(separator: ", "))\n" }
        return out
    }

    func status(_ world: World, _ j: Int32, at d: Int32?) -> String {
        let table = program.jurisdictions
        let lastEvent = world.timeline.last?.date
        let day = d ?? lastEvent ?? 0
        var out = "\(table.names[Int(j)])"
        if let l = table.labels[Int(j)] { out += " — \(l)" }
        out += " (\(program.enums[Program.kindEnum].members[Int(table.kinds[Int(j)])]))"
        if d == nil { out += lastEvent == nil ? "" : ", after the last event (\(date(day)))" } else { out += " on \(date(day))" }
        if world.scenario != 0 { out += " under \(world.name)" }
        out += "\n"
        var policies: [String] = []
        for state in world.instanceStates where table.within(j, state.territory) {
            guard world.policyVersion[state.instance.policy] >= 0, let piece = state.inForce.piece(at: day) else { continue }
            let info = program.policies[state.instance.policy]
            let own = state.territory == j ? "" : ", inherited from \(table.names[Int(state.territory)])"
            var line = "  \(InstanceNaming.name(program, state.instance))\(own): in force since \(date(state.inForce.periodStart(at: day) ?? piece.start))"
            if let by = piece.enactedBy { line += " (enacted by \(by))" }
            if let label = info.versions[world.policyVersion[state.instance.policy]].label { line += "  \"\(label)\"" }
            policies.append(line)
        }
        out += policies.isEmpty ? "policies in force: none\n" : "policies in force:\n" + policies.joined(separator: "\n") + "\n"
        if !program.attributes.isEmpty {
            out += "attributes:\n"
            for (a, attr) in program.attributes.enumerated() {
                let v = world.attribute(j, a, on: d == nil && lastEvent == nil ? nil : day)
                out += "  \(attr.name) = \(f.format(v))\n"
            }
        }
        return out
    }
}
