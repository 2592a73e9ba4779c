// Populations (generated, and sometimes read from a CSV file) and the queries over them, for
// SemanticProgramGenerator.

extension SemanticProgramGenerator {
    /// Declares one or two populations; returns the CSV file's text when one reads it.
    mutating func declarePopulations() -> String? {
        var pops: [String] = []
        var csv: String?
        emit("population pop0 of rec {")
        // Now and then more cases than one chunk (32,768) holds, so the threads share the work.
        big = rng.chance(2)
        emit("  size \(big ? rng.range(65_537, 90_000) : rng.range(200, 3_000))")
        if rng.chance(80) { emit("  seed \(rng.range(0, 99_999))") }
        emit("  date uniform \(dateRange())")
        if rng.chance(85) { emit("  jurisdiction weighted by \(rng.chance(80) ? "ai0" : "an0")") } else { emit("  jurisdiction = \(rng.pick(leaves))") }
        var generated: [String] = ["date", "jurisdiction"]
        for f in fields where f.defaultText == nil || rng.chance(75) {
            var scope = GenScope.generator(fields: generated)
            var line = "  \(f.name) \(generatorText(f, &scope))"
            if f.defaultText != nil, rng.chance(15) { line += " when \(expr(.bool, &scope, depth: 1))" }
            emit(line)
            generated.append(f.name)
        }
        // Now and then a weighted population (§10): every engine adds the weights.
        if rng.chance(20) {
            let ints = fields.filter { $0.type == .int && generated.contains($0.name) }
            if let f = ints.isEmpty ? nil : rng.pick(ints), rng.chance(70) {
                emit("  weight 0.25 + max(0, \(f.name)) / 4")
            } else {
                emit("  weight \(rng.range(1, 9)).5")
            }
        }
        emit("}")
        pops.append("pop0")
        if rng.chance(30) {
            csv = csvText()
            emit("population pop1 of rec from \"cases.csv\"")
            pops.append("pop1")
            if rng.chance(50) { emit("population pop2 of rec from \"cases.csv\" { seed \(rng.range(1, 99)) }") }
        }
        populations = pops
        return csv
    }

    /// `A .. B` with A on or before B.
    mutating func dateRange() -> String {
        let a = dateLiteral(), b = dateLiteral()
        return a <= b ? "\(a) .. \(b)" : "\(b) .. \(a)"
    }

    var leaves: [String] {
        counties.filter { c in !cities.contains { $0.hasPrefix("t" + c.dropFirst()) } } + cities
    }

    mutating func generatorText(_ f: GenField, _ scope: inout GenScope) -> String {
        let computed = rng.chance(20)
        switch f.type {
        case .bool: return computed ? "= \(expr(.bool, &scope, depth: 2))" : "\(rng.range(0, 100))%"
        case .int:
            if computed { return "= \(expr(.int, &scope, depth: 2))" }
            // Often a narrow range: a small field, which the memo keys on.
            let lo = rng.range(-5, 20)
            return "uniform \(lo) .. \(lo + (rng.chance(50) ? rng.range(0, 3) : rng.range(0, 60)))"
        case .number:
            if computed { return "= \(expr(.number, &scope, depth: 2))" }
            return "uniform \(rng.range(0, 5)).5 .. \(rng.range(6, 30)).25"
        case .date:
            if computed { return "= \(expr(.date, &scope, depth: 2))" }
            return "uniform \(dateRange())"
        case .string, .juris:
            if f.type == .juris, rng.chance(50) { return "weighted by ai0" }
            return "= \(expr(f.type, &scope, depth: 2))"
        case .enumeration(let k):
            if computed { return "= \(expr(f.type, &scope, depth: 2))" }
            // Shares in whole percent that add up to 100.
            var left = 100
            var parts: [String] = []
            for (i, m) in enums[k].enumerated() {
                let p = i == enums[k].count - 1 ? left : rng.range(0, left)
                left -= p
                parts.append("\(m): \(p)%")
            }
            return "{ \(parts.joined(separator: ", ")) }"
        }
    }

