import PolicySyntax

/// Values of one node for a selection of cases, typed where the type allows: bools, 64-bit
/// ints (with what they stand for: ints, dates, enum members, jurisdictions), numbers, or
/// boxed values. A typed vector holds no references, so making, copying and freeing one
/// costs no per-element work.
enum Vec {
    enum IntTag: Equatable {
        case int, date, jurisdiction
        case member(Int32)
    }

    case bools([Bool])
    case ints([Int64], IntTag)
    case numbers([Double])
    case values([Value])

    var count: Int {
        switch self {
        case .bools(let x): return x.count
        case .ints(let x, _): return x.count
        case .numbers(let x): return x.count
        case .values(let x): return x.count
        }
    }

    /// Element `k` as a value.
    @inline(__always)
    subscript(_ k: Int) -> Value {
        switch self {
        case .bools(let x): return .bool(x[k])
        case .ints(let x, let tag): return Vec.box(x[k], tag)
        case .numbers(let x): return .number(x[k])
        case .values(let x): return x[k]
        }
    }

    @inline(__always)
    static func box(_ x: Int64, _ tag: IntTag) -> Value {
        switch tag {
        case .int: return .int(x)
        case .date: return .date(Int32(truncatingIfNeeded: x))
        case .jurisdiction: return .jurisdiction(Int32(truncatingIfNeeded: x))
        case .member(let t): return .member(type: t, index: Int32(truncatingIfNeeded: x))
        }
    }

    var boxed: [Value] {
        switch self {
        case .bools(let x): return x.map { .bool($0) }
        case .ints(let x, let tag): return x.map { Vec.box($0, tag) }
        case .numbers(let x): return x.map { .number($0) }
        case .values(let x): return x
        }
    }

    /// As bools (a placeholder of a failed case, or any value not a bool, is false).
    var bools: [Bool] {
        if case .bools(let x) = self { return x }
        return boxed.map(\.boolOrFalse)
    }

    /// As numbers (a placeholder of a failed case, or any value not a number, is 0).
    var numbers: [Double] {
        switch self {
        case .numbers(let x): return x
        case .ints(let x, .int): return x.map { Double($0) }
        default: return boxed.map(\.numberOrZero)
        }
    }

    var isNumeric: Bool {
        switch self {
        case .numbers, .ints(_, .int): return true
        default: return false
        }
    }

    /// The typed form of a value, if it has one.
    static func typed(_ v: Value) -> (Int64, IntTag)? {
        switch v {
        case .int(let x): return (x, .int)
        case .date(let d): return (Int64(d), .date)
        case .jurisdiction(let j): return (Int64(j), .jurisdiction)
        case .member(let t, let i): return (Int64(i), .member(t))
        default: return nil
        }
    }

    static func repeating(_ v: Value, _ n: Int) -> Vec {
        switch v {
        case .bool(let b): return .bools(Array(repeating: b, count: n))
        case .number(let x): return .numbers(Array(repeating: x, count: n))
        default:
            if let (x, tag) = typed(v) { return .ints(Array(repeating: x, count: n), tag) }
            return .values(Array(repeating: v, count: n))
        }
    }

    /// A column's values at `rows` (chunk rows, from `lo`).
    static func column(_ c: Column, _ rows: [Int32], _ lo: Int) -> Vec {
        switch c {
        case .bools(let x): return .bools(Moves.gather(x, rows, base: lo) { $0 })
        case .ints(let x): return .ints(Moves.gather(x, rows, base: lo) { $0 }, .int)
        case .numbers(let x): return .numbers(Moves.gather(x, rows, base: lo) { $0 })
        case .dates(let x): return .ints(Moves.gather(x, rows, base: lo) { Int64($0) }, .date)
        case .smallMembers(let x, let e): return .ints(Moves.gather(x, rows, base: lo) { Int64($0) }, .member(e))
        case .members(let x, let e): return .ints(Moves.gather(x, rows, base: lo) { Int64($0) }, .member(e))
        case .jurisdictions(let x): return .ints(Moves.gather(x, rows, base: lo) { Int64($0) }, .jurisdiction)
        case .values(let x): return .values(Moves.gather(x, rows, base: lo) { $0 })
        }
    }

