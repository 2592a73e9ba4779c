import PolicySupport
/// A hand-written recursive-descent parser with precedence climbing for expressions.
///
/// ```swift
/// let unit = Parser.parse(SourceFile(name: "x.policy", text: "let x = 1 + 2\n"))
/// unit.statements.count   // 1
/// unit.diagnostics        // []
/// ```
///
/// Errors unwind (by throwing `ParseError`) to the nearest item boundary — a statement, a
/// rule, an effect, a field — where the parser resynchronises and goes on, so every
/// independent error in a file is reported. Each loop consumes at least one token per turn.
public struct Parser {
    /// Nesting deeper than this (brackets, unary operators, `if`, blocks) is an error (§9.20).
    /// The default is 1,000; `--limit nesting=N` changes it (`Limits`).
    public static var maxNestingDepth: Int { Limits.current.nesting }
    /// A chain of binary operators or postfix accesses longer than this is an error: the
    /// tree it makes is as deep as the chain is long.
    public static var maxChainLength: Int { Limits.current.chain }

    let file: SourceFile
    var lexer: Lexer
    let identifiers = IdentifierTable()
    /// `Limits.current`'s nesting and chain limits, read once per parse.
    let maxDepth = Parser.maxNestingDepth
    let maxChain = Parser.maxChainLength
    /// The current token.
    var token: Token
    /// One token of lookahead, filled on demand.
    var lookahead: Token?
    /// End offset of the last consumed token (spans end here).
    var previousEnd: Int = 0
    /// The first `maxDiagnostics` syntax errors; the rest are counted in `omittedErrors`.
    var diagnostics: [Diagnostic] = []
    var omittedErrors = 0
    let maxDiagnostics = Limits.current.errors
    /// Current nesting depth, checked against `maxNestingDepth`.
    var depth = 0
    /// Open brackets consumed and not yet closed, for recovery.
    var bracketDepth = 0
    /// While set, `NAME {` is not a record literal: the brace opens a block (§6).
    var noRecordLiteral = false
    /// Past the `errors` limit: the file will not be used, so its statements are not kept.
    var overflowing: Bool { omittedErrors > 0 || lexer.omittedErrors > 0 }
    /// Set once the nesting limit is hit, so it is reported once per statement.
    var nestingReported = false

    struct ParseError: Error {}

    public init(file: SourceFile) {
        self.init(file: file, range: 0..<file.bytes.count)
    }

    /// A parser of part of a file (see `Lexer.init(file:range:)`).
    init(file: SourceFile, range: Range<Int>) {
        self.file = file
        self.lexer = Lexer(file: file, range: range)
        self.token = Token(kind: .eof, span: .zero)
        self.token = lexer.next()
    }

    /// Parses a whole file.
    public static func parse(_ file: SourceFile) -> SourceUnit {
        let limits = Limits.current
        if file.bytes.count > limits.fileBytes {
            let message = "file too large (\(Limits.grouped(file.bytes.count)) bytes; the limit is \(Limits.grouped(limits.fileBytes >> 20)) MB)"
            return SourceUnit(file: file, statements: [], comments: [],
                              diagnostics: [.error(message, at: Span(0, 0), hint: "split it with 'include', or " + Limits.raiseHint("file-mb"))])
        }
        var parser = Parser(file: file)
        parser.checkLineLengths(limits.lineCharacters)
        if parser.diagnostics.isEmpty, let unit = _PieceParse.parse(file) { return unit }
        let statements = parser.parseProgram()
        return parser.finish(statements)
    }

    /// Reports each line longer than the limit, at the first character past it.
    mutating func checkLineLengths(_ limit: Int) {
        let starts = file.lineStarts
        let bytes = file.bytes
        for (i, start) in starts.enumerated() {
            let begin = Int(start)
            let end = i + 1 < starts.count ? Int(starts[i + 1]) - 1 : bytes.count
            // Characters never outnumber bytes, so only long lines in bytes need counting.
            guard end - begin > limit else { continue }
            var characters = 0
            var past: Int?
            for offset in begin..<end where bytes[offset] & 0xC0 != 0x80 {
                characters += 1
                if characters == limit + 1 { past = offset }
            }
            if let past {
                error("line too long (\(Limits.grouped(characters)) characters; the limit is \(Limits.grouped(limit)))",
                      Span(past, past + 1), hint: "break the line, or " + Limits.raiseHint("line"))
            }
        }
    }

