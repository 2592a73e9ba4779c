import PolicySyntax
import PolicySupport

/// Reads a cases CSV straight from bytes into typed columns (§4.10): no string per cell on
/// the common path, one pass, and nothing kept if any row is bad (the error names
/// `file:line:column`, the value and the expected type).
struct CSVCaseLoader {
    let program: Program
    let record: Int
    let path: String
    let bytes: [UInt8]
    /// Where the program names the file (for an error reading it again).
    var reference: SourceRef? = nil

    /// Builds a `SourceFile` only to report an error at `offset..<end`.
    func failure(_ message: String, _ start: Int, _ end: Int, hint: String? = nil) -> EvalError {
        let file = SourceFile(name: path, bytes: bytes)
        return EvalError(message, at: SourceRef(file, Span(start, end)), hint: hint)
    }

    /// A field's typed column, filled row by row (a class, so appends happen in place).
    final class Builder {
        enum Kind { case bools, ints, numbers, dates, small(Int32), members(Int32), jurisdictions, values }
        let kind: Kind
        var bools: [Bool] = [], ints: [Int64] = [], numbers: [Double] = [], int32s: [Int32] = [], small: [UInt8] = []
        var values: [Value] = []
        /// A column of dates' first and last day, when the fast reader found them.
        var dateRange: (first: Int32, last: Int32)?

        /// The builder for a field of this type.
        convenience init(for type: PType, _ program: Program, capacity: Int) {
            let kind: Kind
            switch type {
            case .bool: kind = .bools
            case .int: kind = .ints
            case .number: kind = .numbers
            case .date: kind = .dates
            case .jurisdiction: kind = .jurisdictions
            case .enumType(let e): kind = program.enums[e].members.count < 256 ? .small(Int32(e)) : .members(Int32(e))
            default: kind = .values
            }
            self.init(kind, capacity: capacity)
        }

        /// Bytes each case takes in this column.
        var width: Int { column.width }

        init(_ kind: Kind, capacity: Int) {
            self.kind = kind
            switch kind {
            case .bools: bools.reserveCapacity(capacity)
            case .dates, .jurisdictions, .members: int32s.reserveCapacity(capacity)
            case .small: small.reserveCapacity(capacity)
            case .ints: ints.reserveCapacity(capacity)
            case .numbers: numbers.reserveCapacity(capacity)
            default: break
            }
        }

        @inline(__always)
        func append(_ v: Value) {
            switch kind {
            case .bools: bools.append(v.asBool)
            case .ints: ints.append(v.asInt)
            case .numbers: numbers.append(v.asNumber)
            case .dates: int32s.append(v.asDate)
            case .jurisdictions: int32s.append(v.asJurisdiction)
            case .small:
                if case .member(_, let m) = v { small.append(UInt8(truncatingIfNeeded: m)) } else { small.append(0) }
            case .members:
                if case .member(_, let m) = v { int32s.append(m) } else { int32s.append(0) }
            case .values: values.append(v)
            }
        }

        /// The zero of the column's kind: what a field with no default holds until its rows
        /// are written.
        var zero: Value {
            switch kind {
            case .bools: return .bool(false)
            case .ints: return .int(0)
            case .numbers: return .number(0)
            case .dates: return .date(0)
            case .jurisdictions: return .jurisdiction(0)
            case .small(let e), .members(let e): return .member(type: e, index: 0)
            case .values: return .bool(false)
            }
        }

        /// `count` rows of `v` (the column must be empty).
        func fill(_ v: Value, count: Int) {
            switch kind {
            case .bools: bools = Array(repeating: v.asBool, count: count)
            case .ints: ints = Array(repeating: v.asInt, count: count)
            case .numbers: numbers = Array(repeating: v.asNumber, count: count)
            case .dates: int32s = Array(repeating: v.asDate, count: count)
            case .jurisdictions: int32s = Array(repeating: v.asJurisdiction, count: count)
            case .small:
                if case .member(_, let m) = v { small = Array(repeating: UInt8(truncatingIfNeeded: m), count: count) } else { small = Array(repeating: 0, count: count) }
            case .members:
                if case .member(_, let m) = v { int32s = Array(repeating: m, count: count) } else { int32s = Array(repeating: 0, count: count) }
            case .values: values = Array(repeating: v, count: count)
            }
        }

        /// Row `i` (already written) as a value.
        func value(at i: Int) -> Value {
            switch kind {
            case .bools: return .bool(bools[i])
            case .ints: return .int(ints[i])
            case .numbers: return .number(numbers[i])
            case .dates: return .date(int32s[i])
            case .jurisdictions: return .jurisdiction(int32s[i])
            case .small(let e): return .member(type: e, index: Int32(small[i]))
            case .members(let e): return .member(type: e, index: int32s[i])
            case .values: return values[i]
            }
        }

