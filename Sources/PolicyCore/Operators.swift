import PolicySyntax

/// Runtime arithmetic with the language's rules: checked 64-bit ints, calendar-correct
/// dates, durations in two families.
enum Operators {
    /// A number past the largest double: an error, as `/` by zero is (never `inf`).
    static func numberOverflow(_ what: String, _ source: SourceRef?, hint: String = "the result is beyond the largest number (about 1.8e308); scale the values down") -> EvalError {
        EvalError("number overflow in \(what)", at: source, hint: hint)
    }

    static func overflow(_ what: String, _ source: SourceRef) -> EvalError {
        EvalError("integer overflow in \(what)", at: source, hint: "the result does not fit in a 64-bit int; use numbers (e.g. 1.0 * x) for very large values")
    }

    /// The first and last days a date may be (§3: years 1800–2299).
    static let firstDay = Int64(CivilDate.dayNumber(year: CivilDate.yearRange.lowerBound, month: 1, day: 1))
    static let lastDay = Int64(CivilDate.dayNumber(year: CivilDate.yearRange.upperBound, month: 12, day: 31))

    /// `+ - *` of two ints, checked: the one definition every evaluator uses.
    @inline(__always)
    static func intArithmetic(_ op: BinaryOperator, _ x: Int64, _ y: Int64, _ source: SourceRef) throws -> Int64 {
        let (r, o): (Int64, Bool)
        switch op {
        case .add: (r, o) = x.addingReportingOverflow(y)
        case .subtract: (r, o) = x.subtractingReportingOverflow(y)
        default: (r, o) = x.multipliedReportingOverflow(by: y)
        }
        if o { throw overflow("'\(op.rawValue)'", source) }
        return r
    }

    /// `+ - * /` of two numbers: `/` by zero and results past the largest double are errors.
    @inline(__always)
    static func numberArithmetic(_ op: BinaryOperator, _ x: Double, _ y: Double, _ source: SourceRef) throws -> Double {
        let r: Double
        switch op {
        case .add: r = x + y
        case .subtract: r = x - y
        case .multiply: r = x * y
        default:
            if y == 0 { throw EvalError("division by zero", at: source, hint: "guard it: if y == 0 then … else x / y") }
            r = x / y
        }
        guard r.isFinite else { throw numberOverflow("'\(op.rawValue)'", source) }
        return r
    }

    static func add(_ a: Value, _ b: Value, _ source: SourceRef) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return .int(try intArithmetic(.add, x, y, source))
        case (.date(let d), .duration(let n, let f)): return try shift(d, n, f, source)
        case (.duration(let n, let f), .date(let d)): return try shift(d, n, f, source)
        case (.duration(let x, let f), .duration(let y, _)):
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw overflow("'+'", source) }
            return .duration(r, f)
        case (.string(let x), .string(let y)): return .string(x + y)
        default: return .number(try numberArithmetic(.add, a.asNumber, b.asNumber, source))
        }
    }

    static func subtract(_ a: Value, _ b: Value, _ source: SourceRef) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return .int(try intArithmetic(.subtract, x, y, source))
        case (.date(let d), .duration(let n, let f)):
            guard n != Int64.min else { throw overflow("'-'", source) }
            return try shift(d, -n, f, source)
        case (.date(let x), .date(let y)): return .duration(Int64(x) - Int64(y), .days)
        case (.duration(let x, let f), .duration(let y, _)):
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw overflow("'-'", source) }
            return .duration(r, f)
        default: return .number(try numberArithmetic(.subtract, a.asNumber, b.asNumber, source))
        }
    }

    static func multiply(_ a: Value, _ b: Value, _ source: SourceRef) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return .int(try intArithmetic(.multiply, x, y, source))
        case (.duration(let n, let f), .int(let k)), (.int(let k), .duration(let n, let f)):
            let (r, o) = n.multipliedReportingOverflow(by: k)
            if o { throw overflow("'*'", source) }
            return .duration(r, f)
        default: return .number(try numberArithmetic(.multiply, a.asNumber, b.asNumber, source))
        }
    }

    static func divide(_ a: Value, _ b: Value, _ source: SourceRef) throws -> Value {
        .number(try numberArithmetic(.divide, a.asNumber, b.asNumber, source))
    }

    static func negate(_ a: Value, _ source: SourceRef) throws -> Value {
        switch a {
        case .int(let x):
            if x == Int64.min { throw overflow("'-'", source) }
            return .int(-x)
        case .duration(let n, let f):
            if n == Int64.min { throw overflow("'-'", source) }
            return .duration(-n, f)
        default: return .number(-a.asNumber)
        }
    }

    /// A date moved by days, or by months with the day clamped to the month's end (§3).
    /// The result must be a date of the language (years 1800–2299).
    static func shift(_ d: Int32, _ n: Int64, _ f: DurationFamily, _ source: SourceRef) throws -> Value {
        func outOfRange() -> EvalError {
            EvalError("date arithmetic out of range: the result is not between 1800-01-01 and 2299-12-31", at: source,
                      hint: "dates run from 1800 to 2299; check the duration added")
        }
        // No shift of a date within 1800–2299 by 200,000 days or 10,000 months or more stays in it.
        let limit: Int64 = f == .days ? 200_000 : 10_000
        guard n > -limit, n < limit else { throw outOfRange() }
        let day: Int64
        switch f {
        case .days: day = Int64(d) + n
        case .months: day = Int64(CivilDate(dayNumber: Int(d)).addingMonths(Int(n)).dayNumber)
        }
        guard day >= firstDay, day <= lastDay else { throw outOfRange() }
        return .date(Int32(day))
    }

    static func compare(_ op: BinaryOperator, _ a: Value, _ b: Value) -> Bool {
        switch op {
        case .equal: return ValueOrder.equal(a, b)
        case .notEqual: return !ValueOrder.equal(a, b)
        case .less: return ValueOrder.less(a, b)
        case .lessEqual: return !ValueOrder.less(b, a)
        case .greater: return ValueOrder.less(b, a)
        case .greaterEqual: return !ValueOrder.less(a, b)
        default: return false
        }
    }

    /// The chance draw of §4.9 / §9.17: u ∈ [0, 1) from (seed, case identity, stream).
    static func draw(seed: UInt64, identity: UInt64, stream: String) -> Double {
        draw(stream: streamKey(stream), seed: seed, identity: identity)
    }

    /// The stream part of a draw, computed once per stream label.
    static func streamKey(_ stream: String) -> UInt64 {
        var h = StableHash()
        h.mix(stream)
        return h.value
    }

    @inline(__always)
    static func draw(stream: UInt64, seed: UInt64, identity: UInt64) -> Double {
        draw(key: drawKey(stream: stream, seed: seed), identity: identity)
    }

    /// The part of a draw shared by every case of one stream and seed.
    @inline(__always)
    static func drawKey(stream: UInt64, seed: UInt64) -> UInt64 {
        StableHash.splitmix(stream ^ seed &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    static func draw(key: UInt64, identity: UInt64) -> Double {
        Double(StableHash.splitmix(key ^ identity &* 0xBF58_476D_1CE4_E5B9) >> 11) * 0x1.0p-53
    }
}
