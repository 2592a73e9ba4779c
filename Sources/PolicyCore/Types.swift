import PolicySyntax

/// The family of a duration (§9.7): day-based (`day`, `week`, `d2 - d1`) or month-based
/// (`month`, `year`). Mixing families is a type error.
public enum DurationFamily: UInt8, Hashable, Sendable {
    case days, months
}

/// A static type.
public indirect enum PType: Hashable, Sendable {
    case bool, int, number, string, date
    /// A duration of a known family, or `nil` for a declared `duration` whose family is
    /// decided by its values.
    case duration(DurationFamily?)
    /// An enum type, by index into `Program.enums` (index 0 is the predeclared `kind`).
    case enumType(Int)
    case jurisdiction
    /// A record type, by index into `Program.records`.
    case record(Int)
    case setOf(PType)
    case listOf(PType)
    /// The type of the empty set or list literal before context gives it one.
    case emptyCollection
    /// The type of an expression that already failed to check: it fits anywhere, so one
    /// mistake gives one message.
    case error

    public var isNumeric: Bool { self == .int || self == .number }

    /// Can a value of type `self` be used where `target` is expected (int widens to number)?
    public func fits(_ target: PType) -> Bool {
        if self == target || self == .error || target == .error { return true }
        switch (self, target) {
        case (.int, .number): return true
        case (.duration(let a), .duration(let b)): return a == nil || b == nil || a == b
        case (.emptyCollection, .setOf), (.emptyCollection, .listOf): return true
        case (.setOf(let a), .setOf(let b)), (.listOf(let a), .listOf(let b)): return a.fits(b)
        default: return false
        }
    }

    /// The type both fit, if any (for `if` branches, set elements, comparisons).
    public static func unify(_ a: PType, _ b: PType) -> PType? {
        if a == .error { return b }
        if b == .error { return a }
        if a.fits(b) { return b == .emptyCollection ? a : b }
        if b.fits(a) { return a }
        return nil
    }

    /// `<`, `min`, `max` and the min/max combiners apply (§9.8).
    public var isOrdered: Bool {
        switch self {
        case .int, .number, .date, .string, .enumType, .duration, .error: return true
        default: return false
        }
    }
}
