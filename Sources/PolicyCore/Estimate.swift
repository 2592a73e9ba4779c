/// A mean over replicates with its spread and 95% confidence interval (Student's t with
/// n − 1 degrees of freedom), as `replicates N` reports each cell (§10).
///
/// ```swift
/// let e = Estimate([41, 34, 23, 26, 43], unit: .count)
/// e.mean        // 33.4
/// e.halfWidth   // 10.9…  (t(0.975, 4) = 2.776 × sd / √5)
/// ```
public struct Estimate: Sendable, Equatable {
    /// How the values read: counts, plain numbers, or fractions shown as percentages.
    public enum Unit: Sendable, Equatable { case count, number, percent }

    public var mean: Double
    /// The sample standard deviation (n − 1 in the denominator).
    public var sd: Double
    public var low: Double
    public var high: Double
    public var n: Int
    public var unit: Unit

    public var halfWidth: Double { (high - low) / 2 }

    /// An estimate as computed before (a shard's, read back by the merge).
    public init(mean: Double, sd: Double, low: Double, high: Double, n: Int, unit: Unit) {
        (self.mean, self.sd, self.low, self.high, self.n, self.unit) = (mean, sd, low, high, n, unit)
    }

    public init(_ values: [Double], unit: Unit) {
        let n = values.count
        self.n = n
        self.unit = unit
        guard n > 0 else {
            (mean, sd, low, high) = (0, 0, 0, 0)
            return
        }
        // Two passes: the mean, then squares about it (no cancellation on large counts).
        let m = values.reduce(0, +) / Double(n)
        let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        let s = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
        let h = n > 1 ? Estimate.t975(degrees: n - 1) * s / Double(n).squareRoot() : 0
        (mean, sd, low, high) = (m, s, m - h, m + h)
    }

    /// The 0.975 quantile of Student's t with `degrees` degrees of freedom: a table to 30,
    /// then the Cornish–Fisher expansion about the normal quantile (error below 1e-4).
    static func t975(degrees: Int) -> Double {
        let table: [Double] = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
                               2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
                               2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
                               2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272]
        guard degrees >= 1 else { return .infinity }
        if degrees <= table.count { return table[degrees - 1] }
        let z = 1.959963984540054
        let v = Double(degrees)
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
    }
}

extension ResultTable.Cell {
    /// One replicate's cell as it stands; several as their estimate.
    static func summary(of values: [ResultTable.Cell], _ unit: Estimate.Unit) -> ResultTable.Cell {
        if values.count == 1, let only = values.first { return only }
        return .estimate(Estimate(values.map { $0.numeric ?? 0 }, unit: unit))
    }
}

extension Estimate {
    /// The line under a table of estimates.
    static func note(replicates: Int) -> String {
        "Mean of \(replicates) replicates ± the half-width of its 95% confidence interval."
    }
}
