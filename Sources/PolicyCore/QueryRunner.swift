import PolicySyntax

/// Runs `table`, `compare` and `plot` over a population (§7).
struct QueryRunner {
    let program: Program
    let current: Int
    /// Set when the script runs in shards, is planned, or is merged.
    var sharding: ShardRun? = nil
    /// The query's index among the script's statements (names its units when sharded).
    var statement = 0

    /// Per group: for each scenario and each output column, a running total.
    struct Accumulator {
        var cases = 0
        /// The sum of the group's weights (§10; 0 when the population has none).
        var weight = 0.0
        /// [scenario][column]: number sums, and counts or int sums (exact; finished once).
        var totals: [[Double]]
        var intTotals: [[IntTotal]]
    }

    /// One output column of an aggregate (a spread gives one per enum member).
    struct Column {
        var aggregate: Int
        var label: String
        /// For a spread: the member counted.
        var member: Int32?
        var isInt: Bool
        var isShare: Bool
        var isMean: Bool
        /// Over a weighted population: shares and means divide by the sum of weights.
        var weighted = false

        /// How its figures read in an estimate over replicates.
        var unit: Estimate.Unit { isShare ? .percent : isInt ? .count : .number }
    }

    /// Over a weighted population (§10) every column but `cases` adds weights: a number.
    func columns(_ q: Query, weighted: Bool = false) -> [Column] {
        var out: [Column] = []
        for (i, a) in q.aggregates.enumerated() {
            switch a.kind {
            case .spread(_, let e):
                for (m, name) in program.enums[e].members.enumerated() {
                    out.append(Column(aggregate: i, label: name, member: Int32(m), isInt: !weighted, isShare: false, isMean: false))
                }
            case .count(plain: true): out.append(Column(aggregate: i, label: a.label, member: nil, isInt: true, isShare: false, isMean: false))
            case .count, .countIf: out.append(Column(aggregate: i, label: a.label, member: nil, isInt: !weighted, isShare: false, isMean: false))
            case .share: out.append(Column(aggregate: i, label: a.label, member: nil, isInt: false, isShare: true, isMean: false))
            case .sum(_, let isInt): out.append(Column(aggregate: i, label: a.label, member: nil, isInt: isInt && !weighted, isShare: false, isMean: false))
            case .mean: out.append(Column(aggregate: i, label: a.label, member: nil, isInt: false, isShare: false, isMean: true))
            }
        }
        if weighted { for k in out.indices { out[k].weighted = true } }
        return out
    }

    /// The per-case value of an aggregate (what `compare` attributes).
    func caseValue(_ a: QueryAggregate, _ frame: inout Frame) throws -> Value {
        try a.perCase.map { try $0(&frame) } ?? .bool(true)
    }

    /// The scenarios a query runs in: a table's one, a compare's, a plot's.
    func scenarioIndices(_ q: Query) -> [Int] {
        switch q.kind {
        case .table: return [q.scenarios.first ?? current]
        case .compare, .decompose: return q.scenarios
        case .plot: return q.scenarios.isEmpty ? [current] : q.scenarios
        }
    }

    /// What the cases of a population add up to, per group and scenario, and for `compare`
    /// the differing cases counted by why they differ.
    struct Accumulated {
        var groups: [[Value]: Accumulator]
        var differing: [AttributionKey: Int] = [:]
        var order: [AttributionKey] = []
    }

    func accumulate(_ q: Query, _ data: PopulationData, _ worlds: [World], _ cols: [Column],
                    _ source: SourceRef) throws -> Accumulated {
        program.tally.add(cases: data.count)
        // The memo does not add weights: a weighted population takes the general path.
        if data.weights == nil, let fast = try fastAccumulate(q, data, worlds, cols, source) {
            return Accumulated(groups: fast.groups, differing: fast.differing, order: fast.order)
        }
        return try generalAccumulate(q, data, worlds, cols, source)
    }

    /// Group keys in order.
    func sortedKeys<S: Sequence>(_ keys: S) -> [[Value]] where S.Element == [Value] {
        keys.sorted { a, b in
            for (x, y) in zip(a, b) where x != y { return ValueOrder.less(x, y) }
            return false
        }
    }

