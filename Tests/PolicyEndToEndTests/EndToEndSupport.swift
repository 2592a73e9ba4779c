import Foundation
import XCTest

/// Shared helpers for the end-to-end tests: scratch files, a deterministic PRNG and the
/// assertions every "bad input" test makes.
extension XCTestCase {
    /// A fresh temporary folder, removed when the test ends.
    func scratchDirectory() throws -> URL {
        let dir = try PolicyProcess.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Writes `text` to `name` in `dir` and returns the file's path.
    @discardableResult
    func writeFile(_ dir: URL, _ name: String, _ text: String) throws -> String {
        try writeFile(dir, name, Data(text.utf8))
    }

    /// Writes `bytes` to `name` in `dir` and returns the file's path.
    @discardableResult
    func writeFile(_ dir: URL, _ name: String, _ bytes: Data) throws -> String {
        let url = dir.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    func readFile(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// The run did not crash (signal, status ≥ 128) and did not hang.
    func assertNoCrash(_ r: PolicyProcess.Result, _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        if r.timedOut {
            // Killed by the harness: the signal and status say nothing more.
            XCTFail("\(what): hung (timed out)", file: file, line: line)
            return
        }
        XCTAssertFalse(r.terminatedBySignal, "\(what): killed by signal \(r.status)\n\(r.stderr.prefix(2_000))",
                       file: file, line: line)
        XCTAssertLessThan(r.status, 128, "\(what): crashed with status \(r.status)", file: file, line: line)
        XCTAssertNotEqual(r.status, 70, "\(what): internal error\n\(r.stderr.prefix(2_000))", file: file, line: line)
    }

    /// Bad input: exit 65 (or `status`, e.g. 66 for a file that cannot be read), no crash, at least one diagnostic, and every diagnostic is
    /// rendered in full (`error: …` then ` --> path:line:col`, a `|` line, the source line
    /// and the caret line). Returns the diagnostics' `line:col` positions.
    @discardableResult
    func assertRejected(_ r: PolicyProcess.Result, path: String, maxLineBytes: Int? = 400, status: Int32 = 65,
                        file: StaticString = #filePath, line: UInt = #line) -> [String] {
        assertNoCrash(r, path, file: file, line: line)
        XCTAssertEqual(r.status, status, "expected exit \(status) for \(path)\n\(r.stderr.prefix(2_000))", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "nothing on stdout for \(path)", file: file, line: line)
        // Split and compare by bytes: a combining mark right after a space or a newline
        // would otherwise merge into one Character and defeat `hasPrefix`.
        let lines = r.stderr.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        func starts(_ s: String, _ prefix: String) -> Bool { s.utf8.starts(with: prefix.utf8) }
        func ends(_ s: String, _ suffix: String) -> Bool { s.utf8.reversed().starts(with: suffix.utf8.reversed()) }
        var positions: [String] = []
        var i = 0
        while i < lines.count {
            if starts(lines[i], "error: ") {
                guard i + 4 < lines.count else {
                    XCTFail("truncated diagnostic at the end of stderr:\n\(lines[i...].joined(separator: "\n").prefix(2_000))",
                            file: file, line: line)
                    break
                }
                let arrow = String(decoding: lines[i + 1].utf8.drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
                let prefix = "--> \(path):"
                if starts(arrow, prefix) {
                    let position = String(decoding: arrow.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                    let parts = position.split(separator: ":")
                    XCTAssertTrue(parts.count == 2 && parts.allSatisfy { Int($0).map { $0 >= 1 } ?? false },
                                  "bad position '\(position)'", file: file, line: line)
                    positions.append(position)
                    let sourceLine = parts.first.map(String.init) ?? "?"
                    XCTAssertTrue(ends(lines[i + 2], "|"), "gutter line: \(lines[i + 2])", file: file, line: line)
                    XCTAssertTrue(starts(lines[i + 3], "\(sourceLine) | ") || lines[i + 3] == "\(sourceLine) |",
                                  "source line: \(lines[i + 3].prefix(200))", file: file, line: line)
                    XCTAssertTrue(lines[i + 4].contains("^"), "caret line: \(lines[i + 4].prefix(200))", file: file, line: line)
                } else {
                    XCTFail("diagnostic without ' --> \(path):line:col': \(lines[i + 1].prefix(300))", file: file, line: line)
                }
                i += 5
            } else {
                i += 1
            }
        }
        XCTAssertFalse(positions.isEmpty, "no diagnostic with \(path):line:col on stderr:\n\(r.stderr.prefix(2_000))",
                       file: file, line: line)
        XCTAssertFalse(r.stderr.contains("\u{1B}["), "colour escapes on a pipe", file: file, line: line)
        if let maxLineBytes {
            for l in lines where l.utf8.count > maxLineBytes {
                XCTFail("a diagnostic line of \(l.utf8.count) bytes (limit \(maxLineBytes)): \(l.prefix(160))…",
                        file: file, line: line)
                break
            }
        }
        return positions
    }
}

/// SplitMix64: a tiny deterministic PRNG, so "random" inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs a command under a pseudo-terminal with util-linux `script`, so the child's stderr
/// is a TTY. Returns nil (the caller skips) when `script` is not installed.
func runUnderTerminal(_ args: [String], environment: [String: String] = [:],
                      currentDirectory: URL) throws -> (status: Int32, output: String)? {
    let script = "/usr/bin/script"
    guard FileManager.default.isExecutableFile(atPath: script) else { return nil }
    func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let command = ([PolicyProcess.executable.path] + args).map(quote).joined(separator: " ")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: script)
    process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "NO_COLOR")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.currentDirectoryURL = currentDirectory
    let out = currentDirectory.appendingPathComponent("tty-output-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    defer { try? handle.close() }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning, Date() < deadline { usleep(5_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    let text = String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
    try? FileManager.default.removeItem(at: out)
    return (process.terminationStatus, text)
}

/// The results of `policy run --format json`: one document, `{"results": [ … ]}`.
enum JSONDocument {
    static func results(_ stdout: String) -> [[String: Any]]? {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else { return nil }
        return doc["results"] as? [[String: Any]]
    }

    /// The rows of the `index`-th table among the results.
    static func tableRows(_ stdout: String, _ index: Int = 0) -> [[String: Any]]? {
        let tables = (results(stdout) ?? []).filter { $0["kind"] as? String == "table" }
        return index < tables.count ? tables[index]["rows"] as? [[String: Any]] : nil
    }
}

/// `--format csv` output: blocks apart by a blank line, each opening with `# STATEMENT` lines.
enum CSVOutput {
    /// The tables' lines without the `#` lines and the blank lines between blocks — for one
    /// table, exactly that table's CSV. (Quoted fields may hold line ends: they are kept.)
    static func tables(_ s: String) -> String {
        var out = ""
        var quoted = false, lineStart = true, skipping = false
        for ch in s.unicodeScalars {
            if lineStart, !quoted {
                skipping = ch == "#"
                if ch == "\n" { continue }
            }
            if !skipping { out.unicodeScalars.append(ch) }
            if ch == "\"", !skipping { quoted.toggle() }
            lineStart = ch == "\n" && !quoted
        }
        return out
    }

    /// Each block as its `#` lines (without the `# `) and its records, read as RFC 4180 CSV.
    static func blocks(_ s: String) -> [(comments: [String], rows: [[String]])] {
        var blocks: [(comments: [String], rows: [[String]])] = []
        var current: (comments: [String], rows: [[String]]) = ([], [])
        var field = "", record: [String] = [], quoted = false, lineStart = true, comment: String?
        var scalars = Array(s.unicodeScalars)[...]
        func endBlock() {
            if !current.comments.isEmpty || !current.rows.isEmpty { blocks.append(current) }
            current = ([], [])
        }
        while let ch = scalars.popFirst() {
            if var c = comment {
                if ch == "\n" { current.comments.append(String(c.dropFirst(2))); comment = nil; lineStart = true } else { c.unicodeScalars.append(ch); comment = c }
                continue
            }
            if lineStart, !quoted {
                lineStart = false
                if ch == "#" { comment = "#"; continue }
                if ch == "\n" { endBlock(); lineStart = true; continue }
            }
            if quoted {
                if ch == "\"" {
                    if scalars.first == "\"" { scalars.removeFirst(); field += "\"" } else { quoted = false }
                } else {
                    field.unicodeScalars.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                record.append(field); field = ""
            } else if ch == "\n" {
                record.append(field); field = ""
                current.rows.append(record); record = []
                lineStart = true
            } else {
                field.unicodeScalars.append(ch)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); current.rows.append(record) }
        endBlock()
        return blocks
    }
}
