#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax
import PolicySupport

/// Exit codes of LANGUAGE.md §8.
public enum ExitCode: Int32, Sendable {
    case success = 0
    case testFailed = 1
    case usage = 2
    case dataError = 65
    case noInput = 66
    case internalError = 70
}

/// Where output goes. The shell is the only module that prints; tests capture a `Console`.
public final class Console: @unchecked Sendable {
    public var out: (String) -> Void
    public var err: (String) -> Void
    /// Colour diagnostics (a terminal, no `NO_COLOR`, no `--no-color`).
    public var useColor: Bool
    /// The terminal's width when stdout is one (tables are fitted to it), asked for each
    /// table so that a resized window counts; nil otherwise.
    public var measureWidth: (() -> Int?)?
    public var width: Int? { measureWidth?() }
    /// Where diagnostics go instead of being rendered on `err` (`policy repl --jsonl` sends
    /// each as a structured reply).
    public var diagnosticHandler: ((Diagnostic, SourceFile) -> Void)?

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, useColor: Bool = false) {
        self.out = out
        self.err = err
        self.useColor = useColor
    }

    /// The process's stdout and stderr; colour only on a terminal and without `NO_COLOR`.
    public static func standard(noColor: Bool = false) -> Console {
        let colour = !noColor && getenv("NO_COLOR") == nil && isatty(2) != 0
        let console = Console(out: { StandardOutput.write($0) }, err: { writeAll(2, $0) }, useColor: colour)
        console.measureWidth = terminalWidth
        return console
    }

    /// The columns of the terminal stdout is, or nil when it is not one.
    static func terminalWidth() -> Int? {
        guard isatty(1) != 0 else { return nil }
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Renders and prints diagnostics to stderr, then says how many more were found past
    /// the `errors` limit (they were counted, not kept).
    public func report(_ diagnostics: [Diagnostic], in file: SourceFile, omitted: Int = 0) {
        let renderer = DiagnosticRenderer(useColor: useColor)
        for d in diagnostics { diagnose(d, in: file, renderer) }
        reportOmitted(omitted, shown: diagnostics.count)
    }

    /// Diagnostics of several files, and how many more were found past the `errors` limit.
    public func report(_ diagnostics: [LocatedDiagnostic], omitted: Int = 0) {
        let renderer = DiagnosticRenderer(useColor: useColor)
        for d in diagnostics { diagnose(d.diagnostic, in: d.file, renderer) }
        reportOmitted(omitted, shown: diagnostics.count)
    }

    /// One diagnostic: to the handler if there is one, else rendered on stderr.
    func diagnose(_ d: Diagnostic, in file: SourceFile, _ renderer: DiagnosticRenderer) {
        if let diagnosticHandler {
            diagnosticHandler(d, file)
        } else {
            err(renderer.render(d, in: file))
        }
    }

    /// `… and 12,345 more errors (…)`, when there are any.
    func reportOmitted(_ omitted: Int, shown: Int) {
        guard omitted > 0 else { return }
        err("… and \(Limits.grouped(omitted)) more error\(omitted == 1 ? "" : "s") not shown (only the first \(Limits.grouped(shown)) are; show more with --limit errors=N)\n")
    }
}

/// Writes every byte, retrying on partial writes and EINTR; false if the write failed.
@discardableResult
public func writeAll(_ fd: Int32, _ text: String) -> Bool {
    FileWriter.writeAll(fd, Array(text.utf8)) == nil
}

/// The process's standard output. A write that fails (a full disk, `/dev/full`, a closed
/// descriptor) is reported once on stderr, and the process then exits non-zero (66): output
/// that was lost is never a success.
public enum StandardOutput {
    private static let lock = Lock()
    nonisolated(unsafe) private static var closedAtStart = false
    nonisolated(unsafe) private static var failed = false
    /// Where output goes: descriptor 1, or the private copy `reserveForProtocol` made.
    nonisolated(unsafe) private static var descriptor: Int32 = 1

    /// For a protocol on stdout (`repl --jsonl`, `lsp`): the replies go to a private copy of
    /// descriptor 1, and descriptor 1 itself becomes stderr — so a result written to
    /// `/dev/stdout` (or `:save /dev/stdout`) lands on stderr instead of inside the protocol.
    public static func reserveForProtocol() {
        lock.withLock {
            let copy = dup(1)
            guard copy >= 0 else { return }
            _ = fcntl(copy, F_SETFD, FD_CLOEXEC)
            descriptor = copy
            dup2(2, 1)
        }
    }

    /// At start-up: descriptors 0, 1 and 2 that are closed are opened on /dev/null, so a file
    /// the program opens never lands on them (and output meant for the terminal never goes
    /// into it); a closed stdout is remembered, and the first output reports it.
    public static func prepare() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            let opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != fd {
                dup2(opened, fd)
                close(opened)
            }
            if fd == 1 { closedAtStart = true }
        }
    }

    static func write(_ text: String) {
        guard !text.isEmpty else { return }
        lock.withLock {
            guard !failed else { return }
            let reason = closedAtStart ? "it is closed" : FileWriter.writeAll(descriptor, Array(text.utf8))
            if let reason {
                failed = true
                writeAll(2, "error: cannot write to standard output: \(reason); the output is incomplete\n")
            }
        }
    }

    /// The exit code, made at least 66 if output was lost.
    public static func exitCode(_ code: ExitCode) -> ExitCode {
        lock.withLock { failed ? ExitCode.worse(code, .noInput) : code }
    }
}
