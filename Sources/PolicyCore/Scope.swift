import PolicySyntax

/// A checked expression: its type and its compiled code.
struct Typed {
    var type: PType
    var eval: Eval
    /// The value, when the expression is a literal (used for constant folding of dates).
    var constant: Value?
    /// What the value depends on (for the fast population engine).
    var deps = Deps()
    /// The expression as data, where the checker made a node for it (see `ir`).
    var node: Node?

    init(_ type: PType, _ eval: @escaping Eval, constant: Value? = nil) {
        self.type = type
        self.eval = eval
        self.constant = constant
    }

    static func const(_ type: PType, _ v: Value) -> Typed {
        Typed(type, { _ in v }, constant: v).with(.constant(v))
    }

    /// Stands for an expression that failed to check (its error is already reported).
    static var error: Typed {
        Typed(.error, { _ in throw EvalError.impossible("evaluating an expression that failed to check") })
    }
}

/// Slot numbering shared by the nested scopes of one definition.
final class SlotCounter {
    var used = 0
    var maximum = 0
    func take() -> Int {
        used += 1
        maximum = max(maximum, used)
        return used - 1
    }
}

/// Counts `chance` calls in a definition, for their stream labels `NAME#k` (§9.17).
final class ChanceCounter {
    var count = 0
}

struct Local {
    var name: String
    var type: PType
    var slot: Int
}

/// What names mean at a point in the program.
struct Scope {
    var file: SourceFile
    /// Names added by this scenario (and its parents) are visible.
    var scenario: Int = 0
    var locals: [Local] = []
    var slots = SlotCounter()
    /// The record type of the implicit subject, inside `where`, `by` and aggregates (§6).
    var subject: PType?
    /// The let or decision whose body this is (for the no-recursion rule).
    var definition: Checker.DefNode?
    /// Which declaration version the body belongs to.
    var owner: Checker.EdgeOwner?
    /// The name used in `chance` stream labels.
    var streamName: String?
    var chances = ChanceCounter()
    /// The population an aggregate's condition runs over (for nested aggregates).
    var allowAggregates = true

    init(file: SourceFile, scenario: Int = 0) {
        self.file = file
        self.scenario = scenario
    }

    /// Binds a new local and returns its slot.
    mutating func bind(_ name: String, _ type: PType) -> Int {
        let slot = slots.take()
        locals.append(Local(name: name, type: type, slot: slot))
        return slot
    }

    func local(_ name: String) -> Local? { locals.last { $0.name == name } }

    func ref(_ span: Span) -> SourceRef { SourceRef(file, span) }
}
