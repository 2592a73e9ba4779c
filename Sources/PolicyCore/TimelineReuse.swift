import PolicySyntax

/// At the prompt, most entries cannot change what the events and reactions did: a query, an
/// expression, a new `let`, `param`, `decision` or population names something new that no
/// event or reaction reads. For those, the timeline of the program checked before is taken
/// over instead of run again — on a national model the timeline is most of a check.
///
/// Anything that could change it — a jurisdiction, an attribute, an agency, a policy (one in
/// force by its header has an instance), an event, a reaction, a scenario, a type, an include —
/// runs it again.
public enum TimelineReuse {
    /// Whether `statements`, added after a program, leave its timeline as it was.
    public static func isNeutral(_ statements: [Statement]) -> Bool {
        statements.allSatisfy { s in
            switch s.kind {
            case .param, .let, .decision, .population, .expression, .explain, .timeline, .status, .table, .compare,
                 .plot, .decompose, .sample, .test, .assert:
                return true
            case .enumDecl, .record, .attributes, .jurisdiction, .jurisdictionsFrom, .agency, .policy, .event,
                 .reaction, .scenario, .cancel, .include:
                return false
            }
        }
    }

    /// The earlier program declares the same timeline inputs, in the same places.
    static func compatible(_ earlier: Program, _ now: Program) -> Bool {
        earlier.worlds.count == now.scenarios.count && earlier.scenarios.count == now.scenarios.count
            && earlier.events.count == now.events.count && earlier.reactions.count == now.reactions.count
            && earlier.policies.count == now.policies.count && earlier.agencies.count == now.agencies.count
            && earlier.jurisdictions.count == now.jurisdictions.count && earlier.attributes.count == now.attributes.count
            && earlier.enums.count == now.enums.count && earlier.records.count == now.records.count
            && earlier.params.count <= now.params.count
            && !earlier.worlds.contains { $0.isVariant }
    }
}
