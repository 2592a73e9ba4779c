import PolicySyntax
import PolicySupport

// `POP[i]` (LANGUAGE.md §10): case `i` of a population, as a record value that keeps its
// identity (its row) and its population's seed, and so its `chance` draws.

extension Checker {
    func populationCase(_ base: Expr, _ index: Expr, _ src: SourceRef, _ scope: Scope) -> Typed {
        let indexTyped = require(expr(index, scope, expected: .int), .int, index, scope, what: "a case number")
        guard let p = indexedPopulation(base, scope) else {
            // Not a population: say what it is, checked quietly only for its type.
            let t = expr(base, scope)
            if t.type != .error {
                let names = populationNames(scope)
                var hint = "only a population can be indexed, as \(names.first ?? "bookings")[0]"
                if case .name(let id) = base.kind, let near = suggest(id.text, names) { hint = near }
                error("\(article(t.type)) cannot be indexed", scope.ref(base.span), hint: hint)
            }
            return .error
        }
        let record = program.populations[p].record
        // A population of an unknown record type was reported where it is declared.
        guard record >= 0, indexTyped.type != .error else { return .error }
        let i = indexTyped.eval
        let name = program.populations[p].name
        let indexSource = scope.ref(index.span)
        // The population is built as the expression runs: not followed by the memo.
        note { $0.opaque = true }
        return Typed(.record(record)) { frame in
            let row = try i(&frame).asInt
            let data = try PopulationBuilder.build(p, in: frame.world, cancel: frame.world.program.cancellation)
            guard row >= 0, row < Int64(data.count) else {
                let size = data.count == 0 ? "\(name) has no cases"
                    : "\(name) has \(Limits.grouped(data.count)) case\(data.count == 1 ? "" : "s") (0 … \(data.count - 1))"
                throw EvalError("no case \(row) in \(name): \(size)", at: indexSource)
            }
            return .record(data.caseRecord(Int(row)))
        }
    }

    /// The population `base` names: a bare name that is not a local or a field of the
    /// implicit subject (those come first, §9.2).
    func indexedPopulation(_ base: Expr, _ scope: Scope) -> Int? {
        guard case .name(let id) = base.kind, scope.local(id.text) == nil else { return nil }
        if subjectHasField(id.text, scope) { return nil }
        if case .population(let p)? = lookupSymbol(id.text, scenario: scope.scenario) { return p }
        return nil
    }
}
