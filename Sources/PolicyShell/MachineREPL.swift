#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax
import PolicySupport

/// `policy repl --jsonl`: the prompt's session driven by a program — JSON requests in, JSON
/// replies out, one per line (docs/repl-jsonl.md). It is the REPL underneath: the same
/// meta-commands, checking, completion and `:help`; results leave as MIME bundles and
/// diagnostics as objects with their place, instead of as text.
///
/// A reader thread takes requests off stdin, so that `interrupt` can raise the session's
/// cancellation flag while the main thread evaluates; every other request is answered in
/// order on the main thread.
public final class MachineREPL {
    let session: Session
    let repl: REPL
    let replies = ReplyWriter()
    let requests = RequestQueue()
    /// The request whose replies are being written.
    var currentID: JSONValue = .null

    init(session: Session, repl: REPL) {
        self.session = session
        self.repl = repl
    }

    /// Loads `files`, says `ready`, then answers requests until `shutdown`, `:quit` or the
    /// end of stdin. The exit code is 0 unless the replies could not be written.
    public static func serve(files: [String], format: OutputFormat) -> ExitCode {
        // A notebook server interrupts by signalling the kernel's process group: the
        // `interrupt` request is what stops an evaluation here.
        signal(SIGINT, SIG_IGN)
        StandardOutput.reserveForProtocol()
        let console = Console(out: { _ in }, err: { _ in })
        let session = Session(console: console)
        session.format = format
        let repl = REPL(session: session, reader: CellReader(), interactive: false, files: files)
        let server = MachineREPL(session: session, repl: repl)
        server.connect(console)
        var status = "ok"
        if !files.isEmpty, session.load(files) != .success {
            status = "error"
            repl.files = []
        }
        server.replies.flushStream()
        server.replies.send(.object([("type", .string("ready")), ("protocol", .int(1)),
                                     ("banner", .string(repl.banner(forPeople: false))), ("status", .string(status))]))
        server.startReading()
        server.answer()
        return StandardOutput.exitCode(.success)
    }

    /// The console's text and diagnostics, and the session's results, become replies to the
    /// current request.
    func connect(_ console: Console) {
        console.out = { [unowned self] text in replies.stream("stdout", text, id: currentID) }
        console.err = { [unowned self] text in replies.stream("stderr", text, id: currentID) }
        console.diagnosticHandler = { [unowned self] d, file in
            replies.send(MachineREPL.diagnostic(d, in: file, id: currentID))
        }
        session.outputHandler = { [unowned self] output in
            replies.send(.object([("id", currentID), ("type", .string("output")), ("data", bundle(output))]))
        }
    }

    // MARK: - Requests

    /// Reads stdin on its own thread: `interrupt` acts at once, the rest is queued.
    func startReading() {
        let requests = self.requests, replies = self.replies, flag = session.cancellation
        let input = PlainLineReader(fd: 0)
        let started = startDetachedThread {
            while let request = MachineREPL.nextRequest(input, replies) {
                if case .interrupt = request.op {
                    requests.interrupt(flag)
                } else {
                    requests.push(request)
                }
            }
            requests.push(Request(id: .null, op: .shutdown))
        }
        if !started {
            // No thread could be made: requests are read here, one before each answer, and
            // an interrupt can only be read between them.
            replies.send(.object([("id", .null), ("type", .string("protocol_error")),
                                  ("message", .string("could not start the thread that reads requests; interrupt will not stop an evaluation"))]))
            requests.next = { MachineREPL.nextRequest(input, replies) ?? Request(id: .null, op: .shutdown) }
        }
    }

    /// The next request on stdin (lines that are not requests are answered with a
    /// `protocol_error`); nil at the end of input.
    static func nextRequest(_ input: PlainLineReader, _ replies: ReplyWriter) -> Request? {
        while let line = input.readLine(prompt: "") {
            input.lineNumber += 1
            if line.trimmingCharacters(in: " \t\r").isEmpty { continue }
            switch Request.parse(line, lineNumber: input.lineNumber) {
            case .failure(let problem):
                replies.send(.object([("id", problem.id), ("type", .string("protocol_error")), ("message", .string(problem.message))]))
            case .success(let request):
                return request
            }
        }
        return nil
    }

