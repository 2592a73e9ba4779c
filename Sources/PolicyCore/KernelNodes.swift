import PolicySyntax

// The kernels of the IR's expression nodes. Each reads its operands' registers at the
// positions selected for it and writes its own there; `and`, `or` and `if` run an operand
// only at the positions it decides, as evaluating each case alone would.

/// A constant (or a rule's argument): written at the selected positions, and read directly
/// by kernels that can.
final class ConstantKernel: Kernel {
    let word: Int64

    init(_ kind: KernelKind, _ word: Int64) {
        self.word = word
        super.init(kind)
    }

    override var constant: Int64? { word }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        let w = word, at = sel.at
        for m in 0..<sel.count { out[Int(at[m])] = w }
    }
}

/// A field of the case: its column at the block's rows.
final class ColumnKernel: Kernel {
    let column: Column

    init?(_ column: Column) {
        self.column = column
        switch column {
        case .bools: super.init(.bool)
        case .ints: super.init(.ints(.int))
        case .numbers: super.init(.number)
        case .dates: super.init(.ints(.date))
        case .jurisdictions: super.init(.ints(.jurisdiction))
        case .members(_, let e), .smallMembers(_, let e): super.init(.ints(.member(e)))
        case .values: return nil
        }
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        let base = b.chunk.lo + b.start
        @inline(__always) func copy<T>(_ xs: [T], _ word: (T) -> Int64) {
            xs.withUnsafeBufferPointer { x in
                let at = sel.at
                for m in 0..<sel.count {
                    let p = Int(at[m])
                    out[p] = word(x[Moves.index(base + p, x.count)])
                }
            }
        }
        switch column {
        case .bools(let xs): copy(xs) { $0 ? 1 : 0 }
        case .ints(let xs): copy(xs) { $0 }
        case .numbers(let xs): copy(xs) { Int64(bitPattern: $0.bitPattern) }
        case .dates(let xs), .jurisdictions(let xs), .members(let xs, _): copy(xs) { Int64($0) }
        case .smallMembers(let xs, _): copy(xs) { Int64($0) }
        case .values: throw VectorUnsupported()
        }
    }
}

final class NotKernel: Kernel {
    let x: Kernel

    init(_ x: Kernel) {
        self.x = x
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b, into: out)
        let at = sel.at
        for m in 0..<sel.count {
            let p = Int(at[m])
            out[p] = 1 &- out[p]
        }
    }
}

/// `x and y`, `x or y`: `y` only where `x` does not settle it.
final class AndOrKernel: Kernel {
    let x: Kernel, y: Kernel
    /// `y` runs where `x` is this (1 for `and`, 0 for `or`).
    let open: Int64
    private let rest = Selection()

    init(isAnd: Bool, _ x: Kernel, _ y: Kernel) {
        self.x = x
        self.y = y
        open = isAnd ? 1 : 0
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b, into: out)
        let at = sel.at, to = rest.at, open = self.open
        var n = 0
        // Without branches: every slot is written, and the count moves on where `y` runs.
        for m in 0..<sel.count {
            let p = at[m]
            to[n] = p
            n &+= out[Int(p)] == open ? 1 : 0
        }
        rest.count = n
        guard n > 0 else { return }
        try y.run(rest, b, into: out)
    }
}

/// `== != < <= > >=` of two int-like values of one kind, or of two numbers (an int beside a
/// number is compared as a number), as `Vec.compare` does.
final class CompareKernel: Kernel {
    let op: BinaryOperator
    let x: Kernel, y: Kernel
    let asNumbers: (x: Bool, y: Bool)?

