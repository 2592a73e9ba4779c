// Test support: a seeded generator of random VALID Policy programs (as text).
//
// Every construct of Grammar/policy.ebnf is produced: all declarations, effects, statements
// and expression forms, with comments, doc comments, blank lines, optional line breaks and
// uneven spacing that `policy fmt` must normalise. The generator parenthesises wherever the
// grammar requires it (precedence, no chained comparisons, no record literal before a block,
// no top-level `under`/`at` in statement clauses), so every program must parse cleanly.
//
// Deterministic: the same seed gives the same text on every machine (SplitMix64, our own).

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and fully determined by its seed.
struct GenRandom {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }

    /// true with probability p.
    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(UInt64(1) << 53) < p
    }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Binding levels of generated expressions, loosest first (LANGUAGE.md §6). A subexpression
/// whose level is below what its position needs is wrapped in parentheses.
enum GenLevel {
    static let underAt = 0
    static let ifExpr = 1
    static let or = 2
    static let and = 3
    static let not = 4
    static let comparison = 5
    static let additive = 6
    static let term = 7
    static let unary = 8
    static let postfix = 9
}

/// Generates random valid programs. `ProgramGenerator.program(seed:)` is the entry point.
struct ProgramGenerator {
    // MARK: Known-bug switches (see the report in GeneratedProgramTests.swift).

    // Three constructs once tripped the formatter or parser and are generated again since
    // the fixes: keyword field names at a line boundary (`at`/`under` heading an item,
    // `x.under` ending one — fmt now keeps a comma, and the lexer treats a keyword after `.`
    // as a name); a `##` after code (fmt no longer lets it become a doc comment); and a
    // declaration that starts mid-line under a `##` (only a declaration starting its own
    // line takes a doc). Each switch stays so the construct can be isolated when hunting.
    static let genIncludeKnownBugKeywordFieldAtLineBoundary = true
    static let genIncludeKnownBugDoubleHashCommentAfterCode = true
    static let genIncludeKnownBugDeclarationMidLine = true

    // MARK: State

    var rng: GenRandom
    /// Expression depth budget.
    let maxDepth: Int
    /// Current indentation (only for looks; the formatter normalises it).
    var indent = 0
    /// Use CRLF line endings for this program.
    var crlf = false

    init(seed: UInt64, maxDepth: Int? = nil) {
        var rng = GenRandom(seed: seed)
        let depths = [2, 3, 3, 3, 4]
        self.maxDepth = maxDepth ?? depths[rng.below(depths.count)]
        self.rng = rng
    }

    static func program(seed: UInt64) -> String {
        var g = ProgramGenerator(seed: seed)
        return g.program()
    }

    // MARK: Pools

    /// Ordinary names: no keywords, no contextual words (size seed uniform weighted to list),
    /// no duration units.
    static let names = [
        "a", "b", "c", "x", "y", "z", "j", "k", "cook", "usa", "illinois", "los_angeles",
        "booking", "charge", "outcome", "detainer", "honored", "serious", "cutoff", "discretion",
        "bookings", "baseline", "early_trust_act", "it", "trust", "admissions", "circuit",
        "n1", "foo_bar", "_tmp", "X2", "CamelCase", "kind", "date", "bool", "felony", "ice",
        "state", "county", "federal", "a_1_b", "Q", "count_x", "v9",
    ]
    static let recordNames = ["booking", "case_", "Arrest", "r1", "person"]
    static let scenarioNames = ["baseline", "early", "narrow", "s1", "s2", "no_rescission", "What_if"]
    static let populationNames = ["bookings", "recorded", "pop", "people", "sample_1"]
    static let functionNames = [
        "min", "max", "abs", "round", "floor", "ceil", "year", "month", "quarter", "weekday",
        "days", "ancestor", "chance", "count", "share", "sum", "mean", "serious", "outcome",
        "detainer", "f", "g_2",
    ]
    static let keywords = [
        "after", "agency", "and", "as", "assert", "at", "attributes", "by", "cancel", "combine",
        "compare", "decision", "else", "enact", "enum", "event", "explain", "false", "for", "from",
        "if", "in", "include", "jurisdiction", "jurisdictions", "let", "not", "of", "on", "or",
        "overrides", "param", "plot", "policy", "population", "proposed", "record", "repeal",
        "scenario", "set", "status", "table", "test", "then", "timeline", "true", "under", "until",
        "when", "where", "with", "within",
    ]
    /// Keywords in newline rule b's list: at the end of a line they continue it, even as a
    /// field name after `.`.
    static let continuationKeywords = ["and", "or", "in", "within", "not", "under", "at", "with", "then", "else"]
    static let combiners = ["most_specific", "latest", "deny_overrides", "permit_overrides", "min", "max"]
    static let units = ["day", "days", "week", "weeks", "month", "months", "year", "years"]

    mutating func name() -> String { rng.pick(Self.names) }
    mutating func scenario() -> String { rng.pick(Self.scenarioNames) }
    mutating func population() -> String { rng.pick(Self.populationNames) }

    /// A field name: any identifier or keyword.
    mutating func fieldName() -> String {
        rng.chance(0.35) ? rng.pick(Self.keywords) : name()
    }

