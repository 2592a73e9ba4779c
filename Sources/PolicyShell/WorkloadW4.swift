import PolicyCore
import PolicySyntax

// W4: W1's pipeline with continuous fields (bail, age, days held) and a per-county
// attribute, so almost every case is distinct and no memo can share answers. The same
// files are read by the peers in bench/w4 (a C program and a numpy script), which must
// print the same table.

extension Workloads {
    static let w4Program = """
    ## W4: W1's pipeline with bail, age and days held, over bookings read from CSV.
    \(w4Model(attributes: "bail_cap: int = 100_000"))
    population bookings of booking from "bookings.csv"

    table outcome, sum(if outcome == transferred then days_held else 0) by year from bookings

    """

    /// W4's declarations and rules, shared with W5 (which adds the attributes it weights by).
    static func w4Model(attributes: String) -> String {
        """
    enum charge { violent_felony, felony, misdemeanor }
    enum outcome { not_matched, no_detainer, declined, transferred }

    jurisdiction attributes { \(attributes) }
    jurisdiction usa: federal "United States"
    jurisdictions from "jurisdictions.csv"

    record booking {
      date: date
      jurisdiction: jurisdiction
      charge: charge
      prior_conviction: bool
      prior_removal: bool
      match: bool
      bail: int
      age: int
      days_held: int
    }

    \(pipeline)
    policy priorities by usa from 2012-12-21 {
      detainer(b) = b.match and (b.prior_conviction or b.prior_removal or b.charge == violent_felony or b.bail >= 50_000)
    }
    policy ban(j: jurisdiction) by j { honored(b) = b.bail >= 90_000 }
    policy bail_rule(j: jurisdiction) by j {
      honored(b) = b.prior_removal or (b.age >= 18 and b.bail >= b.jurisdiction.bail_cap)
    }
    policy trust by S05 from 2014-01-01 {
      honored(b) = b.charge == violent_felony or b.prior_conviction or b.age >= 65
    }

    event bans on 2011-09-07 {
      for j in jurisdictions where j.kind == county and j.name < "C0100" { enact ban(j) }
    }
    event bail_wave on 2014-06-01 {
      for j in jurisdictions where j.kind == county and j.name >= "C0100" and j.name < "C1000" { enact bail_rule(j) }
    }

    """
    }

    /// Writes W4's files (once) and returns the folder.
    static func prepareW4(_ dir: String, cases: Int) -> String? {
        prepareCSVWorkload(dir, "w4", cases: cases, program: w4Program, seed: 2027,
                           extraColumns: ",bail_cap", stateCells: ",100000", countyCells: { ",\(20_000 + ($0 * 7_919) % 80_001)" },
                           bookingColumns: "charge,prior_conviction,prior_removal,match,bail,age,days_held") { rng in
            let u = rng.unit()
            let charge = u < 0.10 ? "violent_felony" : u < 0.40 ? "felony" : "misdemeanor"
            let conviction = rng.unit() < 0.30, removal = rng.unit() < 0.04, match = rng.unit() < 0.30
            let bail = rng.next() % 100_001, age = 16 + rng.next() % 65, held = 1 + rng.next() % 60
            return "\(charge),\(conviction),\(removal),\(match),\(bail),\(age),\(held)"
        }
    }

    /// `policy bench w4`: W1's phases and figures for W4, and how to run the peers.
    public static func w4(dir: String, cases: Int, console: Console) -> ExitCode {
        csvWorkload(title: "W4 — \(ValueFormatter.grouped(Int64(cases))) bookings from CSV with bail, age and days held; outcome and days held of transfers by year",
                    script: "w4.policy", evaluate: "evaluate and add up",
                    peers: "against a C program and numpy on the same files: bench/w4/run.sh", console: console) {
            prepareW4(dir, cases: cases)
        }
    }
}
