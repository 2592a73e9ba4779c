// The drill-down statement of LANGUAGE.md §10: `sample`.

extension Parser {
    /// `sample` is a contextual word, not a keyword: a program may still name a let or a
    /// field `sample`. It opens the statement only when the next token, on the same line,
    /// is a literal or a name (`sample 10 from …`, `sample n from …`: no expression has a
    /// name followed by either); `sample`, `sample(3)`, `sample + 1` and `sample.x` stay
    /// expressions.
    mutating func startsSample() -> Bool {
        guard atWord("sample") else { return false }
        let next = peek()
        guard !next.startsLine else { return false }
        switch next.kind {
        case .intLiteral, .numberLiteral, .percentLiteral, .identifier: return true
        default: return false
        }
    }

    /// sample = "sample" additive "from" NAME { "where" expr | "under" NAME }
    mutating func parseSample() throws -> Statement.Kind {
        advance()
        // The count is an additive expression, so `from` ends it.
        let count = try parseBinary(BinaryOperator.add.precedence)
        guard eat(.kwFrom) else { try fail("'from' and a population after the number of cases", hint: "write sample 10 from POPULATION") }
        let population = try expectName("a population name")
        var condition: Expr?, under: Name?
        while true {
            let clause = token
            if eat(.kwWhere) {
                try once(condition == nil, clause)
                condition = try parseExpr(allowUnderAt: false)
            } else if eat(.kwUnder) {
                try once(under == nil, clause)
                under = try expectName("a scenario name after 'under'")
            } else {
                return .sample(count: count, from: population, where: condition, under: under)
            }
        }
    }
}
