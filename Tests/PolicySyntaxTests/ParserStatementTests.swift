import XCTest
@testable import PolicySyntax

/// LANGUAGE.md §7: statements and commands; and every code block of LANGUAGE.md.
final class ParserStatementTests: XCTestCase {

    func testExpressionStatement() {
        assertParses("honored(booking { jurisdiction: cook, date: 2011-10-01, ident_match: true })   # prints: false",
                     "(call honored (record booking (jurisdiction cook) (date 2011-10-01) (ident_match true)))")
    }

    func testStatementsAreSeparatedByNewlines() {
        assertParses("a\nb\n\n\nc", "a\nb\nc")
        assertParses("\n\n# only comments\n\n", "")
        assertParses("", "")
    }

    // MARK: explain

    func testExplain() {
        assertParses("explain outcome(b)", "(explain (call outcome b))")
        assertParses("explain outcome(b) under baseline, early_trust_act",
                     "(explain (call outcome b) (under baseline early_trust_act))")
        assertParses("explain outcome(b) under s1", "(explain (call outcome b) (under s1))")
        assertParses("explain outcome(b)\n  under s1, s2", "(explain (call outcome b) (under s1 s2))")
    }

    func testExplainKeepsAtAsAnOperator() {
        assertParses("explain x at 2012-01-01", "(explain (at x 2012-01-01))")
        assertParses("explain x at d + 1 day under s", "(explain (at x (+ d (duration 1 day))) (under s))")
        assertParses("explain (x under s) under a, b", "(explain (paren (under x s)) (under a b))")
    }

    // MARK: timeline

    func testTimeline() {
        assertParses("timeline", "(timeline)")
        assertParses("timeline under s", "(timeline (under s))")
        assertParses("timeline from 2010-01-01", "(timeline (from 2010-01-01))")
        assertParses("timeline until 2014-01-01", "(timeline (until 2014-01-01))")
        assertParses("timeline for cook", "(timeline (for cook))")
        assertParses("timeline under s from 2010-01-01 until 2014-01-01 for cook",
                     "(timeline (under s) (from 2010-01-01) (until 2014-01-01) (for cook))")
        assertParses("timeline for cook until 2014-01-01 from 2010-01-01 under s",
                     "(timeline (under s) (from 2010-01-01) (until 2014-01-01) (for cook))")
        assertParses("timeline\n  from 2010-01-01\n  until 2014-01-01\n  under s",
                     "(timeline (under s) (from 2010-01-01) (until 2014-01-01))")
    }

    // MARK: status

    func testStatus() {
        assertParses("status cook", "(status cook)")
        assertParses("status cook at 2013-01-01", "(status cook (at 2013-01-01))")
        assertParses("status cook under s", "(status cook (under s))")
        assertParses("status cook at 2013-01-01 + 1 day under s",
                     "(status cook (at (+ 2013-01-01 (duration 1 day))) (under s))")
        assertParses("status cook under s at 2013-01-01", "(status cook (at 2013-01-01) (under s))")
        assertParses("status los_angeles.parent\n  at 2013-01-01", "(status (. los_angeles parent) (at 2013-01-01))")
    }

    // MARK: table

    func testTable() {
        assertParses("table count by year from bookings", "(table (aggregates count) (by year) (from bookings))")
        assertParses("table outcome by quarter from bookings", "(table (aggregates outcome) (by quarter) (from bookings))")
        assertParses("table count, share(charge == felony) by year, quarter from bookings where convicted under s",
                     "(table (aggregates count (call share (== charge felony))) (by year quarter) (from bookings) (where convicted) (under s))")
        assertParses("table count, mean(priors) by month from bookings under s where ident_match",
                     "(table (aggregates count (call mean priors)) (by month) (from bookings) (where ident_match) (under s))")
        assertParses("table sum(priors) by charge == felony from bookings",
                     "(table (aggregates (call sum priors)) (by (== charge felony)) (from bookings))")
    }

    /// §7: a trailing `under` in a clause is the statement's; a per-case one needs parentheses.
    func testTableUnderBelongsToTheStatement() {
        assertParses("table count by year from p where x under s",
                     "(table (aggregates count) (by year) (from p) (where x) (under s))")
        assertParses("table count(detainer under s) by year from p",
                     "(table (aggregates (call count (under detainer s))) (by year) (from p))")
        assertParses("table count by year from p where (x under s)",
                     "(table (aggregates count) (by year) (from p) (where (paren (under x s))))")
    }

    func testTableOnSeveralLines() {
        assertParses("table count,\n  share(convicted)\n  by year\n  from bookings\n  where ident_match\n  under s",
                     "(table (aggregates count (call share convicted)) (by year) (from bookings) (where ident_match) (under s))")
    }

    // MARK: compare

    func testCompare() {
        assertParses("compare baseline, early_trust_act on outcome by year from bookings",
                     "(compare (baseline early_trust_act) (on outcome) (by year) (from bookings))")
        assertParses("compare a, b, c on count, share(detainer) by year, month from bookings where ident_match",
                     "(compare (a b c) (on count (call share detainer)) (by year month) (from bookings) (where ident_match))")
        assertParses("compare a, b on count(honored)\n  by quarter\n  from bookings",
                     "(compare (a b) (on (call count honored)) (by quarter) (from bookings))")
    }

    // MARK: plot

