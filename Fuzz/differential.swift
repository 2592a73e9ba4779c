// libFuzzer target (e): semantic differential testing. The input's bytes choose a program
// (SemanticProgramGenerator: the first eight bytes are the seed, the rest its first choices), a
// well-typed program with populations, policies, events, scenarios and queries. It is checked
// and run in-process under every engine — the default (memoised where it applies and pays),
// the general one (with its kernels), its whole-vector evaluator without kernels, the
// case-by-case reference, the memo wherever it applies, and 1, 2 and 3
// threads (EngineOptions, read at each query) —
// and every output, rendered, and the run's error must be identical; a disagreement traps,
// after printing the program and both outputs. Built by Fuzz/run.sh with the PolicySyntax,
// PolicyCore and renderer sources and the generator's files from Tests/PolicyEndToEndTests.

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerInitialize")
public func fuzzDifferentialInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Limits.current.populationCases = 5_000
    Limits.current.cascadeFirings = 200
    return 0
}

/// The engines compared: (engine, threads), nil for the default.
let differentialEngines: [(engine: EngineOptions.Engine?, threads: Int?)] = [
    (nil, nil), (.general, nil), (.vectors, nil), (.scalar, nil), (.memo, nil), (nil, 1), (nil, 2), (nil, 3),
]

/// Checks and runs `program` afresh (nothing cached from another run) and returns everything
/// it printed, as `policy run` would lay it out, and its error.
func differentialRun(_ program: GeneratedProgram) -> String {
    var files: [String: [UInt8]] = [:]
    if let csv = program.csv { files["cases.csv"] = Array(csv.utf8) }
    let provider = MemoryProvider(files)
    guard let result = fuzzCheck(Array(program.source.utf8), provider: provider) else {
        return "the program does not check"
    }
    var out = ""
    let interpreter = Interpreter(program: result.program)
    let status = interpreter.run(result.statements, tests: false) { output in
        switch output {
        case .value(let s, _), .text(let s), .explanation(let s, _), .assertionFailed(let s): out += s + "\n"
        case .table(let t): out += TableRenderer(format: .table).render(t) + "\n"
        case .chart(let c): out += ChartRenderer().text(c) + "\n"
        case .testResult(let name, let passed, let details): out += "\(name) \(passed) \(details ?? "")\n"
        }
    }
    if let error = status.error { out += describeError(error) }
    return out
}

/// An error as `policy run` reports it: each entry's message, place, hint, count and first
/// case, in order (`String(describing:)` would also print a dictionary, in no fixed order).
func describeError(_ error: Error) -> String {
    func eval(_ e: EvalError) -> String {
        "error: \(e.message) at \(e.source?.position ?? "-") \(e.hint ?? "") (\(e.notes.count) notes)\n"
    }
    if let run = error as? RunErrors {
        return run.entries.map { eval($0.error) + "  \($0.count) cases, the first \($0.firstRow)\n" }.joined()
    }
    if let e = error as? EvalError { return eval(e) }
    return "error: \(error)\n"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDifferentialTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let program = SemanticProgramGenerator.program(fuzzBytes: Array(UnsafeBufferPointer(start: data, count: size)))
    withLargeStack {
        var reference: String?
        for (engine, threads) in differentialEngines {
            EngineOptions.current.engine = engine ?? .automatic
            EngineOptions.current.threads = threads
            let out = differentialRun(program)
            if let reference, out != reference {
                // To stderr, unbuffered, so all of it is there before the trap.
                var report = "engines disagree (engine \(engine?.rawValue ?? "default"), threads \(threads.map(String.init) ?? "default") against the default) on:\n\(program.source)"
                if let csv = program.csv { report += "--- cases.csv\n\(csv)" }
                report += "--- default\n\(reference)\n--- this engine\n\(out)\n"
                fputs(report, stderr)
                fatalError("engines disagree")
            }
            reference = reference ?? out
        }
        EngineOptions.current = EngineOptions()
    }
    return 0
}
