import PolicyCore
import PolicySyntax

/// Output formats for machine use (`--format`, `:format`).
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json
}

/// Renders result tables: aligned text with thousands separators, CSV, or JSON.
public struct TableRenderer {
    public var format: OutputFormat

    public init(format: OutputFormat) {
        self.format = format
    }

    public func render(_ t: ResultTable) -> String {
        switch format {
        case .table: return text(t)
        case .csv: return csv(t)
        case .json: return json(t)
        }
    }

    static func display(_ c: ResultTable.Cell) -> String {
        switch c {
        case .text(let s): return s
        case .int(let i): return TableRenderer.grouped(i)
        case .number(let d): return TableRenderer.number(d)
        case .percent(let p): return TableRenderer.percent(p)
        case .empty: return ""
        }
    }

    /// Every integer grouped by thousands in tables: `12,877`.
    static func grouped(_ i: Int64) -> String {
        (i < 0 ? "−" : "") + NumberText.groupDigits(String(i.magnitude))
    }

    static func number(_ d: Double) -> String {
        if Swift.abs(d) >= 1000 { return NumberText.grouped(d, minus: "−") }
        return NumberText.rounded(d, decimals: 3)
    }

    static func percent(_ p: Double) -> String {
        guard p.isFinite else { return "" }
        let s = NumberText.rounded(p * 100, decimals: 1)
        return s.replacingOccurrences(of: "-", with: "−") + "%"
    }

    func text(_ t: ResultTable) -> String {
        let rows = t.rows.map { $0.map(TableRenderer.display) }
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
        case .empty: return ""
        }
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
        var out = flatHeader(t).map(TableRenderer.csvField).joined(separator: ",") + "\n"
        for r in t.rows { out += r.map { TableRenderer.csvField(TableRenderer.raw($0)) }.joined(separator: ",") + "\n" }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String.unicodeEscape(u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    func json(_ t: ResultTable) -> String {
        let header = flatHeader(t)
        let rows = t.rows.map { r in
            "  {" + zip(header, r).map { h, c in
                let v: String
                switch c {
                case .text(let s): v = TableRenderer.jsonString(s)
                case .int(let i): v = String(i)
                case .number(let d), .percent(let d): v = d.isFinite ? "\(d)" : "null"
                case .empty: v = "null"
                }
                return "\(TableRenderer.jsonString(h)): \(v)"
            }.joined(separator: ", ") + "}"
        }
        var out = "[\n" + rows.joined(separator: ",\n") + "\n]\n"
        if !t.notes.isEmpty {
            out = "{\"rows\": " + out.dropLast() + ", \"notes\": [" + t.notes.map(TableRenderer.jsonString).joined(separator: ", ") + "]}\n"
        }
        return out
    }
}

extension String {
    static func unicodeEscape(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }

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
