import PolicySyntax

/// What the command-line commands do, independent of argument parsing.
public struct Commands {
    public let console: Console

    public init(console: Console) {
        self.console = console
    }

    /// `policy check FILE…`: reads and checks each file; prints every diagnostic.
    public func check(_ paths: [String], dump: Bool = false) -> ExitCode {
        var worst = ExitCode.success
        for path in paths {
            switch SourceLoader.load(path) {
            case .failure(let e):
                console.err("\(e)\n")
                worst = .noInput
            case .success(let file):
                let unit = Parser.parse(file)
                console.report(unit.diagnostics, in: file)
                if unit.hasErrors {
                    if worst == .success { worst = .dataError }
                } else if dump {
                    console.out(unit.dump + "\n")
                }
            }
        }
        return worst
    }
}

extension Commands {
    public enum FormatMode: Sendable { case print, check, write }

    /// `policy fmt FILE… [--check|--write]`.
    ///
    /// Files with syntax errors are reported and left alone (exit 65). As a safety net the
    /// output is parsed again: if its tree differs from the input's, that is a formatter
    /// bug, reported as one (exit 70) rather than written.
    public func format(_ paths: [String], mode: FormatMode) -> ExitCode {
        var worst = ExitCode.success
        func note(_ code: ExitCode) {
            let rank: [ExitCode: Int] = [.success: 0, .testFailed: 1, .dataError: 2, .noInput: 3, .internalError: 4]
            if rank[code, default: 0] > rank[worst, default: 0] { worst = code }
        }
        for path in paths {
            let file: SourceFile
            switch SourceLoader.load(path) {
            case .failure(let e):
                console.err("\(e)\n")
                note(.noInput)
                continue
            case .success(let f):
                file = f
            }
            let unit = Parser.parse(file)
            if unit.hasErrors {
                console.report(unit.diagnostics, in: file)
                note(.dataError)
                continue
            }
            let formatted = Formatter.format(unit)
            let again = Parser.parse(SourceFile(name: path, text: formatted))
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
                if formatted != original, let reason = SourceLoader.writeAtomically(path, formatted) {
                    console.err("error: cannot write '\(path)': \(reason)\n")
                    note(.noInput)
                }
            }
        }
        return worst
    }
}
