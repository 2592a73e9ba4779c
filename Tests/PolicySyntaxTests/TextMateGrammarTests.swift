import Foundation
import XCTest
import PolicySyntax

/// Grammar/policy.tmLanguage.json, the editors' highlighting grammar: its keyword list is the
/// lexer's, its references and regexes are sound, and the literal rules match what §2 says.
/// The samples are matched as a TextMate engine does at one position: the first rule, in the
/// order the grammar lists them (includes expanded), whose regex matches there wins.
final class TextMateGrammarTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let grammarURL = root.appendingPathComponent("Grammar/policy.tmLanguage.json")

    func loadGrammar() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.grammarURL)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "the grammar is not a JSON object")
    }

    func repository(_ grammar: [String: Any]) throws -> [String: [String: Any]] {
        try XCTUnwrap(grammar["repository"] as? [String: [String: Any]], "the grammar has no repository")
    }

    func testHeader() throws {
        let grammar = try loadGrammar()
        XCTAssertEqual(grammar["scopeName"] as? String, "source.policy")
        XCTAssertEqual(grammar["fileTypes"] as? [String], ["policy"])
    }

    func testKeywordsAreTheLexersReservedWords() throws {
        let rule = try XCTUnwrap(try repository(try loadGrammar())["keywords"], "no repository rule 'keywords'")
        let match = try XCTUnwrap(rule["match"] as? String, "repository.keywords has no match")
        let open = try XCTUnwrap(match.range(of: "(?:"), "keywords: no (?:…) alternation in \(match)")
        let close = try XCTUnwrap(match.range(of: ")", range: open.upperBound..<match.endIndex), "keywords: unclosed group")
        XCTAssertTrue(match.hasPrefix("\\b(?:") && match.hasSuffix(")\\b"), "keywords: expected \\b(?:a|b|…)\\b, got \(match)")
        let words = match[open.upperBound..<close.lowerBound].split(separator: "|").map(String.init)
        for word in words {
            XCTAssertTrue(!word.isEmpty && word.allSatisfy { $0.isASCII && $0.isLowercase }, "keywords: '\(word)' is not a plain word")
        }
        XCTAssertEqual(words.count, Set(words).count, "keywords: a word is listed twice")
        let missing = Set(reservedWords).subtracting(words).sorted()
        let extra = Set(words).subtracting(reservedWords).sorted()
        XCTAssertTrue(missing.isEmpty && extra.isEmpty,
                      "repository.keywords differs from the lexer's reserved words: missing \(missing), extra \(extra)")
    }

    func testIncludesNameExistingRules() throws {
        let grammar = try loadGrammar()
        let repo = try repository(grammar)
        var includes: [String] = []
        Self.walk(grammar) { key, value in
            if key == "include", let name = value as? String { includes.append(name) }
        }
        XCTAssertFalse(includes.isEmpty)
        for include in includes {
            if include == "$self" || include == "$base" { continue }
            XCTAssertTrue(include.hasPrefix("#"), "include '\(include)' refers outside the grammar")
            XCTAssertNotNil(repo[String(include.dropFirst())], "include '\(include)' names no repository rule")
        }
        // Every repository rule is used (a rule no one includes never highlights anything).
        let used = Set(includes.map { String($0.dropFirst()) })
        XCTAssertEqual(Set(repo.keys).subtracting(used).sorted(), [], "repository rules never included")
    }

    func testRegexesAreNonEmptyAndCompile() throws {
        var count = 0
        Self.walk(try loadGrammar()) { key, value in
            guard ["match", "begin", "end", "while"].contains(key) else { return }
            guard let regex = value as? String else {
                XCTFail("'\(key)' is not a string: \(value)")
                return
            }
            count += 1
            XCTAssertFalse(regex.isEmpty, "an empty '\(key)' regex")
            do {
                _ = try NSRegularExpression(pattern: regex)
            } catch {
                XCTFail("'\(key)' regex does not compile: \(regex) (\(error))")
            }
        }
        XCTAssertGreaterThan(count, 20)
    }

    func testVSCodeExtensionLinksToTheGrammar() throws {
        let link = Self.root.appendingPathComponent("editors/vscode/syntaxes/policy.tmLanguage.json")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
        XCTAssertEqual(target, "../../../Grammar/policy.tmLanguage.json", "the extension's grammar should be a relative link")
        XCTAssertEqual(link.resolvingSymlinksInPath().path, Self.grammarURL.resolvingSymlinksInPath().path)
        XCTAssertEqual(try Data(contentsOf: link), try Data(contentsOf: Self.grammarURL))
        // The extension names the same scope and file.
        let manifest = try Data(contentsOf: Self.root.appendingPathComponent("editors/vscode/package.json"))
        let package = try XCTUnwrap(JSONSerialization.jsonObject(with: manifest) as? [String: Any])
        let grammars = (package["contributes"] as? [String: Any])?["grammars"] as? [[String: Any]]
        XCTAssertEqual(grammars?.first?["scopeName"] as? String, "source.policy")
        XCTAssertEqual(grammars?.first?["path"] as? String, "./syntaxes/policy.tmLanguage.json")
    }

    // MARK: Samples

    func testLiteralSamples() throws {
        let rules = try flattenedRules()
        let samples: [(String, String)] = [
            ("2013-06-01", "constant.numeric.date.policy"),
            ("2299-12-31", "constant.numeric.date.policy"),
            ("30 days", "constant.numeric.duration.policy"),
            ("1 day", "constant.numeric.duration.policy"),
            ("2 weeks", "constant.numeric.duration.policy"),
            ("6 months", "constant.numeric.duration.policy"),
            ("1 year", "constant.numeric.duration.policy"),
            ("1_000 years", "constant.numeric.duration.policy"),
            ("25%", "constant.numeric.percent.policy"),
            ("2.5%", "constant.numeric.percent.policy"),
            ("0.35", "constant.numeric.float.policy"),
            ("1.5e3", "constant.numeric.float.policy"),
            ("2e-4", "constant.numeric.float.policy"),
            ("42", "constant.numeric.integer.policy"),
            ("1_000_000", "constant.numeric.integer.policy"),
            ("30days", "invalid.illegal.numeric.policy"),
            ("true", "constant.language.boolean.policy"),
            ("## doc", "comment.line.documentation.policy"),
            ("  ## indented doc", "comment.line.documentation.policy"),
            ("# plain", "comment.line.number-sign.policy"),
        ]
        for (sample, scope) in samples {
            guard let (rule, length) = firstMatch(sample, rules) else {
                XCTFail("no rule matches '\(sample)'")
                continue
            }
            XCTAssertEqual(Self.scope(rule), scope, "'\(sample)'")
            XCTAssertEqual(length, (sample as NSString).length, "'\(sample)' is matched only in part")
        }
        // Shapes that are not literals of that kind.
        XCTAssertEqual(firstMatch("2013-1", rules).map { Self.scope($0.rule) }, "constant.numeric.integer.policy")
        XCTAssertEqual(firstMatch("2013-1", rules)?.length, 4)
        XCTAssertEqual(firstMatch("2013-01-1", rules)?.length, 4)
        XCTAssertEqual(firstMatch("1..5", rules)?.length, 1, "a point needs digits on both sides")
        XCTAssertEqual(firstMatch("30 dayz", rules)?.length, 2)
        XCTAssertEqual(firstMatch("3 daysx", rules)?.length, 1)
    }

    func testDocCommentRuleComesBeforeThePlainComment() throws {
        let rules = try flattenedRules()
        let doc = try XCTUnwrap(rules.firstIndex { Self.scope($0) == "comment.line.documentation.policy" })
        let plain = try XCTUnwrap(rules.firstIndex { Self.scope($0) == "comment.line.number-sign.policy" })
        XCTAssertLessThan(doc, plain)
        // `##` later in a line is an ordinary comment.
        let line = "x = 1  ## not a doc comment"
        let regex = try NSRegularExpression(pattern: try XCTUnwrap(rules[doc]["match"] as? String))
        XCTAssertNil(regex.firstMatch(in: line, range: NSRange(location: 0, length: (line as NSString).length)))
    }

    func testStringsAndEscapes() throws {
        let repo = try repository(try loadGrammar())
        let strings = try XCTUnwrap(repo["strings"])
        XCTAssertEqual(strings["begin"] as? String, "\"")
        let end = try NSRegularExpression(pattern: try XCTUnwrap(strings["end"] as? String))
        // An unclosed string ends with its line.
        XCTAssertNotNil(end.firstMatch(in: "abc", range: NSRange(location: 3, length: 0)))
        let escapes = try XCTUnwrap((repo["string-escapes"]?["patterns"] as? [[String: Any]])?.first?["match"] as? String)
        let escape = try NSRegularExpression(pattern: "^(?:" + escapes + ")$")
        for good in ["\\\"", "\\\\", "\\n", "\\t", "\\u{E9}", "\\u{1F600}", "\\u{10FFFF}"] {
            XCTAssertNotNil(escape.firstMatch(in: good, range: NSRange(location: 0, length: (good as NSString).length)), good)
        }
        for bad in ["\\r", "\\'", "\\u{}", "\\u{1234567}", "\\x41"] {
            XCTAssertNil(escape.firstMatch(in: bad, range: NSRange(location: 0, length: (bad as NSString).length)), bad)
        }
    }

    func testEveryReservedWordIsHighlightedAsAKeyword() throws {
        let rules = try flattenedRules()
        for word in reservedWords {
            let scope = firstMatch(word, rules).map { Self.scope($0.rule) } ?? "nothing"
            XCTAssertTrue(scope.hasPrefix("keyword.") || scope.hasPrefix("constant.language."), "'\(word)' is highlighted as \(scope)")
        }
        // Not inside a longer name, and not as a field.
        XCTAssertNotEqual(firstMatch("policy_x", rules).map { Self.scope($0.rule) }, "keyword.other.policy")
        XCTAssertEqual(firstMatch("jurisdiction: jurisdiction", rules).map { Self.scope($0.rule) }, "variable.other.field.policy")
    }

    func testDeclarationNames() throws {
        let rules = try flattenedRules()
        let samples: [(String, String)] = [
            ("policy trust_act by california", "entity.name.namespace.policy.policy"),
            ("decision honored(b: booking): bool", "entity.name.function.decision.policy"),
            ("let serious(b: booking): bool", "entity.name.function.let.policy"),
            ("param discretion: number = 70%", "entity.name.variable.param.policy"),
            ("event cook_ordinance on 2011-09-07", "entity.name.function.event.policy"),
            ("scenario early \"label\" {", "entity.name.namespace.scenario.policy"),
            ("record booking {", "entity.name.type.record.policy"),
            ("enum charge { felony }", "entity.name.type.enum.policy"),
            ("population bookings of booking", "entity.name.variable.population.policy"),
            ("jurisdiction usa: federal", "entity.name.constant.jurisdiction.policy"),
            ("agency ice of usa", "entity.name.constant.agency.policy"),
        ]
        for (sample, scope) in samples {
            guard let (rule, _) = firstMatch(sample, rules) else {
                XCTFail("no rule matches '\(sample)'")
                continue
            }
            let captures = rule["captures"] as? [String: [String: Any]]
            XCTAssertEqual(captures?["2"]?["name"] as? String, scope, "'\(sample)'")
        }
        // A population line whose head is `jurisdiction` declares nothing.
        let generator = firstMatch("jurisdiction weighted by admissions", rules).map { Self.scope($0.rule) }
        XCTAssertEqual(generator, "keyword.other.policy")
    }

    // MARK: Helpers

    /// The grammar's top-level rules in order, includes expanded (each rule once).
    func flattenedRules() throws -> [[String: Any]] {
        let grammar = try loadGrammar()
        let repo = try repository(grammar)
        var out: [[String: Any]] = []
        var seen: Set<String> = []
        func expand(_ patterns: [[String: Any]]) {
            for pattern in patterns {
                if let include = pattern["include"] as? String {
                    let name = String(include.dropFirst())
                    guard include.hasPrefix("#"), !seen.contains(name), let rule = repo[name] else { continue }
                    seen.insert(name)
                    if rule["match"] != nil || rule["begin"] != nil { out.append(rule) } else { expand(rule["patterns"] as? [[String: Any]] ?? []) }
                } else if pattern["match"] != nil || pattern["begin"] != nil {
                    out.append(pattern)
                } else {
                    expand(pattern["patterns"] as? [[String: Any]] ?? [])
                }
            }
        }
        expand(grammar["patterns"] as? [[String: Any]] ?? [])
        XCTAssertGreaterThan(out.count, 20)
        return out
    }

    /// The first rule that matches at the start of `text`, and how long its match is.
    func firstMatch(_ text: String, _ rules: [[String: Any]]) -> (rule: [String: Any], length: Int)? {
        let range = NSRange(location: 0, length: (text as NSString).length)
        for rule in rules {
            guard let pattern = (rule["match"] ?? rule["begin"]) as? String,
                  let regex = try? NSRegularExpression(pattern: pattern),
                  let match = regex.firstMatch(in: text, options: .anchored, range: range) else { continue }
            return (rule, match.range.length)
        }
        return nil
    }

    /// A rule's scope: its name, or else the name of its first capture.
    static func scope(_ rule: [String: Any]) -> String {
        if let name = rule["name"] as? String { return name }
        let captures = rule["captures"] as? [String: [String: Any]]
        return captures?["1"]?["name"] as? String ?? ""
    }

    static func walk(_ value: Any, _ visit: (String, Any) -> Void) {
        if let dict = value as? [String: Any] {
            for (key, child) in dict {
                visit(key, child)
                walk(child, visit)
            }
        } else if let array = value as? [Any] {
            for child in array { walk(child, visit) }
        }
    }
}
