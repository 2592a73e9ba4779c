import XCTest
import PolicyCore
import PolicySyntax

// One test per distinct checker error: the exact message, its line:column (lines relative
// to the snippet after `prelude`, see CoreTestSupport.swift) and the hint, if any.
// Contract: ../shared/LANGUAGE.md §3, §4, §6, §8, §9.

private let cycleHint = "lets and decisions cannot depend on themselves; break the chain with a param or a new decision"
private let durationsHint = "day-based (day, week) and month-based (month, year) durations do not mix"
private let scenarioDeclHint = "declare them at the top level; scenarios change params, lets, decisions, policies, events, reactions and populations"
private let whereMessage = "'where' belongs to an aggregate such as count(population where …)"

/// A population over the prelude's `booking` that checks cleanly (3 lines).
private let bookings = """
population bookings of booking { size 10
  date uniform 2010-01-01 .. 2010-12-31
  jurisdiction weighted by admissions }

"""

final class CheckerNameTests: XCTestCase {
    func testUnknownNameSuggestsCloseSpelling() {
        assertCheckError("let x = cok", "unknown name 'cok'", at: 1, 9, hint: "did you mean 'cook'?")
    }

    func testUnknownNameWithNothingCloseHasNoHint() {
        assertCheckError("let x = zzzzzz", "unknown name 'zzzzzz'", at: 1, 9)
    }

    func testUnknownEnumMemberNearAMemberSuggestsIt() {
        assertCheckError("let f(b: booking): bool = b.charge == felon", "unknown name 'felon'", at: 1, 39,
                         hint: "did you mean 'felony'?")
    }

    func testUnknownQualifiedEnumMember() {
        assertCheckError("let f(b: booking): bool = charge.felon == b.charge", "enum 'charge' has no member 'felon'",
                         at: 1, 34, hint: "did you mean 'felony'?")
    }

    func testIndependentErrorsAreAllReported() {
        assertCheckDiagnostics("let x = cok + illinoi", [
            CheckDiag(1, 9, "unknown name 'cok'", hint: "did you mean 'cook'?"),
            CheckDiag(1, 15, "unknown name 'illinoi'", hint: "did you mean 'illinois'?"),
        ])
    }

    func testUnknownType() {
        assertCheckError("let f(b: bookin): bool = true", "unknown type 'bookin'", at: 1, 10, hint: "did you mean 'booking'?")
    }

    func testUnknownTypeInsideSetOf() {
        assertCheckError("let s: set of chrge = {}", "unknown type 'chrge'", at: 1, 15, hint: "did you mean 'charge'?")
    }

    func testUnknownRecordTypeInLiteral() {
        assertCheckError("let v = bookng { date: 2012-01-01 }", "unknown record type 'bookng'", at: 1, 9,
                         hint: "did you mean 'booking'?")
    }

    func testUnknownFieldOnRecord() {
        assertCheckError("let f(b: booking): bool = b.convictd", "record 'booking' has no field 'convictd'", at: 1, 29,
                         hint: "did you mean 'convicted'?")
    }

    func testUnknownFieldInWith() {
        assertCheckError("let v = booking { date: 2012-01-01, jurisdiction: cook } with { chrge: felony }",
                         "record 'booking' has no field 'chrge'", at: 1, 65, hint: "did you mean 'charge'?")
    }

    func testFieldOfANonRecord() {
        assertCheckError("let f(b: booking): bool = b.date.year", "a date has no field 'year'", at: 1, 34,
                         hint: "write year(b.date); the parts of a date are year(d), month(d), quarter(d), weekday(d)")
    }

    func testUnknownAttributeInJurisdictionDeclaration() {
        assertCheckError("jurisdiction ohio: state in usa { trst: 0.5 }", "unknown attribute 'trst'", at: 1, 35,
                         hint: "did you mean 'trust'?")
    }

    func testUnknownAttributeRead() {
        assertCheckError("let t = cook.trst", "jurisdictions have no attribute 'trst'", at: 1, 14, hint: "did you mean 'trust'?")
    }

    func testUnknownAttributeInSet() {
        assertCheckError("event e on 2012-01-01 by cook { set cook.trst = 1 }", "jurisdictions have no attribute 'trst'",
                         at: 1, 42, hint: "did you mean 'trust'?")
    }

    func testAttributeSetTwice() {
        assertCheckError("jurisdiction ohio: state in usa { trust: 0.5, trust: 0.6 }", "attribute 'trust' is set twice", at: 1, 47)
    }

    func testAttributeCalledLikeABuiltInAccessor() {
        assertCheckError("jurisdiction attributes { name: string = \"\" }",
                         "an attribute cannot be called 'name' (it is a built-in accessor)", at: 1, 27,
                         hint: "choose another name", withPrelude: false)
    }

