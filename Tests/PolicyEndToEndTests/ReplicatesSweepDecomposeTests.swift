import Foundation
import XCTest

/// `replicates`, `sweep` and `decompose` (LANGUAGE.md §10), through the real executable:
/// intervals that cover what they claim, paired differences, long-format sweeps, Shapley
/// shares that add up, and the errors of each clause.
final class ReplicatesSweepDecomposeTests: XCTestCase {
    static let model = """
        enum charge { felony, misdemeanor }
        jurisdiction attributes { admissions: int = 1 }
        jurisdiction usa: federal
        jurisdiction cook: county in usa
        jurisdiction dupage: county in usa
        record booking {
          date: date
          jurisdiction: jurisdiction
          charge: charge = misdemeanor
        }
        param p: number = 30%
        param q: number = 10%
        population bookings of booking {
          size 3_000
          seed 11
          date uniform 2012-01-01 .. 2013-12-31
          jurisdiction weighted by admissions
          charge { felony: 30%, misdemeanor: 70% }
        }
        decision detain(b: booking): bool = chance(p)
        decision flag(b: booking): bool = chance(q)
        policy felons by cook { detain(b) = b.charge == felony or chance(p) }
        let held(b: booking): bool = detain(b) or flag(b)

        """

    static let reform = """
        scenario reform {
          param p = 50%
          cancel felons
          param q = 25%
        }

        """

    func run(_ program: String, format: String? = nil, limits: [String] = [], environment: [String: String] = [:],
             file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        let dir = try scratchDirectory()
        _ = try writeFile(dir, "m.policy", program)
        let args = ["run", "--no-color"] + limits.flatMap { ["--limit", $0] } + (format.map { ["--format", $0] } ?? []) + ["m.policy"]
        let r = try PolicyProcess.run(args, environment: environment, currentDirectory: dir, timeout: 300, file: file, line: line)
        assertNoCrash(r, "run", file: file, line: line)
        return r
    }

    func json(_ r: PolicyProcess.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        if let rows = JSONDocument.tableRows(r.stdout) { return rows }
        XCTFail("not a table: \(r.stdout.prefix(500))", file: file, line: line)
        return []
    }

    func number(_ row: [String: Any], _ key: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
        guard let n = row[key] as? NSNumber else {
            XCTFail("no number '\(key)' in \(row)", file: file, line: line)
            return .nan
        }
        return n.doubleValue
    }

    // MARK: - replicates

