import ArgumentParser
import PolicyShell
import PolicySyntax

// All work runs on a thread with a large stack (see `withLargeStack`); the process exits
// from there with the command's exit code.
let arguments = PolicyCommand.preprocess(Array(CommandLine.arguments.dropFirst()))
withLargeStack {
    PolicyCommand.main(arguments)
}
