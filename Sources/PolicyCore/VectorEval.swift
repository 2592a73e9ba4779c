import PolicySyntax

/// Raised when a node cannot be evaluated over many cases in the context it is met in (a
/// decision about some other record, a local slot of a query): the chunk is evaluated case
/// by case instead, so nothing is answered differently.
struct VectorUnsupported: Error {}

/// Evaluates nodes over the cases of one chunk of a population, many cases at a time.
///
/// Each node is worked out for a list of rows (a selection) and gives one value per row.
/// `and`, `or` and `if` narrow the selection for the operand they may skip, so each case
/// meets exactly the operations, and so the first error, that evaluating it alone meets;
/// a case that fails is out of every later step. Decisions are resolved in rounds: round k
/// takes each case's k-th candidate in force, grouped by the rules that answer for it (all
/// instances of a policy whose rules read no argument form one group), so a rule is
/// evaluated once for every case it applies to; a case with several answers is resolved
/// case by case (`Resolution`), one with none takes the default.
final class VectorChunk {
    let data: PopulationData
    let lo: Int
    let n: Int
    let dateField: Int
    let jurisdictionField: Int
    /// The query's date (attributes read outside a decision are read as of it).
    let queryDate: Int32?
    /// Per row of the chunk: whether the case met an error (read on every step, so kept
    /// apart from the errors themselves).
    private(set) var dead: [Bool]
    /// The first error each failed case met, by row.
    private var errors: [Int: EvalError] = [:]
    /// Answers per (world, decision), per row.
    var decided: [DecisionKey: DecidedAnswers] = [:]
    var frame: Frame
    let cancellation: CancellationFlag
    private var letDepth = 0

    struct DecisionKey: Hashable {
        var world: ObjectIdentifier
        var decision: Int
    }

    /// A decision's answers for the chunk's rows: which are known, and their values.
    struct DecidedAnswers {
        var known: [Bool]
        /// How many rows are known.
        var knownCount = 0
        var values: VecSlots

        init(_ n: Int) {
            known = Array(repeating: false, count: n)
            values = VecSlots(n)
        }
    }

    /// Where a node is evaluated: over the query's subject, or inside a rule (or a default)
    /// about the case, with the instance's arguments in the slots after the case's; or in
    /// the body of a let called from either, with its arguments in `letLocals`.
    struct Context {
        var world: World
        var inRule: Bool
        var locals: [Value]
        var localCount: Int
        /// In a let's body: what each slot holds (nil elsewhere).
        var letLocals: [Local]? = nil

        /// A slot of a let's body.
        enum Local {
            /// The case being evaluated (passed along by the caller).
            case theCase
            /// One value per row of the chunk (indexed by chunk row, not by selection).
            case perRow(Vec)
        }

        static func query(_ world: World) -> Context { Context(world: world, inRule: false, locals: [], localCount: 0) }

        /// Whether `ref` names the case being evaluated: the case's own slot in a rule, the
        /// subject in a query, a slot the caller passed the case in in a let's body.
        func isCase(_ ref: CaseRef) -> Bool {
            guard let letLocals else { return ref == (inRule ? .slot(0) : .subject) }
            guard case .slot(let s) = ref, s >= 0, s < letLocals.count, case .theCase = letLocals[s] else { return false }
            return true
        }
    }

    /// How deep let calls are nested in the evaluation under way: past `maximumLetDepth`
    /// (a let that calls itself) the chunk is evaluated case by case, where the interpreter's
    /// own limits apply.
    static let maximumLetDepth = 48

    init(data: PopulationData, lo: Int, n: Int, world: World, queryDate: Int32?) throws {
        let info = world.program.records[data.record]
        guard let d = info.dateField, let j = info.jurisdictionField, d < data.columns.count, j < data.columns.count else {
            throw VectorUnsupported()
        }
        self.data = data
        self.lo = lo
        self.n = n
        dateField = d
        jurisdictionField = j
        self.queryDate = queryDate
        dead = Array(repeating: false, count: n)
        frame = Frame(world: world, date: queryDate)
        cancellation = world.program.cancellation
        everyRow = VectorChunk.rows(n)
        everyRowStorage = everyRow.withUnsafeBufferPointer { $0.baseAddress }
    }