    /// A column's values at rows `range` (in order).
    static func column(_ c: Column, _ range: Range<Int>) -> Vec {
        switch c {
        case .bools(let x): return .bools(Array(x[range]))
        case .ints(let x): return .ints(Array(x[range]), .int)
        case .numbers(let x): return .numbers(Array(x[range]))
        case .dates(let x): return .ints(x[range].map { Int64($0) }, .date)
        case .smallMembers(let x, let e): return .ints(x[range].map { Int64($0) }, .member(e))
        case .members(let x, let e): return .ints(x[range].map { Int64($0) }, .member(e))
        case .jurisdictions(let x): return .ints(x[range].map { Int64($0) }, .jurisdiction)
        case .values(let x): return .values(Array(x[range]))
        }
    }

    /// Boxed values, typed when they are all of one typed kind (a placeholder left by a
    /// failed case, `false`, is taken as any kind: its value is never read).
    static func from(_ values: [Value]) -> Vec {
        guard let first = values.first else { return .values(values) }
        switch first {
        case .bool:
            var out = [Bool](repeating: false, count: values.count)
            for (k, v) in values.enumerated() {
                guard case .bool(let b) = v else { return .values(values) }
                out[k] = b
            }
            return .bools(out)
        case .number:
            var out = [Double](repeating: 0, count: values.count)
            for (k, v) in values.enumerated() {
                if case .bool(false) = v { continue }
                guard case .number(let x) = v else { return .values(values) }
                out[k] = x
            }
            return .numbers(out)
        default:
            guard let (_, tag) = typed(first) else { return .values(values) }
            var out = [Int64](repeating: 0, count: values.count)
            for (k, v) in values.enumerated() {
                if case .bool(false) = v { continue }
                guard let (x, t) = typed(v), t == tag else { return .values(values) }
                out[k] = x
            }
            return .ints(out, tag)
        }
    }

    /// `left[k] OP right[p]` for `k = positions[p]` (other rows: false), as
    /// `Operators.compare` answers it.
    static func compare(_ op: BinaryOperator, _ left: Vec, _ right: Vec, _ positions: [Int], _ n: Int) -> [Bool] {
        if positions.count == n, right.count == n, left.count == n { return compareDense(op, left, right) }
        // Some cases have failed: the live ones compared, element by element.
        var out = [Bool](repeating: false, count: n)
        Moves.scatter(compareDense(op, left.gather(positions), right), into: &out, at: positions)
        return out
    }

    /// `left[k] OP right[k]` for every `k`, in tight loops.
    private static func compareDense(_ op: BinaryOperator, _ left: Vec, _ right: Vec) -> [Bool] {
        let n = Swift.min(left.count, right.count)
        @inline(__always) func each<T: Comparable>(_ x: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>,
                                                   _ o: UnsafeMutableBufferPointer<Bool>) {
            let n = Swift.min(x.count, y.count, o.count)
            switch op {
            case .equal: for k in 0..<n { o[k] = x[k] == y[k] }
            case .notEqual: for k in 0..<n { o[k] = x[k] != y[k] }
            case .less: for k in 0..<n { o[k] = x[k] < y[k] }
            case .lessEqual: for k in 0..<n { o[k] = !(y[k] < x[k]) }
            case .greater: for k in 0..<n { o[k] = y[k] < x[k] }
            case .greaterEqual: for k in 0..<n { o[k] = !(x[k] < y[k]) }
            default: break
            }
        }
        var out = [Bool](repeating: false, count: n)
        switch (left, right) {
        case (.ints(let x, let a), .ints(let y, let b)) where a == b:
            x.withUnsafeBufferPointer { xs in y.withUnsafeBufferPointer { ys in out.withUnsafeMutableBufferPointer { each(xs, ys, $0) } } }
        case (.numbers, _), (_, .numbers):
            guard left.isNumeric, right.isNumeric else { fallthrough }
            let x = left.numbers, y = right.numbers
            x.withUnsafeBufferPointer { xs in y.withUnsafeBufferPointer { ys in out.withUnsafeMutableBufferPointer { each(xs, ys, $0) } } }
        default:
            let x = left.boxed, y = right.boxed
            for k in 0..<n { out[k] = Operators.compare(op, x[k], y[k]) }
        }
        return out
    }

