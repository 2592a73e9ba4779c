import PolicySyntax

/// An aggregate of a `table`, `compare` or `plot` (§7), computed per group.
public enum AggregateKind: Sendable {
    /// `count`: the cases in the group (weighted when the population is); `cases`
    /// (`plain`): the number of cases, never weighted.
    case count(plain: Bool)
    /// `count(COND)`
    case countIf(Eval)
    /// `share(COND)`: a number in [0, 1].
    case share(Eval)
    /// `sum(EXPR)`; int when EXPR is an int.
    case sum(Eval, isInt: Bool)
    /// `mean(EXPR)`
    case mean(Eval)
    /// An enum-valued expression: one column per member, counting cases.
    case spread(Eval, enumType: Int)
}

public struct QueryAggregate: Sendable {
    public var kind: AggregateKind
    /// The aggregate as written (`count(outcome == transferred)`).
    public var label: String
    var deps = Deps()
    /// The per-case value as a node (`count`: none).
    var node: Node?

    /// The per-case value (`count`: none, every case counts).
    var perCase: Eval? {
        switch kind {
        case .count: return nil
        case .countIf(let e), .share(let e), .sum(let e, _), .mean(let e), .spread(let e, _): return e
        }
    }

    /// Counts cases (`count`, `cases`, `count(COND)`, an enum's members).
    var isCount: Bool {
        switch kind {
        case .count, .countIf, .spread: return true
        case .share, .sum, .mean: return false
        }
    }
}

public enum KeyKind: Sendable {
    case year, month, quarter
    case expression(Eval)

    /// Whether the key is the same on every day of a calendar month (a new calendar key
    /// must say so here, where the table of keys by day relies on it).
    var holdsForAMonth: Bool {
        switch self {
        case .year, .month, .quarter: return true
        case .expression: return false
        }
    }
}

public struct QueryKey: Sendable {
    public var kind: KeyKind
    public var label: String
    var deps = Deps()
    var node: Node?
}

public enum QueryKind: Sendable { case table, compare, plot, decompose }

public struct Query: Sendable {
    public var kind: QueryKind
    public var aggregates: [QueryAggregate]
    public var keys: [QueryKey]
    public var population: Int
    public var filter: Eval?
    /// Scenarios; empty means the session's current one.
    public var scenarios: [Int]
    /// `plot … to "file.svg"`, resolved against the script's folder.
    public var output: String?
    /// `plot … titled "…"`: the chart's title instead of its aggregates and keys.
    public var title: String?
    var filterDeps = Deps()
    var filterNode: Node?
    /// The `where` condition as written (part of what identifies its answers).
    var filterLabel = ""
    /// Replicates, sweeps, decomposition (§10).
    public var analysis = QueryAnalysis()
}

extension Checker {
    func query(_ s: Statement, _ scope: Scope) -> CheckedStatement {
        let src = scope.ref(s.span)
        let kind: QueryKind
        let aggs: [Expr], keys: [Expr], from: Name, condition: Expr?
        var scenarioNames: [Name] = []
        var output: StringLiteral?
        let clauses: Analysis
        var decompose: Name?
        var title: String?
        switch s.kind {
        case .table(let a, let k, let f, let w, let u, let t, let an):
            kind = .table; aggs = a; keys = k; from = f; condition = w; clauses = an; output = t
            scenarioNames = u.map { [$0] } ?? []
        case .compare(let ss, let a, let k, let f, let w, let t, let an):
            kind = .compare; aggs = a; keys = k; from = f; condition = w; scenarioNames = ss; clauses = an; output = t
        case .plot(let a, let k, let f, let w, let u, let t, let an, let titled):
            kind = .plot; aggs = a; keys = k; from = f; condition = w; scenarioNames = u; output = t; clauses = an
            title = titled?.value
        case .decompose(let scenario, let a, let k, let f, let w, let an):
            kind = .decompose; aggs = a; keys = k; from = f; condition = w; clauses = an; decompose = scenario
        default:
            return .declaration(source: src)
        }
        guard let p = populationIndex(from, scope) else { return .declaration(source: src) }
        let record = program.populations[p].record
        // A population of an unknown record type was reported where it is declared.
        guard record >= 0 else { return .declaration(source: src) }
        var inner = scope
        inner.subject = .record(record)
        inner.streamName = "query"
        var scenarios = scenarioNames.compactMap { scenarioIndex($0, scope) }
        var plan = analysis(clauses, scope)
        if let decompose {
            guard let d = decomposition(decompose, population: p, scope) else { return .declaration(source: src) }
            plan.decomposition = d
            scenarios = [d.parent, d.scenario]
        }
        let filterTyped = condition.map { require(expr($0, inner, expected: .bool), .bool, $0, inner, what: "the 'where' condition") }
        let aggregates = aggs.compactMap { queryAggregate($0, inner, population: p) }
        let keyList = keys.map { queryKey($0, inner, record: record) }
        if let output, !output.value.hasPrefix("/dev/") {
            // What is written follows the file's extension: SVG for a chart; CSV or JSON for
            // a table (a device such as /dev/stdout: CSV). Any other extension would write one
            // format under another's name.
            let name = output.value.lowercased()
            if kind == .plot, !name.hasSuffix(".svg") {
                error("'plot … to' writes an SVG file, not '\(output.value)'", scope.ref(output.span),
                      hint: "end the file name in .svg (convert it to PNG with rsvg-convert)")
            } else if kind != .plot, !name.hasSuffix(".csv"), !name.hasSuffix(".json") {
                error("'\(kind == .table ? "table" : "compare") … to' writes a .csv or .json file, not '\(output.value)'",
                      scope.ref(output.span), hint: "end the file name in .csv or .json: the extension picks the format")
            }
        }
        let path = output.map { provider?.resolve($0.value, relativeTo: scope.file) ?? $0.value }
        var q = Query(kind: kind, aggregates: aggregates, keys: keyList, population: p, filter: filterTyped?.eval,
                      scenarios: scenarios, output: path)
        q.filterDeps = filterTyped?.deps ?? Deps()
        q.filterNode = filterTyped?.ir
        q.filterLabel = condition?.formatted ?? ""
        q.title = title
        q.analysis = plan
        return .query(q, source: src)
    }

