import Foundation
import XCTest

/// Runs the built `policy` executable and captures what it prints.
struct PolicyProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The process was killed by a signal (a crash: SIGSEGV, SIGILL from a trap, …);
        /// `status` is then the signal's number.
        var terminatedBySignal = false
        /// The process did not finish within the timeout and was terminated.
        var timedOut = false
        /// Standard output as bytes (for byte-exact comparisons).
        var stdoutData = Data()

        /// A crash, by a signal or by a shell-style status of 128 and above.
        var crashed: Bool { terminatedBySignal || status >= 128 }
    }

    /// The `policy` binary next to the test bundle (SwiftPM builds it: the test target
    /// depends on it).
    static var executable: URL {
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        let candidates = [dir.appendingPathComponent("policy"),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("policy")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The package's root folder.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `policy args…` with `stdin` as standard input; fails the test after `timeout` s.
    /// `launcher`: a command that runs `policy` (its path then `args` follow), as in
    /// `["/bin/sh", "-c", "ulimit -v 3145728 && exec \"$0\" \"$@\""]`.
    static func run(_ args: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    currentDirectory: URL? = nil, timeout: TimeInterval = 60, launcher: [String] = [],
                    file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = Process()
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(launcher.dropFirst()) + [executable.path] + args
        } else {
            process.executableURL = executable
            process.arguments = args
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        // Output goes to files, so a chatty child never blocks on a full pipe.
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let stdin {
            let inURL = scratch.appendingPathComponent("stdin")
            try stdin.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            // A child that ignores SIGTERM gets SIGKILL after a grace period.
            let grace = Date().addingTimeInterval(2)
            while process.isRunning, Date() < grace { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            XCTFail("policy \(args.joined(separator: " ")) did not finish within \(timeout) s", file: file, line: line)
        }
        process.waitUntilExit()
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      terminatedBySignal: process.terminationReason == .uncaughtSignal,
                      timedOut: timedOut,
                      stdoutData: outData)
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
