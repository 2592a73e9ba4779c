/// The per-world tables a query's kernels will read: each decision's candidates
/// (`VectorPlanTable`) and each attribute (`AttributeTable`), found by walking the query's
/// nodes and the rules of the decisions they reach.
///
/// A table is laid out once, by whichever worker needs it first, while the others wait for
/// it; every worker compiles its kernels in the same order, so on a first query the tables
/// would be laid out one after another on one core at a time. The workers instead lay them
/// out side by side (`layOut(next:)`) before they compile.
enum KernelTable {
    case decision(World, Int)
    case attribute(World, Int)

    /// Lays the table out (or finds it laid out already).
    func layOut() {
        switch self {
        case .decision(let world, let d): _ = world.decisionCode(d).vectorTable(world, d)
        case .attribute(let world, let a): _ = world.attributeTable(a)
        }
    }

    /// The tables `q`'s aggregates reach in `worlds` (frozen worlds only: the others lay out
    /// nothing to share).
    static func reached(by q: Query, in worlds: [World]) -> [KernelTable] {
        var walk = Walk()
        for world in worlds where world.isFrozen {
            for aggregate in q.aggregates {
                if let node = aggregate.node { walk.visit(node, world) }
            }
        }
        return walk.tables
    }

    private struct Walk {
        var tables: [KernelTable] = []
        /// Decisions and attributes met, per world (`ObjectIdentifier` of the world, then
        /// the decision's number, or -1 - the attribute's): few, so a list.
        var met: [(ObjectIdentifier, Int)] = []

        /// Whether `key` is met for the first time (it is then noted).
        mutating func first(_ world: World, _ key: Int) -> Bool {
            let id = ObjectIdentifier(world)
            if met.contains(where: { $0.0 == id && $0.1 == key }) { return false }
            met.append((id, key))
            return true
        }

        mutating func visit(_ node: Node, _ world: World) {
            switch node {
            case .decision(let d, _):
                guard d < world.program.decisions.count, first(world, d) else { return }
                let code = world.decisionCode(d)
                guard code.version >= 0 else { return }
                visit(code.defaultNode, world)
                if case .sparse(let byJurisdiction) = code.plans, byJurisdiction.isEmpty { return }
                tables.append(.decision(world, d))
                // Every rule is in the first plan of some shape.
                guard let numbered = code.numbered else { return }
                for p in numbered.shapes {
                    for rule in numbered.plans[Int(p)].rules {
                        if let c = rule.conditionNode { visit(c, world) }
                        visit(rule.valueNode, world)
                    }
                }
            case .attribute(let x, let a):
                visit(x, world)
                guard a < world.program.attributes.count, first(world, -1 - a) else { return }
                tables.append(.attribute(world, a))
            case .not(let x), .toNumber(let x), .negate(let x, _), .chance(let x, _, _):
                visit(x, world)
            case .and(let x, let y), .or(let x, let y), .compare(_, let x, let y), .arithmetic(_, let x, let y, _),
                 .contains(let x, let y), .within(let x, let y):
                visit(x, world)
                visit(y, world)
            case .ifThenElse(let c, let x, let y):
                visit(c, world)
                visit(x, world)
                visit(y, world)
            case .extremum(_, let xs):
                for x in xs { visit(x, world) }
            case .letCall(_, let arguments, _, _):
                for x in arguments { visit(x, world) }
            case .constant, .field, .local, .param, .scalar:
                break
            }
        }
    }
}
