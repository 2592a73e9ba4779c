import PolicySyntax

/// Compiles nodes into kernels for one chunk, sharing one decision kernel per (world,
/// decision), so a decision asked in several places is resolved once per case.
final class KernelCompiler {
    let chunk: VectorChunk
    /// The decisions' kernels made so far, and the decisions whose rules are being compiled
    /// (a rule that reaches its own decision declines). A query asks few decisions, so
    /// these are lists: a set or dictionary of a key type of our own would cost the first
    /// query of a process the runtime's search for its `Hashable` conformance.
    private var decisions: [(key: VectorChunk.DecisionKey, kernel: DecisionKernel)] = []
    private var compiling: [VectorChunk.DecisionKey] = []
    /// A decision whose candidates form more groups than this is left to the chunk evaluator.
    static let maximumGroups = 64

    init(_ chunk: VectorChunk) {
        self.chunk = chunk
    }

    /// `node`'s kernel in `ctx`, or nil where the kernels do not take it.
    func compile(_ node: Node, _ ctx: VectorChunk.Context) -> Kernel? {
        guard ctx.letLocals == nil else { return nil }
        switch node {
        case .constant(let v):
            guard let (kind, w) = KernelKind.of(v) else { return nil }
            return ConstantKernel(kind, w)
        case .field(let ref, let i):
            if ctx.isCase(ref) {
                guard i < chunk.data.columns.count else { return nil }
                return ColumnKernel(chunk.data.columns[i])
            }
            // A field of a record passed to the policy: the same for every case.
            guard ctx.inRule, case .slot(let s) = ref, s > 0, s < ctx.locals.count, case .record(let c) = ctx.locals[s],
                  i < c.fields.count, let (kind, w) = KernelKind.of(c.fields[i]) else { return nil }
            return ConstantKernel(kind, w)
        case .local(let s):
            // A policy's argument (slot 0, the case itself, has no register).
            guard ctx.inRule, s > 0, s < ctx.locals.count, let (kind, w) = KernelKind.of(ctx.locals[s]) else { return nil }
            return ConstantKernel(kind, w)
        case .not(let x):
            guard let x = compile(x, ctx), x.kind == .bool else { return nil }
            return NotKernel(x)
        case .and(let x, let y), .or(let x, let y):
            guard let x = compile(x, ctx), let y = compile(y, ctx), x.kind == .bool, y.kind == .bool else { return nil }
            if case .and = node { return AndOrKernel(isAnd: true, x, y) }
            return AndOrKernel(isAnd: false, x, y)
        case .compare(let op, let x, let y):
            guard let x = compile(x, ctx), let y = compile(y, ctx) else { return nil }
            return CompareKernel(op, x, y)
        case .arithmetic(let op, let x, let y, let source):
            guard let x = compile(x, ctx), let y = compile(y, ctx) else { return nil }
            return ArithmeticKernel(op, x, y, source)
        case .toNumber(let x):
            guard let x = compile(x, ctx), x.kind == .number || x.kind == .ints(.int) else { return nil }
            return ToNumberKernel(x)
        case .negate(let x, let source):
            guard let x = compile(x, ctx) else { return nil }
            return NegateKernel(x, source)
        case .ifThenElse(.not(let c), let x, let y):
            // `if not c then x else y` is `if c then y else x` (a negation cannot fail).
            return compile(.ifThenElse(c, y, x), ctx)
        case .ifThenElse(let c, let x, let y):
            guard let c = compile(c, ctx), c.kind == .bool, let x = compile(x, ctx), let y = compile(y, ctx) else { return nil }
            return IfKernel(c, x, y)
        case .contains(let x, .constant(let collection)):
            guard let x = compile(x, ctx) else { return nil }
            return ContainsKernel(x, collection.elements)
        case .attribute(let x, let a):
            guard let x = compile(x, ctx) else { return nil }
            return AttributeKernel(x, a, ctx.world, inRule: ctx.inRule, chunk)
        case .param(let p):
            guard ctx.inRule else {
                guard let (kind, w) = KernelKind.of(ctx.world.param(p, on: chunk.queryDate)) else { return nil }
                return ConstantKernel(kind, w)
            }
            return ParamKernel(p, ctx.world, chunk)
        case .chance(let p, let stream, _):
            guard let p = compile(p, ctx) else { return nil }
            return ChanceKernel(p, stream: stream, seed: chunk.data.seed)
        case .decision(let d, let ref):
            guard ctx.isCase(ref) else { return nil }
            return decision(d, ctx.world)
        case .contains, .within, .extremum, .letCall, .scalar:
            return nil
        }
    }

