import PolicySyntax

extension QueryRunner {
    /// Adds up one chunk's cases, in row order, into per-group totals.
    struct ChunkAdder {
        let q: Query
        let cols: [Column]
        let worldCount: Int
        let aggregateCount: Int
        let intSum: [Bool]
        let kinds: [AggregateKind]
        let stride: Int
        /// The groups met, by key (the keys are the chunk's `groupOrder`).
        var groupIndex = HashIndex()
        var caseCounts: [Int] = []
        var intTotals: [IntTotal] = []
        var totals: [Double] = []
        /// Each case's weight (§10), or nil: then each case counts once.
        let weights: [Double]?
        var caseWeights: [Double] = []

        init(_ q: Query, _ cols: [Column], worlds: Int, intSum: [Bool], weights: [Double]? = nil) {
            self.q = q
            self.weights = weights
            self.cols = cols
            worldCount = worlds
            aggregateCount = q.aggregates.count
            self.intSum = intSum
            kinds = cols.map { q.aggregates[$0.aggregate].kind }
            stride = worlds * cols.count
        }

        /// The group of `key`, made when it first appears (groups keep that order).
        mutating func group(_ key: [Value], into out: inout GeneralChunk) -> Int {
            var hash = HashIndex.start
            for v in key { HashIndex.mix(&hash, UInt64(UInt(bitPattern: v.hashValue))) }
            if let found = groupIndex.find(hash, { out.groupOrder[Int($0)] == key }) { return Int(found) }
            let g = Int(groupIndex.add(hash))
            assert(g == caseCounts.count && g == out.groupOrder.count)
            out.groupOrder.append(key)
            caseCounts.append(0)
            caseWeights.append(0)
            intTotals.append(contentsOf: repeatElement(0, count: stride))
            totals.append(contentsOf: repeatElement(0, count: stride))
            return g
        }

        /// Adds up cases in row order: case `p` is row `rows[p]` of group `groups[p]`, and
        /// `values[w * aggregates + a][p]` is aggregate `a`'s value for it in world `w`. Each
        /// total takes its cases in row order, so number sums do not depend on how the cases
        /// were evaluated.
        mutating func add(rows: [Int], groups: [Int32], values: [Vec], into out: inout GeneralChunk) {
            groups.withUnsafeBufferPointer { countCases($0) }
            var caseWeight: [Double] = []
            if let weights {
                caseWeight = rows.map { $0 < weights.count ? weights[$0] : 0 }
                for (p, g) in groups.enumerated() { caseWeights[Int(g)] += caseWeight[p] }
            }
            for w in 0..<worldCount {
                for ci in cols.indices {
                    let v = values[w * aggregateCount + cols[ci].aggregate]
                    let slot = w * cols.count + ci
                    if weights != nil {
                        if case .spread = kinds[ci] {
                            // A spread's member columns follow each other: added up in one
                            // pass, from its first.
                            if cols[ci].member == 0 { addSpread(v, groups, caseWeight, slot: slot, members: spreadWidth(ci)) }
                            continue
                        }
                        addWeighted(kinds[ci], v, groups, caseWeight, slot: slot)
                    } else {
                        let values = VecValues(v, kinds[ci], intSum: intSum[ci])
                        groups.withUnsafeBufferPointer { add(ci, values, $0, slot: slot) }
                    }
                }
            }
            noteDiffering(rows: rows, values: values, into: &out)
        }

        /// Adds up the cases of a block of kernels (neither weighted nor compared): case `k`
        /// is the kernels' position `at[k]`, of group `groups[k]`; the values of aggregate
        /// `a` in world `w` are in the register of `kernels[w * aggregates + a]`.
        mutating func add(groups: UnsafeBufferPointer<Int32>, kernels: [Kernel], at: UnsafeMutablePointer<Int32>) {
            assert(weights == nil && q.kind != .compare)
            countCases(groups)
            for w in 0..<worldCount {
                for ci in cols.indices {
                    let k = kernels[w * aggregateCount + cols[ci].aggregate]
                    add(ci, RegisterValues(register: k.register, at: at, isNumber: k.kind == .number), groups, slot: w * cols.count + ci)
                }
            }
        }

        /// Each case counts once in its group.
        private mutating func countCases(_ groups: UnsafeBufferPointer<Int32>) {
            caseCounts.withUnsafeMutableBufferPointer { c in
                guard !c.isEmpty else { return assert(groups.isEmpty) }
                for g in groups { c[Moves.index(Int(g), c.count)] &+= 1 }
            }
        }

        /// The member columns of the spread whose first column is `ci`.
        private func spreadWidth(_ ci: Int) -> Int {
            var k = ci + 1
            while k < cols.count, cols[k].aggregate == cols[ci].aggregate, cols[k].member != nil { k += 1 }
            return k - ci
        }

        /// A weighted spread's cases: each adds its weight in the column of its member.
        private mutating func addSpread(_ v: Vec, _ groups: [Int32], _ weight: [Double], slot: Int, members: Int) {
            let m = v.memberIndices
            for (p, g) in groups.enumerated() where m[p] >= 0 && m[p] < Int64(members) {
                totals[Int(g) * stride + slot + Int(m[p])] += weight[p]
            }
        }

