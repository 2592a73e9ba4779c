#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax

extension Workloads {
    /// `policy bench w3`: W2's compare, then the scenario's policy changed for one state
    /// (California's TRUST Act enacted six months later) and the same compare run again in
    /// the same session, as `:reload` does at the prompt. Prints what was reused.
    public static func w3(dir: String, cases: Int, model: String, console: Console) -> ExitCode {
        let folder = "\(dir)/w3-\(cases)"
        let modelPath = prepareFolder(dir, folder, model: model)
        let main = """
        ## W3: W2's compare, re-run after one scenario changes for one state.
        include "\(modelPath)"
        include "variant.policy"

        \(bookingsPopulation("w3", cases: cases))
        compare baseline, variant on outcome by year from w3

        """
        func variant(_ date: String) -> String {
            """
            ## The scenario W3 edits: California's TRUST Act from \(date).
            scenario variant "TRUST Act signed in 2012, in effect \(date)" {
              cancel trust_act_veto
              cancel trust_act_signed
              event trust_act_signed_2012 on 2012-09-30 by california { enact trust_act from \(date) }
            }

            """
        }
        let mainPath = "\(folder)/w3.policy", variantPath = "\(folder)/variant.policy"
        guard FileWriter.write(mainPath, main) == nil,
              FileWriter.write(variantPath, variant("2013-01-01")) == nil else { return .noInput }

        var output = ""
        let quiet = Console(out: { output += $0 }, err: { console.err($0) })
        let session = Session(console: quiet)
        var code = ExitCode.success
        let tFirst = seconds {
            code = session.load([mainPath])
            if code == .success { _ = session.run(tests: false) }
        }
        guard code == .success else { return code }
        let first = output
        let firstWork = session.program?.answerCache.lastQuery ?? AnswerCache.Work()
        output = ""
        // The edit, then what `:reload` does: load afresh and take over the session.
        guard FileWriter.write(variantPath, variant("2013-07-01")) == nil else { return .noInput }
        let tSecond = seconds {
            let fresh = Session(console: quiet)
            code = fresh.load([mainPath])
            if code == .success {
                session.replace(with: fresh)
                _ = session.run(tests: false)
            }
        }
        guard code == .success, let program = session.program else { return code }
        let cache = program.populationCache
        let work = program.answerCache.lastQuery
        let peak = Benchmark.peakResidentBytes()
        func keys(_ n: Int) -> String { ValueFormatter.grouped(Int64(n)) }
        console.out("""
        W3 — \(ValueFormatter.grouped(Int64(cases))) generated bookings; compare, change one scenario for one state, compare again
        first run:
        \(first)
        after the change:
        \(output)
          first compare (check, generate, evaluate)   \(Benchmark.format3(tFirst * 1000)) ms
          after the change (reload, evaluate)         \(Benchmark.format3(tSecond * 1000)) ms
          reused                                      \(cache.reused) population, \(ValueFormatter.grouped(Int64(cache.reusedCases))) cases not generated again
          keys (case kinds) the compare uses          \(keys(work.keysUsed)) per scenario
          first compare: keys evaluated               \(keys(firstWork.evaluated)) (\(keys(firstWork.fromFirstScenario)) of the second scenario's taken from the first)
          after the change: keys evaluated            \(keys(work.evaluated))
          after the change: answers not evaluated     \(keys(work.fromEarlier)) kept from the first run, \(keys(work.fromFirstScenario)) taken from the other scenario
          peak memory                                 \(Benchmark.formatBytes(Double(peak)))

        """)
        return .success
    }
}
