import PolicyCore
import PolicySyntax

// What the editor asks about a checked document: hover, definition, references,
// completion, the outline, formatting, and the "Run" lenses with the command behind them.

extension LanguageServer {
    static let runCommand = "policy.run"

    // MARK: - Hover

    /// The declaration of the name under the cursor, its type and its `##` documentation (what
    /// `:help NAME` says); for a member, the fields of that name; for a keyword, its help.
    func hover(_ params: JSONValue) -> JSONValue {
        guard let (_, a) = analysis(params) else { return .null }
        let offset = a.file.offset(lsp: params["position"] ?? .null)
        guard let name = a.name(at: offset) else { return .null }
        var text: String?
        if name.isMember {
            let fields = a.fields(named: name.text)
            if !fields.isEmpty { text = fields.map { "```policy\n\($0)\n```" }.joined(separator: "\n") }
        } else if let parameter = a.parameter(named: name.text, at: offset) {
            text = "```policy\n\(parameter.description)\n```"
        } else if TokenKind.keyword(name.text) != nil {
            text = HelpTopics.topics[name.text].map { "```policy\n\($0.trimmingCharacters(in: "\n"))\n```" }
        } else if let described = HelpText(program: a.program).describe(name.text) {
            text = LanguageServer.markdown(described)
        } else if !a.fields(named: name.text).isEmpty {
            // A field read bare, from the case a query or a rule is about.
            text = a.fields(named: name.text).map { "```policy\n\($0)\n```" }.joined(separator: "\n")
        }
        guard let text else { return .null }
        return .object([("contents", .object([("kind", .string("markdown")), ("value", .string(text))])),
                        ("range", a.file.lspRange(name.span))])
    }