    func testAmbiguousBareEnumMember() {
        assertCheckError("""
            enum a { x, y }
            enum b { x, z }
            let v = x
            """, "'x' is a member of several enums (a, b)", at: 3, 9, hint: "qualify it, as a.x")
    }

    func testAmbiguousKindMember() {
        assertCheckError("""
            enum level { county, city }
            let r = cook.kind == county
            let t = county
            """, "'county' is a member of several enums (kind, level)", at: 3, 9, hint: "qualify it, as kind.county")
    }

    func testAmbiguousMemberIsResolvedByTheExpectedType() {
        assertChecksClean("""
            enum a { x, y }
            enum b { x, z }
            let v: b = x
            record r { date: date, jurisdiction: jurisdiction, e: b = x }
            let t(q: r): bool = q.e == x
            let u(q: r): bool = x == q.e
            let w(q: r): bool = q.e in {x, z}
            let m: a = if true then x else y
            let n = b.x == x
            let o = a.y < x
            """)
    }

    func testUnknownParentJurisdiction() {
        assertCheckError("jurisdiction ohio: state in nowhere", "unknown parent jurisdiction 'nowhere'", at: 1, 29)
    }

    func testUnknownParentJurisdictionSuggests() {
        assertCheckError("jurisdiction chicago: city in cok", "unknown parent jurisdiction 'cok'", at: 1, 31,
                         hint: "did you mean 'cook'?")
    }

    func testCyclicJurisdictionParents() {
        assertCheckError("""
            jurisdiction a: state in b
            jurisdiction b: state in a
            """, "the jurisdictions form a cycle: a → b → a", at: 1, 14,
            hint: "each jurisdiction needs a parent above it, up to a root")
    }

    func testAgencyOfUnknownJurisdiction() {
        assertCheckError("agency fbi of nowhere", "unknown jurisdiction 'nowhere'", at: 1, 15)
    }

    func testDuplicateValueNameAcrossKinds() {
        assertCheckError("let cook = 1", "'cook' is already declared as a jurisdiction", at: 1, 5,
                         hint: "the first declaration is at t.policy:5:14")
    }

    func testDuplicateLet() {
        assertCheckError("let x = 1\nlet x = 2", "'x' is already declared as a let", at: 2, 5,
                         hint: "the first declaration is at t.policy:\(preludeLines + 1):5")
    }

    func testDuplicateDecision() {
        assertCheckError("decision detainer(b: booking): int = 1", "'detainer' is already declared as a decision", at: 1, 10,
                         hint: "the first declaration is at t.policy:8:10")
    }

    func testDuplicateType() {
        assertCheckError("enum charge { x }", "type 'charge' is already declared", at: 1, 6,
                         hint: "the first declaration is at t.policy:1:6")
        assertCheckError("record booking { date: date }", "type 'booking' is already declared", at: 1, 8,
                         hint: "the first declaration is at t.policy:7:8")
    }

    func testBuiltInTypeNameCannotBeRedeclared() {
        assertCheckError("enum int { a }", "'int' is a built-in type", at: 1, 6, hint: "choose another name")
    }

    func testPredeclaredBaseline() {
        assertCheckError("let baseline = 1", "'baseline' is a predeclared name", at: 1, 5, hint: "choose another name")
    }

    func testDuplicateEnumMember() {
        assertCheckError("enum e { a, a }", "'a' appears twice in enum 'e'", at: 1, 13)
    }

    func testDuplicateRecordField() {
        assertCheckError("record r { x: int, x: int }", "field 'x' appears twice in record 'r'", at: 1, 20)
    }

    func testTypesAndValuesAreSeparateNamespaces() {
        // §9.1: `enum outcome` and `decision outcome` coexist.
        assertChecksClean("""
            enum outcome { a, b }
            decision outcome(b: booking): outcome = a
            let x: outcome = outcome(booking { date: 2012-01-01, jurisdiction: cook })
            """)
    }

    func testLocalsShadowGlobals() {
        assertChecksClean("let f(cook: int): int = cook + 1")
    }
}

final class CheckerTypeTests: XCTestCase {
    func testDateComparedWithInt() {
        assertCheckError("let f(b: booking): bool = b.date < 5", "cannot compare a date with an int", at: 1, 27,
                         hint: "write a date as YYYY-MM-DD")
    }

    func testDateComparedWithString() {
        assertCheckError("let f(b: booking): bool = b.date == \"2012-01-01\"", "cannot compare a date with a string", at: 1, 27,
                         hint: "write a date without quotes, as 2013-06-01")
    }

    func testStringPlusInt() {
        assertCheckError("let s = \"x\" + 1", "cannot apply '+' to a string and an int", at: 1, 9,
                         hint: "both sides of '+' must be strings to join them")
    }

    func testIfBranchesOfDifferentTypes() {
        assertCheckError("let v = if true then 1 else \"x\"", "the branches of 'if' have different types: int and string",
                         at: 1, 29, hint: "both branches must give the same type")
    }

