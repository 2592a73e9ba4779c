import XCTest
@testable import PolicySyntax

// Golden tests of `policy fmt` (Formatter.format) on hand-written input. Every case also
// checks that the output parses cleanly to the same tree and that formatting it again
// changes nothing.

/// Formats `input` and compares with `expected`; checks the round trip and idempotence.
func genAssertFormats(_ input: String, _ expected: String,
                      file: StaticString = #filePath, line: UInt = #line) {
    let unit = genParse(input)
    XCTAssertEqual(genDiagnostics(unit), "", "input does not parse:\n\(input)", file: file, line: line)
    let formatted = Formatter.format(unit)
    XCTAssertEqual(formatted, expected, "fmt of:\n\(input)", file: file, line: line)
    let reparsed = genParse(formatted)
    XCTAssertEqual(genDiagnostics(reparsed), "", "fmt output does not parse:\n\(formatted)", file: file, line: line)
    XCTAssertEqual(reparsed.dump, unit.dump, "fmt changed the tree", file: file, line: line)
    XCTAssertEqual(Formatter.format(reparsed), formatted, "fmt is not idempotent", file: file, line: line)
    XCTAssertEqual(reparsed.comments.count, unit.comments.count, "fmt lost or added comments", file: file, line: line)
}

final class FormatterTests: XCTestCase {
    // MARK: Spacing and blank lines

    func testSpacingIsNormalised() {
        genAssertFormats("let   x=1+2*  3\n", "let x = 1 + 2 * 3\n")
        genAssertFormats("let y   =  ( a  )and not b\n", "let y = (a) and not b\n")
        genAssertFormats("let z = f( 1,2 ,3, )\n", "let z = f(1, 2, 3)\n")
        genAssertFormats("param\tp : number=70%\n", "param p: number = 70%\n")
        genAssertFormats("let f( a:int ,b : set of  date ,) :list  of int=[ a ,b ]\n",
                         "let f(a: int, b: set of date): list of int = [a, b]\n")
        genAssertFormats("x  .jurisdiction==b . date\n", "x.jurisdiction == b.date\n")
        genAssertFormats("r with{a:1,b:2}\n", "r with { a: 1, b: 2 }\n")
        genAssertFormats("count( bookings   where  charge==felony )\n", "count(bookings where charge == felony)\n")
        genAssertFormats("- x * -y\n", "-x * -y\n")
        genAssertFormats("{ 1,2 , 3 }\n", "{1, 2, 3}\n")
    }

    /// Found by the lexparse fuzz target: a comment holding U+0001 (the character that once
    /// marked trailing comments inside the formatter) lost it. Comments are copied as they
    /// are, whatever they hold, and trailing comments still line up.
    func testCommentsWithControlCharactersAreKeptAsTheyAre() {
        genAssertFormats("## a\u{1D}\u{1}\u{0}y\nlet p = 1\n", "## a\u{1D}\u{1}\u{0}y\nlet p = 1\n")
        genAssertFormats("let a = 1 # one\u{1}\nlet bb = 2 # two\n", "let a = 1   # one\u{1}\nlet bb = 2  # two\n")
        genAssertFormats("let a = 1 # \u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{E000}\nlet bb = 2 # two\n",
                         "let a = 1   # \u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{E000}\nlet bb = 2  # two\n")
    }

    func testLineBreaksInsideExpressionsAreJoined() {
        genAssertFormats("let x = 1 +\n    2 *\n    3\n", "let x = 1 + 2 * 3\n")
        genAssertFormats("let y = f(a,\n  b,\n  c)\n", "let y = f(a, b, c)\n")
        genAssertFormats("let z = if a\n  then b\n  else c\n", "let z = if a then b else c\n")
        genAssertFormats("let w = cook.trust\n  at 2014-06-01\n  under early\n", "let w = cook.trust at 2014-06-01 under early\n")
    }

    func testBlankLinesCollapseToOne() {
        genAssertFormats("\n\n\nlet a = 1\n\n\n\nlet b = 2\nlet c = 3\n\n\n", "let a = 1\n\nlet b = 2\nlet c = 3\n")
        genAssertFormats("let a = 1\n  \t\n\nlet b = 2", "let a = 1\n\nlet b = 2\n")
        genAssertFormats("record r {\n  a: int\n\n\n  b: int  # b\n}\n", "record r {\n  a: int\n\n  b: int  # b\n}\n")
    }

    func testCRLFBecomesLF() {
        genAssertFormats("let a = 1\r\n\r\nlet b = 2  # two\r\n", "let a = 1\n\nlet b = 2  # two\n")
    }

    // MARK: Comments

    func testTrailingCommentsStayOnTheirLine() {
        genAssertFormats("let a = 1   # one\nlet b =2# two\n", "let a = 1  # one\nlet b = 2  # two\n")
        genAssertFormats("enum e {\n  a   # first\n  b\n}\n", "enum e {\n  a  # first\n  b\n}\n")
        genAssertFormats("policy p by o {\n  d(b) = true   # always\n}  # end\n",
                         "policy p by o {\n  d(b) = true  # always\n}  # end\n")
    }

