import XCTest
@testable import PolicySyntax

/// LANGUAGE.md §6: expression forms and precedence, loosest first:
/// under/at · if-then-else · or · and · not · comparisons, in, within · + - · * / · unary - · postfix.
final class ParserExpressionTests: XCTestCase {

    // MARK: Literals

    func testLiterals() {
        assertExpr("42", "42")
        assertExpr("1_000_000", "1000000")
        assertExpr("0.35", "0.35")
        assertExpr("1.5e3", "1500.0")
        assertExpr("8%", "0.08")
        assertExpr("12.5%", "0.125")
        assertExpr("2012-12-21", "2012-12-21")
        assertExpr("30 days", "(duration 30 day)")
        assertExpr("1 year", "(duration 1 year)")
        assertExpr("2 weeks", "(duration 2 week)")
        assertExpr("6 months", "(duration 6 month)")
        assertExpr("true", "true")
        assertExpr("false", "false")
        assertExpr(#""a\"b\n""#, #""a\"b\n""#)
        assertExpr("name", "name")
    }

    func testLiteralValuesAndSpellings() {
        let unit = parse("1_000\n8%\n\"x\\ty\"\n2013-06-01")
        XCTAssertEqual(unit.diagnostics, [])
        let exprs = unit.statements.compactMap { s -> Expr? in
            if case .expression(let e) = s.kind { return e } else { return nil }
        }
        XCTAssertEqual(exprs.count, 4)
        XCTAssertEqual(exprs[0].kind, .int(1000, grouped: true))
        XCTAssertEqual(exprs[1].kind, .percent(0.08, "8%"))
        XCTAssertEqual(exprs[2].kind, .string("x\ty"))
        XCTAssertEqual(exprs[3].kind, .date(Int32(CivilDate.dayNumber(year: 2013, month: 6, day: 1))))
    }

    // MARK: Boolean operators

    func testOrIsLooserThanAnd() {
        assertExpr("a or b and c", "(or a (and b c))")
        assertExpr("a and b or c", "(or (and a b) c)")
        assertExpr("a and b or c and d", "(or (and a b) (and c d))")
    }

    func testBinaryOperatorsAreLeftAssociative() {
        assertExpr("a or b or c", "(or (or a b) c)")
        assertExpr("a and b and c", "(and (and a b) c)")
        assertExpr("a - b - c", "(- (- a b) c)")
        assertExpr("a / b * c", "(* (/ a b) c)")
        assertExpr("a + b - c + d", "(+ (- (+ a b) c) d)")
    }

    /// `not` sits between `and` and the comparisons: `not a == b` is `not (a == b)`.
    func testNotBindsLooserThanComparisons() {
        assertExpr("not a == b", "(not (== a b))")
        assertExpr("not a < b + 1", "(not (< a (+ b 1)))")
        assertExpr("not a in {x, y}", "(not (in a (set x y)))")
        assertExpr("not j within k", "(not (within j k))")
    }

    func testNotBindsTighterThanAndOr() {
        assertExpr("not a and b", "(and (not a) b)")
        assertExpr("not a or b", "(or (not a) b)")
        assertExpr("a and not b or c", "(or (and a (not b)) c)")
        assertExpr("not not a", "(not (not a))")
        assertExpr("not (a and b)", "(not (paren (and a b)))")
    }

    /// policy.ebnf: `not` may also be the operand of a tighter operator, with the same reach.
    func testNotAsTheOperandOfATighterOperator() {
        assertExpr("a == not b", "(== a (not b))")
        assertExpr("a and not b == c", "(and a (not (== b c)))")
    }

    // MARK: Comparisons, in, within

    func testComparisonOperators() {
        assertExpr("a == b", "(== a b)")
        assertExpr("a != b", "(!= a b)")
        assertExpr("a < b", "(< a b)")
        assertExpr("a <= b", "(<= a b)")
        assertExpr("a > b", "(> a b)")
        assertExpr("a >= b", "(>= a b)")
        assertExpr("x in s", "(in x s)")
        assertExpr("j within k", "(within j k)")
    }

    func testComparisonsAreLooserThanArithmetic() {
        assertExpr("a == b + c * d", "(== a (+ b (* c d)))")
        assertExpr("a + 1 < b and c", "(and (< (+ a 1) b) c)")
        assertExpr("d2 - d1 >= 30 days", "(>= (- d2 d1) (duration 30 day))")
    }

    func testComparisonsJoinedByAndOr() {
        assertExpr("a < b and b < c", "(and (< a b) (< b c))")
        assertExpr("a == b or c != d", "(or (== a b) (!= c d))")
        assertExpr("j.kind == county and j.circuit == \"ninth\" and j.trust < 60%",
                   #"(and (and (== (. j kind) county) (== (. j circuit) "ninth")) (< (. j trust) 0.6))"#)
    }

    func testInWithSetLiteral() {
        assertExpr("b.charge in {violent_felony, serious_felony} or b.convicted",
                   "(or (in (. b charge) (set violent_felony serious_felony)) (. b convicted))")
    }

    func testParenthesesAllowAComparisonOfAComparison() {
        assertExpr("(a < b) == c", "(== (paren (< a b)) c)")
    }

    // MARK: Arithmetic and unary minus

    func testArithmetic() {
        assertExpr("1 + 2 * 3", "(+ 1 (* 2 3))")
        assertExpr("(1 + 2) * 3", "(* (paren (+ 1 2)) 3)")
        assertExpr("7 / 2", "(/ 7 2)")
        assertExpr("d + 30 days", "(+ d (duration 30 day))")
        assertExpr("2012-01-31 + 1 month", "(+ 2012-01-31 (duration 1 month))")
    }

    func testUnaryMinus() {
        assertExpr("-2", "(- 2)")
        assertExpr("-a * b", "(* (- a) b)")
        assertExpr("a * -b", "(* a (- b))")
        assertExpr("a - -1", "(- a (- 1))")
        assertExpr("- -a", "(- (- a))")
        assertExpr("--a", "(- (- a))")
        assertExpr("-a.b", "(- (. a b))")
        assertExpr("-f(x)", "(- (call f x))")
        assertExpr("-(a + b)", "(- (paren (+ a b)))")
    }

    // MARK: if-then-else

    func testIfThenElse() {
        assertExpr("if a then 1 else 2", "(if a 1 2)")
        assertExpr("if a then 1 else if b then 2 else 3", "(if a 1 (if b 2 3))")
        assertExpr("if a then if b then 1 else 2 else 3", "(if a (if b 1 2) 3)")
        assertExpr("if a or b then c else d or e", "(if (or a b) c (or d e))")
        assertExpr("1 + (if a then 1 else 2)", "(+ 1 (paren (if a 1 2)))")
    }

    func testIfAcrossLines() {
        assertExpr("if a\nthen 1\nelse 2", "(if a 1 2)")
        assertExpr("if a then\n  1\nelse\n  2", "(if a 1 2)")
        assertExpr("if not b.ident_match then no_match\nelse if not detainer(b) then no_detainer\nelse transferred",
                   "(if (not (. b ident_match)) no_match (if (not (call detainer b)) no_detainer transferred))")
    }

    // MARK: under and at

    func testAtTakesAnAdditiveExpression() {
        assertExpr("x at d + 1 day", "(at x (+ d (duration 1 day)))")
        assertExpr("x at 2012-01-01 - 1 year", "(at x (- 2012-01-01 (duration 1 year)))")
        assertExpr("cook.trust at 2012-01-01", "(at (. cook trust) 2012-01-01)")
    }

    func testUnderAndAtShareOneLeftAssociativeLevel() {
        assertExpr("a under s at d", "(at (under a s) d)")
        assertExpr("a at d under s", "(under (at a d) s)")
        assertExpr("x under a under b", "(under (under x a) b)")
        assertExpr("(cook.trust at 2014-06-01) under no_rescission",
                   "(under (paren (at (. cook trust) 2014-06-01)) no_rescission)")
    }

    func testUnderIsLooserThanEverything() {
        assertExpr("a and b under s", "(under (and a b) s)")
        assertExpr("not x under s", "(under (not x) s)")
        assertExpr("a == b at d", "(at (== a b) d)")
        assertExpr("if a then b else c under s", "(under (if a b c) s)")
        assertExpr("outcome(b) under early_trust_act", "(under (call outcome b) early_trust_act)")
    }

    func testUnderAndAtOnContinuationLines() {
        assertExpr("x\nunder s", "(under x s)")
        assertExpr("x\nat d", "(at x d)")
    }

    // MARK: Postfix

    func testPostfixChains() {
        assertExpr("a.b.c", "(. (. a b) c)")
        assertExpr("f(x).y", "(. (call f x) y)")
        assertExpr("f(a).b with { c: 1 }.d", "(. (with (. (call f a) b) (c 1)) d)")
        assertExpr("j.parent.parent.name", "(. (. (. j parent) parent) name)")
    }

    func testCalls() {
        assertExpr("f()", "(call f)")
        assertExpr("f(a)", "(call f a)")
        assertExpr("f(a, b, c)", "(call f a b c)")
        assertExpr("f(a + 1, g(b))", "(call f (+ a 1) (call g b))")
        assertExpr("f(\n  a,\n  b\n)", "(call f a b)")
        assertExpr("chance(discretion)", "(call chance discretion)")
        assertExpr(#"chance(p, "stream")"#, #"(call chance p "stream")"#)
        assertExpr("ancestor(j, state)", "(call ancestor j state)")
    }

    func testWith() {
        assertExpr("b with { date: 2011-09-06 }", "(with b (date 2011-09-06))")
        assertExpr("b with { jurisdiction: los_angeles }", "(with b (jurisdiction los_angeles))")
        assertExpr("b with { a: 1, c: 2 }", "(with b (a 1) (c 2))")
        assertExpr("b with { a: 1 } with { c: 2 }", "(with (with b (a 1)) (c 2))")
        assertExpr("honored(b with { date: 2011-09-06 })", "(call honored (with b (date 2011-09-06)))")
        assertExpr("b with {\n  a: 1\n  c: 2\n}", "(with b (a 1) (c 2))")
    }

    func testWithBindsTighterThanBinaryOperators() {
        assertExpr("not b with { x: 1 }.x", "(not (. (with b (x 1)) x))")
    }

    // MARK: Records, sets, lists

    func testRecordLiterals() {
        assertExpr("booking { jurisdiction: cook, date: 2011-10-01, ident_match: true }",
                   "(record booking (jurisdiction cook) (date 2011-10-01) (ident_match true))")
        assertExpr("booking {}", "(record booking)")
        assertExpr("booking { a: 1, }", "(record booking (a 1))")
        assertExpr("booking {\n  a: 1\n  b: 2,\n  c: 3\n}", "(record booking (a 1) (b 2) (c 3))")
        assertExpr("booking { a: r { b: 1 } }", "(record booking (a (record r (b 1))))")
    }

    /// A `{` inside parentheses brings newline separators back (§2).
    func testMultiLineRecordLiteralInsideCall() {
        assertExpr("honored(booking {\n  jurisdiction: cook\n  date: 2011-10-01\n})",
                   "(call honored (record booking (jurisdiction cook) (date 2011-10-01)))")
    }

    func testSetAndListLiterals() {
        assertExpr("{a, b}", "(set a b)")
        assertExpr("{}", "(set)")
        assertExpr("{1}", "(set 1)")
        assertExpr("[1, 2, 3]", "(list 1 2 3)")
        assertExpr("[]", "(list)")
        assertExpr("[1, 2,]", "(list 1 2)")
        assertExpr("[[1], [2, 3]]", "(list (list 1) (list 2 3))")
        assertExpr("[\n  1,\n  2\n]", "(list 1 2)")
        assertExpr("{\n  a,\n  b\n}", "(set a b)")
    }

    func testParentheses() {
        assertExpr("(a)", "(paren a)")
        assertExpr("((a))", "(paren (paren a))")
        assertExpr("(a\n + b)", "(paren (+ a b))")
    }

    // MARK: Keywords as field names, qualified enums (§2, §3)

    func testKeywordsAsFieldNames() {
        assertExpr("b.jurisdiction", "(. b jurisdiction)")
        assertExpr("b.population", "(. b population)")
        assertExpr("b.from + b.at", "(+ (. b from) (. b at))")
        assertExpr("b.if", "(. b if)")
        assertExpr("b with { jurisdiction: cook, at: 1 }", "(with b (jurisdiction cook) (at 1))")
        assertExpr("r { population: 1, from: 2, when: 3, if: 4 }",
                   "(record r (population 1) (from 2) (when 3) (if 4))")
    }

    func testQualifiedEnumMember() {
        assertExpr("charge.felony", "(. charge felony)")
        assertExpr("b.charge == charge.felony", "(== (. b charge) (. charge felony))")
        assertExpr("j.kind == kind.county", "(== (. j kind) (. kind county))")
    }

    // MARK: Aggregates (§6)

    func testAggregates() {
        assertExpr("count(bookings)", "(call count bookings)")
        assertExpr("count(bookings where detainer and not (detainer under narrow))",
                   "(call count bookings (where (and detainer (not (paren (under detainer narrow))))))")
        assertExpr("share(bookings where charge == felony)", "(call share bookings (where (== charge felony)))")
        assertExpr("sum(bookings, admissions)", "(call sum bookings admissions)")
        assertExpr("mean(bookings, it.admissions * 2)", "(call mean bookings (* (. it admissions) 2))")
        assertExpr("count(outcome == transferred)", "(call count (== outcome transferred))")
    }

    func testUnderInsideAnAggregateConditionIsPerCase() {
        assertExpr("count(bookings where detainer under narrow)",
                   "(call count bookings (where (under detainer narrow)))")
        assertExpr("count(bookings where x) under s", "(under (call count bookings (where x)) s)")
    }

    /// §2: in an implicit-subject context a bare `jurisdiction` is the subject's field.
    func testBareJurisdictionIsAName() {
        assertExpr("count(bookings where jurisdiction == cook)", "(call count bookings (where (== jurisdiction cook)))")
        assertExpr("share(bookings where jurisdiction within illinois)",
                   "(call share bookings (where (within jurisdiction illinois)))")
        assertExpr("mean(bookings, jurisdiction.trust)", "(call mean bookings (. jurisdiction trust))")
        assertParses("table count by jurisdiction from bookings",
                     "(table (aggregates count) (by jurisdiction) (from bookings))")
        assertParses("table count by jurisdiction.parent, year from bookings where jurisdiction.kind == county",
                     "(table (aggregates count) (by (. jurisdiction parent) year) (from bookings) (where (== (. jurisdiction kind) county)))")
    }

    func testJurisdictionsIsNotAnExpression() {
        XCTAssertEqual(diags("let x = jurisdictions"), [Diag(1, 9, "expected an expression, found 'jurisdictions'")])
    }

    // MARK: Continuation lines

    func testExpressionsContinueAfterOperatorsAndBeforeContinuationWords() {
        assertExpr("a and\nb", "(and a b)")
        assertExpr("a +\n  b *\n  c", "(+ a (* b c))")
        assertExpr("a ==\nb", "(== a b)")
        assertExpr("x in\n{a}", "(in x (set a))")
    }

    // MARK: Spans

    func testSpans() {
        func span(_ src: String) -> Span? {
            let unit = parse(src)
            guard case .expression(let e)? = unit.statements.first?.kind else { return nil }
            return e.span
        }
        XCTAssertEqual(span("a + b * c"), Span(0, 9))
        XCTAssertEqual(span("-x"), Span(0, 2))
        XCTAssertEqual(span("count(x)"), Span(0, 8))
        XCTAssertEqual(span("b with { a: 1 }"), Span(0, 15))
        XCTAssertEqual(span("(a)"), Span(0, 3))
        XCTAssertEqual(span("if a then 1 else 2"), Span(0, 18))
        XCTAssertEqual(span("x under s"), Span(0, 9))
        XCTAssertEqual(span("  a.b  "), Span(2, 5))
    }

    func testParseExpressionEntryPoint() {
        let (e, d) = Parser.parseExpression(sourceFile("\n a or b and c \n"))
        XCTAssertEqual(d, [])
        XCTAssertEqual(e?.dump, "(or a (and b c))")
        let (_, bad) = Parser.parseExpression(sourceFile("a b"))
        XCTAssertEqual(bad.map(\.message), ["expected end of input, found 'b'"])
    }
}