    /// 0, 1, 2, … for a chunk of the usual size, made once and shared by every chunk (each
    /// would otherwise write its own).
    private static let everyRowOfAChunk: [Int32] = (0..<QueryRunner.chunkSize).map { Int32($0) }

    /// 0 ..< n as rows.
    static func rows(_ n: Int) -> [Int32] {
        n == everyRowOfAChunk.count ? everyRowOfAChunk : (0..<n).map { Int32($0) }
    }

    /// The selection of every row of the chunk, in order. Passed down unchanged (no case has
    /// failed, no condition has narrowed it), it is recognised by its storage, so reading a
    /// column or a decision's answers for it is a plain copy instead of a gather.
    let everyRow: [Int32]
    private let everyRowStorage: UnsafePointer<Int32>?

    /// Whether `rows` is `everyRow` itself.
    @inline(__always) func isEveryRow(_ rows: [Int32]) -> Bool {
        rows.count == n && rows.withUnsafeBufferPointer { $0.baseAddress } == everyRowStorage
    }

    @inline(__always) func alive(_ r: Int32) -> Bool { !dead[Int(r)] }

    /// Whether no case of the chunk has failed yet.
    var errorsIsEmpty: Bool { errors.isEmpty }

    /// The first error the case of row `r` met, if it failed.
    func failure(_ r: Int) -> EvalError? { dead[r] ? errors[r] : nil }

    func fail(_ r: Int32, _ e: EvalError) {
        if !dead[Int(r)] {
            dead[Int(r)] = true
            errors[Int(r)] = e
        }
    }

    /// The rows of `rows` that have not failed.
    func surviving(_ rows: [Int32]) -> [Int32] { errors.isEmpty ? rows : rows.filter(alive) }

    // MARK: - Nodes