    init?(_ op: BinaryOperator, _ x: Kernel, _ y: Kernel) {
        switch (x.kind, y.kind) {
        case (.ints(let a), .ints(let b)) where a == b:
            asNumbers = nil
        case (.bool, .bool) where op == .equal || op == .notEqual:
            asNumbers = nil
        case (.number, .number), (.number, .ints(.int)), (.ints(.int), .number):
            asNumbers = (x.kind != .number, y.kind != .number)
        default:
            return nil
        }
        switch op {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: break
        default: return nil
        }
        self.op = op
        self.x = x
        self.y = y
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        if y.constant == nil { try y.run(sel, b) }
        let r = out, at = sel.at, n = sel.count
        @inline(__always) func each<T: Comparable>(_ left: (Int) -> T, _ right: (Int) -> T) {
            switch op {
            case .equal: for m in 0..<n { let p = Int(at[m]); r[p] = left(p) == right(p) ? 1 : 0 }
            case .notEqual: for m in 0..<n { let p = Int(at[m]); r[p] = left(p) != right(p) ? 1 : 0 }
            case .less: for m in 0..<n { let p = Int(at[m]); r[p] = left(p) < right(p) ? 1 : 0 }
            case .lessEqual: for m in 0..<n { let p = Int(at[m]); r[p] = !(right(p) < left(p)) ? 1 : 0 }
            case .greater: for m in 0..<n { let p = Int(at[m]); r[p] = right(p) < left(p) ? 1 : 0 }
            default: for m in 0..<n { let p = Int(at[m]); r[p] = !(left(p) < right(p)) ? 1 : 0 }
            }
        }
        let xr = x.register, yr = y.register
        if let (xInt, yInt) = asNumbers {
            @inline(__always) func number(_ reg: UnsafeMutablePointer<Int64>, _ isInt: Bool, _ p: Int) -> Double {
                isInt ? Double(reg[p]) : Double(bitPattern: UInt64(bitPattern: reg[p]))
            }
            if let c = y.constant {
                let k = yInt ? Double(c) : Double(bitPattern: UInt64(bitPattern: c))
                each({ number(xr, xInt, $0) }, { _ in k })
            } else {
                each({ number(xr, xInt, $0) }, { number(yr, yInt, $0) })
            }
        } else if let c = y.constant {
            each({ xr[$0] }, { _ in c })
        } else {
            each({ xr[$0] }, { yr[$0] })
        }
    }
}

/// `+ - * /` through `Operators`: ints (not `/`) checked for overflow, else numbers.
final class ArithmeticKernel: Kernel {
    let op: BinaryOperator
    let x: Kernel, y: Kernel
    let source: SourceRef

    init?(_ op: BinaryOperator, _ x: Kernel, _ y: Kernel, _ source: SourceRef) {
        switch (x.kind, y.kind) {
        case (.ints(.int), .ints(.int)) where op != .divide:
            self.x = x
            self.y = y
        case (.number, .number), (.number, .ints(.int)), (.ints(.int), .number), (.ints(.int), .ints(.int)):
            self.x = x.kind == .number ? x : ToNumberKernel(x)
            self.y = y.kind == .number ? y : ToNumberKernel(y)
        default:
            return nil
        }
        switch op {
        case .add, .subtract, .multiply, .divide: break
        default: return nil
        }
        self.op = op
        self.source = source
        super.init(self.x.kind == .number ? .number : .ints(.int))
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        try y.run(sel, b)
        let r = out, xr = x.register, yr = y.register, at = sel.at
        if kind == .number {
            for m in 0..<sel.count {
                let p = Int(at[m])
                do {
                    let v = try Operators.numberArithmetic(op, Double(bitPattern: UInt64(bitPattern: xr[p])),
                                                           Double(bitPattern: UInt64(bitPattern: yr[p])), source)
                    r[p] = Int64(bitPattern: v.bitPattern)
                } catch let e as EvalError {
                    b.fail(Int32(p), e)
                }
            }
            return
        }
        for m in 0..<sel.count {
            let p = Int(at[m])
            do { r[p] = try Operators.intArithmetic(op, xr[p], yr[p], source) } catch let e as EvalError { b.fail(Int32(p), e) }
        }
    }
}

/// An int as a number.
final class ToNumberKernel: Kernel {
    let x: Kernel