    func testIfConditionNotBool() {
        assertCheckError("let x = if 1 then 2 else 3", "the condition of 'if' must be a bool, not an int", at: 1, 12)
    }

    func testRuleValueDoesNotFitDecisionType() {
        assertCheckError("policy p by cook { detainer(b) = 5 }", "the answer of a rule for 'detainer' must be a bool, not an int",
                         at: 1, 34)
    }

    func testRuleWhenConditionNotBool() {
        assertCheckError("policy p by cook { detainer(b) = true when b.charge }", "the 'when' condition must be a bool, not a charge",
                         at: 1, 44)
    }

    func testDecisionDefaultOfWrongType() {
        assertCheckError("decision d(b: booking): bool = b.jurisdiction", "the default of 'd' must be a bool, not a jurisdiction",
                         at: 1, 32)
    }

    func testNumberWhereIntExpectedHintsRounding() {
        assertCheckError("decision d(b: booking): int = 1.5", "the default of 'd' must be an int, not a number", at: 1, 31,
                         hint: "use floor, ceil or round to make an int")
    }

    func testParamValueOfWrongType() {
        assertCheckError("param p: int = 0.5", "the value of param 'p' must be an int, not a number", at: 1, 16,
                         hint: "use floor, ceil or round to make an int")
    }

    func testRecordLiteralFieldOfWrongType() {
        assertCheckError("let b = booking { date: 2012-01-01, jurisdiction: cook, convicted: 3 }",
                         "field 'convicted' must be a bool, not an int", at: 1, 68)
    }

    func testRecordFieldDefaultOfWrongType() {
        assertCheckError("record r { date: date, jurisdiction: jurisdiction, x: int = \"s\" }",
                         "the default of 'x' must be an int, not a string", at: 1, 61)
    }

    func testAttributeValueOfWrongType() {
        assertCheckError("jurisdiction ohio: state in usa { trust: \"high\" }", "an attribute value must be a number, not a string",
                         at: 1, 42)
    }

    func testFieldGivenTwiceInLiteral() {
        assertCheckError("let v = booking { date: 2012-01-01, jurisdiction: cook, date: 2012-01-02 }",
                         "field 'date' is given twice", at: 1, 57)
    }

    func testMissingRecordFieldsAreNamed() {
        // The exact quoting of the record's name is tracked in CheckerKnownBugTests.
        let c = checkProgram("let b = booking { charge: felony }")
        XCTAssertEqual(c.diagnostics.count, 1, "\(c.diagnostics)")
        guard let d = c.diagnostics.first else { return }
        XCTAssertEqual([d.line, d.column], [1, 9])
        XCTAssertTrue(d.message.hasPrefix("missing fields in "), d.message)
        XCTAssertTrue(d.message.contains("booking"), d.message)
        XCTAssertTrue(d.message.contains("date") && d.message.contains("jurisdiction"), d.message)
        XCTAssertEqual(d.hint, "add date: …, jurisdiction: …")
    }

    func testOneMissingFieldIsSingular() {
        let c = checkProgram("let b = booking { date: 2012-01-01, charge: felony }")
        XCTAssertEqual(c.diagnostics.count, 1, "\(c.diagnostics)")
        guard let d = c.diagnostics.first else { return }
        XCTAssertEqual([d.line, d.column], [1, 9])
        XCTAssertTrue(d.message.hasPrefix("missing field in "), d.message)
        XCTAssertTrue(d.message.hasSuffix(": jurisdiction") || d.message.hasSuffix(": 'jurisdiction'"), d.message)
        XCTAssertEqual(d.hint, "add jurisdiction: …")
    }

    func testWithOnANonRecord() {
        assertCheckError("let v = 3 with { a: 1 }", "'with' needs a record, not an int", at: 1, 9)
    }

    func testOrderedComparisonOfRecords() {
        assertCheckError("let f(b: booking): bool = b < b",
                         "'<' needs ordered values (numbers, dates, durations, strings, enum members), not a booking", at: 1, 27)
    }

    func testSetElementsOfDifferentTypes() {
        assertCheckError("let v = {1, \"x\"}", "the elements have different types: int and string", at: 1, 13)
    }

    func testInOnANonCollection() {
        assertCheckError("let v = 1 in 2", "'in' needs a set or a list on its right, not an int", at: 1, 14, hint: "write x in {a, b}")
    }

    func testNegateAString() {
        assertCheckError("let v = -\"x\"", "'-' needs a number, an int or a duration, not a string", at: 1, 10)
    }

    func testNotOfAnInt() {
        assertCheckError("let v = not 1", "the operand of 'not' must be a bool, not an int", at: 1, 13)
    }

    func testAssertConditionNotBool() {
        assertCheckError("test \"t\" { assert 1 }", "an assert's condition must be a bool, not an int", at: 1, 19)
    }

