import PolicySyntax

// The event model (§4.8, §9.13, §9.15): time advances from date to date; events apply
// their effects; reactions fire; params, attributes and policy instances change.

extension Checker {
    /// Builds one world per scenario (parents first) and runs each timeline. Errors raised
    /// while running (a cascade, an effect that fails) are reported as diagnostics.
    func buildWorlds() {
        let reuse = timelineSource.flatMap { TimelineReuse.compatible($0, program) ? $0 : nil }
        var worlds = [World?](repeating: nil, count: program.scenarios.count)
        for s in [0] + scenarioOrder() {
            let parent = program.scenarios[s].parent.flatMap { worlds[$0] }
            worlds[s] = World.assemble(program, scenario: s, info: program.scenarios[s], parent: s == 0 ? nil : parent)
        }
        program.worlds = worlds.map { $0 ?? World(program: program, scenario: 0, parent: nil) }
        for world in program.worlds {
            do {
                if let reuse, world.scenario < reuse.worlds.count {
                    try TimelineRunner(world: world).reuse(reuse.worlds[world.scenario])
                    continue
                }
                try TimelineRunner(world: world).run()
            } catch is Interrupted {
                interrupted = true
                return
            } catch let e as EvalError {
                report(e, context: world.scenario == 0 ? nil : "in scenario '\(world.name)'")
            } catch {
                add(LocatedDiagnostic(file: program.files.first ?? SourceFile(name: "<program>", text: ""),
                                      diagnostic: .error("internal error: \(error)", at: .zero)))
            }
        }
    }

    func report(_ e: EvalError, context: String?) {
        let message = context.map { "\(e.message) (\($0))" } ?? e.message
        if let src = e.source {
            error(message, src, hint: e.hint, notes: e.notes)
        } else if let file = program.files.first {
            error(message, file, .zero, hint: e.hint)
        }
    }
}

/// Runs one world's timeline.
struct TimelineRunner {
    let world: World
    var program: Program { world.program }

    /// An event waiting to happen: a declared event, or effects scheduled by `after`.
    struct Pending {
        var date: Int32
        var name: String
        var label: String?
        var owner: Owner?
        var effects: [CompiledEffect]
        var locals: [Value]
        var event: Int?
        var origin: String
        var source: SourceRef
    }

    init(world: World) {
        self.world = world
    }

    func run() throws {
        var frame = Frame(world: world)
        try settleParams(&frame)
        try runEvents(&frame)
        world.freeze()
    }

    /// What an earlier program's world computed, taken over when the timeline's inputs have
    /// not changed (`TimelineReuse`): params are settled again (new ones may have been
    /// declared), the events' and reactions' results are copied.
    func reuse(_ earlier: World) throws {
        var frame = Frame(world: world)
        try settleParams(&frame)
        take(earlier)
    }

    /// Runs the timeline — or takes `donor`'s over when it would do the same: both worlds
    /// use the same versions of everything but params and cancel the same, and every param
    /// in `read` (what the timeline can read; nil: unknown) settles to the donor's value.
    /// (Param overrides only change what params settle to.)
    func run(orTakeFrom donor: World?, reading read: IndexBits?) throws {
        var frame = Frame(world: world)
        try settleParams(&frame)
        if let donor, let read, world.sharesTimelineInputs(with: donor), read.indices.allSatisfy({ p in
            p < world.paramInitial.count && p < donor.paramInitial.count && world.paramInitial[p] == donor.paramInitial[p]
        }) {
            take(donor)
            return
        }
        try runEvents(&frame)
        world.freeze()
    }

    /// What `earlier`'s timeline did, copied (params settled already).
    private func take(_ earlier: World) {
        for p in earlier.paramChanges.indices where p < world.paramChanges.count { world.paramChanges[p] = earlier.paramChanges[p] }
        world.attributeChanges = earlier.attributeChanges
        world.instances = earlier.instances
        world.instanceStates = earlier.instanceStates
        world.timeline = earlier.timeline
        world.freeze()
    }

