import PolicySyntax
import PolicySupport

// The fast path of `table`, `compare` and `plot`: memoised per-case values, chunks of
// cases on every core, merged in chunk order (so the result does not depend on the number
// of threads).

extension QueryRunner {
    struct FastResult {
        var groups: [[Value]: Accumulator]
        /// Differing cases by why they differ (compare only), in the order first met.
        var differing: [AttributionKey: Int]
        var order: [AttributionKey]
    }

    /// What one chunk of cases adds up to.
    struct ChunkResult {
        var groups: [[Value]: Accumulator] = [:]
        var groupOrder: [[Value]] = []
        var errors = RunErrors()
        var differing = CauseCounts()
        var interrupted = false
    }

    /// What a differing case is counted under: the scenario it differs in (against the
    /// first), and why.
    struct AttributionKey: Hashable {
        var alternative: Int
        var reason: Attribution
    }

    /// The same before it is put in words: what chunks count differing cases under.
    struct CauseKey: Hashable {
        var alternative: Int
        var cause: AttributionCause
    }

    /// Counts differing cases by cause, in the order causes are first met.
    struct CauseCounts {
        private var index: [CauseKey: Int] = [:]
        private(set) var counted: [(CauseKey, Int)] = []

        mutating func add(_ key: CauseKey, _ n: Int = 1) {
            if let i = index[key] {
                counted[i].1 += n
            } else {
                index[key] = counted.count
                counted.append((key, n))
            }
        }

        mutating func add(_ other: CauseCounts) {
            for (key, n) in other.counted { add(key, n) }
        }
    }

    /// The counts in words: each cause worded once, and causes worded alike counted
    /// together, in the order first met.
    func worded(_ counts: CauseCounts, _ worlds: [World]) -> (differing: [AttributionKey: Int], order: [AttributionKey]) {
        let renderer = ExplainRenderer(program: program)
        var differing: [AttributionKey: Int] = [:]
        var order: [AttributionKey] = []
        for (k, n) in counts.counted {
            let reason = k.cause.worded(renderer, baseline: worlds[0].name, scenario: worlds[k.alternative].name)
            let key = AttributionKey(alternative: k.alternative, reason: reason)
            if differing[key] == nil { order.append(key) }
            differing[key, default: 0] += n
        }
        return (differing, order)
    }

    /// Cases per chunk, the same for every engine and thread count (number totals are
    /// merged chunk by chunk). Small enough that when one core runs slower than the other
    /// (a busy machine), the last chunks still even out the work.
    static let chunkSize = 1 << 15