    func testDurationsOfMixedFamiliesInASum() {
        assertCheckError("let x = 1 day + 1 month", "cannot add day-based and month-based durations", at: 1, 9, hint: durationsHint)
    }

    func testDurationsOfMixedFamiliesInAComparison() {
        assertCheckError("let y = 1 day < 1 month", "cannot compare a duration (days) with a duration (months)", at: 1, 9,
                         hint: durationsHint)
    }

    func testDateDifferenceIsDayBased() {
        assertCheckError("let f(b: booking): bool = b.date - 2012-01-01 > 1 month",
                         "cannot compare a duration (days) with a duration (months)", at: 1, 27, hint: durationsHint)
    }

    func testDaysOfAMonthBasedDuration() {
        assertCheckError("let z = days(1 month)",
                         "'days' needs a day-based duration (days, weeks, or a difference of dates), not a duration (months)",
                         at: 1, 14, hint: "months and years have no fixed number of days")
    }

    func testDurationArithmeticThatFits() {
        assertChecksClean("""
            let x = 2012-01-01 + 1 month < 2012-06-01
            let y = 1 month * 2 > 1 year
            let z = days(1 week)
            let f(b: booking): bool = b.date - 2012-01-01 > 1 week and days(b.date - 2012-01-01) > 3
            """)
    }

    func testIntWidensToNumber() {
        // §3, §9.6: arithmetic, comparison, if branches, min/max, set elements, params,
        // fields, let parameters and decision answers of type number.
        assertChecksClean("""
            param p: number = 1
            let x: number = 1 + 0.5
            let y: number = if true then 1 else 2.5
            let z = min(1, 2.5) < 3
            let v: number = max(1, 2)
            let s = {1.5, 2}
            let l = [1, 2.5]
            let t = 2 in {1.5, 2.5}
            let f(n: number): number = n
            let g = f(1)
            record r { date: date, jurisdiction: jurisdiction, n: number = 1 }
            let q = r { date: 2012-01-01, jurisdiction: cook, n: 2 }
            decision d(b: r): number = 1 combine max
            policy pol by cook { d(b) = if b.n > 1 then 1 else 0.5 }
            """)
    }

    func testNumberDoesNotNarrowToInt() {
        assertCheckError("let n: int = 1 + 0.5", "the value of 'n' must be an int, not a number", at: 1, 14,
                         hint: "use floor, ceil or round to make an int")
    }
}

final class CheckerCallTests: XCTestCase {
    func testLetCalledWithTooManyArguments() {
        assertCheckError("let f(x: int): int = x\nlet y = f(1, 2)", "'f' takes 1 argument, not 2", at: 2, 9)
    }

    func testLetArgumentOfWrongType() {
        assertCheckError("let f(x: int): int = x\nlet y = f(\"a\")", "argument 'x' of 'f' must be an int, not a string", at: 2, 11)
    }

    func testLetWithParametersUsedWithoutCall() {
        assertCheckError("let f(x: int): int = x\nlet y = f", "'f' takes 1 argument: call it as f(…)", at: 2, 9)
    }

    func testConstantLetCalled() {
        assertCheckError("let c = 3\nlet y = c(1)", "'c' is a constant, not a function: write c without parentheses", at: 2, 9)
    }

    func testDecisionCalledWithTwoArguments() {
        assertCheckError("let y = detainer(booking { date: 2012-01-01, jurisdiction: cook }, 2)",
                         "decision 'detainer' takes one case, not 2", at: 1, 9, hint: "write detainer(b)")
    }

    func testDecisionGivenANonCase() {
        assertCheckError("let y = detainer(3)", "the case given to 'detainer' must be a booking, not an int", at: 1, 18)
    }

    func testBuiltinWithTooManyArguments() {
        assertCheckError("let y = year(2012-01-01, 2)", "'year' takes 1 argument, not 2", at: 1, 9)
    }

    func testBuiltinWithTooFewArguments() {
        assertCheckError("let y = weekday()", "'weekday' takes 1 argument, not 0", at: 1, 9)
        assertCheckError("let y = chance()", "'chance' takes 1 or 2 arguments, not 0", at: 1, 9)
        assertCheckError("let x = min()", "'min' needs at least one argument", at: 1, 9)
    }

    func testBuiltinArgumentOfWrongType() {
        assertCheckError("let x = weekday(3)", "the argument of 'weekday' must be a date, not an int", at: 1, 17,
                         hint: "write a date as YYYY-MM-DD")
        assertCheckError("let x = floor(\"a\")", "'floor' needs a number, not a string", at: 1, 15)
        assertCheckError("let x = abs(\"s\")", "'abs' needs a number, an int or a duration, not a string", at: 1, 13)
    }

    func testMinOfUnorderedOrMixedValues() {
        assertCheckError("let x = max(true, false)", "'max' needs ordered values, not a bool", at: 1, 9)
        assertCheckError("let x = min(1, \"a\")", "the arguments of 'min' have different types: int and string", at: 1, 16)
    }

