import PolicySyntax

// What `replicates` and `sweep` print (§10): long format — the swept params first, then
// the keys, then the aggregates; each cell the mean over replicates with its interval, and
// for `compare` the mean paired difference with its own.

struct AnalysisSummary {
    let runner: QueryRunner
    let q: Query
    let scenarios: [Int]
    let cols: [QueryRunner.Column]
    let replicates: Int
    let points: [QueryRunner.SweepPoint]
    let sweeps: [SweepPlan]
    /// A group's cells where no case fell in it (in a replicate that lacks the group).
    let emptyCells: [[ResultTable.Cell]]

    typealias Cell = ResultTable.Cell
    /// [point][group][replicate] → [scenario][column]; nil where the replicate had no such group.
    typealias Results = [[[Value]: [[[Cell]]?]]]

    func unit(_ ci: Int) -> Estimate.Unit { cols[ci].unit }

    func summarize(_ values: [Cell], _ unit: Estimate.Unit) -> Cell { .summary(of: values, unit) }

    func replicatesOf(_ p: Int, _ key: [Value], _ results: Results) -> [[[Cell]]] {
        (results[p][key] ?? []).map { $0 ?? emptyCells }
    }

    func table(_ results: Results) -> ResultTable {
        let names = scenarios.map { runner.program.scenarios[$0].name }
        let lead = sweeps.map(\.name) + q.keys.map(\.label)
        var header = lead
        var groups: [(String, Int)] = lead.isEmpty ? [] : [("", lead.count)]
        let comparing = q.kind == .compare
        for col in cols {
            var sub = comparing ? names : [col.label]
            if comparing {
                for n in names.dropFirst() {
                    sub += names.count > 2 || replicates > 1 ? ["Δ \(n)", "% \(n)"] : ["Δ", "%"]
                }
            }
            header += sub
            groups.append((col.label, sub.count))
        }
        var rows: [[Cell]] = []
        for p in points.indices {
            for key in runner.sortedKeys(results[p].keys) {
                let reps = replicatesOf(p, key, results)
                var row = points[p].cells + runner.keyCells(key)
                for ci in cols.indices {
                    let u = unit(ci)
                    if !comparing {
                        row.append(summarize(reps.map { $0[0][ci] }, u))
                        continue
                    }
                    for s in scenarios.indices { row.append(summarize(reps.map { $0[s][ci] }, u)) }
                    for s in scenarios.indices.dropFirst() {
                        if replicates == 1, let only = reps.first {
                            row.append(runner.difference(only[s][ci], only[0][ci]))
                            row.append(runner.change(only[s][ci], only[0][ci]))
                            continue
                        }
                        let paired = reps.map { ($0[s][ci].numeric ?? 0) - ($0[0][ci].numeric ?? 0) }
                        row.append(.estimate(Estimate(paired, unit: u)))
                        let base = reps.reduce(0) { $0 + ($1[0][ci].numeric ?? 0) } / Double(max(1, reps.count))
                        let other = reps.reduce(0) { $0 + ($1[s][ci].numeric ?? 0) } / Double(max(1, reps.count))
                        row.append(base == 0 ? .empty : .percent((other - base) / base))
                    }
                }
                rows.append(row)
            }
        }
        var table = ResultTable(header: header, keyColumns: lead.count, rows: rows)
        if comparing || !sweeps.isEmpty && cols.count > 1 { table.groups = groups }
        if replicates > 1 {
            table.notes = [Estimate.note(replicates: replicates)]
        }
        return table
    }

    func chart(_ results: Results, source: SourceRef) -> ChartData {
        var allKeys = Set<[Value]>()
        for r in results { allKeys.formUnion(r.keys) }
        let keys = runner.sortedKeys(allKeys)
        var series: [(String, [Double])] = []
        var bands: [(low: [Double], high: [Double])?] = []
        for p in points.indices {
            for ci in cols.indices {
                for s in scenarios.indices {
                    var name = cols.count == 1 ? runner.program.scenarios[scenarios[s]].name
                        : scenarios.count == 1 ? cols[ci].label : "\(cols[ci].label) (\(runner.program.scenarios[scenarios[s]].name))"
                    if !sweeps.isEmpty { name += " · \(points[p].label)" }
                    series.append((name, keys.map { key in
                        let reps = replicatesOf(p, key, results)
                        guard !reps.isEmpty else { return 0 }
                        return reps.reduce(0) { $0 + ($1[s][ci].numeric ?? 0) } / Double(reps.count)
                    }))
                    guard replicates > 1 else { bands.append(nil); continue }
                    let estimates = keys.map { key in
                        Estimate(replicatesOf(p, key, results).map { $0[s][ci].numeric ?? 0 }, unit: cols[ci].unit)
                    }
                    bands.append((estimates.map(\.low), estimates.map(\.high)))
                }
            }
        }
        let suffix = replicates > 1 ? " (mean of \(replicates) replicates, with its 95% interval)" : ""
        return runner.chart(q, cols, suffix: suffix, keys: keys.map { runner.keyText($0, separator: " ") },
                            series: series, bands: bands, source: source)
    }
}
