import PolicyCore

// A compare's attribution as data — the same objects in `--format json`, in a table written
// to a `.json` file and in shard files:
//
//     {"cases": 178, "decision": "honored",
//      "scenario": "trust_act_2012", "value": false, "text": "false", "policy": "trust_act", "instance": "trust_act",
//      "owner": "california", "since": "2013-01-01", "event": "trust_act_signed_2012", "event_kind": "event",
//      "baseline": {"scenario": "baseline", "value": true, "text": "true", "default": true}}
//
// `value` is the decision's value as JSON, `text` as the tables print it. A case that differs although no
// decision does has `"decision": null` and a `note`.

enum AttributionJSON {
    static func encode(_ s: Attribution.Side) -> [(String, JSONValue)] {
        let value = (try? JSONValue.parse(s.valueJSON)) ?? .string(s.value)
        var m: [(String, JSONValue)] = [("scenario", .string(s.scenario)), ("value", value), ("text", .string(s.value))]
        if s.isDefault { m.append(("default", .bool(true))) }
        for part in s.namedParts { m.append((part.name, .string(part.value))) }
        return m
    }

    static func side(_ j: JSONValue) -> Attribution.Side? {
        guard let scenario = j["scenario"]?.string, let value = j["value"], let text = j["text"]?.string else { return nil }
        let isDefault: Bool = j["default"]?.bool ?? false
        return Attribution.Side(scenario: scenario, value: text, valueJSON: value.text, isDefault: isDefault,
                                policy: j["policy"]?.string, instance: j["instance"]?.string, owner: j["owner"]?.string,
                                since: j["since"]?.string, enactedBy: j["event"]?.string, enactedKind: j["event_kind"]?.string)
    }

    /// The alternative's side flat in the object, the first scenario's under `baseline`.
    static func encode(_ a: Attribution) -> [(String, JSONValue)] {
        guard let decision = a.decision, let scenario = a.scenario, let baseline = a.baseline else {
            return [("decision", .null), ("note", .string(a.note ?? ""))]
        }
        var m: [(String, JSONValue)] = [("decision", .string(decision))]
        m += encode(scenario)
        m.append(("baseline", .object(encode(baseline))))
        return m
    }

    static func attribution(_ j: JSONValue) -> Attribution? {
        if let decision = j["decision"]?.string {
            guard let scenario = side(j), let base = j["baseline"], let baseline = side(base) else { return nil }
            return Attribution(decision: decision, scenario: scenario, baseline: baseline)
        }
        guard let note = j["note"]?.string else { return nil }
        return Attribution(note: note)
    }

    static func encode(_ a: AttributedCases) -> JSONValue {
        var m: [(String, JSONValue)] = []
        if let point = a.point { m.append(("point", .string(point))) }
        m.append(("cases", .int(a.cases)))
        return .object(m + encode(a.reason))
    }

    static func encode(_ d: UnitPartial.Differing) -> JSONValue {
        .object([("alternative", .int(d.alternative)), ("count", .int(d.count)), ("reason", .object(encode(d.reason)))])
    }

    static func differing(_ j: JSONValue) -> UnitPartial.Differing? {
        guard let a: Int = j["alternative"]?.int, let n: Int = j["count"]?.int, let r = j["reason"], let reason = attribution(r) else { return nil }
        return UnitPartial.Differing(alternative: a, reason: reason, count: n)
    }

    static func attributedCases(_ j: JSONValue) -> AttributedCases? {
        guard let cases: Int = j["cases"]?.int, let reason = attribution(j) else { return nil }
        return AttributedCases(point: j["point"]?.string, cases: cases, reason: reason)
    }

    /// The attribution as a table of its own (CSV): a row per reason, the alternative's side,
    /// then the first scenario's.
    static func table(_ xs: [AttributedCases]) -> ResultTable {
        let sides = ["scenario", "value", "policy", "instance", "owner", "since", "event"]
        let hasPoint = xs.contains { $0.point != nil }
        var header = hasPoint ? ["point"] : []
        header += ["cases", "decision"] + sides + sides.map { "baseline \($0)" } + ["note"]
        func cells(_ s: Attribution.Side?) -> [ResultTable.Cell] {
            guard let s else { return Array(repeating: .empty, count: sides.count) }
            let text: [String?] = [s.scenario, s.value, s.isDefault ? "default" : s.policy, s.instance, s.owner, s.since,
                                   s.enactedBy.map { by in s.enactedKind.map { "\($0) \(by)" } ?? by }]
            return text.map { $0.map(ResultTable.Cell.text) ?? .empty }
        }
        let rows = xs.map { a -> [ResultTable.Cell] in
            var row: [ResultTable.Cell] = hasPoint ? [a.point.map(ResultTable.Cell.text) ?? .empty] : []
            row += [.int(Int64(a.cases)), a.reason.decision.map(ResultTable.Cell.text) ?? .empty]
            row += cells(a.reason.scenario) + cells(a.reason.baseline)
            row.append(a.reason.note.map(ResultTable.Cell.text) ?? .empty)
            return row
        }
        return ResultTable(header: header, keyColumns: hasPoint ? 1 : 0, rows: rows)
    }
}
