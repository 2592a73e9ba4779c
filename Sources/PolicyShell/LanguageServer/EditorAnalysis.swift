import PolicyCore
import PolicySyntax

/// One check of an open document, and what the editor asks of it: the token at a
/// position, what a name names and where it is declared and used.
final class EditorAnalysis {
    let file: SourceFile
    let unit: SourceUnit
    let checker: Checker
    let result: CheckResult
    let tokens: [Token]
    /// Parse errors when there are any (the check of a broken tree would only add noise),
    /// else the checker's.
    let diagnostics: [LocatedDiagnostic]
    /// Every top-level name the program declares, and where.
    let declarations: [String: DeclarationSite]

    /// Nil when a newer change stopped the check.
    init?(document: EditorDocument, files: EditorFiles, cancellation: CancellationFlag) {
        file = SourceFile(name: document.path, text: document.text)
        unit = Parser.parse(file)
        checker = Checker(provider: files, cancellation: cancellation)
        result = checker.check([unit])
        if result.interrupted { return nil }
        tokens = Lexer.tokenize(file).tokens
        declarations = Dictionary(checker.declarationSites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let file = self.file
        diagnostics = unit.hasErrors ? unit.diagnostics.map { LocatedDiagnostic(file: file, diagnostic: $0) } : result.diagnostics
    }

    var program: Program { result.program }

    /// The index of the token at a byte offset (or the one that ends there, the word just
    /// typed); nil between tokens.
    func tokenIndex(at offset: Int) -> Int? {
        var lo = 0, hi = tokens.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let span = tokens[mid].span
            if offset < Int(span.start) { hi = mid - 1 } else if offset > Int(span.end) { lo = mid + 1 } else {
                // Touching two tokens (`a.b` at the dot): prefer a name.
                if offset == Int(span.end), mid + 1 < tokens.count, Int(tokens[mid + 1].span.start) == offset,
                   tokens[mid + 1].kind == .identifier { return mid + 1 }
                if offset == Int(span.start), mid > 0, Int(tokens[mid - 1].span.end) == offset,
                   tokens[mid].kind != .identifier, tokens[mid - 1].kind == .identifier { return mid - 1 }
                return mid
            }
        }
        return nil
    }

    /// A name at an offset: its text, its span, and whether it follows a `.` (a member).
    func name(at offset: Int) -> (text: String, span: Span, isMember: Bool)? {
        guard let i = tokenIndex(at: offset), tokens[i].kind == .identifier || tokens[i].kind.isKeyword else { return nil }
        let isMember = i > 0 && tokens[i - 1].kind == .dot
        return (file.text(tokens[i].span), tokens[i].span, isMember)
    }

    /// Where a top-level name is declared.
    func declaration(of name: String) -> DeclarationSite? { declarations[name] }

    /// The records and the jurisdiction attributes that have a field called `name`.
    func fields(named name: String) -> [String] {
        var out: [String] = []
        for r in program.records {
            if let f = r.fields.first(where: { $0.name == name }) { out.append("\(name): \(program.describe(f.type)) — a field of record \(r.name)") }
        }
        if let a = program.attributes.first(where: { $0.name == name }) {
            out.append("\(name): \(program.describe(a.type)) — a jurisdiction attribute")
        }
        return out
    }

