#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

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

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, useColor: Bool = false) {
        self.out = out
        self.err = err
        self.useColor = useColor
    }

    /// The process's stdout and stderr; colour only on a terminal and without `NO_COLOR`.
    public static func standard(noColor: Bool = false) -> Console {
        let colour = !noColor && getenv("NO_COLOR") == nil && isatty(2) != 0
        return Console(out: { writeAll(1, $0) }, err: { writeAll(2, $0) }, useColor: colour)
    }

    /// Renders and prints diagnostics to stderr, then says how many more were found past
    /// the `errors` limit (they were counted, not kept).
    public func report(_ diagnostics: [Diagnostic], in file: SourceFile, omitted: Int = 0) {
        let renderer = DiagnosticRenderer(useColor: useColor)
        for d in diagnostics { err(renderer.render(d, in: file)) }
        reportOmitted(omitted, shown: diagnostics.count)
    }

    /// Diagnostics of several files, and how many more were found past the `errors` limit.
    public func report(_ diagnostics: [LocatedDiagnostic], omitted: Int = 0) {
        let renderer = DiagnosticRenderer(useColor: useColor)
        for d in diagnostics { err(renderer.render(d)) }
        reportOmitted(omitted, shown: diagnostics.count)
    }

    /// `… and 12,345 more errors (…)`, when there are any.
    func reportOmitted(_ omitted: Int, shown: Int) {
        guard omitted > 0 else { return }
        err("… and \(Limits.grouped(omitted)) more error\(omitted == 1 ? "" : "s") not shown (only the first \(Limits.grouped(shown)) are; show more with --limit errors=N)\n")
    }
}

/// Writes every byte, retrying on partial writes and EINTR.
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { buf -> Int in
            guard let base = buf.baseAddress else { return 0 }
            return write(fd, base + offset, buf.count - offset)
        }
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += n
    }
    bytes.removeAll()
}
