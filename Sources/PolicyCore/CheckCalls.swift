#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

// Calls: decisions, lets with parameters, and the built-in functions (§6).

extension Checker {
    public static let builtinNames = ["min", "max", "abs", "round", "floor", "ceil", "year", "month", "quarter",
                               "weekday", "days", "ancestor", "chance", "count", "share", "sum", "mean",
                               "cases", "sqrt", "exp", "ln", "pow"]

    func call(_ f: Name, _ args: [Expr], _ filter: Expr?, _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        if let sym = lookupSymbol(f.text, scenario: scope.scenario) {
            if filter != nil {
                error("'where' belongs to an aggregate such as count(population where …)", src)
                return .error
            }
            switch sym {
            case .decision(let d):
                let info = program.decisions[d]
                guard args.count == 1 else {
                    error("decision '\(f.text)' takes one case, not \(args.count)", src, hint: "write \(f.text)(b)")
                    return .error
                }
                guard info.caseType >= 0 else { return .error }
                if let ref = caseRef(args[0], scope) {
                    let arg = quietly { expr(args[0], scope, expected: .record(info.caseType)) }
                    if arg.type.fits(.record(info.caseType)) { return decisionCall(d, arg, src, scope, on: ref) }
                }
                let arg = require(expr(args[0], scope, expected: .record(info.caseType)), .record(info.caseType), args[0], scope,
                                  what: "the case given to '\(f.text)'")
                if arg.type == .error { return .error }
                note { $0.opaque = true } // a decision about a case built here: not followed
                return decisionCall(d, arg, src, scope, on: nil)
            case .letDef(let l):
                guard let types = program.lets[l].parameterTypes else {
                    error("'\(f.text)' is a constant, not a function: write \(f.text) without parentheses", src)
                    return .error
                }
                guard types.count == args.count else {
                    error("'\(f.text)' takes \(types.count) argument\(types.count == 1 ? "" : "s"), not \(args.count)", src)
                    return .error
                }
                var typed: [Typed] = []
                var cases: [CaseRef?] = []
                for (i, (a, t)) in zip(args, types).enumerated() {
                    let name = program.lets[l].parameterNames.count > i ? program.lets[l].parameterNames[i] : "\(i + 1)"
                    if case .record = t, let ref = caseRef(a, scope) {
                        let arg = quietly { expr(a, scope, expected: t) }
                        if arg.type.fits(t) {
                            typed.append(arg)
                            cases.append(ref)
                            continue
                        }
                    }
                    typed.append(require(expr(a, scope, expected: t), t, a, scope, what: "argument '\(name)' of '\(f.text)'"))
                    cases.append(nil)
                }
                if typed.contains(where: { $0.type == .error }) { return .error }
                return letCall(l, typed, src, scope, cases: cases)
            default:
                error("'\(f.text)' is \(sym.what) and cannot be called", src)
                return .error
            }
        }
        switch f.text {
        case "count", "share", "sum", "mean":
            return aggregate(f, args, filter, src, scope)
        case "cases":
            return casesCall(args, filter, src, scope)
        default:
            break
        }
        if filter != nil {
            error("'where' belongs to an aggregate such as count(population where …)", src)
            return .error
        }
        return builtin(f, args, src, scope, expected: expected)
    }

    func edge(_ scope: Scope, _ to: DefNode, _ src: SourceRef) {
        guard let from = scope.definition, let owner = scope.owner else { return }
        edges[from, default: []].append((to, src, owner))
    }

    /// Checks without recording dependencies (for a case passed whole to a call, which the
    /// call records itself).
    func quietly(_ body: () -> Typed) -> Typed {
        depsStack.append(Deps())
        let t = body()
        depsStack.removeLast()
        return t
    }

