import PolicySyntax

// Decisions over the cases of a chunk, many at a time.
//
// A case's candidates in force depend only on its jurisdiction's plan and on which piece of
// that plan's calendar its date falls in (between two of the dates where any of the plan's
// instances comes into or goes out of force). So each (plan, piece) is worked out once per
// world (`VectorPlanTable`) into a *signature* — the groups of its candidates in force, in
// order — and a case costs a lookup of its jurisdiction's plan and a count of a few dates. Rules are then
// evaluated round by round over every case whose k-th candidate is in a group, and answers
// stay typed (`VecSlots`) unless a decision's answers are of mixed kinds.

extension VectorChunk {
    /// Decision `d` for each row of `rows` in `world`, worked out once per row.
    func decide(_ d: Int, _ rows: [Int32], _ world: World) throws -> Vec {
        let key = DecisionKey(world: ObjectIdentifier(world), decision: d)
        // Taken out while it is filled in, so it is not copied (a decision never asks itself).
        let earlier = decided.removeValue(forKey: key)
        var store = earlier ?? DecidedAnswers(n)
        var todo: [Int32]
        if earlier == nil && errorsIsEmpty {
            // Asked for the first time: every row is to do.
            todo = rows
        } else if store.knownCount == n {
            // Known for every row already.
            todo = []
        } else if errorsIsEmpty {
            // Without branches: every row is written, and the count moves on where it is not known.
            todo = [Int32](unsafeUninitializedCapacity: rows.count) { out, initialized in
                var count = 0
                store.known.withUnsafeBufferPointer { known in
                    for r in rows {
                        out[count] = r
                        count &+= known[Moves.index(Int(r), known.count)] ? 0 : 1
                    }
                }
                initialized = count
            }
        } else {
            todo = []
            store.known.withUnsafeBufferPointer { known in
                for r in rows where !known[Int(r)] && alive(r) { todo.append(r) }
            }
        }
        if !todo.isEmpty {
            let answers: Vec
            do {
                if cancellation.isRaised { throw Interrupted() }
                answers = try resolve(d, todo, world)
            } catch {
                decided[key] = store
                throw error
            }
            store.values.scatter(answers, at: todo.map { Int($0) })
            let everyAlive = errorsIsEmpty
            var added = 0
            store.known.withUnsafeMutableBufferPointer { known in
                for r in todo where everyAlive || alive(r) {
                    let at = Moves.index(Int(r), known.count)
                    added &+= known[at] ? 0 : 1
                    known[at] = true
                }
            }
            store.knownCount += added
            if todo.count == rows.count {
                // Every row was to do (`todo` is `rows`): the answers are the result.
                decided[key] = store
                return answers
            }
        }
        let result = isEveryRow(rows) ? store.values.all : store.values.gather(rows: rows)
        decided[key] = store
        return result
    }

    struct RuleGroup {
        var rules: [RuleCode]
        var context: Context
    }

    /// The candidates in force of each row, as signatures: `groups[start[s] ..< start[s + 1]]`
    /// are the groups of signature `s`'s candidates, in candidate order.
    struct Signatures {
        var ofRow: [Int32]
        var start: [Int] = [0]
        var groups: [Int] = []
        var count: Int { start.count - 1 }
    }

    /// Works out which candidates are in force for each row, and answers.
    private func resolve(_ d: Int, _ rows: [Int32], _ world: World) throws -> Vec {
        let code = world.decisionCode(d)
        guard code.version >= 0 else {
            let e = EvalError("decision '\(world.program.decisions[d].name)' is not defined in scenario '\(world.name)'", at: nil)
            for r in rows { fail(r, e) }
            return .bools(Array(repeating: false, count: rows.count))
        }
        guard code.caseType == data.record, code.caseFields.date == dateField, code.caseFields.jurisdiction == jurisdictionField,
              case .dates(let dates) = data.columns[dateField], case .jurisdictions(let places) = data.columns[jurisdictionField] else {
            throw VectorUnsupported()
        }
        if case .sparse(let byJurisdiction) = code.plans, byJurisdiction.isEmpty {
            // No candidates anywhere (a decision only its default answers): one signature.
            if errorsIsEmpty {
                return try eval(code.defaultNode, rows, Context(world: world, inRule: true, locals: [.bool(false)], localCount: 1))
            }
            return try answer(d, rows, code, world, [], Signatures(ofRow: Array(repeating: 0, count: rows.count), start: [0, 0]))
        }
        let table = code.vectorTable(world, d)
        let ofRow = try table.signatures(places, dates, lo: lo, rows: rows)
        let groups = table.groups.map { g in
            RuleGroup(rules: g.rules, context: Context(world: world, inRule: true, locals: g.locals, localCount: g.localCount))
        }
        return try answer(d, rows, code, world, groups, Signatures(ofRow: ofRow, start: table.signatureStart, groups: table.signatureGroups))
    }

