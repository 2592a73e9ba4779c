#if canImport(Glibc)
import Glibc
#endif
import PolicySyntax
import PolicySupport

/// One column of a population, stored by type (§ Performance design: columnar cases).
public enum Column: Sendable {
    case bools([Bool])
    case ints([Int64])
    case numbers([Double])
    case dates([Int32])
    /// Enum members of one enum (fewer than 256 members).
    case smallMembers([UInt8], enumType: Int32)
    case members([Int32], enumType: Int32)
    case jurisdictions([Int32])
    case values([Value])

    @inline(__always)
    func value(_ row: Int) -> Value {
        switch self {
        case .bools(let xs): return .bool(xs[row])
        case .ints(let xs): return .int(xs[row])
        case .numbers(let xs): return .number(xs[row])
        case .dates(let xs): return .date(xs[row])
        case .smallMembers(let xs, let e): return .member(type: e, index: Int32(xs[row]))
        case .members(let xs, let e): return .member(type: e, index: xs[row])
        case .jurisdictions(let xs): return .jurisdiction(xs[row])
        case .values(let xs): return xs[row]
        }
    }

    /// Bytes per row.
    var width: Int {
        switch self {
        case .bools, .smallMembers: return 1
        case .dates, .members, .jurisdictions: return 4
        case .ints, .numbers: return 8
        case .values: return MemoryLayout<Value>.stride
        }
    }
}

/// The cases of a population, column by column.
public final class PopulationData: @unchecked Sendable {
    public let record: Int
    public let count: Int
    public let seed: UInt64
    /// Its version's fingerprint (0: none), which identifies the cases across programs.
    var fingerprint: UInt64 = 0
    public let columns: [Column]
    /// Each case's weight (§10), or nil when the population has no `weight`.
    public internal(set) var weights: [Double]?

    init(record: Int, count: Int, seed: UInt64, columns: [Column]) {
        self.record = record
        self.count = count
        self.seed = seed
        self.columns = columns
    }

    /// Row `row` as a record value; its identity is its row (§9.17).
    @inline(__always)
    public func caseRecord(_ row: Int) -> RecordValue {
        RecordValue(type: record, fields: columns.map { $0.value(row) }, identity: UInt64(row), seed: seed)
    }

    public var bytesPerCase: Int { columns.reduce(0) { $0 + $1.width } }

    /// The first and last day of date column `field` (nil: not a column of dates, or empty),
    /// found once: the columns never change, and every query by a calendar key asks.
    func dateRange(_ field: Int) -> (first: Int32, last: Int32)? {
        dateRangeLock.withLock {
            if let known = dateRanges[field] { return known }
            guard field >= 0, field < columns.count, case .dates(let dates) = columns[field],
                  let range = dates.withUnsafeBufferPointer(PopulationData.dayRange) else { return nil }
            dateRanges[field] = range
            return range
        }
    }

    /// The first and last of `days` (nil: none).
    static func dayRange(_ days: UnsafeBufferPointer<Int32>) -> (first: Int32, last: Int32)? {
        guard !days.isEmpty else { return nil }
        var first = Int32.max, last = Int32.min
        for d in days {
            first = Swift.min(first, d)
            last = Swift.max(last, d)
        }
        return (first, last)
    }
    private var dateRanges: [Int: (first: Int32, last: Int32)] = [:]

    /// Date column `field`'s first and last day, found while it was read.
    func knowDateRange(_ field: Int, _ range: (first: Int32, last: Int32)) {
        dateRangeLock.withLock { dateRanges[field] = range }
    }
    private let dateRangeLock = Lock()

