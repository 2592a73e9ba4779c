import PolicySyntax
import PolicySupport

/// Reads files for `include` and CSV loading; the shell provides one over the file system.
public protocol SourceProvider: AnyObject {
    /// The file at `path` (already resolved against the including file's folder), or why
    /// it could not be read.
    func load(_ path: String) -> Result<SourceFile, SourceLoadError>
    /// `path` resolved against the folder of `base`.
    func resolve(_ path: String, relativeTo base: SourceFile) -> String
    /// The raw bytes of the data (CSV) file at `path`, without a `SourceFile`'s copies.
    func loadBytes(_ path: String) -> Result<[UInt8], SourceLoadError>
}

public struct SourceLoadError: Error, Sendable {
    public var reason: String
    /// How to get past it, when something can (a file larger than a limit).
    public var hint: String?
    public init(_ reason: String, hint: String? = nil) {
        self.reason = reason
        self.hint = hint
    }

    /// The file was there but larger than a limit allows (only that has a way past it): an
    /// error in the input (65), not a missing or unreadable file (66).
    public var exceedsLimit: Bool { hint != nil }
}

/// The result of checking: a program ready to run, or the diagnostics that stop it.
public struct CheckResult: Sendable {
    public var program: Program
    /// The errors found, at most `Limits.current.errors` of them.
    public var diagnostics: [LocatedDiagnostic]
    /// Errors found past that limit: counted, not kept.
    public var omittedErrors = 0
    /// The statements of each unit given to `check`, in order (includes spliced in).
    public var statementsByUnit: [[CheckedStatement]]
    public var statements: [CheckedStatement] { statementsByUnit.flatMap { $0 } }
    /// Ctrl-C stopped the check (or the timeline): the program is incomplete.
    public var interrupted = false
    public var hasErrors: Bool { interrupted || omittedErrors > 0 || diagnostics.contains { $0.diagnostic.severity == .error } }
    /// An included file or a CSV could not be read (exit 66 rather than 65, LANGUAGE.md §8).
    public var unreadableInput = false
}

/// Name resolution and static types for a whole program (§3–§9), compiling every
/// expression into a closure as it goes.
///
/// ```swift
/// let result = Checker(provider: files).check([unit])
/// if !result.hasErrors { try Interpreter(result.program).run(result.statements) }
/// ```
public final class Checker {
    enum Symbol: Equatable {
        case param(Int), letDef(Int), decision(Int), jurisdiction(Int32), agency(Int)
        case population(Int), scenario(Int), policy(Int), event(Int), reaction(Int)

        var what: String {
            switch self {
            case .param: return "a param"
            case .letDef: return "a let"
            case .decision: return "a decision"
            case .jurisdiction: return "a jurisdiction"
            case .agency: return "an agency"
            case .population: return "a population"
            case .scenario: return "a scenario"
            case .policy: return "a policy"
            case .event: return "an event"
            case .reaction: return "a reaction"
            }
        }
    }

    enum TypeSymbol { case enumType(Int), record(Int) }

    /// A node of the definition graph, for the no-recursion rule (§9.11).
    enum DefNode: Hashable { case letDef(Int), decision(Int), param(Int) }

    let provider: SourceProvider?
    let program: Program
    /// A program checked before whose timeline this one takes over (`TimelineReuse`): set by
    /// the prompt when the entry cannot change it.
    public var timelineSource: Program?
    var diagnostics: [LocatedDiagnostic] = []
    /// Errors past `maxDiagnostics`, counted instead of kept.
    var omittedErrors = 0
    let maxDiagnostics = Limits.current.errors

    var globals: [String: Symbol] = [:]
    var globalSources: [String: SourceRef] = [:]
    /// Names a scenario adds, visible in it and the scenarios built on it.
    var scenarioNames: [Int: [String: Symbol]] = [:]
    var types: [String: TypeSymbol] = [:]
    var typeSources: [String: SourceRef] = [:]

