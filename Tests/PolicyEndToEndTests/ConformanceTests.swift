import Foundation
import XCTest

/// Runs the conformance suite written in the language itself (Tests/Conformance): the
/// `.policy` files' `test` blocks must all pass, and every file in
/// Tests/Conformance/errors must fail the way its header says.
///
/// Header lines of an error file (comments at its top, any order):
///   `# expect: TEXT`   stderr contains TEXT (source lines echoed under a diagnostic are
///                      left out, so the file's own comments cannot satisfy it)
///   `# once: TEXT`     stderr contains TEXT exactly once (same filtering)
///   `# stdout: TEXT`   stdout contains TEXT
///   `# exit: N`        the exit code (default 65)
///   `# command: NAME`  `run` (default) or `test`
///   `# limit: NAME=N`  run with `--limit NAME=N` (repeatable), to reach a limit quickly
/// Files under Tests/Conformance/pending are not run: they hold tests that the
/// implementation cannot run yet (see the report that moved them there).
final class ConformanceTests: XCTestCase {
    static var conformanceFolder: URL {
        PolicyProcess.packageRoot.appendingPathComponent("Tests/Conformance")
    }

    func testConformanceSuitePasses() throws {
        let folder = Self.conformanceFolder
        let files = try policyFiles(in: folder)
        XCTAssertGreaterThanOrEqual(files.count, 8, "the conformance files are missing from \(folder.path)")
        // `policy test FOLDER` searches sub-folders too, which would load errors/ (meant to
        // fail) and pending/ (not run): name the suite's own files instead.
        let args = ["test"] + files.map { "Tests/Conformance/" + $0.lastPathComponent }
        let r = try PolicyProcess.run(args, currentDirectory: PolicyProcess.packageRoot, timeout: 300)
        checkNoCrash(r, "policy test Tests/Conformance/*.policy")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let failures = lines.filter { $0.hasPrefix("✗") }
        let details = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("✓") }.joined(separator: "\n")
        XCTAssertEqual(r.status, 0, "policy test Tests/Conformance/*.policy must exit 0\n\(details)\n\(r.stderr.prefix(4_000))")
        XCTAssertEqual(r.stderr, "", "no diagnostics expected")
        XCTAssertTrue(failures.isEmpty, "failed conformance tests:\n\(details)")
        guard let last = lines.last else { return XCTFail("policy test printed nothing") }
        XCTAssertTrue(last.hasSuffix(" 0 failed"), "the summary must report 0 failed: \(last)")
        // The summary counts every test block: a file that did not load would lower it.
        let passed = Int(last.split(separator: " ").first ?? "") ?? -1
        let declared = try files.reduce(0) { total, file in
            let text = try String(contentsOf: file, encoding: .utf8)
            return total + text.split(separator: "\n").filter { $0.hasPrefix("test \"") }.count
        }
        XCTAssertEqual(passed, declared, "every test block of the suite must run and pass: \(last)")
    }

    func testErrorFilesFailAsTheirHeadersSay() throws {
        let folder = Self.conformanceFolder.appendingPathComponent("errors")
        let files = try policyFiles(in: folder)
        XCTAssertFalse(files.isEmpty, "no error files in \(folder.path)")
        for file in files {
            try checkErrorFile(file)
        }
    }

    // MARK: - helpers

    /// Not killed by a signal, not hung, not an internal error (exit 70).
    private func checkNoCrash(_ r: PolicyProcess.Result, _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "\(what): hung", file: file, line: line)
        XCTAssertFalse(r.crashed, "\(what): crashed (status \(r.status))\n\(r.stderr.prefix(2_000))", file: file, line: line)
        XCTAssertNotEqual(r.status, 70, "\(what): internal error\n\(r.stderr.prefix(2_000))", file: file, line: line)
    }

    private struct Header {
        var expect: [String] = []
        var once: [String] = []
        var stdout: [String] = []
        var exit: Int32 = 65
        var command = "run"
        var limits: [String] = []
    }

    private func header(of text: String) -> Header {
        var h = Header()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("#") else { break }
            let body = line.drop(while: { $0 == "#" || $0 == " " })
            func value(_ key: String) -> String? {
                body.hasPrefix(key + ":") ? String(body.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces) : nil
            }
            if let v = value("expect") { h.expect.append(v) }
            else if let v = value("once") { h.once.append(v) }
            else if let v = value("stdout") { h.stdout.append(v) }
            else if let v = value("exit"), let n = Int32(v) { h.exit = n }
            else if let v = value("command") { h.command = v }
            else if let v = value("limit") { h.limits.append(v) }
        }
        return h
    }

    /// stderr without the echoed source lines (`12 | …`), so that a diagnostic pointing at
    /// the file's header comment cannot satisfy an expectation. Caret lines (`  | ^^^ hint`)
    /// stay: hints such as `did you mean 'cook'?` are printed there.
    private func messages(_ stderr: String) -> String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let trimmed = line.drop(while: { $0 == " " })
            let digits = trimmed.prefix(while: { $0.isNumber })
            let rest = trimmed.dropFirst(digits.count).drop(while: { $0 == " " })
            return digits.isEmpty || !rest.hasPrefix("|")
        }.joined(separator: "\n")
    }

    private func checkErrorFile(_ file: URL) throws {
        let name = "errors/" + file.lastPathComponent
        let text = try String(contentsOf: file, encoding: .utf8)
        let h = header(of: text)
        XCTAssertFalse(h.expect.isEmpty && h.once.isEmpty && h.stdout.isEmpty,
                       "\(name): no '# expect:' header")
        let limits = h.limits.flatMap { ["--limit", $0] }
        let r = try PolicyProcess.run([h.command] + limits + [file.path], currentDirectory: file.deletingLastPathComponent())
        checkNoCrash(r, name)
        let output = "stdout:\n\(r.stdout.prefix(2_000))\nstderr:\n\(r.stderr.prefix(4_000))"
        XCTAssertEqual(r.status, h.exit, "\(name): policy \(h.command) must exit \(h.exit)\n\(output)")
        let text2 = messages(r.stderr)
        for s in h.expect {
            XCTAssertTrue(text2.contains(s), "\(name): stderr must contain “\(s)”\n\(output)")
        }
        for s in h.once {
            let n = text2.components(separatedBy: s).count - 1
            XCTAssertEqual(n, 1, "\(name): stderr must contain “\(s)” exactly once, found \(n)\n\(output)")
        }
        for s in h.stdout {
            XCTAssertTrue(r.stdout.contains(s), "\(name): stdout must contain “\(s)”\n\(output)")
        }
    }

    private func policyFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "policy" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