    /// The answers of decision `d` for `rows`, whose candidates in force are given by their
    /// signatures.
    private func answer(_ d: Int, _ rows: [Int32], _ code: DecisionCode, _ world: World, _ groups: [RuleGroup],
                        _ sig: Signatures) throws -> Vec {
        var out = VecSlots(rows.count)
        // The rows of each signature, in one array sorted by signature (a counting sort):
        // `bySignature[sigStart[s] ..< sigStart[s + 1]]`.
        var sigStart = [Int](repeating: 0, count: sig.count + 1)
        var bySignature: [Int]
        if sig.count == 1 {
            sigStart[1] = rows.count
            bySignature = VecSlots.identity(rows.count)
        } else {
            // (Signatures are the table's own numbers, below `sig.count`.)
            sigStart.withUnsafeMutableBufferPointer { starts in
                for s in sig.ofRow { starts[Moves.index(Int(s) + 1, starts.count)] += 1 }
            }
            for s in 0..<sig.count { sigStart[s + 1] += sigStart[s] }
            var fill = sigStart
            bySignature = [Int](unsafeUninitializedCapacity: rows.count) { out, initialized in
                fill.withUnsafeMutableBufferPointer { next in
                    sig.ofRow.withUnsafeBufferPointer { of in
                        for k in 0..<of.count {
                            let s = Moves.index(Int(of[k]), next.count)
                            out[Moves.index(next[s], out.count)] = k
                            next[s] += 1
                        }
                    }
                }
                initialized = rows.count
            }
        }
        // How many answers each row has had (0, 1, or 2 for several).
        var answers = [Int8](repeating: 0, count: rows.count)
        var several = false
        var round = 0
        while true {
            // Each row's round-th candidate, by group.
            var byGroup = [[Int]](repeating: [], count: groups.count)
            var order: [Int] = []
            for s in 0..<sig.count where sig.start[s] + round < sig.start[s + 1] {
                let g = sig.groups[sig.start[s] + round]
                if byGroup[g].isEmpty { order.append(g) }
                let members = bySignature[sigStart[s]..<sigStart[s + 1]]
                if errorsIsEmpty {
                    byGroup[g] += members
                } else {
                    byGroup[g] += members.filter { alive(rows[$0]) }
                }
            }
            if order.isEmpty { break }
            for g in order {
                let group = groups[g]
                var open = byGroup[g]
                for rule in group.rules where !open.isEmpty {
                    var hit = open
                    var miss: [Int] = []
                    if let condition = rule.conditionNode {
                        let holds = try eval(condition, Moves.gather(rows, open) { $0 }, group.context).bools
                        (hit, miss) = split(open, by: holds, rows)
                    }
                    let values = try eval(rule.valueNode, Moves.gather(rows, hit) { $0 }, group.context)
                    if round == 0 && errorsIsEmpty {
                        // Every case's first answer (a rule meets only the cases the group's
                        // earlier rules left open).
                        answers.withUnsafeMutableBufferPointer { a in for k in hit { a[Moves.index(k, a.count)] = 1 } }
                        out.scatter(values, at: hit)
                    } else {
                        var first: [Int] = [], firstAt: [Int] = []
                        for (p, k) in hit.enumerated() where alive(rows[k]) {
                            if answers[k] == 0 {
                                first.append(p)
                                firstAt.append(k)
                            }
                            answers[k] = answers[k] < 2 ? answers[k] + 1 : 2
                            if answers[k] == 2 { several = true }
                        }
                        out.scatter(first.count == values.count ? values : values.gather(first), at: firstAt)
                    }
                    open = miss
                }
            }
            round += 1
        }
        // No answer: the default. Several: resolved case by case (overrides, combiners, ties).
        var none: [Int] = []
        if errorsIsEmpty {
            // Without branches: every row is written, and the count moves on where it has no answer.
            none = [Int](repeating: 0, count: rows.count)
            var count = 0
            none.withUnsafeMutableBufferPointer { out in
                answers.withUnsafeBufferPointer { a in
                    for k in 0..<a.count {
                        out[count] = k
                        count &+= a[k] == 0 ? 1 : 0
                    }
                }
            }
            none.removeLast(none.count - count)
        } else {
            for k in rows.indices where alive(rows[k]) && answers[k] == 0 { none.append(k) }
        }
        if !none.isEmpty {
            let defaults = try eval(code.defaultNode, Moves.gather(rows, none) { $0 },
                                    Context(world: world, inRule: true, locals: [.bool(false)], localCount: 1))
            out.scatter(defaults, at: none)
        }
        guard several else { return out.all }
        frame.world = world
        for k in rows.indices where alive(rows[k]) && answers[k] > 1 {
            let c = data.caseRecord(lo + Int(rows[k]))
            frame.subject = .record(c)
            frame.caseRecord = nil
            frame.locals = []
            do { out.set(try Resolution.decide(d, c, &frame), at: k) } catch let e as EvalError { fail(rows[k], e) }
        }
        return out.all
    }
}

