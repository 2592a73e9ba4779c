import PolicySyntax
import PolicySupport

// The fast reader of a cases CSV (what W1 measures): the file cut into pieces at line starts,
// every piece parsed on its own core straight into raw columns, the pieces joined in file
// order. It reads only what it is sure of — no quotes anywhere, one plain cell per column,
// dates, bools, enum members, jurisdictions and plain integers — and gives up (returns nil)
// on anything else, so that the careful reader reads the whole file again and reports the
// first problem with its line and column. Either way the columns are the same.

extension CSVCaseLoader {
    /// What a column holds, for the fast reader.
    enum _FastKind { case date, bool, small, member, jurisdiction, int }

    /// What the fast reader made of the rows.
    enum FastOutcome {
        /// Every row, parsed: this many.
        case rows(Int)
        /// It gave up before touching the file's bytes: the careful reader reads them.
        case careful
        /// It gave up after handing pages of the file back: the file must be read again.
        case reread
    }

    /// The rows after the header (`start`). With `releasingPages`, each piece's whole pages
    /// are handed back to the system once parsed (so the file and its columns are not both
    /// resident at the peak); the caller must own `p` alone and read it no more.
    func fastRows(_ p: UnsafeBufferPointer<UInt8>, from start: Int, _ builders: [Builder],
                  _ enumTables: [ByteTable?], _ names: ByteTable, _ labels: ByteTable,
                  releasingPages: Bool = false) -> FastOutcome {
        guard let base = p.baseAddress, start < p.count else { return .careful }
        // A quote anywhere means quoted cells (commas or line breaks inside): careful path.
        if memchr(base + start, 0x22, p.count - start) != nil { return .careful }
        var kinds: [_FastKind] = []
        // The tables the workers read, owned by these objects (alive until we return).
        var tables: [_NameTable] = []
        let places = ByteTable()
        for (c, b) in builders.enumerated() {
            switch b.kind {
            case .dates: kinds.append(.date); tables.append(.empty)
            case .bools: kinds.append(.bool); tables.append(.empty)
            case .ints: kinds.append(.int); tables.append(.empty)
            case .small, .members:
                guard let t = enumTables[c] else { return .careful }
                kinds.append(b.kind.isSmall ? .small : .member)
                tables.append(t.lookup)
            case .jurisdictions:
                // What the careful reader finds: a name, else a label.
                for (key, _) in names.entries + labels.entries {
                    if let j = names.find(key) ?? labels.find(key) { places.insert(String(decoding: key, as: UTF8.self), j) }
                }
                kinds.append(.jurisdiction)
                tables.append(places.lookup)
            case .numbers, .values:
                return .careful
            }
        }
        // Pieces of ≥ 4 MB, each starting after a line break.
        let pieceBytes = CSVCaseLoader.pieceBytes
        var cuts = [start]
        var next = start + pieceBytes
        while next < p.count {
            guard let nl = memchr(base + next, 0x0A, p.count - next) else { break }
            let cut = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base + 1
            if cut >= p.count { break }
            cuts.append(cut)
            next = cut + pieceBytes
        }
        cuts.append(p.count)
        let pieceCount = cuts.count - 1
        let widths = kinds.map(\.width)
        let kindsCopy = kinds, tablesCopy = tables, cutsCopy = cuts
        let bytes = _SendableBytes(p: p)
        defer { withExtendedLifetime((enumTables, places)) {} }
        // First the rows of each piece (its lines that are not blank), so each piece can be
        // parsed straight into its place in the columns.
        let rowCounts = Slots<Int>(pieceCount)
        let counter = ChunkCounter()
        runParallel(workers: min(workerCount(), pieceCount)) { _ in
            while true {
                let k = counter.take()
                guard k < pieceCount else { break }
                rowCounts.set(k, _FastPiece.rows(bytes.p, cutsCopy[k], cutsCopy[k + 1]))
            }
        }
        var firstRow = [0]
        for k in 0..<pieceCount { firstRow.append(firstRow[k] + (rowCounts.all[k] ?? 0)) }
        let total = firstRow[pieceCount]
        let startRows = firstRow
        if let cap = Limits.current.populationCases, total > cap { return .careful }
        // Every row is written by its piece (or the columns are emptied again): not zeroed
        // first, so their pages become resident only as they are filled.
        func unfilled<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: total) { _, initialized in initialized = total }
        }
        for (c, b) in builders.enumerated() {
            switch kinds[c] {
            case .date, .member, .jurisdiction: b.int32s = unfilled(Int32.self)
            case .small: b.small = unfilled(UInt8.self)
            case .bool: b.bools = unfilled(Bool.self)
            case .int: b.ints = unfilled(Int64.self)
            }
        }
        guard total > 0 else { return .rows(0) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let released = Slots<Bool>(pieceCount)
        var parsed = false
        CSVCaseLoader.withColumns(builders, kinds, 0, []) { columns in
            let places = _SendablePointers(columns)
            let failed = Slots<Bool>(pieceCount)
            let counter = ChunkCounter()
            let ranges = Slots<[(first: Int32, last: Int32)?]>(pieceCount)
            runParallel(workers: min(workerCount(), pieceCount)) { _ in
                while true {
                    let k = counter.take()
                    guard k < pieceCount else { break }
                    let rows = startRows[k + 1] - startRows[k]
                    var piece = _FastPiece(widths: widths, into: places.pointers.enumerated().map { c, base in
                        base + startRows[k] * widths[c]
                    }, rows: rows)
                    let ok = piece.parse(bytes.p, cutsCopy[k], cutsCopy[k + 1], kindsCopy, tablesCopy) && piece.count == rows
                    failed.set(k, !ok)
                    // Each date column's first and last day in the piece, while its rows are
                    // in cache (queries by year or month ask for them).
                    if ok {
                        ranges.set(k, kindsCopy.indices.map { c in
                            guard kindsCopy[c] == .date else { return nil }
                            let days = (places.pointers[c] + startRows[k] * widths[c]).assumingMemoryBound(to: Int32.self)
                            return PopulationData.dayRange(UnsafeBufferPointer(start: days, count: rows))
                        })
                    }
                    if releasingPages, pageSize > 0 {
                        released.set(k, _FastPiece.release(bytes.p, cutsCopy[k], cutsCopy[k + 1], pageSize: pageSize))
                    }
                }
            }
            parsed = failed.all.allSatisfy { $0 == false }
            // Each date column's range over the pieces (none unless every piece has one).
            for (c, b) in builders.enumerated() where kinds[c] == .date {
                let each = ranges.all.compactMap { $0?[c] }
                if each.count == pieceCount, let first = each.map(\.first).min(), let last = each.map(\.last).max() {
                    b.dateRange = (first, last)
                }
            }
        }
        guard parsed else {
            // The careful reader starts over with empty columns.
            for b in builders {
                b.int32s.removeAll(keepingCapacity: true)
                b.small.removeAll(keepingCapacity: true)
                b.bools.removeAll(keepingCapacity: true)
                b.ints.removeAll(keepingCapacity: true)
            }
            return released.all.contains(true) ? .reread : .careful
        }
        return .rows(total)
    }
}

