// A generator of random, well-typed programs with populations and queries, for comparing the
// engines with one another (SemanticDifferentialTests, and the `differential` fuzz target,
// which builds this file with the library sources). Plain Swift, no Foundation.
//
// The same seed (and the same choice bytes) gives the same program on every machine. Each
// program checks cleanly: if the checker rejects one, the generator is wrong.

/// Where the generator's choices come from: the fuzzer's bytes first (one byte a choice),
/// then a seeded SplitMix64 stream.
struct ChoiceSource {
    var state: UInt64
    var bytes: [UInt8]
    var index = 0

    init(seed: UInt64, bytes: [UInt8] = []) {
        state = seed
        self.bytes = bytes
    }

    mutating func next64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0 ..< n.
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        if index < bytes.count {
            defer { index += 1 }
            return Int(bytes[index]) % n
        }
        return Int(next64() % UInt64(n))
    }

    mutating func range(_ lo: Int, _ hi: Int) -> Int { lo + below(hi - lo + 1) }
    /// True with probability `percent` in 100.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

/// The value types the generator writes expressions of.
enum GenType: Equatable {
    case bool, int, number, date, string, juris
    case enumeration(Int)
}

struct GenField {
    var name: String
    var type: GenType
    var defaultText: String?
}

/// A `let` or a decision over one case: callable from later definitions and from queries.
struct GenDefinition {
    var name: String
    var type: GenType
    var isDecision: Bool
    var usesChance = false
    /// A let's second parameter, `x`, after the case.
    var extra: GenType? = nil
}

struct GeneratedProgram {
    var seed: UInt64
    /// How failures name it: `seed-N`, or a saved file's name.
    var name = ""
    var source: String
    /// The cases file the program reads (`cases.csv`, next to the program), if any.
    var csv: String?
    /// Its definitions and queries read only what the memo keys on.
    var memoFriendly = false
}

/// Builds one program. `risky` programs may also overflow, divide by zero or read the parent
/// of the root, so runtime errors are compared too.
struct SemanticProgramGenerator {
    var rng: ChoiceSource
    var risky = false
    /// Definitions and queries read only what the memo keys on (so it answers most queries).
    var memoFriendly = false
    /// A generated population larger than one chunk of cases.
    var big = false
    var enums: [[String]] = []                 // members of enum k (named e{k})
    var states: [String] = []
    var counties: [String] = []                // leaves and cities' parents
    var cities: [String] = []
    var allJurisdictions: [String] = []
    var agencies: [String] = []
    var fields: [GenField] = []
    var params: [(name: String, type: GenType)] = []
    var attributes: [(name: String, type: GenType)] = []
    var definitions: [GenDefinition] = []
    var plainPolicies: [String] = []           // policies without parameters
    var proposedPolicies: [String] = []        // proposed or parameterless policies enacted by events
    var parameterised: [String] = []           // policy NAME(j: jurisdiction) by j
    var events: [String] = []
    var scenarios: [String] = []
    /// Scenarios that change something (what `decompose` can split).
    var scenariosWithChanges: [String] = []
    var populations: [String] = []
    var cancelled: [String: [String]] = [:]   // per scenario, its own and its parents' cancels
    var lines: [String] = []

    init(seed: UInt64, bytes: [UInt8] = []) {
        rng = ChoiceSource(seed: seed, bytes: bytes)
    }

    static func program(seed: UInt64, bytes: [UInt8] = []) -> GeneratedProgram {
        var g = SemanticProgramGenerator(seed: seed, bytes: bytes)
        return g.generate(seed: seed)
    }

    /// The fuzz target's program: the first eight bytes are the seed, the rest the first choices.
    static func program(fuzzBytes bytes: [UInt8]) -> GeneratedProgram {
        var seed: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { seed |= UInt64(b) << (8 * UInt64(i)) }
        return program(seed: seed, bytes: Array(bytes.dropFirst(8)))
    }

    mutating func emit(_ s: String) { lines.append(s) }

    mutating func generate(seed: UInt64) -> GeneratedProgram {
        risky = rng.chance(20)
        memoFriendly = rng.chance(50)
        declareEnums()
        declareJurisdictions()
        declareRecord()
        declareParams()
        declareDefinitions()
        declarePolicies()
        declareEvents()
        declareReactions()
        declareScenarios()
        let csv = declarePopulations()
        emitQueries()
        return GeneratedProgram(seed: seed, name: "seed-\(seed)", source: lines.joined(separator: "\n") + "\n", csv: csv,
                                memoFriendly: memoFriendly)
    }

    // MARK: declarations

    mutating func declareEnums() {
        for k in 0..<rng.range(1, 3) {
            let members = (0..<rng.range(2, 4)).map { "e\(k)_\(["a", "b", "c", "d"][$0])" }
            enums.append(members)
            emit("enum e\(k) { \(members.joined(separator: ", ")) }")
        }
    }

