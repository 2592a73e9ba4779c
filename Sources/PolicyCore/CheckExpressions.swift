import PolicySyntax

// Expressions: names, types and compiled code (§3, §6, §9).

extension Checker {
    /// Checks `e` (against `expected` when given: it guides bare enum members and empty
    /// collections) and compiles it.
    func expr(_ e: Expr, _ scope: Scope, expected: PType? = nil) -> Typed {
        expressionsChecked += 1
        depsStack.append(Deps())
        var t = exprCore(e, scope, expected: expected)
        let mine = depsStack.removeLast()
        t.deps = mine
        note { $0.merge(mine) }
        return t
    }

    func exprCore(_ e: Expr, _ scope: Scope, expected: PType?) -> Typed {
        let src = scope.ref(e.span)
        switch e.kind {
        case .int(let v, _):
            return .const(.int, .int(v))
        case .number(let v, _), .percent(let v, _):
            return .const(.number, .number(v))
        case .date(let d):
            return .const(.date, .date(d))
        case .duration(let n, let unit):
            switch unit {
            case .day: return .const(.duration(.days), .duration(n, .days))
            case .week: return .const(.duration(.days), .duration(n * 7, .days))
            case .month: return .const(.duration(.months), .duration(n, .months))
            case .year: return .const(.duration(.months), .duration(n * 12, .months))
            }
        case .string(let s):
            return .const(.string, .string(s))
        case .bool(let b):
            return .const(.bool, .bool(b))
        case .name(let n):
            return name(n.text, e.span, scope, expected: expected)
        case .member(let base, let field):
            return member(base, field, src, scope)
        case .call(let f, let args, let filter):
            return call(f, args, filter, src, scope, expected: expected)
        case .record(let name, let fields):
            return recordLiteral(name, fields, src, scope)
        case .with(let base, let fields):
            return withExpr(base, fields, src, scope)
        case .index(let base, let index):
            return populationCase(base, index, src, scope)
        case .set(let items), .list(let items):
            let isSet: Bool
            if case .set = e.kind { isSet = true } else { isSet = false }
            return collection(items, isSet: isSet, src, scope, expected: expected)
        case .unary(let op, let operand):
            return unary(op, operand, src, scope, expected: expected)
        case .binary(let op, let a, let b):
            return binary(op, a, b, src, scope, expected: expected)
        case .ifThenElse(let c, let a, let b):
            let cond = require(expr(c, scope, expected: .bool), .bool, c, scope, what: "the condition of 'if'")
            var then = expr(a, scope, expected: expected)
            let otherwise = expr(b, scope, expected: expected ?? then.type)
            if then.type == .emptyCollection, otherwise.type != .emptyCollection { then = expr(a, scope, expected: otherwise.type) }
            guard let type = PType.unify(then.type, otherwise.type) else {
                error("the branches of 'if' have different types: \(program.describe(then.type)) and \(program.describe(otherwise.type))",
                      scope.ref(b.span), hint: "both branches must give the same type")
                return .error
            }
            let tt = coerce(then, to: type), ot = coerce(otherwise, to: type)
            let t = tt.eval, o = ot.eval, c = cond.eval
            return Typed(type) { frame in try c(&frame).asBool ? try t(&frame) : try o(&frame) }
                .with(.ifThenElse(cond.ir, tt.ir, ot.ir))
        case .under(let inner, let scenarioName):
            guard let s = scenarioIndex(scenarioName, scope) else { return .error }
            let body = expr(inner, scope, expected: expected)
            let b = body.eval
            return Typed(body.type) { frame in
                let saved = frame.world
                frame.world = saved.world(s)
                defer { frame.world = saved }
                return try b(&frame)
            }
        case .at(let inner, let date):
            let d = require(expr(date, scope, expected: .date), .date, date, scope, what: "the date after 'at'").eval
            let body = expr(inner, scope, expected: expected)
            let b = body.eval
            return Typed(body.type) { frame in
                let day = try d(&frame).asDate
                let saved = frame.date
                frame.date = day
                defer { frame.date = saved }
                return try b(&frame)
            }
        case .paren(let inner):
            return expr(inner, scope, expected: expected)
        case .error:
            return .error
        }
    }

    /// Reports a type mismatch unless `t` fits `type`; returns `t` coerced.
    func require(_ t: Typed, _ type: PType, _ e: Expr, _ scope: Scope, what: String) -> Typed {
        if t.type.fits(type) { return coerce(t, to: type) }
        error("\(what) must be \(article(type)), not \(article(t.type))", scope.ref(e.span), hint: conversionHint(t.type, type))
        return .error
    }