    /// Params start at their declared values; declared attribute values are evaluated.
    func settleParams(_ frame: inout Frame) throws {
        // Params start at their declared values.
        world.paramInitial = program.params.map { Checker.placeholder($0.type) }
        world.paramChanges = Array(repeating: [], count: program.params.count)
        // A param may be defined from others declared after it (§9.4); they cannot form a
        // cycle (the checker rejects that), so passes in declaration order settle.
        for (p, value) in world.paramOverrides where p < world.paramInitial.count { world.paramInitial[p] = value }
        for _ in 0...program.params.count {
            var changed = false
            for (p, info) in program.params.enumerated() {
                let v = world.paramVersion[p]
                guard v >= 0, world.paramOverrides[p] == nil else { continue }
                let value = try info.versions[v].value(&frame)
                if value != world.paramInitial[p] {
                    world.paramInitial[p] = value
                    changed = true
                }
            }
            if !changed { break }
        }
        // Declared attribute values that are expressions: evaluated once, in the baseline.
        if world.scenario == 0 {
            for item in program.attributeEvaluations {
                let v = try item.eval(&frame)
                if let j = item.jurisdiction { program.jurisdictions.declared[Int(j)][item.attribute] = v } else { program.attributes[item.attribute].defaultValue = v }
            }
        }
    }

    /// Policies in force by their header, then the events and reactions, in date order.
    func runEvents(_ frame: inout Frame) throws {
        // Policies that are in force by their header.
        for (p, info) in program.policies.enumerated() {
            let v = world.policyVersion[p]
            guard v >= 0, !info.isParameterised else { continue }
            let version = info.versions[v]
            let s = try instanceState(PolicyInstance(policy: p, arguments: []), &frame)
            guard !version.proposed else { continue }
            let from = try version.from.map { try $0(&frame).asDate } ?? InForce.minusInfinity
            let until = try version.until.map { try $0(&frame).asDate } ?? InForce.plusInfinity
            world.instanceStates[s].inForce.add(from, until, enactedBy: nil, on: nil)
            if from < until {
                world.instanceStates[s].history.append((from, from == InForce.minusInfinity ? "in force from the start" : "in force by its own dates"))
            }
        }

        // Declared events, by date then declaration order.
        var declared: [Pending] = []
        for (e, info) in program.events.enumerated() {
            let v = world.eventVersion[e]
            guard v >= 0 else { continue }
            let version = info.versions[v]
            let date = try version.date(&frame).asDate
            declared.append(Pending(date: date, name: info.name, label: version.label, owner: version.owner,
                                    effects: version.effects, locals: Array(repeating: .bool(false), count: version.localCount),
                                    event: e, origin: "declared", source: version.source))
        }
        declared.sort { $0.date < $1.date }
        var derived = EventQueue()
        var state = ReactionState(world: world)
        var first = true
        var i = 0
        var firings = FiringCounter(limit: program.cascadeLimit, totalLimit: program.firingLimit,
                                    cancel: program.cancellation)
        while i < declared.count || !derived.isEmpty {
            if program.cancellation.isRaised { throw Interrupted() }
            let nextDeclared = i < declared.count ? declared[i].date : Int32.max
            let nextDerived = derived.first?.date ?? Int32.max
            let date = min(nextDeclared, nextDerived)
            frame.date = date
            firings.begin(date)
            if first {
                first = false
                try state.rounds(date, &frame, &derived, &firings)
            }
            while i < declared.count, declared[i].date == date {
                try happen(declared[i], &frame, &derived, &state, &firings)
                i += 1
            }
            // Derived events dated today, including those scheduled while processing today.
            repeat {
                while derived.first?.date == date, let next = derived.popFirst() {
                    try happen(next, &frame, &derived, &state, &firings)
                }
                try state.rounds(date, &frame, &derived, &firings)
            } while derived.first?.date == date
        }
    }