    func testPlot() {
        assertParses("plot count(outcome == transferred) by month from bookings under baseline, early_trust_act",
                     "(plot (aggregates (call count (== outcome transferred))) (by month) (from bookings) (under baseline early_trust_act))")
        assertParses("plot outcome by year from bookings", "(plot (aggregates outcome) (by year) (from bookings))")
        assertParses(#"plot outcome, count by year, month from p under a to "f.svg""#,
                     #"(plot (aggregates outcome count) (by year month) (from p) (under a) (to "f.svg"))"#)
        assertParses(#"plot count by year from p to "out/chart.svg" under a, b"#,
                     #"(plot (aggregates count) (by year) (from p) (under a b) (to "out/chart.svg"))"#)
        assertParses(#"plot count by year from p to "f.svg""#,
                     #"(plot (aggregates count) (by year) (from p) (to "f.svg"))"#)
    }

    func testToIsAnOrdinaryNameElsewhere() {
        assertParses("let to = 1\nto + 1", "(let to 1)\n(+ to 1)")
    }

    // MARK: test, assert, let, include

    func testTestBlock() {
        let src = """
            test "Cook County declines detainers after its ordinance" {
              let b = booking { jurisdiction: cook, date: 2011-10-01, ident_match: true, convicted: true }
              assert not honored(b)
              assert honored(b with { date: 2011-09-06 })
              assert honored(b with { jurisdiction: los_angeles }) "LA honours"
              b.date
            }
            """
        assertParses(src, #"(test "Cook County declines detainers after its ordinance" (let b (record booking (jurisdiction cook) (date 2011-10-01) (ident_match true) (convicted true))) (assert (not (call honored b))) (assert (call honored (with b (date 2011-09-06)))) (assert (call honored (with b (jurisdiction los_angeles))) "LA honours") (. b date))"#)
    }

    func testEmptyTest() {
        assertParses(#"test "nothing" { }"#, #"(test "nothing")"#)
    }

    func testAssert() {
        assertParses("assert x", "(assert x)")
        assertParses(#"assert a == b "a equals b""#, #"(assert (== a b) "a equals b")"#)
        assertParses("assert x under s", "(assert (under x s))")
    }

    func testInclude() {
        assertParses(#"include "other.policy""#, #"(include "other.policy")"#)
        assertParses(#"include "dir/with \"quote\".policy""#, #"(include "dir/with \"quote\".policy")"#)
    }

    func testCancelInsideAScenarioIsAStatement() {
        assertParses("scenario s { cancel e }", "(scenario s (cancel e))")
    }

    // MARK: Statement spans

    func testStatementSpans() {
        let unit = parse("let x = 1\n  explain y under s\n")
        XCTAssertEqual(unit.statements.map(\.span), [Span(0, 9), Span(12, 29)])
    }

    // MARK: LANGUAGE.md

    /// Every ```policy block of LANGUAGE.md parses without a diagnostic.
    func testEveryCodeBlockOfTheLanguageReferenceParses() throws {
        let blocks = try languageReferenceBlocks()
        XCTAssertGreaterThanOrEqual(blocks.count, 10)
        for (line, code) in blocks {
            let unit = Parser.parse(SourceFile(name: "LANGUAGE.md:\(line)", text: code))
            XCTAssertEqual(diags(unit), [], "code block at LANGUAGE.md line \(line)")
            XCTAssertFalse(unit.statements.isEmpty, "code block at LANGUAGE.md line \(line)")
        }
    }

    /// The taste of §1, statement by statement.
    func testTasteProgram() throws {
        let blocks = try languageReferenceBlocks()
        guard let taste = blocks.first(where: { $0.code.contains("Secure Communities, in miniature") }) else {
            throw XCTSkip("the §1 example is not in LANGUAGE.md")
        }
        let unit = parse(taste.code)
        XCTAssertEqual(diags(unit), [])
        let heads = unit.statements.map { s -> String in
            let d = s.dump
            return String(d.prefix(while: { $0 != " " }))
        }
        XCTAssertEqual(heads, ["(enum", "(enum", "(attributes", "(jurisdiction", "(jurisdiction", "(jurisdiction",
                               "(jurisdiction", "(jurisdiction", "(agency", "(record", "(param", "(decision",
                               "(decision", "(let", "(decision", "(policy", "(policy", "(policy", "(policy",
                               "(event", "(event", "(event", "(scenario", "(population", "(call", "(explain",
                               "(compare", "(plot", "(test"])
        XCTAssertTrue(unit.dump.contains("(population bookings booking (items (size 1000000) (seed 42) (date (uniform 2010-01-01 2014-12-31)) (jurisdiction (weighted admissions)) (charge (categorical (violent_felony 0.05) (serious_felony 0.05) (felony 0.2) (misdemeanor 0.7))) (convicted (probability 0.3)) (ident_match (probability 0.08)) (removal_order (probability 0.1) (when ident_match))))"))
        XCTAssertTrue(unit.dump.contains("(compare (baseline early_trust_act) (on outcome) (by year) (from bookings))"))
        XCTAssertTrue(unit.dump.contains("(plot (aggregates (call count (== outcome transferred))) (by month) (from bookings) (under baseline early_trust_act))"))
    }

    /// Examples written inline in the prose of LANGUAGE.md.
    func testInlineExamplesOfTheLanguageReference() {
        let snippets = [
            "x at d + 1 day",
            "count(bookings where detainer and not (detainer under narrow))",
            "(cook.trust at 2014-06-01) under no_rescission",
            "cook.trust at 2012-01-01",
            "b.charge == felony",
            "r with { f: v }",
            "2012-01-31 + 1 month == 2012-02-29",
            "7 / 2 == 3.5",
            "d2 - d1",
            "scenario x { when oregon_ruling as ninth_wave { repeal q } }",
            "scenario x { when j in jurisdictions where j.trust < 40% as trust_collapse { repeal q } }",
            "chance(p, \"label\")",
            "detainer_ban(cook)",
        ]
        for s in snippets {
            XCTAssertEqual(diags(s), [], s)
        }
    }
}
