import XCTest
@testable import PolicyCore
import PolicySyntax

/// A continued check (`Checker.init(continuing:)`, what the prompt does for an entry that only
/// adds lets, params, expressions or queries) must say and compute exactly what checking the
/// whole session again says and computes.
final class CheckContinuationTests: XCTestCase {
    /// Everything a checker or a program stores is either carried over by a continuation or
    /// deliberately started afresh: a new stored property fails here until it is sorted.
    func testEveryStoredPropertyIsCarriedOrStartedAfresh() {
        let checker = Checker(provider: nil)
        let checkerFields = Set(Mirror(reflecting: checker).children.compactMap(\.label))
        XCTAssertEqual(checkerFields.subtracting(Checker.carriedProperties.union(Checker.freshProperties)), [],
                       "stored properties of Checker that init(continuing:) neither carries nor resets")
        XCTAssertEqual(Checker.carriedProperties.union(Checker.freshProperties).subtracting(checkerFields), [],
                       "names listed for Checker that are not its stored properties")
        let programFields = Set(Mirror(reflecting: Program()).children.compactMap(\.label))
        XCTAssertEqual(programFields.subtracting(Program.continuedProperties.union(Program.freshProperties)), [],
                       "stored properties of Program that init(continuing:) neither copies nor resets")
        XCTAssertEqual(Program.continuedProperties.union(Program.freshProperties).subtracting(programFields), [],
                       "names listed for Program that are not its stored properties")
    }

    static let base = """
        enum outcome { held, released }
        jurisdiction attributes { weight: int = 1, trust: bool = false }
        jurisdiction usa: federal
        jurisdiction cook: county in usa { weight: 3 }
        jurisdiction kane: county in usa
        record b { date: date, jurisdiction: jurisdiction, bail: int = 0, prior: bool = false }
        param floor: int = 50
        decision outcome(x: b): outcome = if x.bail >= floor then held else released
        policy ban by cook from 2013-01-01 { outcome(x) = if x.prior then held else released }
        event trusting on 2014-06-01 by usa { set kane.trust = true }
        let doubled(n: int): int = n * 2
        population p of b {
          size 400
          date uniform 2012-01-01 .. 2015-12-31
          jurisdiction weighted by weight
          bail uniform 0 .. 99
          prior 30%
        }
        scenario lower { param floor: int = 40 }

        """

    /// Entries as a session might type them: lets that infer their types, functions, params,
    /// queries, and entries that fail (an unknown name, a name taken, a type error, a cycle,
    /// a runtime error) — after which the session goes on.
    static let entries = [
        "let a = 1",
        "let b2 = a + 1\nlet c = b2 * doubled(a)",
        "c",
        "let z = z + 1",
        "let a = 2",
        "let d: number = c / 2",
        "let e = undefined_name + 1",
        "let f = if d > 1.0 then \"big\" else \"small\"",
        "f",
        "param ceiling = 90",
        "let within_band(x: b): bool = x.bail >= floor and x.bail < ceiling",
        "table count(within_band(it)), share(outcome == held) by year from p",
        "compare baseline, lower on count(outcome == held) by year from p",
        "let g: int = \"text\"",
        "let h = kane.trust at 2015-01-01",
        "h",
        "explain outcome(b { date: 2014-01-01, jurisdiction: cook, bail: 10, prior: true })",
        "let k = 1 / (a - 1)",
        "k",
        "test \"bands\" { assert doubled(c) == 2 * c }",
        "status cook at 2014-01-01",
        "let m = [a, b2, c]",
        "m",
    ]

    func testContinuedChecksSayAndComputeWhatWholeChecksDo() throws {
        let base = Parser.parse(SourceFile(name: "base.policy", text: CheckContinuationTests.base))
        let first = Checker(provider: nil)
        let firstResult = first.check([base])
        XCTAssertFalse(firstResult.hasErrors, "\(firstResult.diagnostics.map(\.diagnostic.message))")
        var units = [base]
        var checker = first
        var accepted = 0
        for (n, text) in CheckContinuationTests.entries.enumerated() {
            let entry = Parser.parse(SourceFile(name: "<repl>", text: text))
            XCTAssertFalse(entry.hasErrors, "entry \(n) does not parse: \(text)")
            XCTAssertTrue(Checker.canContinue(with: entry.statements), "entry \(n) is not one a check can continue with")
            let whole = Checker(provider: nil).check(units + [entry])
            let next = Checker(continuing: checker)
            let continued = next.check([entry])
            XCTAssertEqual(describe(continued.diagnostics), describe(whole.diagnostics), "entry \(n): \(text)")
            XCTAssertEqual(continued.hasErrors, whole.hasErrors, "entry \(n): \(text)")
            XCTAssertEqual(continued.statementsByUnit.count, whole.statementsByUnit.count, "entry \(n): \(text)")
            XCTAssertEqual(continued.program.worldFingerprints, whole.program.worldFingerprints, "entry \(n): \(text)")
            guard !whole.hasErrors else { continue }
            accepted += 1
            XCTAssertEqual(run(continued), run(whole), "entry \(n): \(text)")
            units.append(entry)
            checker = next
        }
        XCTAssertEqual(accepted, 19, "the entries meant to be accepted")
    }

