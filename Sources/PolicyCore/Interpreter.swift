import PolicySyntax

/// Runs checked statements (§7): prints values, explains, answers queries, runs tests.
public final class Interpreter {
    public let program: Program
    /// The default scenario for queries (the REPL's `:scenario`).
    public var currentScenario = 0
    /// Set when the script is planned, run as one shard, or merged from its shards.
    public var sharding: ShardRun?
    /// Told of each statement before it runs (what a JSON document says each result is of).
    public var willRun: ((CheckedStatement) -> Void)?

    public struct Status: Sendable {
        public var passed = 0
        public var failed = 0
        /// A runtime error stopped the run.
        public var error: Error?
        public var interrupted = false
        public init() {}
    }

    public init(program: Program) {
        self.program = program
    }

    var world: World { program.worlds[currentScenario] }

    /// Runs one statement (for `policy demo`), sending its output to `sink`.
    public func runOne(_ s: CheckedStatement, sink: (Output) -> Void) -> Status {
        run([s], tests: false, sink: sink)
    }

    /// Runs statements in order. With `tests: false`, `test` blocks are skipped (`policy run`);
    /// with `tests: true`, only they run (`policy test`).
    public func run(_ statements: [CheckedStatement], tests: Bool, sink: (Output) -> Void) -> Status {
        var status = Status()
        // The flag is not reset here: whoever raises it (the prompt's Ctrl-C watcher, an
        // `interrupt` request) resets it when an entry begins, so one raised between checking
        // and running still stops the run.
        for (index, s) in statements.enumerated() {
            willRun?(s)
            do {
                if let sharding, !tests {
                    try runSharded(s, index, sharding, &status, sink: sink)
                    continue
                }
                switch s {
                case .test(let name, let body, let localCount, _):
                    guard tests else { continue }
                    let (passed, details) = runTest(body, localCount: localCount)
                    if passed { status.passed += 1 } else { status.failed += 1 }
                    sink(.testResult(name: name, passed: passed, details: details))
                default:
                    guard !tests else { continue }
                    var frame = Frame(world: world)
                    var locals: [Value] = []
                    if let failure = try execute(s, &frame, &locals, sink: sink) {
                        status.failed += 1
                        sink(.assertionFailed(failure))
                    }
                }
            } catch is Interrupted {
                status.interrupted = true
                return status
            } catch {
                status.error = error
                return status
            }
        }
        return status
    }

    func runTest(_ body: [CheckedStatement], localCount: Int) -> (Bool, String?) {
        var frame = Frame(world: world)
        var locals = Array(repeating: Value.bool(false), count: localCount)
        for s in body {
            do {
                if let failure = try execute(s, &frame, &locals, sink: { _ in }) { return (false, failure) }
            } catch let e as EvalError {
                return (false, "runtime error: \(e.message)\(e.source.map { " (\($0.position))" } ?? "")")
            } catch let e as RunErrors {
                return (false, "runtime error: \(e.entries.first?.error.message ?? "")")
            } catch {
                return (false, "interrupted")
            }
        }
        return (true, nil)
    }

    /// Runs one statement; returns a failure message for a failed assert.
    func execute(_ s: CheckedStatement, _ frame: inout Frame, _ locals: inout [Value], sink: (Output) -> Void) throws -> String? {
        frame.locals = locals
        defer { locals = frame.locals }
        switch s {
        case .declaration, .test:
            return nil
        case .expression(let e, _, _):
            let v = try e(&frame)
            sink(.value(ValueFormatter(program).format(v), v))
        case .local(let slot, let e, _):
            let v = try e(&frame)
            if slot < frame.locals.count { frame.locals[slot] = v }
        case .assert(let e, let parts, let message, let source):
            if try e(&frame).asBool { return nil }
            return assertFailure(parts, message: message, source: source, &frame)
        case .explain(let e, let scenarios, _):
            let (text, json) = try ExplainRenderer(program: program).explain(e, scenarios: scenarios, current: currentScenario, &frame)
            sink(.explanation(text: text, json: json))
        case .timeline(let scenario, let from, let until, let forJ, _):
            let f = try from.map { try $0(&frame).asDate }, u = try until.map { try $0(&frame).asDate }
            let j = try forJ.map { try $0(&frame).asJurisdiction }
            let w = program.worlds[scenario == 0 && currentScenario != 0 ? currentScenario : scenario]
            sink(.text(ExplainRenderer(program: program).timeline(w, from: f, until: u, for: j)))
        case .status(let je, let at, let scenario, _):
            let j = try je(&frame).asJurisdiction
            let d = try at.map { try $0(&frame).asDate }
            let w = program.worlds[scenario == 0 && currentScenario != 0 ? currentScenario : scenario]
            sink(.text(ExplainRenderer(program: program).status(w, j, at: d)))
        case .query(let q, let source):
            let runner = QueryRunner(program: program, current: currentScenario)
            for output in try runner.run(q, source: source) { sink(output.written(to: q.output, source: source)) }
        case .sample(let q, _):
            sink(.table(try SampleRunner.run(q, program: program, current: currentScenario)))
        }
        return nil
    }

    /// What a failed assert shows: the condition, each sub-expression's value, and for
    /// decisions the policy that decided, with its location (§7).
    func assertFailure(_ parts: [AssertPart], message: String?, source: SourceRef, _ frame: inout Frame) -> String {
        let f = ValueFormatter(program)
        var condition = String(source.file.text(source.span).dropFirst("assert".count)).trimmingSpaces()
        if message != nil, condition.hasSuffix("\""), let quote = condition.dropLast().lastIndex(of: "\"") {
            condition = String(condition[..<quote]).trimmingSpaces() // the message is shown once, below
        }
        var lines = ["assertion failed: \(condition)"]
        if let message { lines[0] += " — \(message)" }
        lines.append("  at \(source.position)")
        for part in parts {
            let recorder = Recorder()
            frame.recorder = part.isDecision ? recorder : nil
            defer { frame.recorder = nil }
            do {
                let v = try part.eval(&frame)
                var line = "  \(part.text) = \(f.format(v))"
                if part.isDecision, let trace = recorder.roots.first {
                    line += "  (\(ExplainRenderer(program: program).decidedBy(trace)))"
                }
                lines.append(line)
            } catch let e as EvalError {
                lines.append("  \(part.text): error: \(e.message)")
            } catch {
                lines.append("  \(part.text): error")
            }
        }
        return lines.joined(separator: "\n")
    }
}
