import PolicyCore
import PolicySyntax

/// A program being worked with: files loaded, checked, and run — by `policy run`,
/// `policy test`, and (entry by entry) the interactive prompt.
public final class Session {
    public let console: Console
    public var format: OutputFormat = .table
    /// Where included files and CSV data come from (disk; an editor's open documents first).
    let provider: FileProvider
    /// The units accepted so far, in order.
    public private(set) var units: [SourceUnit] = []
    public private(set) var result: CheckResult?
    public private(set) var interpreter: Interpreter?
    /// The checker of `result`, which a continued check goes on from.
    private var checker: Checker?
    /// The default scenario for queries (`:scenario`).
    public var scenario: String = "baseline"
    /// A `plot … to FILE` could not be written (the run then exits 65).
    public private(set) var writeFailed = false
    /// `policy run --format json`: every result is one object of one document,
    /// `{"results": [ … ]}`, which `beginDocument` and `endDocument` open and close.
    var jsonDocument = false
    /// `--format jsonl`: the same result objects, one per line, with no document around them.
    var jsonLines = false
    var resultsWritten = 0
    /// The statement whose outputs are being rendered.
    var statement: CheckedStatement?
    /// Takes each result instead of the console (`policy repl --jsonl`); results written
    /// to files (`to "FILE"`) and failed asserts still go the usual way.
    var outputHandler: ((Output) -> Void)?

    /// Writes a result's file (`… to "FILE"`) and says so — `wrote FILE`, or a result of the
    /// JSON document; when it cannot be written, why (the run then exits 65). The old file,
    /// if any, is untouched: it is written to a temporary file, then renamed.
    func writeResultFile(_ path: String, _ text: String, source: SourceRef?) {
        if let reason = FileWriter.write(path, text) {
            writeFailed = true
            reportRuntime(EvalError("cannot write '\(path)': \(reason)", at: source, hint: FileWriter.hint(for: reason)))
        } else if jsonDocument {
            emit("file", [("path", TableRenderer.jsonString(path))])
        } else if format == .csv {
            csvBlock("# wrote \(path)\n")
        } else {
            console.out("wrote \(path)\n")
        }
    }

    /// A table as its file holds it: JSON for a `.json` file, else CSV.
    static func fileText(_ t: ResultTable, path: String) -> String {
        var table = t
        table.output = nil
        return TableRenderer(format: path.lowercased().hasSuffix(".json") ? .json : .csv).render(table)
    }

    /// Ctrl-C: raised by the prompt's watcher, checked by checking, the timeline and runs.
    /// Shared by every program the session checks (and by a session that replaces it).
    public let cancellation: CancellationFlag

    /// The cases the session's aggregates went over (`:timing`), shared like `cancellation`.
    public let tally: WorkTally

    public init(console: Console, cancellation: CancellationFlag = CancellationFlag(), tally: WorkTally = WorkTally(),
                provider: FileProvider = FileProvider()) {
        self.console = console
        self.cancellation = cancellation
        self.tally = tally
        self.provider = provider
    }

    public var program: Program? { result?.program }

    /// Takes over another session's state (`:reload`, `:reset`).
    func replace(with other: Session) {
        // Populations whose definitions did not change are kept (`:reload`).
        if let earlier = result?.program, other.result?.program !== earlier { other.result?.program.adoptPopulations(from: earlier) }
        units = other.units
        result = other.result
        checker = other.checker
        interpreter = other.interpreter
        scenario = result?.program.scenarioIndex(scenario) != nil ? scenario : "baseline"
        interpreter?.currentScenario = result?.program.scenarioIndex(scenario) ?? 0
    }

    /// The accepted definitions as one formatted script (`:save`): declarations only, with
    /// file paths rewritten for the folder of `target`.
    func definitionsScript(savingTo target: String) -> String {
        let paths = SavedPaths(savingTo: target, provider: provider)
        var out = ""
        for unit in units {
            let declarations = unit.statements.filter { s in
                switch s.kind {
                case .expression, .explain, .timeline, .status, .table, .compare, .plot, .sample, .decompose, .assert: return false
                default: return true
                }
            }.map { paths.rewrite($0, from: unit.file) }
            guard !declarations.isEmpty else { continue }
            let trimmed = SourceUnit(file: unit.file, statements: declarations, comments: [], diagnostics: [])
            out += Formatter.format(trimmed)
        }
        return out
    }

