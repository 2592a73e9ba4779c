// Typed expressions for SemanticProgramGenerator: every expression it writes has the type asked
// for, in the scope it is written in (a decision's case, a query's implicit subject, an effect,
// a population's generator).

/// What an expression may read where it is written.
struct GenScope {
    enum Subject { case none, variable, implicit }
    var subject: Subject
    /// Definitions with an index below this may be called (so there is no cycle).
    var definitionLimit: Int
    var allowChance: Bool
    /// A jurisdiction variable in scope (a policy's parameter, a loop variable).
    var jVar: String?
    /// The fields that may be read (nil: all of them); for a population's generators.
    var fieldLimit: [String]?
    /// Scenarios for a per-case `under`.
    var scenarios: [String] = []
    var ownerName = ""
    var usedChance = false
    /// Named values in scope besides the case (a let's parameters).
    var variables: [(name: String, type: GenType)] = []

    static func caseDefinition(definitions: Int) -> GenScope {
        GenScope(subject: .variable, definitionLimit: definitions, allowChance: true, jVar: nil, fieldLimit: nil)
    }
    static func effects(jVar: String?) -> GenScope {
        GenScope(subject: .none, definitionLimit: 0, allowChance: false, jVar: jVar, fieldLimit: nil)
    }
    static func query(definitions: Int, scenarios: [String]) -> GenScope {
        GenScope(subject: .implicit, definitionLimit: definitions, allowChance: false, jVar: nil, fieldLimit: nil,
              scenarios: scenarios)
    }
    static func generator(fields: [String]) -> GenScope {
        GenScope(subject: .implicit, definitionLimit: 0, allowChance: false, jVar: nil, fieldLimit: fields)
    }
}

extension SemanticProgramGenerator {
    func typeName(_ t: GenType) -> String {
        switch t {
        case .bool: return "bool"
        case .int: return "int"
        case .number: return "number"
        case .date: return "date"
        case .string: return "string"
        case .juris: return "jurisdiction"
        case .enumeration(let k): return "e\(k)"
        }
    }

    func shortName(_ t: GenType) -> String {
        switch t {
        case .juris: return "j"
        case .enumeration(let k): return "e\(k)"
        default: return String(typeName(t).prefix(1))
        }
    }

