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

    /// As bools (`Value.asBool` of each).
    var bools: [Bool] {
        if case .bools(let x) = self { return x }
        return boxed.map(\.asBool)
    }

    /// As numbers (`Value.asNumber` of each).
    var numbers: [Double] {
        switch self {
        case .numbers(let x): return x
        case .ints(let x, .int): return x.map { Double($0) }
        default: return boxed.map(\.asNumber)
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
        case .bools(let x): return .bools(rows.map { x[lo + Int($0)] })
        case .ints(let x): return .ints(rows.map { x[lo + Int($0)] }, .int)
        case .numbers(let x): return .numbers(rows.map { x[lo + Int($0)] })
        case .dates(let x): return .ints(rows.map { Int64(x[lo + Int($0)]) }, .date)
        case .smallMembers(let x, let e): return .ints(rows.map { Int64(x[lo + Int($0)]) }, .member(e))
        case .members(let x, let e): return .ints(rows.map { Int64(x[lo + Int($0)]) }, .member(e))
        case .jurisdictions(let x): return .ints(rows.map { Int64(x[lo + Int($0)]) }, .jurisdiction)
        case .values(let x): return .values(rows.map { x[lo + Int($0)] })
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
        var out = [Bool](repeating: false, count: n)
        @inline(__always) func each<T: Comparable>(_ x: [T], _ y: [T]) {
            switch op {
            case .equal: for (p, k) in positions.enumerated() { out[k] = x[k] == y[p] }
            case .notEqual: for (p, k) in positions.enumerated() { out[k] = x[k] != y[p] }
            case .less: for (p, k) in positions.enumerated() { out[k] = x[k] < y[p] }
            case .lessEqual: for (p, k) in positions.enumerated() { out[k] = !(y[p] < x[k]) }
            case .greater: for (p, k) in positions.enumerated() { out[k] = y[p] < x[k] }
            case .greaterEqual: for (p, k) in positions.enumerated() { out[k] = !(x[k] < y[p]) }
            default: break
            }
        }
        switch (left, right) {
        case (.ints(let x, let a), .ints(let y, let b)) where a == b:
            each(x, y)
        case (.numbers, _), (_, .numbers):
            guard left.isNumeric, right.isNumeric else { fallthrough }
            each(left.numbers, right.numbers)
        default:
            let x = left.boxed, y = right.boxed
            for (p, k) in positions.enumerated() { out[k] = Operators.compare(op, x[k], y[p]) }
        }
        return out
    }

    /// `a` at `yes`, `b` at `no`, in one vector of `n`.
    static func merge(_ a: Vec, _ yes: [Int], _ b: Vec, _ no: [Int], _ n: Int) -> Vec {
        switch (a, b) {
        case (.bools(let x), .bools(let y)):
            var out = [Bool](repeating: false, count: n)
            for (p, k) in yes.enumerated() { out[k] = x[p] }
            for (p, k) in no.enumerated() { out[k] = y[p] }
            return .bools(out)
        case (.ints(let x, let s), .ints(let y, let t)) where s == t:
            var out = [Int64](repeating: 0, count: n)
            for (p, k) in yes.enumerated() { out[k] = x[p] }
            for (p, k) in no.enumerated() { out[k] = y[p] }
            return .ints(out, s)
        case (.numbers(let x), .numbers(let y)):
            var out = [Double](repeating: 0, count: n)
            for (p, k) in yes.enumerated() { out[k] = x[p] }
            for (p, k) in no.enumerated() { out[k] = y[p] }
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