    /// A continued check leaves the checker it went on from as it was: after an entry that
    /// fails, the next entry continues from the same checker and sees none of it.
    func testAFailedEntryLeavesTheEarlierCheckerAsItWas() throws {
        let base = Parser.parse(SourceFile(name: "base.policy", text: "let a = 1\n"))
        let first = Checker(provider: nil)
        XCTAssertFalse(first.check([base]).hasErrors)
        let failing = Parser.parse(SourceFile(name: "<repl>", text: "let b = 2\nlet c = nope"))
        XCTAssertTrue(Checker(continuing: first).check([failing]).hasErrors)
        let again = Parser.parse(SourceFile(name: "<repl>", text: "let b = a + 1\nb"))
        let result = Checker(continuing: first).check([again])
        XCTAssertEqual(describe(result.diagnostics), [])
        XCTAssertEqual(result.program.lets.map(\.name), ["a", "b"])
        XCTAssertEqual(first.program.lets.map(\.name), ["a"])
        XCTAssertEqual(run(result), ["value 2"])
    }

    /// The work of a continued check is its entry's, however long the session: after
    /// thousands of entries, an entry checks as many expressions as the first did, and the
    /// programs and checkers before are freed.
    func testAnEntryCostsTheSameAtAnyLengthOfSession() throws {
        var checker = Checker(provider: nil)
        XCTAssertFalse(checker.check([Parser.parse(SourceFile(name: "base.policy", text: "let v0 = 0\n"))]).hasErrors)
        var work: [Int] = []
        weak var early: Program?
        weak var earlyChecker: Checker?
        for n in 1...2_000 {
            let entry = Parser.parse(SourceFile(name: "<repl>", text: "let v\(n) = v\(n - 1) + 1"))
            let next = Checker(continuing: checker)
            let result = next.check([entry])
            XCTAssertFalse(result.hasErrors, "entry \(n)")
            work.append(next.expressionsChecked)
            if n == 10 {
                early = result.program
                earlyChecker = next
            }
            checker = next
        }
        XCTAssertEqual(Set(work), [work[0]], "expressions checked per entry")
        XCTAssertEqual(checker.program.lets.count, 2_001)
        XCTAssertNil(early, "the program of an early entry is still held")
        XCTAssertNil(earlyChecker, "the checker of an early entry is still held")
        let last = Checker(continuing: checker)
        let result = last.check([Parser.parse(SourceFile(name: "<repl>", text: "v2000"))])
        XCTAssertEqual(run(result), ["value 2000"])
    }

    func describe(_ ds: [LocatedDiagnostic]) -> [String] {
        ds.map { d in
            let (line, column) = d.file.location(of: Int(d.diagnostic.span.start))
            return "\(d.file.name):\(line):\(column): \(d.diagnostic.message) | \(d.diagnostic.hint ?? "")"
        }
    }

    /// The last unit's statements, run in the baseline (then its tests): what each printed,
    /// or the error.
    func run(_ result: CheckResult) -> [String] {
        var out: [String] = []
        for tests in [false, true] {
            let interpreter = Interpreter(program: result.program)
            let status = interpreter.run(result.statementsByUnit.last ?? [], tests: tests) { output in
                switch output {
                case .value(let s, _): out.append("value \(s)")
                case .text(let s): out.append("text \(s)")
                case .explanation(let text, _): out.append("explanation \(text)")
                case .table(let t): out.append("table \(t.header) \(t.rows) \(t.notes)")
                case .chart(let c): out.append("chart \(c.keys) \(c.series.map(\.values))")
                case .testResult(let name, let passed, let details): out.append("test \(name) \(passed) \(details ?? "")")
                case .assertionFailed(let s): out.append("assertion \(s)")
                }
            }
            if let error = status.error { out.append("error \(error)") }
        }
        return out
    }
}