    /// `:help`'s text as Markdown: the declaration as code, its documentation as prose.
    static func markdown(_ described: String) -> String {
        let lines = described.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.first else { return described }
        let rest = lines.dropFirst().map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : $0 }
        return "```policy\n\(first)\n```\n" + rest.joined(separator: "\n")
    }

    // MARK: - Definition and references

    func definition(_ params: JSONValue) -> JSONValue {
        guard let (_, a) = analysis(params) else { return .null }
        let offset = a.file.offset(lsp: params["position"] ?? .null)
        guard let name = a.name(at: offset) else { return .null }
        if name.isMember {
            // A field: the records that declare it.
            let records = a.program.records.filter { r in r.fields.contains { $0.name == name.text } }
            let sites = records.compactMap { a.declaration(of: $0.name) }
            return .array(sites.map { $0.source.file.location($0.source.span) })
        }
        if let parameter = a.parameter(named: name.text, at: offset) { return a.file.location(parameter.span) }
        guard let site = a.declaration(of: name.text) else { return .null }
        return site.source.file.location(site.source.span)
    }

    func references(_ params: JSONValue) -> JSONValue {
        guard let (_, a) = analysis(params) else { return .array([]) }
        let offset = a.file.offset(lsp: params["position"] ?? .null)
        guard let name = a.name(at: offset), !name.isMember else { return .array([]) }
        let includeDeclaration = params[path: "context", "includeDeclaration"]?.bool ?? true
        if let parameter = a.parameter(named: name.text, at: offset) {
            let spans = a.uses(ofParameter: name.text, at: offset).filter { includeDeclaration || $0 != parameter.span }
            return .array(spans.map { a.file.location($0) })
        }
        guard let site = a.declaration(of: name.text) else { return .array([]) }
        var files = a.sourceFiles
        // Other open documents that use the name (a script that includes this model).
        for (_, other) in documents where other.path != a.file.name {
            if let o = other.analysis, o.declaration(of: name.text)?.source.file.name == site.source.file.name {
                files.append(o.file)
            }
        }
        var seen: Set<String> = []
        var out: [JSONValue] = []
        for (file, span) in EditorAnalysis.uses(of: name.text, in: files) {
            let isDeclaration = file.name == site.source.file.name && span == site.source.span
            if isDeclaration, !includeDeclaration { continue }
            guard seen.insert("\(file.name):\(span.start)").inserted else { continue }
            out.append(file.location(span))
        }
        return .array(out)
    }

    // MARK: - Completion

    /// Keywords, names in scope, and after a `.` the fields and attributes there — the
    /// prompt's Tab completion, on the document's last check.
    func completion(_ params: JSONValue) -> JSONValue {
        guard let uri = params[path: "textDocument", "uri"]?.string, let document = documents[uri] else { return .array([]) }
        let file = SourceFile(name: document.path, text: document.text)
        let offset = file.offset(lsp: params["position"] ?? .null)
        let line = file.line(of: offset)
        let before = file.text(Span(Int(file.lineStarts[line - 1]), offset))
        let program = document.analysis?.program ?? documents.values.lazy.compactMap(\.analysis).first?.program
        if let partial = REPL.fileContext(before.trimmingCharacters(in: " \t")) {
            let folder = document.path.lastIndex(of: "/").map { String(document.path[..<$0]) }
            return .array(REPL.fileCompletions(partial, folder: folder).map { LanguageServer.completionItem($0, kind: $0.hasSuffix("/") ? 19 : 17) })
        }
        let kinds = document.analysis?.declarations.mapValues(\.kind) ?? [:]
        let words = REPL.completions(before, program: program)
        return .array(words.map { word in
            let kind: Int
            if TokenKind.keyword(word) != nil {
                kind = 14
            } else {
                switch kinds[word] {
                case "decision", "let": kind = 3
                case "param": kind = 21
                case "record": kind = 22
                case "enum": kind = 13
                case "event", "reaction": kind = 23
                case "policy", "scenario": kind = 9
                case "population": kind = 6
                case "jurisdiction", "agency": kind = 12
                default: kind = program?.records.contains { r in r.fields.contains { $0.name == word } } == true ? 5 : 1
                }
            }
            return LanguageServer.completionItem(word, kind: kind, detail: kinds[word])
        })
    }

    static func completionItem(_ label: String, kind: Int, detail: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("label", .string(label)), ("kind", .int(kind))]
        if let detail { members.append(("detail", .string(detail))) }
        return .object(members)
    }

    // MARK: - Outline

    func documentSymbols(_ params: JSONValue) -> JSONValue {
        guard let (_, a) = analysis(params) else { return .array([]) }
        var out: [JSONValue] = []
        for statement in a.unit.statements {
            guard let name = statement.declaredName, !name.text.isEmpty else { continue }
            let (kind, detail) = LanguageServer.symbolKind(statement.kind)
            out.append(.object([("name", .string(name.text)), ("detail", .string(detail)), ("kind", .int(kind)),
                                ("range", a.file.lspRange(statement.span)), ("selectionRange", a.file.lspRange(name.span))]))
        }
        return .array(out)
    }

    /// The LSP symbol kind of a declaration, and the word that declares it.
    static func symbolKind(_ kind: Statement.Kind) -> (Int, String) {
        switch kind {
        case .enumDecl: return (10, "enum")
        case .jurisdiction: return (19, "jurisdiction")
        case .agency: return (19, "agency")
        case .record: return (23, "record")
        case .param: return (14, "param")
        case .let: return (13, "let")
        case .decision: return (12, "decision")
        case .policy: return (2, "policy")
        case .event: return (24, "event")
        case .reaction: return (24, "reaction")
        case .scenario: return (3, "scenario")
        case .population: return (18, "population")
        default: return (13, "")
        }
    }

    // MARK: - Formatting

    /// `policy fmt`'s text, as one edit; a file with syntax errors is left as it is.
    func formatting(_ params: JSONValue) -> Result<JSONValue, LSPError> {
        guard let uri = params[path: "textDocument", "uri"]?.string, let document = documents[uri] else { return .success(.array([])) }
        let file = SourceFile(name: document.path, text: document.text)
        let unit = Parser.parse(file)
        if unit.hasErrors {
            let first = unit.diagnostics.first { $0.severity == .error }
            let place = first.map { " (\(LocatedDiagnostic(file: file, diagnostic: $0).position): \($0.message))" } ?? ""
            return .failure(LSPError(code: -32803, "the file has syntax errors, so it is not formatted\(place); fix them first"))
        }
        let formatted = Formatter.format(unit)
        guard formatted != document.text else { return .success(.array([])) }
        let whole = Span(0, file.bytes.count)
        return .success(.array([.object([("range", file.lspRange(whole)), ("newText", .string(formatted))])]))
    }

    // MARK: - Run lenses

    /// A "Run" lens on each top-level statement that prints something, and on each test;
    /// after a run, the lens shows what it printed.
    func codeLenses(_ params: JSONValue) -> JSONValue {
        guard let (document, a) = analysis(params) else { return .array([]) }
        var out: [JSONValue] = []
        for statement in a.unit.statements where LanguageServer.isRunnable(statement.kind) {
            let line = a.file.line(of: Int(statement.span.start)) - 1
            let isTest: Bool
            if case .test = statement.kind { isTest = true } else { isTest = false }
            var title = isTest ? "▶ Run test" : "▶ Run"
            if let shown = lensResults[document.uri]?[line] { title += " — " + shown }
            let command: JSONValue = .object([("title", .string(title)), ("command", .string(LanguageServer.runCommand)),
                                              ("arguments", .array([.string(document.uri), .int(line), .int(document.version)]))])
            let lineStart = Span(Int(statement.span.start), Int(statement.span.start))
            out.append(.object([("range", a.file.lspRange(lineStart)), ("command", command)]))
        }
        return .array(out)
    }

    static func isRunnable(_ kind: Statement.Kind) -> Bool {
        switch kind {
        case .expression, .explain, .timeline, .status, .table, .compare, .plot, .decompose, .sample, .test, .assert: return true
        default: return false
        }
    }

    /// `policy.run URI LINE VERSION`: runs the statement that starts on that line (0-based) of the
    /// document as it is in the editor, and answers with what it printed
    /// (`{"output": …, "ok": true}`); the lens then shows its first line.
    func executeCommand(_ params: JSONValue, id: JSONValue) -> Result<JSONValue, LSPError> {
        guard params["command"]?.string == LanguageServer.runCommand else {
            return .failure(LSPError(code: -32602, "unknown command '\(params["command"]?.string ?? "")'; this server runs '\(LanguageServer.runCommand)'"))
        }
        let arguments = params["arguments"]?.array ?? []
        guard arguments.count >= 2, let uri = arguments[0].string, let line = arguments[1].int, line >= 0, let document = documents[uri] else {
            return .failure(LSPError(code: -32602, "'\(LanguageServer.runCommand)' takes the URI of an open document, a line (from 0) and the document's version"))
        }
        // A lens made for an earlier text would run whatever is on its line now.
        if arguments.count >= 3, let version = arguments[2].int, version != document.version {
            return .failure(LSPError(code: -32801, "the document changed since this lens was shown; run it again from the lens as it is now"))
        }
        var printed = "", failed = false
        let console = Console(out: { printed += $0 }, err: { printed += $0; failed = true })
        // A change to the document, a cancellation of this request or the end of the session
        // stops the run.
        let flag = inbox.beginCheck(uri, request: id)
        let session = Session(console: console, cancellation: flag, provider: files)
        let file = SourceFile(name: document.path, text: document.text)
        let unit = Parser.parse(file)
        var found = true
        if unit.hasErrors {
            console.report(unit.diagnostics, in: file)
        } else if session.accept([unit]) == .success {
            let chosen = session.result?.statementsByUnit.first?.filter { s in
                s.source.file === file && file.line(of: Int(s.source.span.start)) == line + 1
            } ?? []
            found = !chosen.isEmpty
            var isTest = false
            if case .test? = chosen.first { isTest = true }
            if found {
                let status = session.run(tests: isTest) { s in chosen.contains { $0.source.span == s.source.span && $0.source.file === s.source.file } }
                if status.error != nil || status.failed > 0 { failed = true }
            }
        }
        if inbox.endCheck() {
            return .failure(LSPError(code: -32800, "the run was stopped (the document changed, or the run was cancelled)"))
        }
        guard found else { return .failure(LSPError(code: -32602, "nothing to run on line \(line + 1) of \(document.path)")) }
        let firstLine = printed.split(separator: "\n").first.map(String.init) ?? "(no output)"
        lensResults[uri, default: [:]][line] = (failed ? "✗ " : "") + (firstLine.count > 60 ? String(firstLine.prefix(59)) + "…" : firstLine)
        notify("window/logMessage", .object([("type", .int(3)), ("message", .string(printed))]))
        if lensRefresh { request("workspace/codeLens/refresh", .null) }
        return .success(.object([("output", .string(printed)), ("ok", .bool(!failed))]))
    }
}
