import PolicySyntax

// Worlds made for one point of an analysis (§10), beside the program's own: every scenario
// with a sweep's params patched in, or a sub-scenario of `decompose` (the scenario it starts
// from plus some of its changes). They run their own timelines and share the program's code.

/// The worlds of one sweep point, one per scenario: `under` inside an expression reaches
/// the patched world of the scenario it names.
final class WorldSet: @unchecked Sendable {
    var worlds: [World] = []
}

extension World {
    /// The world of scenario `s` as `info` declares it, on top of `parent`'s versions (its
    /// timeline not yet run).
    static func assemble(_ program: Program, scenario s: Int, info: ScenarioInfo, parent: World?) -> World {
        let world = World(program: program, scenario: s, parent: parent)
        for (id, v) in info.params { world.paramVersion[id] = v }
        for (id, v) in info.lets { world.letVersion[id] = v }
        for (id, v) in info.decisions { world.decisionVersion[id] = v }
        for (id, v) in info.policies {
            world.policyVersion[id] = v
            if v < 0 { world.cancelled.insert(program.policies[id].name) }
        }
        for (id, v) in info.events {
            world.eventVersion[id] = v
            if v < 0 { world.cancelled.insert(program.events[id].name) }
        }
        for (id, v) in info.reactions {
            world.reactionVersion[id] = v
            if v < 0 { world.cancelled.insert(program.reactions[id].name) }
        }
        for (id, v) in info.populations { world.populationVersion[id] = v }
        var frame = Frame(world: world)
        for ref in info.cancelledInstances {
            if let args = try? ref.arguments?.map({ try $0(&frame) }) {
                let instance = PolicyInstance(policy: ref.policy, arguments: args)
                world.cancelledInstances.insert(instance)
                world.cancelled.insert(InstanceNaming.name(program, instance))
            }
        }
        return world
    }
}

enum WorldVariants {
    /// Every scenario of the program with `overrides` patched in (`param P = V` in each),
    /// timelines run. The caller keeps the set alive while the worlds are used.
    static func patched(_ program: Program, overrides: [Int: Value]) throws -> WorldSet {
        let set = WorldSet()
        var worlds = [World?](repeating: nil, count: program.scenarios.count)
        for s in [0] + program.scenarioOrder() {
            let parent = s == 0 ? nil : program.scenarios[s].parent.flatMap { worlds[$0] }
            worlds[s] = World.assemble(program, scenario: s, info: program.scenarios[s], parent: parent)
        }
        set.worlds = worlds.enumerated().map { s, w in w ?? World.assemble(program, scenario: s, info: program.scenarios[s], parent: nil) }
        for w in set.worlds {
            w.siblings = set
            w.paramOverrides = overrides
            w.isVariant = true
            var h = StableHash()
            h.mix("sweep point")
            h.mix(w.scenario < program.worldFingerprints.count ? program.worldFingerprints[w.scenario] : 0)
            for (p, v) in overrides.sorted(by: { $0.key < $1.key }) {
                h.mix(UInt64(p))
                h.mix(v)
            }
            w.variantFingerprint = h.value
        }
        // A point that sets only params the timeline does not read takes each scenario's
        // timeline from the program's world of that scenario.
        let read = sharedTimelineParams(program)
        for w in set.worlds {
            try TimelineRunner(world: w).run(orTakeFrom: w.scenario < program.worlds.count ? program.worlds[w.scenario] : nil,
                                             reading: read)
        }
        return set
    }

    /// The sub-scenario of `d` with the changes whose bits are set in `subset`: the scenario
    /// `d` starts from, plus those changes. Its timeline is taken over from `donor` when the
    /// two can differ only in params the timeline does not read (`read`, from
    /// `sharedTimelineParams`); otherwise it is run.
    static func coalition(_ program: Program, _ d: Decomposition, subset: Int, timelineFrom donor: World?,
                          reading read: IndexBits?) throws -> World {
        let world = assembleCoalition(program, d, subset: subset)
        try TimelineRunner(world: world).run(orTakeFrom: donor, reading: read)
        return world
    }

    /// The params a shared timeline must agree on, or nil: no timeline is shared — when the
    /// analysis cannot tell, and under `POLICY_ENGINE=scalar`, the reference the others are
    /// compared with, where every world runs its own.
    static func sharedTimelineParams(_ program: Program) -> IndexBits? {
        Engine.scalarOnly ? nil : program.timelineParams
    }

    /// The sub-scenario's world, assembled (its timeline not run).
    static func assembleCoalition(_ program: Program, _ d: Decomposition, subset: Int) -> World {
        let full = program.scenarios[d.scenario]
        var info = ScenarioInfo(name: full.name, label: full.label, parent: d.parent, source: full.source)
        let chosen = d.added + d.changes.indices.filter { subset & (1 << $0) != 0 }.map { d.changes[$0] }
        for change in chosen {
            switch change.target {
            case .param(let id, let v): info.params[id] = v
            case .letDef(let id, let v): info.lets[id] = v
            case .decision(let id, let v): info.decisions[id] = v
            case .policy(let id, let v): info.policies[id] = v
            case .event(let id, let v): info.events[id] = v
            case .reaction(let id, let v): info.reactions[id] = v
            case .population(let id, let v): info.populations[id] = v
            case .cancelledInstance(let i):
                if i < full.cancelledInstances.count { info.cancelledInstances.append(full.cancelledInstances[i]) }
            }
        }
        let world = World.assemble(program, scenario: d.scenario, info: info, parent: program.worlds[d.parent])
        world.isVariant = true
        var h = StableHash()
        h.mix("sub-scenario")
        h.mix(d.scenario < program.worldFingerprints.count ? program.worldFingerprints[d.scenario] : 0)
        h.mix(UInt64(subset))
        world.variantFingerprint = h.value
        return world
    }
}