    /// One cell: column `ci` of scenario `s` in a group.
    func cell(_ acc: Accumulator, _ s: Int, _ ci: Int, _ key: [Value], _ cols: [Column], _ scenarios: [Int],
              _ source: SourceRef) throws -> ResultTable.Cell {
        let col = cols[ci]
        let what = "'\(col.label)'"
        func group() -> String {
            let k = keyText(key, separator: ", ")
            let s = scenarios.count > 1 ? "\(k.isEmpty ? "" : " ")under \(program.scenarios[scenarios[s]].name)" : ""
            return k + s
        }
        if col.weighted, col.isShare || col.isMean {
            let share = acc.weight == 0 ? 0 : try (acc.totals[s][ci] / acc.weight).finishNumber(what: what, at: source, group: group())
            return col.isShare ? .percent(share) : .number(share)
        }
        if col.isShare { return .percent(acc.cases == 0 ? 0 : Double(acc.intTotals[s][ci]) / Double(acc.cases)) }
        if col.isMean {
            return .number(acc.cases == 0 ? 0 : try (acc.totals[s][ci] / Double(acc.cases)).finishNumber(what: what, at: source, group: group()))
        }
        if col.isInt { return .int(try acc.intTotals[s][ci].finish(what: what, at: source, group: group())) }
        return .number(try acc.totals[s][ci].finishNumber(what: what, at: source, group: group()))
    }

    /// A group's key as cells: an int stays an int (a year is a number in JSON; a table
    /// writes a key's int plain), anything else its text.
    func keyCells(_ key: [Value]) -> [ResultTable.Cell] {
        let f = ValueFormatter(program)
        return key.map { v in
            switch v {
            case .int(let i): return .int(i)
            case .string(let s): return .text(s)
            default: return .text(f.format(v))
            }
        }
    }

    /// A group's key as text, as a chart labels it or a message names it.
    func keyText(_ key: [Value], separator: String) -> String {
        keyCells(key).map { cell -> String in
            switch cell {
            case .text(let t): return t
            case .int(let i): return String(i)
            default: return ""
            }
        }.joined(separator: separator)
    }

    /// A group no case fell in (every key comes from the groups; this stands in should one not).
    func emptyAccumulator(_ scenarios: Int, _ columns: Int) -> Accumulator {
        Accumulator(totals: Array(repeating: Array(repeating: 0, count: columns), count: scenarios),
                    intTotals: Array(repeating: Array(repeating: 0, count: columns), count: scenarios))
    }

    func run(_ q: Query, source: SourceRef) throws -> [Output] {
        if !q.analysis.isEmpty { return try runAnalysis(q, source: source) }
        let scenarios = scenarioIndices(q)
        let worlds = scenarios.map { program.worlds[$0] }
        let data = try PopulationBuilder.build(q.population, in: worlds[0], cancel: program.cancellation)
        let cols = columns(q, weighted: data.weights != nil)
        let result = try accumulate(q, data, worlds, cols, source)
        let groups = result.groups
        let keys = sortedKeys(groups.keys)
        let keyHeader = q.keys.map(\.label)
        let empty = emptyAccumulator(scenarios.count, cols.count)
        func cell(_ acc: Accumulator, _ s: Int, _ ci: Int, _ key: [Value]) throws -> ResultTable.Cell {
            try self.cell(acc, s, ci, key, cols, scenarios, source)
        }
        switch q.kind {
        case .table:
            var table = ResultTable(header: keyHeader + cols.map(\.label), keyColumns: q.keys.count,
                                    rows: try keys.map { k in keyCells(k) + (try cols.indices.map { try cell(groups[k] ?? empty, 0, $0, k) }) })
            if q.scenarios.first.map({ $0 != 0 }) ?? (current != 0) { table.title = "under \(program.scenarios[scenarios[0]].name)" }
            return [.table(table)]
        case .compare, .decompose:
            var header = keyHeader
            var groupsHeader: [(String, Int)] = q.keys.isEmpty ? [] : [("", q.keys.count)]
            let names = scenarios.map { program.scenarios[$0].name }
            for col in cols {
                var sub = names
                for n in names.dropFirst() { sub += names.count > 2 ? ["Δ \(n)", "% \(n)"] : ["Δ", "%"] }
                header += sub
                groupsHeader.append((col.label, sub.count))
            }
            var rows: [[ResultTable.Cell]] = []
            for k in keys {
                let acc = groups[k] ?? empty
                var row = keyCells(k)
                for ci in cols.indices {
                    let base = try cell(acc, 0, ci, k)
                    for s in scenarios.indices { row.append(try cell(acc, s, ci, k)) }
                    for s in scenarios.indices.dropFirst() {
                        let other = try cell(acc, s, ci, k)
                        row.append(difference(other, base))
                        row.append(change(other, base))
                    }
                }
                rows.append(row)
            }
            var table = ResultTable(header: header, keyColumns: q.keys.count, rows: rows)
            table.groups = groupsHeader
            table.notes = attributionLines(result.differing, result.order, worlds)
            table.attribution = attributed(result.differing, result.order)
            return [.table(table)]
        case .plot:
            var series: [(String, [Double])] = []
            for ci in cols.indices {
                for s in scenarios.indices {
                    let name = cols.count == 1 ? program.scenarios[scenarios[s]].name
                        : scenarios.count == 1 ? cols[ci].label : "\(cols[ci].label) (\(program.scenarios[scenarios[s]].name))"
                    series.append((name, try keys.map { k in (try cell(groups[k] ?? empty, s, ci, k)).plotted }))
                }
            }
            return [.chart(chart(q, cols, keys: keys.map { keyText($0, separator: " ") }, series: series, source: source))]
        }
    }