    /// Calls `body` with every column's storage as raw bytes, in place (no copy; valid only
    /// inside `body`). A bool is one byte, 0 or 1; a column of values has no raw form (empty).
    func withRawColumns<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        try _withRawColumns(from: 0, [], body)
    }

    private func _withRawColumns<R>(from k: Int, _ done: [UnsafeRawBufferPointer],
                                    _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        guard k < columns.count else { return try body(done) }
        switch columns[k] {
        case .bools(let xs): return try xs.withUnsafeBytes { try _withRawColumns(from: k + 1, done + [$0], body) }
        case .ints(let xs): return try xs.withUnsafeBytes { try _withRawColumns(from: k + 1, done + [$0], body) }
        case .numbers(let xs): return try xs.withUnsafeBytes { try _withRawColumns(from: k + 1, done + [$0], body) }
        case .dates(let xs), .jurisdictions(let xs), .members(let xs, _):
            return try xs.withUnsafeBytes { try _withRawColumns(from: k + 1, done + [$0], body) }
        case .smallMembers(let xs, _): return try xs.withUnsafeBytes { try _withRawColumns(from: k + 1, done + [$0], body) }
        case .values: return try _withRawColumns(from: k + 1, done + [UnsafeRawBufferPointer(start: nil, count: 0)], body)
        }
    }

    /// Builds columns from per-field values.
    static func columns(_ program: Program, record: Int, _ values: [[Value]]) -> [Column] {
        program.records[record].fields.enumerated().map { i, f in
            let xs = values[i]
            switch f.type {
            case .bool: return .bools(xs.map(\.asBool))
            case .int: return .ints(xs.map(\.asInt))
            case .number: return .numbers(xs.map(\.asNumber))
            case .date: return .dates(xs.map(\.asDate))
            case .jurisdiction: return .jurisdictions(xs.map(\.asJurisdiction))
            case .enumType(let e):
                let indices = xs.map { v -> Int32 in if case .member(_, let m) = v { return m }; return 0 }
                if program.enums[e].members.count < 256 { return .smallMembers(indices.map { UInt8($0) }, enumType: Int32(e)) }
                return .members(indices, enumType: Int32(e))
            default: return .values(xs)
            }
        }
    }
}

/// Makes populations: generated (deterministic, one random stream per field, §9.18) or
/// read from CSV. Results are cached per population version.
enum PopulationBuilder {
    /// The cases of population `p` as `world` declares it. Replicate `r` (§10) adds `r` to
    /// the seed: a generated population is generated again, a CSV one keeps its rows and
    /// changes only its draws. A world of a sweep point generates a population that reads
    /// params in its own baseline; such cases, and replicates past the first, are not kept.
    static func build(_ p: Int, in world: World, cancel: CancellationFlag?, replicate: UInt64 = 0) throws -> PopulationData {
        let program = world.program
        let v = world.populationVersion[p]
        guard v >= 0 else {
            throw EvalError("population '\(program.populations[p].name)' is not defined in scenario '\(world.name)'", at: nil)
        }
        let version = program.populations[p].versions[v]
        // A sweep point's own baseline, when the cases read params.
        let patched = version.needsWholeProgram ? world.siblings?.worlds.first : nil
        let kept = replicate == 0 && patched == nil
        let key = version.fingerprint
        if kept, let cached = program.populationCache.get(key) {
            if !program.builtHere.contains(key) { program.populationCache.noteReuse(cached) }
            return cached
        }
        let base = patched ?? program.baseline
        let seed = try baseSeed(version, in: base) &+ replicate
        let data: PopulationData
        if version.csvPath != nil, !kept, patched == nil {
            // Another replicate of a file: its rows as read once, with the replicate's seed.
            let rows = try build(p, in: world.isVariant ? program.worlds[world.scenario] : world, cancel: cancel)
            data = PopulationData(record: rows.record, count: rows.count, seed: seed, columns: rows.columns)
        } else if let path = version.csvPath {
            data = try loadCSV(path, version, seed: seed, program)
        } else {
            data = try generate(version, name: program.populations[p].name, seed: seed, world: base, cancel: cancel)
        }
        if let weight = version.weight {
            data.weights = try weights(data, weight, at: version.weightSource, name: program.populations[p].name,
                                       world: base, cancel: cancel)
        }
        // Another replicate of the same declaration keeps the fingerprint: a memo's answers
        // depend on the values of a case's fields, not on which cases there are, so they
        // carry over. Cases made from a sweep point's params do not.
        data.fingerprint = patched == nil ? key : 0
        if kept {
            program.populationCache.set(key, data)
            program.builtHere.insert(key)
        }
        return data
    }

    /// The seed a version's first replicate is drawn with: its `seed`, or 0.
    static func baseSeed(_ version: PopulationVersion, in world: World) throws -> UInt64 {
        var frame = Frame(world: world)
        return UInt64(bitPattern: try version.seed.map { try $0(&frame).asInt } ?? 0)
    }

