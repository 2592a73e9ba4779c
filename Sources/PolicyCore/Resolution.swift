import PolicySyntax

/// How a decision is answered (§5): candidates → each one's first applicable rule →
/// overrides → combine → default.
enum Resolution {
    struct Answer {
        var state: Int
        var value: Value
        var rule: SourceRef
        var periodStart: Int32
        var depth: Int32
    }

    /// The answer of decision `d` for case `c` in the frame's world. Within one evaluation
    /// a decision is often asked again for the same case (`outcome` asks `matched`, and so
    /// does `detainer`): the last few answers are kept in the frame — unless someone records
    /// the derivation or the draws, which must see every step, and not while the world's
    /// timeline is still running (its policies change from one date to the next).
    static func decide(_ d: Int, _ c: RecordValue, _ frame: inout Frame) throws -> Value {
        let remember = frame.recorder == nil && frame.chanceLog == nil && frame.world.isFrozen
        if remember, let known = frame.decided(d, c) { return known }
        let value = try decideAfresh(d, c, &frame)
        if remember { frame.noteDecided(d, c, value) }
        return value
    }

    static func decideAfresh(_ d: Int, _ c: RecordValue, _ frame: inout Frame) throws -> Value {
        let world = frame.world
        let code = world.decisionCode(d)
        guard code.version >= 0 else {
            throw EvalError("decision '\(world.program.decisions[d].name)' is not defined in scenario '\(world.name)'", at: nil)
        }
        // The program is read only off the common path: reaching it from the world costs a
        // retain (the world holds it unowned).
        let caseFields = c.type == code.caseType ? code.caseFields : caseFieldsOf(c.type, world.program)
        guard caseFields.date >= 0, caseFields.jurisdiction >= 0 else {
            throw EvalError("'\(world.program.records[c.type].name)' is not a case type (it needs fields date and jurisdiction)",
                            at: code.source)
        }
        let date = c.fields[caseFields.date].asDate
        let j = c.fields[caseFields.jurisdiction].asJurisdiction

        let trace: DecisionTrace? = frame.recorder.map { _ in DecisionTrace(decision: d, scenario: world.scenario, caseRecord: c) }
        if let trace {
            trace.combiner = code.combiner
            frame.recorder?.begin(trace)
        }
        defer { if trace != nil { frame.recorder?.end() } }

        // 1–2. Candidates in force on the case's date, and each one's answer.
        // Usually one candidate answers: it is kept aside, and the list is made only for more.
        // The first answer is kept as the rule's number, not its source: the source (a
        // retained file) is looked up only when several answer or someone records.
        var single: (state: Int, value: Value, rule: Int, depth: Int32)?
        var answers: [Answer] = []
        func answer(_ a: (state: Int, value: Value, rule: Int, depth: Int32), _ plan: CandidatePlan) -> Answer {
            // When its period began matters only to break ties (filled in by `resolve`).
            Answer(state: a.state, value: a.value, rule: plan.rules[a.rule].source, periodStart: InForce.minusInfinity, depth: a.depth)
        }
        let savedDate = frame.date, savedCase = frame.caseRecord
        // The caller's locals are set aside (not copied) for a pooled array of our own.
        var callerLocals = frame.takeLocals(1)
        swap(&callerLocals, &frame.locals)
        defer {
            frame.date = savedDate
            swap(&callerLocals, &frame.locals)
            frame.giveBack(&callerLocals)
            frame.caseRecord = savedCase
        }
        frame.date = date
        frame.caseRecord = c
        let plan = code.plan(world, d, j)
        var entriesSeen = 0
        for e in plan.entries {
            entriesSeen &+= 1
            if entriesSeen & 4095 == 0, world.program.cancellation.isRaised { throw Interrupted() }
            guard plan.inForce(e, on: date) else { continue }
            var answered: (value: Value, rule: Int)?
            if !e.rules.isEmpty {
                while frame.locals.count < e.localCount { frame.locals.append(.bool(false)) }
            }
            for r in e.rules {
                // The rule's frame: the case, then the instance's arguments, then its locals.
                frame.locals[0] = .record(c)
                var slot = 1
                for a in e.arguments {
                    frame.locals[slot] = plan.arguments[a]
                    slot += 1
                }
                let rule = plan.rules[r]
                if let condition = rule.condition, try !condition(&frame).asBool { continue }
                answered = (try rule.value(&frame), r)
                break
            }
            if let trace { noteCandidate(trace, e.state, answered.map { ($0.value, plan.rules[$0.rule].source) }, world, date) }
            if let (value, rule) = answered {
                let this = (state: e.state, value: value, rule: rule, depth: e.depth)
                if single == nil, answers.isEmpty {
                    single = this
                } else {
                    if let first = single { answers.append(answer(first, plan)) }
                    single = nil
                    answers.append(answer(this, plan))
                }
            }
        }
        if let only = single {
            if trace == nil {
                // One answer and no one recording: it is the value.
                return only.value
            }
            answers = [answer(only, plan)]
        } else if answers.isEmpty, trace == nil {
            // No answer: the default.
            frame.locals[0] = .record(c)
            return try code.defaultValue(&frame)
        }
        return try resolve(answers, d, c, code, world, date, trace, &frame)
    }