    func fastAccumulate(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column],
                        _ source: SourceRef) throws -> FastResult? {
        Engine.mark("before the query")
        guard let resolver = program.resolver, data.count > 0, !Engine.generalOnly else { return nil }
        var deps = q.aggregates.map { resolver.resolve($0.deps) }
        for k in q.keys { if case .expression = k.kind { deps.append(resolver.resolve(k.deps)) } }
        if q.filter != nil { deps.append(resolver.resolve(q.filterDeps)) }
        guard let plan = FastPlan.make(program, data, deps) else {
            if Engine.explain {
                // Why the memo declined: what each aggregate, key and filter reads.
                let reads = deps.map { "fields \($0.fields)" + ($0.opaque ? ", opaque" : "") + ($0.chance ? ", chance" : "") }
                Engine.note("  not by the memo: the query reads " + reads.joined(separator: "; "))
            }
            return nil
        }
        if Engine.explain { Engine.note("fast engine: \(plan.smallFields.count) small fields, \(plan.combos) combinations, decisions \(plan.decisions)") }

        let info = program.records[data.record]
        guard let dateField = info.dateField, let jurisdictionField = info.jurisdictionField else { return nil }
        // Per key and per output column, what the accumulation needs, decided once (reading
        // `q.keys[k]` per case would copy the key's description each time).
        let keyKinds: [_FastShared.KeyKind] = q.keys.map { k in
            switch k.kind {
            case .year: return .year
            case .month: return .month
            case .quarter: return .quarter
            case .expression: return .expression
            }
        }
        let colKind: [_FastShared.ColumnKind] = cols.map { col in
            switch q.aggregates[col.aggregate].kind {
            case .count: return .count
            case .countIf, .share: return .countIf
            case .spread: return .spread
            case .sum(_, let isInt): return isInt ? .intSum : .numberSum
            case .mean: return .numberSum
            }
        }
        // The columns in place, for as long as the query runs.
        let results: [ChunkResult?] = data.withRawColumns { raw in
            guard dateField < raw.count, jurisdictionField < raw.count else { return [] }
            let dates = raw[dateField].bindMemory(to: Int32.self), jurisdictions = raw[jurisdictionField].bindMemory(to: Int32.self)
            // (The plan took only typed date and jurisdiction columns; be sure of it.)
            guard dates.count == data.count, jurisdictions.count == data.count else { return [] }
            var minDate = Int32.max, maxDate = Int32.min, maxJurisdiction: Int32 = -1
            for d in dates { minDate = Swift.min(minDate, d); maxDate = Swift.max(maxDate, d) }
            for j in jurisdictions { maxJurisdiction = Swift.max(maxJurisdiction, j) }
            var present = [Bool](repeating: false, count: Int(maxJurisdiction) + 1)
            for j in jurisdictions where j >= 0 { present[Int(j)] = true }
            // Calendar keys, precomputed over the population's dates.
            var calendar: [(year: Int64, month: Int64, quarter: Int64)] = []
            if keyKinds.contains(where: { $0 != .expression }), minDate <= maxDate {
                calendar.reserveCapacity(Int(maxDate - minDate) + 1)
                for d in minDate...maxDate {
                    let c = CivilDate(dayNumber: Int(d))
                    calendar.append((Int64(c.year), Int64(c.year * 100 + c.month), Int64(c.year * 10 + (c.month - 1) / 3 + 1)))
                }
            }
            // For one calendar key, each day's group as a small number (the histogram path).
            var dayGroups: [Int32] = [], groupCodes: [Int64] = []
            if keyKinds.count == 1, keyKinds[0] != .expression {
                var idOf: [Int64: Int32] = [:]
                for c in calendar {
                    let code = keyKinds[0] == .year ? c.year : keyKinds[0] == .month ? c.month : c.quarter
                    if let id = idOf[code] {
                        dayGroups.append(id)
                    } else {
                        idOf[code] = Int32(groupCodes.count)
                        dayGroups.append(Int32(groupCodes.count))
                        groupCodes.append(code)
                    }
                }
            }
            Engine.mark("plan and date range")
            // Worlds made for an analysis count too: their policies may be in force over other periods.
            let variants = worlds.filter(\.isVariant)
            // A table far larger than the cases (many classes, periods and combinations)
            // would cost more memory than it saves work: each case is evaluated instead.
            let limit = max(1 << 22, 4 * data.count)
            let layout = MemoLayout(plan: plan, program: program, worlds: variants.isEmpty ? nil : program.worlds + variants,
                                    dates: (minDate, maxDate, maxJurisdiction), limit: limit, present: present)
            Engine.mark("memo layout (\(layout.tableSize) entries)")
            guard layout.tableSize <= limit else { return [] }
            // The memo pays when keys repeat often. A key costs several times what one case
            // costs the general engine (it explores every path of the `chance` draws it
            // consults, and its cases then walk their trees), so with fewer than about eight
            // cases per entry of its table (every county its own class, say) the general
            // engine is faster: 10,000,000 bookings of the national model, 3.7 cases per
            // entry, compare in 1.5 s against 8.7 s through the memo. A small table costs
            // nothing to try.
            guard layout.tableSize <= max(1 << 12, data.count / 8) || Engine.memoAlways else {
                if Engine.explain { Engine.note("general engine: a memo of \(layout.tableSize) entries for \(data.count) cases would not pay") }
                return []
            }
            let shared = _FastShared(
                q: q, data: data, worlds: worlds, layout: layout, columns: raw, dates: dates, keyKinds: keyKinds,
                colAggregate: cols.map(\.aggregate), colMember: cols.map { $0.member ?? -1 }, colKind: colKind,
                calendarTable: calendar, calendarStart: minDate, dayGroups: dayGroups, calendarGroupCodes: groupCodes,
                histogram: keyKinds.count <= 1 && !colKind.contains(.numberSum) && (keyKinds.isEmpty || keyKinds[0] == .expression || !dayGroups.isEmpty),
                runner: self)
            let chunkCount = (data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
            let workers = min(workerCount(), chunkCount)
            // Each key evaluated once for all the workers, each of which gets a copy.
            var counts: [Int] = []
            let seeded = withUnsafeMutablePointer(to: &counts) { _FastWorker.precomputedMemos(shared, workers: workers, counted: $0) }
            // A table whose answers involve no draws and no errors: its totals follow from the
            // counts, with no second pass over the cases.
            if let seeded, !counts.isEmpty, !program.cancellation.isRaised,
               let counted = _FastWorker.countedResult(shared, seeded, counts) {
                Engine.mark("totals from the counts of cases per key")
                return [counted]
            }
            let copies = _MemoBox((0..<workers).map { w in
                guard let seeded else { return [] }
                return w == 0 ? seeded : seeded.map { $0.map { Memo(copying: $0) } }
            })
            Engine.mark(seeded == nil ? "no shared evaluation" : "keys evaluated once for all workers")
            let slots = Slots<ChunkResult>(chunkCount)
            let counter = ChunkCounter()
            runParallel(workers: workers) { w in
                let worker = _FastWorker(shared, memos: copies.memos[w].isEmpty ? nil : copies.memos[w])
                while true {
                    let chunk = counter.take()
                    guard chunk < chunkCount else { break }
                    slots.set(chunk, worker.run(chunk: chunk))
                }
            }
            return slots.all
        }
        guard !results.isEmpty else { return nil }
        Engine.mark("chunks")
        // Merge in chunk order.
        var groups: [[Value]: Accumulator] = [:]
        var errors = RunErrors()
        var causes = CauseCounts()
        var interrupted = false
        for r in results {
            guard let r else { continue }
            interrupted = interrupted || r.interrupted
            Accumulator.merge(r.groupOrder, r.groups, into: &groups)
            errors.merge(r.errors)
            causes.add(r.differing)
        }
        if interrupted { throw Interrupted() }
        try errors.throwIfAny()
        Engine.mark("merge")
        let (counts, order) = worded(causes, worlds)
        return FastResult(groups: groups, differing: counts, order: order)
    }

    /// What attributing a query's cases needs, made once for many cases: each aggregate's
    /// per-case value (nil: `count`, the same for every case) and a frame to reuse.
    struct Attributor {
        let evals: [Eval?]
        var frame: Frame

        init(_ q: Query, _ world: World) {
            evals = q.aggregates.map(\.perCase)
            frame = Frame(world: world)
        }
    }

    /// Why case `row` answers differently in `worlds[alternative]` than in `worlds[0]` (nil
    /// when it does not): the first decision whose derivations part ways.
    func attributionCause(_ a: inout Attributor, _ data: PopulationData, _ row: Int, _ worlds: [World],
                          against alternative: Int) throws -> AttributionCause? {
        a.frame.subject = .record(data.caseRecord(row))
        var traces: [[DecisionTrace]] = []
        var values: [[Value]] = []
        for w in [worlds[0], worlds[alternative]] {
            a.frame.world = w
            let recorder = Recorder()
            a.frame.recorder = recorder
            defer { a.frame.recorder = nil }
            var v: [Value] = []
            v.reserveCapacity(a.evals.count)
            for e in a.evals { v.append(try e.map { try $0(&a.frame) } ?? .bool(true)) }
            values.append(v)
            traces.append(recorder.roots)
        }
        guard values[0] != values[1] else { return nil }
        if let (x, y) = ExplainRenderer.firstDifference(traces[0], traces[1]) {
            return AttributionCause(decision: x.decision, scenario: .init(y), baseline: .init(x))
        }
        return .noDecision
    }

    /// The attribution lines: with two scenarios, one list; with more, one list for each
    /// scenario after the first, of the cases that differ in it.
    func attributionLines(_ counts: [AttributionKey: Int], _ order: [AttributionKey], _ worlds: [World]) -> [String] {
        guard counts.values.reduce(0, +) > 0 else { return ["No case differs between the scenarios."] }
        var lines: [String] = []
        for alternative in 1..<max(2, worlds.count) {
            let mine = order.filter { $0.alternative == alternative }
            let heading = worlds.count > 2 ? " in \(worlds[alternative].name)" : ""
            if mine.isEmpty, worlds.count > 2 {
                lines.append("No case differs between \(worlds[0].name) and \(worlds[alternative].name).")
                continue
            }
            lines += attributionLines(mostFirst(mine.map { (key: $0, cases: counts[$0, default: 0]) }), heading: heading)
        }
        return lines
    }

    /// The same counts as objects, most cases first (then in the order first met).
    func attributed(_ counts: [AttributionKey: Int], _ order: [AttributionKey], point: String? = nil) -> [AttributedCases] {
        mostFirst(order.map { (key: $0, cases: counts[$0, default: 0]) })
            .map { AttributedCases(point: point, cases: $0.cases, reason: $0.key.reason) }
    }

    /// Groups in the order first met, sorted most cases first (ties keep that order).
    private func mostFirst(_ groups: [(key: AttributionKey, cases: Int)]) -> [(key: AttributionKey, cases: Int)] {
        groups.enumerated()
            .sorted { ($0.element.cases, $1.offset) > ($1.element.cases, $0.offset) }
            .map(\.element)
    }

    /// The lines of one list: its total, then its twelve largest groups (`sorted`, most
    /// cases first), then how many more there are.
    private func attributionLines(_ sorted: [(key: AttributionKey, cases: Int)], heading: String) -> [String] {
        let total = sorted.reduce(0) { $0 + $1.cases }
        guard total > 0 else { return ["No case differs between the scenarios."] }
        var lines = ["Attribution of the \(Digits.grouped(String(total))) case\(total == 1 ? "" : "s") that differ\(heading):"]
        let width = sorted.map { Digits.grouped(String($0.cases)).count }.max() ?? 1
        for group in sorted.prefix(12) {
            let n = Digits.grouped(String(group.cases))
            lines.append("  \(String(repeating: " ", count: width - n.count))\(n)  \(group.key.reason.text)")
        }
        if sorted.count > 12 { lines.append("  … and \(sorted.count - 12) smaller groups") }
        return lines
    }
}

