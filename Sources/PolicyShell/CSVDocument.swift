import PolicyCore

// `policy run --format csv` prints each result as a block that Python's `csv` module, a
// spreadsheet or pandas reads on its own:
//
//     # compare baseline, trust_act_2012 on count(outcome == transferred) by year from bookings
//     year,count(outcome == transferred) baseline,…,count(outcome == transferred) change trust_act_2012
//     2013,225,189,-36,-0.16
//
//     # attribution: compare baseline, trust_act_2012 on count(outcome == transferred) by year from bookings
//     cases,decision,scenario,value,policy,…
//     178,honored,trust_act_2012,false,trust_act,…
//
// Blocks are apart by a blank line and open with a `#` line naming the statement. A value is
// a one-cell table (`value`); text (explain, timeline, status) is `#` lines only. Numbers
// have no digit grouping and an ASCII minus; a change is a fraction in a column named
// `… change`.

extension Session {
    func renderCSV(_ output: Output) {
        switch output {
        case .table(let t):
            if let path = t.output { return writeResultFile(path, Session.fileText(t, path: path), source: t.source) }
            csvBlock(TableRenderer(format: .csv).render(t))
            if !t.attribution.isEmpty {
                csvBlock(TableRenderer(format: .csv).render(AttributionJSON.table(t.attribution)), heading: "attribution: ")
            }
        case .chart(let c):
            if let path = c.output { return writeResultFile(path, ChartRenderer().svg(c), source: c.source) }
            csvBlock(TableRenderer(format: .csv).render(Session.chartTable(c)))
        case .value(let s, let v):
            csvBlock("value\n" + TableRenderer.csvField(program.map { ValueFormatter($0).plain(v) } ?? s) + "\n")
        case .text(let s), .explanation(let s, _):
            csvBlock("")
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            console.out(lines.dropLast(s.hasSuffix("\n") ? 1 : 0).map { "# " + $0 }.joined(separator: "\n") + "\n")
        case .testResult, .assertionFailed:
            render(output, as: .table)
        }
    }

    /// Starts a block: a blank line after the one before, then `# STATEMENT`; then `body`.
    func csvBlock(_ body: String, heading: String = "") {
        if resultsWritten > 0 { console.out("\n") }
        resultsWritten += 1
        if let s = statement {
            let text = s.source.file.text(s.source.span).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            console.out("# \(heading)\(text)\n")
        }
        console.out(body)
    }

    /// The numbers behind a chart, as a table: its keys, then each series — with, for a
    /// series with a 95% interval, `NAME ci_low` and `NAME ci_high`.
    static func chartTable(_ c: ChartData) -> ResultTable {
        var header = [c.xLabel.isEmpty ? "key" : c.xLabel]
        for (si, s) in c.series.enumerated() {
            header.append(s.name)
            if si < c.bands.count, c.bands[si] != nil { header += ["\(s.name) ci_low", "\(s.name) ci_high"] }
        }
        return ResultTable(header: header, keyColumns: 1, rows: c.keys.enumerated().map { i, k in
            var row: [ResultTable.Cell] = [.text(k)]
            for (si, s) in c.series.enumerated() {
                row.append(.number(s.values[i]))
                if si < c.bands.count, let band = c.bands[si] { row += [.number(band.low[i]), .number(band.high[i])] }
            }
            return row
        })
    }
}
