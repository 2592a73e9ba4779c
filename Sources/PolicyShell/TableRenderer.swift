import PolicyCore
import PolicySyntax
import PolicySupport

/// Output formats for machine use (`--format`, `:format`).
public enum OutputFormat: String, Sendable, CaseIterable {
    /// `jsonl`: a run's results as JSON objects, one per line (elsewhere, as `json`).
    case table, csv, json, jsonl
}

/// Renders result tables: aligned text with thousands separators, CSV, or JSON.
public struct TableRenderer {
    public var format: OutputFormat
    /// The terminal's width, when the text goes to one: a wider table is never wrapped by it
    /// but printed narrower (see `fitted`).
    public var maxWidth: Int?

    public init(format: OutputFormat) {
        self.format = format
    }

    public func render(_ t: ResultTable) -> String {
        switch format {
        case .table:
            guard let maxWidth else { return text(t) }
            return text(fitted(t, maxWidth))
        case .csv: return csv(t)
        case .json, .jsonl: return json(t)
        }
    }

    static func display(_ c: ResultTable.Cell) -> String {
        switch c {
        case .text(let s): return s
        case .int(let i): return TableRenderer.grouped(i)
        case .number(let d): return TableRenderer.number(d)
        case .percent(let p): return TableRenderer.percent(p)
        case .estimate(let e): return TableRenderer.estimate(e)
        case .empty: return ""
        }
    }

    /// `12,345 ± 210`: the mean and the half-width of its 95% interval, both to the
    /// precision the interval warrants (two significant digits of the half-width).
    static func estimate(_ e: Estimate) -> String {
        let scale = e.unit == .percent ? 100.0 : 1.0
        let mean = e.mean * scale, half = e.halfWidth * scale
        let decimals: Int
        if half > 0, half.isFinite {
            decimals = max(0, min(3, 1 - Int((half.magnitude).log10Floor)))
        } else {
            decimals = mean == mean.rounded() ? 0 : 3
        }
        let suffix = e.unit == .percent ? "%" : ""
        return fixed(mean, decimals) + suffix + " ± " + fixed(half, decimals) + suffix
    }