    /// `node` for each row of `rows` (a row that fails gets a placeholder and its error).
    func eval(_ node: Node, _ rows: [Int32], _ ctx: Context) throws -> Vec {
        if rows.isEmpty { return .values([]) }
        switch node {
        case .constant(let v):
            return Vec.repeating(v, rows.count)
        case .field(let ref, let i) where ctx.isCase(ref):
            guard i < data.columns.count else { throw VectorUnsupported() }
            if isEveryRow(rows) { return Vec.column(data.columns[i], lo ..< lo + n) }
            return Vec.column(data.columns[i], rows, lo)
        case .not(let x):
            let v = try eval(x, rows, ctx)
            guard case .bools(var b) = v else { return .values(v.boxed.map { .bool(!$0.asBool) }) }
            for k in b.indices { b[k].toggle() }
            return .bools(b)
        case .and(let x, let y), .or(let x, let y):
            let isAnd: Bool
            if case .and = node { isAnd = true } else { isAnd = false }
            var out = try eval(x, rows, ctx).bools
            // The right side only where the left does not settle it.
            let (positions, open) = selection(out, is: isAnd, rows)
            let right = try eval(y, open, ctx).bools
            Moves.scatter(right, into: &out, at: positions)
            return .bools(out)
        case .compare(let op, let x, let y):
            let left = try eval(x, rows, ctx)
            let (positions, right) = try evalAlive(y, rows, ctx)
            return .bools(Vec.compare(op, left, right, positions, rows.count))
        case .arithmetic(let op, let x, let y, let src):
            let left = try eval(x, rows, ctx)
            let (positions, right) = try evalAlive(y, rows, ctx)
            return arithmetic(op, left, right, positions, rows, src)
        case .ifThenElse(let c, let x, let y):
            let conditions = try eval(c, rows, ctx).bools
            let sides = partition(rows, by: conditions)
            let a = try eval(x, sides.yesRows, ctx)
            let b = try eval(y, sides.noRows, ctx)
            return Vec.merge(a, sides.yes, b, sides.no, rows.count)
        case .decision(let d, let ref):
            guard ctx.isCase(ref) else { throw VectorUnsupported() }
            return try decide(d, rows, ctx.world)
        case .extremum(let isMin, let args):
            guard var best = try args.first.map({ try eval($0, rows, ctx) }) else { throw VectorUnsupported() }
            for a in args.dropFirst() {
                let (positions, v) = try evalAlive(a, rows, ctx)
                best = Vec.extremum(isMin, best, v, positions)
            }
            return best
        case .attribute(let x, let a):
            return try attribute(x, a, rows, ctx)
        case .local(let s) where ctx.letLocals != nil:
            // A let's argument, kept typed, or the case itself.
            guard let locals = ctx.letLocals, s >= 0, s < locals.count else { throw VectorUnsupported() }
            switch locals[s] {
            case .theCase: return .values(rows.map { .record(data.caseRecord(lo + Int($0))) })
            case .perRow(let v): return v.gather(rows)
            }
        case .contains(let x, .constant(let collection)):
            let v = try eval(x, rows, ctx)
            if let found = Vec.contains(v, collection.elements) { return .bools(found) }
            return .bools(v.boxed.map { e in collection.elements.contains { ValueOrder.equal($0, e) } })
        case .param(let p):
            let world = ctx.world
            guard ctx.inRule, case .dates(let ds) = data.columns[dateField] else {
                return Vec.repeating(world.param(p, on: queryDate), rows.count)
            }
            return Vec.from(rows.map { world.param(p, on: ds[lo + Int($0)]) })
        case .letCall(let l, let args, let cases, let code):
            return try letCall(l, args, cases, code, rows, ctx)
        case .chance(let p, let stream, _):
            let probability = try eval(p, rows, ctx).numbers
            let key = Operators.drawKey(stream: stream, seed: data.seed), first = UInt64(lo)
            var out = [Bool](repeating: false, count: rows.count)
            // Every row drawn in one tight loop (a draw cannot fail); a failed row's is then
            // put back to false.
            out.withUnsafeMutableBufferPointer { o in
                rows.withUnsafeBufferPointer { r in
                    probability.withUnsafeBufferPointer { pr in
                        for k in 0..<Swift.min(r.count, pr.count, o.count) {
                            o[k] = Operators.draw(key: key, identity: first &+ UInt64(UInt32(bitPattern: r[k]))) < pr[k]
                        }
                    }
                }
            }
            if !errors.isEmpty { for k in rows.indices where !alive(rows[k]) { out[k] = false } }
            return .bools(out)
        default:
            return .values(try generic(node, rows, ctx))
        }
    }

    /// The node's values, boxed.
    func values(_ node: Node, _ rows: [Int32], _ ctx: Context) throws -> [Value] {
        try eval(node, rows, ctx).boxed
    }