    func testUnknownFunctionSuggests() {
        assertCheckError("let x = mn(1, 2)", "unknown function 'mn'", at: 1, 9, hint: "did you mean 'min'?")
    }

    func testDecisionUsedAsAValue() {
        assertCheckError("let x = detainer", "'detainer' is a decision: call it with a case, as detainer(b)", at: 1, 9)
    }

    func testDecisionAppliedToTheImplicitSubject() {
        assertChecksClean(bookings + "let y = count(bookings where detainer and charge == felony)")
    }

    func testPopulationUsedAsAValue() {
        assertCheckError(bookings + "let y = bookings",
                         "'bookings' is a population: use it in count(…), share(…), sum(…), mean(…), table, compare or plot",
                         at: 4, 9)
    }

    func testScenarioUsedAsAValue() {
        assertCheckError("scenario s { }\nlet y = s", "'s' is a scenario: use it after 'under'", at: 2, 9, hint: "write EXPR under s")
    }

    func testAgencyAndPolicyUsedAsValues() {
        assertCheckError("let x = ice", "'ice' is an agency, not a value", at: 1, 9, hint: "its territory is 'usa'")
        assertCheckError("policy p by cook { }\nlet x = p", "'p' is a policy, not a value", at: 2, 9)
    }

    func testChanceLabelMustBeALiteral() {
        assertCheckError("decision d(b: booking): bool = chance(0.5, \"a\" + \"b\")",
                         "the label of 'chance' must be a string literal", at: 1, 44, hint: "write chance(p, \"label\")")
    }

    func testChanceWithALiteralLabel() {
        assertChecksClean("decision d(b: booking): bool = chance(50%, \"coin\") or chance(10%)")
    }

    func testWhereInALetCall() {
        assertCheckError("let f(x: int): int = x\nlet y = f(1 where true)", whereMessage, at: 2, 9)
    }

    func testWhereInABuiltinCall() {
        assertCheckError("let y = year(2012-01-01 where true)", whereMessage, at: 1, 9)
    }

    func testWhereInADecisionCall() {
        assertCheckError("decision d(b: booking): bool = detainer(b where true)", whereMessage, at: 1, 32)
    }

    func testWhereInAnAggregateIsFine() {
        assertChecksClean(bookings + "let y = share(bookings where convicted) + count(bookings where charge == felony)")
    }

    func testAncestorNeedsAKind() {
        assertCheckError("let x = ancestor(cook, state)\nlet y = ancestor(cook, 3)",
                         "the second argument of 'ancestor' (a kind) must be a kind, not an int", at: 2, 24)
    }

    func testUnknownScenarioAfterUnder() {
        assertCheckError("let u = 3 under nowhere", "unknown scenario 'nowhere'", at: 1, 17)
    }
}

final class CheckerDeclarationTests: XCTestCase {
    func testDecisionWithTwoParameters() {
        assertCheckError("decision d(a: booking, b: booking): bool = true", "a decision takes exactly one case, not 2", at: 1, 10,
                         hint: "write decision d(a: booking): bool = …")
    }

    func testDecisionWithANonCaseParameter() {
        assertCheckError("decision d(x: int): bool = true",
                         "a decision's case must be a record with fields 'date: date' and 'jurisdiction: jurisdiction'",
                         at: 1, 15, hint: "'int' is not a case type")
    }

    func testDecisionOnARecordThatIsNotACaseType() {
        assertCheckError("record note { text: string }\ndecision d(n: note): bool = true",
                         "a decision's case must be a record with fields 'date: date' and 'jurisdiction: jurisdiction'",
                         at: 2, 15, hint: "'note' is not a case type")
    }

    func testUnknownCombiner() {
        assertCheckError("decision d(b: booking): bool = true combine deny_overide", "unknown combiner 'deny_overide'", at: 1, 45,
                         hint: "did you mean 'deny_overrides'?")
    }

    func testDenyOverridesOnANonBoolDecision() {
        assertCheckError("decision d(b: booking): int = 1 combine deny_overrides",
                         "'deny_overrides' combines bool answers; 'd' gives an int", at: 1, 41,
                         hint: "use most_specific, latest, min or max")
    }

    func testMaxCombinerOnUnorderedAnswers() {
        assertCheckError("decision d(b: booking): bool = true combine max", "'max' needs ordered answers; 'd' gives a bool", at: 1, 45,
                         hint: "use deny_overrides, permit_overrides, most_specific or latest")
    }

    func testKnownCombiners() {
        assertChecksClean("""
            decision d1(b: booking): bool = true combine most_specific
            decision d2(b: booking): bool = true combine permit_overrides
            decision d3(b: booking): charge = felony combine max
            decision d4(b: booking): number = 1 combine min
            decision d5(b: booking): bool = true combine latest
            """)
    }

