import PolicySyntax

// `cases(POP)` (LANGUAGE.md §10): the plain number of cases of a population, which a
// `weight` does not change (`count` is the sum of the weights).

extension Checker {
    func casesCall(_ args: [Expr], _ filter: Expr?, _ src: SourceRef, _ scope: Scope) -> Typed {
        let names = populationNames(scope)
        guard args.count == 1, case .name(let id) = args[0].kind else {
            error("'cases' takes a population: cases(\(names.first ?? "POPULATION"))", src)
            return .error
        }
        if filter != nil {
            error("'cases' counts every case of a population; to count some, write count(\(id.text) where …)", src)
            return .error
        }
        guard case .population(let p)? = lookupSymbol(id.text, scenario: scope.scenario) else {
            error("unknown population '\(id.text)'", scope.ref(args[0].span), hint: suggest(id.text, names))
            return .error
        }
        note { $0.opaque = true } // builds the population as it runs: not followed
        return Typed(.int) { frame in
            .int(Int64(try PopulationBuilder.build(p, in: frame.world, cancel: frame.world.program.cancellation).count))
        }
    }

    /// The implicit subject (a query's case) has a field named `name`, which then wins
    /// over a clause word such as `cases` (§9.2).
    func subjectHasField(_ name: String, _ scope: Scope) -> Bool {
        if case .record(let r)? = scope.subject { return program.records[r].field(name) != nil }
        return false
    }
}