    static func generate(_ version: PopulationVersion, name: String, seed: UInt64, world: World, cancel: CancellationFlag?) throws -> PopulationData {
        let program = world.program
        var frame = Frame(world: world)
        let sizeValue = try version.size.map { try $0(&frame).asInt } ?? 0
        guard sizeValue >= 0, sizeValue <= 2_000_000_000 else {
            throw EvalError("a population's size must be between 0 and 2,000,000,000, not \(sizeValue)", at: version.source)
        }
        let size = Int(sizeValue)
        let info = program.records[version.record]
        // Typed columns (no per-case boxes), filled below once the size is known to fit.
        let builders = info.fields.map { CSVCaseLoader.Builder(for: $0.type, program, capacity: 0) }
        try PopulationLimit.check(name, cases: size, bytesPerCase: builders.reduce(0) { $0 + $1.width }, at: version.source)
        var frameDefaults = Frame(world: world)
        let defaults: [Value?] = try info.fields.map { f in try f.defaultValue.map { try $0(&frameDefaults) } }

        // Constant parts of generators are evaluated once.
        var ready: [(FieldRule, Ready, String)] = []
        for rule in version.rules {
            let name = info.fields[rule.field].name
            switch rule.generator {
            case .uniformInt(let a, let b):
                let lo = try a(&frame).asInt, hi = try b(&frame).asInt
                guard lo <= hi else { throw EvalError("'uniform' needs low ≤ high", at: rule.source) }
                ready.append((rule, .uniformInt(lo, hi), name))
            case .uniformNumber(let a, let b):
                let lo = try a(&frame).asNumber, hi = try b(&frame).asNumber
                guard lo <= hi else { throw EvalError("'uniform' needs low ≤ high", at: rule.source) }
                ready.append((rule, .uniformNumber(lo, hi), name))
            case .uniformDate(let a, let b):
                let lo = try a(&frame).asDate, hi = try b(&frame).asDate
                guard lo <= hi else { throw EvalError("'uniform' needs the first date on or before the last", at: rule.source) }
                ready.append((rule, .uniformDate(lo, hi), name))
            case .categorical(let members, let e):
                var cumulative: [(Int32, Double)] = []
                var total = 0.0
                for (m, p) in members {
                    let probability = try p(&frame).asNumber
                    guard probability >= 0, probability <= 1 else {
                        throw EvalError("a probability of '\(name)' is \(ValueFormatter.number(probability * 100))%, not between 0% and 100%", at: rule.source)
                    }
                    total += probability
                    cumulative.append((m, total))
                }
                guard abs(total - 1) <= 0.0001 else {
                    throw EvalError("the probabilities of '\(name)' add up to \(ValueFormatter.number(total * 100))%, not 100%", at: rule.source)
                }
                ready.append((rule, .categorical(cumulative, Int32(e)), name))
            case .probability(let p):
                let probability = try p(&frame).asNumber
                guard probability >= 0, probability <= 1 else {
                    throw EvalError("the probability of '\(name)' is \(ValueFormatter.number(probability * 100))%, not between 0% and 100%", at: rule.source)
                }
                ready.append((rule, .probability(probability), name))
            case .weighted(let a):
                let table = program.jurisdictions
                var leaves: [Int32] = []
                var cumulative: [Double] = []
                var total = 0.0
                for j in 0..<Int32(table.count) where table.isLeaf(j) {
                    let w = world.attribute(j, a, on: nil).asNumber
                    guard w > 0 else { continue }
                    total += w
                    leaves.append(j)
                    cumulative.append(total)
                }
                guard total > 0 else {
                    throw EvalError("no leaf jurisdiction has a positive '\(program.attributes[a].name)' to weight by", at: rule.source)
                }
                ready.append((rule, .weighted(leaves, cumulative.map { $0 / total }), name))
            case .computed(let e):
                ready.append((rule, .computed(e), name))
            }
        }
        // Column by column (§9.18: each field has its own stream, keyed by row). Every column
        // starts as its default; then each rule, in order, fills its column — so a `when` or
        // `= EXPR` sees the fields of earlier rules, as it would row by row.
        // A column whose first rule draws every row, with nothing before it that could read
        // the column, is not filled with its default first (writing it twice costs time).
        var drawnWhole = Set<Int>(), seen = Set<Int>()
        var readerBefore = false
        for (rule, gen, _) in ready {
            if !seen.contains(rule.field), !readerBefore, rule.condition == nil,
               PopulationBuilder.drawsInParallel(gen, builders[rule.field].kind) {
                drawnWhole.insert(rule.field)
            }
            seen.insert(rule.field)
            if rule.condition != nil { readerBefore = true }
            if case .computed = gen { readerBefore = true }
        }
        for (f, builder) in builders.enumerated() where !drawnWhole.contains(f) {
            if cancel?.isRaised == true { throw Interrupted() }
            // (A field with no default holds its kind's zero until its rule writes every row.)
            builder.fill(defaults[f] ?? builder.zero, count: size)
        }
        /// The column at full size: as it is, or (not filled yet) with every row to be drawn.
        func sized<T>(_ column: inout [T]) {
            guard column.count != size else { return }
            // Only plain values (Bool, Int32, UInt8, Int64, Double): every row is written by
            // the draw below.
            column = [T](unsafeUninitializedCapacity: size) { _, initialized in initialized = size }
        }
        for (rule, gen, name) in ready {
            let stream = StableHash.streamKey(seed: seed, stream: name)
            let column = builders[rule.field]
            func u(_ r: Int) -> Double { StableHash.uniform(stream, UInt64(r)) }
            func check(_ r: Int) throws {
                if r & 0xFFFF == 0, cancel?.isRaised == true { throw Interrupted() }
            }
            // The case so far, for a condition or a computed field.
            func record(_ r: Int) -> Value {
                .record(RecordValue(type: version.record, fields: builders.map { $0.value(at: r) }, identity: UInt64(r), seed: seed))
            }
            if rule.condition != nil || { if case .computed = gen { return true }; return false }() {
                for r in 0..<size {
                    try check(r)
                    if let condition = rule.condition {
                        frame.subject = record(r)
                        if try !condition(&frame).asBool { continue }
                    }
                    if case .computed(let e) = gen {
                        frame.subject = record(r)
                        column.set(r, try e(&frame))
                    } else {
                        column.set(r, draw(gen, u(r)))
                    }
                }
                continue
            }
            // The common case: tight loops straight into the typed column, rows split
            // between the cores (each row's draw depends only on its stream and number).
            switch (gen, column.kind) {
            case (.probability(let p), .bools):
                sized(&column.bools)
                try column.bools.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    try generateInParallel(size, cancel) { rows in for r in rows { out.set(r, StableHash.uniform(stream, UInt64(r)) < p) } }
                }
            case (.uniformDate(let lo, let hi), .dates):
                sized(&column.int32s)
                try column.int32s.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    let days = Double(Int64(hi) - Int64(lo) + 1), last = Double(hi - lo)
                    try generateInParallel(size, cancel) { rows in
                        for r in rows { out.set(r, lo + Int32(Swift.min(last, (StableHash.uniform(stream, UInt64(r)) * days).rounded(.down)))) }
                    }
                }
            case (.weighted(let leaves, let cumulative), .jurisdictions):
                sized(&column.int32s)
                try column.int32s.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    // Where to start looking, per 1/4096 of [0, 1): the first leaf whose
                    // cumulative weight passes the bucket's start (then a short scan gives
                    // exactly what the binary search in `draw` gives).
                    let last = cumulative.count - 1
                    var start = [Int32](repeating: 0, count: 4096)
                    var k = 0
                    for b in 0..<4096 {
                        while k < last, cumulative[k] <= Double(b) * 0x1p-12 { k += 1 }
                        start[b] = Int32(k)
                    }
                    let starts = start
                    try generateInParallel(size, cancel) { rows in
                        for r in rows {
                            let x = StableHash.uniform(stream, UInt64(r))
                            var k = Int(starts[Int(x * 4096)])
                            while k < last, cumulative[k] <= x { k += 1 }
                            out.set(r, leaves[k])
                        }
                    }
                }
            case (.uniformInt(let lo, let hi), .ints):
                sized(&column.ints)
                try column.ints.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    try generateInParallel(size, cancel) { rows in
                        for r in rows { out.set(r, uniformInt(lo, hi, StableHash.uniform(stream, UInt64(r)))) }
                    }
                }
            case (.uniformNumber(let lo, let hi), .numbers):
                sized(&column.numbers)
                try column.numbers.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    try generateInParallel(size, cancel) { rows in
                        for r in rows { out.set(r, uniformNumber(lo, hi, StableHash.uniform(stream, UInt64(r)))) }
                    }
                }
            case (.categorical(let cumulative, _), .small) where !cumulative.isEmpty:
                let members = cumulative.map { UInt8(truncatingIfNeeded: $0.0) }, bounds = cumulative.map(\.1)
                sized(&column.small)
                try column.small.withUnsafeMutableBufferPointer { out in
                    let out = _Rows(out)
                    try generateInParallel(size, cancel) { rows in
                        for r in rows {
                            let x = StableHash.uniform(stream, UInt64(r))
                            var k = 0
                            while k < bounds.count - 1, x >= bounds[k] { k += 1 }
                            out.set(r, members[k])
                        }
                    }
                }
            default:
                for r in 0..<size {
                    try check(r)
                    column.set(r, draw(gen, u(r)))
                }
            }
        }
        return PopulationData(record: version.record, count: size, seed: seed, columns: builders.map(\.column))
    }

    /// Whether `generate` draws this generator into this kind of column in parallel, every
    /// row (the cases of its tight loops).
    static func drawsInParallel(_ gen: Ready, _ kind: CSVCaseLoader.Builder.Kind) -> Bool {
        switch (gen, kind) {
        case (.probability, .bools), (.uniformDate, .dates), (.weighted, .jurisdictions),
             (.uniformInt, .ints), (.uniformNumber, .numbers): return true
        case (.categorical(let cumulative, _), .small): return !cumulative.isEmpty
        default: return false
        }
    }

    /// Runs `body` over `0..<size` in pieces on every core; throws `Interrupted` when the
    /// run is cancelled (checked between pieces).
    static func generateInParallel(_ size: Int, _ cancel: CancellationFlag?,
                                   _ body: @escaping @Sendable (Range<Int>) -> Void) throws {
        let piece = 1 << 16
        let pieces = (size + piece - 1) / piece
        let counter = ChunkCounter()
        let stopped = Slots<Bool>(1)
        runParallel(workers: min(workerCount(), pieces)) { _ in
            while true {
                let k = counter.take()
                guard k < pieces else { return }
                if cancel?.isRaised == true {
                    stopped.set(0, true)
                    return
                }
                body(k * piece..<Swift.min(size, (k + 1) * piece))
            }
        }
        if stopped.all.first == true { throw Interrupted() }
    }

    /// `uniform lo .. hi` over ints, for a uniform number `u` in [0, 1).
    @inline(__always)
    static func uniformInt(_ lo: Int64, _ hi: Int64, _ u: Double) -> Int64 {
        let span = UInt64(bitPattern: hi &- lo) &+ 1
        return span == 0 ? lo &+ Int64(bitPattern: UInt64(u * 0x1p64)) : lo &+ Int64(bitPattern: UInt64(u * Double(span)))
    }

    /// `uniform lo .. hi` over numbers, for a uniform number `u` in [0, 1).
    @inline(__always)
    static func uniformNumber(_ lo: Double, _ hi: Double, _ u: Double) -> Double {
        // Weighted, not `lo + u * (hi - lo)`: the width of the range may be beyond the
        // largest double even when both ends are finite.
        Swift.min(hi, Swift.max(lo, lo * (1 - u) + hi * u))
    }

    /// A generator with its constant parts evaluated.
    enum Ready {
        case uniformInt(Int64, Int64), uniformNumber(Double, Double), uniformDate(Int32, Int32)
        case categorical([(Int32, Double)], Int32), probability(Double)
        case weighted([Int32], [Double]), computed(Eval)
    }

    /// The value a generator draws for a uniform number `u` in [0, 1).
    @inline(__always)
    static func draw(_ gen: Ready, _ u: Double) -> Value {
        switch gen {
        case .uniformInt(let lo, let hi):
            return .int(uniformInt(lo, hi, u))
        case .uniformNumber(let lo, let hi):
            return .number(uniformNumber(lo, hi, u))
        case .uniformDate(let lo, let hi):
            return .date(lo + Int32(min(Double(hi - lo), (u * Double(Int64(hi) - Int64(lo) + 1)).rounded(.down))))
        case .categorical(let cumulative, let e):
            let m = cumulative.first { u < $0.1 }?.0 ?? cumulative.last?.0 ?? 0
            return .member(type: e, index: m)
        case .probability(let p):
            return .bool(u < p)
        case .weighted(let leaves, let cumulative):
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            return .jurisdiction(leaves[lo])
        case .computed:
            return .bool(false) // computed fields are evaluated, not drawn
        }
    }

    static func loadCSV(_ path: String, _ version: PopulationVersion, seed: UInt64, _ program: Program) throws -> PopulationData {
        guard let provider = program.provider else {
            throw EvalError("cannot read '\(path)' here", at: version.csvReference)
        }
        switch provider.loadBytes(path) {
        case .success(var bytes):
            // Made this call's own (a copy only if the provider kept them), so the reader
            // may hand the file's pages back as it parses them.
            bytes.withUnsafeMutableBufferPointer { _ in }
            return try CSVCaseLoader(program: program, record: version.record, path: path, bytes: bytes, reference: version.csvReference)
                .load(seed: seed, releasingPages: true)
        case .failure(let e):
            var error = EvalError("cannot read '\(path)': \(e.reason)", at: version.csvReference,
                                  hint: e.hint ?? "paths are relative to the folder of the script that names them")
            error.unreadableInput = !e.exceedsLimit
            throw error
        }
    }
}

