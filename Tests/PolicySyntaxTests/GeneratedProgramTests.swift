import Foundation
import XCTest
@testable import PolicySyntax

// Property tests over random valid programs from ProgramGenerator:
//   1. every generated program parses with no diagnostics;
//   2. `fmt` output parses with no diagnostics, to the same tree (equal dumps);
//   3. `fmt` is idempotent;
//   4. `fmt` keeps every comment.
// A failure prints the seed and the program; rerun one seed with
// `GEN_SEED=17 swift test --filter GeneratedProgramTests/testOneSeed`.
//
// Known bugs, kept out of the generator by the `genIncludeKnownBug…` switches in
// ProgramGenerator.swift (turn one on to see it fail):
//   - KeywordFieldAtLineBoundary: `population p of r { x 5%, at 10% }` formats as
//     `x 5%⏎at 10%`, which parses as one item `x (5% at 10%)`; `record r { a: int = 1,  # c⏎
//     at: int }` and `jurisdiction j: k { a: x.under,  # c⏎with: 1 }` give fmt output that
//     does not parse (the line break before `at` / after `.under` is dropped by rules c / b).
//   - DoubleHashCommentAfterCode: `let x = 1 + ## note⏎  2⏎let y = 3` formats with `## note`
//     on its own line above `let y`, which then gets the doc "note".
//   - DeclarationMidLine: `## d⏎scenario s { let x = 1 }` attaches "d" to both the scenario
//     and `let x`; after fmt only the scenario has it.

/// How many seeds each run checks (0..<genSeedCount): 2,000 (a few seconds in debug), or
/// `GEN_SEEDS=100000 swift test --filter GeneratedProgramTests` for a longer hunt.
let genSeedCount: UInt64 = UInt64(ProcessInfo.processInfo.environment["GEN_SEEDS"] ?? "") ?? 2_000

func genParse(_ text: String) -> SourceUnit {
    Parser.parse(SourceFile(name: "gen.policy", text: text))
}

func genDiagnostics(_ unit: SourceUnit) -> String {
    unit.diagnostics.map { d in
        let loc = unit.file.location(of: Int(d.span.start))
        return "\(loc.line):\(loc.column) \(d.message)"
    }.joined(separator: "\n")
}

/// What went wrong with one seed, or nil.
func genCheck(seed: UInt64) -> String? {
    let text = ProgramGenerator.program(seed: seed)
    let unit = genParse(text)
    func report(_ what: String, _ details: String) -> String {
        "seed \(seed): \(what)\n--- program ---\n\(text)\n--- end ---\n\(details)"
    }
    if !unit.diagnostics.isEmpty {
        return report("the generated program does not parse", genDiagnostics(unit))
    }
    let formatted = Formatter.format(unit)
    let reparsed = genParse(formatted)
    if !reparsed.diagnostics.isEmpty {
        return report("fmt output does not parse",
                      "--- fmt ---\n\(formatted)--- end ---\n\(genDiagnostics(reparsed))")
    }
    if reparsed.dump != unit.dump {
        return report("fmt changes the tree",
                      "--- fmt ---\n\(formatted)--- end ---\n--- dump before ---\n\(unit.dump)\n--- dump after ---\n\(reparsed.dump)")
    }
    let again = Formatter.format(reparsed)
    if again != formatted {
        return report("fmt is not idempotent", "--- fmt ---\n\(formatted)--- end ---\n--- fmt of fmt ---\n\(again)--- end ---")
    }
    if reparsed.comments.count != unit.comments.count {
        return report("fmt loses or adds comments (\(unit.comments.count) before, \(reparsed.comments.count) after)",
                      "--- fmt ---\n\(formatted)--- end ---")
    }
    return nil
}

final class GeneratedProgramTests: XCTestCase {
    /// `GEN_SEED=17 swift test --filter GeneratedProgramTests/testOneSeed` checks one seed
    /// and prints its program.
    func testOneSeed() throws {
        guard let value = ProcessInfo.processInfo.environment["GEN_SEED"], let seed = UInt64(value) else {
            throw XCTSkip("set GEN_SEED to check one seed")
        }
        print(ProgramGenerator.program(seed: seed))
        if let problem = genCheck(seed: seed) { XCTFail(problem) }
    }

    func testGeneratorIsDeterministic() {
        for seed: UInt64 in [0, 1, 42, 999, 123_456_789, .max] {
            XCTAssertEqual(ProgramGenerator.program(seed: seed), ProgramGenerator.program(seed: seed), "seed \(seed)")
        }
        XCTAssertNotEqual(ProgramGenerator.program(seed: 1), ProgramGenerator.program(seed: 2))
        // SplitMix64's reference output for seed 0 (so the PRNG itself never drifts).
        var rng = GenRandom(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testGeneratedProgramsRoundTripThroughFmt() {
        var failed: [UInt64] = []
        for seed in 0..<genSeedCount {
            if let problem = genCheck(seed: seed) {
                if failed.isEmpty { XCTFail(problem) }
                failed.append(seed)
            }
        }
        XCTAssertEqual(failed, [], "\(failed.count) of \(genSeedCount) seeds failed (the first is shown)")
    }

    /// The generator reaches every construct of the grammar (checked on the trees).
    func testGeneratorCoversTheGrammar() {
        var dumps = ""
        var texts = ""
        for seed in 0..<UInt64(300) {
            let text = ProgramGenerator.program(seed: seed)
            texts += text
            dumps += genParse(text).dump + "\n"
        }
        let tags = [
            // declarations
            "(enum ", "(attributes", "(jurisdiction ", "(in ", "(label ", "(jurisdictions-from ",
            "(agency ", "(record ", "(param ", "(let ", "(params", "(decision ", "(combine ",
            "(policy ", "(by ", " proposed", "(overrides ", "(rule ", "(when ", "(event ",
            "(effects", "(as ", "(scenario ", "(cancel ", "(population ", "(items", "(size ",
            "(seed ", "(uniform ", "(categorical", "(weighted ", "(probability ", "(= ", "(doc ",
            "(set-of ", "(list-of ", "(jurisdiction jurisdiction", "(date date",
            // effects
            "(enact ", "(from ", "(until ", "(repeal ", "(set ", "(for ", "(where ", "(after ",
            "(if ", "(then", "(else", "(else-if ",
            // statements
            "(explain ", "(under ", "(timeline", "(status ", "(at ", "(table ", "(aggregates",
            "(compare ", "(plot ", "(to ", "(test ", "(assert ", "(include ",
            // expressions
            "(duration ", "(. ", "(call ", "(with ", "(list", "(- ", "(not ", "(or ", "(and ",
            "(== ", "(!= ", "(< ", "(<= ", "(> ", "(>= ", "(in ", "(within ", "(+ ", "(* ", "(/ ",
            "(paren ", "(call count", "true", "false", "(. jurisdiction",
        ]
        for tag in tags {
            XCTAssertTrue(dumps.contains(tag), "no generated program has \(tag)")
        }
        for spelling in ["1_000_000", "12.5%", "\\\"", "\\u{", "\\n", "##", "# ", "\t", "\r\n",
                         "size uniform", "seed =", "count(", " where ", "else if", "combine",
                         "jurisdiction: jurisdiction", "date: date", "to \"", "with {", ".jurisdiction"] {
            XCTAssertTrue(texts.contains(spelling), "no generated program contains \(spelling.debugDescription)")
        }
    }
}