        /// Overwrites row `i` (already written).
        func set(_ i: Int, _ v: Value) {
            switch kind {
            case .bools: bools[i] = v.asBool
            case .ints: ints[i] = v.asInt
            case .numbers: numbers[i] = v.asNumber
            case .dates: int32s[i] = v.asDate
            case .jurisdictions: int32s[i] = v.asJurisdiction
            case .small:
                if case .member(_, let m) = v { small[i] = UInt8(truncatingIfNeeded: m) }
            case .members:
                if case .member(_, let m) = v { int32s[i] = m }
            case .values: values[i] = v
            }
        }

        /// Parses a cell straight into the column; false when the cell needs the careful path.
        @inline(__always)
        func appendFast(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, _ enumTable: ByteTable?,
                        _ names: ByteTable, _ labels: ByteTable) -> Bool {
            switch kind {
            case .dates:
                guard let d = _FastPiece.date(p, lo, hi) else { return false }
                int32s.append(d)
                return true
            case .bools:
                guard let b = _FastPiece.bool(p, lo, hi) else { return false }
                bools.append(b)
                return true
            case .small:
                guard let m = enumTable?.find(p, lo, hi) else { return false }
                small.append(UInt8(truncatingIfNeeded: m))
                return true
            case .members:
                guard let m = enumTable?.find(p, lo, hi) else { return false }
                int32s.append(m)
                return true
            case .jurisdictions:
                guard let j = names.find(p, lo, hi) ?? labels.find(p, lo, hi) else { return false }
                int32s.append(j)
                return true
            case .ints:
                guard let v = _FastPiece.int(p, lo, hi) else { return false }
                ints.append(v)
                return true
            default:
                return false
            }
        }

        var column: Column {
            switch kind {
            case .bools: return .bools(bools)
            case .ints: return .ints(ints)
            case .numbers: return .numbers(numbers)
            case .dates: return .dates(int32s)
            case .jurisdictions: return .jurisdictions(int32s)
            case .small(let e): return .smallMembers(small, enumType: e)
            case .members(let e): return .members(int32s, enumType: e)
            case .values: return .values(values)
            }
        }
    }

    /// Names → values, looked up straight from the file's bytes. A name inserted twice with
    /// different values is ambiguous (found as nothing). Built by `insert`, then read through
    /// a `_NameTable` (made on the first byte lookup; `lookup` hands it to the fast reader's
    /// workers, which only read it).
    final class ByteTable: @unchecked Sendable {
        init() {}

        private var values: [[UInt8]: Int32] = [:]
        private var ambiguous = Set<[UInt8]>()
        private var order: [[UInt8]] = []
        private var table: _NameTable?

        deinit { table?.free() }

        func insert(_ name: String, _ v: Int32) {
            let key = Array(name.utf8)
            if let old = values[key] {
                if old != v { ambiguous.insert(key) }
                return
            }
            values[key] = v
            order.append(key)
        }

        /// Every name that is not ambiguous, with its value, in the order inserted.
        var entries: [([UInt8], Int32)] {
            order.compactMap { key in find(key).map { (key, $0) } }
        }

        /// The value of `name`; nil when absent or ambiguous.
        func find(_ name: [UInt8]) -> Int32? {
            ambiguous.contains(name) ? nil : values[name]
        }

        /// The table the byte lookups read (owned by this object: valid while it lives).
        var lookup: _NameTable {
            if let table { return table }
            let made = _NameTable(entries)
            table = made
            return made
        }

        @inline(__always)
        func find(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int32? {
            lookup.find(p, lo, hi)
        }
    }

    /// The cases of the file. With `releasingPages` (the bytes are this loader's alone), the
    /// fast reader hands the file's pages back as it parses them; should it then give up,
    /// the file is read again for the careful reader.
    func load(seed: UInt64, releasingPages: Bool = false) throws -> PopulationData {
        if let data = try bytes.withUnsafeBufferPointer({ try load(seed: seed, $0, releasingPages: releasingPages) }) {
            return data
        }
        guard let provider = program.provider else { throw EvalError("cannot read '\(path)' again", at: reference) }
        switch provider.loadBytes(path) {
        case .success(let fresh):
            return try CSVCaseLoader(program: program, record: record, path: path, bytes: fresh, reference: reference).load(seed: seed)
        case .failure(let e):
            var error = EvalError("cannot read '\(path)': \(e.reason)", at: reference, hint: e.hint)
            error.unreadableInput = !e.exceedsLimit
            throw error
        }
    }

