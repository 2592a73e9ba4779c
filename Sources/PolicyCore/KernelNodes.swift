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
        @inline(__always) func copy<E: ColumnWord>(_ xs: [E]) {
            xs.withUnsafeBufferPointer { x in
                let column = ColumnAt(x: x, base: base), at = sel.at
                for m in 0..<sel.count {
                    let p = Int(at[m])
                    out[p] = column.at(p)
                }
            }
        }
        switch column {
        case .bools(let xs): copy(xs)
        case .ints(let xs): copy(xs)
        case .numbers(let xs): copy(xs)
        case .dates(let xs), .jurisdictions(let xs), .members(let xs, _): copy(xs)
        case .smallMembers(let xs, _): copy(xs)
        case .values: throw VectorUnsupported()
        }
    }

    /// A bool column splits a selection as it is read, with no register between.
    override func split(_ sel: Selection, _ b: KernelBlock, into yes: Selection, _ no: Selection) throws {
        guard case .bools(let xs) = column else { return try super.split(sel, b, into: yes, no) }
        let base = b.chunk.lo + b.start
        xs.withUnsafeBufferPointer { x in
            Selection.split(sel, into: yes, no, by: ColumnAt(x: x, base: base))
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

    override func split(_ sel: Selection, _ b: KernelBlock, into yes: Selection, _ no: Selection) throws {
        try x.split(sel, b, into: no, yes)
    }
}

/// `x and y`, `x or y`: `y` only where `x` does not settle it.
final class AndOrKernel: Kernel {
    let x: Kernel, y: Kernel
    /// `y` runs where `x` is this (1 for `and`, 0 for `or`).
    let open: Int64
    private let holds = Selection(), fails = Selection()

    init(isAnd: Bool, _ x: Kernel, _ y: Kernel) {
        self.x = x
        self.y = y
        open = isAnd ? 1 : 0
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try x.split(sel, b, into: holds, fails)
        // Where `x` settles it, the answer is `x`; elsewhere it is `y`.
        let (settled, rest) = open == 1 ? (fails, holds) : (holds, fails)
        let w = 1 &- open, at = settled.at
        for m in 0..<settled.count { out[Int(at[m])] = w }
        guard rest.count > 0 else { return }
        try y.run(rest, b, into: out)
    }
}

/// `== != < <= > >=` of two int-like values of one kind, or of two numbers (an int beside a
/// number is compared as a number), as `Vec.compare` does.
final class CompareKernel: Kernel {
    let op: BinaryOperator
    let x: Kernel, y: Kernel
    let asNumbers: (x: Bool, y: Bool)?
    /// `x`'s column, when `x` is one and `y` a constant.
    let column: Column?

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
        // A column compared with a constant (as words) is read in place.
        if asNumbers == nil, y.constant != nil, let c = x as? ColumnKernel { column = c.column } else { column = nil }
        super.init(.bool)
    }

    override func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {
        try compare(sel, b, into: out, nil, nil)
    }

    override func split(_ sel: Selection, _ b: KernelBlock, into yes: Selection, _ no: Selection) throws {
        try compare(sel, b, into: nil, yes, no)
    }

    /// The comparison at the selected positions, into `out`, or else split into `yes` and
    /// `no`. A column compared with a constant is read in place, with no register between.
    @inline(__always)
    private func compare(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>?,
                         _ yes: Selection?, _ no: Selection?) throws {
        let op = self.op
        if let column, let c = y.constant {
            let base = b.chunk.lo + b.start
            @inline(__always) func read<E: ColumnWord>(_ xs: [E]) {
                xs.withUnsafeBufferPointer { x in
                    CompareKernel.each(op, sel, ColumnAt(x: x, base: base), Constant(word: c), out, yes, no)
                }
            }
            switch column {
            case .bools(let xs): read(xs)
            case .ints(let xs): read(xs)
            case .dates(let xs), .jurisdictions(let xs), .members(let xs, _): read(xs)
            case .smallMembers(let xs, _): read(xs)
            case .numbers, .values: throw VectorUnsupported()
            }
            return
        }
        try x.run(sel, b)
        if y.constant == nil { try y.run(sel, b) }
        let xr = x.register, yr = y.register
        if let (xInt, yInt) = asNumbers {
            let left = NumbersAt(register: xr, isInt: xInt)
            if let c = y.constant {
                CompareKernel.each(op, sel, left, Constant(word: yInt ? Double(c) : Double(bitPattern: UInt64(bitPattern: c))), out, yes, no)
            } else {
                CompareKernel.each(op, sel, left, NumbersAt(register: yr, isInt: yInt), out, yes, no)
            }
        } else if let c = y.constant {
            CompareKernel.each(op, sel, WordsAt(register: xr), Constant(word: c), out, yes, no)
        } else {
            CompareKernel.each(op, sel, WordsAt(register: xr), WordsAt(register: yr), out, yes, no)
        }
    }

    /// `left op right` at each selected position: written into `out` (1 or 0), or else the
    /// positions split into `yes` and `no`. (One call per operator, so each loop is
    /// specialised to its operator rather than switching on it per position.)
    @inline(__always)
    private static func each<L: Operand, R: Operand>(_ op: BinaryOperator, _ sel: Selection, _ left: L, _ right: R,
                                                     _ out: UnsafeMutablePointer<Int64>?, _ yes: Selection?, _ no: Selection?)
    where L.Word == R.Word {
        switch op {
        case .equal: emit(sel, Compared(left, right, .equal), out, yes, no)
        case .notEqual: emit(sel, Compared(left, right, .notEqual), out, yes, no)
        case .less: emit(sel, Compared(left, right, .less), out, yes, no)
        case .lessEqual: emit(sel, Compared(left, right, .lessEqual), out, yes, no)
        case .greater: emit(sel, Compared(left, right, .greater), out, yes, no)
        default: emit(sel, Compared(left, right, .greaterEqual), out, yes, no)
        }
    }

    @inline(__always)
    private static func emit<T: PositionTest>(_ sel: Selection, _ test: T, _ out: UnsafeMutablePointer<Int64>?,
                                              _ yes: Selection?, _ no: Selection?) {
        if let out {
            let at = sel.at
            for m in 0..<sel.count {
                let p = Int(at[m])
                out[p] = test.holds(p) ? 1 : 0
            }
        } else if let yes, let no {
            Selection.split(sel, into: yes, no, by: test)
        }
    }
}

