#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the engines run: which population engine, how many threads, how big the pieces of a
/// parsed file or a read CSV are, whether to explain. The library reads `current`; only
/// the executable fills it in (from the environment, once, at start-up), so no library
/// code looks at the environment.
///
/// ```swift
/// EngineOptions.current = EngineOptions.fromEnvironment(ProcessInfoLike.environment)
/// EngineOptions.current.threads = 1        // one worker everywhere
/// ```
public struct EngineOptions: Sendable {
    /// Which engine answers population queries.
    public enum Engine: String, Sendable {
        /// The memo where it applies and pays, else the general engine.
        case automatic
        /// The memo wherever it applies, even where it would not pay (so tests compare it).
        case memo
        /// No memo: the general engine, many cases at a time.
        case general
        /// The general engine without its kernels: every node over whole vectors of a
        /// chunk (so tests compare the two).
        case vectors
        /// No memo, and every case evaluated alone: the reference.
        case scalar
    }

    public var engine = Engine.automatic
    /// Report which engine ran, and the time of each phase, to `telemetry`.
    public var explain = false
    /// Where the engines' notes go when `explain` is on (the executable sends them to
    /// stderr); nil: nowhere.
    public var telemetry: (@Sendable (String) -> Void)?
    /// Workers for parallel work; nil: the cores online, at most 8.
    public var threads: Int?
    /// The smallest piece a large source file is cut into for parsing (≥ 16 bytes).
    public var parsePieceBytes = 512 << 10
    /// The size of the pieces a cases CSV is cut into (≥ 16 bytes).
    public var csvPieceBytes = 4 << 20

    public init() {}

    nonisolated(unsafe) public static var current = EngineOptions()

    /// The options `POLICY_ENGINE` (`general`, `vectors`, `scalar`, `memo`), `POLICY_ENGINE_EXPLAIN`,
    /// `POLICY_THREADS`, `POLICY_PARSE_PIECE_BYTES` and `POLICY_CSV_PIECE_BYTES` set in
    /// `environment`; anything else, or a value out of range, keeps the default.
    public static func fromEnvironment(_ environment: [String: String]) -> EngineOptions {
        var o = EngineOptions()
        if let e = environment["POLICY_ENGINE"].flatMap(Engine.init(rawValue:)) { o.engine = e }
        o.explain = environment["POLICY_ENGINE_EXPLAIN"] != nil
        if let n = environment["POLICY_THREADS"].flatMap({ Int($0) }), n >= 1 { o.threads = min(n, 64) }
        if let n = environment["POLICY_PARSE_PIECE_BYTES"].flatMap({ Int($0) }), n >= 16 { o.parsePieceBytes = n }
        if let n = environment["POLICY_CSV_PIECE_BYTES"].flatMap({ Int($0) }), n >= 16 { o.csvPieceBytes = n }
        return o
    }

    /// The process's environment, for `fromEnvironment` (read by the executable only).
    public static var processEnvironment: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
    }
}
