import PolicySupport
// Expressions (LANGUAGE.md §6). Loosest first:
//   under/at · if-then-else · or · and · not · comparisons, in, within · + - · * / · unary - · postfix

extension Parser {
    /// expr = under_at_expr
    mutating func parseExpr(allowUnderAt: Bool = true) throws -> Expr {
        var lhs = try parseIfExpr()
        guard allowUnderAt else { return lhs }
        // under_at_expr = if_expr { ("under" NAME | "at" additive) }
        var chain = 0
        while true {
            chain += 1
            if chain > maxChain { try chainTooLong() }
            // `at:` or `under:` starting a line is a field name, not an operator.
            if (at(.kwUnder) || at(.kwAt)), token.startsLine, peek().kind == .colon { return lhs }
            if eat(.kwUnder) {
                let scenario = try expectName("a scenario name after 'under'")
                lhs = Expr(.under(lhs, scenario), lhs.span.to(scenario.span))
            } else if eat(.kwAt) {
                let date = try parseBinary(BinaryOperator.add.precedence)
                lhs = Expr(.at(lhs, date), lhs.span.to(date.span))
            } else {
                return lhs
            }
        }
    }

    /// An expression in a header, right before a `{` that opens a block: `NAME {` is not a
    /// record literal there (§6).
    mutating func parseHeaderExpr(allowUnderAt: Bool = true) throws -> Expr {
        let saved = noRecordLiteral
        noRecordLiteral = true
        defer { noRecordLiteral = saved }
        return try parseExpr(allowUnderAt: allowUnderAt)
    }

    /// if_expr = "if" expr "then" expr "else" if_expr | or_expr
    mutating func parseIfExpr() throws -> Expr {
        guard at(.kwIf) else { return try parseBinary(1) }
        let start = token.span
        try enter()
        defer { leave() }
        advance()
        let condition = try parseExpr()
        _ = try expect(.kwThen, "'then' after the condition of 'if'")
        let then = try parseExpr()
        guard eat(.kwElse) else {
            try fail("'else' (an 'if' expression needs both branches)",
                     hint: "add 'else' and the value when the condition is false")
        }
        let otherwise = try parseIfExpr()
        return Expr(.ifThenElse(condition, then, otherwise), span(from: start))
    }

    static func binaryOperator(_ kind: TokenKind) -> BinaryOperator? {
        switch kind {
        case .kwOr: return .or
        case .kwAnd: return .and
        case .equalEqual: return .equal
        case .bangEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        case .kwIn: return .in
        case .kwWithin: return .within
        case .plus: return .add
        case .minus: return .subtract
        case .star: return .multiply
        case .slash: return .divide
        default: return nil
        }
    }

    /// Precedence climbing over `BinaryOperator.precedence`; `not` sits between `and` (2)
    /// and the comparisons (4). Comparisons do not chain.
    mutating func parseBinary(_ minPrecedence: Int) throws -> Expr {
        var lhs = try parsePrefix()
        var lastComparison: Token?
        var chain = 0
        while let op = Parser.binaryOperator(token.kind), op.precedence >= minPrecedence {
            chain += 1
            if chain > maxChain { try chainTooLong() }
            let opToken = token
            if op.isComparison, let first = lastComparison {
                error("comparisons do not chain", opToken.span,
                      hint: "write 'a \(text(first)) b and b \(text(opToken)) c'")
                throw ParseError()
            }
            advance()
            let rhs = try parseBinary(op.precedence + 1)
            lhs = Expr(.binary(op, lhs, rhs), lhs.span.to(rhs.span))
            lastComparison = op.isComparison ? opToken : nil
        }
        return lhs
    }

    mutating func chainTooLong() throws -> Never {
        error("expression too long (more than \(maxChain) operators in a row)", token.span,
              hint: "split it with 'let' definitions, use a set (x in {a, b, c}), or " + Limits.raiseHint("chain"))
        throw ParseError()
    }

    /// prefix = "not" comparison_expr | "-" prefix | postfix
    mutating func parsePrefix() throws -> Expr {
        switch token.kind {
        case .kwNot:
            let start = token.span
            try enter()
            defer { leave() }
            advance()
            // `not a == b` is `not (a == b)`: the operand is a comparison.
            let operand = at(.kwNot) ? try parsePrefix() : try parseBinary(4)
            return Expr(.unary(.not, operand), span(from: start))
        case .minus:
            let start = token.span
            try enter()
            defer { leave() }
            advance()
            let operand = try parsePrefix()
            return Expr(.unary(.negate, operand), span(from: start))
        default:
            return try parsePostfix()
        }
    }

    /// postfix = primary { "." FIELD | "with" "{" field_inits "}" | "[" expr "]" }
    /// A `[` that starts a line begins a list, not an index.
    mutating func parsePostfix() throws -> Expr {
        var base = try parsePrimary()
        var chain = 0
        while true {
            chain += 1
            if chain > maxChain { try chainTooLong() }
            if at(.dot) {
                advance()
                let field = try expectFieldName("a field name after '.'")
                base = Expr(.member(base, field), base.span.to(field.span))
            } else if at(.kwWith) {
                advance()
                guard at(.lBrace) else { try fail("'{' after 'with'", hint: "write r with { field: value }") }
                let fields = try parseFieldInits()
                base = Expr(.with(base, fields), span(from: base.span))
            } else if at(.lBracket), !token.startsLine {
                base = try parseIndex(base)
            } else {
                return base
            }
        }
    }

