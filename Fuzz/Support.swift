// Shared by the fuzz targets that check or run programs: files come from memory, never disk.
// Built by Fuzz/run.sh together with the library sources; not part of the SwiftPM package.

/// Serves `include`s and CSV files from a fixed table (an unknown path is "no such file").
final class MemoryProvider: SourceProvider {
    var files: [String: [UInt8]]
    init(_ files: [String: [UInt8]]) { self.files = files }
    func load(_ path: String) -> Result<SourceFile, SourceLoadError> {
        guard let bytes = files[path] else { return .failure(SourceLoadError("no such file")) }
        return .success(SourceFile(name: path, bytes: bytes))
    }
    func loadBytes(_ path: String) -> Result<[UInt8], SourceLoadError> {
        guard let bytes = files[path] else { return .failure(SourceLoadError("no such file")) }
        return .success(bytes)
    }
    func resolve(_ path: String, relativeTo base: SourceFile) -> String { path }
}

/// Parses and checks `bytes` as one file; nil when it has errors (they were found without a crash).
func fuzzCheck(_ bytes: [UInt8], provider: MemoryProvider) -> CheckResult? {
    let unit = Parser.parse(SourceFile(name: "fuzz.policy", bytes: bytes))
    // Rendering every diagnostic is part of the path user input reaches.
    let renderer = DiagnosticRenderer(useColor: false)
    for d in unit.diagnostics { _ = renderer.render(d, in: unit.file) }
    guard !unit.hasErrors else { return nil }
    let result = Checker(provider: provider).check([unit])
    for d in result.diagnostics { _ = renderer.render(d) }
    return result.hasErrors ? nil : result
}