    /// The files the program was read from: this document and everything it includes.
    /// (Asked for each open document whenever a file changes: worked out once.)
    lazy var sourceFiles: [SourceFile] = {
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(file)]
        var out = [file]
        for site in declarations.values where seen.insert(ObjectIdentifier(site.source.file)).inserted {
            out.append(site.source.file)
        }
        for statement in result.statements where seen.insert(ObjectIdentifier(statement.source.file)).inserted {
            out.append(statement.source.file)
        }
        return out
    }()

    /// Every use of a top-level name as a name (not as a member after `.`), in `files`.
    static func uses(of name: String, in files: [SourceFile]) -> [(SourceFile, Span)] {
        var out: [(SourceFile, Span)] = []
        for file in files {
            let tokens = Lexer.tokenize(file).tokens
            for (i, t) in tokens.enumerated() where t.kind == .identifier && file.text(t.span) == name {
                if i > 0, tokens[i - 1].kind == .dot { continue }
                out.append((file, t.span))
            }
        }
        return out
    }

    /// A parameter in scope at `offset`: of the decision, `let` or policy being written there,
    /// or of the rule (`honored(b) = …`). Its name's place, and what to say of it.
    func parameter(named name: String, at offset: Int) -> (span: Span, description: String)? {
        guard let statement = statement(containing: Span(offset, offset)) else { return nil }
        func typeText(_ t: TypeExpr) -> String { file.text(t.span) }
        let declared: [Parameter]
        let owner: String
        switch statement.kind {
        case .decision(let d): (declared, owner) = (d.parameters, "decision \(d.name.text)")
        case .let(let l): (declared, owner) = (l.parameters ?? [], "let \(l.name.text)")
        case .policy(let p):
            for rule in p.rules where rule.span.start <= offset && offset <= rule.span.end && rule.parameter.text == name {
                let caseType = program.decisions.first { $0.name == rule.decision.text }
                    .flatMap { $0.caseType >= 0 ? program.records[$0.caseType].name : nil }
                return (rule.parameter.span, "\(name)\(caseType.map { ": \($0)" } ?? "") — the case a rule of policy \(p.name.text) decides")
            }
            (declared, owner) = (p.parameters ?? [], "policy \(p.name.text)")
        default: return nil
        }
        guard let parameter = declared.first(where: { $0.name.text == name }) else { return nil }
        return (parameter.name.span, "\(name): \(typeText(parameter.type)) — a parameter of \(owner)")
    }

    /// Uses of a parameter: the name in its statement, not after a `.`.
    func uses(ofParameter name: String, at offset: Int) -> [Span] {
        guard let statement = statement(containing: Span(offset, offset)) else { return [] }
        var scope = statement.span
        if case .policy(let p) = statement.kind,
           let rule = p.rules.first(where: { $0.span.start <= offset && offset <= $0.span.end && $0.parameter.text == name }) {
            scope = rule.span
        }
        var out: [Span] = []
        for (i, t) in tokens.enumerated() where t.kind == .identifier && t.span.start >= scope.start && t.span.end <= scope.end {
            if i > 0, tokens[i - 1].kind == .dot { continue }
            if file.text(t.span) == name { out.append(t.span) }
        }
        return out
    }

    /// The top-level statement of this document whose span holds `span`.
    func statement(containing span: Span) -> Statement? {
        unit.statements.first { $0.span.start <= span.start && span.end <= $0.span.end }
    }
}

extension SourceFile {
    /// An LSP position (0-based line; character in UTF-16 code units) for a byte offset.
    func lspPosition(_ offset: Int) -> JSONValue {
        let clamped = max(0, min(offset, bytes.count))
        let line = self.line(of: clamped)
        let start = Int(lineStarts[line - 1])
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return .object([("line", .int(line - 1)), ("character", .int(prefix.utf16.count))])
    }

    func lspRange(_ span: Span) -> JSONValue {
        .object([("start", lspPosition(Int(span.start))), ("end", lspPosition(Int(span.end)))])
    }

    /// The byte offset of an LSP position (clamped to the line and the file).
    func offset(lsp position: JSONValue) -> Int {
        let line = max(0, position["line"]?.int ?? 0)
        let character = max(0, position["character"]?.int ?? 0)
        guard line < lineStarts.count else { return bytes.count }
        let start = Int(lineStarts[line])
        var end = line + 1 < lineStarts.count ? Int(lineStarts[line + 1]) - 1 : bytes.count
        // A CRLF line ends before its CR.
        if end > start, end - 1 < bytes.count, bytes[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
        var units = 0, offset = start
        for scalar in text.unicodeScalars {
            if units >= character { break }
            units += scalar.utf16.count
            offset += UTF8.width(scalar)
        }
        return min(offset, end)
    }

    func location(_ span: Span) -> JSONValue {
        .object([("uri", .string(EditorDocument.uri(forPath: name))), ("range", lspRange(span))])
    }
}