    func testPolicyWithUnknownOwner() {
        assertCheckError("policy p by cok { detainer(b) = true }",
                         "unknown owner 'cok': a policy is owned by a jurisdiction or an agency", at: 1, 13,
                         hint: "did you mean 'cook'?")
    }

    func testPolicyOwnedByANonJurisdictionParameter() {
        assertCheckError("policy p(j: int) by j { detainer(b) = false }", "a policy's owner must be a jurisdiction; 'j' is an int",
                         at: 1, 21)
    }

    func testRuleForAnUnknownDecision() {
        assertCheckError("policy p by cook { detaner(b) = true }", "unknown decision 'detaner'", at: 1, 20,
                         hint: "did you mean 'detainer'?")
    }

    func testPolicyFromAString() {
        assertCheckError("policy p by cook from \"2012\" { detainer(b) = false }", "'from' must be a date, not a string", at: 1, 23,
                         hint: "write a date without quotes, as 2013-06-01")
    }

    func testOverridesUnknownPolicy() {
        assertCheckError("policy p by ice overrides q { detainer(b) = true }", "unknown policy 'q'", at: 1, 27)
    }

    func testPolicyOverridesItself() {
        assertCheckError("policy p by cook overrides p { detainer(b) = false }", "a policy cannot override itself", at: 1, 8)
    }

    func testEnactOfAParameterisedPolicyWithoutArguments() {
        assertCheckError("""
            policy ban(j: jurisdiction) by j { detainer(b) = false }
            event e on 2012-01-01 by cook { enact ban }
            """, "'ban' has parameters: say which instance to enact", at: 2, 33, hint: "write enact ban(j)")
    }

    func testRepealAndCancelOfAParameterisedPolicyWithoutArguments() {
        // §9.13: naming a parameterised policy without arguments means all its instances.
        assertChecksClean("""
            policy ban(j: jurisdiction) by j { detainer(b) = false }
            event e on 2012-01-01 by cook { enact ban(cook) }
            event f on 2013-01-01 by cook { repeal ban }
            scenario s { cancel ban }
            """)
    }

    func testEnactWithArgumentOfWrongType() {
        assertCheckError("""
            policy ban(j: jurisdiction) by j { detainer(b) = false }
            event e on 2012-01-01 by cook { enact ban(3) }
            """, "argument 'j' of 'ban' must be a jurisdiction, not an int", at: 2, 43)
    }

    func testEnactWithArgumentsOfAPolicyWithout() {
        assertCheckError("""
            policy p by cook { detainer(b) = true }
            scenario s { event e on 2012-01-01 { enact p(cook) } }
            """, "policy 'p' takes 0 arguments, not 1", at: 2, 44, hint: "write p without parentheses")
    }

    func testEventByUnknownOwner() {
        assertCheckError("event e on 2012-01-01 by cok", "unknown jurisdiction or agency 'cok'", at: 1, 26, hint: "did you mean 'cook'?")
    }

    func testReactionToUnknownEvent() {
        assertCheckError("when nothing { }", "unknown event 'nothing'", at: 1, 6,
                         hint: "a reaction reads 'when EVENT { … }' or 'when j in jurisdictions where … { … }'")
    }

    func testAfterNeedsADuration() {
        assertCheckError("event e on 2012-01-01 by cook { after 3 { } }", "'after' needs a duration, not an int", at: 1, 39,
                         hint: "write after 30 days { … }")
    }

    func testSetAttributeToWrongType() {
        assertCheckError("event e on 2012-01-01 by cook { set cook.trust = \"x\" }",
                         "the new value of 'trust' must be a number, not a string", at: 1, 50)
    }

    func testRecursionThroughLets() {
        assertCheckError("""
            let a(x: int): int = b(x)
            let b(x: int): int = a(x)
            """, "cycle: a → b → a", at: 2, 22, hint: cycleHint)
    }

    func testRecursionThroughUntypedLets() {
        assertCheckError("let a = b + 1\nlet b = a + 1", "cycle: a → b → a", at: 2, 9, hint: cycleHint)
    }

    func testRecursionThroughADecisionsRules() {
        assertCheckError("""
            decision d1(b: booking): bool = d2(b)
            decision d2(b: booking): bool = false
            policy p by cook { d2(b) = d1(b) }
            """, "cycle: d1 → d2 → d1", at: 3, 28, hint: cycleHint)
    }

    func testRecursionThroughADecisionAndALet() {
        assertCheckError("decision d(b: booking): bool = s(b)\nlet s(b: booking): bool = d(b)", "cycle: d → s → d", at: 2, 27,
                         hint: cycleHint)
    }

    func testDirectRecursion() {
        assertCheckError("decision d(b: booking): bool = d(b)", "cycle: d → d", at: 1, 32, hint: cycleHint)
    }
}

