import Foundation
import XCTest
@testable import PolicySyntax
import PolicySupport

// A big file is parsed in pieces on several cores (ParseInPieces.swift). These tests cut
// small files into many pieces (pieces of 16 bytes, three threads) and check the
// result is exactly the one-piece parse's — statements, comments and diagnostics — and that
// a piece that does not end a statement sends the file back to the one-piece parser.

final class PieceParseTests: XCTestCase {
    var saved = EngineOptions()

    override func setUp() {
        saved = EngineOptions.current
        EngineOptions.current.parsePieceBytes = 16
        EngineOptions.current.threads = 3
    }

    override func tearDown() {
        EngineOptions.current = saved
    }

    /// The parse of the whole file in one piece, as `Parser.parse` does without pieces.
    func onePiece(_ file: SourceFile) -> SourceUnit {
        var parser = Parser(file: file)
        parser.checkLineLengths(Limits.current.lineCharacters)
        let statements = parser.parseProgram()
        return parser.finish(statements)
    }

    /// Checks `Parser.parse` against the one-piece parse; returns whether pieces were used.
    @discardableResult
    func assertSameAsOnePiece(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let source = SourceFile(name: "p.policy", text: text)
        let expected = onePiece(source)
        let pieces = _PieceParse.parse(source)
        let actual = Parser.parse(source)
        XCTAssertEqual(actual.statements, expected.statements, "\(what): statements differ", file: file, line: line)
        XCTAssertEqual(actual.comments, expected.comments, "\(what): comments differ", file: file, line: line)
        XCTAssertEqual(diags(actual), diags(expected), "\(what): diagnostics differ", file: file, line: line)
        if let pieces {
            XCTAssertEqual(pieces.statements, expected.statements, "\(what): pieces' statements differ", file: file, line: line)
            XCTAssertTrue(expected.diagnostics.isEmpty, "\(what): pieces used for a file with errors", file: file, line: line)
        }
        return pieces != nil
    }

    func testGeneratedProgramsParseTheSameInPieces() {
        var cut = 0
        for seed in UInt64(0)..<200 {
            // Several programs one after another, blank lines between: many places to cut.
            let text = (0..<4).map { ProgramGenerator.program(seed: seed * 4 + $0) }.joined(separator: "\n\n")
            if assertSameAsOnePiece(text, "seed \(seed)") { cut += 1 }
        }
        // Most generated programs have a statement word after a blank line somewhere.
        XCTAssertGreaterThan(cut, 50, "pieces were hardly ever used")
    }

    func testExamplesAndConformanceFilesParseTheSameInPieces() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var files: [URL] = []
        for dir in ["Examples", "Tests/Conformance"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(dir), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "policy" { files.append(url) }
            }
        }
        XCTAssertGreaterThan(files.count, 10)
        var cut = 0
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            // Some files nest deeply on purpose: parse on a big stack, as the CLI does.
            if withLargeStack({ self.assertSameAsOnePiece(text, url.lastPathComponent) }) { cut += 1 }
        }
        XCTAssertGreaterThan(cut, 5)
    }

    func testTheSecureCommunitiesModelIsCutAndJoinedInOrder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Examples/secure-communities")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".policy") }.sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let source = SourceFile(name: name, text: text)
            let cuts = _PieceParse.cutPoints(source, every: 16)
            if cuts.count > 2 {
                XCTAssertNotNil(_PieceParse.parse(source), "\(name) has cut points but was not parsed in pieces")
            }
            XCTAssertEqual(cuts, cuts.sorted(), name)
        }
    }

    func testABlockOpenAtTheCutFallsBackToOnePiece() {
        // The blank line and `assert` at the first column look like a place to cut, but the
        // test's block is still open there.
        let text = "let x = 1\n\ntest \"t\" {\n  let y = x\n\nassert y == 1\n}\n\nlet z = 2\n"
        let source = SourceFile(name: "p.policy", text: text)
        XCTAssertGreaterThan(_PieceParse.cutPoints(source, every: 16).count, 2)
        XCTAssertNil(_PieceParse.parse(source))
        XCTAssertFalse(assertSameAsOnePiece(text, "open block"))
        XCTAssertEqual(Parser.parse(source).statements.count, 3)
        XCTAssertEqual(diags(Parser.parse(source)), [])
    }

    func testAnErrorInALaterPieceIsReportedAsInOnePiece() {
        let good = (0..<20).map { "let a\($0) = \($0) + 1\n\n" }.joined()
        let text = good + "let broken = (1 +\n\nlet after = 2\n" + good.replacingOccurrences(of: "let a", with: "let b")
        let source = SourceFile(name: "p.policy", text: text)
        XCTAssertNil(_PieceParse.parse(source))
        XCTAssertFalse(assertSameAsOnePiece(text, "error"))
        let d = diags(Parser.parse(source))
        XCTAssertFalse(d.isEmpty)
        XCTAssertEqual(d.first?.line, 43) // the `let` the open parenthesis reaches
    }

    func testALineThatCarriesOnIsNotACut() {
        // `+` at the end of a line carries the statement on across the blank line: the piece
        // before the cut does not end a statement, so the cut is not used.
        let text = "let a = 1 +\n\nlet\n"
        let source = SourceFile(name: "p.policy", text: text)
        XCTAssertNil(_PieceParse.parse(source))
        assertSameAsOnePiece(text, "carry on")
    }

    func testDocCommentsStayWithTheirDeclarations() {
        let text = (0..<30).map { "## Doc \($0).\nlet v\($0) = \($0)\n\n" }.joined()
        let source = SourceFile(name: "p.policy", text: text)
        XCTAssertNotNil(_PieceParse.parse(source))
        XCTAssertTrue(assertSameAsOnePiece(text, "docs"))
        XCTAssertEqual(Parser.parse(source).statements.map { $0.doc ?? "-" }, (0..<30).map { "Doc \($0)." })
    }
}