    /// Steps 3–4 for zero or several answers, or for any when the derivation is recorded:
    /// overrides, then combine, or the default. (Kept out of `decideAfresh`, whose common
    /// path — one answer, no recorder — stays small.)
    @inline(never)
    static func resolve(_ given: [Answer], _ d: Int, _ c: RecordValue, _ code: DecisionCode, _ world: World,
                        _ date: Int32, _ trace: DecisionTrace?, _ frame: inout Frame) throws -> Value {
        var answers = given
        if answers.count > 1 {
            for k in answers.indices {
                answers[k].periodStart = world.instanceStates[answers[k].state].inForce.periodStart(at: date) ?? InForce.minusInfinity
            }
        }

        // 3. Overrides: drop an answer whose policy another answering policy overrides.
        if answers.count > 1 {
            var kept: [Answer] = []
            let cancel = world.program.cancellation
            for (k, a) in answers.enumerated() {
                // Each answer is compared with every other: with thousands of policies in
                // force, one decision takes long enough for Ctrl-C to matter.
                if k & 15 == 15, cancel.isRaised { throw Interrupted() }
                let target = world.instanceStates[a.state].instance
                let overrider = answers.first { b in
                    b.state != a.state && overrides(world, b.state, target, &frame)
                }
                if let overrider {
                    let name = world.program.policies[world.instanceStates[overrider.state].instance.policy].name
                    markDropped(trace, a.state, world, "overridden by \(name)")
                } else {
                    kept.append(a)
                }
            }
            answers = kept
        }

        // 4. Combine, or the default.
        frame.locals[0] = .record(c)
        let value: Value
        if answers.isEmpty {
            value = try code.defaultValue(&frame)
            trace?.usedDefault = true
            trace?.defaultSource = code.defaultSource
        } else if answers.count == 1, trace == nil {
            value = answers[0].value
        } else {
            value = try combine(code.combiner, answers, world.program.decisions[d].name, world, trace)
        }
        trace?.value = value
        return value
    }

    /// Records one candidate in the derivation: its instance, owner, answer and period.
    @inline(never)
    static func noteCandidate(_ trace: DecisionTrace, _ s: Int, _ answered: (Value, SourceRef)?, _ world: World, _ date: Int32) {
        let state = world.instanceStates[s]
        let policyIndex = state.instance.policy
        let versionIndex = world.policyVersion[policyIndex]
        let piece = state.inForce.piece(at: date)
        trace.candidates.append(.init(
            instance: state.instance, owner: ownerName(world.program, world.program.policies[policyIndex].versions[versionIndex].owner, state.instance),
            answer: answered?.0, rule: answered?.1,
            inForceSince: state.inForce.periodStart(at: date), enactedBy: piece?.enactedBy, enactedOn: piece?.enactedOn))
    }

    /// The `date` and `jurisdiction` fields of record type `type` (-1 where it has none).
    static func caseFieldsOf(_ type: Int, _ program: Program) -> (date: Int, jurisdiction: Int) {
        type < program.caseFields.count ? program.caseFields[type]
            : (date: program.records[type].dateField ?? -1, jurisdiction: program.records[type].jurisdictionField ?? -1)
    }

