#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax
import PolicySupport

/// `policy lsp`: the Language Server Protocol (3.17) over stdio, on the checker `policy
/// check` uses. Documents are checked as they are opened and changed (an open document's
/// unsaved text is what its includes read), and diagnostics, hover, definitions,
/// references, completion, the outline, formatting and "Run" lenses come from that check.
///
/// A reader thread takes messages off stdin: a change to the document being checked stops
/// that check (it is stale), and a change followed by another in the queue is not checked
/// at all. Everything else runs on the main thread, in order.
public final class LanguageServer {
    let files = EditorFiles()
    let inbox = Inbox()
    var documents: [String: EditorDocument] = [:]
    /// The URIs each document's last diagnostics were published to (its includes' too).
    var published: [String: Set<String>] = [:]
    /// What "Run" printed, by document and line, shown on the lens.
    var lensResults: [String: [Int: String]] = [:]
    var initialized = false
    var shutdownRequested = false
    var lensRefresh = false
    var nextRequestID = 1

    public static func serve() -> ExitCode {
        // An editor stops its server with `shutdown` and `exit`; Ctrl-C in the terminal that
        // started the editor is not for us.
        signal(SIGINT, SIG_IGN)
        StandardOutput.reserveForProtocol()
        let server = LanguageServer()
        server.startReading()
        return server.run()
    }

    func startReading() {
        let inbox = self.inbox
        let started = startDetachedThread {
            let transport = LSPTransport(fd: 0)
            while let incoming = transport.read() { inbox.push(incoming) }
            inbox.close()
        }
        if !started { inbox.readInline() }
    }

    /// Answers messages until `exit`; 0 if `shutdown` came first (LSP's rule), else 1.
    func run() -> ExitCode {
        while let incoming = inbox.pop() {
            switch incoming {
            case .malformed(let why):
                LSPTransport.write(LanguageServer.error(id: .null, code: -32700, "could not read \(why)"))
            case .message(let message):
                if message["method"]?.string == "exit" { return shutdownRequested ? .success : .testFailed }
                handle(message)
            }
        }
        return shutdownRequested ? .success : .testFailed
    }

    func handle(_ message: JSONValue) {
        let params = message["params"] ?? .null
        guard let method = message["method"]?.string else { return } // a reply to our request
        guard let id = message["id"] else {
            notification(method, params)
            return
        }
        if !initialized, method != "initialize" {
            return reply(LanguageServer.error(id: id, code: -32002, "the server is not initialized: send 'initialize' first"))
        }
        if shutdownRequested {
            return reply(LanguageServer.error(id: id, code: -32600, "the server is shutting down: only 'exit' is accepted"))
        }
        let result: Result<JSONValue, LSPError>
        switch method {
        case "initialize": result = .success(initialize(params))
        case "shutdown":
            shutdownRequested = true
            result = .success(.null)
        case "textDocument/hover": result = .success(hover(params))
        case "textDocument/definition": result = .success(definition(params))
        case "textDocument/references": result = .success(references(params))
        case "textDocument/completion": result = .success(completion(params))
        case "textDocument/documentSymbol": result = .success(documentSymbols(params))
        case "textDocument/formatting": result = formatting(params)
        case "textDocument/codeLens": result = .success(codeLenses(params))
        case "workspace/executeCommand": result = executeCommand(params, id: id)
        default:
            result = .failure(LSPError(code: -32601, "'\(method)' is not something this server does"))
        }
        switch result {
        case .success(let value): reply(.object([("jsonrpc", .string("2.0")), ("id", id), ("result", value)]))
        case .failure(let e): reply(LanguageServer.error(id: id, code: e.code, e.message))
        }
    }

    func notification(_ method: String, _ params: JSONValue) {
        switch method {
        case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration": break
        case "textDocument/didOpen":
            guard let item = params["textDocument"], let uri = item["uri"]?.string, let text = item["text"]?.string else { return }
            let document = EditorDocument(uri: uri, text: text, version: item["version"]?.int ?? 0)
            documents[uri] = document
            files.open[document.path] = text
            check(uri)
        case "textDocument/didChange":
            guard let uri = params[path: "textDocument", "uri"]?.string, var document = documents[uri] else { return }
            for change in params["contentChanges"]?.array ?? [] {
                document.apply(change)
            }
            document.version = params[path: "textDocument", "version"]?.int ?? document.version + 1
            documents[uri] = document
            files.open[document.path] = document.text
            lensResults[uri] = nil
            // A later change is already waiting: this text is stale, and not checked.
            if inbox.hasChange(for: uri) { return }
            check(uri)
            checkDependents(of: document.path, except: uri)
        case "textDocument/didSave":
            guard let uri = params[path: "textDocument", "uri"]?.string, let document = documents[uri] else { return }
            check(uri)
            checkDependents(of: document.path, except: uri)
        case "textDocument/didClose":
            guard let uri = params[path: "textDocument", "uri"]?.string, let document = documents.removeValue(forKey: uri) else { return }
            files.open[document.path] = nil
            lensResults[uri] = nil
            for target in published.removeValue(forKey: uri) ?? [] { publish(target, []) }
            // Documents that include it now read it from disk.
            checkDependents(of: document.path, except: uri)
        default: break
        }
    }

