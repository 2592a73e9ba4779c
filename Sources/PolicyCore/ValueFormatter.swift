import PolicySyntax
import PolicySupport

/// How values read: `2013-06-01`, `30 days`, `cook`, `transferred`, `12,877`.
public struct ValueFormatter {
    public let program: Program

    public init(_ program: Program) {
        self.program = program
    }

    public func format(_ v: Value) -> String {
        switch v {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return ValueFormatter.grouped(i)
        case .number(let d): return ValueFormatter.number(d)
        case .string(let s): return Formatter.quote(s)
        case .date(let d): return CivilDate(dayNumber: Int(d)).description
        case .duration(let n, let family):
            let unit = family == .days ? "day" : "month"
            if family == .months, n != 0, n % 12 == 0 { return "\(n / 12) year\(abs(n / 12) == 1 ? "" : "s")" }
            return "\(n) \(unit)\(abs(n) == 1 ? "" : "s")"
        case .member(let t, let i):
            guard Int(t) < program.enums.count, Int(i) < program.enums[Int(t)].members.count else { return "?" }
            return program.enums[Int(t)].members[Int(i)]
        case .jurisdiction(let j):
            return Int(j) < program.jurisdictions.count ? program.jurisdictions.names[Int(j)] : "?"
        case .record(let r):
            let info = program.records[r.type]
            let fields = zip(info.fields, r.fields).map { "\($0.name): \(format($1))" }
            return "\(info.name) { \(fields.joined(separator: ", ")) }"
        case .set(let xs): return "{\(xs.map(format).joined(separator: ", "))}"
        case .list(let xs): return "[\(xs.map(format).joined(separator: ", "))]"
        }
    }

    /// Integers of five or more digits are grouped by thousands (`12,877`); years and small
    /// counts read as written (`2013`).
    public static func grouped(_ i: Int64) -> String {
        let digits = String(i.magnitude)
        guard digits.count >= 5 else { return String(i) }
        return (i < 0 ? "-" : "") + Digits.grouped(digits)
    }

    /// The shortest text that reads back as the same double; whole numbers keep `.0`.
    /// Numbers read as people write them: float noise rounded away (12 significant digits:
    /// `0.7`, not `0.7000000000000001`), large values grouped with two decimals at most
    /// (`262,030.25`).
    public static func number(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return "0.0" }
        let magnitude = Int((abs(d)).log10Floor)
        var r = d
        if magnitude < 15 {
            let scale = pow10(11 - magnitude)
            r = (d * scale).rounded() / scale
        }
        if abs(r) >= 10_000, abs(r) < 1e15 {
            let cents = (r * 100).rounded()
            let whole = Int64((abs(cents) / 100).rounded(.down))
            let fraction = Int64(abs(cents).truncatingRemainder(dividingBy: 100))
            var text = (r < 0 ? "-" : "") + grouped(whole)
            if fraction != 0 { text += "." + (fraction < 10 ? "0" : "") + String(fraction).trimmingTrailingZeros() }
            return text
        }
        return "\(r)"
    }

    static func pow10(_ n: Int) -> Double {
        var x = 1.0
        if n >= 0 { for _ in 0..<n { x *= 10 } } else { for _ in 0..<(-n) { x /= 10 } }
        return x
    }
}

/// Ordering of values of one ordered type (§9.8).
public enum ValueOrder {
    public static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.int, .number), (.number, .int), (.number, .number): return a.asNumber < b.asNumber
        case (.date(let x), .date(let y)): return x < y
        case (.string(let x), .string(let y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        case (.duration(let x, _), .duration(let y, _)): return x < y
        case (.member(_, let x), .member(_, let y)): return x < y
        case (.bool(let x), .bool(let y)): return !x && y
        case (.jurisdiction(let x), .jurisdiction(let y)): return x < y
        default: return false
        }
    }

    /// Equality with int/number widening.
    public static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .number(let y)): return Double(x) == y
        case (.number(let x), .int(let y)): return x == Double(y)
        case (.set(let xs), .set(let ys)): return xs.count == ys.count && xs.allSatisfy { x in ys.contains { equal(x, $0) } }
        default: return a == b
        }
    }
}

extension Double {
    /// ⌊log10(|x|)⌋ without Foundation.
    public var log10Floor: Int {
        var x = Swift.abs(self)
        guard x.isFinite, x > 0 else { return 0 }
        var e = 0
        while x >= 10 { x /= 10; e += 1 }
        while x < 1 { x *= 10; e -= 1 }
        return e
    }
}

extension String {
    func trimmingTrailingZeros() -> String {
        var s = Substring(self)
        while s.count > 1, s.last == "0" { s.removeLast() }
        return String(s)
    }
}

extension ValueFormatter {
    /// The value as JSON text: numbers as numbers (`null` when not finite), dates as ISO
    /// strings, enum members and jurisdictions by name, durations as their text (`30 days`),
    /// records as objects, sets and lists as arrays.
    public func json(_ v: Value) -> String {
        switch v {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return ValueFormatter.jsonString(s)
        case .record(let r):
            let info = program.records[r.type]
            return "{" + zip(info.fields, r.fields).map { "\(ValueFormatter.jsonString($0.name)): \(json($1))" }.joined(separator: ", ") + "}"
        case .set(let xs), .list(let xs): return "[" + xs.map(json).joined(separator: ", ") + "]"
        case .date, .duration, .member, .jurisdiction: return ValueFormatter.jsonString(format(v))
        }
    }

    /// The value as one CSV cell holds it: numbers without digit grouping, strings unquoted.
    public func plain(_ v: Value) -> String {
        switch v {
        case .int(let i): return String(i)
        case .number(let d): return d.isFinite ? "\(d)" : format(v)
        case .string(let s): return s
        default: return format(v)
        }
    }

    /// A JSON string literal.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
