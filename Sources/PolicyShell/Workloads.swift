#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax

/// The reference workloads of the population engine: W1 reads 1,000,000 bookings from
/// CSV and counts four outcomes per year; W2 compares two scenarios over 10,000,000
/// generated bookings; W3 changes one scenario and compares again; W4 is W1 with
/// continuous fields; W5 compares two scenarios over 10,000,000 generated bookings with
/// those fields. Files are generated deterministically into a folder.
public enum Workloads {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    }

    /// W1's and W4's pipeline: a detainer, then whether the jail honours it.
    static let pipeline = """
    decision detainer(b: booking): bool = false
    decision honored(b: booking): bool = true

    decision outcome(b: booking): outcome =
      if not b.match then not_matched
      else if not detainer(b) then no_detainer
      else if not honored(b) then declined
      else transferred

    policy any_match by usa until 2012-12-21 { detainer(b) = b.match }
    """

    static let w1Program = """
    ## W1: ICE detainers over 1,000,000 bookings read from CSV.
    enum charge { violent_felony, felony, misdemeanor }
    enum outcome { not_matched, no_detainer, declined, transferred }

    jurisdiction usa: federal "United States"
    jurisdictions from "jurisdictions.csv"

    record booking {
      date: date
      jurisdiction: jurisdiction
      charge: charge
      prior_conviction: bool
      prior_removal: bool
      match: bool
    }

    \(pipeline)
    policy priorities by usa from 2012-12-21 {
      detainer(b) = b.match and (b.prior_conviction or b.prior_removal or b.charge == violent_felony)
    }
    policy decline_all(j: jurisdiction) by j { honored(b) = false }
    policy narrow_holds by S05 from 2014-01-01 { honored(b) = b.charge == violent_felony or b.prior_conviction }
    policy removal_only(j: jurisdiction) by j { honored(b) = b.prior_removal }

    event first_bans on 2011-09-07 {
      for j in jurisdictions where j.kind == county and j.name < "C0100" { enact decline_all(j) }
    }
    event second_wave on 2014-06-01 {
      for j in jurisdictions where j.kind == county and j.name >= "C0100" and j.name < "C0400" { enact removal_only(j) }
    }

    population bookings of booking from "bookings.csv"

    table outcome by year from bookings

    """

    /// Writes W1's files (once) and returns the folder.
    static func prepareW1(_ dir: String, cases: Int) -> String? {
        prepareCSVWorkload(dir, "w1", cases: cases, program: w1Program, seed: 2026,
                           bookingColumns: "charge,prior_conviction,prior_removal,match") { rng in
            let u = rng.unit()
            let charge = u < 0.05 ? "violent_felony" : u < 0.30 ? "felony" : "misdemeanor"
            return "\(charge),\(rng.unit() < 0.30),\(rng.unit() < 0.04),\(rng.unit() < 0.08)"
        }
    }

    static func countyName(_ c: Int) -> String {
        "C" + String(repeating: "0", count: 4 - String(c).count) + String(c)
    }

    /// The workloads' jurisdictions: 50 states and 3,000 counties, each with `extraColumns`' cells.
    static func jurisdictionsCSV(extraColumns: String, stateCells: String, countyCells: (Int) -> String) -> String {
        var j = "name,kind,parent,label\(extraColumns)\n"
        for s in 0..<50 { j += "S\(s < 10 ? "0" : "")\(s),state,usa,State \(s)\(stateCells)\n" }
        for c in 0..<3000 {
            let state = c % 50
            j += "\(countyName(c)),county,S\(state < 10 ? "0" : "")\(state),\(countyCells(c))\n"
        }
        return j
    }

    /// Writes a CSV workload's files once into `DIR/NAME-CASES` and returns that folder:
    /// 50 states and 3,000 counties (each with `extraColumns`' cells), `cases` bookings — a
    /// day in 2010–2014, a county, then the cells `row` draws — and the program.
    static func prepareCSVWorkload(_ dir: String, _ name: String, cases: Int, program: String, seed: UInt64,
                                   extraColumns: String = "", stateCells: String = "",
                                   countyCells: (Int) -> String = { _ in "" },
                                   bookingColumns: String, row: (inout SplitMix) -> String) -> String? {
        let folder = "\(dir)/\(name)-\(cases)"
        let csvPath = "\(folder)/bookings.csv"
        if access(csvPath, F_OK) == 0 { return folder }
        mkdir(dir, 0o755)
        mkdir(folder, 0o755)
        guard FileWriter.write("\(folder)/jurisdictions.csv",
                               jurisdictionsCSV(extraColumns: extraColumns, stateCells: stateCells, countyCells: countyCells)) == nil
        else { return nil }
        var rng = SplitMix(state: seed)
        let first = CivilDate.dayNumber(year: 2010, month: 1, day: 1)
        let last = CivilDate.dayNumber(year: 2014, month: 12, day: 31)
        var out = "date,jurisdiction,\(bookingColumns)\n"
        out.reserveCapacity(cases * 64)
        for _ in 0..<cases {
            let day = first + Int(rng.next() % UInt64(last - first + 1))
            let county = Int(rng.next() % 3000)
            out += "\(CivilDate(dayNumber: day)),\(countyName(county)),\(row(&rng))\n"
        }
        guard FileWriter.write(csvPath, out) == nil,
              FileWriter.write("\(folder)/\(name).policy", program) == nil else { return nil }
        return folder
    }

    /// `policy bench w2`: the Secure Communities model, a generated population of `cases`
    /// bookings, `compare` of two scenarios by year.
    public static func w2(dir: String, cases: Int, model: String, console: Console) -> ExitCode {
        let folder = "\(dir)/w2-\(cases)"
        let modelPath = prepareFolder(dir, folder, model: model)
        let script = """
        ## W2: the Secure Communities model over \(cases) generated bookings, two scenarios compared.
        include "\(modelPath)"

        \(bookingsPopulation("w2", cases: cases))
        compare baseline, trust_act_2012 on outcome by year from w2

        """
        let path = "\(folder)/w2.policy"
        guard FileWriter.write(path, script) == nil else { return .noInput }
        return generatedCompare(
            title: "W2 — \(ValueFormatter.grouped(Int64(cases))) generated bookings of the Secure Communities model, compare of two scenarios by year",
            script: path, population: "w2", cases: cases, console: console)
    }

    /// A workload that generates its population and compares scenarios (W2, W5): checks
    /// `script`, generates `population`, runs the script's query and prints each phase,
    /// cases per second, bytes per case and peak memory.
    static func generatedCompare(title: String, script: String, population: String, cases: Int,
                                 console: Console) -> ExitCode {
        let t0 = Benchmark.monotonicSeconds()
        var output = ""
        let quiet = Console(out: { output += $0 }, err: { console.err($0) })
        let session = Session(console: quiet)
        var code = ExitCode.success
        let tLoad = seconds { code = session.load([script]) }
        guard code == .success, let program = session.program else { return code }
        var generated: PopulationData?
        var failure: Error?
        let tGen = seconds {
            do { generated = try program.population(named: population) } catch { failure = error }
        }
        if let failure { session.reportRuntime(failure); return .dataError }
        let tRun = seconds { _ = session.run(tests: false) }
        let total = Benchmark.monotonicSeconds() - t0
        let peak = Benchmark.peakResidentBytes()
        let columns = generated.map { $0.bytesPerCase * $0.count } ?? 0
        console.out("""
        \(title)
        \(output)
          check the program               \(Benchmark.format3(tLoad * 1000)) ms
          generate the population         \(Benchmark.format3(tGen * 1000)) ms  (\(generated?.bytesPerCase ?? 0) bytes per case in columns, \(Benchmark.formatBytes(Double(columns))) in all)
          compare (two scenarios)         \(Benchmark.format3(tRun * 1000)) ms  (\(Benchmark.format3(Double(cases) / tRun / 1e6)) M cases/s)
          total in process                \(Benchmark.format3(total * 1000)) ms
          peak memory                     \(Benchmark.formatBytes(Double(peak)))  (\(Benchmark.format3(Double(peak) / Double(max(1, cases)))) bytes per case; the columns × 1.5 + 50 MB = \(Benchmark.formatBytes(Double(columns) * 1.5 + 50e6)))
          (whole process: hyperfine '\(CommandLine.arguments.first ?? "policy") run \(script)')

        """)
        return .success
    }

    /// Makes the workload's folder; returns the model's path made absolute (the generated
    /// script, in that folder, includes it).
    static func prepareFolder(_ dir: String, _ folder: String, model: String) -> String {
        mkdir(dir, 0o755)
        mkdir(folder, 0o755)
        guard !model.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return model }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + model
    }

    /// The generated bookings of W2 and W3: the model's own mix of charges and priors.
    static func bookingsPopulation(_ name: String, cases: Int) -> String {
        """
        population \(name) of booking {
          size \(cases)
          seed 7
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction weighted by admissions
          charge { violent_felony: 3%, serious_felony: 7%, felony: 15%, significant_misdemeanor: 20%, misdemeanor: 55% }
          prior { no_conviction: 48%, minor_conviction: 20%, misdemeanor_conviction: 9%, three_misdemeanors: 8%, felony_conviction: 10%, serious_conviction: 5% }
          removal_order 10%
        }

        """
    }

    static func seconds(_ f: () -> Void) -> Double {
        let t0 = Benchmark.monotonicSeconds()
        f()
        return Benchmark.monotonicSeconds() - t0
    }

    /// `policy bench w1`: prints the time of each phase, cases per second and peak memory.
    public static func w1(dir: String, cases: Int, console: Console) -> ExitCode {
        csvWorkload(title: "W1 — \(ValueFormatter.grouped(Int64(cases))) bookings from CSV, four outcomes per year",
                    script: "w1.policy", evaluate: "evaluate and count", console: console) { prepareW1(dir, cases: cases) }
    }

    /// A workload that reads bookings from CSV (W1, W4): the files made by `prepare` (once),
    /// then the time of each phase, cases per second and peak memory.
    static func csvWorkload(title: String, script: String, evaluate: String, peers: String? = nil, console: Console,
                            prepare: () -> String?) -> ExitCode {
        let t0 = Benchmark.monotonicSeconds()
        guard let folder = prepare() else {
            console.err("error: cannot write the workload's files\n")
            return .noInput
        }
        let prepared = Benchmark.monotonicSeconds()
        var output = ""
        let quiet = Console(out: { output += $0 }, err: { console.err($0) })
        let session = Session(console: quiet)
        var code = ExitCode.success
        let tLoad = seconds { code = session.load(["\(folder)/\(script)"]) }
        guard code == .success, let program = session.program else { return code }
        // The population is read on first use; time that separately from the evaluation.
        var loadError: Error?
        var cases = 0
        let tCSV = seconds {
            do { cases = try program.population(named: "bookings").count } catch { loadError = error }
        }
        if let loadError { session.reportRuntime(loadError); return .dataError }
        let tRun = seconds { _ = session.run(tests: false) }
        let total = Benchmark.monotonicSeconds() - prepared
        let peak = Benchmark.peakResidentBytes()
        let label = evaluate + String(repeating: " ", count: max(0, 56 - evaluate.count))
        console.out("""
        \(title) \(prepared - t0 > 0.5 ? "(files generated in \(Benchmark.format3(prepared - t0)) s)" : "")
        \(output)
          check the program (incl. 3,050 jurisdictions from CSV)   \(Benchmark.format3(tLoad * 1000)) ms
          read the bookings CSV                                   \(Benchmark.format3(tCSV * 1000)) ms
          \(label) \(Benchmark.format3(tRun * 1000)) ms  (\(Benchmark.format3(Double(cases) / tRun / 1e6)) M cases/s)
          total in process                                         \(Benchmark.format3(total * 1000)) ms
          peak memory                                              \(Benchmark.formatBytes(Double(peak)))
          (whole process: hyperfine '\(CommandLine.arguments.first ?? "policy") run \(folder)/\(script)'\(peers.map { "; \($0) \(folder)" } ?? ""))

        """)
        return .success
    }
}