    /// A Bernoulli field with p = 30% over 100 cases: its count has mean 30. Over 1,000
    /// independent experiments of 10 replicates each (a sweep of the seed), the 95%
    /// intervals must cover 30 about 95% of the time.
    func testIntervalsCoverTheTrueValueAboutNinetyFivePercentOfTheTime() throws {
        let program = """
            jurisdiction usa: federal
            record trial {
              date: date
              jurisdiction: jurisdiction
              flag: bool = false
            }
            param s: int = 0
            population trials of trial {
              size 100
              seed s
              date uniform 2010-01-01 .. 2010-12-31
              jurisdiction = usa
              flag 30%
            }
            table count(flag) from trials sweep s in 0 .. 999_000 step 1_000 replicates 10

            """
        let r = try run(program, format: "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = CSVOutput.tables(r.stdout).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "s,count(flag) mean,count(flag) sd,count(flag) ci_low,count(flag) ci_high")
        var covered = 0, total = 0
        for line in lines.dropFirst() {
            let f = line.split(separator: ",").compactMap { Double($0) }
            guard f.count == 5 else { return XCTFail("bad row: \(line)") }
            XCTAssertEqual(f[1] - f[3], f[4] - f[1], accuracy: 1e-9, "the interval is centred on the mean")
            total += 1
            if f[3] <= 30, 30 <= f[4] { covered += 1 }
        }
        XCTAssertEqual(total, 1_000)
        let rate = Double(covered) / Double(total)
        XCTAssertTrue((0.93...0.97).contains(rate), "coverage \(rate)")
    }

    /// Common random numbers: within a replicate both scenarios read the same draws, so the
    /// paired difference varies much less than the two columns do on their own.
    func testAPairedDifferenceHasANarrowerIntervalThanAnUnpairedOne() throws {
        let program = Self.model + Self.reform + "compare baseline, reform on count(held) by jurisdiction from bookings replicates 20\n"
        let r = try run(program, format: "json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try json(r)
        XCTAssertEqual(rows.count, 2)
        let t19 = 2.093024
        for row in rows {
            let paired = (number(row, "count(held) Δ reform ci_high") - number(row, "count(held) Δ reform ci_low")) / 2
            let sdBase = number(row, "count(held) baseline sd"), sdReform = number(row, "count(held) reform sd")
            let unpaired = t19 * (sdBase * sdBase / 20 + sdReform * sdReform / 20).squareRoot()
            XCTAssertLessThan(paired, unpaired, "\(row)")
            let difference = number(row, "count(held) reform mean") - number(row, "count(held) baseline mean")
            XCTAssertEqual(number(row, "count(held) Δ reform mean"), difference, accuracy: 1e-9)
        }
    }

    func testReplicatesPrintMeansWithIntervalsAndTheSameOnEveryRun() throws {
        let program = Self.model + "table count(held) by jurisdiction from bookings replicates 5\n"
        let r = try run(program)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first?.split(separator: " ", omittingEmptySubsequences: true), ["jurisdiction", "count(held)"])
        XCTAssertTrue(lines[1].hasPrefix("cook") && lines[1].contains(" ± "), r.stdout)
        XCTAssertTrue(r.stdout.contains("Mean of 5 replicates ± the half-width of its 95% confidence interval."), r.stdout)
        XCTAssertEqual(try run(program).stdout, r.stdout)
        // Replicate 0 is the population as declared: its draws are the plain query's.
        let plain = try run(Self.model + "table count(held) by jurisdiction from bookings\n", format: "json")
        let two = try run(Self.model + "table count(held) by jurisdiction from bookings replicates 2\n", format: "json")
        XCTAssertEqual(two.status, 0, two.stderr)
        let one = try json(plain).map { number($0, "count(held)") }
        XCTAssertEqual(one.count, 2)
        XCTAssertEqual(try json(two).count, 2)
    }

    func testReplicatesBelowTwoAreAnError() throws {
        let r = try run(Self.model + "table count from bookings replicates 1\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: 'replicates' needs 2 or more, not 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("m.policy:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("a confidence interval needs at least two runs"), r.stderr)
    }

    // MARK: - sweep

    func testASweepPrintsOneRowPerPointAndKeyInLongFormat() throws {
        let program = Self.model + "table count(detain) by jurisdiction from bookings sweep p in {10%, 20%}\n"
        let r = try run(program)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.first, ["p", "jurisdiction", "count(detain)"])
        XCTAssertEqual(rows.dropFirst().map { Array($0.prefix(2)) }, [["10%", "cook"], ["10%", "dupage"], ["20%", "cook"], ["20%", "dupage"]])
        // A point is the query with `param p = V` patched in: the same as such a scenario.
        let patched = try run(Self.model + "scenario twenty { param p = 20% }\ntable count(detain) by jurisdiction from bookings under twenty\n")
        let figures = patched.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").last.map(String.init) ?? "" }
        XCTAssertEqual(rows.suffix(2).map { $0.last ?? "" }, figures, "\(r.stdout)\n\(patched.stdout)")
    }

    func testSweepsFormTheirProductAndRangesIncludeTheirEnds() throws {
        let program = Self.model + "table count(held) from bookings sweep p in 0.1 .. 0.3 step 0.1 sweep q in {0%, 50%}\n"
        let r = try run(program, format: "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = CSVOutput.tables(r.stdout).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "p,q,count(held)")
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") },
                       ["0.1,0.0", "0.1,0.5", "0.2,0.0", "0.2,0.5", "0.30000000000000004,0.0", "0.30000000000000004,0.5"])
    }

