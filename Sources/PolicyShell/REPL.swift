#if canImport(Glibc)
import Glibc
#endif
import CEditLine
import PolicyCore
import PolicySyntax
import PolicySupport

/// The interactive shell (ARCHITECTURE.md, "The REPL contract"), and the same loop without
/// prompts for piped input.
public final class REPL {
    public let session: Session
    let reader: LineReader
    let interactive: Bool
    var timing = false
    /// Files loaded with `policy repl FILE…` or `:load`, for `:reload`.
    var files: [String]
    /// The worst outcome so far (the exit code when input is piped).
    var outcome = ExitCode.success
    /// Scenarios made by `:set`, by name: what they set, as the prompt shows it.
    var sessionSets: [String: String] = [:]
    var entry = PendingEntry()

    public init(session: Session, reader: LineReader, interactive: Bool, files: [String]) {
        self.session = session
        self.reader = reader
        self.interactive = interactive
        self.files = files
        if let editor = reader as? EditLineReader {
            editor.complete = { [unowned self] before in self.completions(before) }
        }
    }

    var console: Console { session.console }

    var prompt: String {
        if session.scenario == "baseline" { return "policy> " }
        return "policy[\(sessionSets[session.scenario] ?? session.scenario)]> "
    }

    /// Runs until end of input or `:quit`; returns the exit code (§8).
    public func run() -> ExitCode {
        if interactive {
            policy_install_sigint()
            console.out(banner())
        }
        while true {
            guard let line = reader.readLine(prompt: entry.text.isEmpty ? prompt : "   ...> ") else {
                if interactive {
                    console.out("\n")
                } else {
                    finishInput()
                }
                break
            }
            if reader.wasInterrupted {
                // Ctrl-C while typing abandons the entry.
                entry.lines += 1
                entry.text = ""
                continue
            }
            if !take(line) { break }
        }
        reader.close()
        // At a terminal the errors were seen as they happened: leaving is clean. Piped input
        // reports the worst outcome (§8).
        return interactive ? .success : outcome
    }

    /// The entry being typed, over one or more lines, and where it began in the input.
    struct PendingEntry {
        var text = ""
        /// Lines read so far, and the line the pending entry began on.
        var lines = 0, start = 1
    }

    /// One line of input: a meta-command, or part or the end of an entry, which then runs.
    /// False means leave (`:quit`).
    func take(_ line: String) -> Bool {
        entry.lines += 1
        if entry.text.isEmpty { entry.start = entry.lines }
        let trimmed = line.trimmingCharacters(in: " \t")
        if entry.text.isEmpty, trimmed.hasPrefix(":") {
            reader.remember(trimmed)
            return meta(trimmed)
        }
        if !entry.text.isEmpty, trimmed.isEmpty {
            entry.text = "" // an empty line abandons an unfinished entry
            return true
        }
        entry.text += entry.text.isEmpty ? line : "\n" + line
        if entry.text.trimmingCharacters(in: " \t\n").isEmpty {
            entry.text = ""
            return true
        }
        if REPL.isIncomplete(entry.text) { return true }
        reader.remember(entry.text)
        let text = entry.text
        entry.text = ""
        execute(text)
        return true
    }

    /// The end of the input: an entry left unfinished is an error, never silently dropped.
    func finishInput() {
        if !entry.text.isEmpty { unfinishedAtEnd(entry.text, startLine: entry.start) }
        entry = PendingEntry()
    }

    func banner(forPeople: Bool = true) -> String {
        var text = "policy 0.1 — policy what-ifs."
        if let p = session.program, !files.isEmpty {
            text += " Loaded \(files.count) file\(files.count == 1 ? "" : "s"): "
            text += "\(ValueFormatter.grouped(Int64(p.jurisdictions.count))) jurisdictions, \(p.policies.count) policies, "
            text += "\(p.events.count) events, \(p.scenarios.count - 1) scenarios."
        }
        return forPeople ? text + "\nType :help for help, Tab to complete, Ctrl-D to leave.\n" : text
    }

