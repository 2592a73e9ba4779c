// Declarations (LANGUAGE.md §4).

extension Parser {
    /// enum = "enum" NAME "{" NAME { SEP NAME } "}"
    mutating func parseEnum() throws -> Statement.Kind {
        advance()
        let name = try expectName("the enum's name")
        guard at(.lBrace) else { try fail("'{' and the enum's members", hint: "write enum \(name.text) { a, b, c }") }
        let members = try parseBlock("member") { p in try p.expectName("a member name") }
        return .enumDecl(EnumDecl(name: name, members: members))
    }

    /// jurisdiction = "jurisdiction" NAME ":" KIND [ "in" NAME ] [ STRING ] [ "{" field_inits "}" ]
    ///              | "jurisdiction" "attributes" "{" field_decls "}"
    mutating func parseJurisdiction() throws -> Statement.Kind {
        advance()
        if eat(.kwAttributes) {
            guard at(.lBrace) else { try fail("'{' and the attributes", hint: "write jurisdiction attributes { trust: number = 1.0 }") }
            return .attributes(try parseFieldDecls())
        }
        let name = try expectName("the jurisdiction's name")
        _ = try expect(.colon, "':' and the jurisdiction's kind (federal, state, county, …)")
        let kind = try expectName("a kind (federal, state, county, city, …)")
        var parent: Name?
        if eat(.kwIn) { parent = try expectName("the parent jurisdiction's name") }
        let label = optionalLabel()
        var attributes: [FieldInit] = []
        if at(.lBrace) { attributes = try parseFieldInits() }
        return .jurisdiction(JurisdictionDecl(name: name, kind: kind, parent: parent, label: label, attributes: attributes))
    }

    /// jurisdictions_from = "jurisdictions" "from" STRING
    mutating func parseJurisdictionsFrom() throws -> Statement.Kind {
        advance()
        _ = try expect(.kwFrom, "'from' and a CSV file name")
        guard at(.stringLiteral) else { try fail("a CSV file name in quotes") }
        return .jurisdictionsFrom(stringLiteral())
    }

    /// agency = "agency" NAME "of" NAME [ STRING ]
    mutating func parseAgency() throws -> Statement.Kind {
        advance()
        let name = try expectName("the agency's name")
        _ = try expect(.kwOf, "'of' and the jurisdiction the agency works in")
        let territory = try expectName("a jurisdiction name")
        return .agency(AgencyDecl(name: name, territory: territory, label: optionalLabel()))
    }

    /// record = "record" NAME "{" field_decls "}"
    mutating func parseRecord() throws -> Statement.Kind {
        advance()
        let name = try expectName("the record's name")
        guard at(.lBrace) else { try fail("'{' and the record's fields") }
        return .record(RecordDecl(name: name, fields: try parseFieldDecls()))
    }

    /// field_decls = "{" [ FIELD ":" type [ "=" expr ] { SEP … } ] "}"
    mutating func parseFieldDecls() throws -> [FieldDecl] {
        try parseBlock("field", stopAtDeclarations: true) { p in
            let start = p.token.span
            let name = try p.expectFieldName()
            _ = try p.expect(.colon, "':' and the type of '\(name.text)'")
            let type = try p.parseType()
            var value: Expr?
            if p.eat(.equal) { value = try p.parseExpr() }
            return FieldDecl(name: name, type: type, defaultValue: value, span: p.span(from: start))
        }
    }

    /// type = "set" "of" type | "list" "of" type | "jurisdiction" | NAME
    mutating func parseType() throws -> TypeExpr {
        let start = token.span
        try enter()
        defer { leave() }
        if eat(.kwSet) {
            _ = try expect(.kwOf, "'of' after 'set'")
            let element = try parseType()
            return TypeExpr(.setOf(element), span(from: start))
        }
        if atWord("list"), peek().kind == .kwOf {
            advance()
            advance()
            let element = try parseType()
            return TypeExpr(.listOf(element), span(from: start))
        }
        if eat(.kwJurisdiction) { return TypeExpr(.named("jurisdiction"), start) }
        let name = try expectName("a type")
        return TypeExpr(.named(name.text), name.span)
    }