extension QueryRunner.Accumulator {
    /// Adds one chunk's groups, in the order they first appeared in it, to `groups`.
    static func merge(_ order: [[Value]], _ chunk: [[Value]: QueryRunner.Accumulator],
                      into groups: inout [[Value]: QueryRunner.Accumulator]) {
        for k in order {
            guard let acc = chunk[k] else { continue }
            if var existing = groups.removeValue(forKey: k) {
                existing.merge(acc)
                groups[k] = existing
            } else {
                groups[k] = acc
            }
        }
    }

    mutating func merge(_ o: QueryRunner.Accumulator) {
        cases += o.cases
        weight += o.weight
        for s in totals.indices {
            for c in totals[s].indices {
                totals[s][c] += o.totals[s][c]
                intTotals[s][c] += o.intTotals[s][c]
            }
        }
    }
}

/// Engine switches, for tests and benchmarks (`EngineOptions`): `POLICY_ENGINE=general`
/// turns the memoised path off, `scalar` evaluates every case alone, so they can be compared.
public enum Engine {
    /// Whether the engines note which engine each query uses, and the time of each phase.
    public static var explain: Bool { EngineOptions.current.explain && EngineOptions.current.telemetry != nil }
    /// With `POLICY_ENGINE_EXPLAIN`, notes the time since the previous mark.
    public static func mark(_ what: String) {
        guard explain else { return }
        let now = clock()
        note(lastMark == 0 ? "  \(what)" : "  \(what): \(microseconds(since: lastMark)) µs")
        lastMark = now
    }

    /// Whole microseconds since `start` (a `clock()` reading).
    static func microseconds(since start: Double) -> Int {
        Int(((clock() - start) * 1e6).rounded())
    }

    /// The monotonic clock, in seconds.
    static func clock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    nonisolated(unsafe) private static var lastMark = 0.0

    static func note(_ s: String) {
        EngineOptions.current.telemetry?(s)
    }

    /// `POLICY_ENGINE=general`: no memo; `POLICY_ENGINE=scalar`: no memo and every case
    /// evaluated alone (the reference the others are compared with).
    public static var generalOnly: Bool {
        [.general, .vectors, .scalar].contains(EngineOptions.current.engine)
    }

    /// `POLICY_ENGINE=vectors`: the general engine without its kernels.
    public static var kernels: Bool { EngineOptions.current.engine != .vectors }

    /// `POLICY_ENGINE=memo`: the memo wherever it applies, whether or not it pays.
    public static var memoAlways: Bool { EngineOptions.current.engine == .memo }

    public static var scalarOnly: Bool { EngineOptions.current.engine == .scalar }
}

#if canImport(Glibc)
import Glibc
#endif