    func queryKey(_ e: Expr, _ scope: Scope, record: Int) -> QueryKey {
        if case .name(let nameID) = e.kind, case let n = nameID.text, program.records[record].field(n) == nil, scope.local(n) == nil,
           lookupSymbol(n, scenario: scope.scenario) == nil {
            switch n {
            case "year": return QueryKey(kind: .year, label: "year")
            case "month": return QueryKey(kind: .month, label: "month")
            case "quarter": return QueryKey(kind: .quarter, label: "quarter")
            default: break
            }
        }
        let t = expr(e, scope)
        return QueryKey(kind: .expression(t.eval), label: e.formatted, deps: t.deps, node: t.ir)
    }

    /// `count`, `count(COND)`, `share(COND)`, `sum(EXPR)`, `mean(EXPR)`, or an enum value.
    func queryAggregate(_ e: Expr, _ scope: Scope, population: Int) -> QueryAggregate? {
        let label = e.formatted
        for word in ["count", "cases"] {
            if case .name(let id) = e.kind, id.text == word, scope.local(word) == nil, lookupSymbol(word, scenario: scope.scenario) == nil,
               !subjectHasField(word, scope) {
                return QueryAggregate(kind: .count(plain: word == "cases"), label: word)
            }
        }
        if case .call(let f, let args, let filter) = e.kind, lookupSymbol(f.text, scenario: scope.scenario) == nil,
           ["count", "share", "sum", "mean"].contains(f.text) {
            if let first = args.first, case .name(let nameID) = first.kind, case let n = nameID.text, case .population? = lookupSymbol(n, scenario: scope.scenario) {
                error("in a \(program.populations[population].name) query, aggregates name no population", scope.ref(first.span),
                      hint: "write \(f.text)(COND): the population comes after 'from'")
                return nil
            }
            if filter != nil {
                error("write \(f.text)(COND) here; 'where' belongs to the query", scope.ref(e.span))
                return nil
            }
            guard args.count == 1 else {
                error("'\(f.text)' takes one argument here", scope.ref(e.span))
                return nil
            }
            switch f.text {
            case "count", "share":
                let t = require(expr(args[0], scope, expected: .bool), .bool, args[0], scope, what: "the condition of '\(f.text)'")
                return QueryAggregate(kind: f.text == "count" ? .countIf(t.eval) : .share(t.eval), label: label, deps: t.deps, node: t.ir)
            default:
                let t = expr(args[0], scope)
                guard t.type.isNumeric else {
                    if t.type != .error { error("'\(f.text)' needs a number or an int, not \(article(t.type))", scope.ref(args[0].span)) }
                    return nil
                }
                return QueryAggregate(kind: f.text == "sum" ? .sum(t.eval, isInt: t.type == .int) : .mean(t.eval), label: label, deps: t.deps, node: t.ir)
            }
        }
        let t = expr(e, scope)
        switch t.type {
        case .enumType(let en): return QueryAggregate(kind: .spread(t.eval, enumType: en), label: label, deps: t.deps, node: t.ir)
        case .bool: return QueryAggregate(kind: .countIf(t.eval), label: label, deps: t.deps, node: t.ir)
        case .error: return nil
        default:
            error("not an aggregate: use count, count(COND), share(COND), sum(EXPR), mean(EXPR) or an enum-valued expression",
                  scope.ref(e.span), hint: t.type.isNumeric ? "to add it up, write sum(\(label))" : nil)
            return nil
        }
    }