    /// The kernel of decision `d` in `world`, made once.
    private func decision(_ d: Int, _ world: World) -> DecisionKernel? {
        let key = VectorChunk.DecisionKey(world: ObjectIdentifier(world), decision: d)
        if let made = decisions.first(where: { $0.key == key }) {
            made.kernel.askers += 1
            return made.kernel
        }
        guard !compiling.contains(key), d < world.program.decisions.count,
              let kind = KernelKind.of(world.program.decisions[d].type) else { return nil }
        compiling.append(key)
        defer { compiling.removeLast() }
        let code = world.decisionCode(d)
        let data = chunk.data
        guard code.version >= 0 else {
            // Not defined in this world: every case's error, as the chunk evaluator gives it.
            let made = DecisionKernel(d, world, kind, code, table: nil, groups: [], defaultKernel: nil)
            decisions.append((key, made))
            return made
        }
        guard code.caseType == data.record, code.caseFields.date == chunk.dateField,
              code.caseFields.jurisdiction == chunk.jurisdictionField else { return nil }
        let defaultContext = VectorChunk.Context(world: world, inRule: true, locals: [.bool(false)], localCount: 1)
        guard let defaultKernel = compile(code.defaultNode, defaultContext), defaultKernel.kind == kind else { return nil }
        var table: VectorPlanTable?
        var groups: [[DecisionKernel.Rule]] = []
        if case .sparse(let byJurisdiction) = code.plans, byJurisdiction.isEmpty {
            // No candidates anywhere: the default answers.
        } else {
            let t = code.vectorTable(world, d)
            guard t.groups.count <= KernelCompiler.maximumGroups else { return nil }
            for g in t.groups {
                let ctx = VectorChunk.Context(world: world, inRule: true, locals: g.locals, localCount: g.localCount)
                var rules: [DecisionKernel.Rule] = []
                for rule in g.rules {
                    var condition: Kernel?
                    if let c = rule.conditionNode {
                        guard let k = compile(c, ctx), k.kind == .bool else { return nil }
                        condition = k
                    }
                    guard let value = compile(rule.valueNode, ctx), value.kind == kind else { return nil }
                    rules.append(DecisionKernel.Rule(condition: condition, value: value))
                }
                groups.append(rules)
            }
            table = t
        }
        let made = DecisionKernel(d, world, kind, code, table: table, groups: groups, defaultKernel: defaultKernel)
        decisions.append((key, made))
        return made
    }
}

/// Decision `d` about the case, resolved once per case of a block: each case's candidates
/// in force by its signature (`VectorPlanTable`), rules run round by round over the cases
/// whose k-th candidate is in their group, the default where none answers, and
/// `Resolution` case by case where several do.
final class DecisionKernel: Kernel {
    struct Rule {
        var condition: Kernel?
        var value: Kernel
    }

    let d: Int
    let world: World
    let code: DecisionCode
    let table: VectorPlanTable?
    let groups: [[Rule]]
    let defaultKernel: Kernel?
    /// How many nodes ask this decision. Asked by one, a block asks it once (or, from a
    /// rule in several rounds, again at other positions), so it need not track which
    /// positions it has resolved: at worst a position is resolved again, to the same answer.
    var askers = 1
    /// The block each position was last resolved in (asked by several nodes).
    private let resolved: UnsafeMutablePointer<UInt32>
    /// The last block the decision was asked in, and the last it was asked for as a whole.
    private var firstAsked: UInt32 = 0, wholeBlock: UInt32 = 0
    /// Per position: its signature, and how many answers it has had (2: several).
    private let signature: UnsafeMutablePointer<Int32>
    private let answers: UnsafeMutablePointer<Int8>
    private let todo = Selection(), hit = Selection(), missA = Selection(), missB = Selection(), none = Selection()
    private let empty = Selection(), more = Selection()
    /// Per group: the positions whose candidate of the round is in it.
    private let ofGroup: [Selection]
    private let groupAt: [UnsafeMutablePointer<Int32>]
    private let groupCount: UnsafeMutablePointer<Int>