    func decisionCall(_ d: Int, _ arg: Typed, _ src: SourceRef, _ scope: Scope, on ref: CaseRef?) -> Typed {
        edge(scope, .decision(d), src)
        if let ref { note { $0.decisionCalls.insert(Deps.DecisionCall(decision: d, on: ref)) } }
        let a = arg.eval
        let t = Typed(program.decisions[d].type) { frame in
            guard case .record(let c) = try a(&frame) else {
                throw EvalError.impossible("a decision was given something other than a case", at: src)
            }
            return try Resolution.decide(d, c, &frame)
        }
        return ref.map { t.with(.decision(d, on: $0)) } ?? t
    }

    func letCall(_ l: Int, _ args: [Typed], _ src: SourceRef, _ scope: Scope, cases: [CaseRef?]) -> Typed {
        edge(scope, .letDef(l), src)
        note { $0.letCalls.append(Deps.LetCall(letDef: l, cases: cases)) }
        inferLetType(l)
        let evals = args.map(\.eval)
        let name = program.lets[l].name
        let call = Typed(program.lets[l].type) { frame in
            let localCount: Int, body: Eval
            if let code = frame.world.currentLetCode(l) {
                (localCount, body) = (code.localCount, code.body)
            } else {
                let v = frame.world.letVersion[l]
                guard v >= 0 else {
                    throw EvalError("'\(name)' is not defined in scenario '\(frame.world.name)'", at: src)
                }
                // Evaluated while checking (before `prepareCode`).
                (localCount, body) = (frame.program.lets[l].versions[v].localCount, frame.program.lets[l].versions[v].body)
            }
            var locals = frame.takeLocals(max(localCount, evals.count))
            for (k, e) in evals.enumerated() { locals[k] = try e(&frame) }
            swap(&locals, &frame.locals)
            defer {
                swap(&locals, &frame.locals)
                frame.giveBack(&locals)
            }
            return try body(&frame)
        }
        return call.with(.letCall(l, args.map(\.ir), cases: cases, call.eval))
    }

