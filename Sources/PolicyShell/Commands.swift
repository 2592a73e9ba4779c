import PolicyCore
import PolicySyntax

/// The version `policy --version` prints, which shard files record.
public enum PolicyVersion {
    public static let current = "0.1.0"
}

/// What the command-line commands do, independent of argument parsing.
public struct Commands {
    public let console: Console

    public init(console: Console) {
        self.console = console
    }

    /// `policy check FILE…`: parses and checks each file (with what it includes); prints
    /// every diagnostic.
    public func check(_ paths: [String], dump: Bool = false) -> ExitCode {
        var worst = ExitCode.success
        for path in expand(paths, &worst) {
            let session = Session(console: console)
            let code = session.load([path])
            if code == .success, dump, let unit = session.units.first {
                console.out(unit.dump + "\n")
            }
            worst = ExitCode.worse(worst, code)
        }
        return worst
    }

    /// `policy run FILE…`: checks the files as one program, then runs their statements in
    /// order (tests are skipped).
    public func run(_ paths: [String], format: OutputFormat) -> ExitCode {
        let session = Session(console: console)
        session.format = format
        let code = session.load(paths)
        guard code == .success else { return code }
        // JSON: one document for the whole run, whatever stops it.
        session.beginDocument()
        let status = session.run(tests: false)
        session.endDocument()
        if let error = status.error { return Session.exitCode(for: error) }
        if session.writeFailed { return .dataError }
        if status.interrupted {
            console.err("interrupted\n")
            return .dataError
        }
        return status.failed > 0 ? .testFailed : .success
    }

    /// `policy test FILE|DIR…`: runs the `test` blocks of each file (folders are searched
    /// for `.policy` files) and closes with `N passed, M failed`.
    public func test(_ paths: [String]) -> ExitCode {
        var files: [String] = []
        var code = ExitCode.success
        for p in paths {
            switch SourceLoader.policyFiles(p) {
            case .success(let found): files += found
            case .failure(let e):
                console.err("\(e)\n")
                code = .noInput
            }
        }
        var passed = 0, failed = 0
        for file in files {
            let session = Session(console: console)
            let loaded = session.load([file])
            guard loaded == .success else {
                code = ExitCode.worse(code, loaded)
                continue
            }
            let status = session.run(tests: true)
            passed += status.passed
            failed += status.failed
            if let error = status.error { code = ExitCode.worse(code, Session.exitCode(for: error)) }
        }
        console.out("\(passed) passed, \(failed) failed\n")
        if code != .success { return code }
        return failed > 0 ? .testFailed : .success
    }
}

extension ExitCode {
    /// The more serious of two outcomes.
    static func worse(_ a: ExitCode, _ b: ExitCode) -> ExitCode {
        let rank: [ExitCode: Int] = [.success: 0, .testFailed: 1, .usage: 2, .dataError: 3, .noInput: 4, .internalError: 5]
        return rank[b, default: 0] > rank[a, default: 0] ? b : a
    }
}

extension Commands {
    /// Files as given, folders as the `.policy` files under them.
    func expand(_ paths: [String], _ worst: inout ExitCode) -> [String] {
        var files: [String] = []
        for p in paths {
            switch SourceLoader.policyFiles(p) {
            case .success(let found): files += found
            case .failure(let e):
                console.err("\(e)\n")
                worst = ExitCode.worse(worst, .noInput)
            }
        }
        return files
    }
}
