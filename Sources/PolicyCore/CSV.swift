import PolicySyntax

/// A CSV file read into cells, each remembering its line and column for messages.
/// RFC 4180: quoted fields with `""` escapes, CRLF or LF line ends, an optional UTF-8 BOM.
public struct CSVTable: Sendable {
    public struct Cell: Sendable {
        public var text: String
        public var span: Span
    }

    public var file: SourceFile
    public var header: [Cell]
    /// Data rows (blank lines skipped), with the 1-based line each starts on.
    public var rows: [(line: Int, cells: [Cell])]

    /// Parses `file`; a malformed file gives an error at its position.
    public static func parse(_ file: SourceFile) -> Result<CSVTable, EvalError> {
        let bytes = file.bytes
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        var records: [(Int, [Cell])] = []
        var line = 1
        while i < bytes.count {
            var cells: [Cell] = []
            let recordLine = line
            // A blank line is skipped.
            if bytes[i] == 0x0A || (bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A) {
                i += bytes[i] == 0x0D ? 2 : 1
                line += 1
                continue
            }
            while true {
                let start = i
                var text: [UInt8] = []
                if i < bytes.count, bytes[i] == 0x22 {
                    i += 1
                    var closed = false
                    while i < bytes.count {
                        if bytes[i] == 0x22 {
                            if i + 1 < bytes.count, bytes[i + 1] == 0x22 {
                                text.append(0x22)
                                i += 2
                                continue
                            }
                            i += 1
                            closed = true
                            break
                        }
                        if bytes[i] == 0x0A { line += 1 }
                        text.append(bytes[i])
                        i += 1
                    }
                    if !closed {
                        return .failure(EvalError("unterminated quoted field", at: SourceRef(file, Span(start, start + 1)),
                                                  hint: "close the field with '\"'"))
                    }
                    if i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x0A, bytes[i] != 0x0D {
                        return .failure(EvalError("unexpected text after a quoted field", at: SourceRef(file, Span(i, i + 1)),
                                                  hint: "a quote inside a quoted field is written \"\""))
                    }
                } else {
                    while i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x0A, !(bytes[i] == 0x0D && (i + 1 == bytes.count || bytes[i + 1] == 0x0A)) {
                        text.append(bytes[i])
                        i += 1
                    }
                }
                cells.append(Cell(text: String(decoding: text, as: UTF8.self), span: Span(start, max(start, i))))
                if i < bytes.count, bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                if i < bytes.count, bytes[i] == 0x0D { i += 1 }
                if i < bytes.count, bytes[i] == 0x0A { i += 1 }
                line += 1
                break
            }
            records.append((recordLine, cells))
        }
        guard let first = records.first else {
            return .failure(EvalError("the CSV file is empty", at: SourceRef(file, .zero), hint: "the first line names the columns"))
        }
        return .success(CSVTable(file: file, header: first.1, rows: Array(records.dropFirst())))
    }
}

/// Reads one cell as a value of a field's type (§4.10).
struct CellParser {
    /// A decimal number as people write it in a data file — digits with an optional sign,
    /// point and exponent (`_` between digits allowed) — and finite; nil for anything else
    /// (`nan`, `inf`, hex like `0x10`, which Swift's own reading would take).
    static func decimal(_ text: String) -> Double? {
        var digits = 0, sawPoint = false, sawExponent = false, exponentDigits = 0
        var previous: Character = " "
        for (i, c) in text.enumerated() {
            switch c {
            case "0"..."9":
                if sawExponent { exponentDigits += 1 } else { digits += 1 }
            case "+", "-":
                guard i == 0 || previous == "e" || previous == "E" else { return nil }
            case ".":
                guard !sawPoint, !sawExponent else { return nil }
                sawPoint = true
            case "e", "E":
                guard !sawExponent, digits > 0 else { return nil }
                sawExponent = true
            case "_":
                guard previous.isASCII, previous.isNumber else { return nil }
            default:
                return nil
            }
            previous = c
        }
        guard digits > 0, !sawExponent || exponentDigits > 0,
              let v = Double(text.replacingOccurrences("_", "")), v.isFinite else { return nil }
        return v
    }

    let program: Program

    func parse(_ cell: CSVTable.Cell, as type: PType, _ file: SourceFile) -> Result<Value, EvalError> {
        let text = cell.text.trimmingSpaces()
        func bad(_ expected: String, hint: String? = nil) -> Result<Value, EvalError> {
            .failure(EvalError("cannot read '\(text)' as \(expected)", at: SourceRef(file, cell.span), hint: hint))
        }
        switch type {
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .success(.bool(true))
            case "false", "0", "no": return .success(.bool(false))
            default: return bad("a bool", hint: "write true/false, 1/0 or yes/no")
            }
        case .int:
            guard let v = Int64(text.replacingOccurrences("_", "")) else { return bad("an int") }
            return .success(.int(v))
        case .number:
            let hint = "write a decimal number, as 12.5, -3, 1e6 or 30%"
            if text.hasSuffix("%") {
                guard let v = CellParser.decimal(String(text.dropLast())) else { return bad("a number", hint: hint) }
                return .success(.number(v / 100))
            }
            guard let v = CellParser.decimal(text) else { return bad("a number", hint: hint) }
            return .success(.number(v))
        case .string:
            return .success(.string(cell.text))
        case .date:
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                  let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else {
                return bad("a date", hint: "write dates as YYYY-MM-DD")
            }
            guard CivilDate.isValid(year: y, month: m, day: d), CivilDate.yearRange.contains(y) else {
                return bad("a date", hint: "\(text) is not a real date (years 1800–2299)")
            }
            return .success(.date(Int32(CivilDate.dayNumber(year: y, month: m, day: d))))
        case .enumType(let e):
            guard let i = program.enums[e].members.firstIndex(of: text) else {
                return bad("a \(program.enums[e].name)", hint: Suggest.hint(text, program.enums[e].members)
                    ?? "the members are \(program.enums[e].members.joined(separator: ", "))")
            }
            return .success(.member(type: Int32(e), index: Int32(i)))
        case .jurisdiction:
            let table = program.jurisdictions
            if let j = table.byName[text] { return .success(.jurisdiction(j)) }
            let byLabel = (0..<table.count).filter { table.labels[$0] == text }
            if byLabel.count == 1 { return .success(.jurisdiction(Int32(byLabel[0]))) }
            if byLabel.count > 1 {
                return bad("a jurisdiction", hint: "the label '\(text)' is shared by \(byLabel.map { table.names[$0] }.joined(separator: " and ")); use the name")
            }
            return bad("a jurisdiction", hint: Suggest.hint(text, table.names) ?? "no jurisdiction has this name or label")
        default:
            return bad(program.describe(type), hint: "this type cannot be read from CSV")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    func replacingOccurrences(_ a: Character, _ b: String) -> String {
        String(self.flatMap { $0 == a ? Array(b) : [$0] })
    }
}
