// Moving elements between vectors by index, in tight loops.
//
// The indices are the evaluator's own (rows of a chunk, positions in a selection), so one
// out of range is a bug, not bad input: it is asserted in debug builds, and in release the
// loop stays memory-safe by clamping instead of trapping, with no per-element
// copy-on-write check or bounds trap.

enum Moves {
    /// `f(x[base + i])` for each `i` of `indices`, in order.
    @inline(__always)
    static func gather<T, I: BinaryInteger, U>(_ x: [T], _ indices: [I], base: Int = 0, _ f: (T) -> U) -> [U] {
        let count = indices.count
        guard !x.isEmpty else {
            assert(count == 0, "gather from an empty vector")
            return []
        }
        var bad = false
        let out = [U](unsafeUninitializedCapacity: count) { out, initialized in
            x.withUnsafeBufferPointer { xs in
                indices.withUnsafeBufferPointer { ix in
                    let last = xs.count - 1
                    for k in 0..<count {
                        let i = base &+ Int(ix[k])
                        bad = bad || i < 0 || i > last
                        out.initializeElement(at: k, to: f(xs[Swift.max(0, Swift.min(i, last))]))
                    }
                }
            }
            initialized = count
        }
        assert(!bad, "gather index out of range")
        return out
    }

    /// `x[positions[p]] = y[p]` for each `p`.
    @inline(__always)
    static func scatter<T, I: BinaryInteger>(_ y: [T], into x: inout [T], at positions: [I]) {
        guard !x.isEmpty else {
            assert(positions.isEmpty, "scatter into an empty vector")
            return
        }
        var bad = false
        x.withUnsafeMutableBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                positions.withUnsafeBufferPointer { ps in
                    let last = xs.count - 1
                    for p in 0..<Swift.min(ps.count, ys.count) {
                        let k = Int(ps[p])
                        bad = bad || k < 0 || k > last
                        xs[Swift.max(0, Swift.min(k, last))] = ys[p]
                    }
                }
            }
        }
        assert(!bad && positions.count <= y.count, "scatter position out of range")
    }

    /// `i`, an index into a buffer of `count` elements: asserted, and clamped in release so a
    /// bug cannot write outside the buffer (`count` must be positive).
    @inline(__always)
    static func index(_ i: Int, _ count: Int) -> Int {
        assert(i >= 0 && i < count, "index out of range")
        return Swift.max(0, Swift.min(i, count - 1))
    }
}