    /// A cases file: `date`, `jurisdiction` and some fields, a few cells left empty.
    mutating func csvText() -> String {
        let columns = fields.filter { $0.defaultText == nil || rng.chance(60) }
        var rows = [(["date", "jurisdiction"] + columns.map(\.name)).joined(separator: ",")]
        let places = leaves + (rng.chance(30) ? states : [])
        for _ in 0..<rng.range(50, 1_500) {
            var cells = [dateLiteral(), rng.pick(places)]
            for f in columns {
                if f.defaultText != nil, rng.chance(10) { cells.append(""); continue }
                switch f.type {
                case .bool: cells.append(rng.pick(["true", "false", "1", "0", "yes", "no"]))
                case .int: cells.append(String(risky && rng.chance(2) ? 4_611_686_018_427_387_904 : rng.range(-10, 90)))
                case .number: cells.append(rng.pick(["0.5", "1", "2.75", "10", "-3.5", "0.125"]))
                case .date: cells.append(dateLiteral())
                case .string: cells.append(rng.pick(["a", "b", "x y", "zz"]))
                case .juris: cells.append(rng.pick(allJurisdictions))
                case .enumeration(let k): cells.append(rng.pick(enums[k]))
                }
            }
            rows.append(cells.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    // MARK: queries

    mutating func aggregate(_ scope: inout GenScope) -> String {
        switch rng.below(9) {
        case 0: return "count"
        case 1: return "count(\(expr(.bool, &scope, depth: 2)))"
        case 2: return "sum(\(expr(.int, &scope, depth: 2)))"
        case 3: return "sum(\(expr(.number, &scope, depth: 2)))"
        case 4: return "mean(\(expr(rng.chance(50) ? .int : .number, &scope, depth: 2)))"
        case 5: return "share(\(expr(.bool, &scope, depth: 2)))"
        default:
            guard !enums.isEmpty else { return "count" }
            let k = rng.below(enums.count)
            return expr(.enumeration(k), &scope, depth: 2)
        }
    }

    mutating func key(_ scope: inout GenScope) -> String {
        switch rng.below(11) {
        case 0, 1: return "year"
        case 2: return "quarter"
        case 3: return "month"
        case 4 where !enums.isEmpty, 5 where !enums.isEmpty: return expr(.enumeration(rng.below(enums.count)), &scope, depth: 1)
        case 6: return rng.pick(["jurisdiction", "jurisdiction.kind", "jurisdiction.ai0"])
        case 7: return expr(.int, &scope, depth: 1)
        default: return expr(.bool, &scope, depth: 1)
        }
    }

    mutating func emitQueries() {
        for _ in 0..<(big ? 2 : rng.range(3, 7)) {
            var scope = GenScope.query(definitions: definitions.count, scenarios: scenarios)
            let pop = big ? "pop0" : rng.pick(populations)
            let aggs = (0..<rng.range(1, 3)).map { _ in aggregate(&scope) }.joined(separator: ", ")
            var keys = ""
            if rng.chance(85) {
                keys = " by " + (0..<(rng.chance(25) ? 2 : 1)).map { _ in key(&scope) }.joined(separator: ", ")
            }
            let filter = rng.chance(35) ? " where \(expr(.bool, &scope, depth: 2))" : ""
            // Analysis clauses (§10): replicates, a sweep of a param; both run every engine
            // on worlds and populations made for the query.
            var analysis = ""
            if !big, rng.chance(15) { analysis += " replicates \(rng.range(2, 3))" }
            if !big, rng.chance(15), let (p, type) = params.randomElement(&rng) {
                analysis += " sweep \(p) in {\(literal(type, small: true)), \(literal(type, small: true))}"
            }
            switch rng.below(10) {
            case 0...4:
                let under = rng.chance(25) ? " under \(rng.pick(scenarios))" : ""
                emit("table \(aggs)\(keys) from \(pop)\(filter)\(under)\(analysis)")
            case 5...7:
                if !big, !scenariosWithChanges.isEmpty, rng.chance(15) {
                    emit("decompose \(rng.pick(scenariosWithChanges)) on \(aggs)\(keys) from \(pop)\(filter)\(rng.chance(30) ? " replicates 2" : "")")
                    continue
                }
                var names = ["baseline"] + scenarios
                if rng.chance(30) { names.swapAt(0, rng.below(names.count)) }
                let n = min(names.count, rng.range(2, 3))
                emit("compare \(names.prefix(n).joined(separator: ", ")) on \(aggs)\(keys) from \(pop)\(filter)\(analysis)")
            default:
                let cond = expr(.bool, &scope, depth: 2)
                switch rng.below(4) {
                case 0: emit("count(\(pop) where \(cond))")
                case 1: emit("share(\(pop) where \(cond))")
                case 2: emit("sum(\(pop), \(expr(rng.chance(50) ? .int : .number, &scope, depth: 2)))")
                default: emit("mean(\(pop), \(expr(.number, &scope, depth: 2)))")
                }
            }
        }
    }
}
