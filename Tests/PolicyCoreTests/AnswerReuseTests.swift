import XCTest
import PolicyCore
import PolicySyntax

/// A compare re-run after a change keeps the answers of what did not change (what W3 measures):
/// the answers of a world whose definition is the same are taken from the program before,
/// and a changed scenario is evaluated only where it differs from the first scenario — with
/// the same tables as a program that starts afresh.
final class AnswerReuseTests: XCTestCase {
    let base = """
        enum charge { violent_felony, felony, misdemeanor }
        enum outcome { not_matched, declined, transferred }
        jurisdiction attributes { weight: int = 1 }
        jurisdiction usa: federal
        jurisdiction s0: state in usa
        jurisdiction s1: state in usa
        jurisdiction c0: county in s0
        jurisdiction c1: county in s0 { weight: 2 }
        jurisdiction c2: county in s1
        jurisdiction c3: county in s1 { weight: 3 }
        record booking { date: date, jurisdiction: jurisdiction, charge: charge, match: bool }
        decision honored(b: booking): bool = true
        decision matched(b: booking): bool = b.match and chance(70%, "ident")
        decision outcome(b: booking): outcome =
          if not matched(b) then not_matched
          else if honored(b) and chance(60%, "review") then transferred
          else declined
        policy decline_all(j: jurisdiction) by j { honored(b) = false }
        event bans on 2011-06-01 {
          for j in jurisdictions where j.kind == county and j.name < "c2" { enact decline_all(j) }
        }
        population g of booking {
          size 300_000
          seed 3
          date uniform 2010-01-01 .. 2012-12-31
          jurisdiction weighted by weight
          charge { violent_felony: 10%, felony: 30%, misdemeanor: 60% }
          match 50%
        }

        """

    func variant(_ date: String, rule: String = "false") -> String {
        base.replacingOccurrences(of: "{ honored(b) = false }", with: "{ honored(b) = \(rule) }") + """
            scenario late "bans later" {
              event bans on \(date) {
                for j in jurisdictions where j.kind == county and j.name == "c1" { enact decline_all(j) }
              }
            }
            compare baseline, late on outcome by year from g

            """
    }

    /// Checks and runs `text` (after `earlier`, as at the prompt); returns the program and
    /// what it printed.
    func run(_ text: String, after earlier: Program? = nil) throws -> (Program, [String]) {
        let unit = Parser.parse(SourceFile(name: "w3.policy", text: text))
        XCTAssertFalse(unit.hasErrors, "\(unit.diagnostics)")
        let result = Checker(provider: nil).check([unit])
        XCTAssertFalse(result.hasErrors, "\(result.diagnostics.map(\.diagnostic.message))")
        if let earlier { result.program.adoptPopulations(from: earlier) }
        var printed: [String] = []
        let status = Interpreter(program: result.program).run(result.statementsByUnit.flatMap { $0 }, tests: false) { output in
            printed.append("\(output)")
        }
        XCTAssertNil(status.error)
        return (result.program, printed)
    }

    func testAChangedScenarioIsEvaluatedOnlyWhereItDiffers() throws {
        let (first, _) = try run(variant("2012-01-01"))
        let firstWork = first.answerCache.lastQuery
        XCTAssertGreaterThan(firstWork.keysUsed, 0)
        XCTAssertEqual(firstWork.fromEarlier, 0)
        // c0, c2 and c3 are the same in both scenarios: only c1's keys of `late` are evaluated.
        XCTAssertGreaterThan(firstWork.fromFirstScenario, 0)
        XCTAssertEqual(firstWork.evaluated, 2 * firstWork.keysUsed - firstWork.fromFirstScenario)

        let (second, printed) = try run(variant("2012-03-01"), after: first)
        let work = second.answerCache.lastQuery
        // The baseline's answers come from the first program (but for c1's periods the new
        // date cuts in two); `late` agrees with the baseline outside c1 (taken from it); what
        // is left is evaluated.
        XCTAssertGreaterThan(work.fromEarlier, work.keysUsed / 2)
        XCTAssertGreaterThan(work.fromFirstScenario, 0)
        XCTAssertEqual(work.fromEarlier + work.fromFirstScenario + work.evaluated, 2 * work.keysUsed)
        XCTAssertLessThan(work.evaluated, firstWork.evaluated)
        let (_, fresh) = try run(variant("2012-03-01"))
        XCTAssertEqual(printed, fresh)
    }

    func testAChangeOutsideScenariosEvaluatesEverythingAgain() throws {
        let (first, _) = try run(variant("2012-01-01"))
        let (second, printed) = try run(variant("2012-01-01", rule: "b.charge == violent_felony"), after: first)
        XCTAssertEqual(second.answerCache.lastQuery.fromEarlier, 0)
        let (_, fresh) = try run(variant("2012-01-01", rule: "b.charge == violent_felony"))
        XCTAssertEqual(printed, fresh)
    }

    func testTheSameProgramAgainEvaluatesNothing() throws {
        let (first, printed) = try run(variant("2012-01-01"))
        let (second, again) = try run(variant("2012-01-01"), after: first)
        let work = second.answerCache.lastQuery
        XCTAssertEqual(work.evaluated, 0)
        XCTAssertEqual(work.fromEarlier, 2 * work.keysUsed)
        XCTAssertEqual(printed, again)
    }
}