extension CSVCaseLoader {
    /// Runs `body` with the base address of each builder's column (made to its full length
    /// beforehand), one `withUnsafeMutableBufferPointer` inside the other.
    static func withColumns(_ builders: [Builder], _ kinds: [_FastKind], _ c: Int, _ bases: [UnsafeMutableRawPointer],
                            _ body: ([UnsafeMutableRawPointer]) -> Void) {
        guard c < builders.count else { return body(bases) }
        func next<T>(_ buffer: inout UnsafeMutableBufferPointer<T>) {
            guard let base = buffer.baseAddress else { return }
            withColumns(builders, kinds, c + 1, bases + [UnsafeMutableRawPointer(base)], body)
        }
        let b = builders[c]
        switch kinds[c] {
        case .date, .member, .jurisdiction: b.int32s.withUnsafeMutableBufferPointer { next(&$0) }
        case .small: b.small.withUnsafeMutableBufferPointer { next(&$0) }
        case .bool: b.bools.withUnsafeMutableBufferPointer { next(&$0) }
        case .int: b.ints.withUnsafeMutableBufferPointer { next(&$0) }
        }
    }

    /// The size of a piece: 4 MB, or what the engine options say (the tests cut small files
    /// into many pieces with `POLICY_CSV_PIECE_BYTES`).
    static var pieceBytes: Int { EngineOptions.current.csvPieceBytes }
}

