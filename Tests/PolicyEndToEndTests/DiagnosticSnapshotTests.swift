import Foundation
import XCTest

/// Whole-diagnostic snapshots (as rustc's UI tests keep them): for every error file
/// `Tests/Conformance/errors/NAME.policy`, the complete standard error of
/// `policy COMMAND --no-color [--limit …] NAME.policy` — run from the errors folder with a
/// relative path, so the positions it prints read `NAME.policy:line:col` on any machine — is
/// stored as `NAME.stderr`, and standard output, when there is any, as `NAME.stdout`. The
/// test compares what the program prints now with those files, byte for byte.
///
/// The command and limits come from the file's header (`# command:`, `# limit:`), as
/// ConformanceTests reads them.
///
/// Regenerating the snapshots is deliberate, never automatic:
///
///     POLICY_BLESS=1 swift test --filter DiagnosticSnapshotTests
///
/// writes every `.stderr`/`.stdout` file from the current output (and removes a `.stdout`
/// that is no longer printed); review the change with `git diff` before committing it.
final class DiagnosticSnapshotTests: XCTestCase {
    static var errorsFolder: URL {
        PolicyProcess.packageRoot.appendingPathComponent("Tests/Conformance/errors")
    }

    static var blessing: Bool {
        let v = ProcessInfo.processInfo.environment["POLICY_BLESS"] ?? ""
        return !v.isEmpty && v != "0"
    }

    func testDiagnosticsMatchTheirSnapshots() throws {
        let folder = Self.errorsFolder
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        let cases = names.filter { $0.hasSuffix(".policy") }.sorted()
        XCTAssertFalse(cases.isEmpty, "no error files in \(folder.path)")
        for name in cases {
            try checkSnapshot(name, in: folder)
        }
        // A snapshot whose error file was removed or renamed is left over: say so.
        let stems = Set(cases.map { String($0.dropLast(".policy".count)) })
        for name in names.sorted() where name.hasSuffix(".stderr") || name.hasSuffix(".stdout") {
            let stem = String(name.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: "."))
            XCTAssertTrue(stems.contains(stem),
                          "errors/\(name) has no errors/\(stem).policy: remove it, or rename it with its error file")
        }
    }

    // MARK: - helpers

    private func checkSnapshot(_ name: String, in folder: URL) throws {
        let stem = String(name.dropLast(".policy".count))
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        var command = "run"
        var limits: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("#") else { break }
            let body = line.drop(while: { $0 == "#" || $0 == " " })
            if body.hasPrefix("command:") {
                command = body.dropFirst("command:".count).trimmingCharacters(in: .whitespaces)
            } else if body.hasPrefix("limit:") {
                limits += ["--limit", body.dropFirst("limit:".count).trimmingCharacters(in: .whitespaces)]
            }
        }
        let args = [command, "--no-color"] + limits + [name]
        let r = try PolicyProcess.run(args, environment: ["NO_COLOR": "1"], currentDirectory: folder, timeout: 120)
        let shown = "policy " + args.joined(separator: " ")
        XCTAssertFalse(r.timedOut, "errors/\(name): \(shown) hung")
        XCTAssertFalse(r.crashed, "errors/\(name): \(shown) crashed (status \(r.status))")
        let stderrURL = folder.appendingPathComponent(stem + ".stderr")
        let stdoutURL = folder.appendingPathComponent(stem + ".stdout")
        let actualErr = Data(r.stderr.utf8)
        let actualOut = r.stdoutData

        if Self.blessing {
            try actualErr.write(to: stderrURL)
            if actualOut.isEmpty {
                if FileManager.default.fileExists(atPath: stdoutURL.path) { try FileManager.default.removeItem(at: stdoutURL) }
            } else {
                try actualOut.write(to: stdoutURL)
            }
            return
        }

        let bless = "POLICY_BLESS=1 swift test --filter DiagnosticSnapshotTests"
        if let expected = FileManager.default.contents(atPath: stderrURL.path) {
            compare(expected, actualErr, "errors/\(stem).stderr", shown, bless)
        } else {
            XCTFail("errors/\(stem).stderr is missing: create it with `\(bless)`, then read it and commit it\n" +
                    "(\(shown) printed \(actualErr.count) bytes on stderr)")
        }
        if let expected = FileManager.default.contents(atPath: stdoutURL.path) {
            compare(expected, actualOut, "errors/\(stem).stdout", shown, bless)
        } else if !actualOut.isEmpty {
            XCTFail("errors/\(stem).stdout is missing, but \(shown) printed \(actualOut.count) bytes on stdout: " +
                    "create it with `\(bless)`, then read it and commit it\n" +
                    diff(Data(), actualOut, "errors/\(stem).stdout"))
        }
    }

    private func compare(_ expected: Data, _ actual: Data, _ snapshot: String, _ shown: String, _ bless: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        guard expected != actual else { return }
        XCTFail("\(shown): the output differs from \(snapshot) " +
                "(if the change is intended, regenerate with `\(bless)` and review `git diff`)\n" +
                diff(expected, actual, snapshot), file: file, line: line)
    }

    /// A unified-style diff of the first lines that differ, with a few lines of context
    /// before them.
    func diff(_ expected: Data, _ actual: Data, _ snapshot: String, context: Int = 3, shown: Int = 12) -> String {
        func lines(_ d: Data) -> [String] {
            let text = String(decoding: d, as: UTF8.self)
            var ls = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if ls.last == "" { ls.removeLast() } else if !ls.isEmpty { ls[ls.count - 1] += "  (no newline at end)" }
            return ls
        }
        let e = lines(expected), a = lines(actual)
        var first = 0
        while first < e.count, first < a.count, e[first] == a[first] { first += 1 }
        // The end of the differing part: the first line from which both agree again
        // (looked for a little way only; otherwise the rest is shown up to `shown` lines).
        var eEnd = min(e.count, first + shown), aEnd = min(a.count, first + shown)
        search: for i in first..<min(e.count, first + shown) {
            for j in first..<min(a.count, first + shown) where e[i] == a[j] && (i > first || j > first) {
                eEnd = i; aEnd = j
                break search
            }
        }
        if eEnd == first && aEnd == first { eEnd = min(e.count, first + 1); aEnd = min(a.count, first + 1) }
        let start = max(0, first - context)
        var out = "--- \(snapshot) (expected)\n+++ actual output\n"
        out += "@@ -\(start + 1),\(eEnd - start) +\(start + 1),\(aEnd - start) @@\n"
        for i in start..<first { out += " " + e[i] + "\n" }
        for i in first..<eEnd { out += "-" + e[i] + "\n" }
        for j in first..<aEnd { out += "+" + a[j] + "\n" }
        if expected.count != actual.count || eEnd < e.count || aEnd < a.count {
            out += "(\(e.count) lines expected, \(a.count) printed)\n"
        }
        return out
    }
}