    /// `a` at `yes`, `b` at `no`, in one vector of `n`.
    static func merge(_ a: Vec, _ yes: [Int], _ b: Vec, _ no: [Int], _ n: Int) -> Vec {
        switch (a, b) {
        case (.bools(let x), .bools(let y)):
            var out = [Bool](repeating: false, count: n)
            Moves.scatter(x, into: &out, at: yes)
            Moves.scatter(y, into: &out, at: no)
            return .bools(out)
        case (.ints(let x, let s), .ints(let y, let t)) where s == t:
            var out = [Int64](repeating: 0, count: n)
            Moves.scatter(x, into: &out, at: yes)
            Moves.scatter(y, into: &out, at: no)
            return .ints(out, s)
        case (.numbers(let x), .numbers(let y)):
            var out = [Double](repeating: 0, count: n)
            Moves.scatter(x, into: &out, at: yes)
            Moves.scatter(y, into: &out, at: no)
            return .numbers(out)
        default:
            // One side empty: the other's kind.
            if no.isEmpty, a.count == yes.count, yes.count == n { return a }
            if yes.isEmpty, b.count == no.count, no.count == n { return b }
            var out = [Value](repeating: .bool(false), count: n)
            for (p, k) in yes.enumerated() { out[k] = a[p] }
            for (p, k) in no.enumerated() { out[k] = b[p] }
            return .values(out)
        }
    }
}

extension Vec {
    /// Whether `a` and `b` hold elements of one typed kind (so one can be written into the other).
    static func sameKind(_ a: Vec, _ b: Vec) -> Bool {
        switch (a, b) {
        case (.bools, .bools), (.numbers, .numbers), (.values, .values): return true
        case (.ints(_, let s), .ints(_, let t)): return s == t
        default: return false
        }
    }

    /// `n` placeholders of `v`'s kind (false, 0 or `.bool(false)`: never read, as a failed
    /// case's value is never read).
    static func placeholders(like v: Vec, _ n: Int) -> Vec {
        switch v {
        case .bools: return .bools(Array(repeating: false, count: n))
        case .ints(_, let tag): return .ints(Array(repeating: 0, count: n), tag)
        case .numbers: return .numbers(Array(repeating: 0, count: n))
        case .values: return .values(Array(repeating: .bool(false), count: n))
        }
    }

    /// The elements at `indices` (positions in a selection, or chunk rows), in that order.
    func gather<I: BinaryInteger>(_ indices: [I]) -> Vec {
        switch self {
        case .bools(let x): return .bools(Moves.gather(x, indices) { $0 })
        case .ints(let x, let tag): return .ints(Moves.gather(x, indices) { $0 }, tag)
        case .numbers(let x): return .numbers(Moves.gather(x, indices) { $0 })
        case .values(let x): return .values(Moves.gather(x, indices) { $0 })
        }
    }

    /// Writes `v[p]` at `positions[p]`; when the kinds differ, every element is boxed.
    mutating func scatter(_ v: Vec, at positions: [Int]) {
        if positions.isEmpty { return }
        var v = v
        if case .values(let boxed) = v, !Vec.sameKind(self, v) { v = Vec.from(boxed) }
        switch (self, v) {
        case (.bools(var x), .bools(let y)):
            self = .bools([])
            Moves.scatter(y, into: &x, at: positions)
            self = .bools(x)
        case (.ints(var x, let tag), .ints(let y, let t)) where tag == t:
            self = .bools([])
            Moves.scatter(y, into: &x, at: positions)
            self = .ints(x, tag)
        case (.numbers(var x), .numbers(let y)):
            self = .bools([])
            Moves.scatter(y, into: &x, at: positions)
            self = .numbers(x)
        default:
            var x = boxed
            self = .bools([])
            for (p, k) in positions.enumerated() { x[k] = v[p] }
            self = .values(x)
        }
    }

    /// As ints (a placeholder of a failed case, or any value not an int, is 0).
    var ints: [Int64] {
        if case .ints(let x, .int) = self { return x }
        return boxed.map(\.intOrZero)
    }

    /// The member index of each element, or -1 where it is not a member.
    var memberIndices: [Int64] {
        if case .ints(let x, .member) = self { return x }
        return boxed.map { v in
            if case .member(_, let m) = v { return Int64(m) }
            return -1
        }
    }

