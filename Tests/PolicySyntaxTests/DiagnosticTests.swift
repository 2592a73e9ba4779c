import XCTest
@testable import PolicySyntax
import PolicySupport

/// One test per distinct lexer/parser error message: its text and its exact line:column
/// (§8: every error names file:line:column). Then recovery, deep nesting and rendering.
final class DiagnosticTests: XCTestCase {

    // MARK: Lexical errors, as the parser reports them

    func testImpossibleDate() {
        assertDiagnostic("let a = 1\nlet d = 2013-02-30", "impossible date 2013-02-30: February 2013 has 28 days", 2, 9)
    }

    func testNoMonth13() {
        assertDiagnostic("let d = 2013-13-01", "impossible date 2013-13-01: there is no month 13", 1, 9)
    }

    func testYearOutsideTheSupportedRange() {
        assertDiagnostic("let d = 1799-12-31", "date 1799-12-31 is outside the supported years 1800–2299", 1, 9)
    }

    func testUnterminatedString() {
        assertDiagnostic("let s = \"abc\nlet t = 1", "unterminated string", 1, 9)
    }

    func testUnknownEscape() {
        assertDiagnostic(#"let s = "a\qb""#, #"unknown escape '\q'"#, 1, 11)
    }

    func testInvalidUnicodeEscape() {
        assertDiagnostic(#"let s = "\u{110000}""#, "invalid unicode escape", 1, 10)
    }

    func testInvalidUTF8InSource() {
        let file = SourceFile(name: "t.policy", bytes: Array("let x = 1\nlet y = ".utf8) + [0xFF] + Array("\n".utf8))
        XCTAssertEqual(diags(Parser.parse(file)), [Diag(2, 9, "invalid UTF-8 in source")])
    }

    func testInvalidUTF8InString() {
        let file = SourceFile(name: "t.policy", bytes: Array("let y = \"".utf8) + [0xC3] + Array("\"".utf8))
        XCTAssertEqual(diags(Parser.parse(file)), [Diag(1, 10, "invalid UTF-8 in string")])
    }

    func testUnexpectedCharacter() {
        assertDiagnostic("let x = 1;", "unexpected character ';'", 1, 10)
        assertDiagnostic("let x = a!", "unexpected character '!'", 1, 10)
        assertDiagnostic("let x = a @ b", "unexpected character '@'", 1, 11)
    }

    func testDoubleAmpersandIsReportedOnceAndParsedAsAnd() {
        let unit = parse("let x = a && b")
        XCTAssertEqual(diags(unit), [Diag(1, 11, "unexpected '&&'")])
        XCTAssertEqual(unit.dump, "(let x (and a b))")
        let unit2 = parse("let x = a || b")
        XCTAssertEqual(diags(unit2), [Diag(1, 11, "unexpected '||'")])
        XCTAssertEqual(unit2.dump, "(let x (or a b))")
    }

    func testSingleQuotes() {
        assertDiagnostic("let s = 'abc'", "strings use double quotes", 1, 9)
    }

    func testNumberEndingWithUnderscore() {
        assertDiagnostic("let n = 1_000_", "a number cannot end with '_'", 1, 9)
    }

    func testIntegerTooLarge() {
        assertDiagnostic("let n = 99999999999999999999", "integer 99999999999999999999 is too large", 1, 9)
    }

    func testInvalidSuffix() {
        assertDiagnostic("let n = 30days", "invalid suffix 'days' on number 30", 1, 11)
    }

    func testDurationTooLong() {
        assertDiagnostic("let n = 1099511627776 days", "duration 1099511627776 days is too long", 1, 9)
    }

    /// An invalid token was reported by the lexer; the parser does not pile a second error on it.
    func testLexicalErrorIsNotReportedTwice() {
        assertDiagnostic("let x = 2013-02-30 + 1", "impossible date 2013-02-30: February 2013 has 28 days", 1, 9)
        assertDiagnostic("let x = a ; b", "unexpected character ';'", 1, 11)
        assertDiagnostic("let x = 1 +\n 2x", "invalid suffix 'x' on number 2", 2, 3)
    }

    // MARK: Unclosed brackets

    func testMissingClosingBraceAtEndOfInput() {
        let unit = parse("policy p by cook {\n  d(b) = 1\n")
        XCTAssertEqual(diags(unit), [Diag(2, 11, "'}' expected (to close '{' at line 1), found the end of input")])
        let note = unit.diagnostics.first?.notes.first
        XCTAssertEqual(note?.message, "'{' opened here")
        XCTAssertEqual(note?.span, Span(17, 18))
    }

    func testMissingClosingBraceNamesTheUnclosedOpener() {
        // The inner `{` (line 2) is closed by the `}` on line 4; the one on line 1 is not.
        assertDiagnostic("event e on 2012-01-01 {\n  if x {\n    repeal p\n}\n",
                         "'}' expected (to close '{' at line 1), found the end of input", 4, 2)
        // Two unclosed blocks: each names its own opener.
        assertDiagnostics("scenario s {\n  policy p by c {\n    d(b) = 1\n",
                          [Diag(3, 13, "'}' expected (to close '{' at line 2), found the end of input"),
                           Diag(3, 13, "'}' expected (to close '{' at line 1), found the end of input")])
    }

    func testMissingClosingBraceBeforeTheNextDeclaration() {
        let d = diags("record r {\n  a: int\nenum e { x }\n")
        XCTAssertEqual(d.first, Diag(3, 1, "'}' expected (to close '{' at line 1), found 'enum'"))
    }

    func testMissingClosingParenthesisAndBracket() {
        assertDiagnostic("let x = (1 + 2", "')' expected (to close '(' at line 1), found the end of input", 1, 15)
        assertDiagnostic("let x = f(1, 2", "')' expected (to close '(' at line 1), found the end of input", 1, 15)
        assertDiagnostic("let x = [1, 2", "']' expected (to close '[' at line 1), found the end of input", 1, 14)
        assertDiagnostic("let x = (1\n  + 2\n  + 3 4)", "')' expected (to close '(' at line 1), found an integer '4'", 3, 7)
        assertDiagnostic("let x = [1 2]", "']' expected (to close '[' at line 1), found an integer '2'", 1, 12)
    }

    func testUnexpectedCloserWithNothingToClose() {
        let unit = parse(")\nlet x = 1\n}\n]")
        XCTAssertEqual(diags(unit), [Diag(1, 1, "unexpected ')' with nothing to close"),
                                     Diag(3, 1, "unexpected '}' with nothing to close"),
                                     Diag(4, 1, "unexpected ']' with nothing to close")])
        XCTAssertEqual(unit.dump, "(let x 1)")
    }

    // MARK: Expressions

    func testComparisonsDoNotChain() {
        let unit = parse("let x = a < b < c")
        XCTAssertEqual(diags(unit), [Diag(1, 15, "comparisons do not chain")])
        XCTAssertEqual(unit.diagnostics.first?.hint, "write 'a < b and b < c'")
        assertDiagnostic("a == b != c", "comparisons do not chain", 1, 8)
        assertDiagnostic("a < b + 1 <= c", "comparisons do not chain", 1, 11)
        assertDiagnostic("x in s == true", "comparisons do not chain", 1, 8)
        assertDiagnostic("not a == b == c", "comparisons do not chain", 1, 12)
        assertDiagnostic("assert a <\n  b <\n  c", "comparisons do not chain", 2, 5)
    }

    func testMissingThen() {
        assertDiagnostic("let x = if a 1 else 2", "expected 'then' after the condition of 'if', found an integer '1'", 1, 14)
    }

    func testMissingElse() {
        let unit = parse("let x = if a then 1")
        XCTAssertEqual(diags(unit), [Diag(1, 20, "expected 'else' (an 'if' expression needs both branches), found the end of input")])
        XCTAssertEqual(unit.diagnostics.first?.hint, "add 'else' and the value when the condition is false")
        assertDiagnostic("let x = if a then 1\nlet y = 2",
                         "expected 'else' (an 'if' expression needs both branches), found the end of the line", 1, 20)
        assertDiagnostic("let x = if a then 1 2", "expected 'else' (an 'if' expression needs both branches), found an integer '2'", 1, 21)
    }

    func testReservedWordInAnExpression() {
        let unit = parse("let x = policy")
        XCTAssertEqual(diags(unit), [Diag(1, 9, "expected an expression, found 'policy'")])
        XCTAssertEqual(unit.diagnostics.first?.hint, "'policy' is a reserved word")
    }

    func testMissingOperand() {
        assertDiagnostic("let x = 1 +", "expected an expression, found the end of input", 1, 12)
        assertDiagnostic("let x = (1 + )", "expected an expression, found ')'", 1, 14)
        assertDiagnostic("let x = * 2", "expected an expression, found '*'", 1, 9)
    }

    func testAtTakesOnlyAnAdditiveExpression() {
        assertDiagnostic("x at d == e", "expected the end of the statement, found '=='", 1, 8)
    }

    func testMissingFieldAfterDot() {
        assertDiagnostic("let x = a.", "expected a field name after '.', found the end of input", 1, 11)
        assertDiagnostic("let x = a.1", "expected a field name after '.', found an integer '1'", 1, 11)
    }

    func testWithNeedsABrace() {
        assertDiagnostic("b with x", "expected '{' after 'with', found 'x'", 1, 8)
    }

    func testFieldInitErrors() {
        assertDiagnostic("b { a 1 }", "expected ':' after the field name 'a', found an integer '1'", 1, 7)
        assertDiagnostic("b { a: 1 c: 2 }", "expected ',' or a new line between fields, found 'c'", 1, 10)
    }

    // MARK: Names

    func testReservedWordAsAName() {
        let unit = parse("enum policy { a }")
        XCTAssertEqual(diags(unit), [Diag(1, 6, "'policy' is a reserved word and cannot be used as the enum's name")])
        XCTAssertEqual(unit.diagnostics.first?.hint, "choose another name, such as 'policy_'")
        assertDiagnostic("let if = 1", "'if' is a reserved word and cannot be used as a name after 'let'", 1, 5)
        assertDiagnostic("jurisdiction cook: county in when", "'when' is a reserved word and cannot be used as the parent jurisdiction's name", 1, 30)
        assertDiagnostic("param status = 1", "'status' is a reserved word and cannot be used as the param's name", 1, 7)
        assertDiagnostic("record r { x: int }\npopulation test of r", "'test' is a reserved word and cannot be used as the population's name", 2, 12)
        assertDiagnostic("enum e { a, on, b }", "'on' is a reserved word and cannot be used as a member name", 1, 13)
        assertDiagnostic("let f(in: int) = 1", "'in' is a reserved word and cannot be used as a parameter name", 1, 7)
    }

    // MARK: Declarations

    func testExpectedFoundInDeclarations() {
        assertDiagnostic("let = 1", "expected a name after 'let', found '='", 1, 5)
        assertDiagnostic("let x 1", "expected '=' and the definition, found an integer '1'", 1, 7)
        assertDiagnostic("decision d: bool = true", "expected '(' and the case the decision is about, found ':'", 1, 11)
        assertDiagnostic("decision d(b: booking) bool = true", "expected ':' and the decision's type, found 'bool'", 1, 24)
        assertDiagnostic("policy p cook { }", "expected 'by' and the jurisdiction or agency that owns the policy, found 'cook'", 1, 10)
        assertDiagnostic("policy p by cook", "expected '{' and the policy's rules, found the end of input", 1, 17)
        assertDiagnostic("event e 2012-01-01", "expected 'on' and the event's date, found a date '2012-01-01'", 1, 9)
        assertDiagnostic("jurisdiction cook county", "expected ':' and the jurisdiction's kind (federal, state, county, …), found 'county'", 1, 19)
        assertDiagnostic("agency ice usa", "expected 'of' and the jurisdiction the agency works in, found 'usa'", 1, 12)
        assertDiagnostic("record r { a int }", "expected ':' and the type of 'a', found 'int'", 1, 14)
        assertDiagnostic("record r { a: set int }", "expected 'of' after 'set', found 'int'", 1, 19)
        assertDiagnostic("enum e", "expected '{' and the enum's members, found the end of input", 1, 7)
        assertDiagnostic("jurisdictions \"x.csv\"", "expected 'from' and a CSV file name, found a string", 1, 15)
        assertDiagnostic("population p of r from x", "expected a CSV file name in quotes after 'from', found 'x'", 1, 24)
    }

    func testRuleErrors() {
        assertDiagnostic("policy p by c { d = 1 }", "expected '(' after 'd' (a rule reads d(b) = value), found '='", 1, 19)
        assertDiagnostic("policy p by c { d(b) 1 }", "expected '=' and the rule's answer, found an integer '1'", 1, 22)
        assertDiagnostic("policy p by c { 1 }", "expected a rule: decision(case) = value, found an integer '1'", 1, 17)
    }

    /// §2: `when` is not a continuation word, so a rule's guard must stay on the rule's line.
    func testRuleGuardOnTheNextLineIsAnError() {
        let d = diags("policy p by c {\n  d(b) = 1\n  when x\n}")
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first.map { [$0.line, $0.column] }, [3, 3])
        XCTAssertTrue(d.first?.message.contains("'when'") ?? false, "\(d)")
    }

    func testClauseGivenTwice() {
        assertDiagnostic("policy p by cook from 2012-01-01 from 2013-01-01 { }", "'from' is given twice", 1, 34)
        assertDiagnostic("timeline under a under b", "'under' is given twice", 1, 18)
        assertDiagnostic("status cook at 2012-01-01 at 2013-01-01", "'at' is given twice", 1, 27)
    }

    func testEffectErrors() {
        assertDiagnostic("event e on 2012-01-01 { frobnicate x }",
                         "expected an effect (enact, repeal, set, for, after or if), found 'frobnicate'", 1, 25)
        assertDiagnostic("event e on d { for j in cook { } }",
                         "expected 'jurisdictions' (effects loop over jurisdictions), found 'cook'", 1, 25)
        assertDiagnostic("event e on d { after 30 days }", "expected '{' and the delayed effects, found '}'", 1, 30)
        assertDiagnostic("event e on d { if x { } else repeal y }", "expected '{' or 'if' after 'else', found 'repeal'", 1, 30)
        assertDiagnostic("event e on d { set x }", "expected '=' and the new value, found '}'", 1, 22)
    }

    func testReactionErrors() {
        assertDiagnostic("when e in cook { }", "expected 'jurisdictions' (a reaction watches jurisdictions), found 'cook'", 1, 11)
        assertDiagnostic("when j in jurisdictions j.trust < 1 { }",
                         "expected 'where' and the condition that triggers the reaction, found 'j'", 1, 25)
        assertDiagnostic("when e\n", "expected '{' and the reaction's effects, found the end of input", 1, 7)
    }

    func testPopulationGeneratorMissing() {
        assertDiagnostic("population p of r {\n  x\n}",
                         "expected a generator for 'x' (uniform A .. B, { member: p, … }, p%, weighted by ATTR, or = EXPR), found the end of the line", 2, 4)
        assertDiagnostic("population p of r { d uniform 1 2 }", "expected '..' between the low and high ends, found an integer '2'", 1, 33)
    }

    // MARK: Scenarios

    func testCancelOutsideAScenario() {
        let unit = parse("let a = 1\ncancel trust_act_veto\n")
        XCTAssertEqual(diags(unit), [Diag(2, 1, "'cancel' is only allowed inside a scenario")])
        XCTAssertEqual(unit.diagnostics.first?.span, Span(10, 31))
        XCTAssertEqual(unit.diagnostics.first?.hint, "write it inside 'scenario NAME { … }'")
        assertDiagnostic("test \"t\" {\n  cancel e\n}", "'cancel' is only allowed inside a scenario", 2, 3)
    }

    func testScenarioCannotHoldScenariosTestsOrIncludes() {
        assertDiagnostic("scenario s { scenario t { } }", "'scenario' is not allowed inside a scenario", 1, 14)
        assertDiagnostic("scenario s {\n  test \"x\" { }\n}", "'test' is not allowed inside a scenario", 2, 3)
        assertDiagnostic("scenario s { include \"f.policy\" }", "'include' is not allowed inside a scenario", 1, 14)
    }

    // MARK: Statements

    func testEndOfStatementExpected() {
        let unit = parse("let a = 1 let b = 2")
        XCTAssertEqual(diags(unit), [Diag(1, 11, "expected the end of the statement, found 'let'")])
        XCTAssertEqual(unit.diagnostics.first?.hint, "put each statement on its own line")
        assertDiagnostic("x )", "expected the end of the statement, found ')'", 1, 3)
    }

    func testStatementErrors() {
        assertDiagnostic("compare baseline on x by year from p", "'compare' needs at least two scenarios", 1, 1)
        assertDiagnostic("compare a, b by year from p", "expected ',' and another scenario, or 'on', found 'by'", 1, 14)
        assertDiagnostic("plot x from p", "expected 'by' and what to plot against (year, month, …), found 'from'", 1, 8)
        assertDiagnostic("plot x by y from p to z", "expected a file name in quotes after 'to', found 'z'", 1, 23)
        assertDiagnostic("table x by y", "expected 'from' and a population, found the end of input", 1, 13)
        assertDiagnostic("table x by y from 3", "expected a population name, found an integer '3'", 1, 19)
        assertDiagnostic("explain x under", "expected a scenario name, found the end of input", 1, 16)
        assertDiagnostic("status cook under 5", "expected a scenario name after 'under', found an integer '5'", 1, 19)
        assertDiagnostic("include x", "expected a file name in quotes after 'include', found 'x'", 1, 9)
        assertDiagnostic("test x { }", "expected the test's name in quotes, found 'x'", 1, 6)
        assertDiagnostic("test \"x\" x", "expected '{' to start the test's body, found 'x'", 1, 10)
    }

    // MARK: Recovery (§8: several independent errors are all reported)

    func testIndependentErrorsAreAllReported() {
        let src = """
            let a = 1 +
            let b = 2 2
            enum if { x }
            let ok = 3
            policy p by cook {
              d(b) = 1 2
              e(b) = 2
            }
            let z = a < b < c
            let fine = 4
            cancel q
            """
        let unit = parse(src)
        XCTAssertEqual(diags(unit), [
            Diag(2, 1, "expected an expression, found 'let'"),
            Diag(2, 11, "expected the end of the statement, found an integer '2'"),
            Diag(3, 6, "'if' is a reserved word and cannot be used as the enum's name"),
            Diag(6, 12, "expected ',' or a new line between rules, found an integer '2'"),
            Diag(9, 15, "comparisons do not chain"),
            Diag(11, 1, "'cancel' is only allowed inside a scenario"),
        ])
        // The good statements around the errors are kept (an item followed by junk is kept too).
        XCTAssertEqual(unit.dump, "(let b 2)\n(let ok 3)\n(policy p (by cook) (rule d b 1) (rule e b 2))\n(let fine 4)\n(cancel q)")
    }

    func testRecoveryInsideBlocks() {
        let record = parse("record r {\n  a: int =\n  b: int\n  c int\n  d: bool\n}\nlet after_it = 1")
        XCTAssertEqual(diags(record), [Diag(3, 4, "expected ',' or a new line between fields, found ':'"),
                                       Diag(4, 5, "expected ':' and the type of 'c', found 'int'")])
        XCTAssertEqual(record.dump, "(record r (a int b) (d bool))\n(let after_it 1)")

        let event = parse("event e on 2012-01-01 {\n  enact\n  repeal x\n  bogus\n  set y = 1\n}")
        XCTAssertEqual(diags(event), [Diag(2, 8, "expected the name of the policy to enact, found the end of the line"),
                                      Diag(4, 3, "expected an effect (enact, repeal, set, for, after or if), found 'bogus'")])
        XCTAssertEqual(event.dump, "(event e 2012-01-01 (effects (repeal x) (set y 1)))")

        let test = parse("test \"x\" {\n  let = 1\n  assert a < b < c\n  assert ok\n}")
        XCTAssertEqual(diags(test), [Diag(2, 7, "expected a name after 'let', found '='"),
                                     Diag(3, 16, "comparisons do not chain")])
        XCTAssertEqual(test.dump, "(test \"x\" (assert ok))")
    }

    func testErrorsInSeveralBlocks() {
        let src = """
            policy p by c { d(b) = }
            policy q by c { d(b) = 1 }
            event e on 2012-01-01 { set = 1 }
            scenario s { cancel }
            let ok = 1
            """
        let unit = parse(src)
        XCTAssertEqual(diags(unit), [
            Diag(1, 24, "expected an expression, found '}'"),
            Diag(3, 29, "expected an expression, found '='"),
            Diag(4, 21, "expected the name of an event, policy or reaction to cancel, found '}'"),
        ])
        XCTAssertEqual(unit.dump, "(policy p (by c))\n(policy q (by c) (rule d b 1))\n(event e 2012-01-01 (effects))\n(scenario s)\n(let ok 1)")
    }

    // MARK: Nesting too deep (§9.20)

    func testHundredThousandOpenParentheses() {
        let src = "let x = " + String(repeating: "(", count: 100_000) + "1"
        let (d, seconds) = parseOnBigStack(src)
        XCTAssertEqual(d.filter { $0.message.hasPrefix("nesting too deep") }.count, 1, "\(d.prefix(5))")
        XCTAssertEqual(d.first?.message, "nesting too deep (more than 1000 levels)")
        XCTAssertEqual(d.first?.line, 1)
        XCTAssertLessThan(seconds, 10)
    }

    func testHundredThousandBalancedParentheses() {
        let src = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + "\nlet ok = 1"
        let (d, seconds) = parseOnBigStack(src)
        XCTAssertEqual(d.filter { $0.message.hasPrefix("nesting too deep") }.count, 1)
        XCTAssertEqual(d.count, 1, "\(d.prefix(5))")
        XCTAssertLessThan(seconds, 10)
    }

    func testHundredThousandUnaryMinus() {
        let src = "let x = " + String(repeating: "-", count: 100_000) + "1"
        let (d, seconds) = parseOnBigStack(src)
        XCTAssertEqual(d.filter { $0.message.hasPrefix("nesting too deep") }.count, 1)
        XCTAssertEqual(d.count, 1, "\(d.prefix(5))")
        XCTAssertLessThan(seconds, 10)
    }

    func testHundredThousandNots() {
        let src = "let x = " + String(repeating: "not ", count: 100_000) + "a"
        let (d, _) = parseOnBigStack(src)
        XCTAssertEqual(d.map(\.message), ["nesting too deep (more than 1000 levels)"])
    }

    func testHundredThousandBracketsAndBraces() {
        for (open, close) in [("[", "]"), ("{", "}")] {
            let src = "let x = " + String(repeating: open, count: 100_000) + String(repeating: close, count: 100_000)
            let (d, seconds) = parseOnBigStack(src)
            XCTAssertEqual(d.map(\.message), ["nesting too deep (more than 1000 levels)"], open)
            XCTAssertLessThan(seconds, 10)
        }
    }

    func testHundredThousandNestedIfs() {
        let src = "let x = " + String(repeating: "if a then ", count: 100_000) + "1"
        let (d, seconds) = parseOnBigStack(src)
        XCTAssertEqual(d.filter { $0.message.hasPrefix("nesting too deep") }.count, 1)
        XCTAssertLessThan(seconds, 10)
    }

    func testDeeplyNestedEffectBlocks() {
        let src = "event e on d " + String(repeating: "{ if x ", count: 100_000)
        let (d, seconds) = parseOnBigStack(src)
        XCTAssertEqual(d.filter { $0.message.hasPrefix("nesting too deep") }.count, 1)
        XCTAssertLessThan(seconds, 10)
    }

    /// One nesting error per statement: each bad statement reports its own.
    func testNestingErrorIsReportedOncePerStatement() {
        let deep = String(repeating: "-", count: 5_000) + "1"
        let (d, _) = parseOnBigStack("let a = \(deep)\nlet b = 1\nlet c = \(deep)\n")
        XCTAssertEqual(d.map(\.message), ["nesting too deep (more than 1000 levels)",
                                          "nesting too deep (more than 1000 levels)"])
        XCTAssertEqual(d.map(\.line), [1, 3])
    }

    func testModerateNestingIsFine() {
        let src = "let x = " + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
            + "\nlet y = " + String(repeating: "-", count: 500) + "1"
        let (d, _) = parseOnBigStack(src)
        XCTAssertEqual(d, [])
    }

    /// §9.20: 1,000 levels are fine, 1,001 are too deep — for each kind of nesting.
    func testNestingLimitIsExactlyOneThousandLevels() {
        func nested(_ n: Int, _ open: String, _ inner: String, _ close: String) -> String {
            "let x = " + String(repeating: open, count: n) + inner + String(repeating: close, count: n)
        }
        let kinds: [(String, String, String)] = [("(", "1", ")"), ("[", "1", "]"), ("{", "1", "}"),
                                                ("-", "1", ""), ("not ", "a", ""),
                                                ("if a then ", "1", " else 2"), ("f(", "1", ")")]
        for (open, inner, close) in kinds {
            let ok = parseOnBigStack(nested(1000, open, inner, close)).diags
            XCTAssertEqual(ok, [], "1000 × '\(open)'")
            let deep = parseOnBigStack(nested(1001, open, inner, close)).diags
            XCTAssertEqual(deep.map(\.message), ["nesting too deep (more than 1000 levels)"], "1001 × '\(open)'")
        }
    }

    func testMixedNestingCountsEveryLevel() {
        let ok = "let x = " + String(repeating: "(-", count: 500) + "1" + String(repeating: ")", count: 500)
        XCTAssertEqual(parseOnBigStack(ok).diags, [])
        let deep = "let x = " + String(repeating: "(-", count: 501) + "1" + String(repeating: ")", count: 501)
        XCTAssertEqual(parseOnBigStack(deep).diags.map(\.message), ["nesting too deep (more than 1000 levels)"])
    }

    func testNestingErrorPointsAtTheFirstTooDeepToken() {
        let src = "let x = " + String(repeating: "(", count: 2000) + "1"
        XCTAssertEqual(parseOnBigStack(src).diags, [Diag(1, 1009, "nesting too deep (more than 1000 levels)")])
    }

    func testBlocksCountTowardsNesting() {
        // The event's block is one level; each `after` block another.
        let ok = "event e on d " + String(repeating: "{ after 1 day ", count: 999) + "{ }" + String(repeating: " }", count: 999)
        XCTAssertEqual(parseOnBigStack(ok).diags, [])
        let deep = "event e on d " + String(repeating: "{ after 1 day ", count: 1000) + "{ }" + String(repeating: " }", count: 1000)
        XCTAssertEqual(parseOnBigStack(deep).diags.map(\.message), ["nesting too deep (more than 1000 levels)"])
    }

    // MARK: Rendering

    /// Columns count characters: `é` is two bytes but one column.
    func testRendererPutsTheCaretUnderTheSpan() {
        let file = SourceFile(name: "t.policy", text: "# café\nlet x = \"héllo\" + policy\n")
        let unit = Parser.parse(file)
        XCTAssertEqual(unit.diagnostics.count, 1)
        guard let d = unit.diagnostics.first else { return }
        XCTAssertEqual(LocatedDiagnostic(file: file, diagnostic: d).position, "t.policy:2:19")
        let expected = """
            error: expected an expression, found 'policy'
             --> t.policy:2:19
              |
            2 | let x = "héllo" + policy
              |                   ^^^^^^ 'policy' is a reserved word

            """
        XCTAssertEqual(DiagnosticRenderer().render(d, in: file), expected)
        XCTAssertEqual(DiagnosticRenderer().render(LocatedDiagnostic(file: file, diagnostic: d)), expected)
    }

    func testRendererUsesTerminalWidthsForWideCharacters() {
        let file = SourceFile(name: "t.policy", text: "let x = \"東京\" + policy")
        let d = Parser.parse(file).diagnostics[0]
        XCTAssertEqual(file.location(of: Int(d.span.start)).column, 16)
        let expected = """
            error: expected an expression, found 'policy'
             --> t.policy:1:16
              |
            1 | let x = "東京" + policy
              |                  ^^^^^^ 'policy' is a reserved word

            """
        XCTAssertEqual(DiagnosticRenderer().render(d, in: file), expected)
    }

    func testRendererShowsNotesAndWideGutters() {
        let text = String(repeating: "\n", count: 9) + "policy p by cook {\n  d(b) = 1\n"
        let file = SourceFile(name: "dir/x.policy", text: text)
        let d = Parser.parse(file).diagnostics[0]
        let expected = """
            error: '}' expected (to close '{' at line 10), found the end of input
              --> dir/x.policy:11:11
               |
            11 |   d(b) = 1
               |           ^
               = note: '{' opened here (dir/x.policy:10:18)

            """
        XCTAssertEqual(DiagnosticRenderer().render(d, in: file), expected)
    }

    /// A line longer than `DiagnosticRenderer.maxShownLine` bytes is shown as a window with
    /// ellipses; the caret still sits under the span.
    func testRendererWindowsLongLines() {
        let text = "let x = " + String(repeating: "a + ", count: 40) + "b < c < d + " + String(repeating: "e + ", count: 30) + "f"
        let file = SourceFile(name: "t.policy", text: text)
        let d = Parser.parse(file).diagnostics
        XCTAssertEqual(d.count, 1)
        guard let first = d.first else { return }
        XCTAssertEqual(file.location(of: Int(first.span.start)).column, 175)
        let lines = DiagnosticRenderer().render(first, in: file).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[1], " --> t.policy:1:175")
        let shown = lines[3].dropFirst(4)      // "1 | "
        let carets = lines[4].dropFirst(4)     // "  | "
        XCTAssertTrue(shown.hasPrefix("…"))
        XCTAssertTrue(shown.hasSuffix("…"))
        XCTAssertLessThanOrEqual(shown.utf8.count, DiagnosticRenderer.maxShownLine + 6)
        let caretColumn = carets.firstIndex(of: "^").map { carets.distance(from: carets.startIndex, to: $0) }
        let secondLess = shown.indices.filter { shown[$0] == "<" }.dropFirst().first
            .map { shown.distance(from: shown.startIndex, to: $0) }
        XCTAssertNotNil(caretColumn)
        XCTAssertEqual(caretColumn, secondLess)
    }

