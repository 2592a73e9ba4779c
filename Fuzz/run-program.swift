// libFuzzer target (c): the whole run of a program — check, then every statement and test,
// with every output rendered as a table, CSV, JSON, a chart and an SVG. Populations are kept
// small by the population limit, and the cascade limit is lowered, so one input stays fast.
// Built by Fuzz/run.sh with the PolicySyntax, PolicyCore and renderer sources.

@_cdecl("LLVMFuzzerInitialize")
public func fuzzRunInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Limits.current.populationCases = 2_000
    Limits.current.cascadeFirings = 200
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let provider = MemoryProvider([
        "inc.policy": Array("let included = 1\n".utf8),
        "cases.csv": Array("date,jurisdiction\n2013-01-01,usa\n".utf8),
    ])
    withLargeStack {
        guard let result = fuzzCheck(bytes, provider: provider) else { return }
        let interpreter = Interpreter(program: result.program)
        let sink: (Output) -> Void = { output in
            switch output {
            case .table(let t):
                for format in OutputFormat.allCases { _ = TableRenderer(format: format).render(t) }
            case .chart(let c):
                _ = ChartRenderer().text(c)
                _ = ChartRenderer().svg(c)
            default: break
            }
        }
        for tests in [false, true] {
            let status = interpreter.run(result.statements, tests: tests, sink: sink)
            if let error = status.error { _ = String(describing: error) }
        }
    }
    return 0
}
