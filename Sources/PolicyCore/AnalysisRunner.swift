import PolicySyntax
import PolicySupport

// Queries with `replicates` and `sweep` (§10): the same accumulation as a plain query, run
// once per (replicate, sweep point), then summarised. Replicates run one after another, so
// one replicate's population is in memory at a time; within a replicate every scenario and
// sweep point reads the same cases and the same draws (common random numbers), so their
// differences are paired.

extension QueryRunner {
    /// One sweep point: the value of each swept param, in the order of the clauses.
    struct SweepPoint {
        var values: [Value]
        var cells: [ResultTable.Cell]
        var label: String
    }

    func runAnalysis(_ q: Query, source: SourceRef) throws -> [Output] {
        let a = q.analysis
        var frame = Frame(world: program.baseline)
        var replicates = 1
        if let r = a.replicates {
            let n = try r(&frame).asInt
            guard n >= 2 else {
                throw EvalError("'replicates' needs 2 or more, not \(n)", at: a.replicatesSource,
                                hint: "a confidence interval needs at least two runs; without 'replicates' the query runs once")
            }
            guard n <= Int64(Limits.current.replicates) else {
                throw EvalError("\(Digits.grouped(String(n))) replicates is more than the limit of \(Limits.grouped(Limits.current.replicates))",
                                at: a.replicatesSource, hint: Limits.raiseHint("replicates"))
            }
            replicates = Int(n)
        }
        if let d = a.decomposition { return try runDecomposition(q, d, replicates: replicates, source: source) }
        let points = try sweepPoints(a.sweeps, &frame)
        let scenarios = scenarioIndices(q)
        let version = program.worlds[scenarios[0]].populationVersion[q.population]
        let cols = columns(q, weighted: version >= 0 && program.populations[q.population].versions[version].weight != nil)
        let populationReadsParams = !a.sweeps.isEmpty && version >= 0
            && program.populations[q.population].versions[version].needsWholeProgram
        // Each point's worlds are built once when there are few points, else for each use.
        let keepWorlds = points.count <= 64
        var kept: [Int: WorldSet] = [:]
        func worldSet(_ p: Int) throws -> WorldSet? {
            guard !a.sweeps.isEmpty else { return nil }
            if let set = kept[p] { return set }
            var overrides: [Int: Value] = [:]
            for (k, s) in a.sweeps.enumerated() { overrides[s.param] = points[p].values[k] }
            let set = try WorldVariants.patched(program, overrides: overrides)
            if keepWorlds { kept[p] = set }
            return set
        }
        // [point][group][replicate] → [scenario][column]
        var results = [[[Value]: [[[ResultTable.Cell]]?]]](repeating: [:], count: points.count)
        var differing = [[AttributionKey: Int]](repeating: [:], count: points.count)
        var order = [[AttributionKey]](repeating: [], count: points.count)
        if let sharding, sharding.isPlanning {
            planUnits(q, source, points: points.map(\.label), replicates: replicates, worlds: scenarios.count)
            return []
        }
        func add(_ part: UnitPartial, point p: Int, replicate r: Int) {
            for g in part.groups { results[p][g.key, default: Array(repeating: nil, count: replicates)][r] = g.cells }
            for d in part.differing {
                let k = AttributionKey(alternative: d.alternative, reason: d.reason)
                if differing[p][k] == nil { order[p].append(k) }
                differing[p][k, default: 0] += d.count
            }
        }
        let memos = (1 + q.keys.count + scenarios.count * q.aggregates.count) * points.count
        try program.answerCache.keeping(replicates > 1 ? memos : 0) {
            for r in 0..<replicates {
                var shared: PopulationData?
                for p in points.indices {
                    if program.cancellation.isRaised { throw Interrupted() }
                    let unit = WorkUnit(statement: statement, point: p, replicate: r)
                    if let sharding {
                        if sharding.isMerging { add(try sharding.partial(unit), point: p, replicate: r) }
                        guard sharding.computes(unit) else { continue }
                    }
                    let set = try worldSet(p)
                    let worlds = scenarios.map { set?.worlds[$0] ?? program.worlds[$0] }
                    let data: PopulationData
                    if let shared, !populationReadsParams {
                        data = shared
                    } else {
                        data = try PopulationBuilder.build(q.population, in: worlds[0], cancel: program.cancellation, replicate: UInt64(r))
                        shared = data
                    }
                    let acc = try withExtendedLifetime(set) { try accumulate(q, data, worlds, cols, source) }
                    var part = UnitPartial(groups: [], differing: [])
                    for key in sortedKeys(acc.groups.keys) {
                        guard let group = acc.groups[key] else { continue }
                        var cells: [[ResultTable.Cell]] = []
                        for s in scenarios.indices {
                            cells.append(try cols.indices.map { try cell(group, s, $0, key, cols, scenarios, source) })
                        }
                        part.groups.append(.init(key: key, cells: cells))
                    }
                    part.differing = acc.order.map { .init(alternative: $0.alternative, reason: $0.reason, count: acc.differing[$0, default: 0]) }
                    if let sharding {
                        sharding.keep(unit, .partial(part))
                    } else {
                        add(part, point: p, replicate: r)
                    }
                }
            }
        }
        if let sharding, !sharding.isMerging { return [] }
        let empty = emptyAccumulator(scenarios.count, cols.count)
        let emptyCells = try scenarios.indices.map { s in try cols.indices.map { try cell(empty, s, $0, [], cols, scenarios, source) } }
        let summary = AnalysisSummary(runner: self, q: q, scenarios: scenarios, cols: cols, replicates: replicates,
                                      points: points, sweeps: a.sweeps, emptyCells: emptyCells)
        switch q.kind {
        case .table, .compare:
            var table = summary.table(results)
            if q.kind == .compare {
                for p in points.indices {
                    // Attribution names the scenarios: the program's own worlds carry the same names.
                    var lines = attributionLines(differing[p], order[p], scenarios.map { program.worlds[$0] })
                    if replicates > 1 {
                        lines = lines.map { $0.hasPrefix("Attribution of") && $0.hasSuffix(":") ? String($0.dropLast()) + " (\(replicates) replicates together):" : $0 }
                    }
                    if !a.sweeps.isEmpty { lines.insert("With \(points[p].label):", at: 0) }
                    if p > 0, !lines.isEmpty { table.notes.append("") }
                    table.notes += lines
                    table.attribution += attributed(differing[p], order[p], point: a.sweeps.isEmpty ? nil : points[p].label)
                }
            } else if q.scenarios.first.map({ $0 != 0 }) ?? (current != 0) {
                table.title = "under \(program.scenarios[scenarios[0]].name)"
            }
            return [.table(table)]
        case .plot:
            return [.chart(summary.chart(results, source: source))]
        case .decompose:
            return [] // handled above
        }
    }