    /// An entry is unfinished when the parser ran out of input inside it (an open bracket,
    /// a trailing operator, `if` without `else` …) — decided by the real parser.
    public static func isIncomplete(_ text: String) -> Bool {
        let unit = Parser.parse(SourceFile(name: "<repl>", text: text))
        let end = UInt32(text.utf8.count)
        return unit.diagnostics.contains { d in
            d.span.start >= end.saturatingSub(1) && (d.message.contains("end of input") || d.message.hasPrefix("'}' expected")
                || d.message.hasPrefix("')' expected") || d.message.hasPrefix("']' expected"))
        }
    }

    /// Parses, checks and runs one entry; nothing changes if any of it fails to check.
    func execute(_ text: String, file: String = "<repl>") {
        let start = Benchmark.monotonicSeconds()
        let casesBefore = session.tally.casesVisited
        let unit = Parser.parse(SourceFile(name: file, text: text))
        if unit.hasErrors {
            console.report(unit.diagnostics, in: unit.file, omitted: unit.omittedErrors)
            note(.dataError)
            return
        }
        let accepted = withInterrupts { session.accept([unit]) }
        guard accepted == .success else {
            note(accepted)
            return
        }
        let entry = (session.units.count - 1)..<session.units.count
        var status = withInterrupts { session.run(tests: false, unitRange: entry) }
        // A `test` typed at the prompt runs at once (a file's tests run by `policy test`).
        let hasTests = unit.statements.contains { if case .test = $0.kind { return true } else { return false } }
        if hasTests, !status.interrupted, status.error == nil {
            let tests = withInterrupts { session.run(tests: true, unitRange: entry) }
            status.failed += tests.failed
            status.interrupted = tests.interrupted
            status.error = tests.error
        }
        if status.interrupted {
            console.err("interrupted — the session is unchanged\n")
        } else if let error = status.error {
            note(Session.exitCode(for: error))
        } else if status.failed > 0 {
            note(.testFailed)
        }
        if timing {
            // The time, the cases the entry's aggregates went over, and the memory the
            // session holds after it.
            let held = Benchmark.formatBytes(Double(Benchmark.currentResidentBytes()))
            let cases = session.tally.casesVisited - casesBefore
            let visited = cases > 0 ? "\(Limits.grouped(cases)) case\(cases == 1 ? "" : "s"), " : ""
            console.out("(\(Benchmark.format3(Benchmark.monotonicSeconds() - start)) s, \(visited)\(held) in use)\n")
        }
    }

    func note(_ code: ExitCode) { outcome = ExitCode.worse(outcome, code) }

    /// Piped input that ends inside an entry (an open bracket, a trailing operator): the
    /// parser's errors, saying where the entry began, and exit 65 — never silently dropped.
    func unfinishedAtEnd(_ text: String, startLine: Int, inputName: String = "input", file: String = "<repl>") {
        let unit = Parser.parse(SourceFile(name: file, text: text))
        var diagnostics = unit.diagnostics.filter { $0.severity == .error }
        let ended = Diagnostic.Note("the \(inputName) ended inside this entry, which begins on line \(startLine) of the \(inputName); complete it, or remove it")
        if diagnostics.isEmpty {
            let end = text.utf8.count
            diagnostics = [Diagnostic(.error, "the \(inputName) ended inside an unfinished entry", at: Span(end, end), notes: [ended])]
        } else {
            diagnostics[0].notes.append(ended)
        }
        console.report(diagnostics, in: unit.file)
        note(.dataError)
    }

