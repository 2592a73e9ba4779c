// libFuzzer target (d): the CSV loaders. The input is read both as a cases file (a record of
// every column type) and as a jurisdictions file; a bad file must be refused with a located
// error and nothing loaded, never a crash.
// Built by Fuzz/run.sh with the PolicySyntax and PolicyCore sources.

// `csvProgram` is Fuzz/csv-program.policy, embedded by Fuzz/run.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let places = Array("name,kind,parent,label,trust\nsangamon,county,illinois,Sangamon County,0.4\n".utf8)
    let cases = Array("date,jurisdiction,charge\n2013-01-01,cook,felony\n".utf8)
    // The input as the cases file, then as the jurisdictions file.
    for files in [["places.csv": places, "cases.csv": bytes], ["places.csv": bytes, "cases.csv": cases]] {
        withLargeStack {
            let provider = MemoryProvider(files)
            guard let result = fuzzCheck(Array(csvProgram.utf8), provider: provider) else { return }
            let status = Interpreter(program: result.program).run(result.statements, tests: false) { _ in }
            if let error = status.error { _ = String(describing: error) }
        }
    }
    return 0
}