    /// Creates (or finds) the state of a policy instance.
    func instanceState(_ instance: PolicyInstance, _ frame: inout Frame) throws -> Int {
        if let s = world.instances[instance] { return s }
        let info = program.policies[instance.policy]
        let version = info.versions[world.policyVersion[instance.policy]]
        let territory: Int32
        switch version.owner {
        case .jurisdiction(let j): territory = j
        case .agency(let a): territory = program.agencies[a].territory
        case .parameter(let i):
            territory = i < instance.arguments.count ? instance.arguments[i].asJurisdiction : 0
        }
        world.instanceStates.append(InstanceState(instance: instance, territory: territory,
                                                  depth: program.jurisdictions.depths[Int(territory)]))
        world.instances[instance] = world.instanceStates.count - 1
        return world.instanceStates.count - 1
    }

    func happen(_ event: Pending, _ frame: inout Frame, _ derived: inout EventQueue, _ state: inout ReactionState,
                _ firings: inout FiringCounter) throws {
        var log: [String] = []
        var concerned: [Int32] = []
        if case .jurisdiction(let j)? = event.owner { concerned.append(j) }
        if case .agency(let a)? = event.owner { concerned.append(program.agencies[a].territory) }
        frame.locals = event.locals
        try apply(event.effects, &frame, &derived, &log, &concerned, name: event.name)
        world.timeline.append(TimelineEntry(date: event.date, event: event.name, label: event.label,
                                            owner: event.owner.map(ownerName), origin: event.origin,
                                            effects: log, jurisdictions: concerned))
        // `when EVENT` reactions, in declaration order.
        guard let e = event.event else { return }
        for (r, info) in program.reactions.enumerated() {
            let v = world.reactionVersion[r]
            guard v >= 0, case .event(let trigger) = info.versions[v].trigger, trigger == e else { continue }
            try firings.fire(info.name, binding: "", source: info.versions[v].source)
            let version = info.versions[v]
            var reactionLog: [String] = []
            var reactionConcerned: [Int32] = []
            frame.locals = Array(repeating: .bool(false), count: version.localCount)
            try apply(version.effects, &frame, &derived, &reactionLog, &reactionConcerned, name: info.name)
            world.timeline.append(TimelineEntry(date: event.date, event: info.name, label: nil, owner: nil,
                                                origin: "reaction to \(event.name)", effects: reactionLog,
                                                jurisdictions: reactionConcerned))
        }
    }

    func ownerName(_ o: Owner) -> String {
        switch o {
        case .jurisdiction(let j): return program.jurisdictions.names[Int(j)]
        case .agency(let a): return program.agencies[a].name
        case .parameter: return "?"
        }
    }