final class CheckerScenarioTests: XCTestCase {
    func testCancelOfAnUnknownName() {
        assertCheckError("scenario s { cancel nothing }", "nothing called 'nothing' to cancel", at: 1, 21,
                         hint: "'cancel' names an event, policy or reaction of the scenario this one starts from")
    }

    func testCancelOfADecision() {
        assertCheckError("scenario s { cancel detainer }",
                         "'cancel' removes an event, a policy or a reaction; 'detainer' is a decision", at: 1, 21)
    }

    func testRedeclaringAJurisdiction() {
        assertCheckError("scenario s { jurisdiction cook: county in usa }",
                         "a scenario cannot re-declare jurisdiction 'cook'", at: 1, 27,
                         hint: "the jurisdiction tree is the same in every scenario; change its attributes with an event's 'set'")
    }

    func testRedeclaringARecord() {
        assertCheckError("scenario s { record booking { date: date, jurisdiction: jurisdiction } }",
                         "a scenario cannot re-declare record 'booking'", at: 1, 21,
                         hint: "it is declared at t.policy:7:8; give the new type another name")
    }

    func testRedeclaringAnEnum() {
        assertCheckError("scenario s { enum charge { a } }",
                         "a scenario cannot re-declare enum 'charge'", at: 1, 19,
                         hint: "it is declared at t.policy:1:6; give the new type another name")
    }

    func testRedeclaringAParamWithAnotherType() {
        assertCheckError("param discretion: number = 70%\nscenario s { param discretion: int = 1 }",
                         "'discretion' keeps its type (number) in a scenario", at: 2, 32)
    }

    func testRedeclaringALetAsAParam() {
        assertCheckError("let serious(b: booking): bool = b.convicted\nscenario s { param serious = true }",
                         "'serious' is a let; a scenario can only replace it with another param", at: 2, 20)
    }

    func testRedeclaringADecisionWithAnotherType() {
        assertCheckError("scenario s { decision detainer(b: booking): int = 1 }",
                         "'detainer' keeps its case and answer types (booking → bool) in a scenario", at: 1, 23)
    }

    func testRedeclaringALetWithAValueOfAnotherType() {
        assertCheckError("let x = 3\nscenario s { let x = \"a\" }", "the value of 'x' must be an int, not a string", at: 2, 22)
    }

    func testRedeclaringALetWithOtherParameters() {
        assertCheckError("let x(a: int): int = a\nscenario s { let x(a: string): int = 1 }",
                         "'x' must keep its parameters in a scenario", at: 2, 18)
    }

    func testRedeclaringAPolicyWithOtherParameters() {
        assertCheckError("""
            policy ban(j: jurisdiction) by j { detainer(b) = false }
            scenario s { policy ban by cook { detainer(b) = true } }
            """, "'ban' must keep its parameters in a scenario", at: 2, 21)
    }

    func testRedeclaringAPopulationWithAnotherRecord() {
        assertCheckError(bookings + """
            record other { date: date, jurisdiction: jurisdiction }
            scenario s { population bookings of other { size 1
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by admissions } }
            """, "population 'bookings' keeps its record type in a scenario", at: 5, 37)
    }

    func testScenarioFromUnknownScenario() {
        assertCheckError("scenario s from nowhere { }", "unknown scenario 'nowhere'", at: 1, 17)
    }

    func testScenarioStartingFromItself() {
        assertCheckError("scenario a from b { }\nscenario b from a { }", "scenario 'a' starts from itself (through 'from')",
                         at: 1, 10, hint: "start it from baseline or from a scenario that does not lead back to it")
    }

    func testDuplicateAdditionInAScenario() {
        assertCheckError("scenario s { event x on 2012-02-01 by cook\n  event x on 2012-03-01 by cook }",
                         "'x' is declared twice in scenario 's'", at: 2, 9, hint: "the first is at t.policy:9:20; keep one")
    }

    func testScenarioAdditionsAreNotVisibleAtTopLevel() {
        assertCheckError("scenario s { let x = 1 }\nlet y = x", "unknown name 'x'", at: 2, 9)
    }

    func testScenarioRedeclarationsThatKeepTheirTypes() {
        assertChecksClean("""
            param discretion: number = 70%
            let serious(b: booking): bool = b.convicted
            policy p by cook { detainer(b) = serious(b) }
            event e on 2012-01-01 by cook
            scenario s {
              param discretion = 100%
              let serious(b: booking): bool = b.charge == felony
              decision detainer(b: booking): bool = true
              policy p by ice { detainer(b) = false }
              cancel e
              event e2 on 2012-02-01 by cook
            }
            scenario t from s { cancel e2 }
            let q = detainer(booking { date: 2012-01-01, jurisdiction: cook }) under t
            """)
    }
}

final class CheckerPopulationTests: XCTestCase {
    private let head = """
        population p of booking {
          size 10
          date uniform 2010-01-01 .. 2010-12-31
          jurisdiction weighted by admissions

        """

