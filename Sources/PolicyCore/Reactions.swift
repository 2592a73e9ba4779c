import PolicySyntax
import PolicySupport

// Reactions on the timeline: the firing limits, and condition reactions in rounds (§9.15).

/// Counts reaction firings: on one date, against the cascade limit (§4.8, §9.15), and over
/// the whole timeline, against the firing limit (reactions that keep scheduling one another
/// with `after` move on to a new date each time, so only a total bounds them).
struct FiringCounter {
    let limit: Int
    let totalLimit: Int
    let cancel: CancellationFlag
    var date: Int32 = 0
    /// Firings on `date`, and per (reaction, binding) on it.
    var total = 0
    var perBinding: [String: Int] = [:]
    var sources: [String: SourceRef] = [:]
    var reactionOf: [String: String] = [:]
    /// Firings over the timeline so far, per reaction, and the dates they fell on.
    var allDates = 0
    var perReaction: [String: Int] = [:]
    var reactionSources: [String: SourceRef] = [:]
    var firstDate: Int32?
    var datesWithFirings = 0

    init(limit: Int, totalLimit: Int, cancel: CancellationFlag) {
        self.limit = limit
        self.totalLimit = totalLimit
        self.cancel = cancel
    }

    /// Starts counting a new date (the total goes on).
    mutating func begin(_ date: Int32) {
        self.date = date
        total = 0
        perBinding = [:]
        sources = [:]
        reactionOf = [:]
    }

    mutating func fire(_ reaction: String, binding: String, source: SourceRef?) throws {
        if total == 0 {
            datesWithFirings += 1
            if firstDate == nil { firstDate = date }
        }
        total += 1
        allDates += 1
        if allDates & 1023 == 0, cancel.isRaised { throw Interrupted() }
        let key = binding.isEmpty ? reaction : "\(reaction) (\(binding))"
        perBinding[key, default: 0] += 1
        if sources[key] == nil {
            sources[key] = source
            reactionOf[key] = reaction
        }
        perReaction[reaction, default: 0] += 1
        if let source, reactionSources[reaction] == nil { reactionSources[reaction] = source }
        if allDates > totalLimit { try totalExceeded(reaction) }
        guard total > limit else { return }
        let top = perBinding.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
        let names = top.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        // Edge-triggered reactions fire again only when their condition falls and rises: a
        // binding that fired twice is a loop. When none did, the date simply has more
        // (reaction, jurisdiction) pairs turning true than the limit allows.
        let looping = Set(top.filter { $0.value > 1 }.map { reactionOf[$0.key] ?? $0.key }).count
        let hint: String
        if looping > 1 {
            hint = "these reactions keep undoing and redoing one another's conditions; make each condition stable once it has fired (or \(Limits.raiseHint("cascade")))"
        } else if looping == 1 {
            hint = "a reaction keeps undoing and redoing its own condition; make the condition stable once it has fired (or \(Limits.raiseHint("cascade")))"
        } else {
            hint = "no binding fired twice: \(FiringCounter.grouped(total)) different bindings turned true on this date, more than the limit; if that many are expected, \(Limits.raiseHint("cascade"))"
        }
        throw EvalError("cascade limit (\(FiringCounter.grouped(limit)) firings) exceeded on \(CivilDate(dayNumber: Int(date))): \(names)",
                        at: top.first.flatMap { sources[$0.key] }, hint: hint)
    }