    /// params = "(" [ NAME ":" type { "," NAME ":" type } ] ")"
    mutating func parseParameters() throws -> [Parameter] {
        let open = try expect(.lParen)
        var params: [Parameter] = []
        while !at(.rParen) {
            let name = try expectName("a parameter name")
            _ = try expect(.colon, "':' and the type of parameter '\(name.text)'")
            params.append(Parameter(name: name, type: try parseType()))
            if !eat(.comma) { break }
        }
        try expectClose(.rParen, opener: open)
        return params
    }

    /// param = "param" NAME [ ":" type ] "=" expr
    mutating func parseParam() throws -> Statement.Kind {
        advance()
        let name = try expectName("the param's name")
        var type: TypeExpr?
        if eat(.colon) { type = try parseType() }
        _ = try expect(.equal, "'=' and the param's value")
        return .param(ParamDecl(name: name, type: type, value: try parseExpr()))
    }

    /// let = "let" NAME [ params ] [ ":" type ] "=" expr
    mutating func parseLet() throws -> Statement.Kind {
        advance()
        let name = try expectName("a name after 'let'")
        let params = at(.lParen) ? try parseParameters() : nil
        var type: TypeExpr?
        if eat(.colon) { type = try parseType() }
        _ = try expect(.equal, "'=' and the definition")
        return .let(LetDecl(name: name, parameters: params, type: type, value: try parseExpr()))
    }

    /// decision = "decision" NAME params ":" type "=" expr [ "combine" NAME ]
    mutating func parseDecision() throws -> Statement.Kind {
        advance()
        let name = try expectName("the decision's name")
        guard at(.lParen) else {
            try fail("'(' and the case the decision is about", hint: "write decision \(name.text)(b: booking): bool = false")
        }
        let params = try parseParameters()
        _ = try expect(.colon, "':' and the decision's type")
        let type = try parseType()
        _ = try expect(.equal, "'=' and the default answer")
        let value = try parseExpr()
        var combiner: Name?
        if eat(.kwCombine) { combiner = try expectName("a combiner (most_specific, latest, deny_overrides, permit_overrides, min, max)") }
        return .decision(DecisionDecl(name: name, parameters: params, type: type, defaultValue: value, combiner: combiner))
    }

    /// policy = "policy" NAME [ params ] "by" NAME { policy_clause } "{" rules "}"
    /// policy_clause = "from" expr | "until" expr | "proposed" | "overrides" ref { "," ref } | STRING
    mutating func parsePolicy() throws -> Statement.Kind {
        advance()
        let name = try expectName("the policy's name")
        let params = at(.lParen) ? try parseParameters() : nil
        _ = try expect(.kwBy, "'by' and the jurisdiction or agency that owns the policy")
        let owner = try expectName("the owner's name")
        var from: Expr?, until: Expr?, proposed = false, overrides: [PolicyRef] = [], label: StringLiteral?
        var seenOverrides = false
        clauses: while true {
            let clause = token
            switch token.kind {
            case .kwFrom:
                advance()
                try once(from == nil, clause)
                from = try parseHeaderExpr()
            case .kwUntil:
                advance()
                try once(until == nil, clause)
                until = try parseHeaderExpr()
            case .kwProposed:
                advance()
                try once(!proposed, clause)
                proposed = true
            case .kwOverrides:
                advance()
                try once(!seenOverrides, clause)
                seenOverrides = true
                overrides = [try parsePolicyRef("the name of an overridden policy")]
                while eat(.comma) { overrides.append(try parsePolicyRef("the name of an overridden policy")) }
            case .stringLiteral:
                try once(label == nil, clause)
                label = stringLiteral()
            default:
                break clauses
            }
        }
        guard at(.lBrace) else {
            try fail("'{' and the policy's rules", hint: "write { decision(b) = value }")
        }
        let rules = try parseBlock("rule") { p in try p.parseRule() }
        return .policy(PolicyDecl(name: name, parameters: params, owner: owner, from: from, until: until,
                                  proposed: proposed, overrides: overrides, label: label, rules: rules))
    }

    /// rule = NAME "(" NAME ")" "=" expr [ "when" expr ]
    mutating func parseRule() throws -> Rule {
        let start = token.span
        if at(.kwWhen) {
            error("a rule's 'when' must stay on the rule's line", token.span,
                  hint: "join this line to the rule above (a 'when' starting a line begins a reaction)")
            throw ParseError()
        }
        let decision = try expectName("a rule: decision(case) = value")
        guard at(.lParen) else {
            try fail("'(' after '\(decision.text)' (a rule reads \(decision.text)(b) = value)")
        }
        let open = token
        advance()
        let param = try expectName("the case's name")
        try expectClose(.rParen, opener: open)
        _ = try expect(.equal, "'=' and the rule's answer")
        let value = try parseExpr()
        var condition: Expr?
        if eat(.kwWhen) { condition = try parseExpr() }
        return Rule(decision: decision, parameter: param, value: value, condition: condition, span: span(from: start))
    }