    init(_ x: Kernel) {
        self.x = x
        super.init(.number)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        let r = out, xr = x.register, at = sel.at
        if x.kind == .number {
            for m in 0..<sel.count { let p = Int(at[m]); r[p] = xr[p] }
            return
        }
        for m in 0..<sel.count {
            let p = Int(at[m])
            r[p] = Int64(bitPattern: Double(xr[p]).bitPattern)
        }
    }
}

/// `-x` of an int (checked) or a number, through `Operators.negate`.
final class NegateKernel: Kernel {
    let x: Kernel
    let source: SourceRef

    init?(_ x: Kernel, _ source: SourceRef) {
        guard x.kind == .number || x.kind == .ints(.int) else { return nil }
        self.x = x
        self.source = source
        super.init(x.kind)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        let r = out, xr = x.register, at = sel.at, kind = self.kind
        for m in 0..<sel.count {
            let p = Int(at[m])
            do {
                r[p] = try KernelKind.of(Operators.negate(kind.box(xr[p]), source))?.1 ?? 0
            } catch let e as EvalError {
                b.fail(Int32(p), e)
            }
        }
    }
}

/// `if c then x else y`: each side only at its positions.
final class IfKernel: Kernel {
    let c: Kernel, x: Kernel, y: Kernel
    private let yes = Selection(), no = Selection()

    init?(_ c: Kernel, _ x: Kernel, _ y: Kernel) {
        guard x.kind == y.kind else { return nil }
        self.c = c
        self.x = x
        self.y = y
        super.init(x.kind)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try c.run(sel, b)
        let cr = c.register, at = sel.at
        switch (x.constant, y.constant) {
        case (let wx?, let wy?):
            // Both sides constant: a choice per position.
            for m in 0..<sel.count {
                let p = Int(at[m])
                out[p] = cr[p] != 0 ? wx : wy
            }
            return
        case (nil, let w?), (let w?, nil):
            // One side constant: written everywhere in the pass that finds the other side's
            // positions, which that side then overwrites.
            // (Without branches: the count moves on where the condition, flipped for the
            // `else` side, holds.)
            let other = x.constant == nil ? x : y, flip = x.constant == nil ? 0 : 1
            let os = yes.at
            var k = 0
            for m in 0..<sel.count {
                let p = at[m]
                out[Int(p)] = w
                os[k] = p
                k &+= (cr[Int(p)] != 0 ? 1 : 0) ^ flip
            }
            yes.count = k
            if k > 0 { try other.run(yes, b, into: out) }
            return
        case (nil, nil):
            break
        }
        Selection.split(sel, by: cr, into: yes, no)
        try side(x, yes, b, out)
        try side(self.y, no, b, out)
    }

    /// One side, straight into `out`.
    @inline(__always)
    private func side(_ k: Kernel, _ sel: Selection, _ b: KernelBlock, _ out: UnsafeMutablePointer<Int64>) throws {
        guard sel.count > 0 else { return }
        if let w = k.constant {
            let at = sel.at
            for m in 0..<sel.count { out[Int(at[m])] = w }
            return
        }
        try k.run(sel, b, into: out)
    }
}

/// `x in [a, b, …]` with a constant collection of values of `x`'s kind.
final class ContainsKernel: Kernel {
    let x: Kernel
    let words: [Int64]

    init?(_ x: Kernel, _ elements: [Value]) {
        var words: [Int64] = []
        for e in elements {
            guard let (kind, w) = KernelKind.of(e), kind == x.kind, kind != .number else { return nil }
            words.append(w)
        }
        self.x = x
        self.words = words
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        let r = out, xr = x.register, at = sel.at
        words.withUnsafeBufferPointer { ws in
            for m in 0..<sel.count {
                let p = Int(at[m])
                let v = xr[p]
                var found: Int64 = 0
                for w in ws { found |= w == v ? 1 : 0 }
                r[p] = found
            }
        }
    }
}

/// Attribute `a` of a jurisdiction as of the case's date (in a decision) or the query's,
/// from the world's `AttributeTable` (`World.attribute`'s answers).
final class AttributeKernel: Kernel {
    let x: Kernel
    let a: Int
    let world: World
    let table: AttributeTable
    let words: [Int64]
    /// Read at the case's date (in a decision), else at the query's (nil: undated).
    let caseDates: [Int32]?
    let queryDate: Int32?

