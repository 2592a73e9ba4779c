import XCTest
import PolicyCore
import PolicySyntax

/// Programs checked one after another (entries at the prompt, `:reload`) share generated
/// populations whose definitions did not change, and free the others (what W3 measures).
final class PopulationReuseTests: XCTestCase {
    let base = """
        enum charge { felony, misdemeanor }
        jurisdiction attributes { admissions: int = 0 }
        jurisdiction usa: federal
        jurisdiction a: county in usa { admissions: 3 }
        jurisdiction b: county in usa { admissions: 1 }
        record booking { date: date, jurisdiction: jurisdiction, charge: charge = misdemeanor, n: int = 0 }
        param rate: number = 30%
        decision flagged(x: booking): bool = x.charge == felony
        population plain of booking {
          size 5_000
          seed 1
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction weighted by admissions
          charge { felony: 20%, misdemeanor: 80% }
          n uniform 1 .. 9
        }
        population computed of booking {
          size 5_000
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction = a
          n = if chance(rate) then 1 else 0
        }

        """

    func program(_ text: String) throws -> Program {
        let unit = Parser.parse(SourceFile(name: "reuse.policy", text: text))
        XCTAssertFalse(unit.hasErrors, "\(unit.diagnostics)")
        let result = Checker(provider: nil).check([unit])
        XCTAssertFalse(result.hasErrors, "\(result.diagnostics.map(\.diagnostic.message))")
        return result.program
    }

    /// Builds both populations in `first`, then checks `second`, adopts, and reports which
    /// populations the second program got without building them.
    func reused(after second: String) throws -> (plain: Bool, computed: Bool, cache: PopulationCache) {
        let first = try program(base)
        let plain0 = try first.population(named: "plain"), computed0 = try first.population(named: "computed")
        let next = try program(second)
        next.adoptPopulations(from: first)
        let plain1 = try next.population(named: "plain"), computed1 = try next.population(named: "computed")
        XCTAssertEqual(plain1.count, 5_000)
        return (plain0 === plain1, computed0 === computed1, next.populationCache)
    }

    func testAnUnrelatedEntryReusesPopulationsOfLiterals() throws {
        let r = try reused(after: base + "let extra = 1\npolicy strict by usa { flagged(x) = true }\n")
        XCTAssertTrue(r.plain)
        // A computed field may read any definition, so any change to the program rebuilds it.
        XCTAssertFalse(r.computed)
        XCTAssertEqual(r.cache.reused, 1)
        XCTAssertEqual(r.cache.reusedCases, 5_000)
        // Tests and queries are not definitions: adding one changes nothing.
        let q = try reused(after: base + "count(plain where flagged)\ntest \"t\" { assert true }\n")
        XCTAssertTrue(q.plain)
        XCTAssertTrue(q.computed)
    }

    func testChangingAPopulationRebuildsIt() throws {
        let r = try reused(after: base.replacingOccurrences(of: "n uniform 1 .. 9", with: "n uniform 1 .. 8"))
        XCTAssertFalse(r.plain)
    }

    func testWhatAComputedFieldReadsRebuildsIt() throws {
        // `rate` is read by `computed`'s generator: it may change its cases.
        let r = try reused(after: base.replacingOccurrences(of: "param rate: number = 30%", with: "param rate: number = 40%"))
        XCTAssertTrue(r.plain, "a population of literals does not read params")
        XCTAssertFalse(r.computed)
    }

    func testChangingTypesOrJurisdictionsRebuildsEverything() throws {
        for changed in [
            base.replacingOccurrences(of: "enum charge { felony, misdemeanor }", with: "enum charge { felony, misdemeanor, other }"),
            base.replacingOccurrences(of: "{ admissions: 3 }", with: "{ admissions: 4 }"),
            base.replacingOccurrences(of: "n: int = 0 }", with: "n: int = 0, m: int = 0 }"),
        ] {
            let r = try reused(after: changed)
            XCTAssertFalse(r.plain, changed)
            XCTAssertFalse(r.computed, changed)
        }
    }

    func testPopulationsTheNewProgramCannotUseAreFreed() throws {
        let first = try program(base)
        _ = try first.population(named: "plain")
        _ = try first.population(named: "computed")
        XCTAssertEqual(first.populationCache.count, 2)
        let next = try program(base.replacingOccurrences(of: "size 5_000\n  seed 1", with: "size 4_000\n  seed 1"))
        next.adoptPopulations(from: first)
        XCTAssertEqual(next.populationCache.count, 0, "neither fits the new program: both are freed")
        XCTAssertEqual(try next.population(named: "plain").count, 4_000)
    }

    func testTheSameCasesWhetherReusedOrBuilt() throws {
        let fresh = try program(base + "let extra = 1\n")
        let built = try fresh.population(named: "plain")
        let r = try reused(after: base + "let extra = 1\n")
        XCTAssertTrue(r.plain)
        let first = try program(base)
        let original = try first.population(named: "plain")
        for row in stride(from: 0, to: 5_000, by: 97) {
            XCTAssertEqual(built.caseRecord(row).fields, original.caseRecord(row).fields)
        }
    }
}
