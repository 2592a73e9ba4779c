import PolicySyntax

/// A runtime value. Strings compare by code point (§9.8), not by Unicode equivalence.
public enum Value: Hashable, Sendable {
    case bool(Bool)
    case int(Int64)
    case number(Double)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// An amount of days or months.
    case duration(Int64, DurationFamily)
    /// Member `index` of enum `type`.
    case member(type: Int32, index: Int32)
    case jurisdiction(Int32)
    case record(RecordValue)
    case set([Value])
    case list([Value])

    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case (.date(let x), .date(let y)): return x == y
        case (.duration(let x, let f), .duration(let y, let g)): return x == y && f == g
        case (.member(let t, let i), .member(let u, let j)): return t == u && i == j
        case (.jurisdiction(let x), .jurisdiction(let y)): return x == y
        case (.record(let x), .record(let y)): return x == y
        case (.set(let x), .set(let y)), (.list(let x), .list(let y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let b): hasher.combine(0); hasher.combine(b)
        case .int(let i): hasher.combine(1); hasher.combine(i)
        case .number(let d): hasher.combine(2); hasher.combine(d)
        case .string(let s): hasher.combine(3); for u in s.unicodeScalars { hasher.combine(u.value) }
        case .date(let d): hasher.combine(4); hasher.combine(d)
        case .duration(let n, let f): hasher.combine(5); hasher.combine(n); hasher.combine(f)
        case .member(let t, let i): hasher.combine(6); hasher.combine(t); hasher.combine(i)
        case .jurisdiction(let j): hasher.combine(7); hasher.combine(j)
        case .record(let r): hasher.combine(8); hasher.combine(r)
        case .set(let xs): hasher.combine(9); hasher.combine(xs.count); for x in xs { hasher.combine(x) }
        case .list(let xs): hasher.combine(10); hasher.combine(xs)
        }
    }

    // The projections below read a value of the kind the checker gave its expression. Any
    // other kind there is a bug, not bad input: it is asserted (so tests stop at it), and a
    // release build answers false or 0 rather than stopping. Where values of any kind pass
    // through on purpose (placeholders of failed cases, the memo's tables of every value),
    // the `…OrZero` projections say so.

    public var asBool: Bool {
        if case .bool(let b) = self { return b }
        assertionFailure("a bool was expected, not \(self)")
        return false
    }

    public var asInt: Int64 {
        if case .int(let v) = self { return v }
        assertionFailure("an int was expected, not \(self)")
        return 0
    }

    /// Numbers and ints as a double.
    public var asNumber: Double {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        default:
            assertionFailure("a number was expected, not \(self)")
            return 0
        }
    }

    public var asDate: Int32 {
        if case .date(let d) = self { return d }
        assertionFailure("a date was expected, not \(self)")
        return 0
    }

    public var asJurisdiction: Int32 {
        if case .jurisdiction(let j) = self { return j }
        assertionFailure("a jurisdiction was expected, not \(self)")
        return 0
    }

    /// The bool, or false for a value of another kind.
    var boolOrFalse: Bool {
        if case .bool(let b) = self { return b }
        return false
    }

    /// The int, or 0 for a value of another kind.
    var intOrZero: Int64 {
        if case .int(let v) = self { return v }
        return 0
    }

    /// Numbers and ints as a double, or 0 for a value of another kind.
    var numberOrZero: Double {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        default: return 0
        }
    }

    public var asRecord: RecordValue? {
        if case .record(let r) = self { return r }
        return nil
    }

    public var elements: [Value] {
        switch self {
        case .set(let xs), .list(let xs): return xs
        default: return []
        }
    }
}

/// A record value: its type, its field values in declaration order, and its identity (which
/// keys `chance` draws; `r with { … }` keeps it, §9.17).
public final class RecordValue: Hashable, @unchecked Sendable {
    public let type: Int
    public let fields: [Value]
    /// The identity given when made (a population row); nil for a literal, whose identity
    /// is the hash of its fields — computed when asked for (only `chance` asks), not on
    /// every literal a decision builds.
    let givenIdentity: UInt64?
    public var identity: UInt64 { givenIdentity ?? RecordValue.literalIdentity(type: type, fields: fields) }
    /// The seed of the population the case came from (0 for literals, §9.17).
    public let seed: UInt64

    public init(type: Int, fields: [Value], identity: UInt64, seed: UInt64 = 0) {
        self.type = type
        self.fields = fields
        self.givenIdentity = identity
        self.seed = seed
    }

    /// A record literal: its identity is the hash of its type and fields (§9.17).
    public init(literal type: Int, fields: [Value]) {
        self.type = type
        self.fields = fields
        self.givenIdentity = nil
        self.seed = 0
    }

    /// The identity of a literal: a hash of its type and fields.
    public static func literalIdentity(type: Int, fields: [Value]) -> UInt64 {
        var h = StableHash()
        h.mix(UInt64(type))
        for f in fields { h.mix(f) }
        return h.value
    }

    public static func == (a: RecordValue, b: RecordValue) -> Bool {
        a === b || (a.type == b.type && a.fields == b.fields)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(fields)
    }
}

/// A hash that is the same on every machine and every run (Swift's `Hasher` is seeded per
/// process), for case identities and `chance` draws.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init() {}

    public static func splitmix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func mix(_ x: UInt64) {
        value = StableHash.splitmix(value ^ x &* 0xFF51_AFD7_ED55_8CCD)
    }

    public mutating func mix(_ s: String) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        mix(h)
        mix(UInt64(s.utf8.count))
    }

    public mutating func mix(_ v: Value) {
        switch v {
        case .bool(let b): mix(1); mix(b ? 1 : 0)
        case .int(let i): mix(2); mix(UInt64(bitPattern: i))
        case .number(let d): mix(3); mix(d.bitPattern)
        case .string(let s): mix(4); mix(s)
        case .date(let d): mix(5); mix(UInt64(bitPattern: Int64(d)))
        case .duration(let n, let f): mix(6); mix(UInt64(bitPattern: n)); mix(UInt64(f.rawValue))
        case .member(let t, let i): mix(7); mix(UInt64(t)); mix(UInt64(i))
        case .jurisdiction(let j): mix(8); mix(UInt64(j))
        case .record(let r): mix(9); mix(r.identity)
        case .set(let xs): mix(10); mix(UInt64(xs.count)); for x in xs { mix(x) }
        case .list(let xs): mix(11); mix(UInt64(xs.count)); for x in xs { mix(x) }
        }
    }
}
