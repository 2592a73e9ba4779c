import Foundation

/// A JSON Schema (draft 2020-12) validator for the keywords `Schemas/*.schema.json` use:
/// `type`, `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`,
/// `minItems`, `maxItems`, `minimum`, `pattern`, `allOf`, `oneOf`, `if`/`then`/`else`, local
/// `$ref`s and boolean schemas. A keyword it does not know fails loudly, so the schema cannot
/// rely on one it would silently ignore.
struct JSONSchemaValidator {
    let root: [String: Any]
    static let known: Set<String> = ["$schema", "$id", "title", "description", "type", "enum", "const", "required",
                                     "properties", "additionalProperties", "items", "minItems", "maxItems", "minimum",
                                     "pattern", "allOf", "oneOf", "if", "then", "else", "$ref", "$defs"]

    init(schemaAt url: URL) throws {
        guard let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw NSError(domain: "schema", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path) is not a JSON object"])
        }
        self.root = root
    }

    /// The errors for `value` against the whole schema, or against one of its `$defs`, each
    /// with its path (empty: it is valid).
    func errors(_ value: Any, definition: String? = nil) -> [String] {
        var out: [String] = []
        let schema: Any = definition.map { ["$ref": "#/$defs/\($0)"] } ?? root
        check(value, schema, "$", &out)
        return out
    }

    private func check(_ v: Any, _ schema: Any, _ path: String, _ out: inout [String]) {
        if let b = schema as? Bool {
            if !b { out.append("\(path): nothing is allowed here") }
            return
        }
        guard let s = schema as? [String: Any] else { return out.append("\(path): the schema is not an object") }
        for k in s.keys where !Self.known.contains(k) { out.append("\(path): the validator does not know '\(k)'") }
        if let ref = s["$ref"] as? String {
            guard ref.hasPrefix("#/$defs/"), let defs = root["$defs"] as? [String: Any], let target = defs[String(ref.dropFirst(8))] else {
                return out.append("\(path): unknown $ref \(ref)")
            }
            check(v, target, path, &out)
        }
        if let t = s["type"] {
            let types = (t as? [String]) ?? [(t as? String) ?? ""]
            if !types.contains(where: { Self.isType(v, $0) }) { out.append("\(path): \(Self.describe(v)) is not \(types.joined(separator: " or "))") }
        }
        if let e = s["enum"] as? [Any], !e.contains(where: { Self.equal($0, v) }) { out.append("\(path): \(Self.describe(v)) is not one of \(e)") }
        if let c = s["const"], !Self.equal(c, v) { out.append("\(path): \(Self.describe(v)) is not \(c)") }
        if let o = v as? [String: Any], !Self.isArray(v) {
            for r in (s["required"] as? [String]) ?? [] where o[r] == nil { out.append("\(path): '\(r)' is missing") }
            let props = (s["properties"] as? [String: Any]) ?? [:]
            for (k, x) in o {
                if let p = props[k] {
                    check(x, p, "\(path).\(k)", &out)
                } else if let extra = s["additionalProperties"] {
                    check(x, extra, "\(path).\(k)", &out)
                }
            }
        }
        if let a = v as? [Any], Self.isArray(v) {
            if let items = s["items"] { for (i, x) in a.enumerated() { check(x, items, "\(path)[\(i)]", &out) } }
            if let n = s["minItems"] as? Int, a.count < n { out.append("\(path): fewer than \(n) items") }
            if let n = s["maxItems"] as? Int, a.count > n { out.append("\(path): more than \(n) items") }
        }
        if let m = s["minimum"] as? Double, let x = Self.number(v), x < m { out.append("\(path): \(x) < \(m)") }
        if let p = s["pattern"] as? String, let text = v as? String,
           text.range(of: p, options: .regularExpression) == nil { out.append("\(path): '\(text)' does not match \(p)") }
        for sub in (s["allOf"] as? [Any]) ?? [] { check(v, sub, path, &out) }
        if let one = s["oneOf"] as? [Any] {
            let passing = one.filter { sub in var e: [String] = []; check(v, sub, path, &e); return e.isEmpty }
            if passing.count != 1 { out.append("\(path): matches \(passing.count) of oneOf's \(one.count) schemas, not exactly one") }
        }
        if let cond = s["if"] {
            var e: [String] = []
            check(v, cond, path, &e)
            if e.isEmpty, let then = s["then"] { check(v, then, path, &out) }
            if !e.isEmpty, let other = s["else"] { check(v, other, path, &out) }
        }
    }

    // Foundation reads JSON booleans as NSNumbers whose type is `c` (a number 1 is `i` or `q`).
    static func isBool(_ v: Any) -> Bool { (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false }
    static func isArray(_ v: Any) -> Bool { v is [Any] }
    static func number(_ v: Any) -> Double? { isBool(v) ? nil : (v as? NSNumber)?.doubleValue }

    static func isType(_ v: Any, _ t: String) -> Bool {
        switch t {
        case "null": return v is NSNull
        case "boolean": return isBool(v)
        case "number": return number(v) != nil
        case "integer": return number(v).map { $0 == $0.rounded() } ?? false
        case "string": return v is String
        case "array": return isArray(v)
        case "object": return v is [String: Any]
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if isBool(a) || isBool(b) { return isBool(a) && isBool(b) && (a as? Bool) == (b as? Bool) }
        if let x = number(a), let y = number(b) { return x == y }
        return a is NSNull && b is NSNull
    }

    static func describe(_ v: Any) -> String {
        let text = "\(v)"
        return text.count > 60 ? String(text.prefix(60)) + "…" : text
    }
}