    /// A plot's chart: titled as `titled` says, or by its aggregates and keys (with `suffix`);
    /// its axes labelled by the keys and by what is counted, summed or shared.
    func chart(_ q: Query, _ cols: [Column], suffix: String = "", keys: [String], series: [(name: String, values: [Double])],
               bands: [(low: [Double], high: [Double])?] = [], source: SourceRef) -> ChartData {
        let what = cols.count == 1 ? cols[0].label : q.aggregates.map(\.label).joined(separator: ", ")
        let by = q.keys.map(\.label).joined(separator: ", ")
        var c = ChartData(title: q.title ?? "\(what) by \(by)\(suffix)", keys: keys, series: series, output: q.output,
                          source: source, bands: bands)
        c.xLabel = by
        c.isTitled = q.title != nil
        // The unit, where all the columns share one: cases counted, or a share (a fraction).
        let unit = cols.allSatisfy(\.isShare) ? " (fraction of cases)"
            : cols.allSatisfy({ $0.isInt && !$0.weighted && q.aggregates[$0.aggregate].isCount }) ? " (cases)" : ""
        c.yLabel = what + unit
        return c
    }

    func isIntSum(_ a: QueryAggregate) -> Bool {
        if case .sum(_, let isInt) = a.kind { return isInt }
        return false
    }

    func difference(_ a: ResultTable.Cell, _ b: ResultTable.Cell) -> ResultTable.Cell {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            // A difference past the int range is still a difference: shown as a number.
            let (d, o) = x.subtractingReportingOverflow(y)
            return o ? .number(Double(x) - Double(y)) : .int(d)
        case (.number(let x), .number(let y)): return .number(x - y)
        case (.percent(let x), .percent(let y)): return .percent(x - y)
        default: return .empty
        }
    }

    func change(_ a: ResultTable.Cell, _ b: ResultTable.Cell) -> ResultTable.Cell {
        let x: Double, y: Double
        switch (a, b) {
        case (.int(let p), .int(let q)): x = Double(p); y = Double(q)
        case (.number(let p), .number(let q)), (.percent(let p), .percent(let q)): x = p; y = q
        default: return .empty
        }
        return y == 0 ? .empty : .percent((x - y) / y)
    }

    /// For cases whose answer differs, which policy decided them in each scenario (§7):
    /// differing `rows` counted by why they differ, in the order first met (one chunk's: the
    /// chunks' counts are merged in chunk order, then worded).
    func attributionCounts(_ q: Query, _ data: PopulationData, _ rows: [Int], _ worlds: [World]) throws -> CauseCounts {
        var counts = CauseCounts()
        var attributor = Attributor(q, worlds[0])
        for row in rows {
            if program.cancellation.isRaised { throw Interrupted() }
            for w in 1..<worlds.count {
                guard let cause = try attributionCause(&attributor, data, row, worlds, against: w) else { continue }
                counts.add(CauseKey(alternative: w, cause: cause))
            }
        }
        return counts
    }
}

extension ResultTable.Cell {
    /// The cell as a point of a chart.
    var plotted: Double {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d), .percent(let d): return d
        case .estimate(let e): return e.mean
        default: return 0
        }
    }

    /// The cell as a number (for statistics over replicates); nil for text and blanks.
    var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d), .percent(let d): return d
        case .estimate(let e): return e.mean
        case .text, .empty: return nil
        }
    }
}
