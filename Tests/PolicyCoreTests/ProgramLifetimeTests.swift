import XCTest
import PolicyCore
import PolicySyntax

/// A program that nothing uses any more is freed: at the prompt every entry makes a new
/// program, and a session of thousands of entries must not keep them all (a reference from
/// a program's own dependency table back to the program once kept every one alive: 400 MB
/// after 1,000 `let` entries).
final class ProgramLifetimeTests: XCTestCase {
    func testACheckedProgramIsFreedWhenNothingHoldsIt() throws {
        let text = """
            enum outcome { held, released }
            jurisdiction attributes { weight: int = 1 }
            jurisdiction usa: federal
            jurisdiction c0: county in usa
            record b { date: date, jurisdiction: jurisdiction, bail: int = 0 }
            param floor: int = 50
            decision outcome(x: b): outcome = if x.bail >= floor then held else released
            policy ban by c0 { outcome(x) = if chance(50%) then held else released }
            let doubled(n: int): int = n * 2
            population p of b {
              size 1_000
              date uniform 2010-01-01 .. 2012-12-31
              jurisdiction weighted by weight
              bail uniform 0 .. 99
            }
            scenario lower { param floor: int = 40 }
            table outcome by year from p

            """
        weak var freed: Program?
        do {
            let unit = Parser.parse(SourceFile(name: "life.policy", text: text))
            let result = Checker(provider: nil).check([unit])
            XCTAssertFalse(result.hasErrors, "\(result.diagnostics.map(\.diagnostic.message))")
            let program = result.program
            // Used as a session uses it: a population built and a query answered.
            _ = try program.population(named: "p")
            let interpreter = Interpreter(program: program)
            _ = interpreter.run(result.statements, tests: false) { _ in }
            freed = program
        }
        XCTAssertNil(freed, "the program outlived every reference to it")
    }
}
