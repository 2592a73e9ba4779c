import PolicySyntax

/// Attribute `a` of every jurisdiction in one world, laid out once for every chunk of every
/// query: a jurisdiction's value changes only on the dates of its own or its ancestors'
/// changes, so per jurisdiction `j` there are its cut dates
/// (`cuts[cutStart[j] ..< cutStart[j + 1]]`) and its value on each piece of time between
/// them (`values[valueStart[j] + piece]`), typed when every value is of one kind; and its
/// value read with no date (`undated[j]`).
final class AttributeTable: @unchecked Sendable {
    let cutStart: [Int]
    let cuts: [Int32]
    let valueStart: [Int]
    let values: Vec
    let undated: Vec

    init(_ world: World, _ a: Int) {
        let program = world.program
        let count = program.jurisdictions.count
        let attributeCount = max(1, program.attributes.count)
        let timed = a < world.attributeTimed.count && world.attributeTimed[a]
        var cutStart = [0], cuts: [Int32] = [], valueStart: [Int] = [], values: [Value] = []
        cutStart.reserveCapacity(count + 1)
        valueStart.reserveCapacity(count)
        values.reserveCapacity(count)
        guard timed else {
            // No value changes over time: one value per jurisdiction, the same read with a
            // date or without (`World.attribute` then reads no changes).
            for j in 0..<count {
                cutStart.append(0)
                valueStart.append(j)
                values.append(world.attribute(Int32(j), a, on: nil))
            }
            self.cutStart = cutStart
            self.cuts = cuts
            self.valueStart = valueStart
            self.values = Vec.from(values)
            self.undated = self.values
            return
        }
        var undated: [Value] = []
        undated.reserveCapacity(count)
        var dates: [Int32] = []
        for j in 0..<count {
            dates.removeAll(keepingCapacity: true)
            var x = Int32(j)
            while x >= 0 {
                for c in world.attributeChanges[Int(x) * attributeCount + a] ?? [] { dates.append(c.date) }
                x = program.jurisdictions.parents[Int(x)]
            }
            dates.sort()
            valueStart.append(values.count)
            // Piece 0 is before every cut; piece i starts at cut i - 1 (each date once).
            values.append(world.attribute(Int32(j), a, on: Int32.min))
            for (i, date) in dates.enumerated() where i == 0 || dates[i - 1] != date {
                cuts.append(date)
                values.append(world.attribute(Int32(j), a, on: date))
            }
            cutStart.append(cuts.count)
            undated.append(world.attribute(Int32(j), a, on: nil))
        }
        self.cutStart = cutStart
        self.cuts = cuts
        self.valueStart = valueStart
        self.values = Vec.from(values)
        self.undated = Vec.from(undated)
    }
}

extension VectorChunk {
    /// Attribute `a` of each row's jurisdiction, as of the date it is read at: the case's
    /// own in a decision, the query's outside one (`World.attribute`'s answers, looked up in
    /// the world's `AttributeTable`).
    func attribute(_ x: Node, _ a: Int, _ rows: [Int32], _ ctx: Context) throws -> Vec {
        let js = try eval(x, rows, ctx)
        let world = ctx.world
        guard world.isFrozen, a < world.attributeTimed.count, case .ints(let ids, .jurisdiction) = js else {
            let boxed = js.boxed
            var out = [Value](repeating: .bool(false), count: rows.count)
            for k in rows.indices where alive(rows[k]) {
                out[k] = world.attribute(boxed[k].asJurisdiction, a, on: date(rows[k], ctx))
            }
            return Vec.from(out)
        }
        let table = world.attributeTable(a)
        let count = table.valueStart.count
        let dated = ctx.inRule || queryDate != nil
        // No jurisdiction's value changes (or none is read at a date): one value each, at
        // its own index.
        if table.cuts.isEmpty || !dated, ids.allSatisfy({ $0 >= 0 && $0 < Int64(count) }) {
            return (dated ? table.values : table.undated).gather(ids)
        }
        // Where each row's value is in the table's values (or its undated ones).
        var at = [Int](repeating: 0, count: rows.count)
        var outside: [Int] = [] // rows whose jurisdiction is not in the table
        let caseDates: [Int32]?
        if ctx.inRule, case .dates(let ds) = data.columns[dateField] { caseDates = ds } else { caseDates = nil }
        for k in rows.indices {
            let j = Int(ids[k])
            guard j >= 0, j < count else { outside.append(k); continue }
            guard dated else { at[k] = j; continue }
            let day = caseDates.map { $0[lo + Int(rows[k])] } ?? queryDate ?? Int32.min
            let first = table.cutStart[j], end = table.cutStart[j + 1]
            var piece = 0
            for m in first..<end { piece &+= table.cuts[m] <= day ? 1 : 0 }
            at[k] = table.valueStart[j] + piece
        }
        var out = (dated ? table.values : table.undated).gather(at)
        for k in outside where alive(rows[k]) {
            out.scatter(.values([world.attribute(Int32(truncatingIfNeeded: ids[k]), a, on: date(rows[k], ctx))]), at: [k])
        }
        return out
    }
}
