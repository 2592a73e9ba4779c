import XCTest
@testable import PolicySyntax

/// LANGUAGE.md §2: every token kind, literal values, comments and the newline rules.
final class LexerTests: XCTestCase {

    // MARK: Identifiers and keywords

    func testIdentifiers() {
        let l = lex("a _b Abc a1_2 __ snake_case X9 policy_ Policy POLICY")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .identifier, count: 10))
        XCTAssertEqual(l.texts, ["a", "_b", "Abc", "a1_2", "__", "snake_case", "X9", "policy_", "Policy", "POLICY"])
    }

    func testIdentifierStopsAtNonIdentifierCharacters() {
        let l = lex("ab.cd(e)")
        XCTAssertEqual(l.kinds, [.identifier, .dot, .identifier, .lParen, .identifier, .rParen])
    }

    /// The list in §2, copied verbatim.
    static let contractKeywords = """
        after agency and as assert at attributes by cancel combine compare decision
        else enact enum event explain false for from if in include jurisdiction jurisdictions let not
        of on or overrides param plot policy population proposed record repeal scenario set status
        table test then timeline true under until when where with within
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

    func testEveryKeywordIsAKeyword() {
        XCTAssertEqual(Self.contractKeywords.count, 52)
        for word in Self.contractKeywords {
            let l = lex(word)
            XCTAssertEqual(l.tokens.count, 1, word)
            guard let t = l.tokens.first else { continue }
            XCTAssertTrue(t.kind.isKeyword, "'\(word)' should be a keyword")
            XCTAssertEqual(t.kind.spelling, word)
            XCTAssertEqual(TokenKind.keyword(word), t.kind)
            XCTAssertEqual(l.diags, [])
        }
    }

    func testReservedWordsAreExactlyTheContractList() {
        XCTAssertEqual(reservedWords, Self.contractKeywords.sorted())
        let keywordKinds = TokenKind.allCases.filter(\.isKeyword)
        XCTAssertEqual(Set(keywordKinds.map(\.spelling)), Set(Self.contractKeywords))
    }

    func testKeywordsAreCaseSensitive() {
        let l = lex("Policy WHEN If True")
        XCTAssertEqual(l.kinds, [.identifier, .identifier, .identifier, .identifier])
    }

    func testKeywordPrefixesAndExtensionsAreIdentifiers() {
        let l = lex("policys inn whenever a_nd ifx to_")
        XCTAssertEqual(l.kinds, Array(repeating: .identifier, count: 6))
    }

    /// §2: words that matter only in one place are ordinary identifiers.
    func testContextualWordsAreIdentifiers() {
        let words = ["size", "seed", "uniform", "weighted", "to", "most_specific", "latest",
                     "deny_overrides", "permit_overrides", "min", "max", "year", "month", "quarter",
                     "it", "baseline", "day", "days", "week", "weeks", "months", "years", "list",
                     "kind", "bool", "int", "number", "string", "date", "duration"]
        for w in words {
            let l = lex(w)
            XCTAssertEqual(l.kinds, [.identifier], w)
        }
    }

    // MARK: Punctuation

    func testPunctuation() {
        let l = lex("{ } ( ) [ ] , : . = == != < <= > >= + - * / ..")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.lBrace, .rBrace, .lParen, .rParen, .lBracket, .rBracket, .comma, .colon,
                                 .dot, .equal, .equalEqual, .bangEqual, .less, .lessEqual, .greater,
                                 .greaterEqual, .plus, .minus, .star, .slash, .dotDot])
    }

    func testPunctuationWithoutBlanks() {
        let l = lex("a<=b>=c==d!=e..f")
        XCTAssertEqual(l.kinds, [.identifier, .lessEqual, .identifier, .greaterEqual, .identifier,
                                 .equalEqual, .identifier, .bangEqual, .identifier, .dotDot, .identifier])
    }

    // MARK: Integers, numbers, percentages

    func testIntegers() {
        let l = lex("42 0 1_000_000 007 9223372036854775807")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .intLiteral, count: 5))
        XCTAssertEqual(l.tokens.map(\.payload), [42, 0, 1_000_000, 7, Int64.max])
        XCTAssertEqual(l.texts[2], "1_000_000")
    }

    func testNumbers() {
        let l = lex("0.35 1.5e3 1e3 2.5E-1 1_000.5 3.0e+2")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .numberLiteral, count: 6))
        XCTAssertEqual(l.tokens.map(\.doubleValue), [0.35, 1500, 1000, 0.25, 1000.5, 300])
    }

    /// The lexer computes short decimals and percentages without parsing text; the value
    /// must be exactly what parsing the text gives (the nearest double, §9.6 for `p%`).
    func testDecimalsAndPercentagesAreCorrectlyRounded() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var words: [String] = []
        for _ in 0..<3_000 {
            let intDigits = Int(next() % 8) + 1, fracDigits = Int(next() % 9)
            var text = String((0..<intDigits).map { _ in Character(String(next() % 10)) })
            if fracDigits > 0 { text += "." + String((0..<fracDigits).map { _ in Character(String(next() % 10)) }) }
            words.append(text)
        }
        let l = lex(words.map { $0 + "% " + $0 }.joined(separator: " ") + (words.count % 2 == 0 ? "" : ""))
        XCTAssertEqual(l.diags, [])
        for (i, w) in words.enumerated() {
            let percent = l.tokens[2 * i], plain = l.tokens[2 * i + 1]
            XCTAssertEqual(percent.kind, .percentLiteral, w)
            XCTAssertEqual(percent.doubleValue, Lexer.percentValue(w), "\(w)%")
            if w.contains(".") {
                XCTAssertEqual(plain.kind, .numberLiteral, w)
                XCTAssertEqual(plain.doubleValue, Double(w), w)
            }
        }
    }

    func testIntegerBeforeRangeIsNotANumber() {
        let l = lex("1..5")
        XCTAssertEqual(l.kinds, [.intLiteral, .dotDot, .intLiteral])
        XCTAssertEqual(l.tokens.map(\.payload), [1, 0, 5])
    }

    func testPercentages() {
        let l = lex("8% 12.5% 70% 100% 5% 0.5% 1_000%")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .percentLiteral, count: 7))
        XCTAssertEqual(l.tokens[0].doubleValue, 0.08)
        XCTAssertEqual(l.tokens[1].doubleValue, 0.125)
        XCTAssertEqual(l.tokens[2].doubleValue, 0.7)
        XCTAssertEqual(l.tokens[3].doubleValue, 1.0)
        XCTAssertEqual(l.tokens[4].doubleValue, 0.05)
        XCTAssertEqual(l.tokens[5].doubleValue, 0.005)
        XCTAssertEqual(l.tokens[6].doubleValue, 10.0)
        XCTAssertEqual(l.texts, ["8%", "12.5%", "70%", "100%", "5%", "0.5%", "1_000%"])
    }

    /// §9.6: `p%` is the double nearest p/100, which is not always `p / 100.0`.
    func testPercentIsNearestDoubleNotDivision() {
        let l = lex("7% 29% 57%")
        XCTAssertEqual(l.tokens.map(\.doubleValue), [0.07, 0.29, 0.57])
    }

    func testPercentAfterBlankIsNotAPercentage() {
        let l = lex("8 %")
        XCTAssertEqual(l.kinds, [.intLiteral, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 3, "unexpected character '%'")])
        XCTAssertEqual(l.diagnostics.first?.hint, "a percentage is written right after a number, as in 8%")
    }

    func testIntegerTooLarge() {
        let l = lex("x = 9223372036854775808")
        XCTAssertEqual(l.kinds, [.identifier, .equal, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 5, "integer 9223372036854775808 is too large")])
    }

    func testNumberEndingWithUnderscore() {
        let l = lex("1_")
        XCTAssertEqual(l.diags, [Diag(1, 1, "a number cannot end with '_'")])
    }

    func testInvalidSuffixOnNumber() {
        let l = lex("2x 30days")
        XCTAssertEqual(l.kinds, [.invalid, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 2, "invalid suffix 'x' on number 2"),
                                 Diag(1, 6, "invalid suffix 'days' on number 30")])
        XCTAssertEqual(l.diagnostics[1].hint, "put a space before the unit: 30 days")
    }

    // MARK: Dates

    func testDates() {
        let l = lex("2012-12-21 1970-01-01 1800-01-01 2299-12-31 2012-02-29 2000-02-29")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .dateLiteral, count: 6))
        XCTAssertEqual(l.tokens[0].payload, 15695)
        XCTAssertEqual(l.tokens[1].payload, 0)
        XCTAssertEqual(l.tokens[2].payload, Int64(CivilDate.dayNumber(year: 1800, month: 1, day: 1)))
        XCTAssertEqual(l.tokens[3].payload, Int64(CivilDate.dayNumber(year: 2299, month: 12, day: 31)))
        XCTAssertEqual(CivilDate(dayNumber: Int(l.tokens[4].payload)).description, "2012-02-29")
        XCTAssertEqual(CivilDate(dayNumber: Int(l.tokens[5].payload)).description, "2000-02-29")
    }

    func testDateSpanCoversTenCharacters() {
        let l = lex("  2013-06-01")
        XCTAssertEqual(l.tokens.first?.span, Span(2, 12))
    }

    func testDateAdjacentToPunctuation() {
        let l = lex("(2010-01-01..2014-12-31)")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.lParen, .dateLiteral, .dotDot, .dateLiteral, .rParen])
    }

    /// §2: `2013-1` is a subtraction.
    func testShortDateIsSubtraction() {
        let l = lex("2013-1")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.intLiteral, .minus, .intLiteral])
        XCTAssertEqual(l.tokens.map(\.payload), [2013, 0, 1])
    }

    func testDateShapesThatAreNotDates() {
        // one-digit day; five-digit year; digit after the day
        XCTAssertEqual(lex("2013-01-1").kinds, [.intLiteral, .minus, .intLiteral, .minus, .intLiteral])
        XCTAssertEqual(lex("20130-01-01").kinds, [.intLiteral, .minus, .intLiteral, .minus, .intLiteral])
        XCTAssertEqual(lex("2013-01-011").kinds, [.intLiteral, .minus, .intLiteral, .minus, .intLiteral])
        XCTAssertEqual(lex("2013 - 01 - 01").kinds, [.intLiteral, .minus, .intLiteral, .minus, .intLiteral])
    }

    func testImpossibleDate() {
        let l = lex("let d = 2013-02-30")
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 9, "impossible date 2013-02-30: February 2013 has 28 days")])
        XCTAssertEqual(l.diagnostics.first?.span, Span(8, 18))
    }

    func testMonth13AndMonth0() {
        let l = lex("2013-13-01 2013-00-10")
        XCTAssertEqual(l.kinds, [.invalid, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 1, "impossible date 2013-13-01: there is no month 13"),
                                 Diag(1, 12, "impossible date 2013-00-10: there is no month 0")])
    }

    func testDayZeroAndThirtyFirstOfApril() {
        let l = lex("2013-04-31 2013-05-00")
        XCTAssertEqual(l.diags, [Diag(1, 1, "impossible date 2013-04-31: April 2013 has 30 days"),
                                 Diag(1, 12, "impossible date 2013-05-00: May 2013 has 31 days")])
    }

    func testYearOutOfRange() {
        let l = lex("1799-12-31 2300-01-01")
        XCTAssertEqual(l.kinds, [.invalid, .invalid])
        XCTAssertEqual(l.diags, [Diag(1, 1, "date 1799-12-31 is outside the supported years 1800–2299"),
                                 Diag(1, 12, "date 2300-01-01 is outside the supported years 1800–2299")])
    }

    func testLeapDays() {
        XCTAssertEqual(lex("2012-02-29").kinds, [.dateLiteral])
        XCTAssertEqual(lex("2012-02-29").diags, [])
        XCTAssertEqual(lex("2013-02-29").diags, [Diag(1, 1, "impossible date 2013-02-29: February 2013 has 28 days")])
        XCTAssertEqual(lex("2000-02-29").diags, [])
        XCTAssertEqual(lex("1900-02-29").diags, [Diag(1, 1, "impossible date 1900-02-29: February 1900 has 28 days")])
        XCTAssertEqual(lex("2012-02-30").diags, [Diag(1, 1, "impossible date 2012-02-30: February 2012 has 29 days")])
    }

    // MARK: Durations

    func testDurations() {
        let l = lex("30 days 1 year 2 weeks 6 months 1 day 1 week 1 month 3 years 1_000 days")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .durationLiteral, count: 9))
        let decoded = l.tokens.map { ($0.payload >> 2, DurationUnit(rawValue: Int($0.payload & 3))!) }
        XCTAssertEqual(decoded.map(\.0), [30, 1, 2, 6, 1, 1, 1, 3, 1000])
        XCTAssertEqual(decoded.map(\.1), [.day, .year, .week, .month, .day, .week, .month, .year, .day])
        XCTAssertEqual(l.texts[0], "30 days")
    }

    func testDurationAcrossBlanksAndTabs() {
        let l = lex("30 \t  days")
        XCTAssertEqual(l.kinds, [.durationLiteral])
        XCTAssertEqual(l.tokens[0].span, Span(0, 10))
    }

    /// §2: the unit must be on the same line.
    func testUnitOnNextLineIsNotADuration() {
        let l = lex("let x = 30\ndays")
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .intLiteral, .newline, .identifier])
    }

    func testUnitAfterCommentOnNextLineIsNotADuration() {
        let l = lex("let x = 30 # c\ndays")
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .intLiteral, .newline, .identifier])
    }

    func testOnlyIntegersTakeUnits() {
        XCTAssertEqual(lex("1.5 days").kinds, [.numberLiteral, .identifier])
        XCTAssertEqual(lex("5% days").kinds, [.percentLiteral, .identifier])
    }

    func testWordsThatOnlyStartLikeUnitsAreNotUnits() {
        XCTAssertEqual(lex("3 dayss").kinds, [.intLiteral, .identifier])
        XCTAssertEqual(lex("3 yearly").kinds, [.intLiteral, .identifier])
        XCTAssertEqual(lex("3 day_count").kinds, [.intLiteral, .identifier])
        XCTAssertEqual(lex("3 Days").kinds, [.intLiteral, .identifier])
    }

    func testDurationTooLong() {
        let l = lex("1099511627776 days")
        XCTAssertEqual(l.kinds, [.invalid])
        XCTAssertEqual(l.diags, [Diag(1, 1, "duration 1099511627776 days is too long")])
    }

    // MARK: Strings

    func testStringsWithEscapes() {
        let src = #""plain" "a\"b" "back\\slash" "line\nbreak" "tab\there" "\u{E9}t\u{E9}" "\u{1F600}" "caf\#u{E9}""#
        let l = lex(src)
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, Array(repeating: .stringLiteral, count: 8))
        let values = l.tokens.map { Lexer.stringValue(l.file.bytes, $0.span) }
        XCTAssertEqual(values, ["plain", "a\"b", "back\\slash", "line\nbreak", "tab\there", "été", "😀", "café"])
    }

    func testEmptyString() {
        let l = lex(#"x = """#)
        XCTAssertEqual(l.kinds, [.identifier, .equal, .stringLiteral])
        XCTAssertEqual(Lexer.stringValue(l.file.bytes, l.tokens[2].span), "")
    }

    func testUnterminatedString() {
        let l = lex("let s = \"abc\nlet t = 1")
        XCTAssertEqual(l.diags, [Diag(1, 9, "unterminated string")])
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .stringLiteral, .newline,
                                 .kwLet, .identifier, .equal, .intLiteral])
        XCTAssertEqual(l.tokens[3].span, Span(8, 12))
    }

    func testUnterminatedStringAtEndOfInputAndBeforeCRLF() {
        XCTAssertEqual(lex("\"abc").diags, [Diag(1, 1, "unterminated string")])
        let crlf = lex("\"abc\r\nx")
        XCTAssertEqual(crlf.diags, [Diag(1, 1, "unterminated string")])
        XCTAssertEqual(crlf.tokens[0].span, Span(0, 4))
    }

    func testStringCannotHoldARawNewline() {
        let l = lex("\"a\nb\"")
        XCTAssertEqual(l.diags.first, Diag(1, 1, "unterminated string"))
    }

    func testUnknownEscape() {
        let l = lex(#"x = "bad \q here""#)
        XCTAssertEqual(l.diags, [Diag(1, 10, #"unknown escape '\q'"#)])
        XCTAssertEqual(l.kinds, [.identifier, .equal, .stringLiteral])
    }

    func testBadUnicodeEscapes() {
        let cases: [(String, String)] = [
            (#""\u{110000}""#, "beyond U+10FFFF"),
            (#""\u{D800}""#, "a surrogate"),
            (#""\u{}""#, "no digits"),
            (#""\u{1234567}""#, "seven digits"),
            (#""\u{12""#, "no closing brace"),
            (#""\u{zz}""#, "not hex"),
        ]
        for (src, why) in cases {
            let l = lex(src)
            XCTAssertEqual(l.diags, [Diag(1, 2, "invalid unicode escape")], why)
            XCTAssertEqual(l.kinds.first, .stringLiteral, why)
        }
    }

    func testBackslashUWithoutBraceIsUnknownEscape() {
        XCTAssertEqual(lex(#""\u12""#).diags, [Diag(1, 2, #"unknown escape '\u'"#)])
    }

    func testSingleQuotedString() {
        let l = lex("x = 'abc'")
        XCTAssertEqual(l.kinds, [.identifier, .equal, .stringLiteral])
        XCTAssertEqual(l.diags, [Diag(1, 5, "strings use double quotes")])
    }

    func testNonASCIIInsideStrings() {
        let l = lex("\"Zürich – 東京\"")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(Lexer.stringValue(l.file.bytes, l.tokens[0].span), "Zürich – 東京")
    }

    // MARK: Comments

    func testCommentsAreCollectedAndSkipped() {
        let src = "# first\nlet x = 1 # trailing\n## doc line\n  ## indented doc\nx ## not doc\n#  ## not doc\n### triple\n"
        let l = lex(src)
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .intLiteral, .newline, .identifier])
        XCTAssertEqual(l.comments.map { l.file.text($0.span) },
                       ["# first", "# trailing", "## doc line", "## indented doc", "## not doc", "#  ## not doc", "### triple"])
        XCTAssertEqual(l.comments.map(\.isDoc), [false, false, true, true, false, false, true])
        XCTAssertEqual(l.comments.map(\.ownLine), [true, false, true, true, false, true, true])
    }

    func testDocCommentOnFirstLine() {
        let l = lex("## doc\nlet x = 1")
        XCTAssertEqual(l.comments.map(\.isDoc), [true])
    }

    func testCommentAtEndOfInputWithoutNewline() {
        let l = lex("x # c")
        XCTAssertEqual(l.kinds, [.identifier])
        XCTAssertEqual(l.comments.map { l.file.text($0.span) }, ["# c"])
    }

    func testHashInsideStringIsNotAComment() {
        let l = lex("\"a # b\" # c")
        XCTAssertEqual(l.kinds, [.stringLiteral])
        XCTAssertEqual(l.comments.count, 1)
    }

    // MARK: Newline rules (§2)

    func testNewlineEndsStatements() {
        let l = lex("a\nb\n\n\nc\n")
        XCTAssertEqual(l.kinds, [.identifier, .newline, .identifier, .newline, .identifier])
    }

    func testNoNewlineTokenAtStartOrEnd() {
        let l = lex("\n\n  a  \n\n")
        XCTAssertEqual(l.kinds, [.identifier])
    }

    func testNoNewlinesInsideParenthesesAndBrackets() {
        XCTAssertEqual(lex("f(a\nb\n)\nc").kinds,
                       [.identifier, .lParen, .identifier, .identifier, .rParen, .newline, .identifier])
        XCTAssertEqual(lex("[1\n,2\n]\nc").kinds,
                       [.lBracket, .intLiteral, .comma, .intLiteral, .rBracket, .newline, .identifier])
    }

    func testNewlinesInsideBraces() {
        XCTAssertEqual(lex("{a\nb}").kinds, [.lBrace, .identifier, .newline, .identifier, .rBrace])
    }

    /// The innermost bracket decides: a `{` inside parentheses brings newlines back, and
    /// `(` inside `{` takes them away again.
    func testInnermostBracketDecides() {
        XCTAssertEqual(lex("f(x {\na\nb\n})\nc").kinds,
                       [.identifier, .lParen, .identifier, .lBrace, .newline, .identifier, .newline,
                        .identifier, .newline, .rBrace, .rParen, .newline, .identifier])
        XCTAssertEqual(lex("{ g(a\nb)\nc }").kinds,
                       [.lBrace, .identifier, .lParen, .identifier, .identifier, .rParen, .newline,
                        .identifier, .rBrace])
        XCTAssertEqual(lex("( [ {\na } \n b ] \n c)").kinds,
                       [.lParen, .lBracket, .lBrace, .newline, .identifier, .rBrace, .identifier,
                        .rBracket, .identifier, .rParen])
    }

    func testNoNewlineAfterBinaryOperators() {
        for op in ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "within"] {
            let l = lex("a \(op)\nb\nc")
            XCTAssertEqual(l.kinds.filter { $0 == .newline }.count, 1, "after '\(op)'")
            XCTAssertEqual(l.kinds.last, .identifier)
            XCTAssertEqual(l.kinds[l.kinds.count - 2], .newline, "after '\(op)'")
        }
    }

    func testNoNewlineAfterEqualThenElseAndComma() {
        for word in ["=", "then", "else", ","] {
            let l = lex("a \(word)\nb\nc")
            XCTAssertEqual(l.kinds.filter { $0 == .newline }.count, 1, "after '\(word)'")
        }
    }

    func testTrailingCommentDoesNotChangeContinuation() {
        XCTAssertEqual(lex("a and # why\nb").kinds, [.identifier, .kwAnd, .identifier])
        XCTAssertEqual(lex("x = # why\n1").kinds, [.identifier, .equal, .intLiteral])
        XCTAssertEqual(lex("a # why\nb").kinds, [.identifier, .newline, .identifier])
    }

    func testCommentLinesBetweenContinuedLines() {
        XCTAssertEqual(lex("a +\n# comment\n\nb").kinds, [.identifier, .plus, .identifier])
    }

    func testNoNewlineBeforeContinuationWords() {
        for word in ["else", "then", "combine", "from", "until", "under", "at", "where", "by"] {
            let l = lex("a\n\(word) b")
            XCTAssertFalse(l.kinds.contains(.newline), "before '\(word)'")
            XCTAssertEqual(l.tokens[1].startsLine, true, "'\(word)' still starts a line")
        }
    }

    /// §2: `when` is not a continuation word; at the start of a line it begins a reaction.
    func testWhenAtLineStartIsNotAContinuation() {
        XCTAssertEqual(lex("a\nwhen b").kinds, [.identifier, .newline, .kwWhen, .identifier])
    }

    func testOtherWordsAtLineStartEndTheStatement() {
        for word in ["and", "or", "on", "as", "with", "in", "+", "-", "=="] {
            let l = lex("a\n\(word) b")
            XCTAssertEqual(l.kinds[1], .newline, "before '\(word)'")
        }
    }

    func testStartsLineFlag() {
        let l = lex("a b\n  c")
        XCTAssertEqual(l.kinds, [.identifier, .identifier, .newline, .identifier])
        XCTAssertEqual([l.tokens[0], l.tokens[1], l.tokens[3]].map(\.startsLine), [true, false, true])
    }

    func testStrayClosersDoNotConfuseTheBracketStack() {
        // `)` with nothing open is left to the parser; later newlines still count.
        XCTAssertEqual(lex(")\na\nb").kinds, [.rParen, .newline, .identifier, .newline, .identifier])
        // `(` closed by a `]`: the lexer pops to the matching opener only.
        XCTAssertEqual(lex("{ ( ] \n a }").kinds, [.lBrace, .lParen, .rBracket, .identifier, .rBrace])
    }

    func testNewlineTokenSpanIsEmptyAtNextToken() {
        let l = lex("a\nb")
        XCTAssertEqual(l.tokens[1].kind, .newline)
        XCTAssertEqual(l.tokens[1].span, Span(2, 2))
    }

    // MARK: Bad characters and encodings

    func testUnexpectedCharacters() {
        let l = lex("a ; b ! c @ d $ e ~ f ^ g")
        XCTAssertEqual(l.diags, [Diag(1, 3, "unexpected character ';'"),
                                 Diag(1, 7, "unexpected character '!'"),
                                 Diag(1, 11, "unexpected character '@'"),
                                 Diag(1, 15, "unexpected character '$'"),
                                 Diag(1, 19, "unexpected character '~'"),
                                 Diag(1, 23, "unexpected character '^'")])
        XCTAssertEqual(l.diagnostics[0].hint, "statements end at the end of the line")
        XCTAssertEqual(l.diagnostics[1].hint, "write 'not' for negation, '!=' for inequality")
        XCTAssertEqual(l.kinds.filter { $0 == .invalid }.count, 6)
        XCTAssertEqual(l.kinds.filter { $0 == .identifier }.count, 7)
    }

    func testAndAndOrOrAreReportedButReadAsAndOr() {
        let l = lex("a && b || c")
        XCTAssertEqual(l.kinds, [.identifier, .kwAnd, .identifier, .kwOr, .identifier])
        XCTAssertEqual(l.diags, [Diag(1, 3, "unexpected '&&'"), Diag(1, 8, "unexpected '||'")])
        XCTAssertEqual(l.diagnostics.map(\.hint), ["write 'and'", "write 'or'"])
    }

    func testSingleAmpersandAndPipe() {
        let l = lex("a & b | c")
        XCTAssertEqual(l.diags, [Diag(1, 3, "unexpected character '&'"), Diag(1, 7, "unexpected character '|'")])
    }

    func testNonASCIICharacterOutsideStrings() {
        let l = lex("let é = 1")
        XCTAssertEqual(l.diags, [Diag(1, 5, "unexpected character 'é'")])
        XCTAssertEqual(l.tokens[1].kind, .invalid)
        XCTAssertEqual(l.tokens[1].span, Span(4, 6))   // one token for the whole 2-byte character
    }

    func testSmartQuotes() {
        let l = lex("x = “a”")
        XCTAssertEqual(l.diags.map(\.message), ["unexpected character '“'", "unexpected character '”'"])
        XCTAssertEqual(l.diagnostics.first?.hint, "use straight double quotes \"...\"")
    }

    func testControlCharacterIsShownEscaped() {
        let l = lex("a \u{01} b")
        XCTAssertEqual(l.diags, [Diag(1, 3, "unexpected character '\\u{1}'")])
    }

    func testInvalidUTF8() {
        let bytes: [UInt8] = Array("a ".utf8) + [0xFF, 0xFE] + Array(" b\nc".utf8)
        let l = lex(bytes: bytes)
        XCTAssertEqual(l.diags, [Diag(1, 3, "invalid UTF-8 in source")])
        XCTAssertEqual(l.diagnostics.first?.span, Span(2, 4))
        XCTAssertEqual(l.kinds, [.identifier, .invalid, .identifier, .newline, .identifier])
    }

    func testTruncatedAndOverlongSequences() {
        // A lone continuation byte, a truncated 3-byte sequence, an overlong '/' and an encoded surrogate.
        for bad in [[0x80], [0xE2, 0x82], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] as [[UInt8]] {
            let l = lex(bytes: Array("x ".utf8) + bad + Array(" y".utf8))
            XCTAssertEqual(l.diags.map(\.message), ["invalid UTF-8 in source"], "\(bad)")
            XCTAssertEqual(l.kinds.first, .identifier)
            XCTAssertEqual(l.kinds.last, .identifier)
        }
    }

    func testInvalidUTF8InsideString() {
        let bytes: [UInt8] = Array("s = \"a".utf8) + [0xC3] + Array("x\"".utf8)
        let l = lex(bytes: bytes)
        XCTAssertEqual(l.diags, [Diag(1, 7, "invalid UTF-8 in string")])
        XCTAssertEqual(l.kinds, [.identifier, .equal, .stringLiteral])
    }

    func testByteOrderMarkAtStartIsIgnored() {
        let l = lex("\u{FEFF}## doc\nlet x = 1")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .intLiteral])
        XCTAssertEqual(l.tokens[0].startsLine, true)
        XCTAssertEqual(l.comments.map(\.isDoc), [true])
        let plain = lex("\u{FEFF}let x = 1")
        XCTAssertEqual(plain.diags, [])
        XCTAssertEqual(plain.kinds, [.kwLet, .identifier, .equal, .intLiteral])
        XCTAssertEqual(plain.tokens[0].span, Span(3, 6))
    }

    func testByteOrderMarkElsewhereIsAnError() {
        let l = lex("a \u{FEFF}b")
        XCTAssertEqual(l.diags.map(\.message), ["unexpected character '\u{FEFF}'"])
    }

    func testCRLFLineEndings() {
        let l = lex("let x = 1\r\nlet y = \"a\" # c\r\n## d\r\nz +\r\n w\r\n")
        XCTAssertEqual(l.diags, [])
        XCTAssertEqual(l.kinds, [.kwLet, .identifier, .equal, .intLiteral, .newline,
                                 .kwLet, .identifier, .equal, .stringLiteral, .newline,
                                 .identifier, .plus, .identifier])
        XCTAssertEqual(l.comments.map { l.file.text($0.span) }, ["# c", "## d"])
        XCTAssertEqual(l.comments.map(\.isDoc), [false, true])
        XCTAssertEqual(Lexer.stringValue(l.file.bytes, l.tokens[8].span), "a")
        let loc = l.file.location(of: Int(l.tokens[5].span.start))
        XCTAssertEqual(loc.line, 2)
        XCTAssertEqual(loc.column, 1)
        XCTAssertEqual(l.file.lineText(1), "let x = 1")
    }

    func testTokenizeEndsWithEOF() {
        let (tokens, diagnostics) = Lexer.tokenize(sourceFile("a b"))
        XCTAssertEqual(tokens.map(\.kind), [.identifier, .identifier, .eof])
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(Lexer.tokenize(sourceFile("")).tokens.map(\.kind), [.eof])
    }

    func testEveryLexerErrorStillMakesProgress() {
        // A pile of bad input lexes to the end, one diagnostic per problem.
        // The single quote reads to the end of the line as a (wrongly quoted) string.
        let l = lex("; ! @ 2013-02-30 \"x\\q\" 1_ 9x ' \"open\nok")
        XCTAssertEqual(l.diags.map(\.message), [
            "unexpected character ';'", "unexpected character '!'", "unexpected character '@'",
            "impossible date 2013-02-30: February 2013 has 28 days", "unknown escape '\\q'",
            "a number cannot end with '_'", "invalid suffix 'x' on number 9", "strings use double quotes",
        ])
        XCTAssertEqual(l.kinds.suffix(2), [.newline, .identifier])
    }

    // MARK: Source locations

    func testLocationsCountCharactersNotBytes() {
        let f = sourceFile("é😀x\n東京 y")
        XCTAssertEqual(f.location(of: 0).column, 1)
        XCTAssertEqual(f.location(of: 2).column, 2)   // after é (2 bytes)
        XCTAssertEqual(f.location(of: 6).column, 3)   // after 😀 (4 bytes)
        XCTAssertEqual(f.location(of: 8).line, 2)
        XCTAssertEqual(f.location(of: 8).column, 1)
        XCTAssertEqual(f.location(of: 15).column, 4)  // y, after 東京 (6 bytes) and a blank
    }
}
