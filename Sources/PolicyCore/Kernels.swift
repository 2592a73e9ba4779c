import PolicySyntax

// Kernels: a query's nodes compiled, for one chunk, into operations over blocks of
// `Kernel.blockSize` consecutive rows.
//
// The chunk evaluator (`VectorChunk`) moves whole vectors of a chunk between nodes: every
// node allocates its result, and `if`, `and`, `or` and decisions gather their rows' values
// and scatter them back. A kernel instead owns one register per node, a value per row of
// the block, written only at the rows selected for it; a node's operands are read at the
// same positions, so nothing is gathered, scattered or merged, and a block's registers stay
// in the core's cache. The nodes are the same IR, and each operation is the same primitive
// (`Operators`, `ValueOrder`'s order on typed values, `Resolution` for several answers),
// so the kernels answer as the chunk evaluator does; the engine agreement and semantic
// differential tests compare them.
//
// A node the kernels do not take (strings, records, lets, durations, …) makes the whole
// aggregate decline at compile time; the chunk evaluator then takes it.

/// What a kernel's register holds: int-like values (bools as 0 and 1, ints, dates, enum
/// members, jurisdictions) as `Int64`, numbers as the bits of a `Double`.
enum KernelKind: Equatable {
    case bool
    case ints(Vec.IntTag)
    case number

    /// The kind of a typed value, if it has one.
    static func of(_ v: Value) -> (KernelKind, Int64)? {
        switch v {
        case .bool(let b): return (.bool, b ? 1 : 0)
        case .number(let x): return (.number, Int64(bitPattern: x.bitPattern))
        default:
            guard let (x, tag) = Vec.typed(v) else { return nil }
            return (.ints(tag), x)
        }
    }

    /// The register word `x` as a value of this kind.
    func box(_ x: Int64) -> Value {
        switch self {
        case .bool: return .bool(x != 0)
        case .number: return .number(Double(bitPattern: UInt64(bitPattern: x)))
        case .ints(let tag): return Vec.box(x, tag)
        }
    }

    /// The kind of values of type `t`, if the kernels hold them.
    static func of(_ t: PType) -> KernelKind? {
        switch t {
        case .bool: return .bool
        case .int: return .ints(.int)
        case .number: return .number
        case .date: return .ints(.date)
        case .jurisdiction: return .ints(.jurisdiction)
        case .enumType(let e): return .ints(.member(Int32(e)))
        default: return nil
        }
    }
}

/// A row selection within a block: positions (0 ..< blockSize), in order.
final class Selection {
    let at: UnsafeMutablePointer<Int32>
    var count = 0

    init() {
        at = .allocate(capacity: Kernel.blockSize)
    }

    deinit { at.deallocate() }

    /// Splits `sel` by `register`: its positions where the register is not 0 into `yes`, the
    /// others into `no`, in order.
    @inline(__always)
    static func split(_ sel: Selection, by register: UnsafeMutablePointer<Int64>, into yes: Selection, _ no: Selection) {
        split(sel, into: yes, no, by: NonZero(register: register))
    }

    /// Splits `sel` by `test`: where it holds into `yes`, the others into `no`, in order.
    /// (Every slot of both is written, and a side's count moves on where the position is
    /// its: no branches.)
    @inline(__always)
    static func split<T: PositionTest>(_ sel: Selection, into yes: Selection, _ no: Selection, by test: T) {
        let at = sel.at, ys = yes.at, ns = no.at
        var y = 0, n = 0
        for m in 0..<sel.count {
            let p = at[m]
            ys[y] = p
            ns[n] = p
            let f = test.holds(Int(p)) ? 1 : 0
            y &+= f
            n &+= 1 &- f
        }
        yes.count = y
        no.count = n
    }
}

/// A test of a block position. (Tests are structs, so that the loops they are passed to
/// are specialised to each and the test inlined; a closure there is called per position.)
protocol PositionTest {
    func holds(_ p: Int) -> Bool
}

/// Whether a register is not 0 at the position.
struct NonZero: PositionTest {
    let register: UnsafeMutablePointer<Int64>

    @inline(__always) func holds(_ p: Int) -> Bool { register[p] != 0 }
}

/// What every kernel of a chunk reads while a block runs.
final class KernelBlock {
    /// The chunk the blocks are of (kernels compiled once serve every chunk of a worker).
    var chunk: VectorChunk
    /// The block's first row, in the chunk (`chunk.lo + start` in the population).
    var start = 0
    /// Counts blocks, so per-block marks need no clearing.
    var stamp: UInt32 = 0
    /// The block's own selection (every row of the block the query evaluates): a decision
    /// asked for it has resolved every case the block will ask it about.
    var top: Selection?
    var frame: Frame

    init(_ chunk: VectorChunk) {
        self.chunk = chunk
        frame = chunk.frame
    }

    /// Block position `p`'s case failed with `e` (its first error is kept).
    @inline(__always)
    func fail(_ p: Int32, _ e: EvalError) {
        chunk.fail(Int32(start) + p, e)
    }

    /// The population row of block position `p`.
    @inline(__always)
    func row(_ p: Int32) -> Int { chunk.lo + start + Int(p) }
}

/// One node of the IR over a block: `run` writes `register[p]` for every selected position.
class Kernel {
    static let blockSize = 2048

    let kind: KernelKind
    let register: UnsafeMutablePointer<Int64>

    init(_ kind: KernelKind) {
        self.kind = kind
        // Not zeroed: a position is read only after the kernel (or the one writing for it)
        // has written it in the same block, and a register no kernel writes into (an `if`
        // side's own, when the side writes into the `if`'s) then costs no pages at all.
        register = .allocate(capacity: Kernel.blockSize)
    }

    deinit { register.deallocate() }

