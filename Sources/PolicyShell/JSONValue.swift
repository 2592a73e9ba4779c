/// A JSON document (RFC 8259) read and written without Foundation, for the files shards
/// write. Numbers keep their text, so an `Int64` or a `Double` written with Swift's
/// shortest round-trip form reads back exactly.
///
///     let doc = try JSONValue.parse(#"{"shard": 2, "units": []}"#)
///     doc["shard"]?.int            // 2
///     doc.text                     // {"shard":2,"units":[]}
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in the order written.
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)), (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    static func int<I: BinaryInteger>(_ i: I) -> JSONValue { .number(String(i)) }

    /// A double exactly: finite ones as JSON numbers, the others as the strings `inf`, `-inf`, `nan`.
    static func double(_ x: Double) -> JSONValue {
        guard x.isFinite else { return .string(x.isNaN ? "nan" : x < 0 ? "-inf" : "inf") }
        return .number("\(x)")
    }

    subscript(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    var int: Int? { if case .number(let t) = self { return Int(t) }; return nil }
    var int64: Int64? { if case .number(let t) = self { return Int64(t) }; return nil }
    var uint64: UInt64? { if case .number(let t) = self { return UInt64(t) }; return nil }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }

    var double: Double? {
        switch self {
        case .number(let t): return Double(t)
        case .string("inf"): return .infinity
        case .string("-inf"): return -.infinity
        case .string("nan"): return .nan
        default: return nil
        }
    }

    /// Compact text, with no white space.
    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let t): out += t
        case .string(let s): out += TableRenderer.jsonString(s)
        case .array(let xs):
            out += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { out += "," }
                x.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                out += TableRenderer.jsonString(k) + ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads one JSON value (white space around it allowed). Nesting deeper than `maxDepth`
    /// is an error, not a deep recursion.
    static func parse(_ text: String, maxDepth: Int = 64) throws -> JSONValue {
        var p = Parser(b: Array(text.utf8), maxDepth: maxDepth)
        p.ws()
        let v = try p.value(depth: 0)
        p.ws()
        guard p.i == p.b.count else { throw p.error("text after the value") }
        return v
    }

    struct Parser {
        let b: [UInt8]
        let maxDepth: Int
        var i = 0

        func error(_ why: String) -> ParseError {
            i >= b.count ? ParseError(description: "\(why) at the end (byte \(i)): the file is cut short")
                : ParseError(description: "\(why) at byte \(i)")
        }

        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func ws() { while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } }

        mutating func literal(_ word: String, _ v: JSONValue) throws -> JSONValue {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, Array(b[i..<(i + w.count)]) == w else { throw error("expected a value") }
            i += w.count
            return v
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < maxDepth else { throw error("nested more than \(maxDepth) deep") }
            guard let c = peek else { throw error("expected a value") }
            switch c {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                ws()
                if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    ws()
                    guard peek == UInt8(ascii: "\"") else { throw error("expected a member name") }
                    let k = try string()
                    ws()
                    guard peek == UInt8(ascii: ":") else { throw error("expected ':'") }
                    i += 1
                    ws()
                    members.append((k, try value(depth: depth + 1)))
                    ws()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    guard peek == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                    i += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                i += 1
                var xs: [JSONValue] = []
                ws()
                if peek == UInt8(ascii: "]") { i += 1; return .array(xs) }
                while true {
                    ws()
                    xs.append(try value(depth: depth + 1))
                    ws()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    guard peek == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                    i += 1
                    return .array(xs)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws -> JSONValue {
            let start = i
            func isNumberByte(_ c: UInt8) -> Bool {
                (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            }
            while let c = peek, isNumberByte(c) { i += 1 }
            let t = String(decoding: b[start..<i], as: UTF8.self)
            guard !t.isEmpty, Double(t) != nil else { i = start; throw error("expected a value") }
            return .number(t)
        }

        mutating func string() throws -> String {
            i += 1 // the opening quote
            var bytes: [UInt8] = []
            while true {
                guard let c = peek else { throw error("unterminated string") }
                i += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(decoding: bytes, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = peek else { throw error("unterminated string") }
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "b"): bytes.append(0x08)
                    case UInt8(ascii: "f"): bytes.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        // A high surrogate and the low one after it make one scalar (U+10000 and
                        // up, as `json.dumps` writes an emoji); a lone half is U+FFFD.
                        if (0xD800..<0xDC00).contains(scalar), peek == UInt8(ascii: "\\"), i + 5 < b.count, b[i + 1] == UInt8(ascii: "u") {
                            let mark = i
                            i += 2
                            let low = try hex4()
                            if (0xDC00...0xDFFF).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = mark // not a low half: read as an escape of its own
                            }
                        }
                        bytes += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                    default: bytes.append(e) // \" \\ \/
                    }
                default:
                    guard c >= 0x20 else { throw error("a control character in a string") }
                    bytes.append(c)
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                throw error("expected four hex digits")
            }
            i += 4
            return v
        }
    }
}

/// A member inside members: `message[path: "params", "textDocument", "uri"]`.
extension JSONValue {
    subscript(path keys: String...) -> JSONValue? {
        var value: JSONValue? = self
        for key in keys { value = value?[key] }
        return value
    }
}
