import XCTest
import PolicyCore
import PolicySyntax

// Checker behaviour that once disagreed with the contract (../shared/LANGUAGE.md) or gave a
// wrong or confusing message; each test asserts the corrected behaviour. Lines are
// relative to the snippet after `prelude`.

final class CheckerRegressionTests: XCTestCase {
    // MARK: - Missed or spurious errors

    /// §9.14: "a cycle of `overrides` is a checker error". Today: no diagnostic at all.
    func testOverridesCycleIsAnError() {
        let c = checkProgram("""
            policy a by cook overrides b { detainer(x) = true }
            policy b by cook overrides a { detainer(x) = false }
            """)
        XCTAssertTrue(c.result.hasErrors, "a cycle of overrides must be rejected")
        XCTAssertTrue(c.diagnostics.contains { $0.message.contains("overrides") && $0.message.contains("a → b → a") },
                      "expected an error naming the chain a → b → a; got \(c.diagnostics)")
    }

    /// §8: "Several independent errors in one file are all reported." Today only the first
    /// recursion cycle is reported (checkCycles stops after one).
    func testEveryIndependentCycleIsReported() {
        assertCheckDiagnostics("""
            let a(x: int): int = a(x)
            let c(x: int): int = c(x)
            """, [
                CheckDiag(1, 22, "cycle: a → a", hint: "lets and decisions cannot depend on themselves; break the chain with a param or a new decision"),
                CheckDiag(2, 22, "cycle: c → c", hint: "lets and decisions cannot depend on themselves; break the chain with a param or a new decision"),
            ])
    }

    /// §9.11 is about what one evaluation can reach. Here no scenario has a cycle — in s1,
    /// a = c (baseline c = 1); in s2, c = a (baseline a = 1) — but the checker merges the
    /// definition graphs of all scenarios and reports `cycle: a → c → a` at 4:23.
    func testNoCycleAcrossSiblingScenarios() {
        assertChecksClean("""
            let a = 1
            let c = 1
            scenario s1 { let a = c }
            scenario s2 { let c = a }
            """)
    }

    /// §9.4: declarations are order-independent. Today: `param 'b' is used before its type
    /// is known` at 1:11 (params without a type are inferred in declaration order).
    func testUntypedParamMayBeUsedBeforeItsDeclaration() {
        assertChecksClean("""
            param a = b + 1
            param b = 1
            """)
    }

    /// Same (§9.4) for a record field's default: today `param 'cap' is used before its type
    /// is known` at 1:61 (record defaults are checked before any param).
    func testRecordDefaultMayUseALaterUntypedParam() {
        assertChecksClean("""
            record r { date: date, jurisdiction: jurisdiction, n: int = cap }
            param cap = 3
            """)
    }

    /// A jurisdiction's attribute value naming a declared `let` gets `unknown name 'limit'`
    /// (2:47) even when the let comes first: attributes are checked before lets are known.
    /// Either it should check (a constant let), or say that the value must be a literal —
    /// never that a declared name is unknown.
    func testAttributeValueNamingADeclaredLetIsNotAnUnknownName() {
        let c = checkProgram("""
            let limit = 5
            jurisdiction ohio: state in usa { admissions: limit }
            """)
        XCTAssertFalse(c.diagnostics.contains { $0.message == "unknown name 'limit'" },
                       "'limit' is declared; got \(c.diagnostics)")
    }

    /// §4.9 / §9.16: a scenario "may add any declaration"; it may only not RE-declare an
    /// existing jurisdiction, record or enum. Today adding a new record (or enum) is
    /// rejected with "a scenario cannot declare jurisdictions, agencies, records or enums".
    func testScenarioMayAddANewRecordAndEnum() {
        assertChecksClean("""
            scenario s {
              enum level { low, high }
              record extra { date: date, jurisdiction: jurisdiction, level: level = low }
            }
            """)
    }

    /// A scenario that re-declares the same event twice silently keeps the last one.
    /// The second declaration should be an error (as a duplicate addition already is).
    func testScenarioRedeclaringTheSameNameTwice() {
        let c = checkProgram("""
            event e on 2012-01-01 by cook
            scenario s { event e on 2012-02-01 by cook
              event e on 2012-03-01 by cook }
            """)
        XCTAssertEqual(c.diagnostics.map { [$0.line, $0.column] }, [[3, 9]], "\(c.diagnostics)")
        XCTAssertTrue(c.diagnostics.first?.message.contains("'e'") ?? false, "\(c.diagnostics)")
    }

    // MARK: - Wrong or misleading messages

    /// The hint hard-codes `booking`, a type this program does not have. Expected: keep the
    /// first parameter, `write decision d(a: case_): bool = …`.
    func testTwoParameterDecisionHintUsesTheProgramsCaseType() {
        assertCheckError("""
            jurisdiction usa: federal
            record case_ { date: date, jurisdiction: jurisdiction }
            decision d(a: case_, b: case_): bool = true
            """, "a decision takes exactly one case, not 2", at: 3, 10,
            hint: "write decision d(a: case_): bool = …", withPrelude: false)
    }

