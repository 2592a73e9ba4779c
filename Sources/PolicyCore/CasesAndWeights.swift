import PolicySyntax

// `cases(POP)` and `weight` (LANGUAGE.md §10): the plain number of cases of a population,
// and the per-case weights that make `count` a sum of weights.

extension Checker {
    func casesCall(_ args: [Expr], _ filter: Expr?, _ src: SourceRef, _ scope: Scope) -> Typed {
        guard args.count == 1, case .name(let id) = args[0].kind else {
            error("'cases' takes a population: cases(\(populationNames(scope).first ?? "POPULATION"))", src)
            return .error
        }
        if filter != nil {
            error("'cases' counts every case of a population; to count some, write count(\(id.text) where …)", src)
            return .error
        }
        guard case .population(let p)? = lookupSymbol(id.text, scenario: scope.scenario) else {
            error("unknown population '\(id.text)'", scope.ref(args[0].span), hint: suggest(id.text, populationNames(scope)))
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

extension PopulationBuilder {
    /// Each case's `weight EXPR`, evaluated once when the cases are made (in the baseline,
    /// like computed fields). A weight that is negative, infinite or not a number is an
    /// error naming the first such case.
    static func weights(_ data: PopulationData, _ weight: Eval, at source: SourceRef?, name: String, world: World,
                        cancel: CancellationFlag?) throws -> [Double] {
        var frame = Frame(world: world)
        var out = [Double](repeating: 0, count: data.count)
        for row in 0..<data.count {
            if row & 0x3FFF == 0, cancel?.isRaised ?? false { throw Interrupted() }
            frame.subject = .record(data.caseRecord(row))
            let w = try weight(&frame).asNumber
            guard w.isFinite, w >= 0 else {
                throw EvalError("case \(row) of \(name) has weight \(NumberText.plain(w))", at: source,
                                hint: "a weight must be a finite number ≥ 0 (see \(name)[\(row)])")
            }
            out[row] = w
        }
        return out
    }
}

/// `count`, `share`, `sum` and `mean` over a weighted population (§10): each case counts
/// as its weight. Cases are added in case order, so the total is the same every run.
func weightedAggregate(_ which: String, _ data: PopulationData, _ weights: [Double], _ condition: Eval?, _ value: Eval?,
                       _ frame: inout Frame, _ src: SourceRef) throws -> Value {
    var total = 0.0, matched = 0.0, sum = 0.0
    var errors = RunErrors()
    let saved = frame.subject
    defer { frame.subject = saved }
    for row in 0..<min(data.count, weights.count) {
        if row & 0x3FFF == 0, frame.world.program.cancellation.isRaised { throw Interrupted() }
        let c = data.caseRecord(row)
        frame.subject = .record(c)
        let w = weights[row]
        do {
            total += w
            if let condition, try !condition(&frame).asBool { continue }
            matched += w
            if let value { sum += w * (try value(&frame)).asNumber }
        } catch let e as EvalError {
            errors.add(e, row: row, c)
        }
    }
    try errors.throwIfAny()
    switch which {
    case "count": return .number(try matched.finishNumber(what: "'count'", at: src))
    case "share": return .number(total == 0 ? 0 : matched / total)
    case "sum": return .number(try sum.finishNumber(what: "'sum'", at: src))
    default:
        guard matched > 0 else { throw EvalError("'mean' of no weight", at: src, hint: "check the 'where' condition and the weights") }
        return .number(try (sum / matched).finishNumber(what: "'mean'", at: src))
    }
}
