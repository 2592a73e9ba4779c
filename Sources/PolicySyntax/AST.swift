import PolicySupport
// The syntax tree. Every node carries the span of source it came from. The tree is a plain
// value: it knows nothing of types or meaning (that is PolicyCore's business).

/// A name as written, with where it was written.
public struct Name: Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var span: Span
    public init(_ text: String, _ span: Span = .zero) {
        self.text = text
        self.span = span
    }
    public var description: String { text }
}

/// A name used as an expression. It holds its text in a shared object, so an expression
/// node stays small (a `String` in `Expr.Kind` would make every node 8 bytes bigger); the
/// parser hands out one object per distinct name.
///
/// ```swift
/// let id: Identifier = "cook"
/// id.text            // "cook"
/// id == "cook"       // true
/// ```
public struct Identifier: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    private let storage: _IdentifierText
    public init(_ text: String) { storage = _IdentifierText(text) }
    public init(stringLiteral text: String) { self.init(text) }
    public var text: String { storage.text }
    public var description: String { storage.text }
    public static func == (a: Identifier, b: Identifier) -> Bool { a.storage === b.storage || a.storage.text == b.storage.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(storage.text) }
}

/// The text an `Identifier` shares.
final class _IdentifierText: Sendable {
    let text: String
    init(_ text: String) { self.text = text }
}

/// A string literal's decoded value and span.
public struct StringLiteral: Hashable, Sendable {
    public var value: String
    public var span: Span
    public init(_ value: String, _ span: Span = .zero) {
        self.value = value
        self.span = span
    }
}

// MARK: - Types

