import PolicySyntax
import PolicySupport

// The general path of `table`, `compare` and `plot`: every case evaluated by the checked
// code, in chunks of cases on every core, each chunk adding up its own groups, merged in
// chunk order. The chunks are the memo's (`QueryRunner.chunkSize`), so number sums are
// added in the same order whichever engine ran and however many threads it had.

extension QueryRunner {
    /// What one chunk of cases adds up to on the general path.
    struct GeneralChunk {
        var groups: [[Value]: Accumulator] = [:]
        var groupOrder: [[Value]] = []
        var errors = RunErrors()
        /// Rows whose answers differ between the scenarios of a `compare`, in row order.
        var differing: [Int] = []
        /// Those rows counted by why they differ, in the order first met; or the error that
        /// attributing them met (thrown only when no case's evaluation failed).
        var attributed = CauseCounts()
        var attributionError: Error?
        var interrupted = false
        /// An error that stops the whole query (not one case's), e.g. an aggregate inside an
        /// expression whose own cases failed: rethrown when the merge reaches this chunk.
        var stop: Error?
        /// Whether the chunk's aggregates ran as kernels.
        var byKernels = false
    }

    /// Evaluates every case (the general path).
    func generalAccumulate(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column],
                           _ source: SourceRef) throws -> Accumulated {
        let chunkCount = (data.count + QueryRunner.chunkSize - 1) / QueryRunner.chunkSize
        guard chunkCount > 0 else { return Accumulated(groups: [:]) }
        // Expressions the dependency analysis does not follow (aggregates inside an
        // expression build populations as they go) run on one thread.
        let opaque: Bool = {
            guard let resolver = program.resolver else { return true }
            var all = q.aggregates.map(\.deps) + q.keys.map(\.deps)
            if q.filter != nil { all.append(q.filterDeps) }
            return all.contains { resolver.resolve($0).opaque }
        }()
        let workers = opaque ? 1 : min(workerCount(), chunkCount)
        let calendar = CalendarDays(q, data, program, calendarKey)
        // The tables the kernels read, laid out by the workers side by side before they compile.
        let tables = Engine.kernels && !Engine.scalarOnly ? KernelTable.reached(by: q, in: worlds) : []
        let tableCounter = ChunkCounter()
        Engine.mark("general engine: set up")
        let slots = Slots<GeneralChunk>(chunkCount)
        let counter = ChunkCounter()
        let runner = self
        let started = Engine.explain ? Engine.clock() : 0
        runParallel(workers: workers) { worker in
            // Each worker compiles the query's kernels once, for all its chunks.
            let kernels = KernelCache()
            var taken = 0
            let began = Engine.explain ? Engine.microseconds(since: started) : 0
            defer {
                if Engine.explain {
                    // (When a worker began and was done: the last to finish sets the phase's time.)
                    Engine.note("  worker \(worker): \(taken) chunks, from \(began) to \(Engine.microseconds(since: started)) µs")
                }
            }
            while true {
                let t = tableCounter.take()
                guard t < tables.count else { break }
                tables[t].layOut()
            }
            while true {
                let chunk = counter.take()
                guard chunk < chunkCount else { break }
                taken += 1
                let lo = chunk * QueryRunner.chunkSize
                let result = runner.generalChunk(q, data, worlds, cols, lo: lo, n: Swift.min(QueryRunner.chunkSize, data.count - lo),
                                                 calendar: calendar, kernels: kernels, vector: !Engine.scalarOnly)
                slots.set(chunk, result)
                if result.interrupted || result.stop != nil { break }
            }
        }
        if Engine.explain {
            let byKernels = slots.all.reduce(0) { $0 + ($1?.byKernels == true ? 1 : 0) }
            Engine.mark("general engine: \(chunkCount) chunks (\(byKernels) by kernels) on \(workers) workers")
        }
        // Merge in chunk order.
        var out = Accumulated(groups: [:])
        var errors = RunErrors()
        var attributionError: Error?
        var causes = CauseCounts()
        for r in slots.all {
            guard let r else { continue }
            if r.interrupted { throw Interrupted() }
            if let stop = r.stop { throw stop }
            Accumulator.merge(r.groupOrder, r.groups, into: &out.groups)
            errors.merge(r.errors)
            if attributionError == nil { attributionError = r.attributionError }
            causes.add(r.attributed)
        }
        if program.cancellation.isRaised { throw Interrupted() }
        try errors.throwIfAny()
        if let attributionError { throw attributionError }
        (out.differing, out.order) = worded(causes, worlds)
        Engine.mark("general engine: merged")
        return out
    }

    /// Rows `lo ..< lo + n`: many cases at a time where every expression has nodes the
    /// chunk evaluator can take (`vector`), else case by case.
    func generalChunk(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column], lo: Int, n: Int,
                      calendar: CalendarDays?, kernels: KernelCache, vector: Bool) -> GeneralChunk {
        var out = evaluateChunk(q, data, worlds, cols, lo: lo, n: n, calendar: calendar, kernels: kernels, vector: vector)
        // A compare's differing cases are attributed here, on the chunk's core; a query
        // that fails anyway is not attributed.
        if !out.differing.isEmpty, !out.interrupted, out.stop == nil, out.errors.entries.isEmpty {
            do {
                out.attributed = try attributionCounts(q, data, out.differing, worlds)
            } catch {
                out.attributionError = error
            }
        }
        return out
    }

    /// A chunk's cases added up, by the chunk evaluator or, for what it does not take, case
    /// by case.
    private func evaluateChunk(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column], lo: Int, n: Int,
                               calendar: CalendarDays?, kernels: KernelCache, vector: Bool) -> GeneralChunk {
        let adder = ChunkAdder(q, cols, worlds: worlds.count, intSum: cols.map { $0.isInt && isIntSum(q.aggregates[$0.aggregate]) },
                               weights: data.weights)
        if vector {
            do {
                return try vectorChunk(q, data, worlds, adder, calendar, kernels, lo: lo, n: n)
            } catch is Interrupted {
                var out = GeneralChunk()
                out.interrupted = true
                return out
            } catch {
                // A node the chunk evaluator does not take here: case by case.
            }
        }
        return scalarChunk(q, data, worlds, adder, lo: lo, n: n)
    }

    /// The calendar key of a case's date.
    func calendarKey(_ kind: KeyKind, _ day: Int32) -> Value? {
        switch kind {
        case .year: return .int(Int64(CivilDate(dayNumber: Int(day)).year))
        case .month: return .string(Calendar.monthKey(day))
        case .quarter: return .string(Calendar.quarterKey(day))
        case .expression: return nil
        }
    }

    /// Case by case, with the checked code.
    func scalarChunk(_ q: Query, _ data: PopulationData, _ worlds: [World], _ adder: ChunkAdder, lo: Int, n: Int) -> GeneralChunk {
        var out = GeneralChunk()
        var adder = adder
        var frame = Frame(world: worlds[0])
        let dateField = program.records[data.record].dateField ?? 0
        let aggregateCount = q.aggregates.count
        // Reused for every case: the key and the aggregates' values per world.
        var key: [Value] = []
        key.reserveCapacity(q.keys.count)
        var values = [Value](repeating: .bool(false), count: worlds.count * aggregateCount)
        // The cases that count, and their aggregates' values, added up once the chunk is done.
        var okRows: [Int] = [], okGroups: [Int32] = []
        var columns = [[Value]](repeating: [], count: worlds.count * aggregateCount)
        for row in lo..<(lo + n) {
            if row & 0x3FFF == 0, program.cancellation.isRaised {
                out.interrupted = true
                return out
            }
            let c = data.caseRecord(row)
            frame.subject = .record(c)
            frame.world = worlds[0]
            do {
                if let filter = q.filter, try !filter(&frame).asBool { continue }
                key.removeAll(keepingCapacity: true)
                for k in q.keys {
                    if case .expression(let e) = k.kind {
                        key.append(try e(&frame))
                    } else if let v = calendarKey(k.kind, c.fields[dateField].asDate) {
                        key.append(v)
                    }
                }
                for (w, world) in worlds.enumerated() {
                    frame.world = world
                    for a in 0..<aggregateCount { values[w * aggregateCount + a] = try caseValue(q.aggregates[a], &frame) }
                }
                okRows.append(row)
                okGroups.append(Int32(adder.group(key, into: &out)))
                for i in values.indices { columns[i].append(values[i]) }
            } catch let e as EvalError {
                out.errors.add(e, row: row, c)
            } catch is Interrupted {
                out.interrupted = true
                return out
            } catch {
                out.stop = error
                return out
            }
        }
        adder.add(rows: okRows, groups: okGroups, values: columns.map { .values($0) }, into: &out)
        adder.finish(into: &out)
        return out
    }

    /// Many cases at a time: the filter, then each key, then each world's aggregates, each
    /// over the cases still in (so each case meets its steps, and its first error, in the
    /// order evaluating it alone would), then added up in row order.
    func vectorChunk(_ q: Query, _ data: PopulationData, _ worlds: [World], _ adder: ChunkAdder, _ calendar: CalendarDays?,
                     _ cache: KernelCache, lo: Int, n: Int) throws -> GeneralChunk {
        let chunk = try VectorChunk(data: data, lo: lo, n: n, world: worlds[0], queryDate: nil)
        guard case .dates(let dates) = data.columns[chunk.dateField] else { throw VectorUnsupported() }
        var rows = chunk.everyRow
        let baseline = VectorChunk.Context.query(worlds[0])
        if let filter = q.filter {
            let holds = try chunk.eval(q.filterNode ?? .scalar(filter), rows, baseline).bools
            rows = rows.indices.compactMap { k in chunk.alive(rows[k]) && holds[k] ? rows[k] : nil }
        }
        // Each key's value per row of the chunk (calendar keys are read when adding up).
        var keyValues = [[Value]](repeating: [], count: q.keys.count)
        for (i, k) in q.keys.enumerated() {
            guard case .expression(let e) = k.kind else { continue }
            let live = chunk.surviving(rows)
            let values = try chunk.values(k.node ?? .scalar(e), live, baseline)
            keyValues[i] = [Value](repeating: .bool(false), count: n)
            for (p, r) in live.enumerated() { keyValues[i][Int(r)] = values[p] }
        }
        let aggregateCount = q.aggregates.count
        var values = [Vec](repeating: .values([]), count: worlds.count * aggregateCount)
        let live = chunk.surviving(rows)
        var out = GeneralChunk()
        var adder = adder
        var key: [Value] = []
        key.reserveCapacity(q.keys.count)
        // The group of row `r` (of a day whose group is not known yet), made when its key
        // first appears.
        func group(_ r: Int, _ day: Int32) -> Int32 {
            key.removeAll(keepingCapacity: true)
            for (i, k) in q.keys.enumerated() {
                if case .expression = k.kind {
                    key.append(keyValues[i][r])
                } else if let v = calendarKey(k.kind, day) {
                    key.append(v)
                }
            }
            return Int32(adder.group(key, into: &out))
        }
        // With calendar keys only, a case's group follows from its day's key number: each
        // group is looked up once, when its key first appears in the chunk.
        var groupOfKey = [Int32](repeating: -1, count: calendar?.keys.count ?? 0)
        @inline(__always) func calendarGroup(_ calendar: CalendarDays, _ day: Int32) -> Int32 {
            let k = Int(calendar.keyOfDay[Moves.index(Int(day) - Int(calendar.firstDay), calendar.keyOfDay.count)])
            let g = groupOfKey[k]
            if g >= 0 { return g }
            let made = Int32(adder.group(calendar.keys[k], into: &out))
            groupOfKey[k] = made
            return made
        }
        // Adds up the chunk rows of `range`, of which `evaluated` (in order) have the values
        // `values` (per world and aggregate); the others were left out by the filter or failed.
        func addUp(_ range: Range<Int>, _ evaluated: [Int32], _ values: [Vec]) {
            if let calendar, chunk.errorsIsEmpty, evaluated.count == range.count {
                // Every case counts, at its own place among the values.
                let groups = [Int32](unsafeUninitializedCapacity: range.count) { out, initialized in
                    for (k, r) in range.enumerated() { out[k] = calendarGroup(calendar, dates[lo + r]) }
                    initialized = range.count
                }
                // (Rows are read only to weigh cases or to note a compare's differing ones.)
                let rows = data.weights != nil || q.kind == .compare ? Array((lo + range.lowerBound)..<(lo + range.upperBound)) : []
                adder.add(rows: rows, groups: groups, values: values, into: &out)
                return
            }
            // Each row's place among the evaluated values (-1: not evaluated).
            var positions = [Int32](repeating: -1, count: range.count)
            for (p, r) in evaluated.enumerated() { positions[Int(r) - range.lowerBound] = Int32(p) }
            // The cases that count: their rows, groups and places among the evaluated values.
            var okRows: [Int] = [], okGroups: [Int32] = [], okPositions: [Int] = []
            okRows.reserveCapacity(evaluated.count)
            okGroups.reserveCapacity(evaluated.count)
            okPositions.reserveCapacity(evaluated.count)
            for r in range {
                if let failure = chunk.failure(r) {
                    out.errors.add(failure, row: lo + r, data.caseRecord(lo + r))
                    continue
                }
                let p = Int(positions[r - range.lowerBound])
                guard p >= 0 else { continue }
                let day = dates[lo + r]
                okRows.append(lo + r)
                okGroups.append(calendar.map { calendarGroup($0, day) } ?? group(r, day))
                okPositions.append(p)
            }
            let counted = okPositions.count == evaluated.count ? values : values.map { $0.gather(okPositions) }
            adder.add(rows: okRows, groups: okGroups, values: counted, into: &out)
        }
        if Engine.kernels, let kernels = cache.kernels(q, worlds, chunk) {
            out.byKernels = true
            // Block by block, each added up while its values are in cache: straight from the
            // kernels' registers where every case of the block counts, alone.
            let direct = data.weights == nil && q.kind != .compare
            var groups = [Int32](repeating: 0, count: Kernel.blockSize)
            try kernels.evaluate(live, n: n) { range, evaluated, at in
                guard direct, let calendar, chunk.errorsIsEmpty, evaluated.count == range.count else {
                    addUp(range, Array(evaluated), kernels.values(at))
                    return
                }
                groups.withUnsafeMutableBufferPointer { gs in
                    for (k, r) in range.enumerated() { gs[k] = calendarGroup(calendar, dates[lo + r]) }
                }
                groups.withUnsafeBufferPointer { gs in
                    adder.add(groups: UnsafeBufferPointer(rebasing: gs[0..<range.count]), kernels: kernels.aggregates, at: at.at)
                }
            }
        } else {
            for (w, world) in worlds.enumerated() {
                for (a, aggregate) in q.aggregates.enumerated() {
                    let node = aggregate.perCase.map { aggregate.node ?? .scalar($0) } ?? .constant(.bool(true))
                    // Every aggregate over the same rows (failures show in `dead`).
                    values[w * aggregateCount + a] = try chunk.eval(node, live, .query(world))
                }
            }
            addUp(0..<n, live, values)
        }
        adder.finish(into: &out)
        return out
    }
}

