import PolicySyntax

// Running a script in shards (`policy run --shard K/N`) and merging them (`policy merge`).
// The work of a script is cut into units: each (sweep point, replicate) of a query with
// `replicates` or `sweep`, each replicate of a `decompose`, and every other statement that
// prints as one unit. A shard computes the units it owns and keeps, for each, what the
// single run adds up before it summarises: the cells of every group (and for `compare` the
// differing cases by why they differ). The merge puts every unit's part back where the single
// run would have put it and summarises with the same code, so it prints the same bytes.

/// One unit of a script's work. `point` and `replicate` are 0 for a statement that is one unit.
public struct WorkUnit: Hashable, Sendable {
    /// The statement's index among the script's top-level statements.
    public var statement: Int
    public var point: Int
    public var replicate: Int

    public init(statement: Int, point: Int, replicate: Int) {
        self.statement = statement
        self.point = point
        self.replicate = replicate
    }
}

/// A unit as planned: what it is, what it is estimated to cost, and which shard runs it.
public struct PlannedUnit: Sendable {
    public var unit: WorkUnit
    /// Estimated case evaluations: cases × worlds (a whole statement that reads no population: 1).
    public var cost: Double
    /// What the unit is, for `policy plan`: `table at main.policy:12:1, rate = 20%, replicate 3`.
    public var label: String
    /// The seed of the cases the unit reads (the population's seed plus the replicate), if any.
    public var seed: UInt64?
    public var shard = 0

    public init(unit: WorkUnit, cost: Double, label: String, seed: UInt64?, shard: Int = 0) {
        self.unit = unit
        self.cost = cost
        self.label = label
        self.seed = seed
        self.shard = shard
    }
}

/// What a query's unit adds up: each group's cells, and the differing cases by why they differ.
public struct UnitPartial: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
        public var key: [Value]
        /// For a table or compare: [scenario][column]; for a decompose: [column][sub-scenario].
        public var cells: [[ResultTable.Cell]]
        public init(key: [Value], cells: [[ResultTable.Cell]]) {
            self.key = key
            self.cells = cells
        }
    }
    /// Differing cases for one alternative scenario and one reason, in first-seen order.
    public struct Differing: Sendable, Equatable {
        public var alternative: Int
        public var reason: Attribution
        public var count: Int
        public init(alternative: Int, reason: Attribution, count: Int) {
            self.alternative = alternative
            self.reason = reason
            self.count = count
        }
    }
    public var groups: [Group]
    public var differing: [Differing]

    public init(groups: [Group], differing: [Differing]) {
        self.groups = groups
        self.differing = differing
    }
}

/// A unit's result as a shard keeps it: a query unit's partial, or a statement's outputs.
public enum UnitResult: Sendable {
    case partial(UnitPartial)
    case outputs([Output])
}

/// How a run takes part in a sharded computation.
public final class ShardRun: @unchecked Sendable {
    public enum Mode: Sendable {
        /// List the units and their costs; compute nothing.
        case plan
        /// Compute the units of `owned`, keep their results, print nothing.
        case shard(owned: Set<WorkUnit>)
        /// Compute nothing: every unit's result is in `results`; print what the single run prints.
        case merge
    }

    public let mode: Mode
    /// The units, statement by statement and within a query point by point, each point's
    /// replicates together (filled while planning).
    public private(set) var planned: [PlannedUnit] = []
    /// Results computed by this shard (`.shard`), or read from every shard (`.merge`).
    public var results: [WorkUnit: UnitResult] = [:]

    public init(_ mode: Mode) {
        self.mode = mode
    }

    public var isPlanning: Bool { if case .plan = mode { return true }; return false }
    public var isMerging: Bool { if case .merge = mode { return true }; return false }

    func plan(_ unit: PlannedUnit) { planned.append(unit) }

    /// Whether this run computes `unit` itself.
    func computes(_ unit: WorkUnit) -> Bool {
        if case .shard(let owned) = mode { return owned.contains(unit) }
        return false
    }

    func keep(_ unit: WorkUnit, _ result: UnitResult) { results[unit] = result }

    /// A unit's stored partial, when merging.
    func partial(_ unit: WorkUnit) throws -> UnitPartial {
        guard case .partial(let p)? = results[unit] else {
            throw EvalError.impossible("no result for unit \(unit) while merging")
        }
        return p
    }

    /// Splits units (in the order of `planned`) into `shards` runs of consecutive units of
    /// about equal estimated cost. Consecutive units share work — the replicates of a sweep point
    /// take each other's answers — so a shard keeps neighbours together; the split is a
    /// function of the plan alone, so every shard computes the same one.
    public static func assign(_ planned: [PlannedUnit], shards: Int) -> [PlannedUnit] {
        guard shards > 1, !planned.isEmpty else { return planned.map { var u = $0; u.shard = 0; return u } }
        let costs = planned.map { max($0.cost, 1) }
        let total = costs.reduce(0, +)
        var out = planned
        var shard = 0, inShard = 0
        var before = 0.0
        for i in out.indices {
            if inShard > 0, shard < shards - 1 {
                // The next shard starts where this unit's midpoint passes this shard's share of
                // the total, or when each shard still to come needs one of the units left.
                let passed = before + costs[i] / 2 > total * Double(shard + 1) / Double(shards)
                if passed || out.count - i <= shards - shard - 1 {
                    shard += 1
                    inShard = 0
                }
            }
            out[i].shard = shard
            inShard += 1
            before += costs[i]
        }
        // With fewer units than shards the last shards have none; their files record no units.
        return out
    }
}