    mutating func declareJurisdictions() {
        attributes = [("ai0", .int), ("an0", .number), ("ad0", .date)]
        if rng.chance(40) { attributes.append(("ai1", .int)) }
        let decls = attributes.map { "\($0.name): \(typeName($0.type)) = \(literal($0.type, small: true))" }
        emit("jurisdiction attributes { \(decls.joined(separator: ", ")) }")
        emit("jurisdiction usa: federal \"United States\"")
        allJurisdictions = ["usa"]
        for s in 0..<rng.range(1, 3) {
            let state = "s\(s)"
            states.append(state)
            allJurisdictions.append(state)
            emit("jurisdiction \(state): state in usa\(attributeBlock())")
            for c in 0..<rng.range(1, 3) {
                let county = "c\(s)_\(c)"
                counties.append(county)
                allJurisdictions.append(county)
                emit("jurisdiction \(county): county in \(state)\(attributeBlock())")
                if rng.chance(20) {
                    let city = "t\(s)_\(c)"
                    cities.append(city)
                    allJurisdictions.append(city)
                    emit("jurisdiction \(city): city in \(county)\(attributeBlock())")
                }
            }
        }
        for a in 0..<rng.range(0, 2) {
            agencies.append("ag\(a)")
            emit("agency ag\(a) of \(rng.pick(["usa"] + states))")
        }
    }

    /// Attribute values for one jurisdiction (`ai0` stays positive: it weights the draws).
    mutating func attributeBlock() -> String {
        var sets: [String] = []
        for (name, type) in attributes where rng.chance(50) {
            sets.append("\(name): \(name == "ai0" ? String(rng.range(1, 9)) : literal(type, small: true))")
        }
        return sets.isEmpty ? "" : " { \(sets.joined(separator: ", ")) }"
    }

    mutating func declareRecord() {
        var body = ["date: date", "jurisdiction: jurisdiction"]
        // Sometimes wider than 64 fields, the fields that matter past the 64th.
        if rng.chance(20) {
            for k in 0..<rng.range(62, 70) { body.append("w\(k): \(k % 3 == 0 ? "int = \(k)" : "bool = false")") }
        }
        var candidates: [GenType] = [.bool, .bool, .int, .int, .number, .date, .string, .juris]
        candidates += enums.indices.map { GenType.enumeration($0) }
        for (k, type) in candidates.enumerated() where rng.chance(80) || k < 3 {
            let name = "f\(k)_\(shortName(type))"
            let def: String? = rng.chance(90) ? literal(type, small: true) : nil
            fields.append(GenField(name: name, type: type, defaultText: def))
            body.append("\(name): \(typeName(type))" + (def.map { " = \($0)" } ?? ""))
        }
        emit("record rec { \(body.joined(separator: ", ")) }")
    }

    mutating func declareParams() {
        for (k, type) in [GenType.int, .number, .date, .bool].enumerated() where rng.chance(75) {
            params.append(("p\(k)", type))
            emit("param p\(k): \(typeName(type)) = \(literal(type, small: true))")
        }
    }

    mutating func declareDefinitions() {
        let combinerFor: (GenType) -> [String] = { type in
            switch type {
            case .bool: return ["most_specific", "latest", "deny_overrides", "permit_overrides"]
            case .string, .juris: return ["most_specific", "latest"]
            default: return ["most_specific", "latest", "min", "max"]
            }
        }
        let count = rng.range(2, 6)
        for k in 0..<count {
            var types: [GenType] = [.bool, .bool, .int, .number, .string, .date]
            types += enums.indices.map { GenType.enumeration($0) }
            let type = rng.pick(types)
            let isDecision = k == 0 || rng.chance(70)
            let name = (isDecision ? "d" : "l") + String(k)
            var scope = GenScope.caseDefinition(definitions: definitions.count)
            scope.ownerName = name
            // Some lets take a second argument besides the case.
            let extra: GenType? = !isDecision && rng.chance(50) ? rng.pick([GenType.int, .number, .bool, .date]) : nil
            if let extra { scope.variables = [("x", extra)] }
            let body = expr(type, &scope, depth: 3)
            if isDecision {
                var line = "decision \(name)(c: rec): \(typeName(type)) = \(body)"
                if rng.chance(60) { line += " combine \(rng.pick(combinerFor(type)))" }
                emit(line)
            } else {
                emit("let \(name)(c: rec\(extra.map { ", x: \(typeName($0))" } ?? "")): \(typeName(type)) = \(body)")
            }
            definitions.append(GenDefinition(name: name, type: type, isDecision: isDecision, usesChance: scope.usedChance,
                                             extra: extra))
        }
    }