    /// A field name that is safe at the start of a line in a block (not `at`/`under`).
    mutating func lineSafeFieldName() -> String {
        while true {
            let f = fieldName()
            if f != "at", f != "under" { return f }
        }
    }

    // MARK: Whitespace, line breaks, comments

    var newline: String { crlf ? "\r\n" : "\n" }

    /// Mandatory blank(s) between two tokens.
    mutating func ws() -> String {
        switch rng.below(12) {
        case 0: return "  "
        case 1: return "\t"
        case 2: return "   "
        default: return " "
        }
    }

    /// Optional blank next to punctuation.
    mutating func ows() -> String {
        switch rng.below(6) {
        case 0, 1: return " "
        case 2: return "  "
        default: return ""
        }
    }

    var pad: String { String(repeating: "  ", count: indent) }

    static let commentWords = [
        "note", "TODO", "see §4.8", "é ü 中文", "\"quoted\"", "a # hash", "x ## y", "{ brace",
        "under at where", "100%", "\\n not an escape", "", "--", "fmt: keep",
    ]

    /// Comment text starting with a single `#` (never `##`).
    mutating func commentText() -> String {
        let words = (0..<rng.int(0...3)).map { _ in rng.pick(Self.commentWords) }
        let body = words.joined(separator: " ")
        return rng.chance(0.15) ? "#" + (body.hasPrefix("#") ? " " + body : body) : "# " + body
    }

    /// A line break that a rule of §2 drops (after an operator, comma, `then`…), sometimes
    /// with a trailing comment or own-line comments and blank lines, then indentation.
    mutating func softBreak() -> String {
        var s = ""
        if rng.chance(0.2) {
            let hash = Self.genIncludeKnownBugDoubleHashCommentAfterCode && rng.chance(0.2) ? "#" : ""
            s += " " + hash + commentText()
        }
        s += newline
        if rng.chance(0.15) { s += newline }
        if rng.chance(0.15) { s += pad + "  " + commentText() + newline }
        return s + pad + "    "
    }

    /// Usually a blank, sometimes a dropped line break (only where the token before or
    /// after the break allows it).
    mutating func wsOrBreak(_ p: Double = 0.08) -> String {
        rng.chance(p) ? softBreak() : ws()
    }

    // MARK: Literals

    mutating func intLiteral() -> String {
        switch rng.below(8) {
        case 0: return "1_000_000"
        case 1: return "\(rng.int(1...99))_\(rng.int(100...999))"
        case 2: return "12_34"
        case 3: return "0"
        case 4: return "\(rng.int(1000...999_999))"
        default: return "\(rng.int(1...500))"
        }
    }

    mutating func numberLiteral() -> String {
        rng.pick(["0.35", "1.5e3", "2e-4", "1_000.5", "3.0E+2", "0.0", "12.75", "1e2", "7.000_1"])
    }

    mutating func percentLiteral() -> String {
        rng.pick(["8%", "12.5%", "100%", "0.5%", "70%", "1_0%", "1e1%", "0%"])
    }

