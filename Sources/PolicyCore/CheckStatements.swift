import PolicySyntax

// Top-level statements and tests (§7).

extension Checker {
    func checkStatements(_ statements: [Statement], _ file: SourceFile) -> [CheckedStatement] {
        var scope = Scope(file: file)
        var checked: [CheckedStatement] = []
        checked.reserveCapacity(statements.count)
        for s in statements {
            if checked.count & 255 == 255, stopped { break } // Ctrl-C: the rest is not needed
            checked.append(statement(s, &scope))
        }
        return checked
    }

    func statement(_ s: Statement, _ scope: inout Scope) -> CheckedStatement {
        let src = scope.ref(s.span)
        switch s.kind {
        case .expression(let e):
            let t = expr(e, scope)
            return .expression(t.eval, type: t.type, source: src)
        case .explain(let e, let under):
            let scenarios = under.compactMap { scenarioIndex($0, scope) }
            let t = expr(e, scope)
            return .explain(t.eval, scenarios: scenarios, source: src)
        case .timeline(let under, let from, let until, let forJ):
            let scenario = under.flatMap { scenarioIndex($0, scope) } ?? 0
            let f = from.map { require(expr($0, scope, expected: .date), .date, $0, scope, what: "'from'").eval }
            let u = until.map { require(expr($0, scope, expected: .date), .date, $0, scope, what: "'until'").eval }
            let j = forJ.map { require(expr($0, scope, expected: .jurisdiction), .jurisdiction, $0, scope, what: "'for'").eval }
            return .timeline(scenario: scenario, from: f, until: u, for: j, source: src)
        case .status(let j, let date, let under):
            let scenario = under.flatMap { scenarioIndex($0, scope) } ?? 0
            let je = statusSubject(j, scope)
            let d = date.map { require(expr($0, scope, expected: .date), .date, $0, scope, what: "the date after 'at'").eval }
            return .status(je, at: d, scenario: scenario, source: src)
        case .test(let name, let body):
            var inner = Scope(file: scope.file, scenario: scope.scenario)
            inner.streamName = "test"
            let checked = body.map { statement($0, &inner) }
            return .test(name: name.value, body: checked, localCount: inner.slots.maximum, source: src)
        case .assert(let e, let message):
            let t = require(expr(e, scope, expected: .bool), .bool, e, scope, what: "an assert's condition")
            return .assert(t.eval, parts: assertParts(e, scope), message: message?.value, source: src)
        case .let(let d):
            // At the top level a `let` is a declaration; in a test it binds a local.
            guard scope.streamName == "test" else { return .declaration(source: src) }
            if d.parameters != nil {
                error("a 'let' in a test cannot take parameters", scope.ref(d.name.span), hint: "declare it at the top level")
                return .declaration(source: src)
            }
            var t = expr(d.value, scope, expected: d.type.map { resolveType($0, scope.file) })
            if let declared = d.type.map({ resolveType($0, scope.file) }) {
                t = require(t, declared, d.value, scope, what: "the value of '\(d.name.text)'")
            }
            let slot = scope.bind(d.name.text, t.type)
            return .local(slot: slot, t.eval, source: src)
        case .table, .compare, .plot, .decompose:
            return query(s, scope)
        case .sample:
            return sample(s, scope)
        case .include:
            return .declaration(source: src)
        default:
            if scope.streamName == "test", s.declaredName != nil || { if case .attributes = s.kind { return true }; return false }() {
                error("a test holds statements, 'let' and 'assert'; declare this at the top level", src)
            }
            return .declaration(source: src)
        }
    }

    /// The jurisdiction of `status J` — a name, or any jurisdiction expression.
    func statusSubject(_ e: Expr, _ scope: Scope) -> Eval {
        let t = expr(e, scope, expected: .jurisdiction)
        if t.type == .jurisdiction || t.type == .error { return t.eval }
        error("'status' needs a jurisdiction, not \(article(t.type))", scope.ref(e.span))
        return Typed.error.eval
    }

    /// The sub-expressions worth showing when an assert fails: comparisons' sides,
    /// operands of `not`/`and`/`or`, calls and field reads — outermost first.
    func assertParts(_ e: Expr, _ scope: Scope) -> [AssertPart] {
        var parts: [AssertPart] = []
        var seen = Set<String>()
        func visit(_ x: Expr, _ depth: Int) {
            guard depth < 4, parts.count < 12 else { return }
            var inner: [Expr] = []
            switch x.kind {
            case .paren(let y): visit(y, depth); return
            case .unary(_, let y): inner = [y]
            case .binary(_, let a, let b): inner = [a, b]
            case .call(_, let args, _): inner = args
            case .member(let base, _): inner = [base]
            case .index(_, let i): inner = [i]
            case .under(let y, _), .at(let y, _): inner = [y]
            case .ifThenElse(let c, _, _): inner = [c]
            default: break
            }
            let literal: Bool
            switch x.kind {
            case .int, .number, .percent, .date, .duration, .string, .bool, .set, .list, .record, .error: literal = true
            case .name(let id): literal = program.enums.contains { $0.members.contains(id.text) } && lookupSymbol(id.text, scenario: scope.scenario) == nil
            default: literal = false
            }
            if !literal {
                let text = x.formatted
                if seen.insert(text).inserted {
                    var isDecision = false
                    if case .call(let f, _, _) = x.kind, case .decision? = lookupSymbol(f.text, scenario: scope.scenario) { isDecision = true }
                    // Compile it again quietly: its errors were reported with the whole condition.
                    let savedDiagnostics = diagnostics.count, savedOmitted = omittedErrors, savedEdges = edges
                    var quiet = scope
                    quiet.chances = ChanceCounter()
                    let t = expr(x, quiet)
                    let compiles = diagnostics.count == savedDiagnostics && omittedErrors == savedOmitted && t.type != .error
                    diagnostics.removeSubrange(savedDiagnostics...)
                    omittedErrors = savedOmitted
                    edges = savedEdges
                    // A part that means nothing alone (a population's name) is not shown.
                    if compiles { parts.append(AssertPart(text: text, eval: t.eval, isDecision: isDecision)) }
                }
            }
            for y in inner { visit(y, depth + 1) }
        }
        visit(e, 0)
        return parts
    }
}