/// A column's storage written by several workers, each at its own rows, while the caller
/// waits (`generateInParallel`).
struct _Rows<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>?
    init(_ buffer: UnsafeMutableBufferPointer<T>) { base = buffer.baseAddress }
    @inline(__always)
    func set(_ r: Int, _ value: T) { base?[r] = value }
}

/// Raised when the user interrupts a long computation.
public struct Interrupted: Error {}

/// Generated and loaded populations, shared by all worlds — and, at the prompt, by the
/// programs one entry after another: a population is keyed by its version's fingerprint, so
/// an entry that does not touch what a population depends on reuses its cases (issue W3).
public final class PopulationCache: @unchecked Sendable {
    private var entries: [UInt64: PopulationData] = [:]
    private let lock = Lock()
    /// Populations taken over from an earlier program instead of being built again.
    public private(set) var reused = 0
    public private(set) var reusedCases = 0
    public init() {}
    func get(_ k: UInt64) -> PopulationData? { lock.withLock { entries[k] } }
    func set(_ k: UInt64, _ v: PopulationData) { lock.withLock { entries[k] = v } }
    func noteReuse(_ data: PopulationData) {
        lock.withLock {
            reused += 1
            reusedCases += data.count
        }
    }
    /// Keeps only the entries `program` can use (the rest are freed).
    func prune(keeping program: Program) {
        let live = Set(program.populations.flatMap { $0.versions.map(\.fingerprint) })
        lock.withLock { entries = entries.filter { live.contains($0.key) } }
    }
    public var count: Int { lock.withLock { entries.count } }
}

