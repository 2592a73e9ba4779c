import XCTest
@testable import PolicySyntax

/// Recovery and limits: a missing `}` or `)` does not hide later errors, scenario and test
/// bodies hold only what the grammar allows, fields may be called `at`/`under`, and long
/// operator chains are bounded. (These began as bug reports against the first parser.)
final class RecoveryTests: XCTestCase {

    // MARK: Recovery (LANGUAGE.md §8: "Several independent errors in one file are all reported")

    /// A block whose `}` is missing is detected at the next declaration keyword, yet the
    /// parser then skips the whole rest of the file: later declarations are dropped and
    /// later errors are never reported.
    func testMissingBraceBeforeNextDeclarationStillParsesTheRest() {
        let src = """
            policy p by c {
              d(b) = 1
            policy q by c { }
            let y = a < b < c
            """
        let unit = parse(src)
        XCTAssertEqual(diags(unit), [
            Diag(3, 1, "'}' expected (to close '{' at line 1), found 'policy'"),
            Diag(4, 15, "comparisons do not chain"),
        ])
        XCTAssertTrue(unit.dump.contains("(policy q (by c))"), unit.dump)
    }

    func testMissingBraceInARecordStillParsesTheRest() {
        let unit = parse("record r {\n  a: int\nenum e { x }\nlet ok = 1\n")
        XCTAssertEqual(diags(unit), [Diag(3, 1, "'}' expected (to close '{' at line 1), found 'enum'")])
        XCTAssertTrue(unit.dump.contains("(enum e x)"), unit.dump)
        XCTAssertTrue(unit.dump.contains("(let ok 1)"), unit.dump)
    }

    /// An unclosed `(` (or `[`, or a set's `{`) makes the lexer drop every later newline
    /// and the parser skip to the end of the file: the next statements' errors are lost.
    func testUnclosedParenthesisDoesNotHideLaterErrors() {
        let src = "let b = (2\nlet z = a < b < c\nlet fine = 4\n"
        let unit = parse(src)
        XCTAssertEqual(diags(unit), [
            Diag(2, 1, "')' expected (to close '(' at line 1), found 'let'"),
            Diag(2, 15, "comparisons do not chain"),
        ])
        XCTAssertTrue(unit.dump.contains("(let fine 4)"), unit.dump)
    }

    func testUnclosedBracketDoesNotHideLaterErrors() {
        let unit = parse("let b = [2\nlet z = a < b < c\n")
        XCTAssertEqual(diags(unit).map(\.message), ["']' expected (to close '[' at line 1), found 'let'",
                                                    "comparisons do not chain"])
    }

    // MARK: What a scenario may hold (LANGUAGE.md §4.9; policy.ebnf scenario_item)

    /// "inside it, `cancel NAME` removes …, and any declaration re-declares … or adds one";
    /// the grammar: scenario_item = "cancel" ref | declaration - scenario_decl. Statements
    /// (expressions, explain, assert, table, …) are accepted silently.
    func testStatementsAreNotAllowedInsideAScenario() {
        for (src, column) in [("scenario s { explain x }", 14), ("scenario s { 1 + 2 }", 14),
                              ("scenario s { assert x }", 14), ("scenario s { table count by year from p }", 14),
                              ("scenario s { timeline }", 14)] {
            let d = diags(src)
            XCTAssertEqual(d.count, 1, "\(src): \(d)")
            XCTAssertEqual(d.first.map { [$0.line, $0.column] }, [1, column], src)
        }
    }

    // MARK: What a test may hold (LANGUAGE.md §7; policy.ebnf test_item)

    /// test_item = let_decl | statement - ( test_stmt | include_stmt ): no nested `test`,
    /// no `include`, and no declarations other than `let` inside a test body.
    func testNestedTestAndIncludeAreNotAllowedInsideATest() {
        for src in [#"test "a" { test "b" { } }"#, #"test "a" { include "x.policy" }"#] {
            let d = diags(src)
            XCTAssertEqual(d.count, 1, "\(src): \(d)")
            XCTAssertEqual(d.first.map { [$0.line, $0.column] }, [1, 12], src)
        }
    }

