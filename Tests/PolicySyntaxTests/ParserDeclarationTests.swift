import XCTest
@testable import PolicySyntax

/// LANGUAGE.md §4: every declaration, effect, reaction, scenario and population form.
final class ParserDeclarationTests: XCTestCase {

    // MARK: 4.1 Enumerations

    func testEnum() {
        assertParses("enum charge { violent_felony, serious_felony, felony, misdemeanor }",
                     "(enum charge violent_felony serious_felony felony misdemeanor)")
        assertParses("enum e {\n  a\n  b,\n  c,\n}", "(enum e a b c)")
        assertParses("enum empty {}", "(enum empty )")
    }

    // MARK: 4.2 Jurisdictions and agencies

    func testJurisdictionAttributes() {
        assertParses(#"jurisdiction attributes { circuit: string = "", admissions: int = 0, trust: number = 1.0 }"#,
                     #"(attributes (circuit string "") (admissions int 0) (trust number 1.0))"#)
        assertParses("jurisdiction attributes {\n  trust: number = 100%\n  region: string\n}",
                     "(attributes (trust number 1.0) (region string))")
    }

    func testJurisdictionForms() {
        assertParses(#"jurisdiction usa: federal "United States""#,
                     #"(jurisdiction usa federal (label "United States"))"#)
        assertParses("jurisdiction usa: federal", "(jurisdiction usa federal)")
        assertParses("jurisdiction cook: county in illinois", "(jurisdiction cook county (in illinois))")
        assertParses(#"jurisdiction california: state in usa "California" { circuit: "ninth" }"#,
                     #"(jurisdiction california state (in usa) (label "California") (circuit "ninth"))"#)
        assertParses("jurisdiction los_angeles: county in california { admissions: 140_000, trust: 45% }",
                     "(jurisdiction los_angeles county (in california) (admissions 140000) (trust 0.45))")
        assertParses("jurisdiction x: city {\n  trust: 0.5\n}", "(jurisdiction x city (trust 0.5))")
    }

    func testJurisdictionsFromCSV() {
        assertParses(#"jurisdictions from "data/counties.csv""#, #"(jurisdictions-from "data/counties.csv")"#)
    }

    func testAgency() {
        assertParses(#"agency ice of usa "Immigration and Customs Enforcement""#,
                     #"(agency ice usa (label "Immigration and Customs Enforcement"))"#)
        assertParses("agency sheriff of cook", "(agency sheriff cook)")
    }

    // MARK: 4.3 Records

    func testRecord() {
        assertParses("record booking { date: date, jurisdiction: jurisdiction, charge: charge = misdemeanor }",
                     "(record booking (date date) (jurisdiction jurisdiction) (charge charge misdemeanor))")
    }

    func testRecordOnSeveralLinesWithComments() {
        let src = """
            record booking {
              date: date
              jurisdiction: jurisdiction
              convicted: bool = false          # has a prior conviction
              priors: int = 0, score: number = 0.5
            }
            """
        assertParses(src, "(record booking (date date) (jurisdiction jurisdiction) (convicted bool false) (priors int 0) (score number 0.5))")
    }

    func testKeywordFieldNamesInDeclarations() {
        assertParses("record r { population: int, from: date, at: int, if: bool, when: date }",
                     "(record r (population int) (from date) (at int) (if bool) (when date))")
        assertParses("jurisdiction attributes { population: int = 0, in: int = 1 }",
                     "(attributes (population int 0) (in int 1))")
        assertParses("jurisdiction c: county { population: 5 }", "(jurisdiction c county (population 5))")
    }

    func testKeywordFieldNamesStartingLinesInARecord() {
        // A line starting with a continuation word still starts a new field.
        assertParses("record r {\n  a: int\n  from: date\n  until: date\n  by: int\n}",
                     "(record r (a int) (from date) (until date) (by int))")
    }

    func testCollectionTypes() {
        assertParses("record r { tags: set of string, history: list of date, grid: list of list of int, js: set of jurisdiction }",
                     "(record r (tags (set-of string)) (history (list-of date)) (grid (list-of (list-of int))) (js (set-of jurisdiction)))")
    }

    func testFieldDefaultsAreExpressions() {
        assertParses("record r { start: date = 2010-01-01 + 30 days, limit: int = -1 }",
                     "(record r (start date (+ 2010-01-01 (duration 30 day))) (limit int (- 1)))")
    }

    // MARK: 4.4 Parameters and definitions

    func testParam() {
        assertParses("param discretion: number = 70%", "(param discretion number 0.7)")
        assertParses("param discretion = 100%", "(param discretion 1.0)")
        assertParses("param cutoff: date =\n  2012-12-21", "(param cutoff date 2012-12-21)")
    }

    func testLet() {
        assertParses("let serious(b: booking): bool = b.charge in {violent_felony, serious_felony} or b.convicted",
                     "(let serious (params (b booking)) bool (or (in (. b charge) (set violent_felony serious_felony)) (. b convicted)))")
        assertParses("let cutoff = 2012-12-21", "(let cutoff 2012-12-21)")
        assertParses("let h: int = 2", "(let h int 2)")
        assertParses("let g() = 1", "(let g (params) 1)")
        assertParses("let f(a: int, b: set of charge): number = a", "(let f (params (a int) (b (set-of charge))) number a)")
        assertParses("let j_of(x: jurisdiction): jurisdiction = x", "(let j_of (params (x jurisdiction)) jurisdiction x)")
    }

    func testLetValueOnFollowingLines() {
        assertParses("let x =\n  if a\n  then 1\n  else 2", "(let x (if a 1 2))")
    }

    // MARK: 4.5 Decisions

    func testDecision() {
        assertParses("decision honored(b: booking): bool = true combine deny_overrides",
                     "(decision honored (params (b booking)) bool true (combine deny_overrides))")
        assertParses("decision detainer(b: booking): bool = false",
                     "(decision detainer (params (b booking)) bool false)")
        assertParses("decision level(b: booking): int = 0\n  combine max",
                     "(decision level (params (b booking)) int 0 (combine max))")
    }

    func testDecisionWithMultiLineDefault() {
        let src = """
            decision outcome(b: booking): outcome =
              if not b.ident_match then no_match
              else if not detainer(b) then no_detainer
              else if not honored(b) then declined
              else transferred
            """
        assertParses(src, "(decision outcome (params (b booking)) outcome (if (not (. b ident_match)) no_match (if (not (call detainer b)) no_detainer (if (not (call honored b)) declined transferred))))")
    }

    // MARK: 4.6 Policies

    func testPolicyHeaderClauses() {
        assertParses("policy detainers_2008 by ice from 2008-10-27 until 2012-12-21 {\n  detainer(b) = b.ident_match and chance(discretion)\n}",
                     "(policy detainers_2008 (by ice) (from 2008-10-27) (until 2012-12-21) (rule detainer b (and (. b ident_match) (call chance discretion))))")
        assertParses(#"policy priorities_2012 by ice from 2012-12-21 "ICE detainer guidance" { detainer(b) = b.removal_order }"#,
                     #"(policy priorities_2012 (by ice) (from 2012-12-21) (label "ICE detainer guidance") (rule detainer b (. b removal_order)))"#)
        assertParses("policy detainer_ban(j: jurisdiction) by j { honored(b) = false }",
                     "(policy detainer_ban (params (j jurisdiction)) (by j) (rule honored b false))")
        assertParses("policy trust_act by california proposed overrides detainer_ban { honored(b) = serious(b) }",
                     "(policy trust_act (by california) proposed (overrides detainer_ban) (rule honored b (call serious b)))")
    }

    func testPolicyWithEveryClause() {
        assertParses(#"policy pp by cook from 2012-01-01 until 2013-01-01 proposed overrides a, b(cook) "lbl" { d(b) = 1 }"#,
                     #"(policy pp (by cook) (from 2012-01-01) (until 2013-01-01) proposed (overrides a (b cook)) (label "lbl") (rule d b 1))"#)
    }

    func testPolicyClausesInAnyOrder() {
        assertParses(#"policy p by c "lbl" until 2013-01-01 proposed from 2012-01-01 { d(b) = 1 }"#,
                     #"(policy p (by c) (from 2012-01-01) (until 2013-01-01) proposed (label "lbl") (rule d b 1))"#)
    }

    func testPolicyHeaderOnContinuationLines() {
        let src = """
            policy detainers_2008
              by ice
              from 2008-10-27
              until 2012-12-21 {
              detainer(b) = true
            }
            """
        assertParses(src, "(policy detainers_2008 (by ice) (from 2008-10-27) (until 2012-12-21) (rule detainer b true))")
    }

    func testPolicyRules() {
        let src = """
            policy p by cook {
              d(b) = 1 when b.convicted
              d(b) = 2, e(c) = if c.x then 3 else 4
              f(b) = b.x at 2012-01-01 when b.y under s
            }
            """
        assertParses(src, "(policy p (by cook) (rule d b 1 (when (. b convicted))) (rule d b 2) (rule e c (if (. c x) 3 4)) (rule f b (at (. b x) 2012-01-01) (when (under (. b y) s))))")
    }

    func testEmptyPolicy() {
        assertParses("policy p by c { }", "(policy p (by c))")
    }

    func testPolicyFromDateNamedByALet() {
        // `cutoff {` opens the rules; it is not a record literal (§6).
        assertParses("policy p by c from cutoff { d(b) = 1 }", "(policy p (by c) (from cutoff) (rule d b 1))")
        assertParses("policy p by c until cutoff + 1 year { d(b) = 1 }",
                     "(policy p (by c) (until (+ cutoff (duration 1 year))) (rule d b 1))")
    }

    // MARK: 4.8 Events

    func testEventForms() {
        assertParses("event cook_ordinance on 2011-09-07 by cook { enact detainer_ban(cook) }",
                     "(event cook_ordinance 2011-09-07 (by cook) (effects (enact (detainer_ban cook))))")
        assertParses(#"event trust_act_veto on 2012-09-30 by california "Governor vetoes AB 1081""#,
                     #"(event trust_act_veto 2012-09-30 (by california) (label "Governor vetoes AB 1081"))"#)
        assertParses("event e on 2012-01-01", "(event e 2012-01-01)")
        assertParses(#"event e on 2012-01-01 "label only""#, #"(event e 2012-01-01 (label "label only"))"#)
        assertParses("event e on 2012-01-01 { }", "(event e 2012-01-01 (effects))")
        assertParses("event e on cutoff + 30 days { repeal p }",
                     "(event e (+ cutoff (duration 30 day)) (effects (repeal p)))")
    }

    func testEventWithEverything() {
        let src = """
            event rescind_agreements on 2011-08-05 by ice "ICE voids all SC agreements" {
              repeal local_agreement
            }
            """
        assertParses(src, #"(event rescind_agreements 2011-08-05 (by ice) (label "ICE voids all SC agreements") (effects (repeal local_agreement)))"#)
    }

    // MARK: Effects

    func testEnactAndRepeal() {
        assertParses("event e on d { enact p }", "(event e d (effects (enact p)))")
        assertParses("event e on d { enact p() }", "(event e d (effects (enact (p))))")
        assertParses("event e on d { enact p(cook, 2) from 2012-02-01 until 2013-01-01 }",
                     "(event e d (effects (enact (p cook 2) (from 2012-02-01) (until 2013-01-01))))")
        assertParses("event e on d { enact p until 2013-01-01 from 2012-02-01 }",
                     "(event e d (effects (enact p (from 2012-02-01) (until 2013-01-01))))")
        assertParses("event e on d { repeal p }", "(event e d (effects (repeal p)))")
        assertParses("event e on d { repeal detainer_ban(cook) }", "(event e d (effects (repeal (detainer_ban cook))))")
    }

    func testSet() {
        assertParses("event e on d { set cook.trust = 0.5 }", "(event e d (effects (set (. cook trust) 0.5)))")
        assertParses("event e on d { set discretion = 50% }", "(event e d (effects (set discretion 0.5)))")
        assertParses("event e on d { set cook.trust = cook.trust - 10% }",
                     "(event e d (effects (set (. cook trust) (- (. cook trust) 0.1))))")
    }

    func testForEach() {
        assertParses("event e on d { for j in jurisdictions { repeal detainer_ban(j) } }",
                     "(event e d (effects (for j (repeal (detainer_ban j)))))")
        // `county {` opens the block: a record literal in a condition needs parentheses (§6).
        assertParses("event e on d { for j in jurisdictions where j.kind == county { enact p(j) } }",
                     "(event e d (effects (for j (where (== (. j kind) county)) (enact (p j)))))")
    }

    func testAfter() {
        assertParses("event e on d { after 30 days { enact detainer_ban(j) } }",
                     "(event e d (effects (after (duration 30 day) (enact (detainer_ban j)))))")
        assertParses("event e on d { after 2 weeks { repeal q, enact r } }",
                     "(event e d (effects (after (duration 2 week) (repeal q) (enact r))))")
        assertParses("event e on d { after delay { repeal q } }", "(event e d (effects (after delay (repeal q))))")
    }

    func testIfEffects() {
        assertParses("event e on d { if cook.trust < 40% { enact detainer_ban(cook) } }",
                     "(event e d (effects (if (< (. cook trust) 0.4) (then (enact (detainer_ban cook))))))")
        assertParses("event e on d { if x { repeal p } else { repeal q } }",
                     "(event e d (effects (if x (then (repeal p)) (else (repeal q)))))")
        assertParses("event e on d { if x { repeal p } else if y { repeal q } else { set z = 1 } }",
                     "(event e d (effects (if x (then (repeal p)) (else-if (if y (then (repeal q)) (else (set z 1)))))))")
        assertParses("event e on d {\n  if x {\n    repeal p\n  }\n  else {\n    repeal q\n  }\n}",
                     "(event e d (effects (if x (then (repeal p)) (else (repeal q)))))")
        // `if j.kind == county {`: the brace opens the block.
        assertParses("event e on d { if j.kind == county { repeal p } }",
                     "(event e d (effects (if (== (. j kind) county) (then (repeal p)))))")
    }

    func testParenthesisedRecordLiteralInACondition() {
        assertParses("event e on d { if (b == booking { date: d }) { repeal q } }",
                     "(event e d (effects (if (paren (== b (record booking (date d)))) (then (repeal q)))))")
        assertParses("event e on d { for j in jurisdictions where f(booking { jurisdiction: j }) { repeal q } }",
                     "(event e d (effects (for j (where (call f (record booking (jurisdiction j)))) (repeal q))))")
    }

    func testNestedEffects() {
        let src = """
            when oregon_ruling {
              for j in jurisdictions where j.kind == county and j.circuit == "ninth" and j.trust < 60% {
                after 30 days { enact detainer_ban(j) }
              }
            }
            """
        assertParses(src, #"(when oregon_ruling (for j (where (and (and (== (. j kind) county) (== (. j circuit) "ninth")) (< (. j trust) 0.6))) (after (duration 30 day) (enact (detainer_ban j)))))"#)
    }

    func testEffectsSeparatedByCommasAndNewlines() {
        assertParses("event e on d {\n  repeal a, repeal b\n  repeal c\n}", "(event e d (effects (repeal a) (repeal b) (repeal c)))")
    }

    // MARK: Reactions

    func testEventReactions() {
        assertParses("when e { repeal q }", "(when e (repeal q))")
        assertParses("when oregon_ruling as ninth_wave { repeal q }", "(when oregon_ruling (as ninth_wave) (repeal q))")
    }

    func testConditionReactions() {
        assertParses("when j in jurisdictions where j.trust < 40% { enact detainer_ban(j) }",
                     "(when (j where (< (. j trust) 0.4)) (enact (detainer_ban j)))")
        assertParses("when j in jurisdictions where j.trust < 40% as trust_collapse { enact detainer_ban(j) }",
                     "(when (j where (< (. j trust) 0.4)) (as trust_collapse) (enact (detainer_ban j)))")
        assertParses("when j in jurisdictions where j.kind == county { repeal q }",
                     "(when (j where (== (. j kind) county)) (repeal q))")
    }

    // MARK: 4.9 Scenarios

    func testScenario() {
        let src = """
            scenario early_trust_act "What if the 2012 bill had been signed?" {
              cancel trust_act_veto
              cancel trust_act_signed
              event trust_act_2012 on 2012-09-30 by california { enact trust_act from 2013-01-01 }
            }
            """
        assertParses(src, #"(scenario early_trust_act (label "What if the 2012 bill had been signed?") (cancel trust_act_veto) (cancel trust_act_signed) (event trust_act_2012 2012-09-30 (by california) (effects (enact trust_act (from 2013-01-01)))))"#)
    }

    func testScenarioFromAnother() {
        assertParses("scenario no_discretion from early_trust_act { param discretion = 100% }",
                     "(scenario no_discretion (from early_trust_act) (param discretion 1.0))")
        assertParses(#"scenario s from t "label" { }"#, #"(scenario s (from t) (label "label"))"#)
        assertParses(#"scenario s "label" from t { }"#, #"(scenario s (from t) (label "label"))"#)
        assertParses("scenario s {}", "(scenario s)")
    }

    func testScenarioWithNestedDeclarations() {
        let src = """
            scenario s {
              cancel e
              cancel detainer_ban(cook)
              cancel ninth_wave
              param discretion = 50%
              let h: int = 4
              decision d(b: booking): int = 0 combine max
              policy x by cook { d(b) = 1 when b.convicted
                d(b) = 2 }
              event e2 on 2013-01-01
              when e2 as w { repeal x }
              when j in jurisdictions where j.trust < 10% { repeal x }
              population pop of booking { size 10 }
              jurisdiction extra: city in cook
              agency a of extra
              enum extra_enum { p, q }
              record extra_record { date: date }
            }
            """
        assertParses(src, "(scenario s (cancel e) (cancel (detainer_ban cook)) (cancel ninth_wave) (param discretion 0.5) (let h int 4) (decision d (params (b booking)) int 0 (combine max)) (policy x (by cook) (rule d b 1 (when (. b convicted))) (rule d b 2)) (event e2 2013-01-01) (when e2 (as w) (repeal x)) (when (j where (< (. j trust) 0.1)) (repeal x)) (population pop booking (items (size 10))) (jurisdiction extra city (in cook)) (agency a extra) (enum extra_enum p q) (record extra_record (date date)))")
    }

    // MARK: 4.10 Populations

    func testPopulationWithEveryGenerator() {
        let src = """
            population bookings of booking {
              size 1_000_000
              seed 42
              date uniform 2010-01-01 .. 2014-12-31
              jurisdiction weighted by admissions          # leaf jurisdictions
              charge { violent_felony: 5%, serious_felony: 5%, felony: 20%, misdemeanor: 70% }
              convicted 30%
              ident_match 8%
              removal_order 10% when ident_match           # conditional
              priors uniform 0 .. 5
              score = priors * 2 + 1
              flagged = convicted and priors > 2 when ident_match
            }
            """
        assertParses(src, "(population bookings booking (items (size 1000000) (seed 42) (date (uniform 2010-01-01 2014-12-31)) (jurisdiction (weighted admissions)) (charge (categorical (violent_felony 0.05) (serious_felony 0.05) (felony 0.2) (misdemeanor 0.7))) (convicted (probability 0.3)) (ident_match (probability 0.08)) (removal_order (probability 0.1) (when ident_match)) (priors (uniform 0 5)) (score (= (+ (* priors 2) 1))) (flagged (= (and convicted (> priors 2))) (when ident_match))))")
    }

    func testPopulationCategoricalOnSeveralLinesWithCondition() {
        let src = """
            population p of r {
              charge {
                felony: 50%
                misdemeanor: 50%
              } when convicted
            }
            """
        assertParses(src, "(population p r (items (charge (categorical (felony 0.5) (misdemeanor 0.5)) (when convicted))))")
    }

    func testPopulationFromFile() {
        assertParses(#"population recorded of booking from "data/bookings.csv""#,
                     #"(population recorded booking (from "data/bookings.csv"))"#)
        assertParses(#"population recorded of booking from "b.csv" { seed 7 }"#,
                     #"(population recorded booking (from "b.csv") (items (seed 7)))"#)
    }

    func testPopulationItemsSeparatedByCommas() {
        assertParses("population p of r { size 100, seed 7 }", "(population p r (items (size 100) (seed 7)))")
        assertParses("population p of r { }", "(population p r (items))")
    }

    func testKeywordsAndContextualWordsAtTheHeadOfGeneratorLines() {
        let src = """
            population p of r {
              population 10%
              from uniform 2010-01-01 .. 2011-01-01
              size uniform 1 .. 5
              seed = 3
              weighted 5%
            }
            """
        assertParses(src, "(population p r (items (population (probability 0.1)) (from (uniform 2010-01-01 2011-01-01)) (size (uniform 1 5)) (seed (= 3)) (weighted (probability 0.05))))")
    }

    // MARK: Doc comments (§2)

    func testDocCommentsAttachToTheNextDeclaration() {
        let src = """
            ## The charge of a booking.
            ## Ordered from most to least serious.
            enum charge { felony, misdemeanor }
            ## not attached: a blank line follows

            let x = 1
            # plain comment
            ## attached despite the plain comment above
            param p = 1
              ## indented doc
            policy q by c { }
            let y = 1 ## trailing, not a doc comment
            let z = 2
            """
        assertParses(src, """
            (enum charge felony misdemeanor (doc "The charge of a booking.\\nOrdered from most to least serious."))
            (let x 1)
            (param p 1 (doc "attached despite the plain comment above"))
            (policy q (by c) (doc "indented doc"))
            (let y 1)
            (let z 2)
            """)
    }

    func testDocCommentsOnEveryDeclarationKind() {
        let decls = ["enum e { a }", "jurisdiction j: state", "agency a of j", "record r { x: int }",
                     "param p = 1", "let l = 1", "decision d(b: r): int = 0", "policy q by j { }",
                     "event v on 2012-01-01", "when v { repeal q }", "scenario s { }", "population o of r"]
        for decl in decls {
            let unit = parse("## doc\n" + decl)
            XCTAssertEqual(diags(unit), [], decl)
            XCTAssertEqual(unit.statements.first?.doc, "doc", decl)
        }
    }
}