    /// Sets `flags[p]` where `a[p]` and `b[p]` differ (as `Value` equality has it).
    static func markUnequal(_ a: Vec, _ b: Vec, into flags: inout [Bool]) {
        switch (a, b) {
        case (.bools(let x), .bools(let y)):
            for p in flags.indices where x[p] != y[p] { flags[p] = true }
        case (.ints(let x, let s), .ints(let y, let t)) where s == t:
            for p in flags.indices where x[p] != y[p] { flags[p] = true }
        case (.numbers(let x), .numbers(let y)):
            for p in flags.indices where x[p] != y[p] { flags[p] = true }
        default:
            let x = a.boxed, y = b.boxed
            for p in flags.indices where x[p] != y[p] { flags[p] = true }
        }
    }
}

extension Vec {
    /// `best[k]` replaced by `v[p]` (`k = positions[p]`) where `v[p]` is smaller (`isMin`) or
    /// larger, as `ValueOrder.less` orders them.
    static func extremum(_ isMin: Bool, _ best: Vec, _ v: Vec, _ positions: [Int]) -> Vec {
        switch (best, v) {
        case (.ints(var x, let s), .ints(let y, let t)) where s == t:
            for (p, k) in positions.enumerated() where isMin ? y[p] < x[k] : x[k] < y[p] { x[k] = y[p] }
            return .ints(x, s)
        case (.numbers(var x), .numbers(let y)):
            for (p, k) in positions.enumerated() where isMin ? y[p] < x[k] : x[k] < y[p] { x[k] = y[p] }
            return .numbers(x)
        default:
            var x = best.boxed
            for (p, k) in positions.enumerated() {
                let y = v[p]
                if isMin ? ValueOrder.less(y, x[k]) : ValueOrder.less(x[k], y) { x[k] = y }
            }
            return .values(x)
        }
    }

    /// Whether each element of `v` is among `items` (as `ValueOrder.equal` has it), when `v`
    /// and every item are of one typed kind; nil otherwise.
    static func contains(_ v: Vec, _ items: [Value]) -> [Bool]? {
        guard case .ints(let x, let tag) = v else { return nil }
        var wanted: [Int64] = []
        for item in items {
            guard let (i, t) = typed(item), t == tag else { return nil }
            wanted.append(i)
        }
        return x.map { wanted.contains($0) }
    }
}

/// `n` values filled in piece by piece (a decision's answers for the rows of a chunk),
/// kept typed while every piece is of one kind.
struct VecSlots {
    private(set) var vec: Vec?
    let n: Int

    init(_ n: Int) { self.n = n }


    /// Writes `v[p]` at slot `positions[p]`.
    mutating func scatter(_ v: Vec, at positions: [Int]) {
        if positions.isEmpty { return }
        if vec == nil, positions.count == n, v.count == n, Self.isIdentity(positions) {
            // Every slot, in order (a decision answered for a whole chunk): `v` is the slots.
            vec = v
            return
        }
        var x = vec ?? Vec.placeholders(like: v, n)
        vec = nil
        x.scatter(v, at: positions)
        vec = x
    }

    /// Whether `positions` is `0, 1, 2, …` (a tight loop: the check runs on every chunk).
    static func isIdentity(_ positions: [Int]) -> Bool {
        positions.withUnsafeBufferPointer { p in
            var differs = 0
            for i in 0..<p.count { differs |= p[i] ^ i }
            return differs == 0
        }
    }

    /// `0, 1, …, n - 1`.
    static func identity(_ n: Int) -> [Int] {
        [Int](unsafeUninitializedCapacity: n) { out, initialized in
            for i in 0..<n { out[i] = i }
            initialized = n
        }
    }

    /// Writes one value at slot `k`.
    mutating func set(_ value: Value, at k: Int) {
        scatter(Vec.repeating(value, 1), at: [k])
    }

    /// Every slot (those never written hold placeholders).
    var all: Vec { vec ?? .bools(Array(repeating: false, count: n)) }

    /// The slots at chunk rows `rows`.
    func gather(rows: [Int32]) -> Vec {
        guard let vec else { return .bools(Array(repeating: false, count: rows.count)) }
        return vec.gather(rows)
    }
}