    /// Declarations waiting for their bodies to be checked.
    var pendingLets: [(id: Int, version: Int, decl: LetDecl, source: SourceRef, scenario: Int)] = []
    var pendingParams: [(id: Int, decl: ParamDecl, file: SourceFile, scenario: Int, infer: Bool)] = []
    var pendingDecisions: [(id: Int, decl: DecisionDecl, file: SourceFile, scenario: Int)] = []
    var pendingPolicies: [(id: Int, decl: PolicyDecl, file: SourceFile, scenario: Int)] = []
    var pendingEvents: [(id: Int, decl: EventDecl, file: SourceFile, scenario: Int)] = []
    var pendingReactions: [(id: Int, decl: ReactionDecl, file: SourceFile, scenario: Int, source: SourceRef)] = []
    var pendingPopulations: [(id: Int, decl: PopulationDecl, file: SourceFile, scenario: Int, span: Span)] = []
    /// A world with no timeline, for evaluating constants while checking.
    lazy var scratchWorld: World = World(program: program, scenario: 0, parent: nil)
    var letTypeState: [Int: Bool] = [:] // false: being inferred, true: known
    /// The definition graph: who refers to whom, and which declaration version says so.
    var edges: [DefNode: [(to: DefNode, at: SourceRef, owner: EdgeOwner)]] = [:]

    /// The version an edge comes from: a let's or decision default's, or a policy's rules.
    enum EdgeOwner: Hashable {
        case letDef(Int, scenario: Int)
        case param(Int, scenario: Int)
        case decisionDefault(Int, scenario: Int)
        case policy(Int, scenario: Int)
    }
    var included: Set<String> = []
    /// Set when an `include` or a `jurisdictions from` file could not be read.
    var unreadableInput = false
    var paramsChecked = Set<Int>()
    var firstPendingLet: [Int: Int] = [:]
    /// `visibleNames` per scenario, cached (names only change while collecting).
    var visibleCache: [Int: [String]] = [:]
    /// Names declared in each scenario so far (a second declaration is an error).
    var scenarioDeclared: [Int: [String: SourceRef]] = [:]
    /// Jurisdiction attribute values and defaults, checked once every name is known and
    /// evaluated when the baseline world is built.
    var pendingAttributeValues: [(jurisdiction: Int32?, attribute: Int, expr: Expr, file: SourceFile)] = []
    var attributeEvals: [(jurisdiction: Int32?, attribute: Int, eval: Eval)] = []
    /// Dependencies of the expressions being checked, innermost last.
    var depsStack: [Deps] = []
    /// The default expressions of record fields, checked with the bodies.
    var recordDefaultASTs: [Int: [Int: Expr]] = [:]

    /// Set when the cancellation flag stopped the work.
    var interrupted = false
    /// The flag is checked between passes, between declarations and while the timeline runs.
    var stopped: Bool {
        if program.cancellation.isRaised { interrupted = true }
        return interrupted
    }

    /// Running hashes of the declarations' text, from which populations' and worlds'
    /// fingerprints are made (`fingerprintPopulations`).
    struct DeclarationHashes {
        var structure = StableHash(), whole = StableHash(), outsideScenarios = StableHash()
        var scenarioText: [String: UInt64] = [:]
    }
    var declarationHashes = DeclarationHashes()

    /// Set when this checker continues an earlier one (`init(continuing:)`): what the earlier
    /// program held, so that only what comes after it is checked.
    var continuation: Continuation?
    /// The statements of every unit checked, by unit (a continued check's include those
    /// checked before it).
    var checkedStatements: [[CheckedStatement]] = []
    /// Expressions checked (at every level): the work of a check, which a continued check
    /// keeps to that of its own units.
    var expressionsChecked = 0

    /// `cancellation`: the caller's Ctrl-C flag, which the program keeps for its runs.
    public convenience init(provider: SourceProvider?, cancellation: CancellationFlag? = nil, tally: WorkTally? = nil) {
        self.init(provider: provider, program: Program())
        if let cancellation { program.cancellation = cancellation }
        if let tally { program.tally = tally }
    }

    init(provider: SourceProvider?, program: Program) {
        self.provider = provider
        self.program = program
        program.provider = provider
    }