    /// `sum(nowhere, 1)` (no such population): today `'sum' needs a population first, as
    /// sum(bookings where …)` at 1:9 — it does not say that 'nowhere' is unknown, invents
    /// a population called 'bookings', and shows the wrong shape for sum (sum(POP, EXPR)).
    /// Expected, as `table … from nowhere` already says: `unknown population 'nowhere'` at
    /// the argument.
    func testAggregateOverUnknownPopulation() {
        assertCheckError("let x = sum(nowhere, 1)", "unknown population 'nowhere'", at: 1, 13)
    }

    /// `2012-01-01 + 5`: the hint says "write a date as YYYY-MM-DD", which is not the fix;
    /// the user means a duration (§3: `d + 30 days`).
    func testDatePlusIntHintsADuration() {
        let c = checkProgram("let x = 2012-01-01 + 5")
        XCTAssertEqual(c.diagnostics.map(\.message), ["cannot apply '+' to a date and an int"])
        let hint = c.diagnostics.first?.hint ?? ""
        XCTAssertFalse(hint.contains("YYYY-MM-DD"), "misleading hint: \(hint)")
        XCTAssertTrue(hint.contains("5 days"), "expected a hint such as 'add a duration, as 5 days'; got \(hint)")
    }

    /// An enum type used as a value: today `unknown name 'charge'`, though 'charge' is
    /// declared (as a type, §9.1).
    func testEnumTypeUsedAsAValue() {
        assertCheckError("let x = charge", "'charge' is a type, not a value", at: 1, 9,
                         hint: "write a member, as charge.violent_felony")
    }

    /// A decision named bare on a subject of another record type: the hint today is "the
    /// subject here is other, not its case type" — it never says what the case type is.
    func testDecisionOnTheWrongSubjectNamesItsCaseType() {
        let c = checkProgram("""
            record other { date: date, jurisdiction: jurisdiction }
            population others of other { size 10
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by admissions }
            let x = count(others where detainer)
            """)
        XCTAssertEqual(c.diagnostics.map { [$0.line, $0.column] }, [[5, 28]], "\(c.diagnostics)")
        let hint = c.diagnostics.first?.hint ?? ""
        XCTAssertTrue(hint.contains("'booking'") && hint.contains("'other'"),
                      "the hint should name the decision's case type and the subject's type, quoted; got \(hint)")
    }

    // MARK: - One mistake, one message (cascades)

    /// A bad `weighted by` attribute also yields "no generator for 'jurisdiction', which
    /// has no default" at 1:12 — the field does have a generator, just a wrong one.
    func testBadGeneratorDoesNotAlsoReportMissingGenerator() {
        assertCheckError("""
            population p of booking { size 10
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by circuit }
            """, "'weighted by' needs a numeric attribute; 'circuit' is a string", at: 3, 28)
    }

    /// A misspelt member in `{ member: p, … }` also yields "the probabilities of 'charge'
    /// add up to 50.0%, not 100%" at 4:3 — the sum is wrong only because of the typo.
    func testBadCategoricalMemberDoesNotAlsoReportTheSum() {
        assertCheckError("""
            population p of booking { size 10
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by admissions
              charge { felony: 50%, felon: 50% } }
            """, "enum 'charge' has no member 'felon'", at: 4, 25, hint: "did you mean 'felony'?")
    }

    // MARK: - Wording (minor)

    /// Today: "add up to 90.0%"; percentages elsewhere are written 90%.
    func testProbabilityTotalIsFormattedLikeAPercentage() {
        assertCheckError("""
            population p of booking {
              size 10
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by admissions
              charge { felony: 50%, misdemeanor: 40% }
            }
            """, "the probabilities of 'charge' add up to 90%, not 100%", at: 5, 3, hint: "make them sum to 100% (±0.01%)")
    }

    /// Today: "missing fields in booking: date, jurisdiction" — the only message that
    /// leaves a record's and fields' names unquoted (cf. "record 'booking' has no field
    /// 'x'", "no generator for 'date', 'jurisdiction'").
    func testMissingFieldsMessageQuotesNames() {
        assertCheckError("let b = booking { charge: felony }", "missing fields in 'booking': 'date', 'jurisdiction'", at: 1, 9,
                         hint: "add date: …, jurisdiction: …")
    }

    /// Today: "'felon' is not a member of charge" — unquoted, and worded differently from
    /// the qualified form's "enum 'charge' has no member 'felon'".
    func testCategoricalUnknownMemberWording() {
        let c = checkProgram("""
            population p of booking { size 10
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction weighted by admissions
              charge { felony: 50%, felon: 50% } }
            """)
        XCTAssertTrue(c.diagnostics.contains(CheckDiag(4, 25, "enum 'charge' has no member 'felon'", hint: "did you mean 'felony'?")),
                      "\(c.diagnostics)")
    }
}