    /// Reads, parses and checks files. Reports every error; on success the files become
    /// the session's program. Returns the exit code (0, 65 or 66).
    @discardableResult
    public func load(_ paths: [String]) -> ExitCode {
        var parsed: [SourceUnit] = []
        var code = ExitCode.success
        for path in paths {
            switch SourceLoader.load(path) {
            case .failure(let e) where e.hint != nil:
                // Larger than a limit: a data error, shown at the file's start like the
                // parser's own size check.
                console.report([Diagnostic.error(e.reason, at: .zero, hint: e.hint)], in: SourceFile(name: path, text: ""))
                code = ExitCode.worse(code, .dataError)
            case .failure(let e):
                console.err("\(e)\n")
                code = .noInput
            case .success(let file):
                let unit = Parser.parse(file)
                if unit.hasErrors {
                    console.report(unit.diagnostics, in: file, omitted: unit.omittedErrors)
                    if code == .success { code = .dataError }
                }
                parsed.append(unit)
            }
        }
        guard code == .success else { return code }
        return accept(parsed)
    }

    /// Checks `new` together with what is already accepted; applies it only if all checks.
    /// Returns 0, 65 (errors, or Ctrl-C stopped the check) or 66 (an included file or CSV
    /// could not be read).
    func accept(_ new: [SourceUnit]) -> ExitCode {
        let statements = new.flatMap(\.statements)
        // An entry that only adds lets, params, expressions and queries is checked on its own,
        // going on from the checker before (`Checker.init(continuing:)`); the rest is checked
        // with everything accepted so far.
        let continued = Checker.canContinue(with: statements) ? self.checker : nil
        let checker = continued.map { Checker(continuing: $0) } ?? Checker(provider: provider, cancellation: cancellation, tally: tally)
        if let earlier = self.result?.program, TimelineReuse.isNeutral(statements) {
            checker.timelineSource = earlier
        }
        let result = checker.check(continued == nil ? units + new : new)
        if result.interrupted {
            console.err("interrupted — the session is unchanged\n")
            return .dataError
        }
        let errors = result.diagnostics.filter { $0.diagnostic.severity == .error }
        // Only diagnostics about the new input are news (the rest was reported before).
        console.report(result.diagnostics, omitted: result.omittedErrors)
        guard errors.isEmpty, result.omittedErrors == 0 else { return result.unreadableInput ? .noInput : .dataError }
        units += new
        // Populations the entry did not change are reused, not built again; the rest are freed.
        if let earlier = self.result?.program { result.program.adoptPopulations(from: earlier) }
        self.result = result
        self.checker = checker
        let interpreter = Interpreter(program: result.program)
        interpreter.currentScenario = result.program.scenarioIndex(scenario) ?? 0
        self.interpreter = interpreter
        return .success
    }

    /// The exit code for a runtime error: 66 if it is a file that could not be read, else 65.
    public static func exitCode(for error: Error) -> ExitCode {
        switch error {
        case let e as EvalError: return e.isInternal ? .internalError : e.unreadableInput ? .noInput : .dataError
        case let e as RunErrors:
            if e.entries.contains(where: { $0.error.isInternal }) { return .internalError }
            return e.entries.contains { $0.error.unreadableInput } ? .noInput : .dataError
        default: return .dataError
        }
    }

    /// Runs the statements of the accepted units (`tests: false`: skip tests; `true`: only tests).
    /// `keep`: only the statements it picks (an editor's "Run" on one statement).
    public func run(tests: Bool, unitRange: Range<Int>? = nil, where keep: ((CheckedStatement) -> Bool)? = nil) -> Interpreter.Status {
        guard let result, let interpreter else { return Interpreter.Status() }
        let range = unitRange ?? 0..<result.statementsByUnit.count
        var statements = range.flatMap { result.statementsByUnit[$0] }
        if let keep { statements = statements.filter(keep) }
        Engine.mark("run starts")
        interpreter.willRun = { [unowned self] in self.statement = $0 }
        let status = interpreter.run(statements, tests: tests) { output in self.render(output) }
        if let error = status.error { reportRuntime(error) }
        return status
    }

    /// Runs the accepted statements as a sharded run: planning them, computing one shard's
    /// units, or printing the merge of every shard's.
    func runSharded(_ sharding: ShardRun) -> Interpreter.Status {
        guard let result else { return Interpreter.Status() }
        let interpreter = Interpreter(program: result.program)
        interpreter.sharding = sharding
        interpreter.willRun = { [unowned self] in self.statement = $0 }
        let status = interpreter.run(result.statements, tests: false) { output in self.render(output) }
        if let error = status.error { reportRuntime(error) }
        return status
    }