    /// index = "[" expr "]"
    mutating func parseIndex(_ base: Expr) throws -> Expr {
        let open = token
        try enter()
        defer { leave() }
        advance()
        let saved = noRecordLiteral
        noRecordLiteral = false
        defer { noRecordLiteral = saved }
        let index = try parseExpr()
        try expectClose(.rBracket, opener: open)
        return Expr(.index(base, index), span(from: base.span))
    }

    /// primary = literal | NAME [ "(" args ")" | "{" field_inits "}" ] | "(" expr ")"
    ///         | "{" [ expr { "," expr } ] "}" | "[" [ expr { "," expr } ] "]" | if_expr
    mutating func parsePrimary() throws -> Expr {
        let t = token
        switch t.kind {
        case .intLiteral:
            advance()
            return Expr(.int(t.payload, grouped: t.span.length > 3 && file.text(t.span).contains("_")), t.span)
        case .numberLiteral:
            advance()
            return Expr(.number(t.doubleValue, text(t)), t.span)
        case .percentLiteral:
            advance()
            return Expr(.percent(t.doubleValue, text(t)), t.span)
        case .dateLiteral:
            advance()
            return Expr(.date(Int32(truncatingIfNeeded: t.payload)), t.span)
        case .durationLiteral:
            advance()
            return Expr(.duration(t.payload >> 2, DurationUnit(rawValue: Int(t.payload & 3)) ?? .day), t.span)
        case .stringLiteral:
            advance()
            return Expr(.string(Lexer.stringValue(file.bytes, t.span)), t.span)
        case .kwTrue, .kwFalse:
            advance()
            return Expr(.bool(t.kind == .kwTrue), t.span)
        case .identifier:
            return try parseNamePrimary()
        case .lParen:
            try enter()
            defer { leave() }
            advance()
            let saved = noRecordLiteral
            noRecordLiteral = false
            defer { noRecordLiteral = saved }
            let inner = try parseExpr()
            try expectClose(.rParen, opener: t)
            return Expr(.paren(inner), span(from: t.span))
        case .lBrace:
            let elements = try parseList(open: t, close: .rBrace)
            return Expr(.set(elements), span(from: t.span))
        case .lBracket:
            let elements = try parseList(open: t, close: .rBracket)
            return Expr(.list(elements), span(from: t.span))
        case .kwIf:
            return try parseIfExpr()
        case .invalid:
            advance()
            return Expr(.error, t.span)
        case .kwJurisdiction:
            // In an implicit-subject context a bare `jurisdiction` is the case's field (§2).
            advance()
            return Expr(.name("jurisdiction"), t.span)
        default:
            if t.kind.isKeyword, t.kind != .kwNot {
                error("expected an expression, found \(describe(t))", t.span,
                      hint: "'\(text(t))' is a reserved word")
                throw ParseError()
            }
            try fail("an expression")
        }
    }

    /// NAME, a call `NAME(args [where cond])`, or a record literal `NAME { … }`.
    mutating func parseNamePrimary() throws -> Expr {
        let nameToken = token
        let name = Name(text(token), token.span)
        advance()
        if at(.lParen) {
            let open = token
            try enter()
            defer { leave() }
            advance()
            let saved = noRecordLiteral
            noRecordLiteral = false
            defer { noRecordLiteral = saved }
            var args: [Expr] = []
            var filter: Expr?
            while !at(.rParen) {
                args.append(try parseExpr())
                if args.count == 1, filter == nil, eat(.kwWhere) {
                    filter = try parseExpr()
                }
                if !eat(.comma) { break }
            }
            try expectClose(.rParen, opener: open)
            return Expr(.call(name, args, filter: filter), span(from: name.span))
        }
        if at(.lBrace), !noRecordLiteral {
            let fields = try parseFieldInits()
            return Expr(.record(name, fields), span(from: name.span))
        }
        return Expr(.name(identifier(nameToken)), name.span)
    }

    /// "{" [ FIELD ":" expr { SEP FIELD ":" expr } ] "}"
    mutating func parseFieldInits() throws -> [FieldInit] {
        try parseBlock("field", stopAtDeclarations: true) { p in
            let name = try p.expectFieldName()
            _ = try p.expect(.colon, "':' after the field name '\(name.text)'")
            let value = try p.parseExpr()
            return FieldInit(name: name, value: value)
        }
    }

    /// Comma-separated expressions up to `close`; newlines may separate them too.
    mutating func parseList(open: Token, close: TokenKind) throws -> [Expr] {
        try enter()
        defer { leave() }
        advance()
        let saved = noRecordLiteral
        noRecordLiteral = false
        defer { noRecordLiteral = saved }
        var elements: [Expr] = []
        while true {
            while at(.newline) { advance() }
            if at(close) { break }
            elements.append(try parseExpr())
            while at(.newline) { advance() }
            if !eat(.comma) { break }
        }
        while at(.newline) { advance() }
        try expectClose(close, opener: open)
        return elements
    }
}
