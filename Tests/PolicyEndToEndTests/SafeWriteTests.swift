import Foundation
import XCTest

/// Every file the tool writes (`fmt --write`, `:save`, `plot … to`, the history): a regular
/// file is replaced atomically through an exclusive 0600 temporary file that a signal
/// removes; links, pipes and devices are never replaced; read-only files are refused; and
/// output that cannot be written is an error exit, never a silent success.
final class SafeWriteTests: XCTestCase {
    static let unformatted = FormatCommandTests.unformatted
    static let formatted = FormatCommandTests.formatted

    /// A script with a small population, plotted to `target`.
    static func plotScript(to target: String) -> String {
        """
        jurisdiction usa: federal
        jurisdiction a: state in usa "A"
        record b { date: date, jurisdiction: jurisdiction }
        population p of b {
          size 200
          seed 7
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction = a
        }
        plot count by year from p to "\(target)"
        1 + 1

        """
    }

    /// `sh -c COMMAND` in `dir` (for redirections the harness cannot express).
    func shell(_ command: String, in dir: URL, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["POLICY"] = PolicyProcess.executable.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = dir
        let out = dir.appendingPathComponent("shell-stdout-\(UUID().uuidString)")
        let err = dir.appendingPathComponent("shell-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        try? outHandle.close()
        try? errHandle.close()
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return (process.terminationStatus,
                String(decoding: try readFile(out.path), as: UTF8.self),
                String(decoding: try readFile(err.path), as: UTF8.self))
    }

    func fileType(_ path: String) throws -> FileAttributeType? {
        try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType
    }

    func leftovers(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
    }

    // MARK: - Read-only files and links

    func testWriteRefusesAReadOnlyFile() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "ro.policy", Self.unformatted)
        XCTAssertEqual(chmod(path, 0o444), 0)
        let r = try PolicyProcess.run(["fmt", "--write", "ro.policy"], currentDirectory: dir)
        assertNoCrash(r, "fmt --write on a 0444 file")
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write 'ro.policy': the file is read-only (mode 0444); make it writable (chmod u+w) or write to another file\n")
        XCTAssertEqual(try readFile(path), Data(Self.unformatted.utf8), "a read-only file was rewritten")
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o444)
        XCTAssertEqual(try leftovers(dir), [])
    }

    func testWriteKeepsHardLinks() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "one.policy", Self.unformatted)
        let other = dir.appendingPathComponent("two.policy").path
        XCTAssertEqual(link(path, other), 0)
        let r = try PolicyProcess.run(["fmt", "--write", "one.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        var a = stat(), b = stat()
        XCTAssertEqual(stat(path, &a), 0)
        XCTAssertEqual(stat(other, &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino, "the hard link was split into two files")
        XCTAssertEqual(a.st_nlink, 2)
        XCTAssertEqual(String(decoding: try readFile(other), as: UTF8.self), Self.formatted)
        XCTAssertEqual(try leftovers(dir), [])
    }

    /// A symbolic link to a file that does not exist yet: the target is created, the link kept.
    func testPlotThroughADanglingSymbolicLinkCreatesTheTarget() throws {
        let dir = try scratchDirectory()
        let script = try writeFile(dir, "plot.policy", Self.plotScript(to: "chart.svg"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("chart.svg").path,
                                                   withDestinationPath: "real.svg")
        let r = try PolicyProcess.run(["run", script], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try fileType(dir.appendingPathComponent("chart.svg").path), .typeSymbolicLink)
        XCTAssertTrue(String(decoding: try readFile(dir.appendingPathComponent("real.svg").path), as: UTF8.self).contains("<svg"))
    }

    // MARK: - Pipes, devices and standard streams

    /// `plot … to "/dev/stdout"` with stdout redirected to a file: the SVG goes into the
    /// output, in order, and the redirect target is not replaced by a new file.
    func testPlotToDevStdoutWritesToTheRedirectedOutput() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "plot.policy", Self.plotScript(to: "/dev/stdout"))
        try writeFile(dir, "out.txt", "")
        var before = stat()
        XCTAssertEqual(stat(dir.appendingPathComponent("out.txt").path, &before), 0)
        let r = try shell("\"$POLICY\" run plot.policy > out.txt", in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        var after = stat()
        XCTAssertEqual(stat(dir.appendingPathComponent("out.txt").path, &after), 0)
        XCTAssertEqual(before.st_ino, after.st_ino, "the redirect target was replaced")
        let out = String(decoding: try readFile(dir.appendingPathComponent("out.txt").path), as: UTF8.self)
        XCTAssertTrue(out.hasPrefix("<?xml"), out)
        XCTAssertTrue(out.hasSuffix("</svg>\nwrote /dev/stdout\n2\n"), "output lost or out of order:\n\(out.suffix(200))")
        XCTAssertEqual(try fileType("/dev/stdout"), .typeSymbolicLink)
    }

    func testSaveToACharacterDeviceWritesInPlace() throws {
        let r = try PolicyProcess.run([], stdin: Data("let x = 1\n:save /dev/null\n".utf8), timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "saved the session's definitions to /dev/null\n")
        XCTAssertEqual(try fileType("/dev/null"), .typeCharacterSpecial, "/dev/null was replaced")
    }

    func testSaveToAFullDeviceIsAnError() throws {
        let r = try PolicyProcess.run([], stdin: Data("let x = 1\n:save /dev/full\n".utf8), timeout: 20)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write '/dev/full': No space left on device — free some space, or write somewhere else\n")
        XCTAssertEqual(try fileType("/dev/full"), .typeCharacterSpecial)
    }

    func testSaveToANamedPipeWithAReaderWritesThroughIt() throws {
        let dir = try scratchDirectory()
        let fifo = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat pipe > received.txt"]
        reader.currentDirectoryURL = dir
        try reader.run()
        // Wait until the reader has opened its end.
        usleep(300_000)
        let r = try PolicyProcess.run([], stdin: Data("let x = 41\n:save \(fifo)\n".utf8), timeout: 20)
        reader.waitUntilExit()
        XCTAssertEqual(r.status, 0, r.stderr)
        var st = stat()
        XCTAssertEqual(stat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, "the named pipe was replaced by a file")
        XCTAssertEqual(String(decoding: try readFile(dir.appendingPathComponent("received.txt").path), as: UTF8.self),
                       "let x = 41\n")
    }

    func testSaveToANamedPipeWithoutAReaderIsRefusedWithoutHanging() throws {
        let dir = try scratchDirectory()
        let fifo = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let r = try PolicyProcess.run([], stdin: Data("let x = 1\n:save \(fifo)\n".utf8), timeout: 20)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write '\(fifo)': it is a named pipe (FIFO) that no program is reading; start the reader first\n")
        var st = stat()
        XCTAssertEqual(stat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
    }

    // MARK: - The temporary file

    /// Holds the write between the temporary file and the rename, then sends `signal`.
    func assertSignalRemovesTheTemporaryFile(_ signal: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "w.policy", Self.unformatted)
        let process = Process()
        process.executableURL = PolicyProcess.executable
        process.arguments = ["fmt", "--write", "w.policy"]
        var env = ProcessInfo.processInfo.environment
        env["POLICY_TEST_WRITE_PAUSE_MS"] = "8000"
        process.environment = env
        process.currentDirectoryURL = dir
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        var temp: String?
        let deadline = Date().addingTimeInterval(20)
        while temp == nil, Date() < deadline, process.isRunning {
            temp = try leftovers(dir).first
            if temp == nil { usleep(10_000) }
        }
        let name = try XCTUnwrap(temp, "no temporary file appeared", file: file, line: line)
        XCTAssertTrue(name.hasPrefix("w.policy.tmp-"), name, file: file, line: line)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o600, "the temporary file's mode", file: file, line: line)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, file: file, line: line)
        XCTAssertEqual(process.terminationStatus, signal, file: file, line: line)
        XCTAssertEqual(try leftovers(dir), [], "the temporary file was left behind", file: file, line: line)
        XCTAssertEqual(try readFile(path), Data(Self.unformatted.utf8), "the original changed", file: file, line: line)
    }

    func testSIGTERMDuringFmtWriteLeavesNoTemporaryFile() throws {
        try assertSignalRemovesTheTemporaryFile(SIGTERM)
    }

    func testSIGINTDuringFmtWriteLeavesNoTemporaryFile() throws {
        try assertSignalRemovesTheTemporaryFile(SIGINT)
    }

    // MARK: - Standard output

    func testOutputToAFullDeviceIsAnErrorExit() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "x.policy", "1 + 1\n")
        let r = try shell("\"$POLICY\" run x.policy > /dev/full", in: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write to standard output: No space left on device; the output is incomplete\n")
    }

    func testOutputToAClosedStdoutIsAnErrorExit() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "x.policy", "1 + 1\n")
        let r = try shell("\"$POLICY\" run x.policy >&-", in: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot write to standard output: it is closed; the output is incomplete\n")
        // A command with nothing to print loses nothing.
        let quiet = try shell("\"$POLICY\" check x.policy >&-", in: dir)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
    }

    func testPipedPromptToAFullDeviceIsAnErrorExit() throws {
        let dir = try scratchDirectory()
        let r = try shell("echo '6 * 7' | \"$POLICY\" > /dev/full", in: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot write to standard output: No space left on device"), r.stderr)
    }
}
