/// The kinds of token. Keywords are their own kinds so the parser can switch on them.
public enum TokenKind: UInt8, Sendable, CaseIterable {
    case eof
    /// A newline that ends a statement (the lexer drops the ones that do not, §2).
    case newline
    case identifier
    case intLiteral        // payload: the value
    case numberLiteral     // payload: Double bit pattern
    case percentLiteral    // payload: Double bit pattern of p/100
    case dateLiteral       // payload: days since 1970-01-01
    case durationLiteral   // payload: amount << 2 | unit
    case stringLiteral
    /// A token the lexer could not make sense of; its diagnostic is already reported.
    case invalid

    // Punctuation
    case lBrace, rBrace, lParen, rParen, lBracket, rBracket
    case comma, colon, dot, dotDot, equal
    case equalEqual, bangEqual, less, lessEqual, greater, greaterEqual
    case plus, minus, star, slash

    // Keywords (reserved)
    case kwAfter, kwAgency, kwAnd, kwAs, kwAssert, kwAt, kwAttributes, kwBy, kwCancel
    case kwCombine, kwCompare, kwDecision, kwElse, kwEnact, kwEnum, kwEvent, kwExplain
    case kwFalse, kwFor, kwFrom, kwIf, kwIn, kwInclude, kwJurisdiction, kwJurisdictions
    case kwLet, kwNot, kwOf, kwOn, kwOr, kwOverrides, kwParam, kwPlot, kwPolicy
    case kwPopulation, kwProposed, kwRecord, kwRepeal, kwScenario, kwSet, kwStatus
    case kwTable, kwTest, kwThen, kwTimeline, kwTrue, kwUnder, kwUntil, kwWhen
    case kwWhere, kwWith, kwWithin

    public var isKeyword: Bool { rawValue >= TokenKind.kwAfter.rawValue }

    /// The keyword spelled by `text`, if it is one.
    public static func keyword(_ text: String) -> TokenKind? { _keywordTable[text] }

    /// How the token reads in messages: `'{'`, `'policy'`, `a name`.
    public var display: String {
        switch self {
        case .eof: return "end of input"
        case .newline: return "end of line"
        case .identifier: return "a name"
        case .intLiteral: return "an integer"
        case .numberLiteral: return "a number"
        case .percentLiteral: return "a percentage"
        case .dateLiteral: return "a date"
        case .durationLiteral: return "a duration"
        case .stringLiteral: return "a string"
        case .invalid: return "an invalid token"
        default: return "'\(spelling)'"
        }
    }

    /// The fixed spelling of punctuation and keywords ("" for the others).
    public var spelling: String {
        switch self {
        case .lBrace: return "{"
        case .rBrace: return "}"
        case .lParen: return "("
        case .rParen: return ")"
        case .lBracket: return "["
        case .rBracket: return "]"
        case .comma: return ","
        case .colon: return ":"
        case .dot: return "."
        case .dotDot: return ".."
        case .equal: return "="
        case .equalEqual: return "=="
        case .bangEqual: return "!="
        case .less: return "<"
        case .lessEqual: return "<="
        case .greater: return ">"
        case .greaterEqual: return ">="
        case .plus: return "+"
        case .minus: return "-"
        case .star: return "*"
        case .slash: return "/"
        default:
            if isKeyword, let word = _keywordSpelling[self] { return word }
            return ""
        }
    }

    /// After these, a newline does not end the statement (§2).
    var continuesAfter: Bool {
        switch self {
        case .plus, .minus, .star, .slash, .equalEqual, .bangEqual, .less, .lessEqual,
             .greater, .greaterEqual, .kwAnd, .kwOr, .kwIn, .kwWithin, .kwNot, .equal,
             .kwThen, .kwElse, .comma, .dotDot, .kwUnder, .kwAt, .kwWith, .dot, .colon:
            return true
        default:
            return false
        }
    }

    /// A line starting with these continues the previous one (§2).
    var continuesBefore: Bool {
        switch self {
        case .kwElse, .kwThen, .kwCombine, .kwFrom, .kwUntil, .kwUnder, .kwAt, .kwWhere, .kwBy:
            return true
        default:
            return false
        }
    }
}

let _keywordSpelling: [TokenKind: String] = [
    .kwAfter: "after", .kwAgency: "agency", .kwAnd: "and", .kwAs: "as", .kwAssert: "assert",
    .kwAt: "at", .kwAttributes: "attributes", .kwBy: "by", .kwCancel: "cancel",
    .kwCombine: "combine", .kwCompare: "compare", .kwDecision: "decision", .kwElse: "else",
    .kwEnact: "enact", .kwEnum: "enum", .kwEvent: "event", .kwExplain: "explain",
    .kwFalse: "false", .kwFor: "for", .kwFrom: "from", .kwIf: "if", .kwIn: "in",
    .kwInclude: "include", .kwJurisdiction: "jurisdiction", .kwJurisdictions: "jurisdictions",
    .kwLet: "let", .kwNot: "not", .kwOf: "of", .kwOn: "on", .kwOr: "or",
    .kwOverrides: "overrides", .kwParam: "param", .kwPlot: "plot", .kwPolicy: "policy",
    .kwPopulation: "population", .kwProposed: "proposed", .kwRecord: "record",
    .kwRepeal: "repeal", .kwScenario: "scenario", .kwSet: "set", .kwStatus: "status",
    .kwTable: "table", .kwTest: "test", .kwThen: "then", .kwTimeline: "timeline",
    .kwTrue: "true", .kwUnder: "under", .kwUntil: "until", .kwWhen: "when",
    .kwWhere: "where", .kwWith: "with", .kwWithin: "within",
]