    func testOwnLineCommentsAreKept() {
        genAssertFormats("# header\n\n# about a\nlet a = 1\n# the end\n", "# header\n\n# about a\nlet a = 1\n# the end\n")
        genAssertFormats("event e on 2013-01-01 {\n    # first enact\n       enact p\n  # done\n}\n",
                         "event e on 2013-01-01 {\n  # first enact\n  enact p\n  # done\n}\n")
    }

    func testCommentInsideAnExpressionMovesAfterTheItem() {
        genAssertFormats("let a = 1 +  # why\n  2\nlet b = 3\n", "let a = 1 + 2\n# why\nlet b = 3\n")
    }

    func testDocCommentsAreKeptAndStayAttached() {
        let input = "## Doc line one\n##   second\nparam p : number=70%\n\n## The charge.\nenum charge {a, b}\n"
        genAssertFormats(input, "## Doc line one\n##   second\nparam p: number = 70%\n\n## The charge.\nenum charge { a, b }\n")
        let unit = genParse(Formatter.format(genParse(input)))
        XCTAssertEqual(unit.statements.map(\.doc), ["Doc line one\n  second", "The charge."])
    }

    // MARK: Definitions

    func testIfElseIfChainInADecisionIsOneBranchPerLine() {
        genAssertFormats(
            "decision d(b: booking): outcome = if a then x else if c then y else z combine latest\n",
            """
            decision d(b: booking): outcome =
              if a then x
              else if c then y
              else z combine latest

            """)
        // already in that shape: unchanged
        genAssertFormats(
            "let o(b: booking): outcome =\n  if not b.ident_match then no_match\n  else if not detainer(b) then no_detainer\n  else transferred\n",
            "let o(b: booking): outcome =\n  if not b.ident_match then no_match\n  else if not detainer(b) then no_detainer\n  else transferred\n")
        // a single if-then-else stays on one line
        genAssertFormats("decision h(b: booking): bool = if a then true else false\n",
                         "decision h(b: booking): bool = if a then true else false\n")
        // a parenthesised chain is an ordinary expression
        genAssertFormats("let p = (if a then 1 else if b then 2 else 3)\n", "let p = (if a then 1 else if b then 2 else 3)\n")
    }

    func testIfChainInARule() {
        genAssertFormats(
            "policy p by o { d(b) = if a then 1 else if c then 2 else 3 when g }\n",
            """
            policy p by o {
              d(b) =
                if a then 1
                else if c then 2
                else 3 when g
            }

            """)
    }

    func testParenthesesAreKeptAsWritten() {
        genAssertFormats("let a = (1 + 2) * 3\nlet b = ((x))\nlet c = not (a == b)\n",
                         "let a = (1 + 2) * 3\nlet b = ((x))\nlet c = not (a == b)\n")
    }

    func testPolicyHeaderClausesInCanonicalOrder() {
        genAssertFormats("policy q by o \"label\" overrides r, s(1) proposed until 2014-01-01 from 2013-01-01 {}\n",
                         "policy q by o from 2013-01-01 until 2014-01-01 proposed overrides r, s(1) \"label\" {}\n")
    }

    // MARK: Blocks

    func testShortBlocksAreInline() {
        genAssertFormats("enum e {a\nb,,c,}\n", "enum e { a, b, c }\n")
        genAssertFormats("record r {\n  date: date\n  jurisdiction: jurisdiction\n}\n",
                         "record r { date: date, jurisdiction: jurisdiction }\n")
        genAssertFormats("policy p by o {\n  d(b) = false\n}\n", "policy p by o { d(b) = false }\n")
        genAssertFormats("when j in jurisdictions where j.trust<40%as low {enact p(j)}\n",
                         "when j in jurisdictions where j.trust < 40% as low { enact p(j) }\n")
        genAssertFormats("event e on 2013-01-01 by cook {\n}\n", "event e on 2013-01-01 by cook {}\n")
        genAssertFormats("jurisdiction cook: county in illinois \"Cook County\" {\n  admissions: 100_000\n}\n",
                         "jurisdiction cook: county in illinois \"Cook County\" { admissions: 100_000 }\n")
    }

    func testLongOrCommentedBlocksAreMultiLine() {
        genAssertFormats(
            "record booking { date: date, jurisdiction: jurisdiction, charge: charge = misdemeanor, convicted: bool = false }\n",
            """
            record booking {
              date: date
              jurisdiction: jurisdiction
              charge: charge = misdemeanor
              convicted: bool = false
            }

            """)
        genAssertFormats("record small { date: date  # the day\n  jurisdiction: jurisdiction }\n",
                         "record small {\n  date: date  # the day\n  jurisdiction: jurisdiction\n}\n")
        // two rules, or a block inside a block: one item per line
        genAssertFormats("policy p by o { d(b) = 1, e(b) = 2 }\n", "policy p by o {\n  d(b) = 1\n  e(b) = 2\n}\n")
        genAssertFormats("when e { for j in jurisdictions where j.kind == county { enact p(j) } }\n",
                         "when e {\n  for j in jurisdictions where j.kind == county { enact p(j) }\n}\n")
    }

