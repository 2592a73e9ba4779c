import PolicySupport
// How expressions, types and literals are written in canonical form.

extension Expr {
    /// The expression in canonical form on one line. Parentheses are kept as written, so
    /// the text parses back to the same tree.
    public var formatted: String {
        switch kind {
        case .int(let v, let grouped): return grouped ? Formatter.grouped(v) : String(v)
        case .number(_, let text), .percent(_, let text): return text
        case .date(let d): return CivilDate(dayNumber: Int(d)).description
        case .duration(let n, let unit): return "\(n) \(unit.singular)\(n == 1 ? "" : "s")"
        case .string(let s): return Formatter.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .name(let n): return n.text
        case .member(let base, let field): return "\(base.formatted).\(field.text)"
        case .call(let f, let args, let filter):
            var parts = args.map(\.formatted)
            if let filter, !parts.isEmpty { parts[0] += " where \(filter.formatted)" }
            return "\(f.text)(\(parts.joined(separator: ", ")))"
        case .record(let name, let fields): return "\(name.text) \(Formatter.fieldInits(fields))"
        case .with(let base, let fields): return "\(base.formatted) with \(Formatter.fieldInits(fields))"
        case .index(let base, let index): return "\(base.formatted)[\(index.formatted)]"
        case .set(let items): return "{\(items.map(\.formatted).joined(separator: ", "))}"
        case .list(let items): return "[\(items.map(\.formatted).joined(separator: ", "))]"
        case .unary(.negate, let e): return "-\(e.formatted)"
        case .unary(.not, let e): return "not \(e.formatted)"
        case .binary(let op, let a, let b): return "\(a.formatted) \(op.rawValue) \(b.formatted)"
        case .ifThenElse(let c, let a, let b): return "if \(c.formatted) then \(a.formatted) else \(b.formatted)"
        case .under(let e, let s): return "\(e.formatted) under \(s.text)"
        case .at(let e, let d): return "\(e.formatted) at \(d.formatted)"
        case .paren(let e): return "(\(e.formatted))"
        case .error: return "<error>"
        }
    }

    /// An `if` whose `else` is another `if`: written one branch per line.
    var isIfChain: Bool {
        if case .ifThenElse(_, _, let otherwise) = kind, case .ifThenElse = otherwise.kind { return true }
        return false
    }
}

extension TypeExpr {
    public var formatted: String {
        switch kind {
        case .named(let n): return n
        case .setOf(let t): return "set of \(t.formatted)"
        case .listOf(let t): return "list of \(t.formatted)"
        }
    }
}

extension PolicyRef {
    var formatted: String {
        guard let args = arguments else { return name.text }
        return "\(name.text)(\(args.map(\.formatted).joined(separator: ", ")))"
    }
}

extension Formatter {
    /// A string literal with the escapes the lexer reads back.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `1000000` as `1_000_000`.
    static func grouped(_ v: Int64) -> String { Digits.grouped(v, separator: "_") }

    static func fieldInits(_ fields: [FieldInit]) -> String {
        fields.isEmpty ? "{}" : "{ \(fields.map { "\($0.name.text): \($0.value.formatted)" }.joined(separator: ", ")) }"
    }
}