    func builtin(_ f: Name, _ args: [Expr], _ src: SourceRef, _ scope: Scope, expected: PType?) -> Typed {
        func arity(_ n: ClosedRange<Int>) -> Bool {
            guard n.contains(args.count) else {
                let want = n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound) or \(n.upperBound)"
                error("'\(f.text)' takes \(want) argument\(n.upperBound == 1 ? "" : "s"), not \(args.count)", src)
                return false
            }
            return true
        }
        func dateArg() -> Eval? {
            guard arity(1...1) else { return nil }
            let t = require(expr(args[0], scope, expected: .date), .date, args[0], scope, what: "the argument of '\(f.text)'")
            return t.type == .error ? nil : t.eval
        }
        switch f.text {
        case "min", "max":
            guard !args.isEmpty else {
                error("'\(f.text)' needs at least one argument", src)
                return .error
            }
            var typed = args.map { expr($0, scope, expected: expected) }
            // One collection argument: its elements.
            if typed.count == 1 {
                guard case .setOf(let t) = typed[0].type, t.isOrdered || true else {
                    if case .listOf(let t) = typed[0].type { return minMaxOfCollection(f.text, typed[0], t, src) }
                    error("'\(f.text)' of one value: give two or more values, or a set or list", src)
                    return .error
                }
                return minMaxOfCollection(f.text, typed[0], t, src)
            }
            var type = typed[0].type
            for (t, a) in zip(typed.dropFirst(), args.dropFirst()) {
                guard let u = PType.unify(type, t.type) else {
                    error("the arguments of '\(f.text)' have different types: \(program.describe(type)) and \(program.describe(t.type))",
                          scope.ref(a.span))
                    return .error
                }
                type = u
            }
            guard type.isOrdered else {
                error("'\(f.text)' needs ordered values, not \(article(type))", src)
                return .error
            }
            typed = typed.map { coerce($0, to: type) }
            let evals = typed.map(\.eval)
            let wantMin = f.text == "min"
            return Typed(type) { frame in
                var best = try evals[0](&frame)
                for e in evals.dropFirst() {
                    let v = try e(&frame)
                    if wantMin ? ValueOrder.less(v, best) : ValueOrder.less(best, v) { best = v }
                }
                return best
            }.with(.extremum(isMin: wantMin, typed.map(\.ir)))
        case "sqrt", "exp", "ln", "pow":
            return mathematical(f.text, args, src, scope)
        case "abs":
            guard arity(1...1) else { return .error }
            let t = expr(args[0], scope, expected: expected)
            switch t.type {
            case .int, .number, .duration:
                let e = t.eval
                return Typed(t.type) { frame in
                    let v = try e(&frame)
                    switch v {
                    case .int(let i):
                        if i == Int64.min { throw Operators.overflow("'abs'", src) }
                        return .int(Swift.abs(i))
                    case .duration(let n, _): return n < 0 ? try Operators.negate(v, src) : v
                    default: return .number(abs(v.asNumber))
                    }
                }
            case .error: return .error
            default:
                error("'abs' needs a number, an int or a duration, not \(article(t.type))", scope.ref(args[0].span))
                return .error
            }
        case "round" where args.count == 2:
            return roundToDigits(args, src, scope)
        case "round", "floor", "ceil":
            guard arity(1...1) else { return .error }
            let t = expr(args[0], scope)
            guard t.type.isNumeric else {
                if t.type != .error { error("'\(f.text)' needs a number, not \(article(t.type))", scope.ref(args[0].span)) }
                return .error
            }
            if t.type == .int { return t }
            let e = t.eval
            let mode: FloatingPointRoundingRule = f.text == "round" ? .toNearestOrAwayFromZero : f.text == "floor" ? .down : .up
            return Typed(.int) { frame in
                let r = try e(&frame).asNumber.rounded(mode)
                guard r.isFinite, r >= -9.223372036854775e18, r <= 9.223372036854775e18 else {
                    throw EvalError("'\(f.text)' of a value too large for an int", at: src,
                                    hint: "an int holds up to about ±9.2e18; keep a larger value a number (without '\(f.text)')")
                }
                return .int(Int64(r))
            }
        case "year":
            guard let d = dateArg() else { return .error }
            return Typed(.int) { frame in .int(Int64(CivilDate(dayNumber: Int(try d(&frame).asDate)).year)) }
        case "month":
            guard let d = dateArg() else { return .error }
            return Typed(.string) { frame in .string(Calendar.monthKey(try d(&frame).asDate)) }
        case "quarter":
            guard let d = dateArg() else { return .error }
            return Typed(.string) { frame in .string(Calendar.quarterKey(try d(&frame).asDate)) }
        case "weekday":
            guard let d = dateArg() else { return .error }
            return Typed(.string) { frame in .string(Calendar.weekday(try d(&frame).asDate)) }
        case "days":
            guard arity(1...1) else { return .error }
            let t = expr(args[0], scope)
            switch t.type {
            case .duration(.days?), .duration(nil):
                let e = t.eval
                return Typed(.int) { frame in
                    guard case .duration(let n, .days) = try e(&frame) else {
                        throw EvalError("'days' needs a day-based duration", at: src, hint: "months and years have no fixed number of days")
                    }
                    return .int(n)
                }
            case .error: return .error
            default:
                error("'days' needs a day-based duration (days, weeks, or a difference of dates), not \(article(t.type))",
                      scope.ref(args[0].span), hint: t.type == .duration(.months) ? "months and years have no fixed number of days" : nil)
                return .error
            }
        case "ancestor":
            guard arity(2...2) else { return .error }
            let j = require(expr(args[0], scope, expected: .jurisdiction), .jurisdiction, args[0], scope, what: "the first argument of 'ancestor'").eval
            let k = require(expr(args[1], scope, expected: .enumType(Program.kindEnum)), .enumType(Program.kindEnum), args[1], scope,
                            what: "the second argument of 'ancestor' (a kind)").eval
            return Typed(.jurisdiction) { frame in
                let jv = try j(&frame).asJurisdiction
                guard case .member(_, let kind) = try k(&frame) else { return .jurisdiction(jv) }
                guard let a = frame.program.jurisdictions.ancestor(jv, kind: kind) else {
                    // Name what it does have, so the right kind can be asked for.
                    let table = frame.program.jurisdictions, kinds = frame.program.enums[Program.kindEnum].members
                    var chain: [String] = []
                    var x = Int(jv)
                    while x >= 0, x < table.names.count, chain.count < 64 {
                        chain.append("\(table.names[x]) (\(kinds[Int(table.kinds[x])]))")
                        x = Int(table.parents[x])
                    }
                    throw EvalError("'\(table.names[Int(jv)])' has no ancestor of kind \(kinds[Int(kind)])", at: src,
                                    hint: "\(chain.joined(separator: " in ")): none is a \(kinds[Int(kind)])")
                }
                return .jurisdiction(a)
            }
        case "chance":
            guard arity(1...2) else { return .error }
            let pt = require(expr(args[0], scope, expected: .number), .number, args[0], scope, what: "the probability given to 'chance'")
            let p = pt.eval
            var stream: String
            if args.count == 2 {
                guard case .string(let label) = args[1].kind else {
                    error("the label of 'chance' must be a string literal", scope.ref(args[1].span), hint: "write chance(p, \"label\")")
                    return .error
                }
                stream = label
            } else {
                scope.chances.count += 1
                stream = "\(scope.streamName ?? "chance")#\(scope.chances.count)"
            }
            let label = stream
            let streamKey = Operators.streamKey(label) // hashed once, not per draw
            let callText = "chance(\(args[0].formatted))"
            note { $0.chance = true }
            return Typed(.bool) { frame in
                let probability = try p(&frame).asNumber
                let c: RecordValue
                if let r = frame.caseRecord { c = r } else if case .record(let r)? = frame.subject { c = r } else {
                    throw EvalError("'chance' needs a case: use it in a decision, a let called from one, or an aggregate", at: src)
                }
                let outcome: Bool
                if let log = frame.chanceLog, let forced = log.forced {
                    outcome = log.entries.count < forced.count ? forced[log.entries.count] : false
                } else {
                    let drawn = Operators.draw(stream: streamKey, seed: c.seed, identity: c.identity)
                    outcome = drawn < probability
                    frame.recorder?.note(ChanceDraw(call: callText, stream: label, drawn: drawn, probability: probability, outcome: outcome))
                }
                frame.chanceLog?.entries.append((label, probability, outcome))
                return .bool(outcome)
            }.with(.chance(pt.ir, stream: streamKey, src))
        default:
            let user = visibleNames(scenario: scope.scenario).filter { name in
                if case .letDef? = lookupSymbol(name, scenario: scope.scenario) { return true }
                if case .decision? = lookupSymbol(name, scenario: scope.scenario) { return true }
                return false
            }
            error("unknown function '\(f.text)'", src, hint: suggest(f.text, user + Checker.builtinNames))
            return .error
        }
    }

    func minMaxOfCollection(_ name: String, _ t: Typed, _ element: PType, _ src: SourceRef) -> Typed {
        guard element.isOrdered else {
            error("'\(name)' needs ordered values, not \(article(element))", src)
            return .error
        }
        let e = t.eval
        let wantMin = name == "min"
        return Typed(element) { frame in
            let xs = try e(&frame).elements
            guard var best = xs.first else {
                throw EvalError("'\(name)' of an empty collection", at: src)
            }
            for v in xs.dropFirst() where wantMin ? ValueOrder.less(v, best) : ValueOrder.less(best, v) { best = v }
            return best
        }
    }
}

