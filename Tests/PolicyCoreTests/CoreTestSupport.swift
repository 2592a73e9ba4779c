import Foundation
import XCTest
import PolicyCore
import PolicySyntax

// Helpers for the checker tests: parse and check a program, read its diagnostics as
// `line:column message [hint]`, and assert on them.

/// A checker diagnostic reduced to what the tests compare: 1-based line and column
/// (characters), the message and the hint.
struct CheckDiag: Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var message: String
    var hint: String?

    init(_ line: Int, _ column: Int, _ message: String, hint: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    var description: String {
        "\(line):\(column) \(message)" + (hint.map { " [hint: \($0)]" } ?? "")
    }
}

/// A small world most tests build on. It is `preludeLines` lines long, and the helpers
/// below report lines *relative to the snippet that follows it*: line 1 is the snippet's
/// first line (a diagnostic inside the prelude would have a line ≤ 0).
let prelude = """
enum charge { violent_felony, serious_felony, felony, misdemeanor }
jurisdiction attributes { circuit: string = "", admissions: int = 0, trust: number = 1.0 }
jurisdiction usa: federal "United States"
jurisdiction illinois: state in usa "Illinois" { circuit: "seventh" }
jurisdiction cook: county in illinois "Cook County" { admissions: 100_000 }
agency ice of usa "Immigration and Customs Enforcement"
record booking { date: date, jurisdiction: jurisdiction, charge: charge = misdemeanor, convicted: bool = false }
decision detainer(b: booking): bool = false

"""

let preludeLines = prelude.split(separator: "\n", omittingEmptySubsequences: false).count - 1

struct Checked {
    var result: CheckResult
    var parseDiagnostics: [CheckDiag]
    var diagnostics: [CheckDiag]
}

/// Parses and checks `text` (with the prelude before it unless `withPrelude` is false).
/// Lines are relative to `text`.
func checkProgram(_ text: String, withPrelude: Bool = true) -> Checked {
    let offset = withPrelude ? preludeLines : 0
    let file = SourceFile(name: "t.policy", text: (withPrelude ? prelude : "") + text)
    let unit = Parser.parse(file)
    let parsed = unit.diagnostics.map { d -> CheckDiag in
        let loc = file.location(of: Int(d.span.start))
        return CheckDiag(loc.line - offset, loc.column, d.message, hint: d.hint)
    }
    let result = Checker(provider: nil).check([unit])
    let diags = result.diagnostics.map { d -> CheckDiag in
        let loc = d.file.location(of: Int(d.diagnostic.span.start))
        return CheckDiag(loc.line - offset, loc.column, d.diagnostic.message, hint: d.diagnostic.hint)
    }
    return Checked(result: result, parseDiagnostics: parsed, diagnostics: diags)
}

/// The program parses, and the checker reports exactly `expected` (in source order).
func assertCheckDiagnostics(_ text: String, _ expected: [CheckDiag], withPrelude: Bool = true,
                            file: StaticString = #filePath, line: UInt = #line) {
    let c = checkProgram(text, withPrelude: withPrelude)
    XCTAssertEqual(c.parseDiagnostics, [], "the test program should parse:\n\(text)", file: file, line: line)
    XCTAssertEqual(c.diagnostics, expected, "checker diagnostics for:\n\(text)", file: file, line: line)
    if !expected.isEmpty {
        XCTAssertTrue(c.result.hasErrors, "hasErrors for:\n\(text)", file: file, line: line)
    }
}

/// Exactly one checker error: this message at `lineNo:column`, with this hint (nil: none).
func assertCheckError(_ text: String, _ message: String, at lineNo: Int, _ column: Int, hint: String? = nil,
                      withPrelude: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
    assertCheckDiagnostics(text, [CheckDiag(lineNo, column, message, hint: hint)], withPrelude: withPrelude,
                           file: file, line: line)
}

/// The program parses and checks with no diagnostics at all.
func assertChecksClean(_ text: String, withPrelude: Bool = true,
                       file: StaticString = #filePath, line: UInt = #line) {
    let c = checkProgram(text, withPrelude: withPrelude)
    XCTAssertEqual(c.parseDiagnostics, [], "the test program should parse:\n\(text)", file: file, line: line)
    XCTAssertEqual(c.diagnostics, [], "checker diagnostics for:\n\(text)", file: file, line: line)
    XCTAssertFalse(c.result.hasErrors, "hasErrors for:\n\(text)", file: file, line: line)
}

/// The first ```policy block of LANGUAGE.md (../shared/LANGUAGE.md from the package root),
/// or nil when the file is not there.
func languageTasteProgram() -> String? {
    let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/LANGUAGE.md")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    guard let open = text.range(of: "```policy\n") else { return nil }
    guard let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else { return nil }
    return String(text[open.upperBound..<close.lowerBound]) + "\n"
}