/// A comparison's operand at a block position: a register's words or numbers, a column
/// read in place, or a constant.
protocol Operand {
    associatedtype Word: Comparable
    func at(_ p: Int) -> Word
}

struct WordsAt: Operand {
    let register: UnsafeMutablePointer<Int64>
    @inline(__always) func at(_ p: Int) -> Int64 { register[p] }
}

/// A register of numbers, or of ints read as numbers.
struct NumbersAt: Operand {
    let register: UnsafeMutablePointer<Int64>
    let isInt: Bool
    @inline(__always) func at(_ p: Int) -> Double {
        isInt ? Double(register[p]) : Double(bitPattern: UInt64(bitPattern: register[p]))
    }
}

struct Constant<Word: Comparable>: Operand {
    let word: Word
    @inline(__always) func at(_ p: Int) -> Word { word }
}

/// A column's elements as the words a register would hold (block position `p` is row
/// `base + p`, clamped into the column).
struct ColumnAt<E: ColumnWord>: Operand, PositionTest {
    let x: UnsafeBufferPointer<E>
    let base: Int
    @inline(__always) func at(_ p: Int) -> Int64 { x[Moves.index(base + p, x.count)].word }
    @inline(__always) func holds(_ p: Int) -> Bool { at(p) != 0 }
}

/// A column element's register word (see `KernelKind`).
protocol ColumnWord {
    var word: Int64 { get }
}

extension Double: ColumnWord {
    @inline(__always) var word: Int64 { Int64(bitPattern: bitPattern) }
}

extension Bool: ColumnWord {
    @inline(__always) var word: Int64 { self ? 1 : 0 }
}

extension Int64: ColumnWord {
    @inline(__always) var word: Int64 { self }
}

extension Int32: ColumnWord {
    @inline(__always) var word: Int64 { Int64(self) }
}

extension UInt8: ColumnWord {
    @inline(__always) var word: Int64 { Int64(self) }
}

/// `left op right` at a position, with the order of `ValueOrder` on typed words.
struct Compared<L: Operand, R: Operand>: PositionTest where L.Word == R.Word {
    enum Op { case equal, notEqual, less, lessEqual, greater, greaterEqual }
    let left: L, right: R, op: Op

    @inline(__always) init(_ left: L, _ right: R, _ op: Op) {
        self.left = left
        self.right = right
        self.op = op
    }

    @inline(__always) func holds(_ p: Int) -> Bool {
        let l = left.at(p), r = right.at(p)
        switch op {
        case .equal: return l == r
        case .notEqual: return l != r
        case .less: return l < r
        case .lessEqual: return !(r < l)
        case .greater: return r < l
        case .greaterEqual: return !(l < r)
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
        if let wx = x.constant, let wy = y.constant {
            // Both sides constant: a choice per position.
            try c.run(sel, b)
            let cr = c.register, at = sel.at
            for m in 0..<sel.count {
                let p = Int(at[m])
                out[p] = cr[p] != 0 ? wx : wy
            }
            return
        }
        try c.split(sel, b, into: yes, no)
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