    func testProbabilitiesNotSummingTo100Percent() {
        // The exact formatting of the total ("90%") is tracked in CheckerKnownBugTests.
        let c = checkProgram(head + "  charge { felony: 50%, misdemeanor: 40% }\n}")
        XCTAssertEqual(c.diagnostics.count, 1, "\(c.diagnostics)")
        guard let d = c.diagnostics.first else { return }
        XCTAssertEqual([d.line, d.column], [5, 3])
        XCTAssertTrue(d.message.hasPrefix("the probabilities of 'charge' add up to 90"), d.message)
        XCTAssertTrue(d.message.hasSuffix("%, not 100%"), d.message)
        XCTAssertEqual(d.hint, "make them sum to 100% (±0.01%)")
    }

    func testProbabilitiesSummingTo100PercentWithinTolerance() {
        assertChecksClean(head + "  charge { violent_felony: 5%, serious_felony: 5%, felony: 20%, misdemeanor: 69.995% }\n}")
    }

    func testUniformOnABool() {
        assertCheckError(head + "  convicted uniform 1 .. 2\n}", "'uniform' draws dates, ints or numbers; 'convicted' is a bool",
                         at: 5, 3)
    }

    func testCategoricalOnABool() {
        assertCheckError(head + "  convicted { felony: 100% }\n}", "{ member: p, … } draws enum members; 'convicted' is a bool",
                         at: 5, 3, hint: "for a bool field write a probability, as convicted 30%")
    }

    func testProbabilityOutOfRange() {
        assertCheckError(head + "  convicted 150%\n}", "a probability must be between 0% and 100%", at: 5, 13)
    }

    func testGeneratorForAnUnknownField() {
        assertCheckError(head + "  chrge { felony: 100% }\n}", "record 'booking' has no field 'chrge'", at: 5, 3,
                         hint: "did you mean 'charge'?")
    }

    func testMissingGeneratorsForFieldsWithoutDefaults() {
        assertCheckError("population p of booking {\n  size 10\n}", "no generator for 'date', 'jurisdiction', which have no default",
                         at: 1, 12, hint: "add a line such as date … to the population")
    }

    func testMissingSize() {
        assertCheckError("population p of booking {\n  date uniform 2010-01-01 .. 2010-12-31\n  jurisdiction weighted by admissions\n}",
                         "population 'p' needs a size", at: 1, 12, hint: "add 'size 10_000'")
    }

    func testSizeGivenTwice() {
        assertCheckError("population p of booking { size 10\n  size 20\n  date uniform 2010-01-01 .. 2010-12-31\n  jurisdiction weighted by admissions }",
                         "'size' is given twice", at: 2, 3)
    }

    func testPopulationOfUnknownRecord() {
        assertCheckError("population p of bookng { size 1 }", "unknown record type 'bookng'", at: 1, 17, hint: "did you mean 'booking'?")
    }

    func testQueryOverUnknownPopulation() {
        assertCheckError("table count by year from nowhere", "unknown population 'nowhere'", at: 1, 26)
    }

    func testQueryWhereWithMisspeltField() {
        assertCheckError(bookings + "table count by year from bookings where chrge == felony", "unknown name 'chrge'", at: 4, 41,
                         hint: "did you mean 'charge'?")
    }

    func testNotAnAggregate() {
        assertCheckError(bookings + "table 3 by year from bookings",
                         "not an aggregate: use count, count(COND), share(COND), sum(EXPR), mean(EXPR) or an enum-valued expression",
                         at: 4, 7, hint: "to add it up, write sum(3)")
    }
}

final class CheckerPositiveTests: XCTestCase {
    func testTheTasteProgramOfLanguageMdChecksClean() throws {
        guard let program = languageTasteProgram() else {
            throw XCTSkip("../shared/LANGUAGE.md (first ```policy block) not found")
        }
        assertChecksClean(program, withPrelude: false)
    }

    func testForwardReferences() {
        // §9.4: declarations are order-independent within a file.
        assertChecksClean("""
            let a = later + seen(booking2 { date: 2012-01-01, jurisdiction: cook2 })
            let later = 3
            let seen(b: booking2): int = if late_decision(b) then 1 else 0
            decision late_decision(b: booking2): bool = b.kind2 == k1 and b.jurisdiction within cook2
            policy late_policy by late_agency { late_decision(b) = true }
            event late_event on 2013-01-01 by cook2 { enact late_policy }
            agency late_agency of cook2
            enum kind2 { k1, k2 }
            record booking2 { date: date, jurisdiction: jurisdiction, kind2: kind2 = k1 }
            jurisdiction cook2: county in cook
            """)
    }

    func testCheckingAValidProgramGivesNoErrors() {
        let c = checkProgram("let x = 1 + 2")
        XCTAssertFalse(c.result.hasErrors)
        XCTAssertEqual(c.diagnostics, [])
    }
}