    /// Parses a single expression (for tests and the REPL's helpers).
    public static func parseExpression(_ file: SourceFile) -> (Expr?, [Diagnostic]) {
        var parser = Parser(file: file)
        var result: Expr?
        do {
            parser.skipNewlines()
            result = try parser.parseExpr()
            parser.skipNewlines()
            if parser.token.kind != .eof {
                parser.error("expected end of input, found \(parser.describe(parser.token))", parser.token.span)
            }
        } catch {}
        let unit = parser.finish([])
        return (result, unit.diagnostics)
    }

    mutating func finish(_ statements: [Statement]) -> SourceUnit {
        // Lexical errors first, then syntax errors, each in source order. Each list holds its
        // first errors (both in source order), so the first of the two merged are the file's
        // first; the rest are counted.
        let all = (lexer.diagnostics + diagnostics).enumerated().sorted {
            ($0.element.span.start, $0.offset) < ($1.element.span.start, $1.offset)
        }.map(\.element)
        let kept = Array(all.prefix(maxDiagnostics))
        let omitted = all.count - kept.count + lexer.omittedErrors + omittedErrors
        return SourceUnit(file: file, statements: statements, comments: lexer.comments, diagnostics: kept,
                          omittedErrors: omitted)
    }

    // MARK: - Tokens

    mutating func advance() {
        switch token.kind {
        case .lParen, .lBracket, .lBrace: bracketDepth += 1
        case .rParen, .rBracket, .rBrace: bracketDepth = max(0, bracketDepth - 1)
        default: break
        }
        previousEnd = Int(token.span.end)
        if let next = lookahead {
            token = next
            lookahead = nil
        } else {
            token = lexer.next()
        }
    }

    mutating func peek() -> Token {
        if let t = lookahead { return t }
        let t = lexer.next()
        lookahead = t
        return t
    }

    @inline(__always) func at(_ kind: TokenKind) -> Bool { token.kind == kind }

    mutating func eat(_ kind: TokenKind) -> Bool {
        guard token.kind == kind else { return false }
        advance()
        return true
    }

    /// The current token is the identifier `word` (a contextual keyword such as `size`).
    func atWord(_ word: String) -> Bool {
        token.kind == .identifier && text(token) == word
    }

    /// A token's text. Names repeat (`b`, `booking`, `jurisdiction`…): short ones come from
    /// a table of the strings already made, instead of being decoded again.
    func text(_ t: Token) -> String {
        let start = Int(t.span.start), len = Int(t.span.end) - start
        if len > 0, len <= IdentifierTable.maxLength, t.kind == .identifier || t.kind.isKeyword {
            return identifiers.text(file, start, len)
        }
        return file.slice(start, start + len)
    }

    /// A name token as an `Identifier`, shared with the other uses of the same name.
    func identifier(_ t: Token) -> Identifier {
        let start = Int(t.span.start), len = Int(t.span.end) - start
        if len > 0, len <= IdentifierTable.maxLength, t.kind == .identifier || t.kind.isKeyword {
            return identifiers.identifier(file, start, len)
        }
        return Identifier(file.slice(start, start + len))
    }

    /// How a token reads in "found …" messages.
    func describe(_ t: Token) -> String {
        switch t.kind {
        case .identifier: return "'\(Lexer.abbreviated(text(t)))'"
        case .intLiteral, .numberLiteral, .percentLiteral, .dateLiteral, .durationLiteral:
            return "\(t.kind.display) '\(Lexer.abbreviated(text(t)))'"
        case .stringLiteral: return "a string"
        case .newline: return "the end of the line"
        case .eof: return "the end of input"
        default: return t.kind.display
        }
    }

    mutating func skipNewlines() {
        while token.kind == .newline { advance() }
    }

    // MARK: - Errors

    /// Records an error; past the `errors` limit it is only counted.
    mutating func error(_ message: String, _ span: Span, hint: String? = nil, notes: [Diagnostic.Note] = []) {
        guard diagnostics.count < maxDiagnostics else {
            omittedErrors += 1
            return
        }
        diagnostics.append(Diagnostic(.error, message, at: span, hint: hint, notes: notes))
    }

    /// Reports "expected X, found Y" at the current token and unwinds.
    mutating func fail(_ expected: String, hint: String? = nil) throws -> Never {
        if token.kind != .invalid, diagnostics.count >= maxDiagnostics {
            omittedErrors += 1 // counted without building the message
        } else if token.kind != .invalid { // an invalid token was reported by the lexer already
            let span = token.kind == .newline || token.kind == .eof
                ? Span(previousEnd, previousEnd + (previousEnd < file.bytes.count ? 1 : 0))
                : token.span
            error("expected \(expected), found \(describe(token))", span, hint: hint)
        }
        throw ParseError()
    }

