import PolicySupport
/// Turns UTF-8 bytes into tokens, one at a time.
///
/// The lexer never throws and never stops early: a malformed token becomes an `.invalid`
/// token (or a best-effort literal), its diagnostic goes to `diagnostics`, and lexing
/// continues after it. Comments are collected in `comments` for the formatter.
///
/// It also applies the newline rules of LANGUAGE.md §2: a newline becomes a `.newline`
/// token only where it ends a statement — not inside `( )` / `[ ]` (the innermost bracket
/// decides), not after a binary operator, `=`, `then`, `else` or `,`, and not before a line
/// that starts with a continuation word (`else`, `then`, `combine`, `from`, `until`, `under`,
/// `at`, `where`, `by`).
public struct Lexer {
    public let file: SourceFile
    let bytes: UnsafeBufferPointer<UInt8>
    /// The file's bytes with a NUL after the end.
    let buf: UnsafeBufferPointer<UInt8>
    let count: Int
    var pos: Int = 0
    /// The first `maxDiagnostics` errors; the rest are only counted in `omittedErrors`, so
    /// a file of nothing but errors takes memory for a few of them, not for each.
    public private(set) var diagnostics: [Diagnostic] = []
    public private(set) var omittedErrors = 0
    let maxDiagnostics = Limits.current.errors
    public private(set) var comments: [Comment] = []

    /// Open brackets, innermost last, and how many of each kind are open
    /// (so a stray closer never scans the whole stack).
    var brackets: [TokenKind] = []
    var openParens = 0, openBrackets = 0, openBraces = 0
    var previous: TokenKind = .newline
    var pending: Token?
    /// Until the first token is scanned: the lexer stands at the start of a line.
    var atFirstToken = true

    public init(file: SourceFile) {
        self.init(file: file, range: 0..<file.bytes.count)
    }

    /// A lexer over part of a file, from the start of a line to just after a newline (or the
    /// end of the file), as if that part were a file of its own; spans stay file offsets.
    /// Every token is line-local, so no scan crosses the end of such a part.
    init(file: SourceFile, range: Range<Int>) {
        self.file = file
        self.bytes = file.bytes
        self.buf = UnsafeBufferPointer(file.storage)
        self.count = range.upperBound
        self.pos = range.lowerBound
        // A UTF-8 byte order mark is allowed and ignored.
        if pos == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
    }

    /// Whether the text so far could end here: no bracket open and the last token does not
    /// carry the statement on to the next line.
    var isAtStatementBoundary: Bool {
        brackets.isEmpty && pending == nil && !previous.continuesAfter
    }

    /// The next token, with statement-ending newlines made explicit.
    public mutating func next() -> Token {
        if let p = pending {
            pending = nil
            return emit(p)
        }
        let t = scan()
        if t.startsLine, previous != .newline, t.kind != .eof,
           !(brackets.last == .lParen || brackets.last == .lBracket),
           !previous.continuesAfter, !(t.kind.continuesBefore && !isFieldLabel(t)) {
            pending = t
            previous = .newline
            return Token(kind: .newline, span: Span(Int(t.span.start), Int(t.span.start)))
        }
        return emit(t)
    }

    /// A keyword followed by `:` names a field (`at: 2`), so it does not continue the line.
    func isFieldLabel(_ t: Token) -> Bool {
        var i = Int(t.span.end)
        while byte(i) == 0x20 || byte(i) == 0x09 { i += 1 }
        return byte(i) == 0x3A
    }

    private mutating func emit(_ t: Token) -> Token {
        switch t.kind {
        case .lParen, .lBracket, .lBrace:
            brackets.append(t.kind)
            adjustCount(t.kind, by: 1)
        case .rParen, .rBracket, .rBrace:
            let open: TokenKind = t.kind == .rParen ? .lParen : t.kind == .rBracket ? .lBracket : .lBrace
            let openCount = open == .lParen ? openParens : open == .lBracket ? openBrackets : openBraces
            if openCount > 0 {
                while let last = brackets.popLast() {
                    adjustCount(last, by: -1)
                    if last == open { break }
                }
            }
        default:
            break
        }
        // A keyword right after `.` is a field name: it does not continue the line.
        previous = previous == .dot && t.kind.isKeyword ? .identifier : t.kind
        return t
    }