    /// The error for more firings over the timeline than the firing limit: which reactions
    /// fired most, on how many dates, from when to when.
    func totalExceeded(_ last: String) throws -> Never {
        let top = perReaction.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
        let names = top.map { "\($0.key) ×\(FiringCounter.grouped($0.value))" }.joined(separator: ", ")
        let from = firstDate.map { CivilDate(dayNumber: Int($0)).description } ?? "?"
        let dates = datesWithFirings == 1 ? "on 1 date" : "on \(FiringCounter.grouped(datesWithFirings)) dates from \(from)"
        throw EvalError("firing limit (\(FiringCounter.grouped(totalLimit)) reaction firings in one timeline) exceeded on \(CivilDate(dayNumber: Int(date))): \(names), \(dates)",
                        at: top.first.flatMap { reactionSources[$0.key] } ?? reactionSources[last],
                        hint: "reactions that keep scheduling one another with 'after' never stop on their own: give the chain a condition that ends it; if this many firings are expected, \(Limits.raiseHint("firings"))")
    }

    static func grouped(_ n: Int) -> String { ValueFormatter.grouped(Int64(n)).count > 4 ? ValueFormatter.grouped(Int64(n)) : String(n) }
}

/// Edge-triggered condition reactions (§4.8, §9.15).
struct ReactionState {
    let world: World
    /// Per reaction, the truth of its condition for each jurisdiction when last evaluated.
    var holds: [Int: [Bool]] = [:]

    init(world: World) {
        self.world = world
    }

    /// Rounds until one fires nothing (§9.15). A round first evaluates the condition of every
    /// (reaction, jurisdiction) pair on the state as the round begins; then it fires, in
    /// declaration order, the pairs whose condition is true now and was false when last
    /// evaluated. A firing does not change which pairs fire in its own round — so two
    /// reactions that undo each other fire in turn, round after round, until the cascade
    /// limit stops them.
    mutating func rounds(_ date: Int32, _ frame: inout Frame, _ derived: inout EventQueue,
                         _ firings: inout FiringCounter) throws {
        let program = world.program
        let count = program.jurisdictions.count
        let runner = TimelineRunner(world: world)
        let cancel = program.cancellation
        var evaluated = 0
        while true {
            var due: [(reaction: Int, jurisdiction: Int)] = []
            for (r, info) in program.reactions.enumerated() {
                let v = world.reactionVersion[r]
                guard v >= 0, case .condition(let condition) = info.versions[v].trigger else { continue }
                let version = info.versions[v]
                var current = holds[r] ?? Array(repeating: false, count: count)
                // One frame of locals for every jurisdiction (a condition's locals are written
                // before they are read): allocating it per jurisdiction was most of the cost of
                // a timeline over thousands of counties. (The date is set per jurisdiction: a
                // condition with `at` moves it.)
                frame.locals = Array(repeating: .bool(false), count: max(1, version.localCount))
                for j in 0..<count {
                    evaluated &+= 1
                    if evaluated & 4095 == 0, cancel.isRaised { throw Interrupted() }
                    frame.date = date
                    frame.locals[0] = .jurisdiction(Int32(j))
                    let now: Bool
                    do {
                        now = try condition(&frame).asBool
                    } catch var e as EvalError {
                        e.message += " (in reaction \(info.name), \(info.variableName ?? "j") = \(program.jurisdictions.names[j]))"
                        throw e
                    }
                    if now, !current[j] { due.append((r, j)) }
                    current[j] = now
                }
                holds[r] = current
            }
            if due.isEmpty { return }
            for (r, j) in due {
                let info = program.reactions[r]
                let version = info.versions[world.reactionVersion[r]]
                frame.date = date
                frame.locals = Array(repeating: .bool(false), count: max(1, version.localCount))
                frame.locals[0] = .jurisdiction(Int32(j))
                let binding = "\(info.variableName ?? "j") = \(program.jurisdictions.names[j])"
                try firings.fire(info.name, binding: binding, source: version.source)
                var log: [String] = []
                var concerned: [Int32] = [Int32(j)]
                try runner.apply(version.effects, &frame, &derived, &log, &concerned, name: info.name)
                world.timeline.append(TimelineEntry(date: date, event: info.name, label: nil, owner: nil,
                                                    origin: "reaction (\(binding))", effects: log, jurisdictions: concerned))
            }
        }
    }
}