    init(_ d: Int, _ world: World, _ kind: KernelKind, _ code: DecisionCode, table: VectorPlanTable?, groups: [[Rule]],
         defaultKernel: Kernel?) {
        self.d = d
        self.world = world
        self.code = code
        self.table = table
        self.groups = groups
        self.defaultKernel = defaultKernel
        resolved = .allocate(capacity: Kernel.blockSize)
        resolved.initialize(repeating: 0, count: Kernel.blockSize)
        signature = .allocate(capacity: Kernel.blockSize)
        signature.initialize(repeating: 0, count: Kernel.blockSize)
        answers = .allocate(capacity: Kernel.blockSize)
        answers.initialize(repeating: 0, count: Kernel.blockSize)
        ofGroup = groups.map { _ in Selection() }
        groupAt = ofGroup.map(\.at)
        groupCount = .allocate(capacity: Swift.max(1, groups.count))
        groupCount.initialize(repeating: 0, count: Swift.max(1, groups.count))
        super.init(kind)
    }

    deinit {
        resolved.deallocate()
        signature.deallocate()
        answers.deallocate()
        groupCount.deallocate()
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try resolve(sel, b)
        guard out != register else { return }
        let r = register, at = sel.at
        for m in 0..<sel.count {
            let p = Int(at[m])
            out[p] = r[p]
        }
    }

    /// Resolves the selected positions not resolved in this block yet, into the register.
    private func resolve(_ sel: Selection, _ b: KernelBlock) throws {
        let stamp = b.stamp
        // Asked for the whole block before: nothing is left to resolve.
        if wholeBlock == stamp { return }
        let todo: Selection
        if sel === b.top && firstAsked != stamp {
            // Asked first for the whole block: every position is to do, and none again.
            wholeBlock = stamp
            todo = sel
        } else if askers == 1 {
            todo = sel
        } else {
            // The positions not resolved in this block yet.
            let at = sel.at, to = self.todo.at
            var n = 0
            for m in 0..<sel.count {
                let p = at[m]
                to[n] = p
                n &+= resolved[Int(p)] == stamp ? 0 : 1
                resolved[Int(p)] = stamp
            }
            self.todo.count = n
            todo = self.todo
        }
        firstAsked = stamp
        let n = todo.count
        guard n > 0 else { return }
        guard code.version >= 0, let defaultKernel else {
            let e = EvalError("decision '\(world.program.decisions[d].name)' is not defined in scenario '\(world.name)'", at: nil)
            for m in 0..<n { b.fail(todo.at[m], e) }
            return
        }
        guard let table else {
            try copy(defaultKernel, todo, b)
            return
        }
        try resolve(table, defaultKernel, todo, b)
    }

    /// `k` over `sel`, into this register.
    @inline(__always)
    private func copy(_ k: Kernel, _ sel: Selection, _ b: KernelBlock) throws {
        if let w = k.constant {
            let r = register, at = sel.at
            for m in 0..<sel.count { r[Int(at[m])] = w }
            return
        }
        try k.run(sel, b, into: register)
    }