    func article(_ t: PType) -> String {
        let d = program.describe(t)
        switch t {
        case .int, .enumType, .jurisdiction, .record, .error: return (d.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + d
        case .emptyCollection: return "an empty set"
        default: return "a " + d
        }
    }

    func conversionHint(_ from: PType, _ to: PType) -> String? {
        switch (from, to) {
        case (.number, .int): return "use floor, ceil or round to make an int"
        case (.string, .date): return "write a date without quotes, as 2013-06-01"
        case (.int, .date): return "write a date as YYYY-MM-DD"
        case (.duration(.months?), .duration(.days?)), (.duration(.days?), .duration(.months?)):
            return "day-based (day, week) and month-based (month, year) durations do not mix"
        case (.bool, .number): return "a percentage is written like 8%"
        default: return nil
        }
    }

    /// Widens ints to numbers (also inside sets and lists) where a number is expected.
    func coerce(_ t: Typed, to type: PType) -> Typed {
        // The converted value reads what the original reads: a decision, `let` or rule whose
        // int value is widened to a number keeps its fields, so the memo keys on them.
        var converted = convert(t, to: type)
        converted.deps = t.deps
        return converted
    }

    private func convert(_ t: Typed, to type: PType) -> Typed {
        switch (t.type, type) {
        case (.int, .number):
            let e = t.eval
            if let c = t.constant { return .const(.number, .number(c.asNumber)) }
            return Typed(.number, { frame in .number(try e(&frame).asNumber) }).with(.toNumber(t.ir))
        case (.setOf(.int), .setOf(.number)), (.listOf(.int), .listOf(.number)):
            let e = t.eval
            let isSet: Bool
            if case .setOf = type { isSet = true } else { isSet = false }
            return Typed(type) { frame in
                let xs = try e(&frame).elements.map { Value.number($0.asNumber) }
                return isSet ? .set(xs) : .list(xs)
            }
        case (.emptyCollection, .setOf), (.emptyCollection, .listOf):
            let isSet: Bool
            if case .setOf = type { isSet = true } else { isSet = false }
            return .const(type, isSet ? .set([]) : .list([]))
        case (.duration(nil), .duration(let f?)):
            var d = t
            d.type = .duration(f)
            return d
        default:
            return t
        }
    }

    func scenarioIndex(_ name: Name, _ scope: Scope) -> Int? {
        if name.text == "baseline" { return 0 }
        if case .scenario(let s)? = lookupSymbol(name.text, scenario: scope.scenario) { return s }
        error("unknown scenario '\(name.text)'", scope.ref(name.span),
              hint: suggest(name.text, program.scenarios.map(\.name)))
        return nil
    }

    // MARK: - Names

    func name(_ n: String, _ span: Span, _ scope: Scope, expected: PType?) -> Typed {
        let src = scope.ref(span)
        // 1. Locals.
        if let local = scope.local(n) {
            let slot = local.slot
            note { $0.slotsRead.insert(slot) }
            // A case used as a whole value (not read field by field): not followed.
            if case .record = local.type { note { $0.opaque = true } }
            return Typed(local.type) { frame in frame.locals[slot] }.with(.local(slot))
        }
        // 2. The implicit subject's fields, then one-case decisions and lets applied to it.
        if let subject = scope.subject {
            if n == "it" {
                note { $0.opaque = true }
                return Typed(subject) { frame in
                    guard let s = frame.subject else { throw EvalError.impossible("'it' read with no case", at: src) }
                    return s
                }
            }
            if case .record(let r) = subject, let i = program.records[r].field(n) {
                note { $0.fields[.subject, default: IndexBits()].insert(i) }
                return Typed(program.records[r].fields[i].type) { frame in
                    guard case .record(let c)? = frame.subject else { throw EvalError.impossible("a field read with no case", at: src) }
                    return c.fields[i]
                }.with(.field(.subject, i))
            }
            if let sym = lookupSymbol(n, scenario: scope.scenario) {
                switch sym {
                case .decision(let d) where program.decisions[d].caseType >= 0 && subject == .record(program.decisions[d].caseType):
                    return decisionCall(d, Typed(subject) { frame in try frame.requireSubject(src) }, src, scope, on: .subject)
                case .letDef(let l) where program.lets[l].parameterTypes?.count == 1:
                    if let types = program.lets[l].parameterTypes, subject.fits(types[0]) {
                        return letCall(l, [Typed(subject) { frame in try frame.requireSubject(src) }], src, scope, cases: [.subject])
                    }
                default: break
                }
            }
        }
        // 3. Global declarations.
        if let sym = lookupSymbol(n, scenario: scope.scenario) {
            switch sym {
            case .param(let p):
                edge(scope, .param(p), src)
                inferParamType(p)
                let type = program.params[p].type
                if type == .error, program.params[p].versions.isEmpty, pendingParams.contains(where: { $0.id == p && $0.infer }) {
                    error("param '\(n)' is used while its own type is being worked out", src, hint: "give it a type: param \(n): TYPE = …")
                }
                note {
                    $0.params = true
                    $0.paramsRead.insert(p)
                }
                let bit = Frame.paramBit(p)
                return Typed(type) { frame in
                    frame.paramsRead |= bit
                    return frame.world.param(p, on: frame.date)
                }.with(.param(p))
            case .letDef(let l):
                if program.lets[l].parameterTypes != nil {
                    let arity = program.lets[l].parameterTypes?.count ?? 0
                    error("'\(n)' takes \(arity) argument\(arity == 1 ? "" : "s"): call it as \(n)(…)", src)
                    return .error
                }
                return letCall(l, [], src, scope, cases: [])
            case .decision(let d):
                var hint: String?
                if let subject = scope.subject, program.decisions[d].caseType >= 0 {
                    hint = "'\(n)' decides about a '\(program.records[program.decisions[d].caseType].name)'; the cases here are '\(program.describe(subject))'"
                }
                error("'\(n)' is a decision: call it with a case, as \(n)(b)", src, hint: hint)
                return .error
            case .jurisdiction(let j):
                return .const(.jurisdiction, .jurisdiction(j))
            case .agency(let a):
                let territory = program.jurisdictions.names[Int(program.agencies[a].territory)]
                error("'\(n)' is an agency, not a value", src, hint: "its territory is '\(territory)'")
                return .error
            case .population:
                error("'\(n)' is a population: use it in count(…), share(…), sum(…), mean(…), table, compare or plot", src)
                return .error
            case .scenario:
                error("'\(n)' is a scenario: use it after 'under'", src, hint: "write EXPR under \(n)")
                return .error
            case .policy, .event, .reaction:
                error("'\(n)' is \(sym.what), not a value", src)
                return .error
            }
        }
        if n == "baseline" {
            error("'baseline' is a scenario: use it after 'under'", src)
            return .error
        }
        // 4. Enum members.
        return enumMember(n, src, scope, expected: expected)
    }

    func enumMember(_ n: String, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        var owners: [Int] = []
        for (i, e) in program.enums.enumerated() where e.members.contains(n) { owners.append(i) }
        if owners.count == 1 || (owners.count > 1 && { if case .enumType(let t)? = expected { return owners.contains(t) }; return false }()) {
            var owner = owners[0]
            if owners.count > 1, case .enumType(let t)? = expected { owner = t }
            let index = program.enums[owner].members.firstIndex(of: n) ?? 0
            return .const(.enumType(owner), .member(type: Int32(owner), index: Int32(index)))
        }
        if owners.count > 1 {
            let names = owners.map { program.enums[$0].name }
            error("'\(n)' is a member of several enums (\(names.joined(separator: ", ")))", src,
                  hint: "qualify it, as \(names[0]).\(n)")
            return .error
        }
        switch types[n] {
        case .enumType(let e)?:
            let first = program.enums[e].members.first.map { "\(n).\($0)" } ?? "\(n).MEMBER"
            error("'\(n)' is a type, not a value", src, hint: "write a member, as \(first)")
            return .error
        case .record?:
            error("'\(n)' is a type, not a value", src, hint: "write a record, as \(n) { … }")
            return .error
        case nil:
            break
        }
        var candidates = visibleNames(scenario: scope.scenario) + scope.locals.map(\.name)
        if case .record(let r)? = scope.subject { candidates += program.records[r].fields.map(\.name) }
        for e in program.enums { candidates += e.members }
        error("unknown name '\(n)'", src, hint: suggest(n, candidates))
        return .error
    }

    /// Whether a bare name would only make sense as an enum member that needs a type.
    func isAmbiguousBareMember(_ e: Expr, _ scope: Scope) -> Bool {
        guard case .name(let nameID) = e.kind, case let n = nameID.text, scope.local(n) == nil, lookupSymbol(n, scenario: scope.scenario) == nil else { return false }
        if case .record(let r)? = scope.subject, program.records[r].field(n) != nil { return false }
        return program.enums.filter { $0.members.contains(n) }.count > 1
    }

    // MARK: - Members

    func member(_ base: Expr, _ field: Name, _ src: SourceRef, _ scope: Scope) -> Typed {
        // `Enum.member` is always qualification (§9.1).
        if case .name(let nameID) = base.kind, case let n = nameID.text, scope.local(n) == nil,
           let e = (n == "kind" ? Program.kindEnum : { if case .enumType(let i)? = types[n] { return i }; return nil }()) {
            guard let index = program.enums[e].members.firstIndex(of: field.text) else {
                error("enum '\(n)' has no member '\(field.text)'", scope.ref(field.span),
                      hint: suggest(field.text, program.enums[e].members) ?? "its members are \(program.enums[e].members.joined(separator: ", "))")
                return .error
            }
            return .const(.enumType(e), .member(type: Int32(e), index: Int32(index)))
        }
        // A field of a case: noted as a field read, without using the case as a whole.
        if let ref = caseRef(base, scope) {
            let caseType: PType
            switch ref {
            case .subject: caseType = scope.subject ?? .error
            case .slot:
                caseType = scope.local({ if case .name(let id) = base.kind { return id.text }; return "" }())?.type ?? .error
            }
            if case .record(let r) = caseType, let i = program.records[r].field(field.text) {
                note { $0.fields[ref, default: IndexBits()].insert(i) }
                let type = program.records[r].fields[i].type
                // `b.charge` is read in every rule: the case is read in place, in one step.
                switch ref {
                case .slot(let slot):
                    return Typed(type) { frame in
                        guard case .record(let c) = frame.locals[slot] else { throw EvalError.impossible("a field read of something that is not a case", at: src) }
                        return c.fields[i]
                    }.with(.field(ref, i))
                case .subject:
                    return Typed(type) { frame in
                        guard case .record(let c)? = frame.subject else { throw EvalError.impossible("a field read with no case", at: src) }
                        return c.fields[i]
                    }.with(.field(ref, i))
                }
            }
        }
        let b = expr(base, scope)
        let be = b.eval
        switch b.type {
        case .error:
            return .error
        case .record(let r):
            guard let i = program.records[r].field(field.text) else {
                error("record '\(program.records[r].name)' has no field '\(field.text)'", scope.ref(field.span),
                      hint: suggest(field.text, program.records[r].fields.map(\.name)))
                return .error
            }
            return Typed(program.records[r].fields[i].type) { frame in
                guard case .record(let c) = try be(&frame) else { throw EvalError.impossible("a field read of something that is not a record", at: src) }
                return c.fields[i]
            }
        case .jurisdiction:
            switch field.text {
            case "name":
                return Typed(.string) { frame in .string(frame.program.jurisdictions.names[Int(try be(&frame).asJurisdiction)]) }
            case "label":
                return Typed(.string) { frame in .string(frame.program.jurisdictions.label(try be(&frame).asJurisdiction)) }
            case "kind":
                return Typed(.enumType(Program.kindEnum)) { frame in
                    .member(type: Int32(Program.kindEnum), index: frame.program.jurisdictions.kinds[Int(try be(&frame).asJurisdiction)])
                }
            case "parent":
                return Typed(.jurisdiction) { frame in
                    let j = try be(&frame).asJurisdiction
                    let p = frame.program.jurisdictions.parents[Int(j)]
                    guard p >= 0 else {
                        throw EvalError("'\(frame.program.jurisdictions.names[Int(j)])' has no parent (it is a root)", at: src,
                                        hint: "test 'j.kind' before asking for 'j.parent'")
                    }
                    return .jurisdiction(p)
                }
            default:
                guard let a = program.attributes.firstIndex(where: { $0.name == field.text }) else {
                    error("jurisdictions have no attribute '\(field.text)'", scope.ref(field.span),
                          hint: suggest(field.text, ["name", "label", "kind", "parent"] + program.attributes.map(\.name)))
                    return .error
                }
                let own = isCaseJurisdiction(base, scope)
                note {
                    if own { $0.ownAttributes = true } else { $0.otherAttributes = true }
                    $0.attributesRead.insert(a)
                }
                return Typed(program.attributes[a].type) { frame in
                    frame.world.attribute(try be(&frame).asJurisdiction, a, on: frame.date)
                }.with(.attribute(b.ir, a))
            }
        default:
            let parts = ["year", "month", "quarter", "weekday"]
            let written = scope.ref(base.span).file.text(base.span)
            let hint: String? = b.type == .date && parts.contains(field.text)
                ? "write \(field.text)(\(written)); the parts of a date are \(parts.map { "\($0)(d)" }.joined(separator: ", "))"
                : nil
            error("\(article(b.type)) has no field '\(field.text)'", scope.ref(field.span), hint: hint)
            return .error
        }
    }

    /// `b.jurisdiction`, or a bare `jurisdiction` in a query: the case's own jurisdiction.
    func isCaseJurisdiction(_ e: Expr, _ scope: Scope) -> Bool {
        switch e.kind {
        case .member(let base, let f): return f.text == "jurisdiction" && caseRef(base, scope) != nil
        case .name("jurisdiction"): return scope.subject != nil && scope.local("jurisdiction") == nil
        case .paren(let inner): return isCaseJurisdiction(inner, scope)
        default: return false
        }
    }

    // MARK: - Records

    func recordLiteral(_ name: Name, _ inits: [FieldInit], _ src: SourceRef, _ scope: Scope) -> Typed {
        guard case .record(let r)? = types[name.text] else {
            error("unknown record type '\(name.text)'", scope.ref(name.span),
                  hint: suggest(name.text, program.records.map(\.name)))
            return .error
        }
        let info = program.records[r]
        var given: [Int: Typed] = [:]
        for f in inits {
            guard let i = info.field(f.name.text) else {
                error("record '\(info.name)' has no field '\(f.name.text)'", scope.ref(f.name.span),
                      hint: suggest(f.name.text, info.fields.map(\.name)))
                continue
            }
            if given[i] != nil {
                error("field '\(f.name.text)' is given twice", scope.ref(f.name.span))
                continue
            }
            given[i] = require(expr(f.value, scope, expected: info.fields[i].type), info.fields[i].type, f.value, scope,
                               what: "field '\(f.name.text)'")
        }
        let missing = info.fields.indices.filter { given[$0] == nil && !recordFieldHasDefault(r, $0) }
        if !missing.isEmpty {
            let names = missing.map { info.fields[$0].name }
            error("missing field\(names.count == 1 ? "" : "s") in '\(info.name)': \(names.map { "'\($0)'" }.joined(separator: ", "))", src,
                  hint: "add \(names.map { "\($0): …" }.joined(separator: ", "))")
            return .error
        }
        if let (template, computed) = recordTemplate(r, given) {
            // Constants (literals, members, jurisdictions, constant defaults) are in the
            // template; only the other fields are evaluated. A literal of constants shares
            // the template's storage (each evaluation still makes a record of its own).
            return Typed(.record(r)) { frame in
                guard !computed.isEmpty else { return .record(RecordValue(literal: r, fields: template)) }
                var values = template
                for (i, e) in computed { values[i] = try e(&frame) }
                return .record(RecordValue(literal: r, fields: values))
            }
        }
        // A default not compiled yet (a record default that builds another record): read
        // the defaults when evaluated.
        let evals: [Eval?] = info.fields.indices.map { given[$0]?.eval }
        return Typed(.record(r)) { frame in
            var values: [Value] = []
            values.reserveCapacity(evals.count)
            for (i, e) in evals.enumerated() {
                if let e {
                    values.append(try e(&frame))
                } else if let d = frame.program.records[r].fields[i].defaultValue {
                    values.append(try d(&frame))
                }
            }
            return .record(RecordValue(literal: r, fields: values))
        }
    }

    /// A record literal's fields as a template of constants and the fields to evaluate, in
    /// field order; nil while a default it needs is not compiled yet.
    func recordTemplate(_ r: Int, _ given: [Int: Typed]) -> (template: [Value], computed: [(Int, Eval)])? {
        var template: [Value] = []
        var computed: [(Int, Eval)] = []
        for (i, field) in program.records[r].fields.enumerated() {
            let constant: Value?, eval: Eval
            if let t = given[i] {
                (constant, eval) = (t.constant, t.eval)
            } else if let d = field.defaultValue {
                (constant, eval) = (field.defaultConstant, d)
            } else {
                return nil
            }
            if let constant {
                template.append(constant)
            } else {
                template.append(.bool(false)) // a placeholder, overwritten on every evaluation
                computed.append((i, eval))
            }
        }
        return (template, computed)
    }

    func recordFieldHasDefault(_ r: Int, _ i: Int) -> Bool {
        program.records[r].fields[i].hasDefault
    }

    func withExpr(_ base: Expr, _ inits: [FieldInit], _ src: SourceRef, _ scope: Scope) -> Typed {
        let b = expr(base, scope)
        guard case .record(let r) = b.type else {
            if b.type != .error { error("'with' needs a record, not \(article(b.type))", scope.ref(base.span)) }
            return .error
        }
        let info = program.records[r]
        var changes: [(Int, Eval)] = []
        for f in inits {
            guard let i = info.field(f.name.text) else {
                error("record '\(info.name)' has no field '\(f.name.text)'", scope.ref(f.name.span),
                      hint: suggest(f.name.text, info.fields.map(\.name)))
                continue
            }
            let t = require(expr(f.value, scope, expected: info.fields[i].type), info.fields[i].type, f.value, scope,
                            what: "field '\(f.name.text)'")
            changes.append((i, t.eval))
        }
        let be = b.eval
        let updates = changes
        return Typed(.record(r)) { frame in
            guard case .record(let old) = try be(&frame) else { throw EvalError.impossible("'with' on something that is not a record", at: src) }
            var values = old.fields
            for (i, e) in updates { values[i] = try e(&frame) }
            return .record(RecordValue(type: r, fields: values, identity: old.identity, seed: old.seed))
        }
    }

    // MARK: - Collections

    func collection(_ items: [Expr], isSet: Bool, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        var elementExpected: PType?
        switch expected {
        case .setOf(let t)?, .listOf(let t)?: elementExpected = t
        default: break
        }
        guard !items.isEmpty else {
            if let expected, expected != .emptyCollection, case .setOf = expected, isSet { return .const(expected, .set([])) }
            if let expected, case .listOf = expected, !isSet { return .const(expected, .list([])) }
            return .const(.emptyCollection, isSet ? .set([]) : .list([]))
        }
        var typed: [Typed] = []
        var element: PType? = elementExpected
        for item in items {
            let t = expr(item, scope, expected: element)
            if let current = element {
                guard let u = PType.unify(current, t.type) else {
                    error("the elements have different types: \(program.describe(current)) and \(program.describe(t.type))",
                          scope.ref(item.span))
                    return .error
                }
                element = u
            } else {
                element = t.type
            }
            typed.append(t)
        }
        let type = element ?? .error
        let coerced = typed.map { coerce($0, to: type) }
        // A collection of literals (`{violent_felony, serious_felony}`) is built once, here.
        if type != .error, coerced.allSatisfy({ $0.constant != nil }) {
            var values: [Value] = []
            for c in coerced { if let v = c.constant, !isSet || !values.contains(v) { values.append(v) } }
            return .const(isSet ? .setOf(type) : .listOf(type), isSet ? .set(values) : .list(values))
        }
        let evals = coerced.map(\.eval)
        return Typed(isSet ? .setOf(type) : .listOf(type)) { frame in
            var values: [Value] = []
            values.reserveCapacity(evals.count)
            for e in evals {
                let v = try e(&frame)
                if !isSet || !values.contains(v) { values.append(v) }
            }
            return isSet ? .set(values) : .list(values)
        }
    }

    // MARK: - Operators

    func unary(_ op: UnaryOperator, _ operand: Expr, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        switch op {
        case .not:
            let t = require(expr(operand, scope, expected: .bool), .bool, operand, scope, what: "the operand of 'not'")
            let e = t.eval
            return Typed(.bool) { frame in .bool(!(try e(&frame).asBool)) }.with(.not(t.ir))
        case .negate:
            let t = expr(operand, scope, expected: expected)
            switch t.type {
            case .int, .number, .duration, .error:
                let e = t.eval
                if case .int(let v)? = t.constant, v != Int64.min { return .const(.int, .int(-v)) }
                if case .number(let v)? = t.constant { return .const(.number, .number(-v)) }
                return Typed(t.type) { frame in try Operators.negate(try e(&frame), src) }.with(.negate(t.ir, src))
            default:
                error("'-' needs a number, an int or a duration, not \(article(t.type))", scope.ref(operand.span))
                return .error
            }
        }
    }

    func binary(_ op: BinaryOperator, _ a: Expr, _ b: Expr, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        switch op {
        case .and, .or:
            let xt = require(expr(a, scope, expected: .bool), .bool, a, scope, what: "the left side of '\(op.rawValue)'")
            let yt = require(expr(b, scope, expected: .bool), .bool, b, scope, what: "the right side of '\(op.rawValue)'")
            let x = xt.eval, y = yt.eval
            if op == .and { return Typed(.bool) { frame in .bool(try x(&frame).asBool && (try y(&frame).asBool)) }.with(.and(xt.ir, yt.ir)) }
            return Typed(.bool) { frame in .bool(try x(&frame).asBool || (try y(&frame).asBool)) }.with(.or(xt.ir, yt.ir))
        case .add, .subtract, .multiply, .divide:
            return arithmetic(op, a, b, src, scope, expected: expected)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            if let t = dateComparison(op, a, b, src, scope) { return t }
            var x: Typed, y: Typed
            if isAmbiguousBareMember(a, scope) {
                y = expr(b, scope)
                x = expr(a, scope, expected: y.type)
            } else {
                x = expr(a, scope)
                y = expr(b, scope, expected: x.type)
            }
            if x.type == .emptyCollection { x = expr(a, scope, expected: y.type) }
            guard let type = PType.unify(x.type, y.type) else {
                error("cannot compare \(article(x.type)) with \(article(y.type))", src,
                      hint: conversionHint(y.type, x.type))
                return .error
            }
            if op != .equal, op != .notEqual, !type.isOrdered {
                error("'\(op.rawValue)' needs ordered values (numbers, dates, durations, strings, enum members), not \(article(type))", src)
                return .error
            }
            if case .duration = x.type, case .duration = y.type, !x.type.fits(y.type) {
                error("cannot compare day-based and month-based durations", src,
                      hint: "day-based (day, week) and month-based (month, year) durations do not mix")
                return .error
            }
            let xe = x.eval, ye = y.eval
            return Typed(.bool) { frame in .bool(Operators.compare(op, try xe(&frame), try ye(&frame))) }
                .with(.compare(op, x.ir, y.ir))
        case .in:
            var x = expr(a, scope)
            var elementType: PType? = nil
            if x.type != .error, x.type != .emptyCollection { elementType = x.type }
            let y = expr(b, scope, expected: elementType.map { .setOf($0) })
            let element: PType
            switch y.type {
            case .setOf(let t), .listOf(let t): element = t
            case .emptyCollection: element = x.type
            case .error: return .error
            default:
                let within = x.type == .jurisdiction && y.type == .jurisdiction
                let (left, right) = (scope.ref(a.span).file.text(a.span), scope.ref(b.span).file.text(b.span))
                error("'in' needs a set or a list on its right, not \(article(y.type))", scope.ref(b.span),
                      hint: within ? "to ask whether one jurisdiction lies inside another, write '\(left) within \(right)'" : "write x in {a, b}")
                return .error
            }
            if isAmbiguousBareMember(a, scope) { x = expr(a, scope, expected: element) }
            guard x.type.fits(element) || element.fits(x.type) else {
                error("cannot look for \(article(x.type)) in a collection of \(program.describe(element))", src)
                return .error
            }
            let xe = x.eval, ye = y.eval
            return Typed(.bool) { frame in
                let v = try xe(&frame)
                return .bool(try ye(&frame).elements.contains { ValueOrder.equal($0, v) })
            }.with(.contains(x.ir, y.ir))
        case .within:
            let xt = require(expr(a, scope, expected: .jurisdiction), .jurisdiction, a, scope, what: "the left side of 'within'")
            let yt = require(expr(b, scope, expected: .jurisdiction), .jurisdiction, b, scope, what: "the right side of 'within'")
            let x = xt.eval, y = yt.eval
            return Typed(.bool) { frame in
                .bool(frame.program.jurisdictions.within(try x(&frame).asJurisdiction, try y(&frame).asJurisdiction))
            }.with(.within(xt.ir, yt.ir))
        }
    }

    /// `b.date OP CONSTANT` (either way round): noted as a date break, not as a read of the
    /// date, so the fast engine can still group cases by period.
    func dateComparison(_ op: BinaryOperator, _ a_: Expr, _ b: Expr, _ src: SourceRef, _ scope: Scope) -> Typed? {
        let a = a_
        func isCaseDate(_ e: Expr) -> Bool {
            switch e.kind {
            case .member(let base, let f):
                guard f.text == "date", let ref = caseRef(base, scope) else { return false }
                if case .slot(let s) = ref, let local = scope.locals.last(where: { $0.slot == s }), case .record(let r) = local.type {
                    return program.records[r].dateField == program.records[r].field("date")
                }
                return ref == .subject
            case .name("date"):
                guard scope.local("date") == nil, case .record(let r)? = scope.subject else { return false }
                return program.records[r].dateField != nil
            default:
                return false
            }
        }
        let dateSide: Expr, other: Expr
        if isCaseDate(a) { dateSide = a; other = b } else if isCaseDate(b) { dateSide = b; other = a } else { return nil }
        let saved = depsStack.count
        depsStack.append(Deps())
        let o = expr(other, scope, expected: .date)
        var otherDeps = depsStack.removeLast()
        // `b.date >= b.jurisdiction.activated`: the breaks are that attribute's values.
        if case .member(let base, let field) = other.kind, isCaseJurisdiction(base, scope),
           let a = program.attributes.firstIndex(where: { $0.name == field.text }), program.attributes[a].type == .date {
            otherDeps.dateAttributes.insert(a)
            note { $0.merge(otherDeps) }
            depsStack.append(Deps())
            let ds = expr(dateSide, scope)
            depsStack.removeLast()
            let x = dateSide == a_ ? ds : o, y = dateSide == a_ ? o : ds
            let xe = x.eval, ye = y.eval
            return Typed(.bool) { frame in .bool(Operators.compare(op, try xe(&frame), try ye(&frame))) }
                .with(.compare(op, x.ir, y.ir))
        }
        guard depsStack.count == saved, case .date(let d)? = o.constant, o.type == .date else {
            note { $0.merge(otherDeps) }
            return nil
        }
        // Re-check the date side without noting the read.
        depsStack.append(Deps())
        let ds = expr(dateSide, scope)
        depsStack.removeLast()
        note { $0.dateBreaks.insert(d); $0.dateBreaks.insert(d &+ 1) }
        let x = dateSide == a ? ds : o, y = dateSide == a ? o : ds
        let xe = x.eval, ye = y.eval
        return Typed(.bool) { frame in .bool(Operators.compare(op, try xe(&frame), try ye(&frame))) }
            .with(.compare(op, x.ir, y.ir))
    }

    func arithmetic(_ op: BinaryOperator, _ a: Expr, _ b: Expr, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        let x = expr(a, scope), y = expr(b, scope)
        if x.type == .error || y.type == .error { return .error }
        let xe = x.eval, ye = y.eval
        func bad() -> Typed {
            var hint: String?
            if op == .add, x.type == .string || y.type == .string {
                hint = "both sides of '+' must be strings to join them"
            } else if (op == .add || op == .subtract), x.type == .date, y.type.isNumeric {
                let amount: String
                if case .int(let v)? = y.constant { amount = "\(v)" } else { amount = "30" }
                hint = "add a duration, as \(amount) days"
            } else {
                hint = conversionHint(y.type, x.type)
            }
            error("cannot apply '\(op.rawValue)' to \(article(x.type)) and \(article(y.type))", src, hint: hint)
            return .error
        }
        let resultType: PType
        switch (op, x.type, y.type) {
        case (.divide, let l, let r) where l.isNumeric && r.isNumeric:
            return Typed(.number) { frame in try Operators.divide(try xe(&frame), try ye(&frame), src) }
                .with(.arithmetic(.divide, x.ir, y.ir, src))
        case (_, .int, .int) where op != .divide: resultType = .int
        case (_, let l, let r) where l.isNumeric && r.isNumeric: resultType = .number
        case (.add, .date, .duration(let f)), (.add, .duration(let f), .date), (.subtract, .date, .duration(let f)):
            _ = f
            resultType = .date
        case (.subtract, .date, .date): resultType = .duration(.days)
        case (.add, .duration(let f), .duration(let g)), (.subtract, .duration(let f), .duration(let g)):
            if let f, let g, f != g {
                error("cannot \(op == .add ? "add" : "subtract") day-based and month-based durations", src,
                      hint: "day-based (day, week) and month-based (month, year) durations do not mix")
                return .error
            }
            resultType = .duration(f ?? g)
        case (.multiply, .duration(let f), .int), (.multiply, .int, .duration(let f)): resultType = .duration(f)
        case (.add, .string, .string): resultType = .string
        default: return bad()
        }
        // Constant folding (so `2011-09-07 + 30 days` is a constant date).
        if let cx = x.constant, let cy = y.constant {
            let folded: Value?
            switch op {
            case .add: folded = try? Operators.add(cx, cy, src)
            case .subtract: folded = try? Operators.subtract(cx, cy, src)
            default: folded = try? Operators.multiply(cx, cy, src)
            }
            if let folded { return .const(resultType, folded) }
        }
        let node = Node.arithmetic(op, x.ir, y.ir, src)
        switch op {
        case .add: return Typed(resultType) { frame in try Operators.add(try xe(&frame), try ye(&frame), src) }.with(node)
        case .subtract: return Typed(resultType) { frame in try Operators.subtract(try xe(&frame), try ye(&frame), src) }.with(node)
        default: return Typed(resultType) { frame in try Operators.multiply(try xe(&frame), try ye(&frame), src) }.with(node)
        }
    }
}