    /// ref = NAME [ "(" [ expr { "," expr } ] ")" ]
    mutating func parsePolicyRef(_ what: String) throws -> PolicyRef {
        let name = try expectName(what)
        guard at(.lParen) else { return PolicyRef(name: name, arguments: nil, span: name.span) }
        let open = token
        advance()
        var args: [Expr] = []
        while !at(.rParen) {
            args.append(try parseExpr())
            if !eat(.comma) { break }
        }
        try expectClose(.rParen, opener: open)
        return PolicyRef(name: name, arguments: args, span: span(from: name.span))
    }

    /// event = "event" NAME "on" expr [ "by" NAME ] [ STRING ] [ "{" effects "}" ]
    mutating func parseEvent() throws -> Statement.Kind {
        advance()
        let name = try expectName("the event's name")
        _ = try expect(.kwOn, "'on' and the event's date")
        let date = try parseHeaderExpr()
        var owner: Name?
        if eat(.kwBy) { owner = try expectName("the jurisdiction or agency behind the event") }
        let label = optionalLabel()
        var effects: [Effect]?
        if at(.lBrace) { effects = try parseEffectBlock() }
        return .event(EventDecl(name: name, date: date, owner: owner, label: label, effects: effects))
    }

    /// reaction = "when" NAME [ "as" NAME ] "{" effects "}"
    ///          | "when" NAME "in" "jurisdictions" "where" expr [ "as" NAME ] "{" effects "}"
    mutating func parseReaction() throws -> Statement.Kind {
        advance()
        let first = try expectName("an event name, or 'j in jurisdictions where …'")
        let trigger: ReactionDecl.Trigger
        if eat(.kwIn) {
            _ = try expect(.kwJurisdictions, "'jurisdictions' (a reaction watches jurisdictions)")
            _ = try expect(.kwWhere, "'where' and the condition that triggers the reaction")
            trigger = .condition(variable: first, condition: try parseHeaderExpr())
        } else {
            trigger = .event(first)
        }
        var name: Name?
        if eat(.kwAs) { name = try expectName("the reaction's name after 'as'") }
        guard at(.lBrace) else { try fail("'{' and the reaction's effects") }
        return .reaction(ReactionDecl(trigger: trigger, name: name, effects: try parseEffectBlock()))
    }

    /// scenario = "scenario" NAME [ "from" NAME ] [ STRING ] "{" { scenario_item } "}"
    mutating func parseScenario() throws -> Statement.Kind {
        advance()
        let name = try expectName("the scenario's name")
        var parent: Name?
        var label: StringLiteral?
        while true {
            let clause = token
            if eat(.kwFrom) {
                try once(parent == nil, clause)
                parent = try expectName("the scenario this one starts from")
            } else if at(.stringLiteral) {
                try once(label == nil, clause)
                label = stringLiteral()
            } else {
                break
            }
        }
        guard at(.lBrace) else { try fail("'{' and the scenario's changes") }
        let items = try parseBlock("change", stopAtDeclarations: false) { p in
            switch p.token.kind {
            case .kwCancel, .kwParam, .kwLet, .kwDecision, .kwPolicy, .kwEvent, .kwWhen, .kwPopulation,
                 .kwEnum, .kwRecord, .kwJurisdiction, .kwJurisdictions, .kwAgency:
                return try p.parseStatement(inScenario: true)
            default:
                if p.token.kind.isKeyword {
                    p.error("'\(p.text(p.token))' is not allowed inside a scenario", p.token.span,
                            hint: "a scenario holds 'cancel' and declarations; write queries after it, with 'under'")
                } else {
                    p.error("expected 'cancel' or a declaration in a scenario, found \(p.describe(p.token))", p.token.span,
                            hint: "write queries after the scenario, with 'under'")
                }
                throw ParseError()
            }
        }
        return .scenario(ScenarioDecl(name: name, parent: parent, label: label, items: items))
    }
}