        /// Column `ci`'s cases, each counting once: case `k` is of group `groups[k]`, its
        /// value `values[k]`. (Tight loops over the totals: a group's slot is the adder's own
        /// index.) A spread's member columns follow each other and are added up in one pass,
        /// from its first.
        private mutating func add<V: CaseValues>(_ ci: Int, _ values: V, _ groups: UnsafeBufferPointer<Int32>, slot: Int) {
            let stride = self.stride
            switch kinds[ci] {
            case .count:
                intTotals.withUnsafeMutableBufferPointer { t in
                    guard !t.isEmpty else { return assert(groups.isEmpty) }
                    for g in groups { t[Moves.index(Int(g) * stride + slot, t.count)].addCase() }
                }
            case .countIf, .share:
                intTotals.withUnsafeMutableBufferPointer { t in
                    guard !t.isEmpty else { return assert(groups.isEmpty) }
                    for (k, g) in groups.enumerated() where values.bool(k) { t[Moves.index(Int(g) * stride + slot, t.count)].addCase() }
                }
            case .spread:
                guard cols[ci].member == 0 else { return }
                let members = Int64(spreadWidth(ci))
                intTotals.withUnsafeMutableBufferPointer { t in
                    guard !t.isEmpty else { return assert(groups.isEmpty) }
                    for (k, g) in groups.enumerated() {
                        let m = values.member(k)
                        if m >= 0 && m < members { t[Moves.index(Int(g) * stride + slot + Int(m), t.count)].addCase() }
                    }
                }
            case .sum, .mean:
                if intSum[ci] {
                    intTotals.withUnsafeMutableBufferPointer { t in
                        guard !t.isEmpty else { return assert(groups.isEmpty) }
                        for (k, g) in groups.enumerated() { t[Moves.index(Int(g) * stride + slot, t.count)].add(values.int(k)) }
                    }
                } else {
                    totals.withUnsafeMutableBufferPointer { t in
                        guard !t.isEmpty else { return assert(groups.isEmpty) }
                        for (k, g) in groups.enumerated() { t[Moves.index(Int(g) * stride + slot, t.count)] += values.number(k) }
                    }
                }
            }
        }

        /// One column's cases of a weighted population: every column but `cases` adds weights
        /// (a spread's are added by `addSpread`).
        private mutating func addWeighted(_ kind: AggregateKind, _ v: Vec, _ groups: [Int32], _ weight: [Double], slot: Int) {
            switch kind {
            case .count(plain: true):
                for g in groups { intTotals[Int(g) * stride + slot].addCase() }
            case .count:
                for (p, g) in groups.enumerated() { totals[Int(g) * stride + slot] += weight[p] }
            case .countIf, .share:
                let b = v.bools
                for (p, g) in groups.enumerated() where b[p] { totals[Int(g) * stride + slot] += weight[p] }
            case .spread:
                break
            case .sum, .mean:
                let x = v.numbers
                for (p, g) in groups.enumerated() { totals[Int(g) * stride + slot] += weight[p] * x[p] }
            }
        }

        /// The `compare` cases whose aggregates differ between scenarios (for attribution).
        func noteDiffering(rows: [Int], values: [Vec], into out: inout GeneralChunk) {
            guard q.kind == .compare, worldCount > 1, !rows.isEmpty else { return }
            var differs = [Bool](repeating: false, count: rows.count)
            for w in 1..<worldCount {
                for a in 0..<aggregateCount { Vec.markUnequal(values[w * aggregateCount + a], values[a], into: &differs) }
            }
            for (p, row) in rows.enumerated() where differs[p] { out.differing.append(row) }
        }

        func finish(into out: inout GeneralChunk) {
            for (g, k) in out.groupOrder.enumerated() {
                var acc = Accumulator(totals: [], intTotals: [])
                acc.cases = caseCounts[g]
                acc.weight = caseWeights[g]
                for w in 0..<worldCount {
                    let base = g * stride + w * cols.count
                    acc.intTotals.append(Array(intTotals[base..<(base + cols.count)]))
                    acc.totals.append(Array(totals[base..<(base + cols.count)]))
                }
                out.groups[k] = acc
            }
        }
    }
}

/// The values of one column of a query's cases, as the adder reads them: case `k`'s value
/// as a bool (`count(…)`, `share`), an int (int sums), a number (number sums, means) or an
/// enum member's index (a spread; -1 for anything else).
protocol CaseValues {
    func bool(_ k: Int) -> Bool
    func int(_ k: Int) -> Int64
    func number(_ k: Int) -> Double
    func member(_ k: Int) -> Int64
}

/// A column of a vector, in the one form its aggregate reads.
struct VecValues: CaseValues {
    private var bools: [Bool] = []
    private var words: [Int64] = []
    private var numbers: [Double] = []

    init(_ v: Vec, _ kind: AggregateKind, intSum: Bool) {
        switch kind {
        case .count: break
        case .countIf, .share: bools = v.bools
        case .spread: words = v.memberIndices
        case .sum, .mean:
            if intSum { words = v.ints } else { numbers = v.numbers }
        }
    }

    @inline(__always) func bool(_ k: Int) -> Bool { bools[k] }
    @inline(__always) func int(_ k: Int) -> Int64 { words[k] }
    @inline(__always) func number(_ k: Int) -> Double { numbers[k] }
    @inline(__always) func member(_ k: Int) -> Int64 { words[k] }
}

/// A kernel's register at a block's positions (`register[at[k]]` for case `k`).
struct RegisterValues: CaseValues {
    let register: UnsafeMutablePointer<Int64>
    let at: UnsafeMutablePointer<Int32>
    /// Whether the register holds numbers (else ints, read as numbers where summed so).
    let isNumber: Bool

    @inline(__always) func bool(_ k: Int) -> Bool { register[Int(at[k])] != 0 }
    @inline(__always) func int(_ k: Int) -> Int64 { register[Int(at[k])] }
    @inline(__always) func number(_ k: Int) -> Double {
        let w = register[Int(at[k])]
        return isNumber ? Double(bitPattern: UInt64(bitPattern: w)) : Double(w)
    }
    @inline(__always) func member(_ k: Int) -> Int64 { register[Int(at[k])] }
}