    mutating func expect(_ kind: TokenKind, _ what: String? = nil) throws -> Token {
        guard token.kind == kind else { try fail(what ?? kind.display) }
        let t = token
        advance()
        return t
    }

    /// A name: an identifier.
    mutating func expectName(_ what: String = "a name") throws -> Name {
        guard token.kind == .identifier else {
            if token.kind.isKeyword {
                error("'\(text(token))' is a reserved word and cannot be used as \(what)", token.span,
                      hint: "choose another name, such as '\(text(token))_'")
                throw ParseError()
            }
            try fail(what)
        }
        let name = Name(text(token), token.span)
        advance()
        return name
    }

    /// A field name: any identifier or keyword (§2, "keywords as field names").
    mutating func expectFieldName(_ what: String = "a field name") throws -> Name {
        guard token.kind == .identifier || token.kind.isKeyword else { try fail(what) }
        let name = Name(text(token), token.span)
        advance()
        return name
    }

    /// A closing bracket, with the classic hint pointing at its opener.
    mutating func expectClose(_ kind: TokenKind, opener: Token) throws {
        guard token.kind == kind else {
            let line = file.location(of: Int(opener.span.start)).line
            let found = describe(token)
            let span = token.kind == .newline || token.kind == .eof
                ? Span(previousEnd, previousEnd) : token.span
            if token.kind != .invalid {
                error("'\(kind.spelling)' expected (to close '\(opener.kind.spelling)' at line \(line)), found \(found)",
                      span, notes: [.init("'\(opener.kind.spelling)' opened here", span: opener.span)])
            }
            throw ParseError()
        }
        advance()
    }

    /// `'}' expected (to close '{' at line N)`, once per position.
    mutating func reportUnclosed(_ open: Token) {
        let line = file.location(of: Int(open.span.start)).line
        let span = token.kind == .eof ? Span(previousEnd, previousEnd) : token.span
        let message = "'\(open.kind == .lBrace ? "}" : open.kind == .lParen ? ")" : "]")' expected (to close '\(open.kind.spelling)' at line \(line)), found \(describe(token))"
        error(message, span, notes: [.init("'\(open.kind.spelling)' opened here", span: open.span)])
    }

    /// Enters one level of nesting — a bracket, a block, a unary operator, an `if` — and
    /// fails with `nesting too deep` past the limit. This bound is what keeps every
    /// recursive walk of the tree (checker, formatter, evaluator) within the stack.
    mutating func enter() throws {
        depth += 1
        if depth > maxDepth {
            if !nestingReported {
                nestingReported = true
                error("nesting too deep (more than \(maxDepth) levels)", token.span,
                      hint: "split the expression with 'let' definitions, or " + Limits.raiseHint("nesting"))
            }
            throw ParseError()
        }
    }

    mutating func leave() { depth -= 1 }

    func span(from start: Span) -> Span { Span(Int(start.start), max(Int(start.start), previousEnd)) }

    // MARK: - Recovery

    /// Skips to the end of the current item: a newline or comma at `depth` brackets, or the
    /// `}` that closes the enclosing block (not consumed). Always makes progress or stops at
    /// a boundary.
    mutating func synchronize(toDepth target: Int) {
        while token.kind != .eof {
            // A line that starts a statement ends an unclosed bracket too.
            if bracketDepth > target, token.startsLine, Parser.startsStatementStrongly(token.kind) {
                abandonBrackets(downTo: target)
            }
            if bracketDepth <= target {
                if token.kind == .newline || token.kind == .comma { advance(); return }
                if token.kind == .rBrace, target > 0 { return }
                if bracketDepth < target { return }
                // A new statement at the start of a line ends the bad one.
                if target == 0, token.startsLine, Parser.startsDeclaration(token.kind) { return }
            }
            advance()
        }
    }

    /// Keywords that cannot continue an expression or an item inside brackets: at the start
    /// of a line they begin a statement, so any bracket still open was never closed.
    static func startsStatementStrongly(_ kind: TokenKind) -> Bool {
        switch kind {
        case .kwEnum, .kwJurisdictions, .kwAgency, .kwRecord, .kwParam, .kwLet, .kwDecision, .kwPolicy,
             .kwEvent, .kwWhen, .kwScenario, .kwPopulation, .kwTest, .kwInclude, .kwExplain, .kwTimeline,
             .kwStatus, .kwTable, .kwCompare, .kwPlot, .kwAssert:
            return true
        default:
            return false
        }
    }

    /// Treats brackets opened beyond `depth` as closed (they were never closed).
    mutating func abandonBrackets(downTo depth: Int) {
        let excess = bracketDepth - depth
        guard excess > 0 else { return }
        bracketDepth = depth
        lexer.closeBrackets(downTo: max(0, lexer.openBracketCount - excess))
    }

    static func startsDeclaration(_ kind: TokenKind) -> Bool {
        switch kind {
        case .kwEnum, .kwJurisdiction, .kwJurisdictions, .kwAgency, .kwRecord, .kwParam, .kwLet,
             .kwDecision, .kwPolicy, .kwEvent, .kwWhen, .kwScenario, .kwPopulation, .kwTest,
             .kwInclude, .kwExplain, .kwTimeline, .kwStatus, .kwTable, .kwCompare, .kwPlot, .kwAssert:
            return true
        default:
            return false
        }
    }

    /// Parses `{ item SEP item … }` where SEP is a newline or a comma, recovering per item.
    /// The opening brace is the current token.
    mutating func parseBlock<T>(_ what: String, stopAtDeclarations: Bool = true,
                                item: (inout Parser) throws -> T) throws -> [T] {
        let open = try expect(.lBrace)
        try enter()
        defer { leave() }
        let inner = bracketDepth
        var items: [T] = []
        let savedNoRecord = noRecordLiteral
        noRecordLiteral = false
        defer { noRecordLiteral = savedNoRecord }
        while true {
            while token.kind == .newline || token.kind == .comma { advance() }
            if token.kind == .rBrace { break }
            if token.kind == .eof || (stopAtDeclarations && token.startsLine && Parser.endsBlock(token.kind)
                                       && peek().kind != .colon) {
                // Report the missing '}' and carry on as if it were there: the next
                // declaration parses normally.
                reportUnclosed(open)
                abandonBrackets(downTo: inner - 1)
                return items
            }
            let before = token.span.start
            do {
                items.append(try item(&self))
                if !(token.kind == .newline || token.kind == .comma || token.kind == .rBrace || token.startsLine) {
                    try fail("',' or a new line between \(what)s")
                }
            } catch {
                nestingReported = false
                synchronize(toDepth: inner)
                if bracketDepth < inner { throw ParseError() }
                if token.span.start == before, token.kind != .eof, token.kind != .rBrace { advance() }
            }
        }
        try expectClose(.rBrace, opener: open)
        return items
    }

    /// Words that cannot start an item inside a block, so a line starting with one means a
    /// `}` is missing.
    static func endsBlock(_ kind: TokenKind) -> Bool {
        switch kind {
        case .kwEnum, .kwJurisdiction, .kwJurisdictions, .kwAgency, .kwRecord, .kwDecision,
             .kwPolicy, .kwScenario, .kwPopulation, .kwTest, .kwInclude:
            return true
        default:
            return false
        }
    }
}