    func testASweepThatIsNotOfAParamIsAnError() throws {
        let r = try run(Self.model + "table count from bookings sweep pp in {1%}\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: unknown param 'pp'; a sweep varies a param"), r.stderr)
        XCTAssertTrue(r.stderr.contains("params: p"), r.stderr)
        let held = try run(Self.model + "table count from bookings sweep held in {true}\n")
        XCTAssertEqual(held.status, 65)
        XCTAssertTrue(held.stderr.contains("'held' is a let, not a param; a sweep varies a param"), held.stderr)
        let typed = try run(Self.model + "table count from bookings sweep p in {true}\n")
        XCTAssertEqual(typed.status, 65)
        XCTAssertTrue(typed.stderr.contains("a value of 'p'"), typed.stderr)
    }

    func testASweepPastItsLimitOrWithABadStepIsAnError() throws {
        let r = try run(Self.model + "table count from bookings sweep p in {1%, 2%, 3%}\n", limits: ["sweep=2"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("error: the sweeps make more than 2 points"), r.stderr)
        XCTAssertTrue(r.stderr.contains("raise the limit with --limit sweep=N"), r.stderr)
        let step = try run(Self.model + "table count from bookings sweep p in 0.1 .. 0.2 step 0.0\n")
        XCTAssertEqual(step.status, 65)
        XCTAssertTrue(step.stderr.contains("error: the step of a sweep must be more than zero"), step.stderr)
        let missing = try run(Self.model + "table count from bookings sweep p in 0.1 .. 0.2\n")
        XCTAssertEqual(missing.status, 65)
        XCTAssertTrue(missing.stderr.contains("'step'"), missing.stderr)
    }

    // MARK: - decompose

    func testShapleySharesAddUpToTheTotalAndDoNotDependOnTheOrderOfTheChanges() throws {
        let query = "decompose reform on count(held), share(held) by jurisdiction from bookings\n"
        let r = try run(Self.model + Self.reform + query, format: "json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try json(r)
        XCTAssertEqual(rows.count, 8, "3 changes and a total, per jurisdiction")
        func shares(_ rows: [[String: Any]]) -> [String: Double] {
            var out: [String: Double] = [:]
            for row in rows { out["\(row["jurisdiction"] ?? "")/\(row["change"] ?? "")"] = number(row, "count(held) share") }
            return out
        }
        for j in ["cook", "dupage"] {
            let mine = rows.filter { $0["jurisdiction"] as? String == j }
            let total = mine.first { ($0["change"] as? String)?.hasPrefix("total") == true }.map { number($0, "count(held) share") } ?? .nan
            let sum = mine.filter { ($0["change"] as? String)?.hasPrefix("total") == false }.reduce(0) { $0 + number($1, "count(held) share") }
            XCTAssertEqual(sum, total, accuracy: 1e-9, j)
            XCTAssertEqual(total, total.rounded(), "a count's total is whole")
            let shareTotal = mine.first { ($0["change"] as? String)?.hasPrefix("total") == true }.map { number($0, "share(held) share") } ?? .nan
            let shareSum = mine.filter { ($0["change"] as? String)?.hasPrefix("total") == false }.reduce(0) { $0 + number($1, "share(held) share") }
            XCTAssertEqual(shareSum, shareTotal, accuracy: 1e-12, j)
        }
        // The total is the plain compare's difference.
        let compare = try run(Self.model + Self.reform + "compare baseline, reform on count(held) by jurisdiction from bookings\n", format: "json")
        let differences = try json(compare).map { number($0, "count(held) Δ") }
        let totals = rows.filter { ($0["change"] as? String)?.hasPrefix("total") == true }.map { number($0, "count(held) share") }
        XCTAssertEqual(differences, totals)
        // The same scenario with its changes in another order: the same shares.
        let reordered = """
            scenario reform {
              param q = 25%
              param p = 50%
              cancel felons
            }

            """
        let again = try run(Self.model + reordered + query, format: "json")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(shares(try json(again)), shares(rows))
        let names = try json(again).prefix(3).compactMap { $0["change"] as? String }
        XCTAssertEqual(names, ["param q", "param p", "cancel policy felons"], "rows follow the scenario's own order")
    }

    func testADecompositionShowsEachChangeAloneAndLast() throws {
        let r = try run(Self.model + Self.reform + "decompose reform on count(held) from bookings\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "reform − baseline, split among the 3 changes of reform")
        XCTAssertEqual(lines[2].split(separator: " "), ["change", "share", "alone", "last"])
        XCTAssertTrue(lines[3].hasPrefix("param p "), r.stdout)
        XCTAssertTrue(lines[4].hasPrefix("cancel policy felons "), r.stdout)
        XCTAssertTrue(lines[6].hasPrefix("total (reform − baseline) "), r.stdout)
        XCTAssertTrue(r.stdout.contains("alone: its effect applied to baseline by itself; last: its effect removed from reform."))
    }

    /// A let the scenario adds changes nothing by itself: it is in every sub-scenario, so the
    /// replaced decision that reads it never meets a sub-scenario without it.
    func testAnAddedLetIsInEverySubScenario() throws {
        let scenario = """
            scenario strict {
              let serious(b: booking): bool = b.charge == felony
              decision flag(b: booking): bool = serious(b) and chance(q)
              param q = 40%
            }
            decompose strict on count(held) from bookings

            """
        let r = try run(Self.model + scenario)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("strict − baseline, split among the 2 changes of strict"), r.stdout)
        XCTAssertTrue(r.stdout.contains("decision flag (replaced)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("In every part: let serious (added by strict; they change nothing by themselves)."), r.stdout)
    }

    func testDecomposeErrorsNameWhatIsWrong() throws {
        let base = try run(Self.model + "decompose baseline on count from bookings\n")
        XCTAssertEqual(base.status, 65)
        XCTAssertTrue(base.stderr.contains("error: baseline is what happened; it changes nothing to decompose"), base.stderr)
        let empty = try run(Self.model + "scenario same {}\ndecompose same on count from bookings\n")
        XCTAssertEqual(empty.status, 65)
        XCTAssertTrue(empty.stderr.contains("error: scenario 'same' makes no change to 'baseline': there is nothing to decompose"), empty.stderr)
        let many = try run(Self.model + Self.reform + "decompose reform on count from bookings\n", limits: ["decompose=2"])
        XCTAssertEqual(many.status, 65)
        XCTAssertTrue(many.stderr.contains("error: scenario 'reform' makes 3 changes; decompose splits a difference among at most 2"), many.stderr)
        XCTAssertTrue(many.stderr.contains("raise the limit with --limit decompose=N"), many.stderr)
        let unknown = try run(Self.model + Self.reform + "decompose refrom on count from bookings\n")
        XCTAssertEqual(unknown.status, 65)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'reform'?"), unknown.stderr)
        let sweep = try run(Self.model + Self.reform + "decompose reform on count from bookings sweep p in {1%}\n")
        XCTAssertEqual(sweep.status, 65)
        XCTAssertTrue(sweep.stderr.contains("error: 'decompose' takes no 'sweep'"), sweep.stderr)
    }

    /// The sub-scenarios are built on every core; one whose timeline fails names the part,
    /// and it is the same part (the first, in subset order) on any number of threads.
    func testASubScenarioWhoseTimelineFailsIsNamed() throws {
        let program = Self.model + """
            param d: int = 1
            param e: int = 0
            event shift on 2012-06-01 { set cook.admissions = floor(10 / (d + e)) }
            scenario tricky {
              param d = 0
              param e = 1
              param p = 50%
            }
            decompose tricky on count(detain) from bookings

            """
        var stderrs: [String] = []
        for threads in ["1", "2", "3"] {
            let r = try run(program, environment: ["POLICY_THREADS": threads])
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("error: division by zero (in the part of 'tricky' made of param d)"), r.stderr)
            XCTAssertTrue(r.stderr.contains("m.policy:\(Self.model.split(separator: "\n", omittingEmptySubsequences: false).count + 2):57"), r.stderr)
            stderrs.append(r.stderr)
        }
        XCTAssertEqual(Set(stderrs).count, 1, stderrs.joined(separator: "\n---\n"))
    }

    /// Sub-scenarios and sweep points that differ only in params the timeline does not read
    /// share one timeline; a param it reads through another's definition (q = p * 2) is not
    /// shared. Each change alone, and each point, must give what a scenario making only
    /// that change gives.
    func testSubScenariosShareATimelineOnlyWhereItCannotDiffer() throws {
        let program = """
            jurisdiction attributes { beds: int = 15, full: bool = false, admissions: int = 1 }
            jurisdiction usa: federal
            jurisdiction cook: county in usa { beds: 15 }
            jurisdiction dupage: county in usa { beds: 25 }
            record booking { date: date, jurisdiction: jurisdiction }
            param p: int = 10
            param q: int = p * 2
            param r: number = 30%
            population bookings of booking {
              size 4_000
              seed 3
              date uniform 2011-01-01 .. 2013-12-31
              jurisdiction weighted by admissions
            }
            when j in jurisdictions where j.kind == county and j.beds > q as crowding { set j.full = true }
            event census on 2012-01-01 by usa
            decision detain(b: booking): bool = b.jurisdiction.full or chance(r)
            scenario s {
              param p = 5
              param r = 50%
            }
            scenario only_p { param p = 5 }
            scenario only_r { param r = 50% }
            decompose s on count(detain) from bookings
            compare baseline, only_p, only_r on count(detain) from bookings
            table count(detain) from bookings sweep p in {5, 10}
            table count(detain) from bookings sweep r in {50%}

            """
        // (`POLICY_ENGINE=scalar` shares no timeline: every world runs its own.)
        for environment in [["POLICY_THREADS": "1"], ["POLICY_THREADS": "3"], ["POLICY_ENGINE": "scalar"]] {
            let r = try run(program, format: "csv", environment: environment)
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let alone = Dictionary(uniqueKeysWithValues: lines.filter { $0.count == 4 && $0[0].hasPrefix("param ") }.map { ($0[0], $0[2]) })
            guard let compare = lines.first(where: { $0.count == 7 && Int($0[0]) != nil }) else { return XCTFail(r.stdout) }
            XCTAssertEqual(alone["param p"], compare[3], r.stdout)
            XCTAssertEqual(alone["param r"], compare[5], r.stdout)
            XCTAssertNotEqual(compare[3], "0", r.stdout)
            // A sweep's points too: each as the scenario that sets the param.
            let points = Dictionary(lines.filter { $0.count == 2 && Int($0[1]) != nil }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(points["5"], compare[1], r.stdout)
            XCTAssertEqual(points["10"], compare[0], r.stdout)
            XCTAssertEqual(points["0.5"], compare[2], r.stdout)
        }
    }

    func testDecomposeWithReplicatesGivesIntervalsThatStillAddUp() throws {
        let r = try run(Self.model + Self.reform + "decompose reform on count(held) from bookings replicates 4\n", format: "json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try json(r)
        XCTAssertEqual(rows.count, 4)
        let total = number(rows[3], "count(held) share mean")
        let sum = rows.prefix(3).reduce(0) { $0 + number($1, "count(held) share mean") }
        XCTAssertEqual(sum, total, accuracy: 1e-9)
        XCTAssertLessThan(number(rows[0], "count(held) share ci_low"), number(rows[0], "count(held) share ci_high"))
    }

    // MARK: - every engine

    /// A sweep point whose reactions enact a policy on another date than any of the
    /// program's own worlds: the memo's periods must break on that date too.
    func testASweepPointWhosePolicyComesInForceOnAnotherDateIsCountedRight() throws {
        let program = """
            jurisdiction attributes { admissions: int = 1, trust: number = 100% }
            jurisdiction usa: federal
            jurisdiction cook: county in usa
            jurisdiction dupage: county in usa
            record booking { date: date, jurisdiction: jurisdiction }
            param threshold: number = 50%
            population bookings of booking {
              size 4_000
              seed 3
              date uniform 2012-01-01 .. 2012-12-31
              jurisdiction weighted by admissions
            }
            decision honored(b: booking): bool = true
            policy ban(j: jurisdiction) by j { honored(b) = false }
            event erode on 2012-03-01 by usa { set cook.trust = 40% }
            event erode_more on 2012-09-01 by usa { set cook.trust = 20% }
            when j in jurisdictions where j.trust < threshold as refuse { enact ban(j) }
            scenario low { param threshold = 30% }

            """
        let swept = program + "table count(honored) by month from bookings sweep threshold in {30%}\n"
        let declared = program + "table count(honored) by month from bookings under low\n"
        var outputs: [String] = []
        for env in [[:], ["POLICY_ENGINE": "general"], ["POLICY_ENGINE": "scalar"], ["POLICY_THREADS": "1"]] {
            let r = try run(swept, format: "csv", environment: env)
            XCTAssertEqual(r.status, 0, "\(env): \(r.stderr)")
            outputs.append(CSVOutput.tables(r.stdout))
        }
        XCTAssertEqual(Set(outputs).count, 1, "every engine alike:\n\(outputs.joined(separator: "\n"))")
        let reference = try run(declared, format: "csv")
        let figures = CSVOutput.tables(reference.stdout).split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        let sweptFigures = (outputs.first ?? "").split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        XCTAssertEqual(sweptFigures, figures, "a sweep point is the scenario with the param patched in")
        XCTAssertEqual(figures.count, 12)
    }

    func testAnalysisPrintsTheSameOnEveryEngineAndThreadCount() throws {
        let program = Self.model + Self.reform + """
            compare baseline, reform on count(held) by jurisdiction from bookings replicates 3 sweep q in {10%, 20%}
            decompose reform on count(held), share(held) from bookings replicates 2
            plot count(held) by year from bookings under baseline, reform replicates 2

            """
        var first: PolicyProcess.Result?
        for env in [[:], ["POLICY_ENGINE": "general"], ["POLICY_ENGINE": "scalar"], ["POLICY_THREADS": "1"], ["POLICY_THREADS": "3"]] {
            let r = try run(program, environment: env)
            XCTAssertEqual(r.status, 0, "\(env): \(r.stderr)")
            if let first { XCTAssertEqual(r.stdout, first.stdout, "\(env)") }
            first = first ?? r
        }
    }

    /// A sub-scenario takes another's answer for a key only when that answer read none of
    /// the params in which they differ: here each param is read by some keys only (by date,
    /// by charge, or behind a draw), and a change of a param no answer reads changes nothing.
    /// The memo's decomposition (which lends answers) equals the general engine's (which
    /// evaluates every case in every sub-scenario), with several replicates and one.
    func testSubScenariosLendOnlyAnswersThatReadNoChangedParam() throws {
        let program = """
            enum charge { felony, misdemeanor }
            jurisdiction attributes { admissions: int = 1 }
            jurisdiction usa: federal
            jurisdiction cook: county in usa
            jurisdiction dupage: county in usa { admissions: 2 }
            record booking {
              date: date
              jurisdiction: jurisdiction
              charge: charge = misdemeanor
            }
            param early: number = 30%
            param late: number = 50%
            param felony_rate: number = 60%
            param gate: number = 20%
            param unused: number = 10%
            population bookings of booking {
              size 6_000
              seed 21
              date uniform 2011-01-01 .. 2013-12-31
              jurisdiction weighted by admissions
              charge { felony: 30%, misdemeanor: 70% }
            }
            decision held(b: booking): bool =
              if b.charge == felony then chance(felony_rate)
              else if chance(gate) then (if b.date < 2012-06-01 then chance(early) else chance(late))
              else false
            scenario reform {
              param early = 45%
              param late = 35%
              param felony_rate = 80%
              param gate = 40%
              param unused = 90%
            }
            decompose reform on count(held), share(held) by year from bookings
            decompose reform on count(held) by jurisdiction from bookings replicates 3

            """
        let memo = try run(program)
        XCTAssertEqual(memo.status, 0, memo.stderr)
        let general = try run(program, environment: ["POLICY_ENGINE": "general"])
        XCTAssertEqual(general.status, 0, general.stderr)
        XCTAssertEqual(memo.stdout, general.stdout)
        XCTAssertTrue(memo.stdout.contains("param unused"), memo.stdout)
        // A param no answer reads has no share.
        let unusedRows = memo.stdout.split(separator: "\n").filter { $0.hasPrefix("2012  param unused") }
        XCTAssertEqual(unusedRows.count, 1, memo.stdout)
        XCTAssertTrue(unusedRows.first?.split(separator: " ").dropFirst(3).first == "0", "\(unusedRows)")
    }

    /// `plot … replicates N` draws each series' 95% interval: dots in the terminal, a shaded
    /// band under the line in SVG, and `NAME ci_low`, `NAME ci_high` columns in CSV — the
    /// interval of the same replicates as the table's, around the mean the line follows.
    func testAPlotWithReplicatesDrawsTheIntervalBand() throws {
        let program = Self.model + Self.reform + "plot count(held) by year from bookings under baseline, reform replicates 6\n"
        let text = try run(program)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("count(held) by year (mean of 6 replicates, with its 95% interval)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("· 95% interval"), text.stdout)
        XCTAssertTrue(text.stdout.contains("·"), text.stdout)

        let dir = try scratchDirectory()
        try writeFile(dir, "m.policy", program.replacingOccurrences(of: "replicates 6\n", with: "replicates 6 to \"held.svg\"\n"))
        let svg = try PolicyProcess.run(["run", "m.policy"], currentDirectory: dir)
        XCTAssertEqual(svg.status, 0, svg.stderr)
        let drawing = String(decoding: try readFile(dir.appendingPathComponent("held.svg").path), as: UTF8.self)
        XCTAssertEqual(drawing.components(separatedBy: "<polygon").count - 1, 2, "a band per series")
        XCTAssertTrue(drawing.contains("fill-opacity=\"0.18\""), drawing)
        // The bands come before the lines, so the lines stay on top.
        if let band = drawing.range(of: "<polygon"), let line = drawing.range(of: "<polyline") {
            XCTAssertLessThan(band.lowerBound, line.lowerBound)
        }

        let csv = try run(program, format: "csv")
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = CSVOutput.tables(csv.stdout).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "year,baseline,baseline ci_low,baseline ci_high,reform,reform ci_low,reform ci_high")
        XCTAssertEqual(lines.count, 3, csv.stdout)
        for row in lines.dropFirst() {
            let v = row.split(separator: ",").dropFirst().compactMap { Double($0) }
            XCTAssertEqual(v.count, 6, row)
            guard v.count == 6 else { continue }
            XCTAssertTrue(v[1] < v[0] && v[0] < v[2], "baseline's interval is around its mean: \(row)")
            XCTAssertTrue(v[4] < v[3] && v[3] < v[5], "reform's interval is around its mean: \(row)")
        }
        // The same interval as the table's for the same replicates.
        let table = try run(Self.model + Self.reform + "table count(held) by year from bookings replicates 6\n", format: "csv")
        let tableRows = CSVOutput.tables(table.stdout).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let plotRows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        for (t, p) in zip(tableRows, plotRows) where t.count >= 5 && p.count >= 4 {
            XCTAssertEqual(t[1], p[1], "mean")
            XCTAssertEqual(t[3], p[2], "ci_low")
            XCTAssertEqual(t[4], p[3], "ci_high")
        }
    }
}
