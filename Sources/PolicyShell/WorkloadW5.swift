#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax

// W5: W4's model over a generated population with the same continuous fields (bail, age,
// days held), and a `compare` of two scenarios by year — nearly every case is distinct, so
// the whole population is evaluated in both scenarios.

extension Workloads {
    /// W5's script: W4's rules, a scenario that brings the bail rule in earlier and to twice
    /// as many counties, `cases` generated bookings and the compare.
    static func w5Program(cases: Int) -> String {
        """
        ## W5: W4's rules over \(cases) generated bookings with continuous fields, two scenarios compared.
        \(w4Model(attributes: "bail_cap: int = 100_000, admissions: int = 0"))
        scenario early_bail_rule "What if the bail rule had come in 2013 and reached twice as many counties?" {
          cancel bail_wave
          event early_bail_wave on 2013-01-01 {
            for j in jurisdictions where j.kind == county and j.name >= "C0100" and j.name < "C1900" { enact bail_rule(j) }
          }
        }

        population bookings of booking {
          size \(cases)
          seed 11
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction weighted by admissions
          charge { violent_felony: 10%, felony: 30%, misdemeanor: 60% }
          prior_conviction 30%
          prior_removal 4%
          match 30%
          bail uniform 0 .. 100_000
          age uniform 16 .. 80
          days_held uniform 1 .. 60
        }

        compare baseline, early_bail_rule on outcome by year from bookings

        """
    }

    /// `policy bench w5`: W5's phases and figures.
    public static func w5(dir: String, cases: Int, console: Console) -> ExitCode {
        let folder = "\(dir)/w5-\(cases)"
        mkdir(dir, 0o755)
        mkdir(folder, 0o755)
        let j = jurisdictionsCSV(extraColumns: ",bail_cap,admissions", stateCells: ",100000,0") { c in
            ",\(20_000 + (c * 7_919) % 80_001),\(1_000 + (c * 104_729) % 50_000)"
        }
        let script = "\(folder)/w5.policy"
        guard FileWriter.write("\(folder)/jurisdictions.csv", j) == nil,
              FileWriter.write(script, w5Program(cases: cases)) == nil else { return .noInput }
        return generatedCompare(
            title: "W5 — \(ValueFormatter.grouped(Int64(cases))) generated bookings with bail, age and days held, compare of two scenarios by year",
            script: script, population: "bookings", cases: cases, console: console)
    }
}