    mutating func dateLiteral() -> String {
        let year = rng.int(1800...2299)
        let month = rng.int(1...12)
        let maxDay: Int
        switch month {
        case 2: maxDay = (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: maxDay = 30
        default: maxDay = 31
        }
        let day = rng.int(1...maxDay)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    mutating func durationLiteral() -> String {
        let n = rng.chance(0.1) ? "1_000" : "\(rng.int(0...40))"
        let blank = rng.pick([" ", " ", "  ", "\t", " \t"])
        return n + blank + rng.pick(Self.units)
    }

    static let stringPieces = [
        "abc", "Cook County", "\\\"", "\\\\", "\\n", "\\t", "\\u{E9}", "\\u{1F600}", "\\u{41}",
        "\\u{0}", "\\u{7f}", "é", "中文", "# not a comment", "'", "%", "{", "}", " ", "a\\\"b",
        "under", "data/bookings.csv",
    ]

    mutating func stringLiteral() -> String {
        let pieces = (0..<rng.int(0...4)).map { _ in rng.pick(Self.stringPieces) }
        return "\"" + pieces.joined() + "\""
    }

    mutating func literal() -> String {
        switch rng.below(10) {
        case 0, 1: return intLiteral()
        case 2: return numberLiteral()
        case 3: return percentLiteral()
        case 4: return dateLiteral()
        case 5: return durationLiteral()
        case 6, 7: return stringLiteral()
        case 8: return "true"
        default: return "false"
        }
    }

    // MARK: Expressions

    /// An expression whose level is at least `min`; parenthesised when it is not.
    /// `noRec`: a `{` may follow, so a record literal at this level needs parentheses.
    /// `open`: no binary operator, `.` or `with` follows, so an `if` may stand bare as the
    /// rightmost operand (`1 + if c then 1 else 2`): its `else` reaches to the end anyway.
    mutating func expr(_ depth: Int, min: Int = GenLevel.underAt, noRec: Bool = false, open: Bool = true) -> String {
        let (text, level) = rawExpr(depth, noRec: noRec, open: open)
        return level >= min ? text : paren(text)
    }

    /// An operand of a prefix or binary operator at `min`; when `open`, sometimes a bare `if`.
    mutating func operand(_ d: Int, min: Int, noRec: Bool, open: Bool) -> String {
        if open, d > 0, rng.chance(0.08) { return ifExpr(d - 1, noRec: noRec, open: true) }
        return expr(d, min: min, noRec: noRec, open: open)
    }

    mutating func paren(_ inner: String) -> String {
        let open = rng.chance(0.05) ? "(" + softBreak() : "(" + ows()
        let close = rng.chance(0.05) ? softBreak() + ")" : ows() + ")"
        return open + inner + close
    }

    mutating func atom() -> (String, Int) {
        switch rng.below(10) {
        case 0 ... 4: return (literal(), GenLevel.postfix)
        case 5: return ("jurisdiction", GenLevel.postfix)
        default: return (name(), GenLevel.postfix)
        }
    }

    mutating func rawExpr(_ depth: Int, noRec: Bool, open: Bool = true) -> (String, Int) {
        if depth <= 0 || rng.chance(0.2) { return atom() }
        let d = depth - 1
        switch rng.below(30) {
        case 0, 1:
            return atom()
        case 2, 3:
            return (call(d), GenLevel.postfix)
        case 4, 5:
            // member access, keyword fields included: b.jurisdiction, j.date, x.from
            let base = expr(d, min: GenLevel.postfix, noRec: noRec, open: false)
            let dot = rng.chance(0.05) ? "." + softBreak() : ows() + "." + ows()
            let field = fieldName()
            if !Self.genIncludeKnownBugKeywordFieldAtLineBoundary, Self.continuationKeywords.contains(field) {
                return (paren(base + dot + field), GenLevel.postfix)
            }
            return (base + dot + field, GenLevel.postfix)
        case 6:
            let base = expr(d, min: GenLevel.postfix, noRec: noRec, open: false)
            return (base + ws() + "with" + ws() + fieldInits(d), GenLevel.postfix)
        case 7:
            let lit = rng.pick(Self.recordNames) + ows() + fieldInits(d)
            return noRec ? (paren(lit), GenLevel.postfix) : (lit, GenLevel.postfix)
        case 8:
            return (setLiteral(d), GenLevel.postfix)
        case 9:
            return (listLiteral(d), GenLevel.postfix)
        case 10:
            return ("-" + ows() + operand(d, min: GenLevel.unary, noRec: noRec, open: open), GenLevel.unary)
        case 11:
            let brk = rng.chance(0.05) ? softBreak() : ws()
            return ("not" + brk + operand(d, min: GenLevel.not, noRec: noRec, open: open), GenLevel.not)
        case 12 ... 21:
            return binary(d, noRec: noRec, open: open)
        case 22, 23:
            return (ifExpr(d, noRec: noRec, open: open), GenLevel.ifExpr)
        case 24, 25:
            let lhs = expr(d, min: GenLevel.underAt, noRec: noRec)
            let before = rng.chance(0.08) ? softBreak() : ws()
            return (lhs + before + "under" + wsOrBreak() + scenario(), GenLevel.underAt)
        case 26, 27:
            let lhs = expr(d, min: GenLevel.underAt, noRec: noRec)
            let before = rng.chance(0.08) ? softBreak() : ws()
            return (lhs + before + "at" + wsOrBreak() + expr(d, min: GenLevel.additive, noRec: noRec, open: open), GenLevel.underAt)
        default:
            return (paren(expr(d)), GenLevel.postfix)
        }
    }

    static let binaryOperators: [(String, Int)] = [
        ("or", GenLevel.or), ("and", GenLevel.and),
        ("==", GenLevel.comparison), ("!=", GenLevel.comparison), ("<", GenLevel.comparison),
        ("<=", GenLevel.comparison), (">", GenLevel.comparison), (">=", GenLevel.comparison),
        ("in", GenLevel.comparison), ("within", GenLevel.comparison),
        ("+", GenLevel.additive), ("-", GenLevel.additive),
        ("*", GenLevel.term), ("/", GenLevel.term),
    ]

    mutating func binary(_ d: Int, noRec: Bool, open: Bool) -> (String, Int) {
        let (op, level) = rng.pick(Self.binaryOperators)
        // Left-associative; comparisons do not chain, so neither side may be a comparison.
        let lhsMin = level == GenLevel.comparison ? GenLevel.additive : level
        let rhsMin = level == GenLevel.comparison ? GenLevel.additive : level + 1
        let lhs = expr(d, min: lhsMin, noRec: noRec, open: false)
        let rhs = operand(d, min: rhsMin, noRec: noRec, open: open)
        return (lhs + ws() + op + wsOrBreak() + rhs, level)
    }

    mutating func ifExpr(_ d: Int, noRec: Bool, open: Bool = true) -> String {
        let c = expr(d, noRec: noRec)
        let t = expr(d, noRec: noRec)
        // the else branch is an if_expr: no top-level under/at
        let e: String
        if rng.chance(0.3) {
            e = ifExpr(max(0, d - 1), noRec: noRec, open: open) // else if chain
        } else {
            e = expr(d, min: GenLevel.ifExpr, noRec: noRec, open: open)
        }
        let beforeThen = rng.chance(0.06) ? softBreak() : ws()
        let beforeElse = rng.chance(0.1) ? softBreak() : ws()
        return "if" + ws() + c + beforeThen + "then" + wsOrBreak() + t + beforeElse + "else" + wsOrBreak() + e
    }

    /// `f(args)`, `count(pop where cond)`, trailing commas, breaks after commas.
    mutating func call(_ d: Int) -> String {
        let f = rng.pick(Self.functionNames)
        let n = rng.int(0...3)
        var args = (0..<n).map { _ in expr(d) }
        if n > 0, rng.chance(0.3) {
            args[0] += ws() + "where" + wsOrBreak() + expr(d)
        }
        return f + "(" + ows() + commaList(args) + ows() + ")"
    }

    /// Elements joined by commas; inside brackets a break may follow a comma; sometimes a
    /// trailing comma.
    mutating func commaList(_ items: [String]) -> String {
        var s = ""
        for (i, item) in items.enumerated() {
            if i > 0 { s += "," + (rng.chance(0.1) ? softBreak() : ows()) }
            s += item
        }
        if !items.isEmpty, rng.chance(0.1) { s += "," }
        return s
    }

    mutating func setLiteral(_ d: Int) -> String {
        let items = (0..<rng.int(0...3)).map { _ in expr(d) }
        return "{" + ows() + commaList(items) + ows() + "}"
    }

    mutating func listLiteral(_ d: Int) -> String {
        let items = (0..<rng.int(0...3)).map { _ in expr(d) }
        return "[" + ows() + commaList(items) + ows() + "]"
    }

    /// `{ field: value, … }` (record literals, `with`, attributes, categorical generators).
    mutating func fieldInits(_ d: Int) -> String {
        var items: [(String, Bool)] = []
        for _ in 0..<rng.int(0...3) {
            let f = fieldName()
            let colon = ows() + ":" + (rng.chance(0.03) ? softBreak() : ws())
            items.append((f + colon + expr(d), f == "at" || f == "under"))
        }
        return block(items, inlineBias: 0.8)
    }

    // MARK: Blocks

    /// `{ items }` with separators that are newlines, commas or both, extra separators,
    /// comments and blank lines. An item flagged `true` starts with `at`/`under` and must
    /// follow a comma (at the start of a line, rule c would join it to the item before).
    /// `ownLines`: every item starts its own line (no `{ a, b }`, no `, b` on a line).
    mutating func block(_ items: [(String, Bool)], inlineBias: Double = 0.4, ownLines: Bool = false) -> String {
        if items.isEmpty {
            return rng.pick(["{}", "{ }", "{" + newline + pad + "}", "{ , }"])
        }
        // `##` lines must start their line (see genIncludeKnownBugDoubleHashCommentAfterCode)
        let hasDoc = !Self.genIncludeKnownBugDoubleHashCommentAfterCode && items.contains { $0.0.hasPrefix("##") }
        if !hasDoc, !ownLines, rng.chance(inlineBias) {
            var s = "{" + ows()
            if rng.chance(0.05) { s += "," + ows() }
            for (i, item) in items.enumerated() {
                if i > 0 { s += "," + ows() + (rng.chance(0.05) ? "," + ows() : "") }
                s += item.0
            }
            if rng.chance(0.15) { s += "," }
            return s + ows() + "}"
        }
        var s = "{"
        if rng.chance(0.2) { s += ws() + commentText() }
        s += newline
        let inner = pad + "  "
        s += inner
        for (i, item) in items.enumerated() {
            if i > 0 {
                // a trailing comment may end the previous item's line
                let comment = rng.chance(0.15) ? ws() + commentText() : ""
                var seps = ["," + comment + newline + inner,
                            comment + newline + inner + "," + ows(),
                            comment + newline + inner + commentText() + newline + inner + "," + ows()]
                if comment.isEmpty { seps += ["," + ows(), "," + ows() + "," + ows()] }
                if ownLines || (!Self.genIncludeKnownBugDoubleHashCommentAfterCode && item.0.hasPrefix("##")) {
                    seps = [comment + newline + inner, "," + comment + newline + inner]
                } else if !item.1 {
                    seps += [comment + newline + inner, comment + newline + newline + inner,
                             comment + newline + inner + commentText() + newline + inner,
                             "," + comment + newline + newline + inner]
                }
                s += rng.pick(seps)
            }
            s += item.0
        }
        if rng.chance(0.2) { s += "," }
        if rng.chance(0.15) { s += ws() + commentText() }
        if rng.chance(0.2) { s += newline + inner + commentText() }
        return s + newline + pad + "}"
    }

    mutating func nested<T>(_ body: (inout ProgramGenerator) -> T) -> T {
        indent += 1
        defer { indent -= 1 }
        return body(&self)
    }

    // MARK: Types and parameters

    mutating func typeExpr(_ depth: Int = 2) -> String {
        if depth > 0, rng.chance(0.25) {
            return (rng.chance(0.5) ? "set" : "list") + ws() + "of" + ws() + typeExpr(depth - 1)
        }
        return rng.pick(["bool", "int", "number", "string", "date", "duration", "kind", "jurisdiction",
                         "charge", "booking", "outcome"])
    }

    mutating func parameters(min: Int = 0) -> String {
        let ps = (0..<rng.int(min...3)).map { _ in name() + ows() + ":" + ows() + typeExpr() }
        return "(" + ows() + commaList(ps) + ows() + ")"
    }

    mutating func ref() -> String {
        let n = name()
        if rng.chance(0.5) { return n }
        let args = (0..<rng.int(0...2)).map { _ in expr(1) }
        return n + "(" + commaList(args) + ")"
    }

    // MARK: Declarations

    mutating func fieldDecls() -> String {
        var items: [(String, Bool)] = []
        if rng.chance(0.6) { items.append(("date" + ows() + ":" + ws() + "date", false)) }
        if rng.chance(0.6) { items.append(("jurisdiction" + ows() + ":" + ws() + "jurisdiction", false)) }
        for _ in 0..<rng.int(0...3) {
            let f = Self.genIncludeKnownBugKeywordFieldAtLineBoundary ? fieldName() : lineSafeFieldName()
            var s = f + ows() + ":" + ws() + typeExpr()
            if rng.chance(0.6) { s += ws() + "=" + wsOrBreak() + nested { $0.expr(2) } }
            items.append((s, f == "at" || f == "under"))
        }
        return nested { $0.block(items.shuffledBy(&$0.rng)) }
    }

    /// Jurisdiction attribute values and categorical generators: field inits whose items
    /// the formatter may write one per line.
    mutating func lineFieldInits(_ d: Int) -> String {
        var items: [(String, Bool)] = []
        for _ in 0..<rng.int(0...3) {
            let f = Self.genIncludeKnownBugKeywordFieldAtLineBoundary ? fieldName() : lineSafeFieldName()
            items.append((f + ows() + ":" + ws() + expr(d), f == "at" || f == "under"))
        }
        return nested { $0.block(items) }
    }

    mutating func label() -> String { stringLiteral() }

    mutating func enumDecl() -> String {
        let members = (0..<rng.int(0...5)).map { _ in (name(), false) }
        return "enum" + ws() + name() + ws() + nested { $0.block(members) }
    }

    mutating func attributesDecl() -> String {
        "jurisdiction" + ws() + "attributes" + ws() + fieldDecls()
    }

    mutating func jurisdictionDecl() -> String {
        var s = "jurisdiction" + ws() + name() + ows() + ":" + ws() + name()
        if rng.chance(0.6) { s += ws() + "in" + ws() + name() }
        if rng.chance(0.5) { s += ws() + label() }
        if rng.chance(0.4) { s += ws() + lineFieldInits(2) }
        return s
    }

    mutating func recordDecl() -> String {
        "record" + ws() + rng.pick(Self.recordNames) + ws() + fieldDecls()
    }

    mutating func paramDecl() -> String {
        var s = "param" + ws() + name()
        if rng.chance(0.6) { s += ows() + ":" + ws() + typeExpr() }
        return s + ws() + "=" + wsOrBreak() + expr(maxDepth)
    }

    mutating func letDecl() -> String {
        var s = "let" + ws() + name()
        if rng.chance(0.6) { s += parameters() }
        if rng.chance(0.5) { s += ows() + ":" + ws() + typeExpr() }
        return s + ws() + "=" + wsOrBreak() + expr(maxDepth)
    }

    mutating func decisionDecl() -> String {
        var s = "decision" + ws() + name() + parameters(min: 1) + ows() + ":" + ws() + typeExpr()
        s += ws() + "=" + wsOrBreak() + (rng.chance(0.35) ? ifChain() : expr(maxDepth))
        if rng.chance(0.5) {
            s += (rng.chance(0.3) ? newline + pad + "  " : ws()) + "combine" + ws() + rng.pick(Self.combiners)
        }
        return s
    }

    /// `if a then x else if b then y else z`, the shape the formatter writes one branch per line.
    mutating func ifChain() -> String {
        var s = "if" + ws() + expr(2) + ws() + "then" + ws() + expr(2)
        for _ in 0..<rng.int(1...3) {
            s += (rng.chance(0.4) ? newline + pad + "  " : ws()) + "else" + ws() + "if" + ws()
                + expr(2) + ws() + "then" + ws() + expr(2)
        }
        return s + (rng.chance(0.4) ? newline + pad + "  " : ws()) + "else" + ws() + expr(2, min: GenLevel.ifExpr)
    }

    mutating func policyDecl() -> String {
        var s = "policy" + ws() + name()
        if rng.chance(0.4) { s += parameters() }
        s += (rng.chance(0.1) ? newline + pad + "  " : ws()) + "by" + ws() + name()
        var clauses: [String] = []
        if rng.chance(0.5) { clauses.append((rng.chance(0.2) ? newline + pad + "  " : ws()) + "from" + ws() + expr(2, noRec: true)) }
        if rng.chance(0.4) { clauses.append((rng.chance(0.2) ? newline + pad + "  " : ws()) + "until" + ws() + expr(2, noRec: true)) }
        if rng.chance(0.3) { clauses.append(ws() + "proposed") }
        if rng.chance(0.3) {
            let refs = (0..<rng.int(1...3)).map { _ in ref() }
            clauses.append(ws() + "overrides" + ws() + refs.joined(separator: "," + ows()))
        }
        if rng.chance(0.4) { clauses.append(ws() + label()) }
        s += clauses.shuffledBy(&rng).joined()
        let rules = (0..<rng.int(0...3)).map { _ in (nested { $0.rule() }, false) }
        return s + ws() + nested { $0.block(rules) }
    }

    mutating func rule() -> String {
        var s = name() + ows() + "(" + ows() + name() + ows() + ")" + ws() + "=" + wsOrBreak()
        s += rng.chance(0.25) ? ifChainOneLine() : expr(maxDepth)
        if rng.chance(0.4) { s += ws() + "when" + ws() + expr(2) }
        return s
    }

    /// An if-chain on one line (a rule's value; its `when` guard follows on the same line).
    mutating func ifChainOneLine() -> String {
        var s = "if " + expr(1) + " then " + expr(1)
        for _ in 0..<rng.int(1...2) { s += " else if " + expr(1) + " then " + expr(1) }
        return s + " else " + expr(1, min: GenLevel.ifExpr)
    }

    mutating func eventDecl() -> String {
        var s = "event" + ws() + name() + ws() + "on" + ws() + expr(2, noRec: true)
        if rng.chance(0.5) { s += (rng.chance(0.15) ? newline + pad + "  " : ws()) + "by" + ws() + name() }
        if rng.chance(0.5) { s += ws() + label() }
        if rng.chance(0.7) { s += ws() + effectBlock(2) }
        return s
    }

    mutating func reaction() -> String {
        var s = "when" + ws()
        if rng.chance(0.5) {
            s += name()
        } else {
            s += name() + ws() + "in" + ws() + "jurisdictions" + (rng.chance(0.15) ? newline + pad + "  " : ws())
                + "where" + ws() + expr(2, noRec: true)
        }
        if rng.chance(0.5) { s += ws() + "as" + ws() + name() }
        return s + ws() + effectBlock(2)
    }

    mutating func scenarioDecl() -> String {
        var s = "scenario" + ws() + scenario()
        var clauses: [String] = []
        if rng.chance(0.5) { clauses.append(ws() + "from" + ws() + scenario()) }
        if rng.chance(0.5) { clauses.append(ws() + label()) }
        s += clauses.shuffledBy(&rng).joined()
        var items: [(String, Bool)] = []
        for _ in 0..<rng.int(0...5) {
            if rng.chance(0.3) {
                items.append(("cancel" + ws() + ref(), false))
            } else {
                items.append((nested { $0.withDoc($0.declaration(inScenario: true)) }, false))
            }
        }
        return s + ws() + nested {
            $0.block(items, inlineBias: 0.1, ownLines: !Self.genIncludeKnownBugDeclarationMidLine)
        }
    }

    mutating func populationDecl() -> String {
        var s = "population" + ws() + population() + ws() + "of" + ws() + rng.pick(Self.recordNames)
        if rng.chance(0.3) { s += ws() + "from" + ws() + "\"data/bookings.csv\"" }
        if rng.chance(0.8) {
            var items: [(String, Bool)] = []
            for _ in 0..<rng.int(0...7) { items.append(nested { $0.populationItem() }) }
            s += ws() + nested { $0.block(items, inlineBias: 0.15) }
        }
        return s
    }

    mutating func populationItem() -> (String, Bool) {
        switch rng.below(9) {
        case 0, 1:
            // a setting; its value must not start with `{` (that would be a generator)
            var e = expr(2)
            if e.hasPrefix("{") { e = "(" + e + ")" }
            return (rng.pick(["size", "seed"]) + ws() + e, false)
        default: break
        }
        var head: String
        switch rng.below(10) {
        case 0: head = rng.pick(["size", "seed"]) // a field named size/seed: only generator forms
        case 1, 2: head = rng.pick(["date", "jurisdiction", "charge", "convicted"])
        default: head = Self.genIncludeKnownBugKeywordFieldAtLineBoundary ? fieldName() : lineSafeFieldName()
        }
        let isSizeSeed = head == "size" || head == "seed"
        var s = head + ws()
        switch rng.below(isSizeSeed ? 4 : 5) {
        case 0: s += "uniform" + ws() + expr(2) + ws() + ".." + wsOrBreak() + expr(2)
        case 1: s += lineFieldInits(1)
        case 2: s += "weighted" + ws() + "by" + ws() + fieldName()
        case 3: s += "=" + wsOrBreak() + expr(2)
        default:
            // probability: an expression that does not start with `{`
            var e = expr(2)
            if e.hasPrefix("{") { e = "(" + e + ")" }
            s += e
        }
        if rng.chance(0.3) { s += ws() + "when" + ws() + expr(2) }
        return (s, head == "at" || head == "under")
    }

    // MARK: Effects

    mutating func effectBlock(_ depth: Int) -> String {
        let effects = (0..<rng.int(0...3)).map { _ in (nested { $0.effect(depth) }, false) }
        return nested { $0.block(effects) }
    }

    mutating func effect(_ depth: Int) -> String {
        let k = depth > 0 ? rng.below(9) : rng.below(4)
        switch k {
        case 0, 1:
            var s = "enact" + ws() + ref()
            var clauses: [String] = []
            if rng.chance(0.5) { clauses.append((rng.chance(0.1) ? newline + pad + "    " : ws()) + "from" + ws() + expr(2, noRec: true)) }
            if rng.chance(0.4) { clauses.append((rng.chance(0.1) ? newline + pad + "    " : ws()) + "until" + ws() + expr(2, noRec: true)) }
            s += clauses.shuffledBy(&rng).joined()
            return s
        case 2:
            return "repeal" + ws() + ref()
        case 3:
            let target: String
            switch rng.below(3) {
            case 0: target = name()
            case 1: target = name() + "." + fieldName()
            default: target = name() + ows() + "." + ows() + "jurisdiction"
            }
            return "set" + ws() + target + ws() + "=" + wsOrBreak() + expr(2)
        case 4, 5:
            var s = "for" + ws() + name() + ws() + "in" + ws() + "jurisdictions"
            if rng.chance(0.7) {
                s += (rng.chance(0.1) ? newline + pad + "    " : ws()) + "where" + ws() + expr(2, noRec: true)
            }
            return s + ws() + effectBlock(depth - 1)
        case 6:
            let delay = rng.chance(0.6) ? durationLiteral() : expr(2, noRec: true)
            return "after" + ws() + delay + ws() + effectBlock(depth - 1)
        default:
            return ifEffect(depth)
        }
    }

    mutating func ifEffect(_ depth: Int) -> String {
        var s = "if" + ws() + expr(2, noRec: true) + ws() + effectBlock(depth - 1)
        if rng.chance(0.6) {
            s += (rng.chance(0.2) ? newline + pad : ws()) + "else" + ws()
            s += rng.chance(0.5) ? ifEffect(depth - 1 < 0 ? 0 : depth - 1) : effectBlock(depth - 1)
        }
        return s
    }

    // MARK: Statements

    /// A clause expression: no top-level `under` or `at`.
    mutating func clauseExpr(_ d: Int = 2) -> String { expr(d, min: GenLevel.ifExpr) }

    mutating func clauseList(_ n: ClosedRange<Int>, aggregates: Bool) -> String {
        let items = (0..<rng.int(n)).map { _ -> String in
            if aggregates, rng.chance(0.5) {
                return rng.pick(["count", "outcome", "count(" + clauseExpr(1) + ")", "share(" + expr(1) + ")",
                                 "sum(" + expr(1) + ")", "mean(" + expr(1) + ")"])
            }
            if !aggregates, rng.chance(0.5) { return rng.pick(["year", "month", "quarter"]) }
            return clauseExpr()
        }
        return items.joined(separator: "," + (rng.chance(0.1) ? softBreak() : ws()))
    }

    /// A line break before a continuation word, or a blank.
    mutating func contBreak(_ p: Double = 0.1) -> String {
        rng.chance(p) ? newline + pad + "  " : ws()
    }

    mutating func exprStatement() -> String {
        let e = expr(maxDepth)
        return e.hasPrefix("jurisdiction") ? "(" + e + ")" : e
    }

    mutating func explainStatement() -> String {
        var s = "explain" + ws() + clauseExpr(maxDepth)
        for _ in 0..<rng.int(0...2) where rng.chance(0.3) {
            s += contBreak() + "at" + ws() + expr(2, min: GenLevel.additive)
        }
        if rng.chance(0.5) {
            let ss = (0..<rng.int(1...3)).map { _ in scenario() }
            s += contBreak() + "under" + ws() + ss.joined(separator: "," + ows())
        }
        return s
    }

    mutating func timelineStatement() -> String {
        var clauses: [String] = []
        if rng.chance(0.5) { clauses.append(contBreak() + "under" + ws() + scenario()) }
        if rng.chance(0.5) { clauses.append(contBreak() + "from" + ws() + clauseExpr()) }
        if rng.chance(0.5) { clauses.append(contBreak() + "until" + ws() + clauseExpr()) }
        if rng.chance(0.5) { clauses.append(ws() + "for" + ws() + clauseExpr()) }
        return "timeline" + clauses.shuffledBy(&rng).joined()
    }

    mutating func statusStatement() -> String {
        var clauses: [String] = []
        if rng.chance(0.6) { clauses.append(contBreak() + "at" + ws() + clauseExpr()) }
        if rng.chance(0.5) { clauses.append(contBreak() + "under" + ws() + scenario()) }
        return "status" + ws() + clauseExpr() + clauses.shuffledBy(&rng).joined()
    }

    mutating func tableStatement() -> String {
        var s = "table" + ws() + clauseList(1...3, aggregates: true)
        if rng.chance(0.7) { s += contBreak() + "by" + ws() + clauseList(1...2, aggregates: false) }
        s += contBreak() + "from" + ws() + population()
        var clauses: [String] = []
        if rng.chance(0.5) { clauses.append(contBreak() + "where" + ws() + clauseExpr()) }
        if rng.chance(0.5) { clauses.append(contBreak() + "under" + ws() + scenario()) }
        return s + clauses.shuffledBy(&rng).joined()
    }

    mutating func compareStatement() -> String {
        let ss = (0..<rng.int(2...4)).map { _ in scenario() }
        var s = "compare" + ws() + ss.joined(separator: "," + ows()) + ws() + "on" + ws()
            + clauseList(1...2, aggregates: true)
        if rng.chance(0.7) { s += contBreak() + "by" + ws() + clauseList(1...2, aggregates: false) }
        s += contBreak() + "from" + ws() + population()
        if rng.chance(0.5) { s += contBreak() + "where" + ws() + clauseExpr() }
        return s
    }

    mutating func plotStatement() -> String {
        var s = "plot" + ws() + clauseList(1...2, aggregates: true)
        s += contBreak() + "by" + ws() + clauseList(1...2, aggregates: false)
        s += contBreak() + "from" + ws() + population()
        var clauses: [String] = []
        if rng.chance(0.5) {
            let ss = (0..<rng.int(1...3)).map { _ in scenario() }
            clauses.append(contBreak() + "under" + ws() + ss.joined(separator: "," + ows()))
        }
        if rng.chance(0.5) { clauses.append(ws() + "to" + ws() + rng.pick(["\"f.svg\"", "\"out/plot.svg\"", "\"\""])) }
        return s + clauses.shuffledBy(&rng).joined()
    }

    mutating func assertStatement() -> String {
        var s = "assert" + ws() + expr(maxDepth)
        if rng.chance(0.4) { s += ws() + stringLiteral() }
        return s
    }

    mutating func testStatement() -> String {
        var s = "test" + ws() + stringLiteral() + ws() + "{"
        s += newline
        indent += 1
        for _ in 0..<rng.int(0...5) {
            let item: String
            switch rng.below(6) {
            case 0, 1: item = withDoc(letDecl())
            case 2, 3: item = assertStatement()
            default: item = statement(inTest: true)
            }
            s += pad + item + (rng.chance(0.15) ? ws() + commentText() : "") + newline
            if rng.chance(0.2) { s += newline }
            if rng.chance(0.1) { s += pad + commentText() + newline }
        }
        indent -= 1
        return s + pad + "}"
    }

    mutating func statement(inTest: Bool) -> String {
        switch rng.below(inTest ? 9 : 11) {
        case 0, 1: return exprStatement()
        case 2: return explainStatement()
        case 3: return timelineStatement()
        case 4: return statusStatement()
        case 5: return tableStatement()
        case 6: return compareStatement()
        case 7: return plotStatement()
        case 8: return assertStatement()
        case 9: return testStatement()
        default: return "include" + ws() + rng.pick(["\"lib.policy\"", "\"../shared/x.policy\"", "\"é.policy\""])
        }
    }

    mutating func declaration(inScenario: Bool) -> String {
        switch rng.below(inScenario ? 13 : 14) {
        case 0: return enumDecl()
        case 1: return attributesDecl()
        case 2: return jurisdictionDecl()
        case 3: return "jurisdictions" + contBreak(0.1) + "from" + ws() + "\"data/counties.csv\""
        case 4: return "agency" + ws() + name() + ws() + "of" + ws() + name() + (rng.chance(0.5) ? ws() + label() : "")
        case 5: return recordDecl()
        case 6: return paramDecl()
        case 7: return letDecl()
        case 8: return decisionDecl()
        case 9: return policyDecl()
        case 10: return eventDecl()
        case 11: return reaction()
        case 12: return populationDecl()
        default: return scenarioDecl()
        }
    }

    /// Sometimes `##` doc lines right above (the parser attaches them to the declaration).
    mutating func withDoc(_ decl: String) -> String {
        guard rng.chance(0.25) else { return decl }
        var s = ""
        for _ in 0..<rng.int(1...3) {
            s += "##" + rng.pick(["", " ", "  "]) + rng.pick(Self.commentWords) + newline + pad
        }
        return s + decl
    }

    // MARK: Program

    mutating func program() -> String {
        crlf = rng.chance(0.05)
        var s = rng.chance(0.02) ? "\u{FEFF}" : "" // a byte-order mark is ignored
        if rng.chance(0.2) { s += newline }
        if rng.chance(0.3) { s += commentText() + newline }
        let n = rng.chance(0.02) ? 0 : rng.int(6...18)
        for i in 0..<n {
            if i > 0 {
                switch rng.below(8) {
                case 0: s += newline + newline
                case 1: s += newline + commentText() + newline
                case 2: s += newline + "   " + newline + newline
                default: s += newline
                }
            }
            let item = rng.chance(0.6) ? withDoc(declaration(inScenario: false)) : statement(inTest: false)
            s += (rng.chance(0.05) ? "  " : "") + item
            if rng.chance(0.2) {
                let hash = Self.genIncludeKnownBugDoubleHashCommentAfterCode && rng.chance(0.2) ? "#" : ""
                s += ws() + hash + commentText()
            }
        }
        if rng.chance(0.7) { s += newline }
        if rng.chance(0.1) { s += commentText() + newline }
        return s
    }
}

extension Array {
    /// A deterministic shuffle driven by the generator's own PRNG.
    func shuffledBy(_ rng: inout GenRandom) -> [Element] {
        var a = self
        if a.count < 2 { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = rng.below(i + 1)
            a.swapAt(i, j)
        }
        return a
    }
}