public struct TypeExpr: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        /// `bool`, `int`, `jurisdiction`, an enum or record name, …
        case named(String)
        case setOf(TypeExpr)
        case listOf(TypeExpr)
    }
    public var kind: Kind
    public var span: Span
    public init(_ kind: Kind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

// MARK: - Expressions

public enum UnaryOperator: String, Sendable, Hashable {
    case negate = "-"
    case not = "not"
}

public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in`, within
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// Binding power: higher binds tighter (§6).
    public var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in, .within: return 4
        case .add, .subtract: return 5
        case .multiply, .divide: return 6
        }
    }

    public var isComparison: Bool { precedence == 4 }
}

/// `field: value` in a record literal, `with`, or a jurisdiction's attributes.
public struct FieldInit: Hashable, Sendable {
    public var name: Name
    public var value: Expr
    public init(name: Name, value: Expr) {
        self.name = name
        self.value = value
    }
}

public struct Expr: Hashable, Sendable {
    /// Only the recursive cases are boxed, so leaves (names, literals) cost no allocation.
    public enum Kind: Hashable, Sendable {
        /// An integer; `grouped` when written with `_` separators (`1_000_000`), which the
        /// formatter keeps as groups of three.
        case int(Int64, grouped: Bool)
        indirect case number(Double, String)
        /// `8%`: the value (0.08) and the spelling.
        indirect case percent(Double, String)
        /// Days since 1970-01-01.
        case date(Int32)
        case duration(Int64, DurationUnit)
        indirect case string(String)
        case bool(Bool)
        case name(Identifier)
        /// `base.field` — field access or `Enum.member` qualification.
        indirect case member(Expr, Name)
        /// `f(args)`; `count(bookings where cond)` keeps the `where` condition.
        indirect case call(Name, [Expr], filter: Expr?)
        /// `booking { field: value, … }`
        indirect case record(Name, [FieldInit])
        /// `base with { field: value, … }`
        indirect case with(Expr, [FieldInit])
        /// `population[i]`: case `i` of a population (§10).
        indirect case index(Expr, Expr)
        case set([Expr])
        case list([Expr])
        indirect case unary(UnaryOperator, Expr)
        indirect case binary(BinaryOperator, Expr, Expr)
        indirect case ifThenElse(Expr, Expr, Expr)
        /// `expr under scenario`
        indirect case under(Expr, Name)
        /// `expr at date`
        indirect case at(Expr, Expr)
        indirect case paren(Expr)
        /// Stands for source that did not parse; its diagnostic was already reported.
        case error
    }
    public var kind: Kind
    public var span: Span
    public init(_ kind: Kind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

// MARK: - Declarations

/// `name: type`
public struct Parameter: Hashable, Sendable {
    public var name: Name
    public var type: TypeExpr
    public init(name: Name, type: TypeExpr) {
        self.name = name
        self.type = type
    }
}

/// `name: type [= default]` in a record or `jurisdiction attributes`.
public struct FieldDecl: Hashable, Sendable {
    public var name: Name
    public var type: TypeExpr
    public var defaultValue: Expr?
    public var span: Span
    public init(name: Name, type: TypeExpr, defaultValue: Expr?, span: Span) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.span = span
    }
}

/// A policy named in `enact`, `repeal`, `cancel` or `overrides`, with arguments for an instance.
public struct PolicyRef: Hashable, Sendable {
    public var name: Name
    /// nil when written without parentheses.
    public var arguments: [Expr]?
    public var span: Span
    public init(name: Name, arguments: [Expr]?, span: Span) {
        self.name = name
        self.arguments = arguments
        self.span = span
    }
}

/// `decision(param) = value [when condition]`
public struct Rule: Hashable, Sendable {
    public var decision: Name
    public var parameter: Name
    public var value: Expr
    public var condition: Expr?
    public var span: Span
    public init(decision: Name, parameter: Name, value: Expr, condition: Expr?, span: Span) {
        self.decision = decision
        self.parameter = parameter
        self.value = value
        self.condition = condition
        self.span = span
    }
}

public struct EnumDecl: Hashable, Sendable {
    public var name: Name
    public var members: [Name]
}

public struct JurisdictionDecl: Hashable, Sendable {
    public var name: Name
    public var kind: Name
    public var parent: Name?
    public var label: StringLiteral?
    public var attributes: [FieldInit]
}

public struct AgencyDecl: Hashable, Sendable {
    public var name: Name
    public var territory: Name
    public var label: StringLiteral?
}

public struct RecordDecl: Hashable, Sendable {
    public var name: Name
    public var fields: [FieldDecl]
}

public struct ParamDecl: Hashable, Sendable {
    public var name: Name
    public var type: TypeExpr?
    public var value: Expr
}

public struct LetDecl: Hashable, Sendable {
    public var name: Name
    /// nil for `let x = …`; `[]` for `let x() = …`.
    public var parameters: [Parameter]?
    public var type: TypeExpr?
    public var value: Expr
}

public struct DecisionDecl: Hashable, Sendable {
    public var name: Name
    public var parameters: [Parameter]
    public var type: TypeExpr
    public var defaultValue: Expr
    public var combiner: Name?
}

public struct PolicyDecl: Hashable, Sendable {
    public var name: Name
    /// nil when written without parentheses.
    public var parameters: [Parameter]?
    public var owner: Name
    public var from: Expr?
    public var until: Expr?
    public var proposed: Bool
    public var overrides: [PolicyRef]
    public var label: StringLiteral?
    public var rules: [Rule]
}

public struct EventDecl: Hashable, Sendable {
    public var name: Name
    public var date: Expr
    public var owner: Name?
    public var label: StringLiteral?
    /// nil when the event has no `{ … }` block.
    public var effects: [Effect]?
}

public struct ReactionDecl: Hashable, Sendable {
    public enum Trigger: Hashable, Sendable {
        /// `when event_name`
        case event(Name)
        /// `when j in jurisdictions where condition`
        case condition(variable: Name, condition: Expr)
    }
    public var trigger: Trigger
    public var name: Name?
    public var effects: [Effect]
}

public struct ScenarioDecl: Hashable, Sendable {
    public var name: Name
    public var parent: Name?
    public var label: StringLiteral?
    public var items: [Statement]
}

public struct PopulationDecl: Hashable, Sendable {
    public var name: Name
    public var record: Name
    public var source: StringLiteral?
    /// nil when the population has no `{ … }` block.
    public var items: [PopulationItem]?
}

public struct PopulationItem: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case size(Expr)
        case seed(Expr)
        /// `weight EXPR` (§10): each case's weight in the population's aggregates.
        case weight(Expr)
        case field(Name, Generator, condition: Expr?)
    }
    public var kind: Kind
    public var span: Span
}

public enum Generator: Hashable, Sendable {
    /// `uniform low .. high`
    case uniform(Expr, Expr)
    /// `{ member: probability, … }`
    case categorical([FieldInit])
    /// `30%` (for a bool field)
    case probability(Expr)
    /// `weighted by attribute`
    case weighted(Name)
    /// `= expr`
    case computed(Expr)
}

// MARK: - Effects

public struct Effect: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case enact(PolicyRef, from: Expr?, until: Expr?)
        case repeal(PolicyRef)
        /// `set target = value`; the target is `j.attr` or a param name.
        case set(Expr, Expr)
        case forEach(variable: Name, condition: Expr?, body: [Effect])
        case after(Expr, [Effect])
        case `if`(Expr, then: [Effect], else: ElseBranch?)
    }
    public enum ElseBranch: Hashable, Sendable {
        case block([Effect])
        /// `else if …`
        case elseIf(Effect)
    }
    public var kind: Kind
    public var span: Span
    public init(_ kind: Kind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

// MARK: - Statements

/// The analysis clauses of `table`, `compare`, `plot` and `decompose` (§10).
public struct Analysis: Hashable, Sendable {
    /// `replicates N`
    public var replicates: Expr?
    /// `sweep PARAM in …`, in the order written (the first varies slowest).
    public var sweeps: [Sweep]
    public init(replicates: Expr? = nil, sweeps: [Sweep] = []) {
        self.replicates = replicates
        self.sweeps = sweeps
    }
    public var isEmpty: Bool { replicates == nil && sweeps.isEmpty }
}

/// `sweep PARAM in {V, …}` or `sweep PARAM in A .. B step S`.
public struct Sweep: Hashable, Sendable {
    public enum Values: Hashable, Sendable {
        case list([Expr])
        case range(Expr, Expr, step: Expr)
    }
    public var param: Name
    public var values: Values
    public var span: Span
    public init(param: Name, values: Values, span: Span) {
        self.param = param
        self.values = values
        self.span = span
    }
}

public struct Statement: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case enumDecl(EnumDecl)
        /// `jurisdiction attributes { … }`
        case attributes([FieldDecl])
        case jurisdiction(JurisdictionDecl)
        /// `jurisdictions from "file.csv"`
        case jurisdictionsFrom(StringLiteral)
        case agency(AgencyDecl)
        case record(RecordDecl)
        case param(ParamDecl)
        case `let`(LetDecl)
        case decision(DecisionDecl)
        case policy(PolicyDecl)
        case event(EventDecl)
        case reaction(ReactionDecl)
        case scenario(ScenarioDecl)
        case population(PopulationDecl)
        /// `cancel name` (inside a scenario)
        case cancel(PolicyRef)

        case expression(Expr)
        case explain(Expr, under: [Name])
        case timeline(under: Name?, from: Expr?, until: Expr?, for: Expr?)
        case status(Expr, at: Expr?, under: Name?)
        case table(aggregates: [Expr], keys: [Expr], from: Name, where: Expr?, under: Name?, to: StringLiteral?, analysis: Analysis)
        case compare(scenarios: [Name], aggregates: [Expr], keys: [Expr], from: Name, where: Expr?, to: StringLiteral?, analysis: Analysis)
        case plot(aggregates: [Expr], keys: [Expr], from: Name, where: Expr?, under: [Name], to: StringLiteral?, analysis: Analysis,
                  titled: StringLiteral? = nil)
        /// `decompose S on AGG [by KEY] from POP [where COND] [replicates N]` (§10)
        case decompose(scenario: Name, aggregates: [Expr], keys: [Expr], from: Name, where: Expr?, analysis: Analysis)
        /// `sample N from POP [where COND] [under S]` (§10): N cases chosen at random.
        case sample(count: Expr, from: Name, where: Expr?, under: Name?)
        case test(StringLiteral, [Statement])
        case assert(Expr, message: StringLiteral?)
        case include(StringLiteral)
    }
    public var kind: Kind
    public var span: Span
    /// The `##` doc comment lines right before it, without the `##`.
    public var doc: String?
    public init(_ kind: Kind, _ span: Span, doc: String? = nil) {
        self.kind = kind
        self.span = span
        self.doc = doc
    }

    /// The declared name, for declarations that have one.
    public var declaredName: Name? {
        switch kind {
        case .enumDecl(let d): return d.name
        case .jurisdiction(let d): return d.name
        case .agency(let d): return d.name
        case .record(let d): return d.name
        case .param(let d): return d.name
        case .let(let d): return d.name
        case .decision(let d): return d.name
        case .policy(let d): return d.name
        case .event(let d): return d.name
        case .reaction(let d): return d.name
        case .scenario(let d): return d.name
        case .population(let d): return d.name
        default: return nil
        }
    }
}

/// A parsed file: its statements in order, its comments, and what went wrong.
public struct SourceUnit: Sendable {
    public var file: SourceFile
    public var statements: [Statement]
    public var comments: [Comment]
    /// The first errors found, in source order: at most `Limits.current.errors` of them.
    public var diagnostics: [Diagnostic]
    /// Errors found past that limit: counted, not kept.
    public var omittedErrors: Int
    public init(file: SourceFile, statements: [Statement], comments: [Comment], diagnostics: [Diagnostic],
                omittedErrors: Int = 0) {
        self.file = file
        self.statements = statements
        self.comments = comments
        self.diagnostics = diagnostics
        self.omittedErrors = omittedErrors
    }
    public var hasErrors: Bool { omittedErrors > 0 || diagnostics.contains { $0.severity == .error } }
}
