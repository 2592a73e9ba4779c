/// Numbers distinct keys in the order they are met, found by a 64-bit hash of the caller's
/// own and the caller's test of equality against a key already numbered.
///
/// The query path lays out tables keyed by lists (a plan's shape, a group's rules, a
/// signature's groups, a row of keys): a `Dictionary` keyed by such a type would cost the
/// first query of a process the runtime's search of every conformance record in the binary
/// for that key type's `Hashable`, once per key type. Every `HashIndex` is one type.
///
///     var index = HashIndex()
///     let hash = HashIndex.hash(words)
///     let n = index.find(hash) { known[Int($0)] == words } ?? index.add(hash)
struct HashIndex {
    /// Per hash: the last key numbered with it; per key: the one before it of the same hash.
    private var lastOfHash: [UInt64: Int32] = [:]
    private var previousOfSameHash: [Int32] = []

    /// How many keys are numbered.
    var count: Int { previousOfSameHash.count }

    /// The number of a key of hash `hash` for which `isEqual` holds, if one is numbered.
    func find(_ hash: UInt64, _ isEqual: (Int32) -> Bool) -> Int32? {
        var k = lastOfHash[hash] ?? -1
        while k >= 0 {
            if isEqual(k) { return k }
            k = previousOfSameHash[Int(k)]
        }
        return nil
    }

    /// Numbers a new key of hash `hash` (one `find` did not find): its number.
    mutating func add(_ hash: UInt64) -> Int32 {
        let k = Int32(previousOfSameHash.count)
        previousOfSameHash.append(lastOfHash[hash] ?? -1)
        lastOfHash[hash] = k
        return k
    }

    /// FNV-1a's start, and one word mixed in.
    static let start: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    static func mix(_ h: inout UInt64, _ word: UInt64) {
        h = (h ^ word) &* 0x100_0000_01b3
    }

    /// A hash of a list of ints.
    static func hash<C: Collection>(_ words: C) -> UInt64 where C.Element: FixedWidthInteger {
        var h = start
        mix(&h, UInt64(words.count))
        for w in words { mix(&h, UInt64(truncatingIfNeeded: w)) }
        return h
    }
}