/// Short names already made in this parse, keyed by their bytes packed into two words (as
/// the keyword table does), so a name used a thousand times is one string and one
/// `Identifier`. Open addressing; when full, names are simply decoded.
final class IdentifierTable {
    static let maxLength = 15
    private static let size = 4096
    private var keys = [(UInt64, UInt64)](repeating: (0, 0), count: IdentifierTable.size)
    private var entries = [Identifier?](repeating: nil, count: IdentifierTable.size)
    private var used = 0

    func text(_ file: SourceFile, _ start: Int, _ len: Int) -> String {
        // A short string needs no allocation: only a name the table keeps gets an object.
        lookup(file, start, len, always: false)?.text ?? file.slice(start, start + len)
    }

    func identifier(_ file: SourceFile, _ start: Int, _ len: Int) -> Identifier {
        lookup(file, start, len, always: true) ?? Identifier(file.slice(start, start + len))
    }

    /// The name's shared identifier; one is made (and kept while there is room) when it is
    /// new, or — when `always` is false and the table is full — nil.
    private func lookup(_ file: SourceFile, _ start: Int, _ len: Int, always: Bool) -> Identifier? {
        let buf = UnsafeBufferPointer(file.storage)
        let key = KeywordTable.packFast(buf, start, len)
        var i = Int(truncatingIfNeeded: ((key.0 ^ (key.1 &* 31)) &* 0x9E37_79B9_7F4A_7C15) >> 52) & (IdentifierTable.size - 1)
        var probes = 0
        while let known = entries[i] {
            if keys[i] == key { return known }
            i = (i + 1) & (IdentifierTable.size - 1)
            probes += 1
            if probes > 8 { return always ? Identifier(file.slice(start, start + len)) : nil }
        }
        guard used < IdentifierTable.size / 2 else { return always ? Identifier(file.slice(start, start + len)) : nil }
        let made = Identifier(file.slice(start, start + len))
        keys[i] = key
        entries[i] = made
        used += 1
        return made
    }
}