    /// `+ - * /` of the rows at `positions` (the others failed on the left).
    private func arithmetic(_ op: BinaryOperator, _ left: Vec, _ right: Vec, _ positions: [Int], _ rows: [Int32],
                            _ src: SourceRef) -> Vec {
        switch (left, right) {
        case (.ints(var x, .int), .ints(let y, .int)) where op != .divide:
            for (p, k) in positions.enumerated() where alive(rows[k]) {
                do { x[k] = try Operators.intArithmetic(op, x[k], y[p], src) } catch let e as EvalError { fail(rows[k], e) } catch {}
            }
            return .ints(x, .int)
        case (.numbers, _), (_, .numbers), (.ints(_, .int), .ints(_, .int)):
            guard left.isNumeric, right.isNumeric else { break }
            var x = left.numbers
            let y = right.numbers
            for (p, k) in positions.enumerated() where alive(rows[k]) {
                do { x[k] = try Operators.numberArithmetic(op, x[k], y[p], src) } catch let e as EvalError { fail(rows[k], e) } catch {}
            }
            return .numbers(x)
        default:
            break
        }
        var x = left.boxed
        let y = right.boxed
        for (p, k) in positions.enumerated() where alive(rows[k]) {
            do {
                switch op {
                case .add: x[k] = try Operators.add(x[k], y[p], src)
                case .subtract: x[k] = try Operators.subtract(x[k], y[p], src)
                case .multiply: x[k] = try Operators.multiply(x[k], y[p], src)
                default: x[k] = try Operators.divide(x[k], y[p], src)
                }
            } catch let e as EvalError {
                fail(rows[k], e)
            } catch {}
        }
        return .values(x)
    }

    /// The nodes with no typed form here: one value per row.
    private func generic(_ node: Node, _ rows: [Int32], _ ctx: Context) throws -> [Value] {
        switch node {
        case .field(let ref, let i):
            if let locals = ctx.letLocals {
                guard case .slot(let s) = ref, s >= 0, s < locals.count, case .perRow(let v) = locals[s] else { throw VectorUnsupported() }
                return v.gather(rows).boxed.enumerated().map { k, x in
                    guard alive(rows[k]), case .record(let c) = x, i < c.fields.count else { return .bool(false) }
                    return c.fields[i]
                }
            }
            guard ctx.inRule, case .slot(let s) = ref, s > 0, s < ctx.locals.count,
                  case .record(let c) = ctx.locals[s], i < c.fields.count else { throw VectorUnsupported() }
            return Array(repeating: c.fields[i], count: rows.count)
        case .local(let s):
            // (A let's slots are read in `eval`.)
            guard ctx.inRule, ctx.letLocals == nil else { throw VectorUnsupported() }
            if s == 0 { return rows.map { .record(data.caseRecord(lo + Int($0))) } }
            guard s < ctx.locals.count else { throw VectorUnsupported() }
            return Array(repeating: ctx.locals[s], count: rows.count)
        case .toNumber(let x):
            // (A failed case's placeholder reads as 0; its value is never used.)
            return try values(x, rows, ctx).map { .number($0.numberOrZero) }
        case .negate(let x, let src):
            var out = try values(x, rows, ctx)
            for k in rows.indices where alive(rows[k]) {
                do { out[k] = try Operators.negate(out[k], src) } catch let e as EvalError { fail(rows[k], e) }
            }
            return out
        case .contains(let x, let y):
            var out = try values(x, rows, ctx)
            let (positions, right) = try evalAlive(y, rows, ctx)
            let r = right.boxed
            for (p, k) in positions.enumerated() where alive(rows[k]) {
                let v = out[k]
                out[k] = .bool(r[p].elements.contains { ValueOrder.equal($0, v) })
            }
            return out
        case .within(let x, let y):
            var out = try values(x, rows, ctx)
            let (positions, right) = try evalAlive(y, rows, ctx)
            let r = right.boxed
            let table = ctx.world.program.jurisdictions
            for (p, k) in positions.enumerated() where alive(rows[k]) {
                out[k] = .bool(table.within(out[k].asJurisdiction, r[p].asJurisdiction))
            }
            return out
        case .scalar(let code):
            return try scalar(code, rows, ctx)
        case .constant, .not, .and, .or, .compare, .arithmetic, .ifThenElse, .decision, .chance, .param, .letCall, .extremum,
             .attribute:
            return try values(node, rows, ctx)
        }
    }

