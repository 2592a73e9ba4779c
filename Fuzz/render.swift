// libFuzzer target (e): the renderers. The input's bytes are decoded into result tables and
// chart data full of extreme values — 0, -0, 1e19, -9.3e18, 1e308, 5e-324, the largest and
// smallest Int64, NaN and ±infinity, any double's bit pattern — with empty, huge and odd key
// lists and labels (long, wide, combining, control characters, quotes, commas, line ends).
// Each is rendered every way the shell can: text table, CSV, JSON, terminal chart, SVG, and a
// chart as the table the machine formats print. A trap anywhere is a finding; so is JSON that
// does not parse, or CSV that does not read back as the table's rows and columns.
// Built by Fuzz/run.sh with the PolicySyntax, PolicyCore and renderer sources.

#if canImport(Glibc)
import Glibc
#endif

/// A finding: says what is wrong on stderr (an optimised build drops a precondition's
/// message), then traps so that libFuzzer saves the input.
func finding(_ message: @autoclosure () -> String) -> Never {
    fputs("render fuzz: \(message())\n", stderr)
    fatalError()
}

func require(_ ok: Bool, _ message: @autoclosure () -> String) {
    if !ok { finding(message()) }
}

/// Reads the fuzzer's bytes as a stream of choices; past the end every choice is 0.
struct ByteStream {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        guard at < bytes.count else { return 0 }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(byte()) % n }

    mutating func u64() -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<8 { v = v << 8 | UInt64(byte()) }
        return v
    }

    var exhausted: Bool { at >= bytes.count }
}

let extremeDoubles: [Double] = [
    0, -0.0, 1, -1, 0.5, 0.0005, 0.9995, 999.5, 999_999.5, 1e15, 1e15 + 1, 9.0e15, 1e16,
    9.2e18, 9.3e18, -9.3e18, 9.223372036854775807e18, 1e19, -1e19, 9.0e19, 5.804999999999966e22,
    1e28, 1e35, 1e36, -1e36, 1e100, 1e300, 1e308, -1e308, .greatestFiniteMagnitude,
    -.greatestFiniteMagnitude, 5e-324, -5e-324, .leastNormalMagnitude, 1e-300, 2.2250738585072014e-308,
    .nan, -.nan, .signalingNaN, .infinity, -.infinity, 0.1 + 0.2, 1.0 / 3, 123_456.789,
]

let extremeInts: [Int64] = [
    0, 1, -1, 999, 1_000, -1_000, 999_999, 1_000_000, Int64(Int32.max), Int64(Int32.min),
    9_007_199_254_740_993, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1, -999_999_999_999,
]

let oddLabels: [String] = [
    "", " ", "cook", "Cook County, Illinois", "say \"hi\"", "a,b", "line\nbreak", "cr\rreturn",
    "crlf\r\n", "tab\there", "\u{0}", "\u{1B}[31mred", "\u{7F}", "é", "e\u{301}", "\u{301}",
    "漢字テスト", "👩‍👩‍👧‍👦", "🇺🇸", "\u{200B}", "\u{FEFF}", "\u{202E}rtl", "<svg>&amp;'\"",
    "\\", "\\u0000", "null", "-0", "1e19", "nan", "2299-12-31", "9999999 days", "%", "Δ",
    "−", "\u{2028}", "\u{D7FF}", "\u{E000}", "\u{10FFFF}",
]

extension ByteStream {
    mutating func double() -> Double {
        switch below(4) {
        case 0, 1: return extremeDoubles[below(extremeDoubles.count)]
        case 2: return Double(bitPattern: u64())
        default:
            // A near neighbour of an extreme value.
            let d = extremeDoubles[below(extremeDoubles.count)]
            return byte() & 1 == 0 ? d.nextUp : d.nextDown
        }
    }

    mutating func int() -> Int64 {
        below(3) == 0 ? Int64(bitPattern: u64()) : extremeInts[below(extremeInts.count)]
    }

    mutating func label() -> String {
        switch below(6) {
        case 0:
            // A long label: one odd label repeated.
            let piece = oddLabels[below(oddLabels.count)]
            return String(repeating: piece.isEmpty ? "x" : piece, count: 1 + below(256) * 4)
        case 1:
            // Raw bytes, decoded as UTF-8 with replacement characters.
            let n = below(24)
            var raw: [UInt8] = []
            for _ in 0..<n { raw.append(byte()) }
            return String(decoding: raw, as: UTF8.self)
        case 2:
            return oddLabels[below(oddLabels.count)] + oddLabels[below(oddLabels.count)]
        default:
            return oddLabels[below(oddLabels.count)]
        }
    }

    mutating func cell() -> ResultTable.Cell {
        switch below(6) {
        case 0: return .text(label())
        case 1, 2: return .int(int())
        case 3: return .number(double())
        case 4: return .percent(double())
        default: return .empty
        }
    }

    /// How many of something: mostly few, sometimes none, now and then very many.
    mutating func count(few: Int, many: Int) -> Int {
        switch below(8) {
        case 0: return 0
        case 1: return many
        default: return below(few + 1)
        }
    }
}