    public var openBracketCount: Int { brackets.count }

    /// Forgets open brackets beyond the innermost `depth` (error recovery: the parser
    /// decided they were never closed).
    public mutating func closeBrackets(downTo depth: Int) {
        while brackets.count > depth, let last = brackets.popLast() { adjustCount(last, by: -1) }
    }

    private mutating func adjustCount(_ kind: TokenKind, by delta: Int) {
        switch kind {
        case .lParen: openParens += delta
        case .lBracket: openBrackets += delta
        default: openBraces += delta
        }
    }

    /// Lexes a whole file (used by tests and tools).
    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: file)
        var out: [Token] = []
        while true {
            let t = lexer.next()
            out.append(t)
            if t.kind == .eof { break }
        }
        return (out, lexer.diagnostics)
    }

    // MARK: - Scanning

    @inline(__always) func byte(_ i: Int) -> UInt8 { i < count ? buf[i] : 0 }

    @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }
    @inline(__always) static func isIdentContinue(_ b: UInt8) -> Bool {
        isIdentStart(b) || isDigit(b)
    }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Records an error; past the `errors` limit it is only counted.
    mutating func report(_ message: String, _ start: Int, _ end: Int, hint: String? = nil) {
        guard diagnostics.count < maxDiagnostics else {
            omittedErrors += 1
            return
        }
        diagnostics.append(.error(message, at: Span(start, end), hint: hint))
    }

    /// Skips blanks and comments; returns whether a newline was crossed.
    mutating func skipTrivia() -> Bool {
        var sawNewline = atFirstToken
        atFirstToken = false
        var lineHasContent = !sawNewline
        while pos < count {
            let b = buf[pos]
            if b == 0x20 || b == 0x09 || b == 0x0D {
                pos += 1
            } else if b == 0x0A {
                pos += 1
                sawNewline = true
                lineHasContent = false
            } else if b == 0x23 { // '#'
                let start = pos
                while pos < count, buf[pos] != 0x0A {
                    if buf[pos] >= 0x80 {
                        let n = Lexer.utf8SequenceLength(bytes, at: pos)
                        if n == 0 {
                            report("invalid UTF-8 in comment", pos, pos + 1, hint: "save the file as UTF-8")
                            pos += 1
                        } else {
                            pos += n
                        }
                        continue
                    }
                    pos += 1
                }
                var end = pos
                if end > start, buf[end - 1] == 0x0D { end -= 1 }
                let isDoc = !lineHasContent && byte(start + 1) == 0x23
                comments.append(Comment(span: Span(start, end), isDoc: isDoc, ownLine: !lineHasContent))
            } else {
                break
            }
        }
        return sawNewline
    }

    mutating func scan() -> Token {
        let startsLine = skipTrivia()
        let start = pos
        guard pos < count else {
            return Token(kind: .eof, span: Span(pos, pos), startsLine: true)
        }
        let b = buf[pos]
        var t: Token
        if Lexer.isIdentStart(b) {
            t = scanWord()
        } else if Lexer.isDigit(b) {
            t = scanNumber()
        } else if b == 0x22 {
            t = scanString()
        } else {
            t = scanPunctuation()
        }
        t.startsLine = startsLine
        if t.span.start != UInt32(start) { t.span = Span(start, Int(t.span.end)) }
        return t
    }

    mutating func scanWord() -> Token {
        let start = pos
        while Lexer.isIdentContinue(buf[pos]) { pos += 1 } // the NUL sentinel stops it
        if let kw = KeywordTable.lookup(buf, start, pos - start) { return Token(kind: kw, span: Span(start, pos)) }
        return Token(kind: .identifier, span: Span(start, pos))
    }

    mutating func scanPunctuation() -> Token {
        let start = pos
        let b = buf[pos]
        let next = byte(pos + 1)
        func tok(_ k: TokenKind, _ n: Int) -> Token {
            pos += n
            return Token(kind: k, span: Span(start, start + n))
        }
        switch b {
        case 0x7B: return tok(.lBrace, 1)
        case 0x7D: return tok(.rBrace, 1)
        case 0x28: return tok(.lParen, 1)
        case 0x29: return tok(.rParen, 1)
        case 0x5B: return tok(.lBracket, 1)
        case 0x5D: return tok(.rBracket, 1)
        case 0x2C: return tok(.comma, 1)
        case 0x3A: return tok(.colon, 1)
        case 0x2E: return next == 0x2E ? tok(.dotDot, 2) : tok(.dot, 1)
        case 0x3D: return next == 0x3D ? tok(.equalEqual, 2) : tok(.equal, 1)
        case 0x3C: return next == 0x3D ? tok(.lessEqual, 2) : tok(.less, 1)
        case 0x3E: return next == 0x3D ? tok(.greaterEqual, 2) : tok(.greater, 1)
        case 0x2B: return tok(.plus, 1)
        case 0x2D: return tok(.minus, 1)
        case 0x2A: return tok(.star, 1)
        case 0x2F: return tok(.slash, 1)
        case 0x21 where next == 0x3D: return tok(.bangEqual, 2)
        case 0x21:
            // `!x` is read as `not x`, so one mistake gives one message.
            pos += 1
            report("unexpected character '!'", start, pos, hint: "write 'not' for negation, '!=' for inequality")
            let negates = Lexer.isIdentStart(next) || next == 0x28
            return Token(kind: negates ? .kwNot : .invalid, span: Span(start, pos))
        case 0x26 where next == 0x26:
            pos += 2
            report("unexpected '&&'", start, pos, hint: "write 'and'")
            return Token(kind: .kwAnd, span: Span(start, pos))
        case 0x7C where next == 0x7C:
            pos += 2
            report("unexpected '||'", start, pos, hint: "write 'or'")
            return Token(kind: .kwOr, span: Span(start, pos))
        case 0x27:
            // A single-quoted string: read it as a string so the rest of the line lexes sanely.
            pos += 1
            while pos < bytes.count, bytes[pos] != 0x27, bytes[pos] != 0x0A { pos += 1 }
            if byte(pos) == 0x27 { pos += 1 }
            report("strings use double quotes", start, pos, hint: "write \"...\"")
            return Token(kind: .stringLiteral, span: Span(start, pos))
        default:
            return scanUnexpected()
        }
    }

    /// One unexpected character (a whole UTF-8 sequence), or one invalid byte.
    mutating func scanUnexpected() -> Token {
        let start = pos
        let length = Lexer.utf8SequenceLength(bytes, at: pos)
        if length == 0 {
            pos += 1
            while pos < bytes.count, bytes[pos] >= 0x80, Lexer.utf8SequenceLength(bytes, at: pos) == 0 { pos += 1 }
            report("invalid UTF-8 in source", start, pos, hint: "save the file as UTF-8")
        } else {
            pos += length
            let ch = String(decoding: bytes[start..<pos], as: UTF8.self)
            let shown = bytes[start] < 0x20 || bytes[start] == 0x7F
                ? "\\u{\(String(bytes[start], radix: 16))}" : ch
            var hint: String?
            if ch == "%" { hint = "a percentage is written right after a number, as in 8%" }
            else if ch == ";" { hint = "statements end at the end of the line" }
            else if ch == "\u{2018}" || ch == "\u{2019}" || ch == "\u{201C}" || ch == "\u{201D}" { hint = "use straight double quotes \"...\"" }
            report("unexpected character '\(shown)'", start, pos, hint: hint)
        }
        return Token(kind: .invalid, span: Span(start, pos))
    }

    /// The length of the valid UTF-8 sequence at `i`, or 0 when it is not valid.
    static func utf8SequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let b0 = bytes[i]
        if b0 < 0x80 { return 1 }
        let n: Int
        var minScalar: UInt32
        if b0 & 0xE0 == 0xC0 { n = 2; minScalar = 0x80 }
        else if b0 & 0xF0 == 0xE0 { n = 3; minScalar = 0x800 }
        else if b0 & 0xF8 == 0xF0 { n = 4; minScalar = 0x10000 }
        else { return 0 }
        guard i + n <= bytes.count else { return 0 }
        var scalar = UInt32(b0) & (0xFF >> (n + 1))
        for k in 1..<n {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else { return 0 }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        if scalar < minScalar || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return 0 }
        return n
    }
}
