import PolicySyntax
import PolicySupport

extension Commands {
    public enum FormatMode: Sendable { case print, check, write }

    /// `policy fmt FILE… [--check|--write]`.
    ///
    /// Files with syntax errors are reported and left alone (exit 65). As a safety net the
    /// output is parsed again: if its tree differs from the input's, that is a formatter
    /// bug, reported as one (exit 70) rather than written.
    public func format(_ paths: [String], mode: FormatMode) -> ExitCode {
        var worst = ExitCode.success
        func note(_ code: ExitCode) { worst = ExitCode.worse(worst, code) }
        for path in expand(paths, &worst) {
            let file: SourceFile
            switch SourceLoader.load(path) {
            case .failure(let e) where e.hint != nil:
                console.report([Diagnostic.error(e.reason, at: .zero, hint: e.hint)], in: SourceFile(name: path, text: ""))
                note(.dataError)
                continue
            case .failure(let e):
                console.err("\(e)\n")
                note(.noInput)
                continue
            case .success(let f):
                file = f
            }
            let unit = Parser.parse(file)
            if unit.hasErrors {
                console.report(unit.diagnostics, in: file, omitted: unit.omittedErrors)
                note(.dataError)
                continue
            }
            let formatted = Formatter.format(unit)
            let again = Commands.parseOwnOutput(SourceFile(name: path, text: formatted))
            if again.hasErrors || again.dump != unit.dump {
                console.err("error: internal error: formatting '\(path)' would change its meaning; the file was left as it is. Please report this with the file attached.\n")
                note(.internalError)
                continue
            }
            let original = String(decoding: file.bytes, as: UTF8.self)
            switch mode {
            case .print:
                console.out(formatted)
            case .check:
                if formatted != original {
                    console.out("\(path)\n")
                    note(.testFailed)
                }
            case .write:
                if formatted != original, let reason = FileWriter.write(path, formatted) {
                    console.err(FileWriter.message(path, reason))
                    note(.noInput)
                }
            }
        }
        return worst
    }
}

extension Commands {
    /// Parses the formatter's own output for the safety check. The size limits bound the
    /// input a user gives, not what `fmt` makes of a valid file (spacing can make it larger),
    /// so they are lifted for this parse.
    static func parseOwnOutput(_ file: SourceFile) -> SourceUnit {
        let saved = Limits.current
        Limits.current.fileBytes = Int.max
        Limits.current.lineCharacters = Int.max
        defer { Limits.current = saved }
        return Parser.parse(file)
    }
}
