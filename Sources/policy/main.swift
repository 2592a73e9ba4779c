import ArgumentParser
import PolicyShell
import PolicySyntax

// All work runs on a thread with a large stack (see `withLargeStack`); the process exits
// from there with the command's exit code.
// The engine switches of the environment, read once here: the library reads no environment.
EngineOptions.current = EngineOptions.fromEnvironment(EngineOptions.processEnvironment)
EngineOptions.current.telemetry = { FileHandleless.writeError($0 + "\n") }
StandardOutput.prepare()
let arguments = PolicyCommand.preprocess(Array(CommandLine.arguments.dropFirst()))
withLargeStack {
    do {
        var command = try PolicyCommand.parseAsRoot(arguments)
        try command.run()
    } catch {
        // Usage mistakes exit 2 (LANGUAGE.md §8); help and --version exit 0 as usual.
        if PolicyCommand.exitCode(for: error).rawValue == 64 {
            let message = PolicyCommand.fullMessage(for: error)
            FileHandleless.writeError(message + "\n")
            exitWith(.usage)
        }
        PolicyCommand.exit(withError: error)
    }
}