    func testRendererWindowOnMultiByteText() {
        let text = "let x = \"" + String(repeating: "é", count: 200) + "\" + (a < b < c)"
        let file = SourceFile(name: "t.policy", text: text)
        let d = Parser.parse(file).diagnostics
        XCTAssertEqual(d.map { file.location(of: Int($0.span.start)).column }, [221])
        guard let first = d.first else { return }
        let lines = DiagnosticRenderer().render(first, in: file).split(separator: "\n", omittingEmptySubsequences: false)
        let shown = lines[3].dropFirst(4)
        let carets = lines[4].dropFirst(4)
        XCTAssertTrue(shown.hasPrefix("…é"))       // the window starts on a character boundary
        XCTAssertFalse(shown.contains("\u{FFFD}"))
        let caretColumn = carets.firstIndex(of: "^").map { carets.distance(from: carets.startIndex, to: $0) }
        let secondLess = shown.indices.filter { shown[$0] == "<" }.dropFirst().first
            .map { shown.distance(from: shown.startIndex, to: $0) }
        XCTAssertEqual(caretColumn, secondLess)
    }

    /// The library's own large-stack runner copes with the deepest allowed nesting.
    func testWithLargeStackRunsADeepParse() {
        let src = "let x = " + String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000)
        let count = withLargeStack { Parser.parse(SourceFile(name: "t.policy", text: src)).diagnostics.count }
        XCTAssertEqual(count, 0)
        XCTAssertEqual(withLargeStack { 6 * 7 }, 42)
    }

    func testRendererWithColor() {
        let file = SourceFile(name: "t.policy", text: "let x = a < b < c")
        let d = Parser.parse(file).diagnostics[0]
        let out = DiagnosticRenderer(useColor: true).render(d, in: file)
        XCTAssertTrue(out.hasPrefix("\u{1B}[1;31merror\u{1B}[0m"))
        XCTAssertTrue(out.contains("comparisons do not chain"))
        let plain = DiagnosticRenderer().render(d, in: file)
        XCTAssertFalse(plain.contains("\u{1B}"))
    }

    func testRendererOnCRLFAndControlCharacters() {
        let file = SourceFile(name: "t.policy", text: "let a = 1\r\nlet x = a < b < c\r\n")
        let d = Parser.parse(file).diagnostics[0]
        let expected = """
            error: comparisons do not chain
             --> t.policy:2:15
              |
            2 | let x = a < b < c
              |               ^ write 'a < b and b < c'

            """
        XCTAssertEqual(DiagnosticRenderer().render(d, in: file), expected)
    }
}
