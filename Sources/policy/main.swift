import ArgumentParser
import PolicyShell
import PolicySupport
import PolicySyntax
#if canImport(Glibc)
import Glibc
#endif

// All work runs on a thread with a large stack (see `withLargeStack`); the process exits
// from there with the command's exit code.
// The engine switches of the environment, read once here: the library reads no environment.
EngineOptions.current = EngineOptions.fromEnvironment(EngineOptions.processEnvironment)
EngineOptions.current.telemetry = { FileHandleless.writeError($0 + "\n") }
StandardOutput.prepare()
#if canImport(Glibc)
// The engines allocate and free many vectors of half a megabyte per chunk of cases. glibc
// maps each such block from the kernel afresh (and the kernel zeroes every page of it);
// kept in the heap, they are reused instead. (`mallopt` is looked up: Swift's Glibc module
// does not import malloc.h.)
if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
    _ = mallopt(-3, 64 << 20) // M_MMAP_THRESHOLD
    _ = mallopt(-1, 128 << 20) // M_TRIM_THRESHOLD
}
#endif
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
