#if canImport(Glibc)
import Glibc
#endif
import PolicySyntax

// What `policy plan` and a shard learn of a script's work before running it: its units,
// what each reads and about how much it costs.

extension QueryRunner {
    /// Plans a query's units: one per (sweep point, replicate), each over `worlds` worlds.
    func planUnits(_ q: Query, _ source: SourceRef, points: [String], replicates: Int, worlds: Int) {
        guard let sharding else { return }
        let world = program.worlds[scenarioIndices(q).first ?? 0]
        let cases = Self.estimatedCases(q.population, in: world)
        let base = Self.seed(q.population, in: world)
        let what = "\(CheckedStatement.keyword(at: source)) at \(source.position)"
        for (p, point) in points.enumerated() {
            for r in 0..<replicates {
                var label = what
                if !point.isEmpty { label += ", \(point)" }
                if replicates > 1 { label += ", replicate \(r + 1)" }
                sharding.plan(PlannedUnit(unit: WorkUnit(statement: statement, point: p, replicate: r),
                                          cost: cases * Double(worlds), label: label,
                                          seed: base.map { $0 &+ UInt64(r) }))
            }
        }
    }

    /// About how many cases population `p` has in `world`, without making them: its size for
    /// a generated one, the cases already made when they are at hand, else the CSV file's
    /// size over a typical row's bytes.
    static func estimatedCases(_ p: Int, in world: World) -> Double {
        let program = world.program
        let v = world.populationVersion[p]
        guard v >= 0 else { return 1 }
        let version = program.populations[p].versions[v]
        if let cached = program.populationCache.get(version.fingerprint) { return Double(max(1, cached.count)) }
        if let path = version.csvPath {
            var st = stat()
            guard stat(path, &st) == 0 else { return 1 }
            return max(1, Double(st.st_size) / 48)
        }
        var frame = Frame(world: program.baseline)
        guard let size = version.size, let n = try? size(&frame).asInt else { return 1 }
        return Double(max(1, n))
    }

    /// The seed population `p`'s first replicate is drawn with, as `PopulationBuilder` draws it.
    static func seed(_ p: Int, in world: World) -> UInt64? {
        let v = world.populationVersion[p]
        guard v >= 0 else { return nil }
        return try? PopulationBuilder.baseSeed(world.program.populations[p].versions[v], in: world.program.baseline)
    }
}