func decodeTable(_ s: inout ByteStream) -> ResultTable {
    let keyColumns = s.below(4)
    let valueColumns = s.below(7) + (keyColumns == 0 ? 1 : 0)
    let header = (0..<(keyColumns + valueColumns)).map { _ in s.label() }
    let rowCount = s.count(few: 24, many: 2_000)
    // Rows share a pattern of cells, refreshed from the input while it lasts.
    var rows: [[ResultTable.Cell]] = []
    rows.reserveCapacity(rowCount)
    var last: [ResultTable.Cell] = header.map { _ in .empty }
    // An aligned table is as wide as its widest cells on every row: up to about 1 MB of
    // text (rows × widest cells), as larger tables only take longer, in linear time.
    var widest = header.map { $0.utf8.count + 24 }
    for _ in 0..<rowCount where rows.count * widest.reduce(0, +) < 1 << 20 {
        if !s.exhausted {
            last = header.indices.map { i in i < keyColumns && s.below(3) != 0 ? .text(s.label()) : s.cell() }
            for (i, c) in last.enumerated() { if case .text(let t) = c { widest[i] = max(widest[i], t.utf8.count) } }
        }
        rows.append(last)
    }
    var t = ResultTable(title: s.below(3) == 0 ? s.label() : nil, header: header, keyColumns: keyColumns, rows: rows)
    if s.below(2) == 0 {
        // Column groups as `compare` makes them: one over the keys, then the rest split.
        var groups: [(title: String, span: Int)] = keyColumns > 0 ? [("", keyColumns)] : []
        var left = valueColumns
        while left > 0 {
            let span = 1 + s.below(left)
            groups.append((s.label(), span))
            left -= span
        }
        t.groups = groups
    }
    for _ in 0..<s.below(3) { t.notes.append(s.label()) }
    return t
}

func decodeChart(_ s: inout ByteStream) -> ChartData {
    let keyCount = s.count(few: 40, many: s.below(2) == 0 ? 1_000 : 5_000)
    var keys: [String] = []
    keys.reserveCapacity(keyCount)
    var key = "2013-01"
    var keyBytes = 0
    for i in 0..<keyCount where keyBytes < 1 << 18 {
        if !s.exhausted { key = s.below(3) == 0 ? s.label() : ["2013-0\(i % 9 + 1)", "\(1800 + i % 500)-Q\(i % 4 + 1)", "k\(i)"][s.below(3)] }
        keys.append(key)
        keyBytes += 8 + key.utf8.count
    }
    var series: [(name: String, values: [Double])] = []
    for _ in 0..<s.count(few: 9, many: 12) {
        var value = 0.0
        let values = keys.indices.map { _ -> Double in
            if !s.exhausted { value = s.double() }
            return value
        }
        series.append((s.label(), values))
    }
    return ChartData(title: s.label(), keys: keys, series: series, output: nil)
}

// MARK: - Oracles beyond "no trap"

/// Reads CSV back (RFC 4180, with CR, LF and CRLF all ending a record outside quotes) and
/// checks that it has the table's shape: the header, then one record per row, each with as
/// many fields as the header has columns, and text cells read back as written.
func checkCSV(_ text: String, _ t: ResultTable) {
    var records: [[String]] = []
    var field = "", record: [String] = [], quoted = false, wasQuoted = false
    var it = Array(text.unicodeScalars)[...]
    while let u = it.popFirst() {
        if quoted {
            if u == "\"" {
                if it.first == "\"" { it.removeFirst(); field.unicodeScalars.append("\"") } else { quoted = false }
            } else {
                field.unicodeScalars.append(u)
            }
        } else if u == "\"" && field.isEmpty && !wasQuoted {
            quoted = true; wasQuoted = true
        } else if u == "," {
            record.append(field); field = ""; wasQuoted = false
        } else if u == "\n" || u == "\r" {
            if u == "\r", it.first == "\n" { it.removeFirst() }
            record.append(field); records.append(record); field = ""; record = []; wasQuoted = false
        } else {
            field.unicodeScalars.append(u)
        }
    }
    require(!quoted, "CSV ends inside quotes")
    require(field.isEmpty && record.isEmpty, "CSV does not end with a line end")
    require(records.count == t.rows.count + 1,
                 "CSV has \(records.count) records for \(t.rows.count) rows and a header")
    for (k, r) in records.enumerated() {
        require(r.count == t.header.count, "CSV record \(k) has \(r.count) fields, the header \(t.header.count) columns: \(r)")
    }
    for (k, row) in t.rows.enumerated() {
        for (c, cell) in row.enumerated() {
            if case .text(let s) = cell {
                // A lone CR, or a CRLF, inside a field is kept only by quoting; compare by
                // scalars (a String compares CRLF and LF as different anyway).
                require(Array(records[k + 1][c].unicodeScalars) == Array(s.unicodeScalars),
                             "CSV row \(k) column \(c) reads back as \(records[k + 1][c].debugDescription), not \(s.debugDescription)")
            }
        }
    }
}

func renderTable(_ t: ResultTable) {
    _ = TableRenderer(format: .table).render(t)
    checkCSV(TableRenderer(format: .csv).render(t), t)
    let json = TableRenderer(format: .json).render(t)
    if let problem = JSONSyntax.problem(in: json) { finding("invalid JSON: \(problem)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRenderTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var s = ByteStream(Array(UnsafeBufferPointer(start: data, count: size)))
    // Tables first, then charts, while the input lasts (at least one of each).
    repeat {
        renderTable(decodeTable(&s))
        let c = decodeChart(&s)
        let renderer = ChartRenderer()
        _ = renderer.text(c)
        _ = renderer.text(c, height: 1 + s.below(40), maxWidth: 1 + s.below(200))
        _ = renderer.svg(c)
        // What `--format csv|json` prints for a plot: the numbers behind the chart.
        let t = ResultTable(header: ["key"] + c.series.map(\.name), keyColumns: 1,
                            rows: c.keys.enumerated().map { i, k in [.text(k)] + c.series.map { .number($0.values[i]) } })
        renderTable(t)
    } while !s.exhausted
    return 0
}