    /// Runs `body` while a watcher turns Ctrl-C into the program's cancellation flag, so a
    /// long evaluation stops at its next check (every few thousand cases).
    func withInterrupts<T>(_ body: () -> T) -> T {
        guard interactive else { return body() }
        policy_clear_interrupt()
        let stop = StopFlag()
        let flag = session.cancellation
        flag.reset()
        var watcher = pthread_t()
        let box = Unmanaged.passRetained(WatchBox { 
            while !stop.done {
                if policy_peek_interrupt() != 0 { flag.raise() }
                usleep(20_000)
            }
        }).toOpaque()
        let started = pthread_create(&watcher, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<WatchBox>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, box) == 0
        if !started { Unmanaged<WatchBox>.fromOpaque(box).release() }
        let result = body()
        stop.done = true
        if started { pthread_join(watcher, nil) }
        policy_clear_interrupt()
        flag.reset()
        return result
    }

    // MARK: - Meta-commands

    static let metaCommands = [":help", ":load", ":reload", ":reset", ":scenario", ":set", ":timing", ":format", ":save", ":history", ":quit"]

    /// Runs a meta-command; false means leave.
    func meta(_ text: String) -> Bool {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        let command = parts[0]
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: " \t") : ""
        switch command {
        case ":quit", ":q", ":exit":
            return false
        case ":help", ":h", ":?":
            console.out(help(argument))
        case ":load", ":l":
            guard !argument.isEmpty else { return usage(":load FILE") }
            let path = unquote(argument)
            let code = withInterrupts { session.load([path]) }
            if code == .success {
                files.append(path)
                console.out("loaded \(path)\n")
            } else {
                note(code)
            }
        case ":reload":
            let fresh = Session(console: console, cancellation: session.cancellation, tally: session.tally)
            fresh.format = session.format
            let code = files.isEmpty ? .success : withInterrupts { fresh.load(files) }
            if code == .success {
                session.replace(with: fresh)
                console.out(files.isEmpty ? "nothing to reload\n" : "reloaded \(files.joined(separator: ", "))\n")
            } else {
                console.err("error: :reload failed; the session keeps the definitions it had\n")
                note(code)
            }
        case ":reset":
            session.replace(with: Session(console: console, cancellation: session.cancellation, tally: session.tally))
            files = []
            console.out("the session is empty\n")
        case ":scenario", ":s":
            if argument.isEmpty {
                let names = session.program?.scenarios.map(\.name) ?? ["baseline"]
                console.out("current scenario: \(session.scenario)\nscenarios: \(names.joined(separator: ", "))\n")
            } else if let program = session.program, let s = program.scenarioIndex(argument) {
                session.scenario = argument
                session.interpreter?.currentScenario = s
            } else if argument == "baseline" {
                session.scenario = "baseline"
            } else {
                let names = session.program?.scenarios.map(\.name) ?? ["baseline"]
                let hint = Suggest.hint(argument, names).map { " — \($0)" } ?? ""
                console.err("error: unknown scenario '\(argument)'\(hint)\n")
                note(.dataError)
            }
        case ":set":
            setParam(argument)
        case ":timing":
            switch argument {
            case "on": timing = true
            case "off": timing = false
            default: return usage(":timing on|off")
            }
        case ":format":
            guard let f = OutputFormat(rawValue: argument) else {
                return usage(":format \(OutputFormat.allCases.map(\.rawValue).joined(separator: "|")) (now \(session.format.rawValue))")
            }
            session.format = f
        case ":save":
            guard !argument.isEmpty else { return usage(":save FILE") }
            let path = unquote(argument)
            if let reason = FileWriter.write(path, session.definitionsScript(savingTo: path)) {
                console.err(FileWriter.message(path, reason))
                note(.noInput)
            } else {
                console.out("saved the session's definitions to \(path)\n")
            }
        case ":history":
            for (i, entry) in reader.history.enumerated() {
                console.out(String(i + 1).leftPadded(5) + "  " + entry.replacingOccurrences(of: "\n", with: "\n       ") + "\n")
            }
        default:
            let hint = Suggest.hint(command, REPL.metaCommands).map { " — \($0)" } ?? ""
            console.err("error: unknown command '\(command)'\(hint); :help lists the commands\n")
            note(.usage)
        }
        return true
    }

    /// A meta-command used wrongly: says how to use it (with piped input, the exit is 2).
    func usage(_ text: String) -> Bool {
        console.err("usage: \(text)\n")
        note(.usage)
        return true
    }

    func unquote(_ s: String) -> String {
        s.count >= 2 && s.hasPrefix("\"") && s.hasSuffix("\"") ? String(s.dropFirst().dropLast()) : s
    }

    func help(_ topic: String) -> String {
        if topic.isEmpty {
            return """
            Type a statement or an expression; it runs when it is complete (an open bracket or a
            line ending in an operator continues on the next line; an empty line abandons it).
              :help NAME            what a declared name is, with its ## documentation
              :load FILE            add a file's definitions     :reload   load the files again
              :reset                forget everything            :quit     leave (or Ctrl-D)
              :scenario [NAME]      the scenario queries use     :history  the entries so far
              :timing on|off        time, cases and memory       :format table|csv|json|jsonl
              :set PARAM = VALUE    change a param for the rest of the session (a scenario on the
                                    current one; :scenario baseline goes back)
              :save FILE            write the definitions as a formatted script
            Ctrl-C clears the line, or stops a long evaluation.

            """
        }
        if let text = helpText(topic) { return text }
        let names = session.program.map { HelpText(program: $0).allNames } ?? []
        let hint = Suggest.hint(topic, names + HelpTopics.words).map { " (\($0))" } ?? ""
        return "nothing called '\(topic)'\(hint); :help lists the commands\n"
    }

    /// What `:help topic` says of a declared name, a keyword or a help topic; nil when it
    /// names nothing.
    func helpText(_ topic: String) -> String? {
        if topic == "syntax" { return HelpTopics.syntax }
        if let p = session.program, let declared = HelpText(program: p).describe(topic) { return declared }
        if let word = HelpTopics.topics[topic] { return word.hasSuffix("\n") ? word : word + "\n" }
        return nil
    }

    // MARK: - Completion

    /// The word a completion replaces: back from the cursor to a space, bracket, quote, dot
    /// or slash (a whole meta-command, while its name is typed).
    static func completedWord(_ before: String) -> String {
        let metaName = before.hasPrefix(":") && !before.contains(" ")
        return String(before.reversed().prefix { !" \t({[,=<>\"/.:".contains($0) || $0 == ":" && metaName }.reversed())
    }

    /// Whole words that could complete the text before the cursor.
    func completions(_ before: String) -> [String] {
        if before.hasPrefix(":"), !before.contains(" ") {
            return REPL.metaCommands.filter { $0.hasPrefix(before) }
        }
        if let file = fileContext(before) { return fileCompletions(file) }
        return REPL.completions(before, program: session.program)
    }

    /// Words of the language and names `program` declares that complete the word before
    /// the cursor (after a `.`, the members there) — Tab's, the notebook's and the editor's.
    static func completions(_ before: String, program: Program?) -> [String] {
        var word = ""
        for ch in before.reversed() {
            if ch.isLetter || ch.isNumber || ch == "_" { word.insert(ch, at: word.startIndex) } else { break }
        }
        let beforeWord = before.dropLast(word.count)
        var candidates: [String] = []
        if beforeWord.hasSuffix(".") {
            candidates = memberCompletions(String(beforeWord.dropLast()), program: program)
        } else if let p = program {
            candidates = reservedWords + Checker.builtinNames + ["baseline", "it", "year", "month", "quarter"] + REPL.contextualWords
            candidates += p.jurisdictions.names + p.agencies.map(\.name) + p.params.map(\.name) + p.lets.map(\.name)
            candidates += p.decisions.map(\.name) + p.policies.map(\.name) + p.events.map(\.name)
            candidates += p.scenarios.map(\.name) + p.populations.map(\.name) + p.records.map(\.name)
            candidates += p.enums.map(\.name) + p.enums.flatMap(\.members)
            candidates += p.records.flatMap { $0.fields.map(\.name) }
        } else {
            candidates = reservedWords + Checker.builtinNames
        }
        return Array(Set(candidates.filter { $0.hasPrefix(word) && $0 != word })).sorted()
    }

    /// Words with a meaning in one place only, not reserved (a program may use them as names).
    static let contextualWords = ["replicates", "sweep", "step", "titled", "decompose", "sample", "weight", "cases", "uniform", "weighted", "size", "seed"]

    static func memberCompletions(_ base: String, program: Program?) -> [String] {
        guard let p = program else { return [] }
        var qualifier = ""
        for ch in base.reversed() {
            if ch.isLetter || ch.isNumber || ch == "_" { qualifier.insert(ch, at: qualifier.startIndex) } else { break }
        }
        if let e = p.enumIndex(qualifier) { return p.enums[e].members }
        return ["name", "label", "kind", "parent"] + p.attributes.map(\.name) + p.records.flatMap { $0.fields.map(\.name) }
    }

    /// Inside `include "…` or after `:load `: the partial path.
    func fileContext(_ before: String) -> String? { REPL.fileContext(before) }

    static func fileContext(_ before: String) -> String? {
        if before.hasPrefix(":load ") { return String(before.dropFirst(6)) }
        if let r = before.range(of: "include \""), !before[r.upperBound...].contains("\"") {
            return String(before[r.upperBound...])
        }
        return nil
    }

    func fileCompletions(_ partial: String) -> [String] { REPL.fileCompletions(partial) }

    /// Files and folders that complete a partial path (folders end in `/`), relative to the
    /// working folder.
    static func fileCompletions(_ partial: String, folder: String? = nil) -> [String] {
        let dir: String, prefix: String
        if let slash = partial.lastIndex(of: "/") {
            dir = String(partial[...slash])
            prefix = String(partial[partial.index(after: slash)...])
        } else {
            dir = ""
            prefix = partial
        }
        var names: [String] = []
        // Relative to `folder` (an editor's document's folder) when there is one.
        let base = folder.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? ""
        let listed = dir.hasPrefix("/") ? dir : base + dir
        for (name, type) in SourceLoader.entries(listed.isEmpty ? "." : listed) ?? [] {
            guard name.hasPrefix(prefix), !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
            let isDir = type == UInt8(DT_DIR)
            if isDir || name.hasSuffix(".policy") || name.hasSuffix(".csv") { names.append(isDir ? name + "/" : name) }
        }
        return names.sorted()
    }
}