    static func ownerName(_ program: Program, _ owner: Owner, _ instance: PolicyInstance) -> String {
        switch owner {
        case .jurisdiction(let j): return program.jurisdictions.names[Int(j)]
        case .agency(let a): return program.agencies[a].name
        case .parameter(let i):
            if i < instance.arguments.count, case .jurisdiction(let j) = instance.arguments[i] {
                return program.jurisdictions.names[Int(j)]
            }
            return "?"
        }
    }

    static func overrides(_ world: World, _ s: Int, _ target: PolicyInstance, _ frame: inout Frame) -> Bool {
        let policy = world.instanceStates[s].instance.policy
        let v = world.policyVersion[policy]
        guard v >= 0 else { return false }
        for ref in world.program.policies[policy].versions[v].overrides where ref.policy == target.policy {
            guard let args = ref.arguments else { return true }
            var values: [Value] = []
            for a in args {
                guard let value = try? a(&frame) else { return false }
                values.append(value)
            }
            if values == target.arguments { return true }
        }
        return false
    }

    static func markDropped(_ trace: DecisionTrace?, _ state: Int, _ world: World, _ why: String) {
        guard let trace else { return }
        let instance = world.instanceStates[state].instance
        if let i = trace.candidates.firstIndex(where: { $0.instance == instance }) { trace.candidates[i].dropped = why }
    }

    static func describe(_ world: World, _ a: Answer) -> String {
        let instance = world.instanceStates[a.state].instance
        return "\(InstanceNaming.name(world.program, instance)) (\(a.rule.position))"
    }

    static func combine(_ combiner: Combiner, _ answers: [Answer], _ decisionName: String, _ world: World,
                        _ trace: DecisionTrace?) throws -> Value {
        // The reason is only spelled out when someone is recording it.
        func pick(_ a: Answer, _ why: CombineChoice) -> Value {
            guard let trace else { return a.value }
            trace.chosen = why
            for other in answers where other.state != a.state {
                markDropped(trace, other.state, world, "not chosen (\(combiner.rawValue))")
            }
            return a.value
        }
        switch combiner {
        case .denyOverrides, .permitOverrides:
            let wins = combiner == .denyOverrides ? false : true
            if let a = answers.first(where: { $0.value == .bool(wins) }) {
                return pick(a, .wins(wins))
            }
            return pick(answers[0], .allAgree)
        case .min, .max:
            var best = answers[0]
            for a in answers.dropFirst() {
                let less = ValueOrder.less(a.value, best.value)
                if combiner == .min ? less : ValueOrder.less(best.value, a.value) { best = a }
            }
            return pick(best, combiner == .min ? .smallest : .largest)
        case .mostSpecific, .latest:
            if answers.count == 1 { return pick(answers[0], .onlyAnswer) }
            let sorted = answers.sorted { a, b in
                combiner == .mostSpecific
                    ? (a.depth, a.periodStart) > (b.depth, b.periodStart)
                    : (a.periodStart, a.depth) > (b.periodStart, b.depth)
            }
            let top = sorted[0]
            let tied = sorted.filter { $0.depth == top.depth && $0.periodStart == top.periodStart }
            if let other = tied.first(where: { $0.value != top.value }) {
                let program = world.program
                throw EvalError(
                    "conflict: two rules give different answers for '\(decisionName)' and neither is more specific or later",
                    at: top.rule,
                    hint: "add 'overrides' to one policy, or choose a combiner such as deny_overrides",
                    notes: [.init("\(describe(world, top)) says \(ValueFormatter(program).format(top.value))"),
                            .init("\(describe(world, other)) says \(ValueFormatter(program).format(other.value))")])
            }
            let count = sorted.count
            return pick(top, count == 1 ? .onlyAnswer : combiner == .mostSpecific ? .mostSpecific : .latest)
        }
    }
}

/// How policy instances are named in messages: `detainer_ban(cook)`.
public enum InstanceNaming {
    public static func name(_ program: Program, _ instance: PolicyInstance) -> String {
        let base = program.policies[instance.policy].name
        guard !instance.arguments.isEmpty else { return base }
        let f = ValueFormatter(program)
        return "\(base)(\(instance.arguments.map { f.format($0) }.joined(separator: ", ")))"
    }
}
