import PolicySyntax

// The fast reader of a cases CSV (what W1 measures): the file cut into pieces at line starts,
// every piece parsed on its own core straight into raw columns, the pieces joined in file
// order. It reads only what it is sure of — no quotes anywhere, one plain cell per column,
// dates, bools, enum members, jurisdictions and plain integers — and gives up (returns nil)
// on anything else, so that the careful reader reads the whole file again and reports the
// first problem with its line and column. Either way the columns are the same.

extension CSVCaseLoader {
    /// What a column holds, for the fast reader.
    enum _FastKind { case date, bool, small, member, jurisdiction, int }

    /// The rows after the header (`start`), or nil when the careful reader must read them.
    func fastRows(_ p: UnsafeBufferPointer<UInt8>, from start: Int, _ builders: [Builder],
                  _ enumTables: [ByteTable?], _ names: ByteTable, _ labels: ByteTable) -> Int? {
        guard let base = p.baseAddress, start < p.count else { return nil }
        // A quote anywhere means quoted cells (commas or line breaks inside): careful path.
        if memchr(base + start, 0x22, p.count - start) != nil { return nil }
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
                guard let t = enumTables[c] else { return nil }
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
                return nil
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
        let results = Slots<_FastPiece>(pieceCount)
        let counter = ChunkCounter()
        let widths = kinds.map(\.width)
        let kindsCopy = kinds, tablesCopy = tables, cutsCopy = cuts
        let bytes = _SendableBytes(p: p)
        defer { withExtendedLifetime((enumTables, places)) {} }
        runParallel(workers: min(workerCount(), pieceCount)) { _ in
            while true {
                let k = counter.take()
                guard k < pieceCount else { break }
                var piece = _FastPiece(widths: widths, bytes: cutsCopy[k + 1] - cutsCopy[k])
                if !piece.parse(bytes.p, cutsCopy[k], cutsCopy[k + 1], kindsCopy, tablesCopy) { piece.failed = true }
                results.set(k, piece)
            }
        }
        let pieces = results.all
        defer { for piece in pieces { piece?.free() } }
        var total = 0
        for piece in pieces {
            guard let piece, !piece.failed else { return nil }
            total += piece.count
        }
        if let cap = Limits.current.populationCases, total > cap { return nil }
        // Join the pieces, column by column, in file order.
        for (c, b) in builders.enumerated() {
            func joined<T>(_: T.Type) -> [T] {
                [T](unsafeUninitializedCapacity: total) { buffer, initialized in
                    var at = 0
                    for piece in pieces {
                        guard let piece, let out = buffer.baseAddress else { continue }
                        let n = piece.count
                        (out + at).withMemoryRebound(to: UInt8.self, capacity: n * MemoryLayout<T>.stride) { dst in
                            dst.update(from: piece.columns[c].assumingMemoryBound(to: UInt8.self), count: n * MemoryLayout<T>.stride)
                        }
                        at += n
                    }
                    initialized = at
                }
            }
            switch kinds[c] {
            case .date, .member, .jurisdiction: b.int32s = joined(Int32.self)
            case .small: b.small = joined(UInt8.self)
            case .bool: b.bools = joined(Bool.self)
            case .int: b.ints = joined(Int64.self)
            }
        }
        return total
    }
}

extension CSVCaseLoader {
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

    /// The first 8 bytes as a word (FNV-1a of all of them when longer).
    static func word(_ name: [UInt8]) -> UInt64 {
        if name.count <= 8 {
            var w: UInt64 = 0
            for (k, b) in name.enumerated() { w |= UInt64(b) << (8 * UInt64(k)) }
            return w
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

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
            key = 0xCBF2_9CE4_8422_2325
            for k in lo..<hi { key = (key ^ UInt64(p[k])) &* 0x100_0000_01B3 }
        }
        var i = _NameTable.slot(key, len, mask)
        while lengths[i] >= 0 {
            if keys[i] == key, Int(lengths[i]) == len {
                if len <= 8 { return values[i] }
                let s = Int(starts[i])
                var same = true
                for k in 0..<len where store[s + k] != p[lo + k] { same = false; break }
                if same { return values[i] }
            }
            i = (i + 1) & mask
        }
        return nil
    }
}

/// The file's bytes, read (never written) by every worker while the caller waits.
struct _SendableBytes: @unchecked Sendable { let p: UnsafeBufferPointer<UInt8> }

/// One piece of the file, parsed into raw columns.
struct _FastPiece: @unchecked Sendable {
    var columns: [UnsafeMutableRawPointer]
    let widths: [Int]
    var capacity: Int
    var count = 0
    var failed = false

    init(widths: [Int], bytes: Int) {
        self.widths = widths
        // A first guess at the rows (the shortest plausible row is 2 bytes per cell); grows.
        capacity = max(16, bytes / max(2, widths.count * 8))
        let c = capacity
        columns = widths.map { UnsafeMutableRawPointer.allocate(byteCount: c * $0, alignment: 8) }
    }

    func free() { for c in columns { c.deallocate() } }

    private mutating func grow() {
        let bigger = capacity * 2
        for k in columns.indices {
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: bigger * widths[k], alignment: 8)
            fresh.copyMemory(from: columns[k], byteCount: count * widths[k])
            columns[k].deallocate()
            columns[k] = fresh
        }
        capacity = bigger
    }

    /// Parses the rows in `lo..<hi`; false at the first thing the fast reader does not read.
    mutating func parse(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int,
                        _ kinds: [CSVCaseLoader._FastKind], _ tables: [_NameTable]) -> Bool {
        let n = p.count
        let cells = kinds.count
        var i = lo
        while i < hi {
            // A blank line (the careful reader skips it too).
            if p[i] == 0x0A { i += 1; continue }
            if p[i] == 0x0D, i + 1 < n, p[i + 1] == 0x0A { i += 2; continue }
            if count == capacity { grow() }
            for c in 0..<cells {
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
                let out = columns[c]
                switch kinds[c] {
                case .date:
                    guard let d = _FastPiece.date(p, s, e) else { return false }
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

    /// `YYYY-MM-DD` in the language's years, as a day number.
    @inline(__always)
    static func date(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Int32? {
        guard hi - lo == 10, p[lo + 4] == 0x2D, p[lo + 7] == 0x2D else { return nil }
        var bad: UInt8 = 0
        @inline(__always) func d(_ k: Int) -> Int {
            let x = p[lo + k] &- 0x30
            bad |= x > 9 ? 1 : 0
            return Int(x)
        }
        let y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3), m = d(5) * 10 + d(6), dd = d(8) * 10 + d(9)
        guard bad == 0, CivilDate.yearRange.contains(y), m >= 1, m <= 12, dd >= 1,
              dd <= CivilDate.daysInMonth(year: y, month: m) else { return nil }
        return Int32(CivilDate.dayNumber(year: y, month: m, day: dd))
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