    mutating func dateLiteral(from: Int = 2010) -> String {
        let y = rng.range(from, 2014), m = rng.range(1, 12), d = rng.range(1, 28)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    mutating func literal(_ t: GenType, small: Bool = false) -> String {
        switch t {
        case .bool: return rng.chance(50) ? "true" : "false"
        case .int:
            if risky, !small, rng.chance(8) { return rng.pick(["4_611_686_018_427_387_904", "9_223_372_036_854_775_807", "3_037_000_500"]) }
            return String(rng.range(small ? 0 : -3, 20))
        case .number:
            if risky, !small, rng.chance(8) { return rng.pick(["1.0e300", "9.0e18", "1.0e-300"]) }
            return rng.pick(["0.5", "2.25", "35%", "0.1", "7.5", "1.0", "12.5%", "3"])
        case .date: return dateLiteral()
        case .string: return rng.pick(["\"a\"", "\"b\"", "\"x y\"", "\"\""])
        case .juris: return rng.pick(allJurisdictions)
        case .enumeration(let k): return rng.pick(enums[k])
        }
    }

    /// The fields (with `date` and `jurisdiction`) of type `t` that `scope` may read.
    func readableFields(_ t: GenType, _ scope: GenScope) -> [String] {
        guard scope.subject != .none else { return [] }
        // A memo-friendly program reads only the fields the memo keys on (bools and enums)
        // and the case's jurisdiction; a population's generators read any field.
        if memoFriendly, scope.fieldLimit == nil {
            switch t {
            case .bool, .enumeration: return fields.filter { $0.type == t }.map(\.name)
            case .juris: return ["jurisdiction"]
            default: return []
            }
        }
        var names = fields.filter { $0.type == t }.map(\.name)
        if t == .date { names.append("date") }
        if t == .juris { names.append("jurisdiction") }
        if let limit = scope.fieldLimit { names = names.filter { limit.contains($0) } }
        return names
    }

    mutating func fieldRef(_ name: String, _ scope: GenScope) -> String {
        switch scope.subject {
        case .variable: return "c.\(name)"
        case .implicit: return scope.fieldLimit == nil && rng.chance(10) ? "it.\(name)" : name
        case .none: return name
        }
    }

    /// A jurisdiction whose attributes are read: the case's, a variable's, or a named one.
    mutating func jurisdictionRef(_ scope: inout GenScope, depth: Int) -> String {
        if let j = scope.jVar, rng.chance(50) { return j }
        if scope.subject != .none, scope.fieldLimit == nil, rng.chance(70) { return fieldRef("jurisdiction", scope) }
        return rng.pick(allJurisdictions)
    }

    mutating func leaf(_ t: GenType, _ scope: inout GenScope) -> String {
        var options: [String] = []
        let fieldNames = readableFields(t, scope)
        if let f = fieldNames.randomElement(&rng) { options += [fieldRef(f, scope), fieldRef(f, scope)] }
        if scope.subject != .none, scope.fieldLimit == nil {
            let callable = definitions.prefix(scope.definitionLimit).filter { $0.type == t }
            if let d = callable.randomElement(&rng) {
                let call: String
                if let extra = d.extra {
                    // The second argument: a field of its type where there is one, else a literal.
                    let argument = readableFields(extra, scope).randomElement(&rng).map { fieldRef($0, scope) } ?? literal(extra)
                    call = "\(d.name)(\(scope.subject == .variable ? "c" : "it"), \(argument))"
                } else {
                    switch scope.subject {
                    case .variable: call = "\(d.name)(c)"
                    default: call = rng.chance(70) ? d.name : "\(d.name)(it)"
                    }
                }
                // Queries lean on decisions: they are what the memo answers per key.
                if scope.subject == .implicit, rng.chance(50) { return call }
                options.append(call)
            }
        }
        if scope.fieldLimit == nil {
            if let p = params.filter({ $0.type == t }).randomElement(&rng) { options.append(p.name) }
            if let a = attributes.filter({ $0.type == t }).randomElement(&rng) {
                options.append("\(jurisdictionRef(&scope, depth: 0)).\(a.name)")
            }
        }
        for v in scope.variables where v.type == t { options += [v.name, v.name] }
        if t == .juris, let j = scope.jVar { options.append(j) }
        if t == .bool, scope.allowChance, rng.chance(50) {
            scope.usedChance = true
            let p = rng.pick(["30%", "0.5", "0.9", "10%"] + params.filter { $0.type == .number }.map(\.name))
            options.append(rng.chance(70) ? "chance(\(p))" : "chance(\(p), \"s\(rng.below(3))\")")
        }
        options.append(literal(t))
        return rng.pick(options)
    }

    mutating func expr(_ t: GenType, _ scope: inout GenScope, depth: Int) -> String {
        if depth <= 0 || rng.chance(30) { return leaf(t, &scope) }
        let d = depth - 1
        switch t {
        case .bool: return boolExpr(&scope, depth: d)
        case .int:
            switch rng.below(12) {
            case 0, 1: return "(\(expr(.int, &scope, depth: d)) + \(expr(.int, &scope, depth: d)))"
            case 2: return "(\(expr(.int, &scope, depth: d)) - \(expr(.int, &scope, depth: d)))"
            case 3: return "(\(expr(.int, &scope, depth: d)) * \(risky ? expr(.int, &scope, depth: d) : String(rng.range(-2, 5))))"
            case 4: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.int, &scope, depth: d)) else \(expr(.int, &scope, depth: d)))"
            case 5: return "\(rng.pick(["floor", "round", "ceil"]))(\(expr(.number, &scope, depth: d)))"
            case 6: return "\(rng.pick(["min", "max"]))(\(expr(.int, &scope, depth: d)), \(expr(.int, &scope, depth: d)))"
            case 7: return "abs(\(expr(.int, &scope, depth: d)))"
            case 8: return "year(\(expr(.date, &scope, depth: d)))"
            case 9: return "days(\(expr(.date, &scope, depth: d)) - \(expr(.date, &scope, depth: d)))"
            case 10 where scope.subject == .implicit && scope.fieldLimit == nil:
                return underOrAt(.int, &scope, depth: d)
            default: return leaf(.int, &scope)
            }
        case .number:
            switch rng.below(9) {
            case 0: return "(\(expr(.number, &scope, depth: d)) + \(expr(.int, &scope, depth: d)))"
            case 1: return "(\(expr(.number, &scope, depth: d)) - \(expr(.number, &scope, depth: d)))"
            case 2: return "(\(expr(.number, &scope, depth: d)) * \(expr(.number, &scope, depth: d)))"
            case 3:
                let divisor = risky ? expr(.int, &scope, depth: d) : rng.pick(["2", "4.0", "10", "0.5"])
                return "(\(expr(.number, &scope, depth: d)) / \(divisor))"
            case 4: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.number, &scope, depth: d)) else \(expr(.int, &scope, depth: d)))"
            case 5: return "\(rng.pick(["min", "max"]))(\(expr(.number, &scope, depth: d)), \(expr(.number, &scope, depth: d)))"
            case 6: return "abs(\(expr(.number, &scope, depth: d)))"
            case 7: return expr(.int, &scope, depth: d)
            default: return leaf(.number, &scope)
            }
        case .date:
            switch rng.below(5) {
            case 0: return "(\(expr(.date, &scope, depth: d)) + \(rng.range(0, 400)) days)"
            case 1: return "(\(expr(.date, &scope, depth: d)) - \(rng.range(1, 18)) \(rng.pick(["months", "weeks", "years"])))"
            case 2: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.date, &scope, depth: d)) else \(expr(.date, &scope, depth: d)))"
            case 3: return "\(rng.pick(["min", "max"]))(\(expr(.date, &scope, depth: d)), \(expr(.date, &scope, depth: d)))"
            default: return leaf(.date, &scope)
            }
        case .string:
            switch rng.below(5) {
            case 0: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.string, &scope, depth: d)) else \(expr(.string, &scope, depth: d)))"
            case 1: return "\(rng.pick(["month", "quarter", "weekday"]))(\(expr(.date, &scope, depth: d)))"
            case 2: return "\(expr(.juris, &scope, depth: d)).\(rng.pick(["name", "label"]))"
            default: return leaf(.string, &scope)
            }
        case .juris:
            switch rng.below(5) {
            case 0: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.juris, &scope, depth: d)) else \(expr(.juris, &scope, depth: d)))"
            case 1 where risky: return "\(expr(.juris, &scope, depth: d)).parent"
            case 2 where risky: return "ancestor(\(expr(.juris, &scope, depth: d)), state)"
            default: return leaf(.juris, &scope)
            }
        case .enumeration:
            switch rng.below(4) {
            case 0: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(t, &scope, depth: d)) else \(expr(t, &scope, depth: d)))"
            case 1: return "\(rng.pick(["min", "max"]))(\(expr(t, &scope, depth: d)), \(expr(t, &scope, depth: d)))"
            default: return leaf(t, &scope)
            }
        }
    }

    mutating func boolExpr(_ scope: inout GenScope, depth d: Int) -> String {
        switch rng.below(13) {
        case 0, 1: return "(\(expr(.bool, &scope, depth: d)) and \(expr(.bool, &scope, depth: d)))"
        case 2: return "(\(expr(.bool, &scope, depth: d)) or \(expr(.bool, &scope, depth: d)))"
        case 3: return "(not \(expr(.bool, &scope, depth: d)))"
        case 4, 5:
            let a = rng.chance(50) ? GenType.int : .number, b = rng.chance(50) ? GenType.int : .number
            return "(\(expr(a, &scope, depth: d)) \(rng.pick(["<", "<=", ">", ">=", "==", "!="])) \(expr(b, &scope, depth: d)))"
        case 6: return "(\(expr(.date, &scope, depth: d)) \(rng.pick(["<", ">=", "=="])) \(expr(.date, &scope, depth: d)))"
        case 7:
            guard !enums.isEmpty else { return leaf(.bool, &scope) }
            let k = rng.below(enums.count)
            if rng.chance(50) {
                let members = enums[k].filter { _ in rng.chance(50) }
                return "(\(expr(.enumeration(k), &scope, depth: d)) in {\((members.isEmpty ? [enums[k][0]] : members).joined(separator: ", "))})"
            }
            return "(\(expr(.enumeration(k), &scope, depth: d)) \(rng.pick(["==", "!=", "<", ">="])) \(expr(.enumeration(k), &scope, depth: d)))"
        case 8: return "(\(expr(.string, &scope, depth: d)) \(rng.pick(["==", "!=", "<"])) \(expr(.string, &scope, depth: d)))"
        case 9:
            let j = expr(.juris, &scope, depth: d)
            return rng.chance(60) ? "(\(j) within \(rng.pick(allJurisdictions)))" : "(\(j) \(rng.pick(["==", "!="])) \(expr(.juris, &scope, depth: d)))"
        case 10: return "(\(jurisdictionRef(&scope, depth: d)).kind \(rng.pick(["==", "!="])) \(rng.pick(cities.isEmpty ? ["county", "state"] : ["county", "city", "state"])))"
        case 11: return "(if \(expr(.bool, &scope, depth: d)) then \(expr(.bool, &scope, depth: d)) else \(expr(.bool, &scope, depth: d)))"
        default:
            if scope.subject == .implicit, scope.fieldLimit == nil { return underOrAt(.bool, &scope, depth: d) }
            return leaf(.bool, &scope)
        }
    }

    /// A per-case `under` (in a query) or an attribute read `at` a date.
    mutating func underOrAt(_ t: GenType, _ scope: inout GenScope, depth d: Int) -> String {
        if let s = scope.scenarios.randomElement(&rng), rng.chance(70) {
            return "(\(expr(t, &scope, depth: d)) under \(s))"
        }
        if t == .int { return "(\(jurisdictionRef(&scope, depth: d)).ai0 at \(dateLiteral()))" }
        return "(\(expr(t, &scope, depth: d)) at \(dateLiteral()))"
    }
}
