import PolicySyntax
import PolicySupport

// `sample N from POP [where COND] [under S]` (LANGUAGE.md §10): N cases chosen at random,
// listed in case order with their case numbers.

/// A checked `sample` statement.
public struct SampleQuery: Sendable {
    var count: Eval
    /// Where the count is written (for a count that is not positive).
    var countSource: SourceRef
    var population: Int
    var filter: Eval?
    /// nil: the session's current scenario.
    var scenario: Int?
}

extension Checker {
    func sample(_ s: Statement, _ scope: Scope) -> CheckedStatement {
        let src = scope.ref(s.span)
        guard case .sample(let count, let from, let condition, let under) = s.kind else { return .declaration(source: src) }
        let countTyped = require(expr(count, scope, expected: .int), .int, count, scope, what: "the number of cases to sample")
        if case .int(let n, _) = count.kind, n <= 0 {
            error("'sample' needs a positive number of cases, not \(n)", scope.ref(count.span), hint: "write sample 10 from \(from.text)")
        }
        let scenario = under.flatMap { scenarioIndex($0, scope) }
        guard let p = populationIndex(from, scope) else { return .declaration(source: src) }
        let record = program.populations[p].record
        // A population of an unknown record type was reported where it is declared.
        guard record >= 0 else { return .declaration(source: src) }
        var inner = scope
        inner.subject = .record(record)
        inner.streamName = "query"
        let filter = condition.map { require(expr($0, inner, expected: .bool), .bool, $0, inner, what: "the 'where' condition").eval }
        return .sample(SampleQuery(count: countTyped.eval, countSource: scope.ref(count.span), population: p, filter: filter,
                                   scenario: scenario), source: src)
    }

    /// The population a statement names, or an error with the nearest population name.
    func populationIndex(_ name: Name, _ scope: Scope) -> Int? {
        if case .population(let p)? = lookupSymbol(name.text, scenario: scope.scenario) { return p }
        error("unknown population '\(name.text)'", scope.ref(name.span), hint: suggest(name.text, populationNames(scope)))
        return nil
    }

    func populationNames(_ scope: Scope) -> [String] {
        visibleNames(scenario: scope.scenario).filter {
            if case .population? = lookupSymbol($0, scenario: scope.scenario) { return true }
            return false
        }
    }
}

enum SampleRunner {
    /// The name of the random stream that orders cases for sampling: each case gets a key
    /// from (population seed, this stream, case number) and the N smallest keys are chosen,
    /// so the choice does not depend on the order cases are looked at, and a case chosen
    /// for `sample 5` is also chosen for `sample 10`.
    static let stream = "sample"

    static func run(_ s: SampleQuery, program: Program, current: Int) throws -> ResultTable {
        let scenario = s.scenario ?? current
        let world = program.worlds[scenario]
        var frame = Frame(world: world)
        let n = try s.count(&frame).asInt
        let name = program.populations[s.population].name
        guard n > 0 else {
            throw EvalError("'sample' needs a positive number of cases, not \(n)", at: s.countSource,
                            hint: "write sample 10 from \(name)")
        }
        let data = try PopulationBuilder.build(s.population, in: world, cancel: program.cancellation)
        let rows = try matchingRows(s, data, &frame, program)
        let streamKey = StableHash.streamKey(seed: data.seed, stream: stream)
        var chosen = rows
        if rows.count > n {
            let keyed = rows.map { (key: StableHash.uniform(streamKey, UInt64($0)), row: $0) }
            // Ties (equal keys) fall to the lower case number, so the choice is total.
            chosen = keyed.sorted { $0.key != $1.key ? $0.key < $1.key : $0.row < $1.row }.prefix(Int(n)).map(\.row).sorted()
        }
        return table(chosen, of: rows.count, data, name: name, scenario: s.scenario.map { program.scenarios[$0].name }, program)
    }

    /// The cases that pass the `where` condition, in case order. A case whose condition
    /// fails with an error is reported as in any population run (§5).
    static func matchingRows(_ s: SampleQuery, _ data: PopulationData, _ frame: inout Frame, _ program: Program) throws -> [Int] {
        guard let filter = s.filter else { return Array(0..<data.count) }
        var rows: [Int] = []
        var errors = RunErrors()
        for row in 0..<data.count {
            if row & 0x3FFF == 0, program.cancellation.isRaised { throw Interrupted() }
            let c = data.caseRecord(row)
            frame.subject = .record(c)
            do {
                if try filter(&frame).asBool { rows.append(row) }
            } catch let e as EvalError {
                errors.add(e, row: row, c)
            }
        }
        try errors.throwIfAny()
        return rows
    }

    static func table(_ rows: [Int], of matching: Int, _ data: PopulationData, name: String, scenario: String?,
                      _ program: Program) -> ResultTable {
        let f = ValueFormatter(program)
        let fields = program.records[data.record].fields
        var t = ResultTable(header: ["case"] + fields.map(\.name), keyColumns: 1, rows: rows.map { row in
            [.int(Int64(row))] + data.columns.map { column -> ResultTable.Cell in
                switch column.value(row) {
                case .int(let i): return .int(i)
                case .number(let d): return .number(d)
                case .string(let text): return .text(text)
                case let v: return .text(f.format(v))
                }
            }
        })
        let of = matching == data.count ? "\(Limits.grouped(data.count)) cases of \(name)"
            : "\(Limits.grouped(matching)) matching cases of \(name)"
        t.title = "\(Limits.grouped(rows.count)) of \(of)\(scenario.map { " (under \($0))" } ?? "")"
        return t
    }
}
