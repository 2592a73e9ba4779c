// Effects of events and reactions (§4.8) and population generators (§4.10).

extension Parser {
    /// effects = "{" [ effect { SEP effect } ] "}"
    mutating func parseEffectBlock() throws -> [Effect] {
        try parseBlock("effect") { p in try p.parseEffect() }
    }

    /// effect = "enact" ref [ "from" expr ] [ "until" expr ] | "repeal" ref
    ///        | "set" postfix "=" expr | "for" NAME "in" "jurisdictions" [ "where" expr ] effects
    ///        | "after" expr effects | "if" expr effects [ "else" ( effects | if_effect ) ]
    mutating func parseEffect() throws -> Effect {
        let start = token.span
        switch token.kind {
        case .kwEnact:
            advance()
            let ref = try parsePolicyRef("the name of the policy to enact")
            var from: Expr?, until: Expr?
            while true {
                let clause = token
                if eat(.kwFrom) {
                    try once(from == nil, clause)
                    from = try parseHeaderExpr()
                } else if eat(.kwUntil) {
                    try once(until == nil, clause)
                    until = try parseHeaderExpr()
                } else {
                    break
                }
            }
            return Effect(.enact(ref, from: from, until: until), span(from: start))
        case .kwRepeal:
            advance()
            let ref = try parsePolicyRef("the name of the policy to repeal")
            return Effect(.repeal(ref), span(from: start))
        case .kwSet:
            advance()
            let target = try parsePostfix()
            _ = try expect(.equal, "'=' and the new value")
            let value = try parseExpr()
            return Effect(.set(target, value), span(from: start))
        case .kwFor:
            advance()
            let variable = try expectName("a variable name after 'for'")
            _ = try expect(.kwIn, "'in jurisdictions'")
            _ = try expect(.kwJurisdictions, "'jurisdictions' (effects loop over jurisdictions)")
            var condition: Expr?
            if eat(.kwWhere) { condition = try parseHeaderExpr() }
            guard at(.lBrace) else { try fail("'{' and the effects for each jurisdiction") }
            let body = try parseEffectBlock()
            return Effect(.forEach(variable: variable, condition: condition, body: body), span(from: start))
        case .kwAfter:
            advance()
            let delay = try parseHeaderExpr()
            guard at(.lBrace) else { try fail("'{' and the delayed effects", hint: "write after 30 days { … }") }
            return Effect(.after(delay, try parseEffectBlock()), span(from: start))
        case .kwIf:
            return try parseIfEffect()
        default:
            try fail("an effect (enact, repeal, set, for, after or if)")
        }
    }

    mutating func parseIfEffect() throws -> Effect {
        let start = token.span
        advance()
        let condition = try parseHeaderExpr()
        guard at(.lBrace) else { try fail("'{' after the condition of 'if'") }
        let then = try parseEffectBlock()
        var otherwise: Effect.ElseBranch?
        if eat(.kwElse) {
            if at(.kwIf) {
                otherwise = .elseIf(try parseIfEffect())
            } else {
                guard at(.lBrace) else { try fail("'{' or 'if' after 'else'") }
                otherwise = .block(try parseEffectBlock())
            }
        }
        return Effect(.if(condition, then: then, else: otherwise), span(from: start))
    }

    /// population = "population" NAME "of" NAME [ "from" STRING ] [ "{" population_items "}" ]
    mutating func parsePopulation() throws -> Statement.Kind {
        advance()
        let name = try expectName("the population's name")
        _ = try expect(.kwOf, "'of' and the record type of its cases")
        let record = try expectName("a record type")
        var source: StringLiteral?
        if eat(.kwFrom) {
            guard at(.stringLiteral) else { try fail("a CSV file name in quotes after 'from'") }
            source = stringLiteral()
        }
        var items: [PopulationItem]?
        if at(.lBrace) {
            items = try parseBlock("generator", stopAtDeclarations: false) { p in try p.parsePopulationItem() }
        }
        return .population(PopulationDecl(name: name, record: record, source: source, items: items))
    }

    /// population_item = "size" expr | "seed" expr | "weight" expr | FIELD generator [ "when" expr ]
    /// generator = "uniform" expr ".." expr | "{" member ":" expr { SEP … } "}"
    ///           | "weighted" "by" NAME | "=" expr | expr
    mutating func parsePopulationItem() throws -> PopulationItem {
        let start = token.span
        if atWord("size") || atWord("seed") || atWord("weight") {
            let word = text(token)
            let next = peek()
            let generatorStart = next.kind == .lBrace || next.kind == .equal
                || (next.kind == .identifier && (text(next) == "uniform" || text(next) == "weighted"))
            if !generatorStart {
                advance()
                let value = try parseExpr()
                let kind: PopulationItem.Kind = word == "size" ? .size(value) : word == "seed" ? .seed(value) : .weight(value)
                return PopulationItem(kind: kind, span: span(from: start))
            }
        }
        let field = try expectFieldName("a field name, 'size' or 'seed'")
        let generator: Generator
        if atWord("uniform") {
            advance()
            let low = try parseExpr()
            _ = try expect(.dotDot, "'..' between the low and high ends")
            generator = .uniform(low, try parseExpr())
        } else if at(.lBrace) {
            generator = .categorical(try parseFieldInits())
        } else if atWord("weighted") {
            advance()
            _ = try expect(.kwBy, "'by' and a jurisdiction attribute")
            generator = .weighted(try expectFieldName("a jurisdiction attribute"))
        } else if eat(.equal) {
            generator = .computed(try parseExpr())
        } else if at(.newline) || at(.eof) || at(.rBrace) {
            try fail("a generator for '\(field.text)' (uniform A .. B, { member: p, … }, p%, weighted by ATTR, or = EXPR)")
        } else {
            generator = .probability(try parseExpr())
        }
        var condition: Expr?
        if eat(.kwWhen) { condition = try parseExpr() }
        return PopulationItem(kind: .field(field, generator, condition: condition), span: span(from: start))
    }
}
