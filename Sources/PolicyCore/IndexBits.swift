/// A set of small non-negative indices (record fields, attributes, local slots) as bits.
///
/// The first 64 indices live in one inline word, so the common case never allocates;
/// wider records spill into further words. Every index is kept exactly: no two indices
/// ever share a bit, however wide the record.
///
/// ```swift
/// var read = IndexBits()
/// read.insert(3); read.insert(70)
/// read.contains(70)     // true
/// read.contains(63)     // false
/// Array(read.indices)   // [3, 70]
/// ```
public struct IndexBits: Hashable, Sendable {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    public init() {}

    public init<S: Sequence>(_ indices: S) where S.Element == Int {
        for i in indices { insert(i) }
    }

    public var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }

    public mutating func insert(_ i: Int) {
        precondition(i >= 0, "IndexBits holds non-negative indices")
        if i < 64 { low |= 1 << UInt64(i); return }
        let w = i / 64 - 1
        if w >= high.count { high.append(contentsOf: repeatElement(0, count: w - high.count + 1)) }
        high[w] |= 1 << UInt64(i % 64)
    }

    public func contains(_ i: Int) -> Bool {
        guard i >= 0 else { return false }
        if i < 64 { return low & (1 << UInt64(i)) != 0 }
        let w = i / 64 - 1
        return w < high.count && high[w] & (1 << UInt64(i % 64)) != 0
    }

    public mutating func formUnion(_ o: IndexBits) {
        low |= o.low
        if o.high.count > high.count { high.append(contentsOf: repeatElement(0, count: o.high.count - high.count)) }
        for (w, bits) in o.high.enumerated() { high[w] |= bits }
    }

    public func isDisjoint(with o: IndexBits) -> Bool {
        if low & o.low != 0 { return false }
        for (a, b) in zip(high, o.high) where a & b != 0 { return false }
        return true
    }

    /// The indices in the set, in increasing order.
    public var indices: [Int] {
        var out: [Int] = []
        for (w, word) in ([low] + high).enumerated() {
            var bits = word
            while bits != 0 {
                out.append(w * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return out
    }

    public static func == (a: IndexBits, b: IndexBits) -> Bool {
        a.low == b.low && a.high.reversed().drop(while: { $0 == 0 }).elementsEqual(b.high.reversed().drop(while: { $0 == 0 }))
    }

    public func hash(into h: inout Hasher) {
        h.combine(low)
        for w in high.reversed().drop(while: { $0 == 0 }) { h.combine(w) }
    }
}

extension IndexBits: CustomStringConvertible {
    public var description: String { "{" + indices.map(String.init).joined(separator: ", ") + "}" }
}
