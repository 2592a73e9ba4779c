import PolicyCore

/// A result table as HTML, for notebooks (`text/html` in `policy repl --jsonl`): the same
/// cells as the text table (thousands grouped, percentages, `±` intervals), keys on the
/// left, numbers aligned right, the title as a caption and the notes after it.
///
///     HTMLTable.render(table)   // "<table class=\"policy-table\">\n<caption>…"
enum HTMLTable {
    static func render(_ t: ResultTable) -> String {
        var out = "<table class=\"policy-table\">\n"
        if let title = t.title { out += "<caption>\(escape(title))</caption>\n" }
        out += "<thead>\n"
        if !t.groups.isEmpty {
            // The group row spans the key columns with an empty cell, then each group.
            let grouped = t.groups.reduce(0) { $0 + $1.span }
            let leading = max(0, t.header.count - grouped)
            out += "<tr>"
            if leading > 0 { out += "<th colspan=\"\(leading)\"></th>" }
            for g in t.groups { out += "<th colspan=\"\(g.span)\" style=\"text-align:center\">\(escape(g.title))</th>" }
            out += "</tr>\n"
        }
        out += "<tr>"
        for (i, h) in t.header.enumerated() { out += "<th\(align(i, t))>\(escape(h))</th>" }
        out += "</tr>\n</thead>\n<tbody>\n"
        for row in t.rows {
            out += "<tr>"
            for (i, cell) in row.enumerated() {
                // A key that is an int names something (a case number): written plain.
                let text: String
                if i < t.keyColumns, case .int(let n) = cell { text = String(n) } else { text = TableRenderer.display(cell) }
                out += "<td\(align(i, t))>\(escape(text))</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n</table>\n"
        for note in t.notes { out += "<p>\(escape(note))</p>\n" }
        return out
    }

    static func align(_ column: Int, _ t: ResultTable) -> String {
        column < t.keyColumns ? " style=\"text-align:left\"" : " style=\"text-align:right\""
    }

    /// Text safe inside an element or a quoted attribute (as the SVG charts escape theirs).
    static func escape(_ s: String) -> String { ChartRenderer.xml(s) }
}
