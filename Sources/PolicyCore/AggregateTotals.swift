import PolicySyntax

/// Exact totals for the aggregates of §7, shared by every path that adds up cases: the
/// general engine, aggregates inside expressions, the memo's histogram and row chunks, and
/// totals taken from counted keys.
///
/// Int totals (counts and int sums) are kept in 128 bits, so adding cases in any order and
/// merging partial totals in any grouping gives the same exact total; whether it fits in a
/// 64-bit int is decided once, when the total is finished. So no engine can wrap where
/// another reports an overflow, and no thread count changes an answer.
///
/// ```swift
/// var t: IntTotal = 0
/// t.add(Int64.max); t.add(1); t.add(-5)
/// try t.finish(what: "'sum'", at: src)   // Int64.max - 4: the total fits
/// ```
public typealias IntTotal = Int128

extension Int128 {
    // The adding below cannot overflow, so it is not checked (it sits in the engines'
    // innermost loops): a total is of fewer than 2^63 cases, each adding at most 2^63 in
    // magnitude, so it stays within ±2^126 of the 2^127 that 128 bits hold.

    /// Adds one case's int value.
    @inline(__always) mutating func add(_ v: Int64) { self &+= Int128(v) }

    /// Adds `times` cases that share the int value `v` (a histogram bucket).
    @inline(__always) mutating func add(_ v: Int64, times: Int) { self &+= Int128(v) &* Int128(times) }

    /// Counts one case.
    @inline(__always) mutating func addCase() { self &+= 1 }

    /// The total as a 64-bit int, or the overflow error of `what` (`'sum'`).
    func finish(what: String, at source: SourceRef?, group: String = "") throws -> Int64 {
        guard let v = Int64(exactly: self) else {
            throw EvalError("integer overflow in \(what)\(group.isEmpty ? "" : " for \(group)")", at: source,
                            hint: "the total does not fit in a 64-bit int; sum numbers instead (e.g. 1.0 * x) for very large values")
        }
        return v
    }
}

extension Double {
    /// A number total or mean as finished: a total that is no longer a finite number is an
    /// error, as `/` by zero is.
    func finishNumber(what: String, at source: SourceRef?, group: String = "") throws -> Double {
        guard isFinite else {
            throw Operators.numberOverflow("\(what)\(group.isEmpty ? "" : " for \(group)")", source,
                                           hint: "the total is beyond the largest number (about 1.8e308); scale the values down")
        }
        return self
    }
}