    init?(_ x: Kernel, _ a: Int, _ world: World, inRule: Bool, _ chunk: VectorChunk) {
        guard world.isFrozen, a < world.attributeTimed.count, a < world.program.attributes.count, x.kind == .ints(.jurisdiction),
              let kind = KernelKind.of(world.program.attributes[a].type) else { return nil }
        table = world.attributeTable(a)
        if inRule {
            guard case .dates(let ds) = chunk.data.columns[chunk.dateField] else { return nil }
            caseDates = ds
        } else {
            caseDates = nil
        }
        queryDate = chunk.queryDate
        let dated = inRule || chunk.queryDate != nil
        let source = dated ? table.values : table.undated
        switch (source, kind) {
        case (.bools(let xs), .bool): words = xs.map { $0 ? 1 : 0 }
        case (.ints(let xs, let tag), .ints(let t)) where tag == t: words = xs
        case (.numbers(let xs), .number): words = xs.map { Int64(bitPattern: $0.bitPattern) }
        default: return nil
        }
        self.x = x
        self.a = a
        self.world = world
        super.init(kind)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.run(sel, b)
        let r = out, xr = x.register, at = sel.at
        let count = table.valueStart.count
        let dated = caseDates != nil || queryDate != nil
        let base = b.chunk.lo + b.start
        for m in 0..<sel.count {
            let p = Int(at[m])
            let j = xr[p]
            let day: Int32? = caseDates.map { $0[Moves.index(base + p, $0.count)] } ?? queryDate
            guard j >= 0, j < Int64(count) else {
                // Not in the table: asked of the world.
                guard let (kind, w) = KernelKind.of(world.attribute(Int32(truncatingIfNeeded: j), a, on: day)),
                      kind == self.kind else { throw VectorUnsupported() }
                r[p] = w
                continue
            }
            guard dated, !table.cuts.isEmpty else {
                r[p] = words[Int(j)]
                continue
            }
            let first = table.cutStart[Int(j)], end = table.cutStart[Int(j) + 1]
            var piece = 0
            let d = day ?? Int32.min
            for c in first..<end { piece &+= table.cuts[c] <= d ? 1 : 0 }
            r[p] = words[Moves.index(table.valueStart[Int(j)] + piece, words.count)]
        }
    }
}

/// Param `p` as of the case's date (in a decision).
final class ParamKernel: Kernel {
    let p: Int
    let world: World
    let dates: [Int32]

    init?(_ p: Int, _ world: World, _ chunk: VectorChunk) {
        guard p < world.program.params.count, let kind = KernelKind.of(world.program.params[p].type),
              case .dates(let ds) = chunk.data.columns[chunk.dateField] else { return nil }
        self.p = p
        self.world = world
        dates = ds
        super.init(kind)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        let r = out, at = sel.at, base = b.chunk.lo + b.start
        for m in 0..<sel.count {
            let q = Int(at[m])
            guard let (kind, w) = KernelKind.of(world.param(p, on: dates[Moves.index(base + q, dates.count)])),
                  kind == self.kind else { throw VectorUnsupported() }
            r[q] = w
        }
    }
}

/// `chance(p)` drawn on a stream for the case (its identity is its row).
final class ChanceKernel: Kernel {
    let probability: Kernel
    let key: UInt64

    init?(_ probability: Kernel, stream: UInt64, seed: UInt64) {
        guard probability.kind == .number else { return nil }
        self.probability = probability
        key = Operators.drawKey(stream: stream, seed: seed)
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try probability.run(sel, b)
        let r = out, pr = probability.register, at = sel.at, first = UInt64(b.chunk.lo + b.start)
        for m in 0..<sel.count {
            let p = Int(at[m])
            r[p] = Operators.draw(key: key, identity: first &+ UInt64(p)) < Double(bitPattern: UInt64(bitPattern: pr[p])) ? 1 : 0
        }
    }
}