    // MARK: - Diagnostics

    /// Suggestions cost a comparison with every name; past this many in one check, the
    /// remaining errors come without a 'did you mean'.
    static let suggestionBudget = 200
    var suggestionsMade = 0

    /// `did you mean 'NAME'?`, within the budget.
    func suggest(_ name: String, _ candidates: @autoclosure () -> [String]) -> String? {
        guard suggestionsMade < Checker.suggestionBudget else { return nil }
        suggestionsMade += 1
        return Suggest.hint(name, candidates())
    }

    func error(_ message: String, _ source: SourceRef, hint: String? = nil, notes: [Diagnostic.Note] = []) {
        add(LocatedDiagnostic(file: source.file, diagnostic: Diagnostic(.error, message, at: source.span, hint: hint, notes: notes)))
    }

    /// Keeps the first `maxDiagnostics` diagnostics and counts the rest.
    func add(_ d: LocatedDiagnostic) {
        guard diagnostics.count < maxDiagnostics else {
            omittedErrors += 1
            return
        }
        diagnostics.append(d)
    }

    func error(_ message: String, _ file: SourceFile, _ span: Span, hint: String? = nil) {
        error(message, SourceRef(file, span), hint: hint)
    }

    // MARK: - Entry point

    /// Checks parsed units (the files given on the command line, in order). Parse errors in
    /// the units are not repeated here; callers report them first.
    public func check(_ units: [SourceUnit]) -> CheckResult {
        var all: Units = []
        var owner: [Int] = [] // the unit (index into `units`) each part came from
        for (i, unit) in units.enumerated() {
            program.files.append(unit.file)
            included.insert(unit.file.name)
            let before = all.count
            expandIncludes(unit, into: &all)
            owner += Array(repeating: i, count: all.count - before)
        }
        var perUnit: [[CheckedStatement]] = Array(repeating: [], count: units.count)
        let statements = {
            for (k, (unit, stmts)) in all.enumerated() where !self.stopped {
                perUnit[owner[k]] += self.checkStatements(stmts, unit.file)
            }
        }
        // Each step first asks whether Ctrl-C was pressed: if so, the rest is skipped.
        let steps: [() -> Void]
        if let continuation {
            // Only new lets, params, expressions and queries (`Checker.canContinue`): the
            // earlier declarations, types, jurisdictions and scenarios stand as they were.
            steps = [{ self.collectSignatures(all) }, { self.checkBodies() }, statements,
                     { self.checkCycles(startingAt: continuation) }]
        } else {
            steps = [
                // Pass 1: names and signatures of every declaration.
                { self.collectTypes(all) }, { self.collectJurisdictions(all) },
                { self.collectSignatures(all) }, { self.collectScenarios(all) },
                // Pass 2: bodies and statements.
                { self.checkBodies() }, statements, { self.checkCycles(startingAt: nil) },
            ]
        }
        for step in steps where !stopped { step() }
        if !stopped, omittedErrors == 0, !diagnostics.contains(where: { $0.diagnostic.severity == .error }) {
            program.caseFields = program.records.map { ($0.dateField ?? -1, $0.jurisdictionField ?? -1) }
            program.prepareCode(firstNewLet: continuation?.lets ?? 0)
            buildWorlds()
            // A continued check's program has the earlier resolver: its decisions stand.
            program.resolver = (continuation == nil ? nil : program.resolver?.with(lets: program.lets)) ?? makeResolver()
            mixDeclarationTexts(all)
            fingerprintPopulations()
        }
        checkedStatements = (continuation?.statementsByUnit ?? []) + perUnit
        var result = CheckResult(program: program, diagnostics: stableSorted(diagnostics), statementsByUnit: checkedStatements)
        result.unreadableInput = unreadableInput
        result.omittedErrors = omittedErrors
        result.interrupted = stopped
        return result
    }