    /// Answers queued requests, in order, until the session ends.
    func answer() {
        while true {
            let request = requests.pop(session.cancellation)
            currentID = request.id
            switch request.op {
            case .execute(let code):
                let quit = execute(code)
                if quit { return }
            case .complete(let code, let cursor):
                replies.send(complete(code, cursor: cursor))
            case .inspect(let code, let cursor):
                replies.send(inspect(code, cursor: cursor))
            case .isComplete(let code):
                replies.send(.object([("id", request.id), ("type", .string("is_complete")), ("status", .string(MachineREPL.completeness(code)))]))
            case .shutdown:
                replies.send(.object([("id", request.id), ("type", .string("shutdown"))]))
                return
            case .interrupt:
                break
            }
            currentID = .null
        }
    }

    /// Runs a cell: each run of lines between meta-commands is one entry, checked and run as a
    /// whole (as a file's statements are), so a statement may go on over several lines, blank
    /// ones included. True when the cell said `:quit`.
    func execute(_ code: String) -> Bool {
        repl.outcome = .success
        var chunk: [String] = [], chunkStart = 1, quit = false
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        func runChunk() {
            defer { chunk = [] }
            guard chunk.contains(where: { !$0.trimmingCharacters(in: " \t").isEmpty }) else { return }
            // Blank lines before the entry keep its line numbers those of the cell.
            let text = String(repeating: "\n", count: chunkStart - 1) + chunk.joined(separator: "\n")
            repl.reader.remember(chunk.joined(separator: "\n").trimmingCharacters(in: "\n"))
            if REPL.isIncomplete(text) {
                repl.unfinishedAtEnd(text, startLine: chunkStart, inputName: "cell", file: "<cell>")
            } else {
                repl.execute(text, file: "<cell>")
            }
        }
        for (i, line) in lines.enumerated() {
            if session.cancellation.isRaised { break }
            let trimmed = line.trimmingCharacters(in: " \t")
            if trimmed.hasPrefix(":"), !REPL.isIncomplete(chunk.joined(separator: "\n")) {
                runChunk()
                if session.cancellation.isRaised { break }
                repl.reader.remember(trimmed)
                if !repl.meta(trimmed) {
                    quit = true
                    break
                }
                continue
            }
            if chunk.isEmpty { chunkStart = i + 1 }
            chunk.append(line)
        }
        if !quit, !session.cancellation.isRaised { runChunk() }
        let interrupted = requests.endRunning(session.cancellation)
        replies.flushStream()
        let status = interrupted ? "interrupted" : repl.outcome == .success ? "ok" : "error"
        replies.send(.object([("id", currentID), ("type", .string("done")), ("status", .string(status)),
                              ("exit", .int(interrupted ? ExitCode.dataError.rawValue : repl.outcome.rawValue)),
                              ("scenario", .string(session.scenario)), ("prompt", .string(repl.prompt))]))
        return quit
    }

    // MARK: - Completion and inspection

    /// The words that complete the one before the cursor, as Tab offers them.
    func complete(_ code: String, cursor: Int?) -> JSONValue {
        let scalars = Array(code.unicodeScalars)
        let end = min(max(0, cursor ?? scalars.count), scalars.count)
        var lineStart = end
        while lineStart > 0, scalars[lineStart - 1] != "\n" { lineStart -= 1 }
        var before = String.UnicodeScalarView()
        before.append(contentsOf: scalars[lineStart..<end])
        let line = String(before)
        let indent = line.prefix { $0 == " " || $0 == "\t" }.count
        let typed = String(line.dropFirst(indent))
        let matches = repl.completions(typed)
        let start = end - REPL.completedWord(typed).unicodeScalars.count
        return .object([("id", currentID), ("type", .string("completions")), ("matches", .array(matches.map { .string($0) })),
                        ("cursor_start", .int(start)), ("cursor_end", .int(end))])
    }