    /// The cases of `p`; nil only when, releasing pages, the fast reader gave up.
    func load(seed: UInt64, _ p: UnsafeBufferPointer<UInt8>, releasingPages: Bool = false) throws -> PopulationData? {
        let info = program.records[record]
        let n = p.count
        var i = 0
        if n >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { i = 3 }
        var line = 1
        // Skip blank lines before the header.
        while i < n, p[i] == 0x0A || p[i] == 0x0D { if p[i] == 0x0A { line += 1 }; i += 1 }
        var scanner = CSVScanner(p: p, i: i, line: line)
        var cells = CSVScanner.Cells()
        guard try scanner.record(into: &cells, fail: failure) else {
            throw failure("the CSV file is empty", 0, 0, hint: "the first line names the columns")
        }
        func text(_ c: Int) -> String {
            cells.items[c].quoted >= 0 ? cells.texts[cells.items[c].quoted]
                : String(decoding: UnsafeBufferPointer(rebasing: p[cells.items[c].start..<cells.items[c].end]), as: UTF8.self)
        }
        var fieldOfColumn: [Int] = []
        for c in 0..<cells.count {
            let name = text(c).trimmingSpaces()
            guard let f = info.field(name) else {
                throw failure("column '\(name)' is not a field of \(info.name)", cells.items[c].start, cells.items[c].end,
                              hint: Suggest.hint(name, info.fields.map(\.name)) ?? "the fields are \(info.fields.map(\.name).joined(separator: ", "))")
            }
            if fieldOfColumn.contains(f) { throw failure("column '\(name)' appears twice", cells.items[c].start, cells.items[c].end) }
            fieldOfColumn.append(f)
        }
        let headerStart = cells.items.first?.start ?? 0, headerEnd = cells.items.first?.end ?? 0
        for (k, f) in info.fields.enumerated() where !fieldOfColumn.contains(k) && !f.hasDefault {
            throw failure("the file has no column '\(f.name)', and the field has no default", headerStart, headerEnd,
                          hint: "add a '\(f.name)' column")
        }
        var frame = Frame(world: program.baseline)
        let defaults: [Value?] = try info.fields.map { f in try f.defaultValue.map { try $0(&frame) } }

        // Lookup tables for enums and jurisdictions.
        var enumTables: [Int: ByteTable] = [:]
        for f in info.fields {
            if case .enumType(let e) = f.type, enumTables[e] == nil {
                let t = ByteTable()
                for (m, name) in program.enums[e].members.enumerated() { t.insert(name, Int32(m)) }
                enumTables[e] = t
            }
        }
        let names = ByteTable(), labels = ByteTable()
        let table = program.jurisdictions
        if info.fields.contains(where: { $0.type == .jurisdiction }) {
            for j in 0..<table.count {
                names.insert(table.names[j], Int32(j))
                if let l = table.labels[j] { labels.insert(l, Int32(j)) }
            }
        }
        let estimate = n / max(1, fieldOfColumn.count * 7)
        let builders = info.fields.map { Builder(for: $0.type, program, capacity: estimate) }
        let types = fieldOfColumn.map { info.fields[$0].type }
        let enumOfColumn: [ByteTable?] = types.map { t in if case .enumType(let e) = t { return enumTables[e] }; return nil }
        var count = 0
        let parser = CellParser(program: program)
        let columnBuilders = fieldOfColumn.map { builders[$0] }
        let missing = info.fields.indices.filter { !fieldOfColumn.contains($0) }
        var slowPathFile: SourceFile? // built once, when a cell first needs it
        switch fastRows(p, from: scanner.i, columnBuilders, enumOfColumn, names, labels, releasingPages: releasingPages) {
        case .rows(let rows):
            for f in missing { builders[f].fill(defaults[f] ?? builders[f].zero, count: rows) }
            let data = PopulationData(record: record, count: rows, seed: seed, columns: builders.map(\.column))
            for (f, b) in builders.enumerated() {
                if let range = b.dateRange { data.knowDateRange(f, range) }
            }
            return data
        case .reread:
            return nil
        case .careful:
            break
        }
        while true {
            let rowLine = scanner.line
            guard try scanner.record(into: &cells, fail: failure) else { break }
            if cells.count == 1, cells.items[0].start == cells.items[0].end, cells.items[0].quoted < 0 { continue } // a blank line
            guard cells.count == fieldOfColumn.count else {
                let at = cells.count > 0 ? (cells.items[cells.count - 1].start, cells.items[cells.count - 1].end) : (0, 0)
                throw failure("line \(rowLine) has \(cells.count) cell\(cells.count == 1 ? "" : "s"); the header has \(fieldOfColumn.count)",
                              at.0, at.1, hint: "every row needs one cell per column (a comma inside a cell needs quotes)")
            }
            for c in 0..<cells.count {
                let f = fieldOfColumn[c]
                var lo = cells.items[c].start, hi = cells.items[c].end
                let q = cells.items[c].quoted
                if q < 0 {
                    while lo < hi, p[lo] == 0x20 || p[lo] == 0x09 { lo += 1 }
                    while hi > lo, p[hi - 1] == 0x20 || p[hi - 1] == 0x09 { hi -= 1 }
                    if lo < hi, columnBuilders[c].appendFast(p, lo, hi, enumOfColumn[c], names, labels) { continue }
                }
                if lo == hi, q < 0 || cells.texts[q].isEmpty {
                    guard let d = defaults[f] else {
                        throw failure("empty cell for '\(info.fields[f].name)', which has no default", cells.items[c].start, cells.items[c].end,
                                      hint: "fill in a \(program.describe(info.fields[f].type))")
                    }
                    columnBuilders[c].append(d)
                    continue
                }
                if q >= 0, case .values = columnBuilders[c].kind, info.fields[f].type == .string {
                    columnBuilders[c].append(.string(cells.texts[q]))
                    continue
                }
                // The slow path explains what is wrong (or reads what the fast one does not).
                let file = slowPathFile ?? SourceFile(name: path, bytes: bytes)
                slowPathFile = file
                let text = q >= 0 ? cells.texts[q] : String(decoding: UnsafeBufferPointer(rebasing: p[cells.items[c].start..<cells.items[c].end]), as: UTF8.self)
                let textCell = CSVTable.Cell(text: text, span: Span(cells.items[c].start, cells.items[c].end))
                switch parser.parse(textCell, as: info.fields[f].type, file) {
                case .success(let v): columnBuilders[c].append(v)
                case .failure(let e): throw e
                }
            }
            for f in missing { builders[f].append(defaults[f] ?? builders[f].zero) }
            count += 1
            if let cap = Limits.current.populationCases, count > cap {
                throw failure("the file has more than \(Limits.grouped(cap)) cases, the population limit", cells.items.first?.start ?? 0, cells.items.first?.end ?? 0,
                              hint: Limits.raiseHint("population"))
            }
        }
        return PopulationData(record: record, count: count, seed: seed, columns: builders.map(\.column))
    }
}

/// Splits CSV records into cells (byte ranges; quoted cells unescaped into `texts`).
struct CSVScanner {
    struct Cells {
        struct Cell {
            var start: Int, end: Int
            /// The index of the cell's unquoted text in `texts`, or -1 when not quoted.
            var quoted: Int
        }
        /// One array of cells (a write checks one buffer's uniqueness, not three).
        var items: [Cell] = []
        var texts: [String] = []
        var count = 0