final class StopFlag: @unchecked Sendable {
    var done = false
}

final class WatchBox: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

extension UInt32 {
    func saturatingSub(_ x: UInt32) -> UInt32 { self >= x ? self - x : 0 }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

extension REPL {
    /// `:set PARAM = VALUE`: a scenario on the current one that sets the param, made the
    /// current scenario. The prompt shows what is set (`policy[rate = 60%]>`); each `:set`
    /// adds to the last; `:scenario baseline` (or any other) leaves them.
    func setParam(_ argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t") }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            console.err("usage: :set PARAM = VALUE, as in :set match_rate = 6%\n")
            note(.usage)
            return
        }
        let (name, value) = (parts[0], parts[1])
        guard let program = session.program, program.params.contains(where: { $0.name == name }) else {
            let names = session.program?.params.map(\.name) ?? []
            let hint = Suggest.hint(name, names).map { " — \($0)" } ?? ""
            console.err("error: no param called '\(name)'\(hint)\n")
            note(.dataError)
            return
        }
        var k = 1
        while program.scenarioIndex("session\(k)") != nil { k += 1 }
        let scenario = "session\(k)"
        let shown = (sessionSets[session.scenario].map { $0 + ", " } ?? "") + "\(name) = \(value)"
        let before = session.units.count
        execute("scenario \(scenario) from \(session.scenario) \"\(shown.replacingOccurrences(of: "\"", with: "'"))\" { param \(name) = \(value) }")
        guard session.units.count > before, let index = session.program?.scenarioIndex(scenario) else { return }
        sessionSets[scenario] = shown
        session.scenario = scenario
        session.interpreter?.currentScenario = index
    }
}