/// Decision `d`'s candidates in one world, laid out once for every chunk of every query.
/// Plans of the same shape (each entry's rules, its arguments where its rules read them,
/// and its in-force periods: a policy enacted in hundreds of counties) answer alike, so
/// the table is laid out per shape: each jurisdiction's shape by number; per shape the
/// dates where its candidates change (`cuts[cutStart[p] ..< cutStart[p + 1]]`) and, for
/// each piece of time between them, its signature (`pieceSignature[pieceStart[p] + piece]`):
/// the groups of the candidates in force, in order
/// (`signatureGroups[signatureStart[s] ..< signatureStart[s + 1]]`).
final class VectorPlanTable: @unchecked Sendable {
    /// Candidates that answer alike: the same rules, and the same arguments when the rules
    /// read them (every instance of a policy whose rules read no argument is one group).
    struct Group {
        var rules: [RuleCode]
        /// A rule's slots: the case's (filled per case) and the instance's arguments.
        var locals: [Value]
        var localCount: Int
    }

    let groups: [Group]
    /// Per jurisdiction: its plan's shape.
    let shapeOf: [Int32]
    /// How many distinct plans the shapes were found among.
    let planCount: Int
    let cutStart: [Int]
    let cuts: [Int32]
    let pieceStart: [Int]
    let pieceSignature: [Int32]
    let signatureStart: [Int]
    let signatureGroups: [Int]
    /// Per signature: how many candidates it has (high 32 bits) and its first candidate's
    /// group (low 32; 0 with no candidate), so a first round reads one word per case.
    let firstOfSignature: [UInt64]
    /// Per jurisdiction, when the calendars are short enough to lay out day by day: the row
    /// of `days` its shape's signatures are in. `days[row * (daySpan + 1) + i]` is the
    /// signature on day `firstCut + i - 1` (`i = 0`: any day before the first finite cut;
    /// the last: any day from the last finite cut on).
    let dayRowOf: [Int32]?
    let days: [Int32]
    let firstCut: Int
    let daySpan: Int

    /// Past this many entries, signatures are found by counting cuts instead of by day.
    static let maximumDayEntries = 1 << 20

