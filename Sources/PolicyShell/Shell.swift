#if canImport(Glibc)
import Glibc
#endif
import PolicyCore
import PolicySyntax

extension Commands {
    /// Where the history lives: `$XDG_STATE_HOME/policy/history`, else `~/.policy_history`.
    static func historyPath() -> String? {
        if let xdg = getenv("XDG_STATE_HOME").map({ String(cString: $0) }), !xdg.isEmpty {
            mkdir(xdg, 0o755)
            mkdir("\(xdg)/policy", 0o755)
            return "\(xdg)/policy/history"
        }
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return nil }
        return "\(home)/.policy_history"
    }

    /// `policy` / `policy repl FILE…`: the interactive prompt on a terminal; on piped input,
    /// the same statements without prompts (exit code per §8).
    public func repl(_ files: [String], format: OutputFormat) -> ExitCode {
        let session = Session(console: console)
        session.format = format
        if !files.isEmpty {
            let code = session.load(files)
            guard code == .success else { return code }
        }
        let interactive = isatty(0) != 0 && isatty(1) != 0
        let reader: LineReader
        if interactive, let editor = EditLineReader(historyPath: Commands.historyPath()) {
            reader = editor
        } else {
            reader = PlainLineReader()
        }
        return REPL(session: session, reader: reader, interactive: interactive, files: files).run()
    }

    /// `policy demo FILE`: the script one step at a time — its `##` narration, the
    /// statement, its result — waiting for Enter between steps on a terminal. Only the
    /// script's own statements are steps (every declaration in it is shown, so the reader
    /// sees the code behind each answer); what its includes declare is loaded silently.
    public func demo(_ path: String, format: OutputFormat) -> ExitCode {
        let session = Session(console: console)
        session.format = format
        let code = session.load([path])
        guard code == .success, let result = session.result, let interpreter = session.interpreter else { return code }
        let interactive = isatty(0) != 0 && isatty(1) != 0
        let stdin = PlainLineReader()
        var step = 0
        let script = session.units.first?.file
        for s in result.statements {
            if case .test = s { continue }
            let src = s.source
            guard let script, src.file === script else { continue }
            let narration = Demo.narration(before: src)
            let isDeclaration: Bool
            if case .declaration = s { isDeclaration = true } else { isDeclaration = false }
            step += 1
            if step > 1, interactive {
                console.out("\n[Enter for the next step, q to stop] ")
                if let answer = stdin.readLine(prompt: ""), answer.lowercased().hasPrefix("q") { break }
            } else if step > 1 {
                console.out("\n")
            }
            for line in narration { console.out("\(Demo.paint(line, "3", interactive))\n") }
            console.out(Demo.paint(src.file.text(src.span), "1", interactive) + "\n")
            if !isDeclaration {
                let status = interpreter.runOne(s) { session.render($0) }
                if let e = status.error {
                    session.reportRuntime(e)
                    return Session.exitCode(for: e)
                }
            }
        }
        return .success
    }
}

enum Demo {
    /// The `##` lines directly above a statement.
    static func narration(before src: SourceRef) -> [String] {
        let file = src.file
        var line = file.location(of: Int(src.span.start)).line - 1
        var out: [String] = []
        while line >= 1 {
            let text = file.lineText(line).trimmingCharacters(in: " \t")
            guard text.hasPrefix("##") else { break }
            var body = text.dropFirst(2)
            if body.first == " " { body = body.dropFirst() }
            out.insert(String(body), at: 0)
            line -= 1
        }
        return out
    }

    static func paint(_ s: String, _ code: String, _ on: Bool) -> String {
        on && getenv("NO_COLOR") == nil ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}