    /// Every point of the sweeps' product, the first sweep varying slowest.
    func sweepPoints(_ sweeps: [SweepPlan], _ frame: inout Frame) throws -> [SweepPoint] {
        var axes: [[(Value, ResultTable.Cell, String)]] = []
        let limit = Limits.current.sweepPoints
        var total = 1
        for s in sweeps {
            let values = try sweepValues(s, &frame, limit: limit)
            let f = ValueFormatter(program)
            axes.append(values.map { v in
                let cell: ResultTable.Cell
                switch v {
                case .int(let i): cell = .int(i)
                case .number(let x): cell = s.asPercent ? .percent(x) : .number(x)
                default: cell = .text(f.format(v))
                }
                let text: String
                if s.asPercent, case .number(let x) = v { text = NumberText.percent(x) } else { text = f.format(v) }
                return (v, cell, "\(s.name) = \(text)")
            })
            let (product, overflow) = total.multipliedReportingOverflow(by: values.count)
            guard !overflow, product <= limit else {
                throw EvalError("the sweeps make more than \(Limits.grouped(limit)) points", at: s.source,
                                hint: Limits.raiseHint("sweep"))
            }
            total = product
        }
        var points = [SweepPoint(values: [], cells: [], label: "")]
        for axis in axes {
            points = points.flatMap { p in
                axis.map { v, c, text in
                    SweepPoint(values: p.values + [v], cells: p.cells + [c], label: p.label.isEmpty ? text : p.label + ", " + text)
                }
            }
        }
        return points
    }

    /// A sweep's values: its list, or its range from low to high (inclusive) by step.
    func sweepValues(_ s: SweepPlan, _ frame: inout Frame, limit: Int) throws -> [Value] {
        switch s.values {
        case .list(let xs):
            return try xs.map { e -> Value in
                let v = try e(&frame)
                if s.type == .number, case .int(let i) = v { return .number(Double(i)) }
                return v
            }
        case .range(let lowEval, let highEval, let stepEval):
            let low = try lowEval(&frame), high = try highEval(&frame), step = try stepEval(&frame)
            func tooMany() -> EvalError {
                EvalError("the sweep of '\(s.name)' has more than \(Limits.grouped(limit)) values", at: s.source,
                          hint: "take a larger step, or \(Limits.raiseHint("sweep"))")
            }
            func notPositive() -> EvalError {
                EvalError("the step of a sweep must be more than zero", at: s.source,
                          hint: "sweep \(s.name) in LOW .. HIGH step S, with S > 0 and LOW ≤ HIGH")
            }
            switch (low, high, step) {
            case (.int(let a), .int(let b), .int(let d)):
                guard d > 0 else { throw notPositive() }
                guard a <= b else { return [] }
                let (span, o) = b.subtractingReportingOverflow(a)
                guard !o, span / d < Int64(limit) else { throw tooMany() }
                return (0...(span / d)).map { .int(a + $0 * d) }
            case (.number, .number, _), (.int, .number, _), (.number, .int, _):
                let a = low.asNumber, b = high.asNumber, d = step.asNumber
                guard d > 0, d.isFinite else { throw notPositive() }
                guard a <= b else { return [] }
                // Values as low + k·step, so no error builds up; a last value within a
                // millionth of a step of `high` is `high`.
                let steps = ((b - a) / d * (1 + 1e-12) + 1e-9).rounded(.down)
                guard steps.isFinite, steps < Double(limit) else { throw tooMany() }
                return (0...Int(steps)).map { .number(a + Double($0) * d) }
            case (.date(let a), .date(let b), .duration(let n, let unit)):
                guard n > 0 else { throw notPositive() }
                var out: [Value] = []
                var k: Int64 = 0
                while true {
                    let (amount, o) = n.multipliedReportingOverflow(by: k)
                    guard !o else { break }
                    let v = try Operators.add(.date(a), .duration(amount, unit), s.source)
                    guard case .date(let d) = v, d <= b else { break }
                    guard out.count < limit else { throw tooMany() }
                    out.append(v)
                    k += 1
                }
                return out
            default:
                throw EvalError("cannot sweep '\(s.name)' from \(ValueFormatter(program).format(low)) to \(ValueFormatter(program).format(high))",
                                at: s.source)
            }
        }
    }
}