    init(_ world: World, _ d: Int, _ code: DecisionCode) {
        let numbered = VectorPlanTable.numberedPlans(world, d, code)
        // Groups, found by their rules and (where the rules read them) arguments.
        var groups: [Group] = []
        var groupIndex = HashIndex()
        var groupArguments: [[Value]] = []
        var cutStart = [0], cuts: [Int32] = [], pieceStart: [Int] = [], pieceSignature: [Int32] = []
        var signatureStart = [0], signatureGroups: [Int] = []
        var signatureIndex = HashIndex()
        var dates: [Int32] = []
        // Each shape laid out from its first plan.
        for first in numbered.shapes {
            let plan = numbered.plans[Int(first)]
            // The group of each entry.
            let ids: [Int] = plan.entries.map { e in
                let rules = Array(plan.rules[e.rules])
                let arguments = Array(plan.arguments[e.arguments])
                let keyArguments = e.readsArguments ? arguments : []
                var hash = HashIndex.hash(rules.map { UInt(bitPattern: ObjectIdentifier($0)) })
                for a in keyArguments { HashIndex.mix(&hash, UInt64(UInt(bitPattern: a.hashValue))) }
                let found = groupIndex.find(hash) { g in
                    groupArguments[Int(g)] == keyArguments && groups[Int(g)].rules.elementsEqual(rules, by: ===)
                }
                if let found { return Int(found) }
                groups.append(Group(rules: rules, locals: [.bool(false)] + arguments, localCount: max(e.localCount, 1 + arguments.count)))
                groupArguments.append(keyArguments)
                return Int(groupIndex.add(hash))
            }
            dates.removeAll(keepingCapacity: true)
            for e in plan.entries {
                for i in e.periods {
                    dates.append(plan.periodStarts[i])
                    dates.append(plan.periodEnds[i])
                }
            }
            dates.sort()
            // Each date once.
            let shapeCuts = cuts.count
            for date in dates where cuts.count == shapeCuts || cuts.last != date { cuts.append(date) }
            cutStart.append(cuts.count)
            pieceStart.append(pieceSignature.count)
            // Piece 0 is before every cut; piece i starts at cut i - 1.
            for piece in 0...(cuts.count - shapeCuts) {
                let date = piece == 0 ? Int32.min : cuts[shapeCuts + piece - 1]
                var list: [Int] = []
                for (i, e) in plan.entries.enumerated() where piece > 0 && plan.inForce(e, on: date) { list.append(ids[i]) }
                let hash = HashIndex.hash(list)
                if let known = signatureIndex.find(hash, { signatureGroups[signatureStart[Int($0)]..<signatureStart[Int($0) + 1]].elementsEqual(list) }) {
                    pieceSignature.append(known)
                } else {
                    signatureGroups += list
                    signatureStart.append(signatureGroups.count)
                    pieceSignature.append(signatureIndex.add(hash))
                }
            }
        }
        self.groups = groups
        shapeOf = numbered.planOf.map { numbered.shapeOf[Int($0)] }
        planCount = numbered.plans.count
        self.cutStart = cutStart
        self.cuts = cuts
        self.pieceStart = pieceStart
        self.pieceSignature = pieceSignature
        self.signatureStart = signatureStart
        self.signatureGroups = signatureGroups
        firstOfSignature = (0..<(signatureStart.count - 1)).map { s in
            let first = signatureStart[s], count = signatureStart[s + 1] - first
            return UInt64(count) << 32 | UInt64(count > 0 ? UInt32(signatureGroups[first]) : 0)
        }
        // Shapes with the same calendar of signatures share a row of days.
        // (The open ends of periods, `InForce.minusInfinity` and `plusInfinity`, are cuts
        // no day of a case lies beyond: a day before the first finite cut or after the last
        // has that cut's neighbour's signature.)
        let finite = cuts.filter { $0 != InForce.minusInfinity && $0 != InForce.plusInfinity }
        let first = finite.min().map(Int.init) ?? 0, last = finite.max().map(Int.init) ?? -1
        firstCut = first
        daySpan = last - first + 1
        // (A shape's calendar: its cuts, then its pieces' signatures.)
        func calendar(_ p: Int) -> [Int32] {
            Array(cuts[cutStart[p]..<cutStart[p + 1]]) + [-1]
                + Array(pieceSignature[pieceStart[p]...(pieceStart[p] + cutStart[p + 1] - cutStart[p])])
        }
        var calendarIndex = HashIndex()
        var calendars: [[Int32]] = []
        var rowOfShape: [Int32] = []
        var days: [Int32] = []
        for p in 0..<(cutStart.count - 1) {
            let shapeCalendar = calendar(p)
            let hash = HashIndex.hash(shapeCalendar)
            if let row = calendarIndex.find(hash, { calendars[Int($0)] == shapeCalendar }) {
                rowOfShape.append(row)
                continue
            }
            calendars.append(shapeCalendar)
            rowOfShape.append(calendarIndex.add(hash))
            if calendarIndex.count * (daySpan + 1) > VectorPlanTable.maximumDayEntries { break }
            // Day by day, the piece moving on at each cut (as `countedSignature` counts them).
            var piece = 0, next = cutStart[p]
            for i in 0...daySpan {
                let day = Int32(first + i - 1)
                while next < cutStart[p + 1] && cuts[next] <= day {
                    piece += 1
                    next += 1
                }
                days.append(pieceSignature[pieceStart[p] + piece])
            }
        }
        if rowOfShape.count == cutStart.count - 1 {
            dayRowOf = shapeOf.map { rowOfShape[Int($0)] }
            self.days = days
        } else {
            dayRowOf = nil
            self.days = []
        }
    }