    /// Applies effects on `frame.date`.
    func apply(_ effects: [CompiledEffect], _ frame: inout Frame, _ derived: inout EventQueue, _ log: inout [String],
               _ concerned: inout [Int32], name: String) throws {
        guard let date = frame.date else { return }
        let f = ValueFormatter(program)
        for effect in effects {
            switch effect {
            case .enact(let ref, let from, let until, _):
                let policy = program.policies[ref.policy]
                let args = try ref.arguments.map { try $0.map { try $0(&frame) } } ?? []
                let instance = PolicyInstance(policy: ref.policy, arguments: args)
                let instanceName = InstanceNaming.name(program, instance)
                guard world.policyVersion[ref.policy] >= 0 else {
                    log.append("enact \(instanceName): nothing happens (the policy is cancelled in this scenario)")
                    continue
                }
                guard !world.cancelledInstances.contains(instance) else {
                    log.append("enact \(instanceName): nothing happens (this instance is cancelled in this scenario)")
                    continue
                }
                let version = policy.versions[world.policyVersion[ref.policy]]
                var start = try from.map { try $0(&frame).asDate } ?? date
                var end = try until.map { try $0(&frame).asDate } ?? InForce.plusInfinity
                // A policy's own dates bound every enactment of it.
                if version.proposed || policy.isParameterised {
                    if let hf = try version.from.map({ try $0(&frame).asDate }) { start = max(start, hf) }
                    if let hu = try version.until.map({ try $0(&frame).asDate }) { end = min(end, hu) }
                }
                let s = try instanceState(instance, &frame)
                world.instanceStates[s].inForce.add(start, end, enactedBy: name, on: date)
                let period = end == InForce.plusInfinity ? "from \(f.format(.date(start)))"
                    : "from \(f.format(.date(start))) until \(f.format(.date(end)))"
                world.instanceStates[s].history.append((date, "enacted by \(name) \(period)"))
                log.append("enact \(instanceName) \(period)")
                concerned.append(world.instanceStates[s].territory)
            case .repeal(let ref, _):
                let args = try ref.arguments.map { try $0.map { try $0(&frame) } }
                let name0 = args.map { InstanceNaming.name(program, PolicyInstance(policy: ref.policy, arguments: $0)) }
                    ?? program.policies[ref.policy].name
                guard world.policyVersion[ref.policy] >= 0 else {
                    log.append("repeal \(name0): nothing happens (the policy is cancelled in this scenario)")
                    continue
                }
                var any = false
                for s in world.instanceStates.indices where world.instanceStates[s].instance.policy == ref.policy {
                    if let args, world.instanceStates[s].instance.arguments != args { continue }
                    world.instanceStates[s].inForce.removeFrom(date)
                    world.instanceStates[s].history.append((date, "repealed by \(name)"))
                    concerned.append(world.instanceStates[s].territory)
                    any = true
                }
                log.append("repeal \(name0)\(any ? "" : " (it was not in force)")")
            case .setAttribute(let je, let a, let value, _):
                let j = try je(&frame).asJurisdiction
                let v = try value(&frame)
                let key = Int(j) * program.attributes.count + a
                // Taken out of the table while it changes, so appending does not copy it.
                var changes = world.attributeChanges.removeValue(forKey: key) ?? []
                if let last = changes.last, last.date == date { changes.removeLast() }
                changes.append(Change(date: date, value: v))
                world.attributeChanges[key] = changes
                log.append("set \(program.jurisdictions.names[Int(j)]).\(program.attributes[a].name) = \(f.format(v))")
                concerned.append(j)
            case .setParam(let p, let value, _):
                let v = try value(&frame)
                if let last = world.paramChanges[p].last, last.date == date { world.paramChanges[p].removeLast() }
                world.paramChanges[p].append(Change(date: date, value: v))
                log.append("set \(program.params[p].name) = \(f.format(v))")
            case .forEach(let slot, let condition, let body, _):
                for j in 0..<Int32(program.jurisdictions.count) {
                    frame.locals[slot] = .jurisdiction(j)
                    if let condition, try !condition(&frame).asBool { continue }
                    try apply(body, &frame, &derived, &log, &concerned, name: name)
                }
            case .after(let delay, let body, let source):
                let d = try Operators.add(.date(date), try delay(&frame), source).asDate
                guard d >= date else {
                    throw EvalError("'after' needs a duration that is not negative", at: source)
                }
                let pending = Pending(date: d, name: name, label: nil, owner: nil, effects: body, locals: frame.locals,
                                      event: nil, origin: "scheduled by \(name) on \(f.format(.date(date)))", source: source)
                derived.insert(pending)
                log.append("schedule effects for \(f.format(.date(d)))")
            case .ifElse(let condition, let then, let otherwise, _):
                try apply(try condition(&frame).asBool ? then : otherwise, &frame, &derived, &log, &concerned, name: name)
            }
        }
    }
}

/// Derived events waiting for their dates: in date order, then in the order they were
/// scheduled. Taking the first and adding one in order are cheap however many wait (an
/// event that schedules something for each of 100,000 jurisdictions once took 20 s here).
struct EventQueue {
    private var items: [TimelineRunner.Pending] = []
    /// Items before `head` have been taken.
    private var head = 0

    var isEmpty: Bool { head >= items.count }
    var first: TimelineRunner.Pending? { head < items.count ? items[head] : nil }

    mutating func popFirst() -> TimelineRunner.Pending? {
        guard head < items.count else { return nil }
        let next = items[head]
        head += 1
        // Drop what was taken once it is most of the array.
        if head >= 1_024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return next
    }

    /// Adds `event` after every waiting event dated on or before it.
    mutating func insert(_ event: TimelineRunner.Pending) {
        if let last = items.last, last.date > event.date {
            var lo = head, hi = items.count
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if items[mid].date <= event.date { lo = mid + 1 } else { hi = mid }
            }
            items.insert(event, at: lo)
        } else {
            items.append(event)
        }
    }
}