    func testDeclarationsOtherThanLetAreNotAllowedInsideATest() {
        for src in [#"test "a" { enum e { x } }"#, #"test "a" { policy p by c { } }"#,
                    #"test "a" { param p = 1 }"#, #"test "a" { scenario s { } }"#] {
            let d = diags(src)
            XCTAssertEqual(d.count, 1, "\(src): \(d)")
            XCTAssertEqual(d.first.map { [$0.line, $0.column] }, [1, 12], src)
        }
    }

    // MARK: Keyword field names at the start of a line (LANGUAGE.md §2)

    /// §2: "Any identifier or keyword may name a record field …: before `:` in a declaration
    /// or a literal", and inside `{ … }` newlines separate items. But `at` and `under` at the
    /// start of a line are continuation words, so after a field whose value is an expression
    /// the next line's `at:` / `under:` is read as the `at`/`under` operator.
    /// (`from:`, `until:`, `by:`, `where:` work, since they are not expression operators.)
    func testFieldsNamedAtOrUnderOnTheirOwnLine() {
        assertParses("r {\n  a: 1\n  at: 2\n}", "(record r (a 1) (at 2))")
        assertParses("b with {\n  a: 1\n  under: 2\n}", "(with b (a 1) (under 2))")
        assertParses("record q {\n  a: int = 1\n  under: int\n}", "(record q (a int 1) (under int))")
        assertParses("jurisdiction attributes {\n  a: int = 1\n  at: date = 2012-01-01\n}",
                     "(attributes (a int 1) (at date 2012-01-01))")
    }

    // MARK: Unbounded tree depth from operator chains

    /// `Parser.enter()` documents: "This bound is what keeps every recursive walk of the tree
    /// (checker, formatter, evaluator) within the stack." Left-associative chains are parsed
    /// by loops and never call `enter()`, so `1 + 1 + … + 1` with 100,000 terms (or
    /// `a.b.b.b…`, or `r with {…} with {…} …`) builds a tree 100,000 levels deep with no
    /// diagnostic. On the 8 MB main thread the parse itself dies (SIGSEGV freeing the
    /// tree); on the 1 GB large stack a 1,000,000-term sum parses, and then `dump` (and any
    /// other recursive walk) dies. Either the depth must stay bounded, or the input must be
    /// rejected with `nesting too deep` (§9.20, exit 65), never a crash.
    func testLongOperatorChainsKeepTheTreeShallowOrAreRejected() {
        let chains = [
            "let x = " + String(repeating: "1 + ", count: 100_000) + "1",
            "let x = a" + String(repeating: ".b", count: 100_000),
            "let x = a" + String(repeating: " with { b: 1 }", count: 20_000),
            "let x = " + String(repeating: "a and ", count: 100_000) + "a",
        ]
        for src in chains {
            let (depth, d) = onBigStack { () -> (Int, [Diag]) in
                let unit = parse(src)
                return (unit.statements.map { maxExprDepth($0) }.max() ?? 0, diags(unit))
            }
            let rejected = d.contains { $0.message.hasPrefix("nesting too deep") }
            XCTAssertTrue(rejected || depth <= Parser.maxNestingDepth + 16,
                          "\(src.prefix(20))…: tree depth \(depth), diagnostics \(d.prefix(3))")
        }
    }
}

/// The depth of the deepest expression in a statement, computed without recursion.
private func maxExprDepth(_ statement: Statement) -> Int {
    var roots: [Expr] = []
    switch statement.kind {
    case .let(let d): roots = [d.value]
    case .expression(let e): roots = [e]
    default: return 0
    }
    var stack: [(Expr, Int)] = roots.map { ($0, 1) }
    var deepest = 0
    while let (e, depth) = stack.popLast() {
        deepest = max(deepest, depth)
        var children: [Expr] = []
        switch e.kind {
        case .member(let b, _): children = [b]
        case .call(_, let args, let filter): children = args + (filter.map { [$0] } ?? [])
        case .record(_, let fields): children = fields.map(\.value)
        case .with(let b, let fields): children = [b] + fields.map(\.value)
        case .set(let items), .list(let items): children = items
        case .unary(_, let x), .paren(let x), .under(let x, _): children = [x]
        case .binary(_, let a, let b), .at(let a, let b), .index(let a, let b): children = [a, b]
        case .ifThenElse(let c, let a, let b): children = [c, a, b]
        default: break
        }
        for c in children { stack.append((c, depth + 1)) }
    }
    return deepest
}
