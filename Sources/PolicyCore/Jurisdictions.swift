import PolicySyntax

/// The jurisdiction tree (§4.2): names, kinds, parents, labels, and declared attribute
/// values. Jurisdictions are numbered in declaration order (then CSV rows).
public struct JurisdictionTable: Sendable {
    public var names: [String] = []
    public var labels: [String?] = []
    /// Index into the `kind` enum's members.
    public var kinds: [Int32] = []
    /// -1 for a root.
    public var parents: [Int32] = []
    public var depths: [Int32] = []
    public var children: [[Int32]] = []
    public var sources: [SourceRef?] = []
    public var docs: [String?] = []
    /// Declared attribute values: `declared[j][a]` is nil when `j` does not set attribute `a`.
    public var declared: [[Value?]] = []
    public var byName: [String: Int32] = [:]

    public var count: Int { names.count }

    public func isLeaf(_ j: Int32) -> Bool { children[Int(j)].isEmpty }

    /// `j within k`: k is j or one of its ancestors.
    @inline(__always)
    public func within(_ j: Int32, _ k: Int32) -> Bool {
        var x = j
        while x >= 0 {
            if x == k { return true }
            x = parents[Int(x)]
        }
        return false
    }

    /// The nearest ancestor-or-self of kind `kind`.
    public func ancestor(_ j: Int32, kind: Int32) -> Int32? {
        var x = j
        while x >= 0 {
            if kinds[Int(x)] == kind { return x }
            x = parents[Int(x)]
        }
        return nil
    }

    public func label(_ j: Int32) -> String { labels[Int(j)] ?? names[Int(j)] }

    /// Computes depths and children from parents; returns a cycle's members if there is one.
    public mutating func link() -> [Int32]? {
        children = Array(repeating: [], count: count)
        depths = Array(repeating: -1, count: count)
        for j in 0..<count where parents[j] >= 0 { children[Int(parents[j])].append(Int32(j)) }
        for start in 0..<count where depths[start] < 0 {
            var path: [Int32] = []
            var onPath = Set<Int32>()
            var x = Int32(start)
            while x >= 0, depths[Int(x)] < 0 {
                if onPath.contains(x) {
                    let cycleStart = path.firstIndex(of: x) ?? 0
                    return Array(path[cycleStart...])
                }
                onPath.insert(x)
                path.append(x)
                x = parents[Int(x)]
            }
            var depth = x >= 0 ? depths[Int(x)] : -1
            for y in path.reversed() {
                depth += 1
                depths[Int(y)] = depth
            }
        }
        return nil
    }
}