    /// A constant's value (kernels read it directly instead of its register).
    var constant: Int64? { nil }

    /// Writes the node's value for every selected position into `out` (the kernel's own
    /// register, or a parent's: an `if` has each side write straight into its own, an `and`
    /// its right side into the left's, so no value is copied between registers).
    func run(_ sel: Selection, _ b: KernelBlock, into out: UnsafeMutablePointer<Int64>) throws {}

    /// Writes the node's values into its own register.
    @inline(__always)
    final func run(_ sel: Selection, _ b: KernelBlock) throws {
        try run(sel, b, into: register)
    }

    /// Splits `sel` by this bool node's value: the positions where it holds into `yes`, the
    /// others into `no`, in order. A node that can tell without writing its register (a
    /// bool column, a comparison with a constant, a negation of either) does so in one pass.
    func split(_ sel: Selection, _ b: KernelBlock, into yes: Selection, _ no: Selection) throws {
        try run(sel, b)
        Selection.split(sel, by: register, into: yes, no)
    }

    @inline(__always)
    func number(_ p: Int) -> Double { Double(bitPattern: UInt64(bitPattern: register[p])) }

    /// The register at the selected positions, as a vector of its kind.
    func values(_ sel: Selection) -> Vec {
        let r = register, at = sel.at, n = sel.count
        switch kind {
        case .bool:
            return .bools([Bool](unsafeUninitializedCapacity: n) { out, initialized in
                for m in 0..<n { out[m] = r[Int(at[m])] != 0 }
                initialized = n
            })
        case .ints(let tag):
            return .ints([Int64](unsafeUninitializedCapacity: n) { out, initialized in
                for m in 0..<n { out[m] = r[Int(at[m])] }
                initialized = n
            }, tag)
        case .number:
            return .numbers([Double](unsafeUninitializedCapacity: n) { out, initialized in
                for m in 0..<n { out[m] = Double(bitPattern: UInt64(bitPattern: r[Int(at[m])])) }
                initialized = n
            })
        }
    }
}

/// A worker's kernels for one query: compiled for its first chunk, then used for each of
/// its chunks in turn (compiling depends only on the query, its worlds and its population).
final class KernelCache {
    private var made: QueryKernels?
    private var declined = false

    /// The query's kernels, ready for `chunk`; nil where some aggregate has a node they do
    /// not take.
    func kernels(_ q: Query, _ worlds: [World], _ chunk: VectorChunk) -> QueryKernels? {
        if declined { return nil }
        if let made {
            made.block.chunk = chunk
            made.block.frame = chunk.frame
            return made
        }
        let started = Engine.explain ? Engine.clock() : 0
        made = QueryKernels(q, worlds, chunk)
        declined = made == nil
        if Engine.explain {
            Engine.note("  a worker's kernels \(declined ? "declined" : "compiled") in \(Engine.microseconds(since: started)) µs")
        }
        return made
    }
}

/// The kernels that answer a query's aggregates, chunk by chunk.
final class QueryKernels {
    let block: KernelBlock
    /// Per world and aggregate (`w * aggregates + a`): its kernel.
    let aggregates: [Kernel]
    private let selection = Selection()
    /// Whether `selection.at` holds every position of a block, in order.
    private var selectionIsEveryPosition = false

    /// Nil when some aggregate has a node the kernels do not take.
    init?(_ q: Query, _ worlds: [World], _ chunk: VectorChunk) {
        let compiler = KernelCompiler(chunk)
        var kernels: [Kernel] = []
        for world in worlds {
            for aggregate in q.aggregates {
                guard aggregate.perCase != nil else {
                    kernels.append(ConstantKernel(.bool, 1))
                    continue
                }
                guard let node = aggregate.node, let k = compiler.compile(node, .query(world)) else { return nil }
                kernels.append(k)
            }
        }
        block = KernelBlock(chunk)
        aggregates = kernels
    }

    /// Runs the kernels block by block over the chunk's `n` rows, at `rows` (in order), and
    /// hands each block's range of rows to `body` with the rows evaluated in it and their
    /// positions in the kernels' registers, while the values are in cache.
    func evaluate(_ rows: [Int32], n: Int,
                  _ body: (_ range: Range<Int>, _ rows: ArraySlice<Int32>, _ at: Selection) throws -> Void) throws {
        let chunk = block.chunk
        var k = 0
        var start = 0
        while start < n {
            if chunk.cancellation.isRaised { throw Interrupted() }
            let end = Swift.min(n, start + Kernel.blockSize)
            // The rows of this block.
            let first = k
            var count = 0
            let at = selection.at
            if k + (end - start) <= rows.count, rows[k + (end - start) - 1] == Int32(end - 1) {
                // Every row of the block (rows are distinct and in order): its positions,
                // written once for all such blocks (no kernel writes into this selection).
                count = end - start
                if !selectionIsEveryPosition {
                    for p in 0..<Kernel.blockSize { at[p] = Int32(p) }
                    selectionIsEveryPosition = true
                }
                k += count
            } else {
                selectionIsEveryPosition = false
                while k < rows.count, Int(rows[k]) < end {
                    at[count] = rows[k] &- Int32(start)
                    count &+= 1
                    k &+= 1
                }
            }
            selection.count = count
            block.start = start
            block.stamp &+= 1
            block.top = selection
            if count > 0 {
                for kernel in aggregates { try kernel.run(selection, block) }
            }
            try body(start..<end, rows[first..<k], selection)
            start = end
        }
    }

    /// Each kernel's values at `sel`, as the chunk evaluator gives them
    /// (`values[w * aggregates + a][k]` for position `sel.at[k]`).
    func values(_ sel: Selection) -> [Vec] {
        aggregates.map { $0.values(sel) }
    }
}
