// Programs and statements (LANGUAGE.md §7).

extension Parser {
    /// program = { NEWLINE } { statement ( NEWLINE | EOF ) }
    mutating func parseProgram() -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipNewlines()
            if at(.eof) { break }
            if at(.rBrace) || at(.rParen) || at(.rBracket) {
                error("unexpected \(describe(token)) with nothing to close", token.span)
                advance()
                continue
            }
            let before = token.span.start
            do {
                let statement = try parseStatement(inScenario: false)
                if overflowing {
                    // Errors past the limit: the file will not be used; keep counting them
                    // without holding its statements.
                    if !statements.isEmpty { statements = [] }
                } else {
                    statements.append(statement)
                }
                try expectEndOfStatement(after: statement)
            } catch {
                nestingReported = false
                synchronize(toDepth: 0)
                if token.span.start == before, !at(.eof) { advance() }
            }
        }
        return statements
    }

    /// The words that start a statement, for `did you mean 'table'?` after a misspelt one.
    static let statementWords = ["table", "compare", "plot", "decompose", "sample", "explain", "timeline", "status",
                                 "assert", "test", "include", "enum", "jurisdiction", "jurisdictions", "agency",
                                 "record", "param", "let", "decision", "policy", "event", "when", "scenario",
                                 "population"]

    mutating func expectEndOfStatement(after statement: Statement? = nil) throws {
        if at(.newline) || at(.eof) || token.startsLine { return }
        var hint = "put each statement on its own line"
        if at(.equal) {
            hint = "to compare, write '=='; a single '=' gives a value only in a declaration, a scenario or 'set'"
        } else if let statement, case .expression(let e) = statement.kind, case .name(let word) = e.kind,
                  let meant = Suggest.closest(to: word.text, in: Parser.statementWords) {
            // `tabel outcome by year …`: a misspelt statement word read as a name.
            hint = "did you mean '\(meant)'? ('\(word.text)' is not a statement word, so the line ends after it)"
        }
        try fail("the end of the statement", hint: hint)
    }

    /// statement = declaration | query | test | assert | include | expr
    mutating func parseStatement(inScenario: Bool) throws -> Statement {
        let start = token.span
        // Only a declaration that starts its own line takes the `##` lines above it.
        let doc = token.startsLine ? docComment(before: Int(start.start)) : nil
        let kind: Statement.Kind
        switch token.kind {
        case .kwEnum: kind = try parseEnum()
        case .kwJurisdiction: kind = try parseJurisdiction()
        case .kwJurisdictions: kind = try parseJurisdictionsFrom()
        case .kwAgency: kind = try parseAgency()
        case .kwRecord: kind = try parseRecord()
        case .kwParam: kind = try parseParam()
        case .kwLet: kind = try parseLet()
        case .kwDecision: kind = try parseDecision()
        case .kwPolicy: kind = try parsePolicy()
        case .kwEvent: kind = try parseEvent()
        case .kwWhen: kind = try parseReaction()
        case .kwScenario: kind = try parseScenario()
        case .kwPopulation: kind = try parsePopulation()
        case .kwCancel:
            advance()
            let ref = try parsePolicyRef("the name of an event, policy or reaction to cancel")
            if !inScenario {
                error("'cancel' is only allowed inside a scenario", Span(Int(start.start), Int(ref.span.end)),
                      hint: "write it inside 'scenario NAME { … }'")
            }
            kind = .cancel(ref)
        case .kwExplain: kind = try parseExplain()
        case .kwTimeline: kind = try parseTimeline()
        case .kwStatus: kind = try parseStatus()
        case .kwTable: kind = try parseTable()
        case .kwCompare: kind = try parseCompare()
        case .kwPlot: kind = try parsePlot()
        case .kwTest: kind = try parseTest()
        case .kwAssert:
            advance()
            let condition = try parseExpr()
            var message: StringLiteral?
            if at(.stringLiteral) { message = stringLiteral() }
            kind = .assert(condition, message: message)
        case .kwInclude:
            advance()
            guard at(.stringLiteral) else { try fail("a file name in quotes after 'include'") }
            kind = .include(stringLiteral())
        case .identifier where atDecompose():
            kind = try parseDecompose()
        default:
            kind = startsSample() ? try parseSample() : .expression(try parseExpr())
        }
        return Statement(kind, span(from: start), doc: doc)
    }

    mutating func stringLiteral() -> StringLiteral {
        let t = token
        advance()
        return StringLiteral(Lexer.stringValue(file.bytes, t.span), t.span)
    }

    mutating func optionalLabel() -> StringLiteral? {
        at(.stringLiteral) ? stringLiteral() : nil
    }

    /// The `##` lines directly above offset `start` (consecutive lines, nothing between).
    func docComment(before start: Int) -> String? {
        let comments = lexer.comments
        var i = comments.count - 1
        while i >= 0, Int(comments[i].span.start) >= start { i -= 1 }
        guard i >= 0, comments[i].isDoc else { return nil }
        var lines: [String] = []
        // A comment runs to the end of its line, so it sits on the line just above `next`
        // exactly when one newline separates them.
        func onLineAbove(_ comment: Comment, _ next: Int) -> Bool {
            var newlines = 0
            for k in Int(comment.span.end)..<next where file.storage[k] == 0x0A {
                newlines += 1
                if newlines > 1 { return false }
            }
            return newlines == 1
        }
        var next = start
        while i >= 0, comments[i].isDoc, onLineAbove(comments[i], next) {
            var text = file.text(comments[i].span).dropFirst(2)
            if text.first == " " { text = text.dropFirst() }
            lines.append(String(text))
            next = Int(comments[i].span.start)
            i -= 1
        }
        return lines.isEmpty ? nil : lines.reversed().joined(separator: "\n")
    }

    // MARK: - Queries

    /// explain = "explain" expr [ "under" NAME { "," NAME } ]
    mutating func parseExplain() throws -> Statement.Kind {
        advance()
        let expr = try parseExpr(allowUnderAt: false)
        let trailingAt = try parseTrailingAt(expr)
        var scenarios: [Name] = []
        if eat(.kwUnder) { scenarios = try parseNameList("a scenario name") }
        return .explain(trailingAt, under: scenarios)
    }

    /// `at` stays an operator in `explain x at d` (only `under` is the statement's clause).
    mutating func parseTrailingAt(_ expr: Expr) throws -> Expr {
        var expr = expr
        var chain = 0
        while eat(.kwAt) {
            chain += 1
            if chain > maxChain { try chainTooLong() }
            let date = try parseBinary(BinaryOperator.add.precedence)
            expr = Expr(.at(expr, date), expr.span.to(date.span))
        }
        return expr
    }

    mutating func parseNameList(_ what: String) throws -> [Name] {
        var names = [try expectName(what)]
        while eat(.comma) { names.append(try expectName(what)) }
        return names
    }

    /// timeline = "timeline" { "under" NAME | "from" expr | "until" expr | "for" expr }
    mutating func parseTimeline() throws -> Statement.Kind {
        advance()
        var under: Name?, from: Expr?, until: Expr?, forJ: Expr?
        while true {
            let clause = token
            switch token.kind {
            case .kwUnder:
                advance()
                try once(under == nil, clause)
                under = try expectName("a scenario name after 'under'")
            case .kwFrom:
                advance()
                try once(from == nil, clause)
                from = try parseExpr(allowUnderAt: false)
            case .kwUntil:
                advance()
                try once(until == nil, clause)
                until = try parseExpr(allowUnderAt: false)
            case .kwFor:
                advance()
                try once(forJ == nil, clause)
                forJ = try parseExpr(allowUnderAt: false)
            default:
                return .timeline(under: under, from: from, until: until, for: forJ)
            }
        }
    }

    mutating func once(_ first: Bool, _ clause: Token) throws {
        if !first {
            error("'\(text(clause))' is given twice", clause.span, hint: "keep one")
            throw ParseError()
        }
    }

    /// status = "status" expr { "at" additive | "under" NAME }
    mutating func parseStatus() throws -> Statement.Kind {
        advance()
        let j = try parseExpr(allowUnderAt: false)
        var date: Expr?, under: Name?
        while true {
            let clause = token
            if eat(.kwAt) {
                try once(date == nil, clause)
                date = try parseExpr(allowUnderAt: false)
            } else if eat(.kwUnder) {
                try once(under == nil, clause)
                under = try expectName("a scenario name after 'under'")
            } else {
                return .status(j, at: date, under: under)
            }
        }
    }

    /// Aggregates or keys: expressions separated by commas; they end at a clause word.
    mutating func parseClauseList() throws -> [Expr] {
        var items = [try parseExpr(allowUnderAt: false)]
        while eat(.comma) { items.append(try parseExpr(allowUnderAt: false)) }
        return items
    }

    /// table = "table" aggs [ "by" keys ] "from" NAME { "where" expr | "under" NAME | "to" STRING | analysis }
    mutating func parseTable() throws -> Statement.Kind {
        let start = token.span
        advance()
        let aggregates = try parseClauseList()
        let keys = eat(.kwBy) ? try parseClauseList() : []
        _ = try expect(.kwFrom, "'from' and a population")
        let population = try expectName("a population name")
        let c = try parseQueryClauses(.table, start: start)
        return .table(aggregates: aggregates, keys: keys, from: population, where: c.condition, under: c.under.first,
                      to: c.output, analysis: c.analysis)
    }

    /// compare = "compare" NAME "," NAME { "," NAME } "on" aggs [ "by" keys ] "from" NAME
    ///           { "where" expr | "to" STRING | analysis }
    mutating func parseCompare() throws -> Statement.Kind {
        let start = token.span
        advance()
        let scenarios = try parseNameList("a scenario name")
        if scenarios.count < 2 {
            error("'compare' needs at least two scenarios", span(from: start), hint: "write compare baseline, NAME on …")
        }
        _ = try expect(.kwOn, "',' and another scenario, or 'on'")
        let aggregates = try parseClauseList()
        let keys = eat(.kwBy) ? try parseClauseList() : []
        _ = try expect(.kwFrom, "'from' and a population")
        let population = try expectName("a population name")
        let c = try parseQueryClauses(.compare, start: start)
        return .compare(scenarios: scenarios, aggregates: aggregates, keys: keys, from: population, where: c.condition,
                        to: c.output, analysis: c.analysis)
    }

    /// plot = "plot" aggs "by" keys "from" NAME
    ///        { "where" expr | "under" NAME { "," NAME } | "to" STRING | "titled" STRING | analysis }
    mutating func parsePlot() throws -> Statement.Kind {
        let start = token.span
        advance()
        let aggregates = try parseClauseList()
        _ = try expect(.kwBy, "'by' and what to plot against (year, month, …)")
        let keys = try parseClauseList()
        _ = try expect(.kwFrom, "'from' and a population")
        let population = try expectName("a population name")
        let c = try parseQueryClauses(.plot, start: start)
        return .plot(aggregates: aggregates, keys: keys, from: population, where: c.condition, under: c.under, to: c.output,
                     analysis: c.analysis, titled: c.title)
    }

    /// decompose = "decompose" NAME "on" aggs [ "by" keys ] "from" NAME { "where" expr | "replicates" expr }
    mutating func parseDecompose() throws -> Statement.Kind {
        let start = token.span
        advance()
        let scenario = try expectName("the scenario to decompose")
        _ = try expect(.kwOn, "'on' and what to decompose (decompose \(scenario.text) on count by year from …)")
        let aggregates = try parseClauseList()
        let keys = eat(.kwBy) ? try parseClauseList() : []
        _ = try expect(.kwFrom, "'from' and a population")
        let population = try expectName("a population name")
        let c = try parseQueryClauses(.decompose, start: start)
        return .decompose(scenario: scenario, aggregates: aggregates, keys: keys, from: population, where: c.condition,
                          analysis: c.analysis)
    }

    /// True at `decompose NAME on`: the statement, not an expression that uses a name
    /// `decompose` (the word is not reserved).
    mutating func atDecompose() -> Bool {
        guard atWord("decompose") else { return false }
        return peek().kind == .identifier
    }

    enum QueryStatement { case table, compare, plot, decompose }

    struct QueryClauses {
        var condition: Expr?
        var under: [Name] = []
        var output: StringLiteral?
        var title: StringLiteral?
        var analysis = Analysis()
    }

    /// The clauses after `from POP`, in any order, each at most once (`sweep` once per param):
    /// clause = "where" expr | "under" NAME { "," NAME } | "to" STRING | "titled" STRING (plot)
    ///        | "replicates" expr | "sweep" NAME "in" ( "{" expr { "," expr } "}" | expr ".." expr "step" expr )
    mutating func parseQueryClauses(_ statement: QueryStatement, start: Span) throws -> QueryClauses {
        var c = QueryClauses()
        var sawUnder = false
        while true {
            let clause = token
            if eat(.kwWhere) {
                try once(c.condition == nil, clause)
                c.condition = try parseExpr(allowUnderAt: false)
            } else if eat(.kwUnder) {
                switch statement {
                case .table:
                    try once(!sawUnder, clause)
                    c.under = [try expectName("a scenario name after 'under'")]
                    if at(.comma) {
                        error("a table shows one scenario", token.span, hint: "use compare S1, S2 on … to see several side by side")
                        throw ParseError()
                    }
                case .plot:
                    try once(!sawUnder, clause)
                    c.under = try parseNameList("a scenario name")
                case .compare:
                    error("'compare' names its scenarios first, not with 'under'", clause.span,
                          hint: "write compare S1, S2 on …")
                    throw ParseError()
                case .decompose:
                    error("'decompose' splits one scenario's difference from the one it starts from; it takes no 'under'",
                          clause.span, hint: "write decompose SCENARIO on …")
                    throw ParseError()
                }
                sawUnder = true
            } else if statement != .decompose, atWord("to") {
                advance()
                try once(c.output == nil, clause)
                guard at(.stringLiteral) else { try fail("a file name in quotes after 'to'") }
                c.output = stringLiteral()
            } else if atWord("titled") {
                guard statement == .plot else {
                    error("'titled' names a chart: only 'plot' takes it", clause.span,
                          hint: "a table's columns are named by its aggregates; to title a chart, write plot … titled \"…\"")
                    throw ParseError()
                }
                advance()
                try once(c.title == nil, clause)
                guard at(.stringLiteral) else { try fail("the chart's title in quotes after 'titled'") }
                c.title = stringLiteral()
            } else if atWord("replicates") {
                advance()
                try once(c.analysis.replicates == nil, clause)
                c.analysis.replicates = try parseExpr(allowUnderAt: false)
            } else if atWord("sweep") {
                if statement == .decompose {
                    error("'decompose' takes no 'sweep'", clause.span,
                          hint: "decompose one point at a time, or use compare … sweep to see the effect of a param")
                    throw ParseError()
                }
                c.analysis.sweeps.append(try parseSweep())
            } else {
                return c
            }
        }
    }

    /// sweep = "sweep" NAME "in" ( "{" expr { "," expr } "}" | expr ".." expr "step" expr )
    mutating func parseSweep() throws -> Sweep {
        let start = token.span
        advance()
        let param = try expectName("the param to sweep")
        _ = try expect(.kwIn, "'in' and the values (sweep \(param.text) in {1, 2, 3} or in 1 .. 10 step 1)")
        if at(.lBrace) {
            let values = try parseList(open: token, close: .rBrace)
            if values.isEmpty {
                error("a sweep needs at least one value", span(from: start), hint: "write sweep \(param.text) in {V1, V2, …}")
                throw ParseError()
            }
            return Sweep(param: param, values: .list(values), span: span(from: start))
        }
        let low = try parseBinary(BinaryOperator.add.precedence)
        _ = try expect(.dotDot, "'..' and the last value, or '{' and a list of values")
        let high = try parseBinary(BinaryOperator.add.precedence)
        guard atWord("step") else {
            try fail("'step' and how far apart the values are (sweep \(param.text) in A .. B step S)")
        }
        advance()
        let step = try parseBinary(BinaryOperator.add.precedence)
        return Sweep(param: param, values: .range(low, high, step: step), span: span(from: start))
    }

    /// test = "test" STRING "{" { statement } "}"
    mutating func parseTest() throws -> Statement.Kind {
        advance()
        guard at(.stringLiteral) else { try fail("the test's name in quotes", hint: "write test \"what it checks\" { … }") }
        let name = stringLiteral()
        guard at(.lBrace) else { try fail("'{' to start the test's body") }
        let body = try parseBlock("statement") { p in
            switch p.token.kind {
            case .kwTest, .kwInclude, .kwScenario, .kwEnum, .kwRecord, .kwJurisdiction, .kwJurisdictions, .kwAgency,
                 .kwParam, .kwDecision, .kwPolicy, .kwEvent, .kwWhen, .kwPopulation:
                p.error("a test holds 'let', 'assert' and queries; '\(p.text(p.token))' belongs at the top level", p.token.span,
                        hint: "move it out of the test")
                throw ParseError()
            default:
                return try p.parseStatement(inScenario: false)
            }
        }
        return .test(name, body)
    }
}