/// Calendar keys for grouping and the date built-ins.
public enum Calendar {
    public static func monthKey(_ d: Int32) -> String {
        let c = CivilDate(dayNumber: Int(d))
        return "\(c.year)-\(c.month < 10 ? "0" : "")\(c.month)"
    }

    public static func quarterKey(_ d: Int32) -> String {
        let c = CivilDate(dayNumber: Int(d))
        return "\(c.year)-Q\((c.month - 1) / 3 + 1)"
    }

    public static func weekday(_ d: Int32) -> String {
        // 1970-01-01 was a Thursday.
        let names = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"]
        let i = ((Int(d) % 7) + 7) % 7
        return names[i]
    }
}

extension Checker {
    /// `sqrt(x)`, `exp(x)`, `ln(x)`, `pow(x, y)` on numbers (ints widened): a result that is
    /// not a finite number is an error that says which argument is out of the function's
    /// domain, never `nan` or `inf`.
    func mathematical(_ name: String, _ args: [Expr], _ src: SourceRef, _ scope: Scope) -> Typed {
        let count = name == "pow" ? 2 : 1
        guard args.count == count else {
            error("'\(name)' takes \(count == 1 ? "one argument" : "two arguments")", src,
                  hint: name == "pow" ? "write pow(x, y): x to the power y" : "write \(name)(x)")
            return .error
        }
        var evals: [Eval] = []
        for a in args {
            let t = expr(a, scope, expected: .number)
            guard t.type.isNumeric else {
                if t.type != .error { error("'\(name)' needs a number, not \(article(t.type))", scope.ref(a.span)) }
                return .error
            }
            evals.append(coerce(t, to: .number).eval)
        }
        @Sendable func domain(_ what: String, _ hint: String) -> EvalError { EvalError("'\(name)' of \(what)", at: src, hint: hint) }
        let x = evals[0], y = evals.count > 1 ? evals[1] : nil
        return Typed(.number) { frame in
            let a = try x(&frame).asNumber
            let r: Double
            switch name {
            case "sqrt":
                guard a >= 0 else { throw domain("a negative number (\(ValueFormatter.number(a)))", "sqrt needs x ≥ 0: guard it, as if x >= 0 then sqrt(x) else …") }
                r = a.squareRoot()
            case "ln":
                guard a > 0 else { throw domain("a number that is not positive (\(ValueFormatter.number(a)))", "ln needs x > 0: guard it, as if x > 0 then ln(x) else …") }
                r = log(a)
            case "exp":
                r = exp(a)
            default:
                let b = try y?(&frame).asNumber ?? 1
                if a < 0, b != b.rounded() {
                    throw domain("a negative number to a fractional power", "pow(x, y) with x < 0 needs a whole y")
                }
                if a == 0, b < 0 { throw domain("zero to a negative power", "that would divide by zero") }
                r = pow(a, b)
            }
            guard r.isFinite else { throw Operators.numberOverflow("'\(name)'", src) }
            return .number(r)
        }
    }
}