    private func resolve(_ table: VectorPlanTable, _ defaultKernel: Kernel, _ todo: Selection, _ b: KernelBlock) throws {
        let chunk = b.chunk, to = todo.at, n = todo.count
        guard case .dates(let dates) = chunk.data.columns[chunk.dateField],
              case .jurisdictions(let places) = chunk.data.columns[chunk.jurisdictionField] else { throw VectorUnsupported() }
        let base = chunk.lo + b.start
        var outside = false
        // The most candidates any position has; the first round's groups are found in the
        // same pass as the signatures.
        var rounds = 0
        // The positions with more than one candidate, for the later rounds.
        let more = self.more.at
        var moreCount = 0
        groupCount.update(repeating: 0, count: ofGroup.count)
        table.firstOfSignature.withUnsafeBufferPointer { firstOf in
            groupAt.withUnsafeBufferPointer { groupAt in
                places.withUnsafeBufferPointer { ps in
                    dates.withUnsafeBufferPointer { ds in
                        table.withSignatures { lookup in
                            let rows = Swift.min(ps.count, ds.count), signatures = firstOf.count
                            for m in 0..<n {
                                let p = to[m]
                                let row = Moves.index(base + Int(p), rows)
                                let found = lookup.signature(place: ps[row], day: ds[row])
                                outside = outside || found == nil
                                let s = Moves.index(Int(found ?? 0), signatures)
                                signature[Int(p)] = Int32(s)
                                answers[Int(p)] = 0
                                let first = firstOf[s]
                                let count = Int(first >> 32)
                                rounds = Swift.max(rounds, count)
                                if count > 0 {
                                    let g = Int(UInt32(truncatingIfNeeded: first))
                                    groupAt[g][groupCount[g]] = p
                                    groupCount[g] &+= 1
                                }
                                // (Every slot is written; the count moves on where there are more.)
                                more[moreCount] = p
                                moreCount &+= count > 1 ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        if outside { throw VectorUnsupported() }
        var several = false
        var answered = 0
        for round in 0..<rounds {
            if round > 0 {
                // Each position's round-th candidate, by group.
                groupCount.update(repeating: 0, count: ofGroup.count)
                table.signatureStart.withUnsafeBufferPointer { start in
                    table.signatureGroups.withUnsafeBufferPointer { groupsOf in
                        groupAt.withUnsafeBufferPointer { groupAt in
                            for m in 0..<moreCount {
                                let p = more[m]
                                let s = Int(signature[Int(p)])
                                let at = start[s] &+ round
                                guard at < start[s + 1] else { continue }
                                let g = groupsOf[at]
                                groupAt[g][groupCount[g]] = p
                                groupCount[g] &+= 1
                            }
                        }
                    }
                }
            }
            for (g, members) in ofGroup.enumerated() where groupCount[g] > 0 {
                members.count = groupCount[g]
                try answer(groups[g], members, &several, &answered, b)
            }
        }
        // No answer: the default.
        if answered < n {
            let noneAt = none.at
            var k = 0
            for m in 0..<n {
                let p = to[m]
                noneAt[k] = p
                k &+= answers[Int(p)] == 0 ? 1 : 0
            }
            none.count = k
            if k > 0 { try copy(defaultKernel, none, b) }
        }
        guard several else { return }
        // Several answers: resolved case by case (overrides, combiners, ties).
        b.frame.world = world
        for m in 0..<n where answers[Int(to[m])] > 1 {
            let p = to[m]
            let c = chunk.data.caseRecord(b.row(p))
            b.frame.subject = .record(c)
            b.frame.caseRecord = nil
            b.frame.locals = []
            do {
                let v = try Resolution.decide(d, c, &b.frame)
                guard let (kind, w) = KernelKind.of(v), kind == self.kind else { throw VectorUnsupported() }
                register[Int(p)] = w
            } catch let e as EvalError {
                b.fail(p, e)
            }
        }
    }

    /// One group's rules over its members: the first rule that holds answers for a case.
    private func answer(_ rules: [Rule], _ members: Selection, _ several: inout Bool, _ answered: inout Int,
                        _ b: KernelBlock) throws {
        // The positions no rule has answered for yet.
        var open = members
        for rule in rules where open.count > 0 {
            let taken: Selection
            if let condition = rule.condition {
                // The positions the rule misses go to whichever buffer `open` is not.
                let missed = open === missA ? missB : missA
                try condition.split(open, b, into: hit, missed)
                taken = hit
                open = missed
            } else {
                taken = open
                open = empty
            }
            guard taken.count > 0 else { continue }
            // Every answer goes into the register: a case answered twice is resolved again
            // below, so only the first of a case answered once is ever read.
            try copy(rule.value, taken, b)
            let at = taken.at, counts = answers
            var first = 0
            for m in 0..<taken.count {
                let p = Int(at[m])
                let a = counts[p]
                first &+= a == 0 ? 1 : 0
                several = several || a != 0
                counts[p] = a < 2 ? a + 1 : 2
            }
            answered &+= first
        }
    }
}