    func reply(_ message: JSONValue) { LSPTransport.write(message) }

    /// Sends a request of our own (its reply is read and ignored).
    func request(_ method: String, _ params: JSONValue) {
        LSPTransport.write(.object([("jsonrpc", .string("2.0")), ("id", .int(nextRequestID)), ("method", .string(method)), ("params", params)]))
        nextRequestID += 1
    }

    func notify(_ method: String, _ params: JSONValue) {
        LSPTransport.write(.object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)]))
    }

    struct LSPError: Error {
        var code: Int
        var message: String
        init(code: Int, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    static func error(id: JSONValue, code: Int, _ message: String) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object([("code", .int(code)), ("message", .string(message))]))])
    }

    // MARK: - Lifecycle

    func initialize(_ params: JSONValue) -> JSONValue {
        initialized = true
        lensRefresh = params[path: "capabilities", "workspace", "codeLens", "refreshSupport"]?.bool ?? false
        let capabilities: JSONValue = .object([
            ("positionEncoding", .string("utf-16")),
            ("textDocumentSync", .object([("openClose", .bool(true)), ("change", .int(1)), ("save", .object([("includeText", .bool(false))]))])),
            ("hoverProvider", .bool(true)),
            ("definitionProvider", .bool(true)),
            ("referencesProvider", .bool(true)),
            ("completionProvider", .object([("triggerCharacters", .array([.string(".")]))])),
            ("documentSymbolProvider", .bool(true)),
            ("documentFormattingProvider", .bool(true)),
            ("codeLensProvider", .object([("resolveProvider", .bool(false))])),
            ("executeCommandProvider", .object([("commands", .array([.string(LanguageServer.runCommand)]))])),
        ])
        return .object([("capabilities", capabilities), ("serverInfo", .object([("name", .string("policy")), ("version", .string("0.1"))]))])
    }

    // MARK: - Checking

    /// Checks a document and publishes its diagnostics, unless a newer change stopped it.
    func check(_ uri: String) {
        guard var document = documents[uri] else { return }
        let flag = inbox.beginCheck(uri)
        let analysis = EditorAnalysis(document: document, files: files, cancellation: flag)
        let stopped = inbox.endCheck()
        guard !stopped, let analysis else { return }
        document.analysis = analysis
        documents[uri] = document
        var byFile: [String: [JSONValue]] = [document.uri: []]
        let openPaths = Set(documents.values.map(\.path))
        for located in analysis.diagnostics {
            // An open include's diagnostics are published by its own check, never by another's
            // (closing this document must not clear them).
            if located.file.name != document.path, openPaths.contains(located.file.name) { continue }
            let target = located.file.name == document.path ? document.uri : EditorDocument.uri(forPath: located.file.name)
            byFile[target, default: []].append(LanguageServer.diagnostic(located.diagnostic, in: located.file))
        }
        for stale in (published[uri] ?? []).subtracting(byFile.keys) { publish(stale, []) }
        for (target, list) in byFile { publish(target, list, version: target == uri ? document.version : nil) }
        published[uri] = Set(byFile.keys)
    }

    /// Checks again the open documents that read `path` (they include it), after it changed.
    func checkDependents(of path: String, except uri: String) {
        for (other, document) in documents where other != uri {
            guard let analysis = document.analysis, analysis.sourceFiles.contains(where: { $0.name == path }) else { continue }
            check(other)
        }
    }

    func publish(_ uri: String, _ diagnostics: [JSONValue], version: Int? = nil) {
        var params: [(String, JSONValue)] = [("uri", .string(uri)), ("diagnostics", .array(diagnostics))]
        if let version { params.append(("version", .int(version))) }
        notify("textDocument/publishDiagnostics", .object(params))
    }

    /// An LSP diagnostic: the hint joins the message; notes with a place become related
    /// information (the `{` a missing `}` would close), the others join the message too.
    static func diagnostic(_ d: Diagnostic, in file: SourceFile) -> JSONValue {
        var message = d.message
        if let hint = d.hint { message += "\nhint: \(hint)" }
        var related: [JSONValue] = []
        for note in d.notes {
            if let span = note.span {
                related.append(.object([("location", .object([("uri", .string(EditorDocument.uri(forPath: file.name))), ("range", file.lspRange(span))])),
                                        ("message", .string(note.message))]))
            } else {
                message += "\nnote: \(note.message)"
            }
        }
        let severity: Int
        switch d.severity {
        case .error: severity = 1
        case .warning: severity = 2
        case .note: severity = 3
        }
        var members: [(String, JSONValue)] = [("range", file.lspRange(d.span)), ("severity", .int(severity)), ("source", .string("policy")),
                                              ("message", .string(message))]
        if !related.isEmpty { members.append(("relatedInformation", .array(related))) }
        return .object(members)
    }

    /// The document a request names, checked (on demand if its last check was stopped).
    func analysis(_ params: JSONValue) -> (EditorDocument, EditorAnalysis)? {
        guard let uri = params[path: "textDocument", "uri"]?.string else { return nil }
        if documents[uri]?.analysis == nil { check(uri) }
        guard let document = documents[uri], let analysis = document.analysis else { return nil }
        return (document, analysis)
    }
}

