import Foundation
import XCTest
@testable import PolicySyntax

// Helpers shared by the PolicySyntax tests: parse a string, compare dumps, read
// diagnostics as `line:column message`, lex, and run deep parses on a big stack.

/// A diagnostic reduced to what the tests compare: 1-based line and column (characters) and text.
struct Diag: Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var message: String

    init(_ line: Int, _ column: Int, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    var description: String { "\(line):\(column) \(message)" }
}

func sourceFile(_ text: String) -> SourceFile {
    SourceFile(name: "t.policy", text: text)
}

func parse(_ text: String) -> SourceUnit {
    Parser.parse(sourceFile(text))
}

func diags(_ unit: SourceUnit) -> [Diag] {
    unit.diagnostics.map { d in
        let loc = unit.file.location(of: Int(d.span.start))
        return Diag(loc.line, loc.column, d.message)
    }
}

func diags(_ text: String) -> [Diag] { diags(parse(text)) }

/// Parses `text`, expects no diagnostics, and compares the whole unit's dump.
func assertParses(_ text: String, _ expected: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    let unit = parse(text)
    XCTAssertEqual(diags(unit), [], "unexpected diagnostics for:\n\(text)", file: file, line: line)
    XCTAssertEqual(unit.dump, expected, "dump of:\n\(text)", file: file, line: line)
}

/// Parses `text` as one expression statement and compares its dump.
func assertExpr(_ text: String, _ expected: String,
                file: StaticString = #filePath, line: UInt = #line) {
    let unit = parse(text)
    XCTAssertEqual(diags(unit), [], "unexpected diagnostics for: \(text)", file: file, line: line)
    XCTAssertEqual(unit.statements.count, 1, "statements in: \(text)", file: file, line: line)
    guard let first = unit.statements.first else { return }
    guard case .expression(let e) = first.kind else {
        XCTFail("not an expression statement: \(first.dump)", file: file, line: line)
        return
    }
    XCTAssertEqual(e.dump, expected, "dump of: \(text)", file: file, line: line)
}

/// Parses `text` and expects exactly these diagnostics (in source order).
func assertDiagnostics(_ text: String, _ expected: [Diag],
                       file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(diags(text), expected, "diagnostics for:\n\(text)", file: file, line: line)
}

/// Parses `text` and expects exactly one diagnostic with this text at this line:column.
func assertDiagnostic(_ text: String, _ message: String, _ lineNo: Int, _ column: Int,
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(diags(text), [Diag(lineNo, column, message)], "diagnostics for:\n\(text)",
                   file: file, line: line)
}

// MARK: - Lexing

struct Lexed {
    var file: SourceFile
    /// All tokens, the final `.eof` excluded.
    var tokens: [Token]
    var diagnostics: [Diagnostic]
    var comments: [Comment]

    var kinds: [TokenKind] { tokens.map(\.kind) }
    func text(_ t: Token) -> String { file.text(t.span) }
    var texts: [String] { tokens.map { $0.kind == .newline ? "⏎" : file.text($0.span) } }
    var diags: [Diag] {
        diagnostics.map { d in
            let loc = file.location(of: Int(d.span.start))
            return Diag(loc.line, loc.column, d.message)
        }
    }
}

func lex(_ file: SourceFile) -> Lexed {
    var lexer = Lexer(file: file)
    var tokens: [Token] = []
    while true {
        let t = lexer.next()
        if t.kind == .eof { break }
        tokens.append(t)
        if tokens.count > 1_000_000 { XCTFail("lexer does not terminate"); break }
    }
    return Lexed(file: file, tokens: tokens, diagnostics: lexer.diagnostics, comments: lexer.comments)
}

func lex(_ text: String) -> Lexed { lex(sourceFile(text)) }

func lex(bytes: [UInt8]) -> Lexed { lex(SourceFile(name: "t.policy", bytes: bytes)) }

// MARK: - Deep input

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` on a thread with a 512 MB stack and waits for it. Deep parses recurse, and
/// debug builds use large frames; the main thread's 8 MB is close to the limit.
func onBigStack<T>(_ body: @escaping @Sendable () -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = body()
        done.signal()
    }
    thread.stackSize = 512 << 20
    thread.start()
    done.wait()
    return box.value!
}

/// Parses on a big stack; returns the diagnostics and the seconds it took.
func parseOnBigStack(_ text: String) -> (diags: [Diag], seconds: Double) {
    onBigStack {
        let start = Date()
        let unit = parse(text)
        let d = diags(unit)
        return (d, Date().timeIntervalSince(start))
    }
}

// MARK: - LANGUAGE.md

/// /work/shared/LANGUAGE.md: `../shared/LANGUAGE.md` relative to the package root.
func languageReferenceURL(_ filePath: String = #filePath) -> URL {
    URL(fileURLWithPath: filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()   // PolicySyntaxTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // package root
        .deletingLastPathComponent()   // its parent
        .appendingPathComponent("shared")
        .appendingPathComponent("LANGUAGE.md")
}

/// The fenced ```policy code blocks of LANGUAGE.md, with the line each starts on.
func languageReferenceBlocks() throws -> [(line: Int, code: String)] {
    let url = languageReferenceURL()
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        throw XCTSkip("LANGUAGE.md not found at \(url.path)")
    }
    var blocks: [(Int, String)] = []
    var current: [String]?
    var startLine = 0
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if current == nil {
            if trimmed == "```policy" {
                current = []
                startLine = index + 2
            }
        } else if trimmed == "```" {
            blocks.append((startLine, current!.joined(separator: "\n") + "\n"))
            current = nil
        } else {
            current!.append(String(line))
        }
    }
    return blocks
}