extension CSVCaseLoader._FastKind {
    /// Bytes per row in the raw column.
    var width: Int {
        switch self {
        case .bool, .small: return 1
        case .date, .member, .jurisdiction: return 4
        case .int: return 8
        }
    }
}

extension CSVCaseLoader.Builder.Kind {
    var isSmall: Bool { if case .small = self { return true }; return false }
}

/// Names → values over raw memory, looked up from the file's bytes: open addressing; a
/// name of up to 8 bytes is compared as one 64-bit word.
struct _NameTable: @unchecked Sendable {
    private let keys: UnsafeMutablePointer<UInt64>?
    private let lengths: UnsafeMutablePointer<Int32>?
    private let values: UnsafeMutablePointer<Int32>?
    private let starts: UnsafeMutablePointer<Int32>?
    private let store: UnsafeMutablePointer<UInt8>?
    private let mask: Int

    static let empty = _NameTable()

    private init() { keys = nil; lengths = nil; values = nil; starts = nil; store = nil; mask = 0 }

    init(_ entries: [([UInt8], Int32)]) {
        var size = 16
        while size < entries.count * 4 { size *= 2 }
        mask = size - 1
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        let values = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        let starts = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        keys.initialize(repeating: 0, count: size)
        lengths.initialize(repeating: -1, count: size)
        values.initialize(repeating: 0, count: size)
        starts.initialize(repeating: 0, count: size)
        let total = entries.reduce(0) { $0 + $1.0.count }
        let store = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, total))
        var at = 0
        for (name, value) in entries {
            let key = _NameTable.word(name)
            var i = _NameTable.slot(key, name.count, mask)
            while lengths[i] >= 0 { i = (i + 1) & mask }
            keys[i] = key
            lengths[i] = Int32(name.count)
            values[i] = value
            starts[i] = Int32(at)
            for b in name { store[at] = b; at += 1 }
        }
        (self.keys, self.lengths, self.values, self.starts, self.store) = (keys, lengths, values, starts, store)
    }

    func free() {
        keys?.deallocate(); lengths?.deallocate(); values?.deallocate(); starts?.deallocate(); store?.deallocate()
    }

    /// The name as a word when it has up to 8 bytes; a longer one's first and last 8 bytes
    /// mixed (its bytes are compared in full when the words match).
    static func word(_ name: [UInt8]) -> UInt64 {
        func load(_ from: Int) -> UInt64 {
            var w: UInt64 = 0
            for k in 0..<Swift.min(8, name.count - from) { w |= UInt64(name[from + k]) << (8 * UInt64(k)) }
            return w
        }
        return name.count <= 8 ? load(0) : mix(load(0), load(name.count - 8))
    }

    @inline(__always)
    static func mix(_ first: UInt64, _ last: UInt64) -> UInt64 { first ^ (last &* 0x9E37_79B9_7F4A_7C15) }

    @inline(__always)
    static func slot(_ key: UInt64, _ length: Int, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: ((key ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// The value of bytes `lo..<hi` of `p`, or nil.
    @inline(__always)
    func find(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int32? {
        guard let keys, let lengths, let values, let starts, let store, let base = p.baseAddress else { return nil }
        let len = hi - lo
        var key: UInt64
        if len <= 8 {
            if lo + 8 <= p.count {
                key = UnsafeRawPointer(base + lo).loadUnaligned(as: UInt64.self)
                if len < 8 { key &= (1 << (8 * UInt64(len))) &- 1 }
            } else {
                key = 0
                for k in 0..<len { key |= UInt64(p[lo + k]) << (8 * UInt64(k)) }
            }
        } else {
            key = _NameTable.mix(UnsafeRawPointer(base + lo).loadUnaligned(as: UInt64.self),
                                 UnsafeRawPointer(base + hi - 8).loadUnaligned(as: UInt64.self))
        }
        var i = _NameTable.slot(key, len, mask)
        while lengths[i] >= 0 {
            if keys[i] == key, Int(lengths[i]) == len {
                if len <= 8 { return values[i] }
                if memcmp(store + Int(starts[i]), base + lo, len) == 0 { return values[i] }
            }
            i = (i + 1) & mask
        }
        return nil
    }
}

/// The file's bytes, read (never written) by every worker while the caller waits.
struct _SendableBytes: @unchecked Sendable { let p: UnsafeBufferPointer<UInt8> }

/// The columns' storage, written by every worker (each at its own rows) while the caller waits.
struct _SendablePointers: @unchecked Sendable {
    let pointers: [UnsafeMutableRawPointer]
    init(_ pointers: [UnsafeMutableRawPointer]) { self.pointers = pointers }
}

/// One piece of the file, parsed into raw columns.
struct _FastPiece: @unchecked Sendable {
    var columns: [UnsafeMutableRawPointer]
    let widths: [Int]
    var capacity: Int
    var count = 0
    var failed = false

    /// A piece written straight into the columns at `columns` (one pointer per column, at
    /// the piece's first row), which have room for `rows` rows.
    init(widths: [Int], into columns: [UnsafeMutableRawPointer], rows: Int) {
        self.widths = widths
        self.columns = columns
        capacity = rows
    }

    /// The rows of `lo..<hi`: its lines that are not blank (as the parser counts them).
    /// Hands the whole pages of `p[lo..<hi]` back to the system (they read as zeros after);
    /// whether any were.
    static func release(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, pageSize: Int) -> Bool {
        guard let base = p.baseAddress, hi <= p.count else { return false }
        let first = (Int(bitPattern: base + lo) + pageSize - 1) / pageSize * pageSize
        let end = Int(bitPattern: base + hi) / pageSize * pageSize
        guard end > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return false }
        return madvise(start, end - first, Int32(MADV_DONTNEED)) == 0
    }

    static func rows(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int {
        guard let base = p.baseAddress else { return 0 }
        var rows = 0
        var i = lo
        while i < hi {
            let end: Int
            if let nl = memchr(base + i, 0x0A, hi - i) {
                end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base
            } else {
                end = hi
            }
            var length = end - i
            if length > 0, p[end - 1] == 0x0D { length -= 1 }
            if length > 0 { rows += 1 }
            i = end + 1
        }
        return rows
    }

    /// Parses the rows in `lo..<hi`; false at the first thing the fast reader does not read.
    mutating func parse(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int,
                        _ kinds: [CSVCaseLoader._FastKind], _ tables: [_NameTable]) -> Bool {
        let n = p.count
        let cells = kinds.count
        var i = lo
        // Day numbers of the dates met, by (year, month, day): a file has few distinct dates.
        var dayKeys = [Int32](repeating: -1, count: 1024)
        var dayValues = [Int32](repeating: 0, count: 1024)
        /// Where a cell that ends at `k` is followed by its separator (a comma between cells,
        /// a line break or the end after the last), the index after it; else nil.
        @inline(__always) func afterSeparator(_ k: Int, last: Bool) -> Int? {
            if !last { return k < n && p[k] == 0x2C ? k + 1 : nil }
            if k >= n { return n }
            if p[k] == 0x0A { return k + 1 }
            if p[k] == 0x0D, k + 1 < n, p[k + 1] == 0x0A { return k + 2 }
            return nil
        }
        while i < hi {
            // A blank line (the careful reader skips it too).
            if p[i] == 0x0A { i += 1; continue }
            if p[i] == 0x0D, i + 1 < n, p[i + 1] == 0x0A { i += 2; continue }
            // More rows than were counted: not a file this reader understands.
            if count == capacity { return false }
            for c in 0..<cells {
                let out = columns[c]
                let last = c + 1 == cells
                // Ints, dates and bools with nothing around them are read as they are scanned.
                switch kinds[c] {
                case .int:
                    var k = i
                    let negative = k < n && p[k] == 0x2D
                    if negative { k += 1 }
                    let digitsStart = k
                    var v: Int64 = 0
                    while k < n {
                        let x = p[k] &- 0x30
                        if x > 9 { break }
                        v = v &* 10 &+ Int64(x)
                        k += 1
                    }
                    if k > digitsStart, k - digitsStart <= 18, let next = afterSeparator(k, last: last) {
                        out.storeBytes(of: negative ? -v : v, toByteOffset: count * 8, as: Int64.self)
                        i = next
                        continue
                    }
                case .date:
                    if i + 10 <= n, let next = afterSeparator(i + 10, last: last),
                       let d = _FastPiece.date(p, i, i + 10, &dayKeys, &dayValues) {
                        out.storeBytes(of: d, toByteOffset: count * 4, as: Int32.self)
                        i = next
                        continue
                    }
                case .bool:
                    // `true` and `false` as written by most tools.
                    if i + 4 <= n, p[i] == 0x74, p[i + 1] == 0x72, p[i + 2] == 0x75, p[i + 3] == 0x65,
                       let next = afterSeparator(i + 4, last: last) {
                        out.storeBytes(of: true, toByteOffset: count, as: Bool.self)
                        i = next
                        continue
                    }
                    if i + 5 <= n, p[i] == 0x66, p[i + 1] == 0x61, p[i + 2] == 0x6C, p[i + 3] == 0x73, p[i + 4] == 0x65,
                       let next = afterSeparator(i + 5, last: last) {
                        out.storeBytes(of: false, toByteOffset: count, as: Bool.self)
                        i = next
                        continue
                    }
                default:
                    break
                }
                var s = i
                while i < n {
                    let b = p[i]
                    if b == 0x2C || b == 0x0A || b == 0x0D { break }
                    i += 1
                }
                var e = i
                // The separator: a comma between cells, a line break (or the end) after the last.
                if c + 1 < cells {
                    guard i < n, p[i] == 0x2C else { return false }
                    i += 1
                } else if i < n {
                    if p[i] == 0x0D {
                        guard i + 1 < n, p[i + 1] == 0x0A else { return false }
                        i += 2
                    } else if p[i] == 0x0A {
                        i += 1
                    } else {
                        return false
                    }
                }
                // Spaces and tabs around a cell are not part of it.
                if s < e, p[s] == 0x20 || p[s] == 0x09 || p[e - 1] == 0x20 || p[e - 1] == 0x09 {
                    while s < e, p[s] == 0x20 || p[s] == 0x09 { s += 1 }
                    while e > s, p[e - 1] == 0x20 || p[e - 1] == 0x09 { e -= 1 }
                }
                guard s < e else { return false } // empty: the default, read carefully
                switch kinds[c] {
                case .date:
                    guard let d = _FastPiece.date(p, s, e, &dayKeys, &dayValues) else { return false }
                    out.storeBytes(of: d, toByteOffset: count * 4, as: Int32.self)
                case .bool:
                    guard let v = _FastPiece.bool(p, s, e) else { return false }
                    out.storeBytes(of: v, toByteOffset: count, as: Bool.self)
                case .small:
                    guard let m = tables[c].find(p, s, e) else { return false }
                    out.storeBytes(of: UInt8(truncatingIfNeeded: m), toByteOffset: count, as: UInt8.self)
                case .member, .jurisdiction:
                    guard let m = tables[c].find(p, s, e) else { return false }
                    out.storeBytes(of: m, toByteOffset: count * 4, as: Int32.self)
                case .int:
                    guard let v = _FastPiece.int(p, s, e) else { return false }
                    out.storeBytes(of: v, toByteOffset: count * 8, as: Int64.self)
                }
            }
            count += 1
        }
        return true
    }

    /// The digits of `YYYY-MM-DD` at `lo..<hi`, or nil.
    @inline(__always)
    static func dateDigits(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> (y: Int, m: Int, d: Int)? {
        guard hi - lo == 10, p[lo + 4] == 0x2D, p[lo + 7] == 0x2D else { return nil }
        var bad: UInt8 = 0
        @inline(__always) func d(_ k: Int) -> Int {
            let x = p[lo + k] &- 0x30
            bad |= x > 9 ? 1 : 0
            return Int(x)
        }
        let y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3), m = d(5) * 10 + d(6), dd = d(8) * 10 + d(9)
        return bad == 0 ? (y, m, dd) : nil
    }

    /// The day number of a date in the language's years, or nil when there is no such day.
    @inline(__always)
    static func dayNumber(_ y: Int, _ m: Int, _ d: Int) -> Int32? {
        guard CivilDate.yearRange.contains(y), m >= 1, m <= 12, d >= 1, d <= CivilDate.daysInMonth(year: y, month: m) else { return nil }
        return Int32(CivilDate.dayNumber(year: y, month: m, day: d))
    }

    /// `YYYY-MM-DD` in the language's years, as a day number.
    @inline(__always)
    static func date(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int32? {
        guard let (y, m, d) = dateDigits(p, lo, hi) else { return nil }
        return dayNumber(y, m, d)
    }

    /// `date(p, lo, hi)`, remembering the dates met in `keys`/`values` (1,024 slots).
    @inline(__always)
    static func date(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int,
                     _ keys: inout [Int32], _ values: inout [Int32]) -> Int32? {
        guard let (y, m, d) = dateDigits(p, lo, hi) else { return nil }
        // A date already met (and so already checked): its day number. (The key is the date's
        // digits, so no two spellings share one.)
        let key = Int32(y * 10_000 + m * 100 + d)
        let slot = Int((key ^ (key >> 10)) & 1023)
        if keys[slot] == key { return values[slot] }
        guard let day = dayNumber(y, m, d) else { return nil }
        keys[slot] = key
        values[slot] = day
        return day
    }

    /// The spellings the careful reader's fast path accepts.
    @inline(__always)
    static func bool(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool? {
        let len = hi - lo
        let b0 = p[lo]
        if len == 1 { return b0 == 0x31 ? true : b0 == 0x30 ? false : nil }
        if len == 4, b0 | 0x20 == 0x74, p[lo + 1] | 0x20 == 0x72, p[lo + 2] | 0x20 == 0x75, p[lo + 3] | 0x20 == 0x65 { return true }
        if len == 5, b0 | 0x20 == 0x66, p[lo + 1] | 0x20 == 0x61, p[lo + 2] | 0x20 == 0x6C, p[lo + 3] | 0x20 == 0x73, p[lo + 4] | 0x20 == 0x65 { return false }
        if len == 3, b0 == 0x79, p[lo + 1] == 0x65, p[lo + 2] == 0x73 { return true }
        if len == 2, b0 == 0x6E, p[lo + 1] == 0x6F { return false }
        return nil
    }

    /// Plain decimal digits with an optional minus, up to 18 of them (no overflow possible).
    @inline(__always)
    static func int(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int64? {
        var k = lo
        let negative = p[k] == 0x2D
        if negative { k += 1 }
        guard k < hi, hi - k <= 18 else { return nil }
        var v: Int64 = 0
        while k < hi {
            let x = p[k] &- 0x30
            guard x <= 9 else { return nil }
            v = v * 10 + Int64(x)
            k += 1
        }
        return negative ? -v : v
    }
}

#if canImport(Glibc)
import Glibc
#endif