    mutating func declarePolicies() {
        let decisions = definitions.enumerated().filter { $0.element.isDecision }
        var n = 0
        for _ in 0..<rng.range(2, 6) {
            n += 1
            let name = "pol\(n)"
            let kind = rng.below(10)
            if kind < 3 {
                let header = policyHeader(overrides: true)
                parameterised.append(name)
                emit("policy \(name)(j: jurisdiction) by j\(header) { \(rules(decisions, jVar: "j")) }")
            } else {
                let owner = rng.pick(allJurisdictions + agencies)
                let proposed = kind == 3
                var header = policyHeader(overrides: true)
                if proposed { header += " proposed"; proposedPolicies.append(name) } else { plainPolicies.append(name) }
                emit("policy \(name) by \(owner)\(header) { \(rules(decisions, jVar: nil)) }")
            }
        }
    }

    mutating func policyHeader(overrides: Bool) -> String {
        var header = ""
        if rng.chance(35) { header += " from \(dateLiteral())" }
        if rng.chance(20) { header += " until \(dateLiteral(from: 2013))" }
        let others = plainPolicies + parameterised
        if overrides, rng.chance(15), !others.isEmpty { header += " overrides \(rng.pick(others))" }
        if rng.chance(20) { header += " \"label \(rng.below(100))\"" }
        return header
    }

    /// One to three rules, for decisions chosen at random; a rule may call only decisions
    /// and lets declared before its decision (so there is no cycle).
    mutating func rules(_ decisions: [(offset: Int, element: GenDefinition)], jVar: String?) -> String {
        var out: [String] = []
        for _ in 0..<rng.range(1, 3) {
            let (index, d) = rng.pick(decisions)
            var scope = GenScope.caseDefinition(definitions: index)
            scope.jVar = jVar
            scope.ownerName = d.name
            var rule = "\(d.name)(c) = \(expr(d.type, &scope, depth: 2))"
            if rng.chance(35) { rule += " when \(expr(.bool, &scope, depth: 2))" }
            out.append(rule)
        }
        return out.joined(separator: ", ")
    }

    mutating func declareEvents() {
        for k in 0..<rng.range(1, 5) {
            let name = "ev\(k)"
            events.append(name)
            emit(eventText(name))
        }
    }

    mutating func eventText(_ name: String) -> String {
        let owner = rng.chance(50) ? " by \(rng.pick(allJurisdictions + agencies))" : ""
        let effects = (0..<rng.range(0, 3)).map { _ in effect(depth: 2, jVar: nil) }
        let body = effects.isEmpty ? "" : " { \(effects.joined(separator: ", ")) }"
        return "event \(name) on \(dateLiteral())\(owner)\(body)"
    }

    /// One effect (§4.8). `jVar` is a loop variable in scope.
    mutating func effect(depth: Int, jVar: String?) -> String {
        // Events run when the program is checked: their values stay small and plain (a value
        // that overflows there is a check error, and `set p = p * p` in a loop soon would).
        let wasRisky = risky
        risky = false
        defer { risky = wasRisky }
        var scope = GenScope.effects(jVar: jVar)
        switch rng.below(depth > 0 ? 9 : 6) {
        case 0, 1:
            if let j = jVar, !parameterised.isEmpty, rng.chance(60) { return "enact \(rng.pick(parameterised))(\(j))" + enactDates() }
            if !parameterised.isEmpty, rng.chance(50) { return "enact \(rng.pick(parameterised))(\(rng.pick(allJurisdictions)))" + enactDates() }
            if let p = (proposedPolicies + plainPolicies).randomElement(&rng) { return "enact \(p)" + enactDates() }
            return "set \(rng.pick(allJurisdictions)).ai0 = \(expr(.int, &scope, depth: 1))"
        case 2:
            let all = plainPolicies + proposedPolicies + parameterised
            if let p = all.randomElement(&rng) {
                if parameterised.contains(p), rng.chance(50) { return "repeal \(p)(\(jVar ?? rng.pick(allJurisdictions)))" }
                return "repeal \(p)"
            }
            return "set \(rng.pick(allJurisdictions)).ai0 = 1"
        case 3:
            let (name, type) = rng.pick(attributes)
            let target = jVar.map { rng.chance(70) ? $0 : rng.pick(allJurisdictions) } ?? rng.pick(allJurisdictions)
            var value = expr(type, &scope, depth: 0)
            if name == "ai0" { value = "max(1, \(value))" }  // the weights stay positive
            return "set \(target).\(name) = \(value)"
        case 4, 5:
            guard let (name, type) = params.randomElement(&rng) else { return "set \(rng.pick(allJurisdictions)).an0 = 0.5" }
            return "set \(name) = \(expr(type, &scope, depth: 0))"
        case 6:
            var inner = GenScope.effects(jVar: "j")
            let cond = expr(.bool, &inner, depth: 1)
            let body = (0..<rng.range(1, 2)).map { _ in effect(depth: depth - 1, jVar: "j") }
            return "for j in jurisdictions where \(cond) { \(body.joined(separator: ", ")) }"
        case 7:
            let unit = rng.pick(["days", "weeks", "months"])
            return "after \(rng.range(1, 40)) \(unit) { \(effect(depth: depth - 1, jVar: jVar)) }"
        default:
            let cond = expr(.bool, &scope, depth: 1)
            var text = "if \(cond) { \(effect(depth: depth - 1, jVar: jVar)) }"
            if rng.chance(50) { text += " else { \(effect(depth: depth - 1, jVar: jVar)) }" }
            return text
        }
    }