extension Workloads {
    /// `policy bench decision`: one case's `outcome(booking { … })` on the §1 model, after
    /// warm-up; and `check` of a generated 5,000-line program.
    public static func engine(console: Console) -> ExitCode {
        let program = """
        enum charge { violent_felony, serious_felony, felony, misdemeanor }
        enum outcome { no_match, no_detainer, declined, transferred }
        jurisdiction attributes { circuit: string = "", admissions: int = 0 }
        jurisdiction usa: federal "United States"
        jurisdiction california: state in usa "California" { circuit: "ninth" }
        jurisdiction los_angeles: county in california "Los Angeles County" { admissions: 140_000 }
        jurisdiction illinois: state in usa "Illinois" { circuit: "seventh" }
        jurisdiction cook: county in illinois "Cook County" { admissions: 100_000 }
        agency ice of usa "Immigration and Customs Enforcement"
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
          convicted: bool = false
          removal_order: bool = false
          ident_match: bool = false
        }
        param discretion: number = 70%
        decision detainer(b: booking): bool = false
        decision honored(b: booking): bool = true combine deny_overrides
        let serious(b: booking): bool = b.charge in {violent_felony, serious_felony} or b.convicted
        decision outcome(b: booking): outcome =
          if not b.ident_match then no_match
          else if not detainer(b) then no_detainer
          else if not honored(b) then declined
          else transferred
        policy detainers_2008 by ice from 2008-10-27 until 2012-12-21 { detainer(b) = b.ident_match and chance(discretion) }
        policy priorities_2012 by ice from 2012-12-21 { detainer(b) = b.ident_match and (serious(b) or b.removal_order) }
        policy detainer_ban(j: jurisdiction) by j { honored(b) = false }
        policy trust_act by california proposed { honored(b) = serious(b) }
        event cook_ordinance on 2011-09-07 by cook { enact detainer_ban(cook) }
        event trust_act_signed on 2013-10-05 by california { enact trust_act from 2014-01-01 }
        let probe = booking { jurisdiction: los_angeles, date: 2014-06-01, ident_match: true, charge: serious_felony }
        outcome(probe)

        """
        let session = Session(console: Console(out: { _ in }, err: { console.err($0) }))
        guard session.load([]) == .success else { return .internalError }
        let unit = Parser.parse(SourceFile(name: "<bench>", text: program))
        let checker = Checker(provider: nil)
        let result = checker.check([unit])
        guard !result.hasErrors, case .expression(let eval, _, _)? = result.statements.last else {
            for d in result.diagnostics { console.err(DiagnosticRenderer().render(d)) }
            return .internalError
        }
        var frame = Frame(world: result.program.baseline)
        for _ in 0..<10_000 { _ = try? eval(&frame) }
        let n = 200_000
        let t = seconds { for _ in 0..<n { _ = try? eval(&frame) } }

        // A 5,000-line program, checked.
        var text = Benchmark.syntheticProgram(bytes: 1)
        var lines = text.split(separator: "\n").count
        var i = 0
        while lines < 5_000 {
            let chunk = """
            jurisdiction x\(i): county in usa { admissions: \(i) }
            decision d\(i)(b: booking): bool = b.ident_match and (b.charge <= felony or b.convicted) combine deny_overrides
            let s\(i)(b: booking): number = if b.convicted then 0.5 * \(i % 9 + 1) else -(\(i) / 3) - 12.5%
            policy p\(i)(j: jurisdiction) by j from 2010-01-01 until 2014-06-30 {
              d\(i)(b) = s\(i)(b) > 3 and b.date >= 2011-09-07 + 30 days when b.charge in {felony, misdemeanor}
            }
            event e\(i) on 2012-01-01 by usa { enact p\(i)(x\(i)) from 2013-01-01 }

            """
            text += chunk
            lines += 8
            i += 1
        }
        // The same decision on the Secure Communities model (every U.S. county, its policies and
        // their instances, the dated events and the reactions of the local revolt).
        var tModel: Double?
        let modelPath = "Examples/secure-communities/main.policy"
        if case .success(let modelFile) = SourceLoader.load(modelPath) {
            let probe = SourceFile(name: "<probe>", text: """
                outcome(booking { date: 2014-03-01, jurisdiction: los_angeles, charge: felony, prior: felony_conviction, in_ident: true })

                """)
            let provider = FileProvider()
            let modelResult = Checker(provider: provider).check([Parser.parse(modelFile), Parser.parse(probe)])
            if !modelResult.hasErrors, case .expression(let modelEval, _, _)? = modelResult.statements.last {
                var modelFrame = Frame(world: modelResult.program.baseline)
                for _ in 0..<10_000 { _ = try? modelEval(&modelFrame) }
                tModel = seconds { for _ in 0..<n { _ = try? modelEval(&modelFrame) } }
            } else {
                for d in modelResult.diagnostics { console.err(DiagnosticRenderer().render(d)) }
            }
        }

        let bigUnit = Parser.parse(SourceFile(name: "<bench-check>", text: text))
        var checkErrors = 0
        let tCheck = seconds { checkErrors = Checker(provider: nil).check([bigUnit]).diagnostics.count }
        console.out("""
        engine benchmark
          outcome(booking { … }) on the §1 model   \(Benchmark.format3(t / Double(n) * 1e6)) µs per evaluation (after warm-up, \(n) runs)
          outcome(booking { … }) on the Secure Communities model   \(tModel.map { "\(Benchmark.format3($0 / Double(n) * 1e6)) µs per evaluation" } ?? "not measured (run from the package folder)")
          check a \(lines)-line program           \(Benchmark.format3(tCheck * 1000)) ms (\(checkErrors) diagnostics; parsing not included)

        """)
        return .success
    }
}