/// A query's calendar keys (`by year`, `by month`, `by quarter`) for every day of the
/// population's dates, worked out once per query: day `firstDay + i` has key number
/// `keyOfDay[i]`, whose values are `keys[number]`. A chunk finds a case's group through its
/// key number, so it looks each group up once rather than once per day. Only for queries
/// whose keys are all calendar keys.
struct CalendarDays {
    let firstDay: Int32
    let keyOfDay: [Int32]
    let keys: [[Value]]

    init?(_ q: Query, _ data: PopulationData, _ program: Program, _ calendarKey: (KeyKind, Int32) -> Value?) {
        guard !q.keys.contains(where: { if case .expression = $0.kind { return true }; return false }),
              let field = program.records[data.record].dateField, let (first, last) = data.dateRange(field) else { return nil }
        // (Dates are checked into the calendar's years, so the span is a few million days at most.)
        let span = Int(last) - Int(first) + 1
        guard span > 0, span <= 1 << 22 else { return nil }
        var keyOfDay = [Int32](repeating: 0, count: span)
        var keys: [[Value]] = []
        var key: [Value] = []
        let monthly = q.keys.allSatisfy { $0.kind.holdsForAMonth }
        var i = 0
        while i < span {
            let day = first + Int32(i)
            key = q.keys.compactMap { calendarKey($0.kind, day) }
            // Calendar keys follow the days: a new key is a new number.
            if keys.last != key { keys.append(key) }
            // Keys that are the same on every day of a month hold to the month's end.
            var end = i + 1
            if monthly {
                let date = CivilDate(dayNumber: Int(day))
                let nextMonth = date.month == 12 ? CivilDate.dayNumber(year: date.year + 1, month: 1, day: 1)
                    : CivilDate.dayNumber(year: date.year, month: date.month + 1, day: 1)
                end = Swift.min(span, Swift.max(end, nextMonth - Int(first)))
            }
            for k in i..<end { keyOfDay[k] = Int32(keys.count - 1) }
            i = end
        }
        firstDay = first
        self.keyOfDay = keyOfDay
        self.keys = keys
    }
}
