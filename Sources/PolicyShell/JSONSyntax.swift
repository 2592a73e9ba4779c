/// A JSON syntax check (RFC 8259), without Foundation: used to decide whether a value's text
/// can be printed as JSON as it is, and by the renderer fuzz target to check every JSON
/// output.
public enum JSONSyntax {
    /// nil when `text` is one JSON value (with white space around it allowed); otherwise
    /// what is wrong and where.
    public static func problem(in text: String) -> String? {
        var r = Reader(b: Array(text.utf8))
        do {
            r.ws()
            try r.value(depth: 0)
            r.ws()
            if r.i != r.b.count { throw r.error("text after the value") }
            return nil
        } catch let e as Failure {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    public static func isValid(_ text: String) -> Bool { problem(in: text) == nil }

    struct Failure: Error { var message: String }

    struct Reader {
        let b: [UInt8]
        var i = 0

        func error(_ why: String) -> Failure {
            let from = Swift.max(0, i - 30), to = Swift.min(b.count, i + 30)
            return Failure(message: "\(why) at byte \(i): …\(String(decoding: b[from..<to], as: UTF8.self))…")
        }

        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func ws() { while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } }

        mutating func expect(_ c: UInt8) throws {
            guard peek == c else { throw error("expected '\(Character(UnicodeScalar(c)))'") }
            i += 1
        }

        mutating func value(depth: Int) throws {
            guard depth < 512 else { throw error("nested too deep") }
            switch peek {
            case UInt8(ascii: "{"):
                i += 1; ws()
                if peek == UInt8(ascii: "}") { i += 1; return }
                while true {
                    ws(); try string(); ws(); try expect(UInt8(ascii: ":")); ws(); try value(depth: depth + 1); ws()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "}")); return
                }
            case UInt8(ascii: "["):
                i += 1; ws()
                if peek == UInt8(ascii: "]") { i += 1; return }
                while true {
                    ws(); try value(depth: depth + 1); ws()
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "]")); return
                }
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): for c in "true".utf8 { try expect(c) }
            case UInt8(ascii: "f"): for c in "false".utf8 { try expect(c) }
            case UInt8(ascii: "n"): for c in "null".utf8 { try expect(c) }
            default: try number()
            }
        }

        mutating func string() throws {
            try expect(UInt8(ascii: "\""))
            while let c = peek {
                if c < 0x20 { throw error("a raw control character in a string") }
                i += 1
                if c == UInt8(ascii: "\"") { return }
                if c == UInt8(ascii: "\\") {
                    guard let e = peek else { break }
                    i += 1
                    if e == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let h = peek, (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66) else {
                                throw error("a bad \\u escape")
                            }
                            i += 1
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(e) {
                        throw error("a bad escape")
                    }
                }
            }
            throw error("an unterminated string")
        }

        mutating func number() throws {
            func digits() -> Int {
                var n = 0
                while let c = peek, c >= 0x30, c <= 0x39 { i += 1; n += 1 }
                return n
            }
            if peek == UInt8(ascii: "-") { i += 1 }
            if peek == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw error("not a JSON value") }
            if peek == UInt8(ascii: ".") {
                i += 1
                if digits() == 0 { throw error("no digits after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                i += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { throw error("no digits in the exponent") }
            }
        }
    }
}
