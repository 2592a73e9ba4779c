import PolicySyntax
import PolicySupport

/// A runtime error: what went wrong and where (a rule, a data row, an expression).
public struct EvalError: Error, Sendable {
    public var message: String
    public var source: SourceRef?
    public var hint: String?
    public var notes: [Diagnostic.Note]
    /// The error is a file that could not be read (a cases CSV): exit 66, not 65 (§8).
    public var unreadableInput = false
    /// A state the checker rules out was met (a bug in policy, not in the program): exit 70.
    public var isInternal = false
    /// The source of the note spans (when not the same file as `source`).
    public init(_ message: String, at source: SourceRef?, hint: String? = nil, notes: [Diagnostic.Note] = []) {
        self.message = message
        self.source = source
        self.hint = hint
        self.notes = notes
    }

    /// A state the checker rules out (a field read of something that is not a record, say):
    /// reported as a bug, never answered with a made-up value.
    public static func impossible(_ what: String, at source: SourceRef? = nil) -> EvalError {
        var e = EvalError("internal error: \(what)", at: source, hint: "this is a bug in policy, not in the program; please report it with the program")
        e.isInternal = true
        return e
    }
}

/// Set by the shell when the user presses Ctrl-C; long computations check it.
public final class CancellationFlag: @unchecked Sendable {
    private var raised = false
    public init() {}
    public var isRaised: Bool { raised }
    public func raise() { raised = true }
    public func reset() { raised = false }
}

/// How many cases the aggregates of a session went over (`:timing` shows it per entry):
/// each query, replicate and aggregate inside an expression adds its population's size.
/// Shared, like the cancellation flag, by every program a session checks.
public final class WorkTally: @unchecked Sendable {
    private let lock = Lock()
    private var cases = 0
    public init() {}
    public var casesVisited: Int { lock.withLock { cases } }
    func add(cases n: Int) { lock.withLock { cases &+= n } }
}

/// The state an expression is evaluated in.
public struct Frame {
    /// The scenario being evaluated.
    public var world: World
    /// The evaluation date (§9.12); nil means "before any event".
    public var date: Int32?
    /// Parameters, `let` locals and loop variables, by slot.
    public var locals: [Value]
    /// The implicit subject of an aggregate, a `where` or a `by` (§6).
    public var subject: Value?
    /// The case being decided: keys `chance` draws.
    public var caseRecord: RecordValue?
    /// Records derivations for `explain` and failed asserts.
    public var recorder: Recorder?
    /// Records `chance` draws (for the fast engine's memo).
    var chanceLog: ChanceLog?

    public init(world: World, date: Int32? = nil, locals: [Value] = [], subject: Value? = nil,
                caseRecord: RecordValue? = nil, recorder: Recorder? = nil) {
        self.world = world
        self.date = date
        self.locals = locals
        self.subject = subject
        self.caseRecord = caseRecord
        self.recorder = recorder
    }

    public var program: Program { world.program }

    /// The last decisions answered (for one case in one world): a small ring. It holds the
    /// case and the world, so neither can be freed and its address reused while it is here.
    private var recentDecisions: [(decision: Int, record: RecordValue, world: World, value: Value)] = []
    private var recentNext = 0

    /// A decision's answer for this case in this frame's world, if it was just worked out.
    @inline(__always)
    func decided(_ d: Int, _ c: RecordValue) -> Value? {
        for k in recentDecisions.indices where recentDecisions[k].decision == d
            && recentDecisions[k].record === c && recentDecisions[k].world === world {
            return recentDecisions[k].value
        }
        return nil
    }

    mutating func noteDecided(_ d: Int, _ c: RecordValue, _ value: Value) {
        let entry = (decision: d, record: c, world: world, value: value)
        if recentDecisions.count < 8 {
            recentDecisions.append(entry)
        } else {
            recentDecisions[recentNext] = entry
            recentNext = (recentNext + 1) % 8
        }
    }

    /// Arrays for locals, kept between calls: a decision or `let` call takes one and gives it
    /// back when it returns, so calls allocate nothing once warm. A stack: nested calls take
    /// and give back in order.
    var localsPool: [[Value]] = []

    /// The params read since it was last cleared, one bit each (the last bit stands for every
    /// param from the 64th on): a memo notes which params a key's answer depends on, so that
    /// a world that differs only in others can take the answer.
    var paramsRead: UInt64 = 0

    @inline(__always)
    static func paramBit(_ p: Int) -> UInt64 { 1 << UInt64(min(p, 63)) }

    /// An array of at least `count` locals, from the pool when it has one. Its slots may hold
    /// values from an earlier call: every slot is written before it is read (parameters by
    /// the caller, `let` and loop variables where they are bound).
    @inline(__always)
    mutating func takeLocals(_ count: Int) -> [Value] {
        var locals = localsPool.popLast() ?? []
        while locals.count < count { locals.append(.bool(false)) }
        return locals
    }

    /// Returns an array taken with `takeLocals`.
    @inline(__always)
    mutating func giveBack(_ locals: inout [Value]) {
        var spare: [Value] = []
        swap(&spare, &locals)
        if localsPool.count < 64 { localsPool.append(spare) }
    }
}

/// The `chance` draws made while evaluating one case, in order.
final class ChanceLog {
    var entries: [(stream: String, probability: Double, outcome: Bool)] = []
    /// When set, `chance` does not draw: the k-th draw comes out `forced[k]`, and false past
    /// the end (the population engine exploring every path of draws a key can take).
    var forced: [Bool]?
}

extension Frame {
    /// The implicit subject, which the checker guarantees wherever it is read: its absence is
    /// a bug of policy's, reported as one, never read as a value.
    func requireSubject(_ src: SourceRef) throws -> Value {
        guard let subject else { throw EvalError.impossible("the implicit case read where there is none", at: src) }
        return subject
    }
}