extension Checker {
    /// `round(x, digits)`: the number `x` rounded to `digits` decimal places (half away from
    /// zero; a negative `digits` rounds to tens, hundreds, …), a number.
    func roundToDigits(_ args: [Expr], _ src: SourceRef, _ scope: Scope) -> Typed {
        let x = expr(args[0], scope, expected: .number)
        guard x.type.isNumeric else {
            if x.type != .error { error("'round' needs a number, not \(article(x.type))", scope.ref(args[0].span)) }
            return .error
        }
        let d = require(expr(args[1], scope, expected: .int), .int, args[1], scope, what: "the digits of 'round'")
        let xe = coerce(x, to: .number).eval, de = d.eval
        return Typed(.number) { frame in
            let v = try xe(&frame).asNumber
            let digits = try de(&frame).asInt
            guard digits >= -300, digits <= 300 else {
                throw EvalError("'round' to \(digits) digits", at: src, hint: "digits run from -300 to 300")
            }
            var scale = 1.0
            for _ in 0..<abs(Int(digits)) { scale *= 10 }
            let scaled = digits >= 0 ? v * scale : v / scale
            // Past 2^53 a double has no decimals left to round.
            guard scaled.isFinite, abs(scaled) < 9e15 else { return .number(v) }
            let r = scaled.rounded(.toNearestOrAwayFromZero)
            return .number(digits >= 0 ? r / scale : r * scale)
        }
    }
}