    /// The positions of `positions` (into `rows`) whose case is alive, split by `flags`
    /// (`flags[p]` for `positions[p]`): where it holds, and where it does not. Without a
    /// failed case the split is made without branches (the flags of real data are not
    /// predictable).
    func split(_ positions: [Int], by flags: [Bool], _ rows: [Int32]) -> (yes: [Int], no: [Int]) {
        guard errors.isEmpty else {
            var yes: [Int] = [], no: [Int] = []
            for (p, k) in positions.enumerated() where alive(rows[k]) {
                if flags[p] { yes.append(k) } else { no.append(k) }
            }
            return (yes, no)
        }
        var yes = [Int](repeating: 0, count: positions.count), no = [Int](repeating: 0, count: positions.count)
        var y = 0, n = 0
        yes.withUnsafeMutableBufferPointer { ys in
            no.withUnsafeMutableBufferPointer { ns in
                for (p, k) in positions.enumerated() {
                    ys[y] = k
                    ns[n] = k
                    let f = flags[p] ? 1 : 0
                    y &+= f
                    n &+= 1 &- f
                }
            }
        }
        yes.removeLast(yes.count - y)
        no.removeLast(no.count - n)
        return (yes, no)
    }

    /// The live rows of `rows` split by `flags` (`flags[k]` for `rows[k]`): the positions and
    /// rows where it holds, and where it does not — `selection` of each side, made in one
    /// pass without branches when no case has failed (two passes made W4 a fifth slower).
    func partition(_ rows: [Int32], by flags: [Bool]) -> (yes: [Int], yesRows: [Int32], no: [Int], noRows: [Int32]) {
        let n = Swift.min(rows.count, flags.count)
        guard errors.isEmpty, n == rows.count else {
            let (yes, yesRows) = selection(flags, is: true, rows)
            let (no, noRows) = selection(flags, is: false, rows)
            return (yes, yesRows, no, noRows)
        }
        var y = 0, m = 0
        var yes = [Int](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        var no = [Int](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        var yesRows = [Int32](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        var noRows = [Int32](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        yes.withUnsafeMutableBufferPointer { ys in
            no.withUnsafeMutableBufferPointer { ns in
                yesRows.withUnsafeMutableBufferPointer { yr in
                    noRows.withUnsafeMutableBufferPointer { nr in
                        rows.withUnsafeBufferPointer { rs in
                            flags.withUnsafeBufferPointer { fs in
                                // Every slot is written, and a side's count moves on where the row is its.
                                for k in 0..<n {
                                    ys[y] = k
                                    yr[y] = rs[k]
                                    ns[m] = k
                                    nr[m] = rs[k]
                                    let f = fs[k] ? 1 : 0
                                    y &+= f
                                    m &+= 1 &- f
                                }
                            }
                        }
                    }
                }
            }
        }
        yes.removeLast(n - y)
        yesRows.removeLast(n - y)
        no.removeLast(n - m)
        noRows.removeLast(n - m)
        return (yes, yesRows, no, noRows)
    }

    /// The positions of the live rows whose flag is `value`, and those rows.
    func selection(_ flags: [Bool], is value: Bool, _ rows: [Int32]) -> (positions: [Int], rows: [Int32]) {
        guard errors.isEmpty else {
            var positions: [Int] = []
            for k in rows.indices where alive(rows[k]) && flags[k] == value { positions.append(k) }
            return (positions, Moves.gather(rows, positions) { $0 })
        }
        // Without branches: every position is written, and the count moves on where it is taken.
        let n = Swift.min(rows.count, flags.count)
        var count = 0
        var positions = [Int](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        var taken = [Int32](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        positions.withUnsafeMutableBufferPointer { ps in
            taken.withUnsafeMutableBufferPointer { ts in
                rows.withUnsafeBufferPointer { rs in
                    flags.withUnsafeBufferPointer { fs in
                        for k in 0..<n {
                            ps[count] = k
                            ts[count] = rs[k]
                            count &+= fs[k] == value ? 1 : 0
                        }
                    }
                }
            }
        }
        positions.removeLast(n - count)
        taken.removeLast(n - count)
        return (positions, taken)
    }

    /// `node` for the rows of `rows` still alive: their positions in `rows`, and the values.
    private func evalAlive(_ node: Node, _ rows: [Int32], _ ctx: Context) throws -> ([Int], Vec) {
        if errors.isEmpty { return (VecSlots.identity(rows.count), try eval(node, rows, ctx)) }
        var positions: [Int] = []
        positions.reserveCapacity(rows.count)
        for k in rows.indices where alive(rows[k]) { positions.append(k) }
        return (positions, try eval(node, Moves.gather(rows, positions) { $0 }, ctx))
    }

    /// The date attributes and `at`-less reads are taken at: the case's own inside a
    /// decision, the query's outside.
    @inline(__always)
    func date(_ r: Int32, _ ctx: Context) -> Int32? {
        guard ctx.inRule, case .dates(let ds) = data.columns[dateField] else { return queryDate }
        return ds[lo + Int(r)]
    }

    /// A call of let `l`: its arguments over the rows, in order, then its body over them
    /// with the arguments in its slots (a case passed along stays the case, so its fields
    /// are read from their columns and its decisions resolved for the chunk).
    private func letCall(_ l: Int, _ args: [Node], _ cases: [CaseRef?], _ code: @escaping Eval, _ rows: [Int32],
                         _ ctx: Context) throws -> Vec {
        guard let body = ctx.world.currentLetCode(l), letDepth < VectorChunk.maximumLetDepth else {
            // Not defined here (its error is the call's own), or nested too deep.
            return .values(try scalar(code, rows, ctx))
        }
        var locals: [Context.Local] = []
        for (k, a) in args.enumerated() {
            if k < cases.count, let ref = cases[k], ctx.isCase(ref) {
                locals.append(.theCase)
                continue
            }
            let v = try eval(a, rows, ctx)
            var full = Vec.placeholders(like: v, n)
            full.scatter(v, at: rows.map { Int($0) })
            locals.append(.perRow(full))
        }
        while locals.count < body.localCount { locals.append(.perRow(.bools(Array(repeating: false, count: n)))) }
        var inner = ctx
        inner.letLocals = locals
        inner.localCount = max(body.localCount, locals.count)
        letDepth += 1
        defer { letDepth -= 1 }
        return try eval(body.bodyNode, rows, inner)
    }

    /// Compiled code, case by case, in the frame that evaluating the case alone would have.
    private func scalar(_ code: Eval, _ rows: [Int32], _ ctx: Context) throws -> [Value] {
        var out = [Value](repeating: .bool(false), count: rows.count)
        frame.world = ctx.world
        for (k, r) in rows.enumerated() where alive(r) {
            let c = data.caseRecord(lo + Int(r))
            if let locals = ctx.letLocals {
                frame.locals = locals.map { local in
                    switch local {
                    case .theCase: return .record(c)
                    case .perRow(let v): return v[Int(r)]
                    }
                }
                while frame.locals.count < ctx.localCount { frame.locals.append(.bool(false)) }
                frame.caseRecord = ctx.inRule ? c : nil
                frame.date = ctx.inRule ? c.fields[dateField].asDate : queryDate
                frame.subject = .record(c)
            } else if ctx.inRule {
                frame.locals = [.record(c)] + ctx.locals.dropFirst()
                while frame.locals.count < ctx.localCount { frame.locals.append(.bool(false)) }
                frame.caseRecord = c
                frame.date = c.fields[dateField].asDate
                frame.subject = .record(c)
            } else {
                frame.locals = []
                frame.caseRecord = nil
                frame.date = queryDate
                frame.subject = .record(c)
            }
            do {
                out[k] = try code(&frame)
            } catch let e as EvalError {
                fail(r, e)
            } catch is Interrupted {
                throw Interrupted()
            } catch {
                // Not one case's error (an aggregate inside, say): leave it to the case-by-case path.
                throw VectorUnsupported()
            }
        }
        return out
    }

}