    /// Files in the order given; within a file, by position.
    func stableSorted(_ ds: [LocatedDiagnostic]) -> [LocatedDiagnostic] {
        // (A session at the prompt has a file per entry: no diagnostics, no ordering of them.)
        guard ds.count > 1 else { return ds }
        var order: [String: Int] = [:]
        for f in program.files where order[f.name] == nil { order[f.name] = order.count }
        return ds.enumerated().sorted { x, y in
            let a = x.element, b = y.element
            let fa = order[a.file.name] ?? Int.max, fb = order[b.file.name] ?? Int.max
            if fa != fb { return fa < fb }
            if a.diagnostic.span.start != b.diagnostic.span.start { return a.diagnostic.span.start < b.diagnostic.span.start }
            return x.offset < y.offset
        }.map(\.element)
    }

    /// Splices `include`d files in at the point of their `include` (each file once).
    func expandIncludes(_ unit: SourceUnit, into all: inout Units) {
        var current: [Statement] = []
        for s in unit.statements {
            guard case .include(let path) = s.kind else {
                current.append(s)
                continue
            }
            guard let provider else {
                error("'include' is not available here", unit.file, s.span)
                continue
            }
            let resolved = provider.resolve(path.value, relativeTo: unit.file)
            if included.contains(resolved) { continue }
            included.insert(resolved)
            switch provider.load(resolved) {
            case .failure(let e):
                if !e.exceedsLimit { unreadableInput = true }
                error("cannot read '\(path.value)': \(e.reason)", unit.file, path.span,
                      hint: e.hint ?? "paths are relative to the folder of \(unit.file.name)")
            case .success(let file):
                program.files.append(file)
                let sub = Parser.parse(file)
                for d in sub.diagnostics { add(LocatedDiagnostic(file: file, diagnostic: d)) }
                omittedErrors += sub.omittedErrors
                if !current.isEmpty { all.append((unit, current)) }
                current = []
                expandIncludes(sub, into: &all)
            }
        }
        all.append((unit, current))
    }

    // MARK: - Names

    /// Declares a value name at top level or in a scenario; reports duplicates.
    @discardableResult
    func declare(_ name: Name, _ symbol: Symbol, _ file: SourceFile, scenario: Int = 0) -> Bool {
        let here = SourceRef(file, name.span)
        if name.text == "baseline" || name.text == "jurisdictions" {
            error("'\(name.text)' is a predeclared name", here, hint: "choose another name")
            return false
        }
        if let existing = lookupSymbol(name.text, scenario: scenario) {
            let previous = scenario == 0 ? globalSources[name.text] : nil
            var hint = previous.map { "the first declaration is at \($0.position)" } ?? "choose another name"
            // A value tried again with another value: that is what scenarios are for.
            if case .param = existing, scenario == 0, case .param = symbol {
                hint += file.name == "<repl>"
                    ? "; to change it for the session, :set \(name.text) = …; to compare values, declare a scenario (scenario mine { param \(name.text) = … })"
                    : "; to try another value, declare a scenario (scenario mine { param \(name.text) = … }) and use it with :scenario mine or 'under mine'"
            }
            error("'\(name.text)' is already declared as \(existing.what)", here, hint: hint)
            return false
        }
        visibleCache = [:]
        if scenario == 0 {
            globals[name.text] = symbol
            globalSources[name.text] = here
        } else {
            scenarioNames[scenario, default: [:]][name.text] = symbol
        }
        return true
    }

    func lookupSymbol(_ name: String, scenario: Int) -> Symbol? {
        var s: Int? = scenario
        while let current = s, current != 0 {
            if let sym = scenarioNames[current]?[name] { return sym }
            s = program.scenarios[current].parent
        }
        return globals[name]
    }

    /// Every value name visible in a scenario (for suggestions).
    func visibleNames(scenario: Int) -> [String] {
        if let cached = visibleCache[scenario] { return cached }
        let names = computeVisibleNames(scenario: scenario)
        visibleCache[scenario] = names
        return names
    }

    func computeVisibleNames(scenario: Int) -> [String] {
        var names = Array(globals.keys)
        var s: Int? = scenario
        while let current = s, current != 0 {
            names += scenarioNames[current]?.keys.map { $0 } ?? []
            s = program.scenarios[current].parent
        }
        return names.sorted()
    }
}
