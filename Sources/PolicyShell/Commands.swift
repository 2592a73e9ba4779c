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