/// An open document: its text as the editor has it.
struct EditorDocument {
    var uri: String
    var text: String
    var version: Int
    /// The last finished check of `text`; nil while a newer text waits for one.
    var analysis: EditorAnalysis?

    init(uri: String, text: String, version: Int) {
        self.uri = uri
        self.text = text
        self.version = version
    }

    /// The file's path, as includes are resolved against it.
    var path: String { EditorDocument.path(forURI: uri) }

    /// A change: the whole text, or (from a client that sends edits anyway) a range replaced.
    mutating func apply(_ change: JSONValue) {
        guard let newText = change["text"]?.string else { return }
        guard let range = change["range"] else {
            text = newText
            analysis = nil
            return
        }
        let file = SourceFile(name: path, text: text)
        let start = file.offset(lsp: range["start"] ?? .null), end = max(start, file.offset(lsp: range["end"] ?? .null))
        let bytes = Array(text.utf8)
        text = String(decoding: bytes[0..<start], as: UTF8.self) + newText + String(decoding: bytes[end...], as: UTF8.self)
        analysis = nil
    }

    /// `file:///a%20b/c.policy` → `/a b/c.policy`; other URIs are kept as names.
    static func path(forURI uri: String) -> String {
        guard uri.hasPrefix("file://") else { return uri }
        var rest = Array(uri.utf8.dropFirst(7))
        // `file://host/path`: the host is dropped (only the local machine's files are read).
        if let slash = rest.firstIndex(of: UInt8(ascii: "/")) { rest = Array(rest[slash...]) }
        var out: [UInt8] = []
        var i = 0
        while i < rest.count {
            if rest[i] == UInt8(ascii: "%"), i + 2 < rest.count, let h = hexValue(rest[i + 1]), let l = hexValue(rest[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(rest[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func uri(forPath path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        var out = "file://"
        for byte in path.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "/-._~".contains(c) {
                out.append(c)
            } else {
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Included files and CSV data: an open document's text (saved or not) before the disk's.
final class EditorFiles: FileProvider {
    var open: [String: String] = [:]

    override func load(_ path: String) -> Result<SourceFile, SourceLoadError> {
        if let text = open[path] { return .success(SourceFile(name: path, text: text)) }
        return super.load(path)
    }
}

/// Messages read but not yet answered, and the check under way — which a newer change to
/// its document stops.
final class Inbox: @unchecked Sendable {
    private let monitor = Monitor()
    private var waiting: [LSPTransport.Incoming] = []
    private var closed = false
    private var checking: String?
    /// The request whose command is running (`policy.run`): `$/cancelRequest` stops it.
    private var running: JSONValue?
    private var flag = CancellationFlag()
    /// Without a reader thread: messages are read here, when asked for.
    private var inline: LSPTransport?

    private func locked<T>(_ body: () -> T) -> T { monitor.locked(body) }

    func readInline() { inline = LSPTransport(fd: 0) }

    func push(_ incoming: LSPTransport.Incoming) {
        locked {
            if case .message(let m) = incoming, stops(m) { flag.raise() }
            waiting.append(incoming)
            monitor.signal()
        }
    }

    func close() {
        locked {
            closed = true
            monitor.signal()
        }
    }

    /// The next message, waiting for one; nil when the input has ended.
    func pop() -> LSPTransport.Incoming? {
        if inline != nil { return inline?.read() }
        return locked {
            while waiting.isEmpty, !closed { monitor.wait() }
            return waiting.isEmpty ? nil : waiting.removeFirst()
        }
    }

    func hasChange(for uri: String) -> Bool {
        locked {
            waiting.contains { incoming in
                if case .message(let m) = incoming { return Inbox.isChange(m, to: uri) }
                return false
            }
        }
    }

    /// Whether `message` makes the work under way stale: a change to the document being
    /// checked or run, the cancellation of the running command, or the end of the session.
    private func stops(_ message: JSONValue) -> Bool {
        guard let checking else { return false }
        let method = message["method"]?.string
        if method == "shutdown" || method == "exit" { return true }
        if Inbox.isChange(message, to: checking) { return true }
        if method == "$/cancelRequest", let running, message[path: "params", "id"] == running { return true }
        return false
    }

    /// The flag of a new check of `uri` (or of a run of its statement, request `id`).
    func beginCheck(_ uri: String, request id: JSONValue? = nil) -> CancellationFlag {
        locked {
            checking = uri
            running = id
            flag = CancellationFlag()
            return flag
        }
    }

    /// Ends the check or run; true if it was stopped.
    func endCheck() -> Bool {
        locked {
            checking = nil
            running = nil
            return flag.isRaised
        }
    }

    static func isChange(_ message: JSONValue, to uri: String) -> Bool {
        message["method"]?.string == "textDocument/didChange" && message[path: "params", "textDocument", "uri"]?.string == uri
    }
}