extension StableHash {
    /// A per-stream key, so each field has its own random stream (§9.18).
    static func streamKey(seed: UInt64, stream: String) -> UInt64 {
        var h = StableHash()
        h.mix(seed)
        h.mix(stream)
        return h.value
    }

    /// u ∈ [0, 1) for row `row` of a stream.
    @inline(__always)
    static func uniform(_ stream: UInt64, _ row: UInt64) -> Double {
        Double(splitmix(stream ^ (row &* 0x9E37_79B9_7F4A_7C15)) >> 11) * 0x1p-53
    }
}

extension Program {
    /// A population's cases in the baseline (read or generated now if not yet).
    public func population(named name: String) throws -> PopulationData {
        guard let p = populations.firstIndex(where: { $0.name == name }) else {
            throw EvalError("unknown population '\(name)'", at: nil)
        }
        return try PopulationBuilder.build(p, in: baseline, cancel: cancellation)
    }
}

/// The population limit (`--limit population=N`) and, when it is not set, the memory the
/// machine has available: a population that cannot fit is refused before it is built.
enum PopulationLimit {
    static func check(_ name: String, cases: Int, bytesPerCase: Int, at source: SourceRef?) throws {
        if let cap = Limits.current.populationCases {
            guard cases <= cap else {
                throw EvalError("population '\(name)' has \(Limits.grouped(cases)) cases, more than the limit of \(Limits.grouped(cap))",
                                at: source, hint: "use a smaller 'size', or " + Limits.raiseHint("population"))
            }
            return
        }
        // Columns, plus the engine's working memory per case (answers, keys), counted generously.
        let needed = Double(cases) * Double(bytesPerCase + 16)
        // What is left now: the populations already built are in use, so each one built
        // counts against the next.
        guard let available = SystemMemory.available(), needed > Double(available.bytes) * 0.8 else { return }
        let bound = available.bound.map { " (\($0))" } ?? ""
        throw EvalError("population '\(name)' of \(Limits.grouped(cases)) cases needs about \(SystemMemory.describe(needed)), more than the \(SystemMemory.describe(Double(available.bytes))) of memory available\(bound)",
                        at: source, hint: "use a smaller 'size', or set --limit population=N to allow N cases anyway")
    }
}

extension PopulationFingerprint {
    /// A file's size and modification time (a changed CSV file is read again).
    static func fileIdentity(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "missing" }
        return "\(st.st_size):\(st.st_mtim.tv_sec):\(st.st_mtim.tv_nsec)"
    }
}