    // MARK: - Output

    func render(_ output: Output) {
        if let outputHandler, !output.isWrittenToFile, !output.isAssertionFailure {
            return outputHandler(output)
        }
        if jsonDocument { return renderInDocument(output) }
        if format == .csv { return renderCSV(output) }
        render(output, as: format)
    }

    /// An output as text (`table`), or one JSON value per output outside a document.
    func render(_ output: Output, as format: OutputFormat) {
        switch output {
        case .value(let s, let v):
            let json = format == .json || format == .jsonl
            console.out((json ? program.map { ValueFormatter($0).json(v) } ?? Session.jsonValue(s) : s) + "\n")
        case .text(let s), .explanation(let s, _): console.out(s.hasSuffix("\n") ? s : s + "\n")
        case .table(let t):
            guard let path = t.output else {
                var renderer = TableRenderer(format: format)
                renderer.maxWidth = console.width
                console.out(renderer.render(t))
                return
            }
            writeResultFile(path, Session.fileText(t, path: path), source: t.source)
        case .chart(let c):
            if let path = c.output {
                writeResultFile(path, ChartRenderer().svg(c), source: c.source)
            } else if format == .table {
                console.out(ChartRenderer().text(c))
            } else {
                // Machine formats get the numbers behind the chart.
                console.out(TableRenderer(format: format).render(Session.chartTable(c)))
            }
        case .testResult(let name, let passed, let details):
            console.out("\(passed ? "✓" : "✗") \(name)\n")
            if let details { console.out(details.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n") }
        case .assertionFailed(let s):
            console.err(s + "\n")
        }
    }

    /// A value's text under `--format json`: as it is when it is already JSON (numbers,
    /// `true`, strings, lists of those); `null` for a number that is not finite (as in
    /// tables); otherwise (dates, durations, records, sets) the text as a JSON string.
    static func jsonValue(_ s: String) -> String {
        if s == "inf" || s == "-inf" || s == "nan" { return "null" }
        return JSONSyntax.isValid(s) ? s : TableRenderer.jsonString(s)
    }

    /// Runtime errors in the same format as compile errors (§8).
    public func reportRuntime(_ error: Error) {
        if jsonDocument { addErrorsToDocument(error) }
        let renderer = DiagnosticRenderer(useColor: console.useColor)
        switch error {
        case let e as EvalError:
            report(e, renderer)
        case let e as RunErrors:
            for entry in e.entries {
                let program = self.program.map { ValueFormatter($0) }
                let n = entry.count
                var note = "\(n == 1 ? "1 case" : "\(ValueFormatter.grouped(Int64(n))) cases") hit this; the first is case \(entry.firstRow)"
                if let program { note += ": \(program.format(.record(entry.firstCase)))" }
                // A note of the diagnostic, so that it lines up with the others under the
                // gutter, however wide the line numbers.
                var error = entry.error
                error.notes.append(Diagnostic.Note(note))
                report(error, renderer)
            }
        case is Interrupted:
            console.err("interrupted\n")
        default:
            console.err("error: internal error: \(error) — this is a bug in policy; please report it\n")
        }
    }

    /// A runtime error: a diagnostic at its statement, or a plain message when it has no place.
    func report(_ e: EvalError, _ renderer: DiagnosticRenderer) {
        if let src = e.source, console.diagnosticHandler != nil {
            console.diagnose(Diagnostic(.error, e.message, at: src.span, hint: e.hint, notes: e.notes), in: src.file, renderer)
        } else {
            console.err(render(e, renderer))
        }
    }

    func render(_ e: EvalError, _ renderer: DiagnosticRenderer) -> String {
        if let src = e.source {
            return renderer.render(Diagnostic(.error, e.message, at: src.span, hint: e.hint, notes: e.notes), in: src.file)
        }
        var text = "error: \(e.message)\n"
        if let hint = e.hint { text += "  = hint: \(hint)\n" }
        for n in e.notes { text += "  = note: \(n.message)\n" }
        return text
    }
}

extension Output {
    /// A failed `assert`: an error, reported as errors are.
    var isAssertionFailure: Bool {
        if case .assertionFailed = self { return true }
        return false
    }

    /// A table or chart with `to "FILE"`: written, not shown.
    var isWrittenToFile: Bool {
        switch self {
        case .table(let t): return t.output != nil
        case .chart(let c): return c.output != nil
        default: return false
        }
    }
}