        @inline(__always)
        mutating func add(_ s: Int, _ e: Int, _ q: Int) {
            if count < items.count {
                items[count] = Cell(start: s, end: e, quoted: q)
            } else {
                items.append(Cell(start: s, end: e, quoted: q))
            }
            count += 1
        }
    }

    let p: UnsafeBufferPointer<UInt8>
    var i: Int
    var line: Int

    /// The next record; false at the end of the data.
    mutating func record(into cells: inout Cells, fail: (String, Int, Int, String?) -> EvalError) throws -> Bool {
        cells.count = 0
        if !cells.texts.isEmpty { cells.texts.removeAll(keepingCapacity: true) }
        let n = p.count
        guard i < n else { return false }
        while true {
            let start = i
            if i < n, p[i] == 0x22 {
                var text: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if p[i] == 0x22 {
                        if i + 1 < n, p[i + 1] == 0x22 { text.append(0x22); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    if p[i] == 0x0A { line += 1 }
                    text.append(p[i])
                    i += 1
                }
                guard closed else { throw fail("unterminated quoted field", start, start + 1, "close the field with '\"'") }
                if i < n, p[i] != 0x2C, p[i] != 0x0A, p[i] != 0x0D {
                    throw fail("unexpected text after a quoted field", i, i + 1, "a quote inside a quoted field is written \"\"")
                }
                cells.texts.append(String(decoding: text, as: UTF8.self))
                cells.add(start, i, cells.texts.count - 1)
            } else {
                while i < n {
                    let b = p[i]
                    if b == 0x2C || b == 0x0A || b == 0x0D { break }
                    i += 1
                }
                cells.add(start, i, -1)
            }
            if i < n, p[i] == 0x2C { i += 1; continue }
            if i < n, p[i] == 0x0D { i += 1 }
            if i < n, p[i] == 0x0A { i += 1 }
            line += 1
            return true
        }
    }
}