    mutating func enactDates() -> String {
        var s = ""
        if rng.chance(25) { s += " from \(dateLiteral())" }
        if rng.chance(15) { s += " until \(dateLiteral(from: 2013))" }
        return s
    }

    mutating func declareReactions() {
        for k in 0..<rng.range(0, 2) where !events.isEmpty {
            let named = rng.chance(50) ? " as r\(k)" : ""
            let body = (0..<rng.range(1, 2)).map { _ in effect(depth: 1, jVar: nil) }
            emit("when \(rng.pick(events))\(named) { \(body.joined(separator: ", ")) }")
        }
        // A condition reaction only enacts or repeals, so it cannot keep firing.
        if !parameterised.isEmpty, rng.chance(40) {
            // Sometimes a param: what the timeline reads decides which worlds may share one.
            let intParams = params.filter { $0.type == .int }.map(\.name)
            let threshold = !intParams.isEmpty && rng.chance(50) ? rng.pick(intParams) : "\(rng.range(1, 9))"
            let op = rng.pick(["<", ">=", "=="])
            let act = rng.chance(80) ? "enact" : "repeal"
            emit("when j in jurisdictions where j.kind == county and j.ai0 \(op) \(threshold) as watch { \(act) \(rng.pick(parameterised))(j) }")
        }
    }

    mutating func declareScenarios() {
        for k in 0..<rng.range(1, 3) {
            let name = "sc\(k)"
            let parent = k > 0 && rng.chance(30) ? scenarios[rng.below(scenarios.count)] : nil
            var items: [String] = []
            // Each name at most once in a scenario, and nothing its parent cancelled.
            var declared: [String] = parent.map { cancelled[$0] ?? [] } ?? []
            func fresh(_ n: String) -> Bool {
                if declared.contains(n) { return false }
                declared.append(n)
                return true
            }
            for _ in 0..<rng.range(1, 3) {
                switch rng.below(7) {
                case 6:
                    // A definition re-declared with the same type (it calls only earlier ones).
                    let k = rng.below(definitions.count)
                    let d = definitions[k]
                    guard fresh(d.name) else { break }
                    var scope = GenScope.caseDefinition(definitions: k)
                    if let extra = d.extra { scope.variables = [("x", extra)] }
                    let body = expr(d.type, &scope, depth: 2)
                    items.append(d.isDecision ? "decision \(d.name)(c: rec): \(typeName(d.type)) = \(body)"
                                              : "let \(d.name)(c: rec\(d.extra.map { ", x: \(typeName($0))" } ?? "")): \(typeName(d.type)) = \(body)")
                case 0:
                    if let (p, type) = params.randomElement(&rng), fresh(p) { items.append("param \(p) = \(literal(type, small: true))") }
                case 1:
                    if let e = events.randomElement(&rng), fresh(e) { items.append("cancel \(e)") }
                case 2:
                    if let p = (plainPolicies + parameterised).randomElement(&rng), fresh(p) { items.append("cancel \(p)") }
                case 3:
                    if let e = events.randomElement(&rng), fresh(e) { items.append(eventText(e)) }
                case 4:
                    items.append(eventText("ev_\(name)_\(items.count)"))
                default:
                    let decisions = definitions.enumerated().filter { $0.element.isDecision }
                    if let p = plainPolicies.randomElement(&rng), fresh(p) {
                        let owner = rng.pick(allJurisdictions + agencies)
                        items.append("policy \(p) by \(owner)\(policyHeader(overrides: false)) { \(rules(decisions, jVar: nil)) }")
                    }
                }
            }
            scenarios.append(name)
            if !items.isEmpty { scenariosWithChanges.append(name) }
            cancelled[name] = (parent.map { cancelled[$0] ?? [] } ?? []) + items.filter { $0.hasPrefix("cancel ") }.map { String($0.dropFirst(7)) }
            emit("scenario \(name)\(parent.map { " from \($0)" } ?? "") {")
            for item in items { emit("  \(item)") }
            emit("}")
        }
    }
}

extension Array {
    func randomElement(_ rng: inout ChoiceSource) -> Element? { isEmpty ? nil : self[rng.below(count)] }
}