    /// `:help` for the name at (or just before) the cursor.
    func inspect(_ code: String, cursor: Int?) -> JSONValue {
        let scalars = Array(code.unicodeScalars)
        let at = min(max(0, cursor ?? scalars.count), scalars.count)
        func isWord(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" }
        var start = at, end = at
        while start > 0, isWord(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, isWord(scalars[end]) { end += 1 }
        var word = String.UnicodeScalarView()
        word.append(contentsOf: scalars[start..<end])
        let name = String(word)
        var members: [(String, JSONValue)] = [("id", currentID), ("type", .string("inspection"))]
        if !name.isEmpty, let text = repl.helpText(name) {
            members += [("found", .bool(true)), ("name", .string(name)), ("data", .object([("text/plain", .string(text))]))]
        } else {
            members += [("found", .bool(false)), ("name", .string(name)), ("data", .object([]))]
        }
        return .object(members)
    }

    /// `complete`, `incomplete` (more lines would finish it) or `invalid` (they would not).
    static func completeness(_ code: String) -> String {
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
        let program = lines.filter { !String($0).trimmingCharacters(in: " \t").hasPrefix(":") }.joined(separator: "\n")
        if program.trimmingCharacters(in: " \t\n").isEmpty { return "complete" }
        if REPL.isIncomplete(program) { return "incomplete" }
        return Parser.parse(SourceFile(name: "<cell>", text: program)).hasErrors ? "invalid" : "complete"
    }

    // MARK: - Replies

    /// A result as a MIME bundle: the text the prompt prints, HTML for tables, SVG for plots,
    /// and the object `policy run --format json` writes.
    func bundle(_ output: Output) -> JSONValue {
        var data: [(String, JSONValue)] = [("text/plain", .string(captured { session.render(output, as: session.format) }))]
        switch output {
        case .table(let t): data.append(("text/html", .string(HTMLTable.render(t))))
        case .chart(let c): data.append(("image/svg+xml", .string(ChartRenderer().svg(c))))
        default: break
        }
        let object = captured {
            session.jsonDocument = true
            session.jsonLines = true
            defer { session.jsonDocument = false; session.jsonLines = false }
            session.renderInDocument(output)
        }
        if let json = try? JSONValue.parse(object) { data.append(("application/json", json)) }
        return .object(data)
    }

    /// What `body` prints on the console's stdout, kept instead of sent.
    func captured(_ body: () -> Void) -> String {
        let console = session.console
        let out = console.out, handler = session.outputHandler
        var text = ""
        console.out = { text += $0 }
        session.outputHandler = nil
        body()
        console.out = out
        session.outputHandler = handler
        return text
    }

    /// A diagnostic with its place: lines and columns from 1, the end just past the span.
    static func diagnostic(_ d: Diagnostic, in file: SourceFile, id: JSONValue) -> JSONValue {
        let start = file.location(of: Int(d.span.start)), end = file.location(of: Int(d.span.end))
        let notes: [JSONValue] = d.notes.map { note in
            var members: [(String, JSONValue)] = [("message", .string(note.message))]
            if let span = note.span {
                let at = file.location(of: Int(span.start))
                members += [("line", .int(at.line)), ("column", .int(at.column))]
            }
            return .object(members)
        }
        return .object([
            ("id", id), ("type", .string("diagnostic")), ("severity", .string(d.severity.rawValue)),
            ("message", .string(d.message)), ("file", .string(file.name)),
            ("line", .int(start.line)), ("column", .int(start.column)),
            ("end_line", .int(end.line)), ("end_column", .int(end.column)),
            ("hint", d.hint.map { .string($0) } ?? .null), ("notes", .array(notes)),
            ("text", .string(DiagnosticRenderer(useColor: false).render(d, in: file))),
        ])
    }
}

/// The reader of a machine session: it hands the REPL no lines (a cell's lines are fed to
/// it) and keeps the entries for `:history`.
final class CellReader: LineReader {
    private(set) var history: [String] = []
    var wasInterrupted: Bool { false }
    func readLine(prompt: String) -> String? { nil }
    func remember(_ entry: String) { history.append(entry) }
    func close() {}
}