let _keywordTable: [String: TokenKind] = {
    var table: [String: TokenKind] = [:]
    for (kind, word) in _keywordSpelling { table[word] = kind }
    return table
}()

/// All reserved words, sorted (for completion and documentation).
public let reservedWords: [String] = _keywordSpelling.values.sorted()

/// One token: its kind, where it is, and a decoded value for literals.
public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    /// A newline (or the start of input) comes between this token and the previous one.
    public var startsLine: Bool
    public var span: Span
    /// The decoded value of a literal (see `TokenKind`); 0 otherwise.
    public var payload: Int64

    public init(kind: TokenKind, span: Span, startsLine: Bool = false, payload: Int64 = 0) {
        self.kind = kind
        self.span = span
        self.startsLine = startsLine
        self.payload = payload
    }

    public var doubleValue: Double { Double(bitPattern: UInt64(bitPattern: payload)) }
}

/// The unit of a duration literal. Day-based: day, week; month-based: month, year (§9.7).
public enum DurationUnit: Int, Sendable, Hashable, CaseIterable {
    case day = 0, week, month, year

    public var singular: String {
        switch self {
        case .day: return "day"
        case .week: return "week"
        case .month: return "month"
        case .year: return "year"
        }
    }

    public static func from(word: String) -> DurationUnit? {
        switch word {
        case "day", "days": return .day
        case "week", "weeks": return .week
        case "month", "months": return .month
        case "year", "years": return .year
        default: return nil
        }
    }
}

/// A comment kept for the formatter and for `##` documentation.
public struct Comment: Sendable, Hashable {
    public var span: Span
    /// `##` at the start of a line.
    public var isDoc: Bool
    /// Nothing but blanks before it on its line.
    public var ownLine: Bool
}

/// Keyword recognition straight from bytes: an identifier of 2 to 13 ASCII bytes is packed
/// into two words and looked up in a small open-addressing table (no String, no hashing of
/// Strings on the lexer's hot path).
enum KeywordTable {
    struct Entry {
        var a: UInt64
        var b: UInt64
        var kind: TokenKind?
    }

    static let size = 256
    static let table: [Entry] = {
        var t = [Entry](repeating: Entry(a: 0, b: 0, kind: nil), count: size)
        for (kind, word) in _keywordSpelling {
            let bytes = Array(word.utf8)
            let (a, b) = bytes.withUnsafeBufferPointer { pack($0, 0, bytes.count) }
            var i = slot(a, b)
            while t[i].kind != nil { i = (i + 1) & (size - 1) }
            t[i] = Entry(a: a, b: b, kind: kind)
        }
        return t
    }()

    @inline(__always)
    static func pack(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ len: Int) -> (UInt64, UInt64) {
        var a: UInt64 = 0, b: UInt64 = 0
        for k in 0..<min(len, 8) { a |= UInt64(p[start + k]) << (8 * UInt64(k)) }
        if len > 8 { for k in 8..<len { b |= UInt64(p[start + k]) << (8 * UInt64(k - 8)) } }
        return (a, b ^ UInt64(len) << 56)
    }

    /// `pack` with two 8-byte loads: the lexer's buffer is padded with zero bytes past its
    /// end (`SourceFile.storage`), so the loads stay inside the allocation.
    @inline(__always)
    static func packFast(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ len: Int) -> (UInt64, UInt64) {
        let base = UnsafeRawPointer(p.baseAddress.unsafelyUnwrapped + start)
        var a = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        var b: UInt64 = 0
        if len < 8 {
            a &= (1 &<< UInt64(8 * len)) &- 1
        } else if len > 8 {
            b = UInt64(littleEndian: (base + 8).loadUnaligned(as: UInt64.self)) & ((1 &<< UInt64(8 * (len - 8))) &- 1)
        }
        return (a, b ^ UInt64(len) << 56)
    }

    @inline(__always)
    static func slot(_ a: UInt64, _ b: UInt64) -> Int {
        Int(truncatingIfNeeded: ((a ^ (b &* 31)) &* 0x9E37_79B9_7F4A_7C15) >> 56) & (size - 1)
    }

    @inline(__always)
    static func lookup(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ len: Int) -> TokenKind? {
        guard len >= 2, len <= 13 else { return nil }
        let (a, b) = packFast(p, start, len)
        var i = slot(a, b)
        while true {
            let e = table[i]
            guard let kind = e.kind else { return nil }
            if e.a == a, e.b == b { return kind }
            i = (i + 1) & (size - 1)
        }
    }
}