    func testPopulationScenarioAndTestBlocksAreAlwaysMultiLine() {
        genAssertFormats(
            "population bookings of booking { size 1_000, seed 42, date uniform 2010-01-01..2014-12-31, convicted 30% when x }\n",
            """
            population bookings of booking {
              size 1_000
              seed 42
              date uniform 2010-01-01 .. 2014-12-31
              convicted 30% when x
            }

            """)
        genAssertFormats("scenario s from baseline \"What if\" { cancel e, param x = 1 }\n",
                         "scenario s from baseline \"What if\" {\n  cancel e\n  param x = 1\n}\n")
        genAssertFormats("test \"t\" { let b = 1, assert b == 1 \"one\" }\n",
                         "test \"t\" {\n  let b = 1\n  assert b == 1 \"one\"\n}\n")
    }

    func testElseIfInEffects() {
        genAssertFormats(
            "event e1 on 2013-01-01 { if a { enact p } else if b { repeal p } else { set x = 1 } }\n",
            """
            event e1 on 2013-01-01 {
              if a {
                enact p
              } else if b {
                repeal p
              } else {
                set x = 1
              }
            }

            """)
        // `else` at the start of the next line joins the `}` line
        genAssertFormats(
            "when e {\n  if a {\n    enact p\n  }\n  else {\n    repeal p\n  }\n}\n",
            "when e {\n  if a {\n    enact p\n  } else {\n    repeal p\n  }\n}\n")
        // without else, a one-effect `if` is inline
        genAssertFormats("when e { if a {enact p from 2013-01-01 until 2014-01-01} }\n",
                         "when e {\n  if a { enact p from 2013-01-01 until 2014-01-01 }\n}\n")
    }

    // MARK: Literals

    func testStringEscapesAreRequoted() {
        genAssertFormats(#"let s = "a\"b\\c\nd\te\u{41}\u{E9}\u{1}\u{7f}""# + "\n",
                         #"let s = "a\"b\\c\nd\teAé\u{1}\u{7F}""# + "\n")
        genAssertFormats(#"agency ice of usa "Immigration \u{26} Customs""# + "\n",
                         #"agency ice of usa "Immigration & Customs""# + "\n")
    }

    func testNumbersKeepTheirSpelling() {
        genAssertFormats("let n = [1_000_000, 1000000, 10_00, 12_3456]\n", "let n = [1_000_000, 1000000, 1_000, 123_456]\n")
        genAssertFormats("let m = [0.35, 1.5e3, 2e-4, 1_000.5, 8%, 12.5%]\n", "let m = [0.35, 1.5e3, 2e-4, 1_000.5, 8%, 12.5%]\n")
        genAssertFormats("size(1_000_000)\n", "size(1_000_000)\n")
    }

    func testDurationsAreNormalised() {
        genAssertFormats("let d = [2  days, 1 days, 2\tweek, 1 year, 6 month]\n",
                         "let d = [2 days, 1 day, 2 weeks, 1 year, 6 months]\n")
    }

    // MARK: Statements

    func testStatementClauses() {
        genAssertFormats("table count , share(x) by year from bookings under early where charge==felony\n",
                         "table count, share(x) by year from bookings where charge == felony under early\n")
        genAssertFormats("plot count by month from bookings to \"f.svg\" under baseline,early\n",
                         "plot count by month from bookings under baseline, early to \"f.svg\"\n")
        genAssertFormats("explain outcome(b)under baseline,early\n", "explain outcome(b) under baseline, early\n")
        genAssertFormats("compare baseline,early on outcome by year from bookings where x\n",
                         "compare baseline, early on outcome by year from bookings where x\n")
        genAssertFormats("timeline for cook until 2014-01-01 under early from 2010-01-01\n",
                         "timeline under early from 2010-01-01 until 2014-01-01 for cook\n")
        genAssertFormats("status cook under early at 2013-01-01\n", "status cook at 2013-01-01 under early\n")
        genAssertFormats("include   \"lib.policy\"\njurisdictions  from \"c.csv\"\n",
                         "include \"lib.policy\"\njurisdictions from \"c.csv\"\n")
    }

    func testTheLanguageReferenceTasteIsStable() throws {
        // The §1 example of LANGUAGE.md, when the file is there: fmt keeps its tree, and
        // formatting twice changes nothing.
        let blocks = try languageReferenceBlocks()
        guard let taste = blocks.first?.code else { throw XCTSkip("no policy blocks") }
        let unit = genParse(taste)
        XCTAssertEqual(genDiagnostics(unit), "")
        let formatted = Formatter.format(unit)
        let reparsed = genParse(formatted)
        XCTAssertEqual(reparsed.dump, unit.dump)
        XCTAssertEqual(Formatter.format(reparsed), formatted)
        XCTAssertEqual(reparsed.comments.count, unit.comments.count)
    }
}