    /// `x` with `decimals` digits after the point, its whole part grouped by thousands.
    static func fixed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return NumberText.plain(x) }
        let text = NumberText.rounded(x, decimals: decimals)
        guard !text.contains("e") else { return text }
        var negative = false
        var body = Substring(text)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        if fraction.count < decimals { fraction += String(repeating: "0", count: decimals - fraction.count) }
        let whole = Digits.grouped(String(parts.first ?? "0"))
        let sign = negative && (whole != "0" || fraction.contains { $0 != "0" }) ? "−" : ""
        return sign + whole + (decimals > 0 ? "." + fraction : "")
    }

    /// Every integer grouped by thousands in tables: `12,877`.
    static func grouped(_ i: Int64) -> String {
        (i < 0 ? "−" : "") + Digits.grouped(String(i.magnitude))
    }

    static func number(_ d: Double) -> String {
        if Swift.abs(d) >= 1000 { return NumberText.grouped(d, minus: "−") }
        // The same minus sign as the grouped figures and ints of the same table.
        let text = NumberText.rounded(d, decimals: 3)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    static func percent(_ p: Double) -> String {
        guard p.isFinite else { return "" }
        return NumberText.percent(p).replacingOccurrences(of: "-", with: "−")
    }

    func text(_ t: ResultTable) -> String {
        // An int in a key column names something (a case number): written plain, so it can be
        // typed back as `bookings[1770]`; counts and sums are grouped by thousands.
        let rows = t.rows.map { r in
            r.enumerated().map { i, c -> String in
                if i < t.keyColumns, case .int(let n) = c { return String(n) }
                return TableRenderer.display(c)
            }
        }
        var widths = t.header.map { TextWidth.of($0) }
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], TextWidth.of(c)) } }
        // Column groups may need more room than their columns.
        var i = 0
        for g in t.groups {
            let span = (i..<min(i + g.span, widths.count))
            let have = span.reduce(0) { $0 + widths[$1] } + 2 * max(0, span.count - 1)
            if TextWidth.of(g.title) > have, let last = span.last { widths[last] += TextWidth.of(g.title) - have }
            i += g.span
        }
        func line(_ cells: [String], numericFrom: Int) -> String {
            cells.enumerated().map { i, c in
                // A left-aligned last cell needs no padding (the line's end would be trimmed).
                if i < numericFrom, i == cells.count - 1 { return c }
                let pad = String(repeating: " ", count: max(0, widths[i] - TextWidth.of(c)))
                return i < numericFrom ? c + pad : pad + c
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = ""
        if let title = t.title { out += title + "\n" }
        if !t.groups.isEmpty {
            var parts: [String] = []
            var col = 0
            for g in t.groups {
                let span = (col..<min(col + g.span, widths.count))
                let width = span.reduce(0) { $0 + widths[$1] } + 2 * max(0, span.count - 1)
                let pad = max(0, width - TextWidth.of(g.title))
                parts.append(String(repeating: " ", count: pad / 2) + g.title + String(repeating: " ", count: pad - pad / 2))
                col += g.span
            }
            out += parts.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        out += line(t.header, numericFrom: t.keyColumns) + "\n"
        for r in rows { out += line(r, numericFrom: t.keyColumns) + "\n" }
        for n in t.notes { out += "\n" + n }
        if !t.notes.isEmpty { out += "\n" }
        return out
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line end (RFC 4180). Looked
    /// for scalar by scalar: a CR, and a CRLF (one Character, not equal to "\n"), end a
    /// record as surely as an LF does.
    static func csvField(_ s: String) -> String {
        s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? quoted(s) : s
    }

    /// `s` in quotes with each quote doubled, scalar by scalar (a quote followed by a
    /// combining mark is one Character, which a search for the Character `"` misses).
    private static func quoted(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for u in s.unicodeScalars {
            out.append(u)
            if u == "\"" { out.append(u) }
        }
        out.append("\"")
        return String(out)
    }

    static func raw(_ c: ResultTable.Cell) -> String {
        switch c {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .number(let d): return "\(d)"
        case .percent(let p): return "\(p)"
        case .estimate(let e): return "\(e.mean)"
        case .empty: return ""
        }
    }

    /// For machine formats: each column of estimates becomes four, `NAME mean`, `NAME sd`,
    /// `NAME ci_low`, `NAME ci_high`; other columns stay as they are.
    func expanded(_ t: ResultTable) -> (header: [String], rows: [[ResultTable.Cell]]) {
        // A `%` column holds a fraction in CSV and JSON (0.25, not 25): it is named for what it
        // is, `AGG change` (`AGG change S` against scenario S).
        var percent = t
        percent.header = t.header.enumerated().map { i, h in
            guard i >= t.keyColumns else { return h }
            if h == "%" { return "change" }
            return h.hasPrefix("% ") ? "change " + h.dropFirst(2) : h
        }
        let header = flatHeader(percent)
        let isEstimate = header.indices.map { i in
            t.rows.contains { i < $0.count && { if case .estimate = $0 { return true }; return false }($0[i]) }
        }
        guard isEstimate.contains(true) else { return (header, t.rows) }
        var names: [String] = []
        for (i, h) in header.enumerated() {
            names += isEstimate[i] ? ["\(h) mean", "\(h) sd", "\(h) ci_low", "\(h) ci_high"] : [h]
        }
        let rows = t.rows.map { r in
            r.enumerated().flatMap { i, c -> [ResultTable.Cell] in
                guard i < isEstimate.count, isEstimate[i] else { return [c] }
                guard case .estimate(let e) = c else { return [c, .empty, .empty, .empty] }
                return [.number(e.mean), .number(e.sd), .number(e.low), .number(e.high)]
            }
        }
        return (names, rows)
    }

    /// Column names for machine formats: group title and sub-column joined.
    func flatHeader(_ t: ResultTable) -> [String] {
        guard !t.groups.isEmpty else { return t.header }
        var names: [String] = []
        var col = 0
        for g in t.groups {
            for k in 0..<g.span where col + k < t.header.count {
                names.append(g.title.isEmpty ? t.header[col + k] : "\(g.title) \(t.header[col + k])")
            }
            col += g.span
        }
        while names.count < t.header.count { names.append(t.header[names.count]) }
        return names
    }

    func csv(_ t: ResultTable) -> String {
        let (header, rows) = expanded(t)
        var out = header.map(TableRenderer.csvField).joined(separator: ",") + "\n"
        for r in rows { out += r.map { TableRenderer.csvField(TableRenderer.raw($0)) }.joined(separator: ",") + "\n" }
        return out
    }

    static func jsonString(_ s: String) -> String { ValueFormatter.jsonString(s) }

    /// A table as one JSON object: its columns, its rows, its notes and (for a compare) its
    /// attribution — the payload of a table result in `--format json`.
    func json(_ t: ResultTable) -> String {
        "{" + jsonMembers(t).map { "\(TableRenderer.jsonString($0.0)): \($0.1)" }.joined(separator: ",\n") + "}\n"
    }

    /// The members of a table's JSON object, with their JSON text.
    func jsonMembers(_ t: ResultTable) -> [(String, String)] {
        var members: [(String, String)] = []
        if let title = t.title { members.append(("title", TableRenderer.jsonString(title))) }
        members.append(("columns", jsonColumns(t)))
        members.append(("rows", String(jsonRows(t).dropLast())))
        members.append(("notes", "[" + t.notes.map(TableRenderer.jsonString).joined(separator: ", ") + "]"))
        if !t.attribution.isEmpty {
            members.append(("attribution", JSONValue.array(t.attribution.map(AttributionJSON.encode)).text))
        }
        return members
    }

    /// Each (expanded) column's name, type (`string`, `int`, `number`; a change is a
    /// `number`, a fraction) and whether it is a key.
    func jsonColumns(_ t: ResultTable) -> String {
        let (header, rows) = expanded(t)
        return "[" + header.enumerated().map { i, h in
            var type = "string"
            for r in rows where i < r.count {
                switch r[i] {
                case .empty: continue
                case .text: type = "string"
                case .int: type = "int"
                case .number, .percent, .estimate: type = "number"
                }
                break
            }
            return "{\"name\": \(TableRenderer.jsonString(h)), \"type\": \"\(type)\", \"key\": \(i < t.keyColumns)}"
        }.joined(separator: ", ") + "]"
    }

    /// The rows as a JSON array of objects, one member per (expanded) column; ends in a newline.
    func jsonRows(_ t: ResultTable) -> String {
        let (header, table) = expanded(t)
        let rows = table.map { r in
            "  {" + zip(header, r).map { h, c in
                let v: String
                switch c {
                case .text(let s): v = TableRenderer.jsonString(s)
                case .int(let i): v = String(i)
                case .number(let d), .percent(let d): v = d.isFinite ? "\(d)" : "null"
                case .estimate(let e): v = e.mean.isFinite ? "\(e.mean)" : "null"
                case .empty: v = "null"
                }
                return "\(TableRenderer.jsonString(h)): \(v)"
            }.joined(separator: ", ") + "}"
        }
        return "[\n" + rows.joined(separator: ",\n") + "\n]\n"
    }
}

extension String {
    /// Without its trailing spaces, found byte by byte (a wide table pads every row to its
    /// widest cells, so there can be many; stepping back Character by Character was most of
    /// the time of rendering such a table).
    func trimmingTrailingSpaces() -> String {
        let u = utf8
        var end = u.endIndex
        while end > u.startIndex {
            let before = u.index(before: end)
            guard u[before] == UInt8(ascii: " ") else { break }
            end = before
        }
        return end == u.endIndex ? self : String(self[..<end])
    }

    func replacingOccurrences(of a: String, with b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension StringProtocol {
    /// Where `needle` first occurs (Foundation's `range(of:)`, which this module does without).
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

/// Terminal columns a text takes (wide characters count two).
enum TextWidth {
    static func of(_ s: String) -> Int { s.reduce(0) { $0 + DiagnosticRenderer.width($1) } }
}

extension TableRenderer {
    /// A table as wide as `width` columns at most, when it can be: first without its `%`
    /// columns (a compare's changes, which its Δ columns carry too); then long, one row per
    /// key and column. Each says so in a note; CSV and JSON always have every column.
    func fitted(_ t: ResultTable, _ width: Int) -> ResultTable {
        // The table's own lines: its notes are prose, which the terminal wraps like any text.
        func fits(_ table: ResultTable) -> Bool {
            var bare = table
            bare.notes = []
            return text(bare).split(separator: "\n").allSatisfy { TextWidth.of(String($0)) <= width }
        }
        guard width > 0, !fits(t) else { return t }
        // Without the % columns.
        let drop = Set(t.header.indices.filter { $0 >= t.keyColumns && (t.header[$0] == "%" || t.header[$0].hasPrefix("% ")) })
        if !drop.isEmpty {
            var narrow = t
            narrow.header = t.header.indices.filter { !drop.contains($0) }.map { t.header[$0] }
            narrow.rows = t.rows.map { r in r.indices.filter { !drop.contains($0) }.map { r[$0] } }
            var col = 0
            narrow.groups = t.groups.map { g in
                let span = (col..<(col + g.span)).filter { !drop.contains($0) }.count
                col += g.span
                return (g.title, span)
            }.filter { $0.1 > 0 }
            narrow.notes.append("The % columns are left out to fit \(width) columns (--format csv has them).")
            if fits(narrow) { return narrow }
        }
        // Long: the keys, then the column's name and its value.
        let names = flatHeader(t)
        var long = ResultTable(title: t.title, header: Array(t.header.prefix(t.keyColumns)) + ["column", "value"],
                               keyColumns: t.keyColumns + 1, rows: [])
        for r in t.rows {
            let keys = Array(r.prefix(t.keyColumns))
            for i in t.keyColumns..<min(r.count, names.count) { long.rows.append(keys + [.text(names[i]), r[i]]) }
        }
        long.notes = t.notes + ["Printed long, a row per key and column, to fit \(width) columns (--format csv prints it wide)."]
        return long
    }
}