    /// The decision's distinct plans, numbered, with their shapes: as the world laid them
    /// out when it was frozen, or (sparse plans) found here by identity.
    private static func numberedPlans(_ world: World, _ d: Int, _ code: DecisionCode) -> NumberedPlans {
        if let numbered = code.numbered { return numbered }
        let count = world.program.jurisdictions.count
        var plans: [CandidatePlan] = []
        var numberOf: [ObjectIdentifier: Int32] = [:]
        let planOf = (0..<count).map { j -> Int32 in
            let plan = code.plan(world, d, Int32(j))
            if let p = numberOf[ObjectIdentifier(plan)] { return p }
            plans.append(plan)
            numberOf[ObjectIdentifier(plan)] = Int32(plans.count - 1)
            return Int32(plans.count - 1)
        }
        return NumberedPlans(plans, planOf: planOf)
    }

    /// The signature of shape `p` on `date`: how many of its cuts are on or before the date
    /// is the piece (counted without branches when there are few, as there usually are).
    @inline(__always)
    static func countedSignature(_ p: Int, _ date: Int32, _ cutStart: [Int], _ cuts: [Int32], _ pieceStart: [Int],
                                 _ pieceSignature: [Int32]) -> Int32 {
        let first = cutStart[p], end = cutStart[p + 1]
        var piece = 0
        if end - first <= 16 {
            for m in first..<end { piece &+= cuts[m] <= date ? 1 : 0 }
        } else {
            var a = first, b = end
            while a < b {
                let m = (a + b) / 2
                if cuts[m] <= date { a = m + 1 } else { b = m }
            }
            piece = a - first
        }
        return pieceSignature[pieceStart[p] + piece]
    }
}

extension VectorPlanTable {
    /// The signature of each row of `rows` (chunk rows from `lo`): its jurisdiction's
    /// plan's piece of time its date falls in.
    func signatures(_ places: [Int32], _ dates: [Int32], lo: Int, rows: [Int32]) throws -> [Int32] {
        let count = rows.count
        var bad = false
        let out = [Int32](unsafeUninitializedCapacity: count) { out, initialized in
            places.withUnsafeBufferPointer { ps in
                dates.withUnsafeBufferPointer { ds in
                    rows.withUnsafeBufferPointer { rs in
                        withSignatures { lookup in
                            let n = Swift.min(ps.count, ds.count)
                            for k in 0..<count {
                                let row = Moves.index(lo + Int(rs[k]), n)
                                let s = lookup.signature(place: ps[row], day: ds[row])
                                bad = bad || s == nil
                                out[k] = s ?? 0
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        if bad { throw VectorUnsupported() }
        return out
    }

    /// Calls `body` with the table's lookup of a case's signature, its rows read in place
    /// (valid only inside `body`): loops over many cases keep them in registers instead of
    /// reading the table's fields for each case.
    @inline(__always)
    func withSignatures<R>(_ body: (SignatureLookup) throws -> R) rethrows -> R {
        try (dayRowOf ?? []).withUnsafeBufferPointer { rowOf in
            try days.withUnsafeBufferPointer { days in
                try body(SignatureLookup(table: self, rowOf: rowOf, days: days, firstCut: firstCut, daySpan: daySpan))
            }
        }
    }

    /// The signature of a case in jurisdiction `j` on `day` (nil: `j` is not in the table).
    func signature(place j: Int32, day: Int32) -> Int32? {
        withSignatures { $0.signature(place: j, day: day) }
    }

    /// The signature of shape `p` on `date`.
    @inline(__always)
    func signature(shape p: Int, on date: Int32) -> Int32 {
        VectorPlanTable.countedSignature(p, date, cutStart, cuts, pieceStart, pieceSignature)
    }
}

/// A case's signature from a `VectorPlanTable` (`withSignatures`): by the day table, one
/// lookup (the day clamped into the jurisdiction's row), else by counting its shape's cuts;
/// nil where the jurisdiction is not in the table.
struct SignatureLookup {
    let table: VectorPlanTable
    /// Per jurisdiction, its row of days (empty: signatures are found by counting cuts).
    let rowOf: UnsafeBufferPointer<Int32>
    let days: UnsafeBufferPointer<Int32>
    let firstCut: Int
    let daySpan: Int

    @inline(__always)
    func signature(place j: Int32, day: Int32) -> Int32? {
        guard j >= 0 else { return nil }
        if Int(j) < rowOf.count && day != InForce.plusInfinity {
            let i = Swift.max(0, Swift.min(Int(day) - firstCut + 1, daySpan))
            return days[Moves.index(Int(rowOf[Int(j)]) * (daySpan + 1) + i, days.count)]
        }
        guard Int(j) < table.shapeOf.count else { return nil }
        return table.signature(shape: Int(table.shapeOf[Int(j)]), on: day)
    }
}
