import PolicySyntax

// Statements in a sharded run (see Sharding.swift). A query with `replicates`, `sweep` or
// `decompose` plans, computes or merges its own units; every other statement that prints is
// one unit, whose outputs a shard keeps and the merge prints.

extension Interpreter {
    func runSharded(_ s: CheckedStatement, _ index: Int, _ sharding: ShardRun, _ status: inout Status,
                    sink: (Output) -> Void) throws {
        switch s {
        case .declaration, .test, .local:
            return
        case .query(let q, let source) where !q.analysis.isEmpty:
            let runner = QueryRunner(program: program, current: currentScenario, sharding: sharding, statement: index)
            for output in try runner.run(q, source: source) { sink(output.written(to: q.output, source: source)) }
            return
        default:
            break
        }
        let unit = WorkUnit(statement: index, point: 0, replicate: 0)
        switch sharding.mode {
        case .plan:
            sharding.plan(PlannedUnit(unit: unit, cost: estimatedCost(s), label: "\(s.keyword) at \(s.source.position)",
                                      seed: nil))
        case .shard:
            guard sharding.computes(unit) else { return }
            var outputs: [Output] = []
            var frame = Frame(world: world)
            var locals: [Value] = []
            if let failure = try execute(s, &frame, &locals, sink: { outputs.append($0) }) {
                outputs.append(.assertionFailed(failure))
            }
            sharding.keep(unit, .outputs(outputs))
        case .merge:
            guard case .outputs(let outputs)? = sharding.results[unit] else {
                throw EvalError.impossible("no result for the statement at \(s.source.position) while merging")
            }
            for output in outputs {
                if case .assertionFailed = output { status.failed += 1 }
                sink(output)
            }
        }
    }

    /// About how many case evaluations a statement costs (1 for one that reads no population).
    func estimatedCost(_ s: CheckedStatement) -> Double {
        switch s {
        case .query(let q, _):
            let runner = QueryRunner(program: program, current: currentScenario)
            let scenarios = runner.scenarioIndices(q)
            return QueryRunner.estimatedCases(q.population, in: program.worlds[scenarios.first ?? 0]) * Double(scenarios.count)
        case .sample(let q, _):
            return QueryRunner.estimatedCases(q.population, in: program.worlds[q.scenario ?? currentScenario])
        default:
            return 1
        }
    }
}