    /// `count(POP [where C])`, `share(POP where C)`, `sum(POP [where C], E)`, `mean(POP [where C], E)`.
    func aggregate(_ f: Name, _ args: [Expr], _ filter: Expr?, _ src: SourceRef, _ scope: Scope) -> Typed {
        if let first = args.first, case .name(let nameID) = first.kind, case let n = nameID.text, scope.local(n) == nil,
           lookupSymbol(n, scenario: scope.scenario) == nil, !subjectHasField(n, scope) {
            error("unknown population '\(n)'", scope.ref(first.span), hint: suggest(n, populationNames(scope)))
            return .error
        }
        guard let first = args.first, case .name(let nameID) = first.kind, case let n = nameID.text,
              case .population(let p)? = lookupSymbol(n, scenario: scope.scenario) else {
            // Names are listed only on this path, where a message needs them.
            let pops = populationNames(scope)
            let shape = f.text == "sum" || f.text == "mean" ? "\(f.text)(\(pops.first ?? "POPULATION"), EXPR)" : "\(f.text)(\(pops.first ?? "POPULATION") where …)"
            error("'\(f.text)' needs a population first, as \(shape)", src,
                  hint: args.first.flatMap { a -> String? in if case .name(let id) = a.kind { return suggest(id.text, pops) }; return nil })
            return .error
        }
        let record = program.populations[p].record
        // A population of an unknown record type was reported where it is declared.
        guard record >= 0 else { return .error }
        var inner = scope
        inner.subject = .record(record)
        let condition = filter.map { require(expr($0, inner, expected: .bool), .bool, $0, inner, what: "the 'where' condition").eval }
        var value: Typed?
        switch f.text {
        case "count":
            guard args.count == 1 else { error("'count' takes a population and an optional 'where'", src); return .error }
        case "share":
            guard args.count == 1, condition != nil else {
                error("'share' needs a condition: share(\(n) where …)", src)
                return .error
            }
        default:
            guard args.count == 2 else {
                error("'\(f.text)' takes a population and an expression: \(f.text)(\(n), EXPR)", src)
                return .error
            }
            let t = expr(args[1], inner)
            guard t.type.isNumeric else {
                if t.type != .error { error("'\(f.text)' needs a number or an int, not \(article(t.type))", scope.ref(args[1].span)) }
                return .error
            }
            value = t
        }
        note { $0.opaque = true } // an aggregate inside an expression: not followed
        let which = f.text
        let v = value?.eval
        // Over a weighted population (§10) counts and sums are sums of weights: numbers.
        let weighted = program.populations[p].isWeighted
        let isInt = value?.type == .int && !weighted
        let type: PType = which == "count" && !weighted ? .int : which == "sum" && isInt ? .int : .number
        return Typed(type) { frame in
            let data = try PopulationBuilder.build(p, in: frame.world, cancel: frame.world.program.cancellation)
            frame.world.program.tally.add(cases: data.count)
            let weights = weighted ? data.weights : nil
            if weighted, weights == nil { throw EvalError.impossible("a weighted population built without its weights", at: src) }
            if let weights { return try weightedAggregate(which, data, weights, condition, v, &frame, src) }
            var count: Int64 = 0, matched: Int64 = 0, intSum: IntTotal = 0, sum = 0.0
            var errors = RunErrors()
            let saved = frame.subject
            defer { frame.subject = saved }
            for row in 0..<data.count {
                if row & 0x3FFF == 0, frame.world.program.cancellation.isRaised { throw Interrupted() }
                let c = data.caseRecord(row)
                frame.subject = .record(c)
                do {
                    if let condition, try !condition(&frame).asBool {
                        count += 1
                        continue
                    }
                    count += 1
                    matched += 1
                    if let v {
                        let x = try v(&frame)
                        if isInt {
                            intSum.add(x.asInt)
                        } else {
                            sum += x.asNumber
                        }
                    }
                } catch let e as EvalError {
                    errors.add(e, row: row, c)
                }
            }
            try errors.throwIfAny()
            switch which {
            case "count": return .int(matched)
            case "share": return .number(count == 0 ? 0 : Double(matched) / Double(count))
            case "sum": return isInt ? .int(try intSum.finish(what: "'sum'", at: src)) : .number(try sum.finishNumber(what: "'sum'", at: src))
            default:
                guard matched > 0 else { throw EvalError("'mean' of no cases", at: src, hint: "check the 'where' condition") }
                return .number(try ((isInt ? Double(intSum) : sum) / Double(matched)).finishNumber(what: "'mean'", at: src))
            }
        }
    }
}

/// Errors met while running over a population: each distinct one once, with how many
/// cases hit it and the first such case (§5, last paragraph).
public struct RunErrors: Error, Sendable {
    public struct Entry: Sendable {
        public var error: EvalError
        public var count: Int
        public var firstRow: Int
        public var firstCase: RecordValue
    }
    public var entries: [Entry] = []
    private var index: [String: Int] = [:]

    public init() {}

    mutating func add(_ e: EvalError, row: Int, _ c: RecordValue) {
        let key = "\(e.message)@\(e.source?.position ?? "")"
        if let i = index[key] {
            entries[i].count += 1
        } else {
            index[key] = entries.count
            entries.append(Entry(error: e, count: 1, firstRow: row, firstCase: c))
        }
    }

    mutating func merge(_ other: RunErrors) {
        for e in other.entries {
            let key = "\(e.error.message)@\(e.error.source?.position ?? "")"
            if let i = index[key] {
                entries[i].count += e.count
            } else {
                index[key] = entries.count
                entries.append(e)
            }
        }
    }

    func throwIfAny() throws {
        if !entries.isEmpty { throw self }
    }
}
