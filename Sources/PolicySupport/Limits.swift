/// Resource limits: how much input the tool accepts before it refuses with an error that
/// names the limit and how to raise it (`--limit NAME=N` on every command).
///
/// The defaults are generous for real programs and small enough that hostile input (a
/// 100,000-deep expression, a 10 MB line, a billion-case population) is refused cleanly
/// instead of exhausting the stack or memory.
///
/// ```swift
/// try Limits.current.set("nesting=2000")
/// Limits.current.nesting   // 2000
/// ```
public struct Limits: Sendable, Equatable {
    /// Brackets, blocks, unary operators and `if`s inside one another (§9.20).
    public var nesting = 1_000
    /// Binary operators or postfix accesses in a row (the tree is as deep as the chain).
    public var chain = 10_000
    /// Bytes in one source file.
    public var fileBytes = 64 << 20
    /// Characters on one source line.
    public var lineCharacters = 1_000_000
    /// Characters in one string literal.
    public var stringCharacters = 1_000_000
    /// Cases in one population; nil: as many as fit in the memory available.
    public var populationCases: Int? = nil
    /// Reaction firings on one date before the cascade is declared runaway (§9.15).
    public var cascadeFirings = 10_000
    /// Reaction firings over a whole timeline, all dates together.
    public var totalFirings = 1_000_000
    /// Errors shown for one input; past it, one line says how many more there were.
    public var errors = 100
    /// Bytes in one CSV data file (cases or jurisdictions).
    public var csvBytes = 1_024 << 20
    /// Points of one query's sweeps (their product).
    public var sweepPoints = 10_000
    /// Changes of a scenario that `decompose` splits a difference among (2^N sub-scenarios).
    public var decomposeChanges = 12
    /// Replicates of one query.
    public var replicates = 100_000

    public init() {}

    /// The limits in force. Set once at start-up (by the command line) before any work begins;
    /// the fuzz targets and tests lower them.
    nonisolated(unsafe) public static var current = Limits()

    /// One settable limit: its name on the command line, what it bounds, the range allowed.
    public struct Setting: @unchecked Sendable { // a key path into a value type: immutable
        public var name: String
        public var meaning: String
        public var range: ClosedRange<Int>
        let keyPath: WritableKeyPath<Limits, Int>
        /// How a value is written in messages (`64 MB`, `1,000`).
        let scale: Int
    }

    /// Every limit `--limit` can set. The largest nesting and chain are what the 1 GB stack
    /// of `withLargeStack` holds through parsing, checking, running and formatting (measured
    /// on a debug build, which uses the most stack per level: 50,000 levels and 100,000
    /// operators pass, 100,000 levels do not).
    public static let settings: [Setting] = [
        Setting(name: "nesting", meaning: "levels of brackets, blocks, unary operators and 'if'",
                range: 1...20_000, keyPath: \.nesting, scale: 1),
        Setting(name: "chain", meaning: "operators in a row in one expression",
                range: 1...100_000, keyPath: \.chain, scale: 1),
        Setting(name: "file-mb", meaning: "megabytes in one source file",
                range: 1...4_096, keyPath: \.fileBytes, scale: 1 << 20),
        Setting(name: "line", meaning: "characters on one source line",
                range: 1...1_000_000_000, keyPath: \.lineCharacters, scale: 1),
        Setting(name: "string", meaning: "characters in one string literal",
                range: 1...1_000_000_000, keyPath: \.stringCharacters, scale: 1),
        Setting(name: "population", meaning: "cases in one population (default: what fits in memory)",
                range: 0...2_000_000_000, keyPath: \.populationCasesOrZero, scale: 1),
        Setting(name: "cascade", meaning: "reaction firings on one date",
                range: 1...100_000_000, keyPath: \.cascadeFirings, scale: 1),
        Setting(name: "firings", meaning: "reaction firings over a whole timeline",
                range: 1...2_000_000_000, keyPath: \.totalFirings, scale: 1),
        Setting(name: "errors", meaning: "errors shown for one input",
                range: 1...1_000_000_000, keyPath: \.errors, scale: 1),
        Setting(name: "csv-mb", meaning: "megabytes in one CSV file",
                range: 1...65_536, keyPath: \.csvBytes, scale: 1 << 20),
        Setting(name: "sweep", meaning: "points of one query's sweeps, all together",
                range: 1...100_000_000, keyPath: \.sweepPoints, scale: 1),
        Setting(name: "decompose", meaning: "changes of a scenario that 'decompose' splits a difference among",
                range: 1...16, keyPath: \.decomposeChanges, scale: 1),
        Setting(name: "replicates", meaning: "replicates of one query",
                range: 2...100_000_000, keyPath: \.replicates, scale: 1),
    ]

    /// The settings that differ from the defaults, as `NAME=N` (what `--limit` would set).
    public var changedSettings: [String] {
        let defaults = Limits()
        return Limits.settings.compactMap { s in
            let v = self[keyPath: s.keyPath]
            return v == defaults[keyPath: s.keyPath] ? nil : "\(s.name)=\(v / s.scale)"
        }
    }

    /// `populationCases` as a plain number for the settings table (0 is never a default).
    var populationCasesOrZero: Int {
        get { populationCases ?? 0 }
        set { populationCases = newValue }
    }

    public struct SettingError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Applies `NAME=N` (`N` may use `_` between digits). Throws a message naming the known
    /// limits, or the allowed range, when the text is not a valid setting.
    public mutating func set(_ text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let names = Limits.settings.map(\.name).joined(separator: ", ")
        guard parts.count == 2 else {
            throw SettingError(description: "--limit takes NAME=N, as in nesting=2000 (limits: \(names))")
        }
        let name = String(parts[0])
        guard let setting = Limits.settings.first(where: { $0.name == name }) else {
            throw SettingError(description: "unknown limit '\(name)' (limits: \(names))")
        }
        let digits = parts[1].filter { $0 != "_" }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int(digits), setting.range.contains(value) else {
            throw SettingError(description: "--limit \(name) must be a whole number from \(Limits.grouped(setting.range.lowerBound)) to \(Limits.grouped(setting.range.upperBound)), not '\(parts[1])'")
        }
        self[keyPath: setting.keyPath] = value * setting.scale
    }

    /// The hint every limit error ends with.
    public static func raiseHint(_ name: String) -> String {
        "raise the limit with --limit \(name)=N"
    }

    /// `1234567` → `1,234,567`.
    public static func grouped(_ n: Int) -> String { Digits.grouped(n) }
}
