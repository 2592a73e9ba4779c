import Foundation
import XCTest

/// `policy repl --jsonl` (docs/repl-jsonl.md): requests in, replies out, one JSON object per
/// line, with the session carried from one request to the next.
final class MachineREPLTests: XCTestCase {
    typealias Reply = [String: Any]

    /// Runs the session on `requests` (each a JSON object's text), all sent at once.
    func replies(_ requests: [String], files: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> [Reply] {
        let stdin = Data((requests.joined(separator: "\n") + "\n").utf8)
        let r = try PolicyProcess.run(["repl", "--jsonl"] + files, stdin: stdin, currentDirectory: PolicyProcess.packageRoot,
                                      file: file, line: line)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr, "", file: file, line: line)
        return try parse(r.stdout, file: file, line: line)
    }

    func parse(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Reply] {
        try stdout.split(separator: "\n").map { text in
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            guard let reply = object as? Reply else {
                XCTFail("not an object: \(text)", file: file, line: line)
                return [:]
            }
            return reply
        }
    }

    func request(_ id: Int, _ op: String, _ members: [String: Any] = [:]) -> String {
        var object = members
        object["id"] = id
        object["op"] = op
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    func execute(_ id: Int, _ code: String) -> String { request(id, "execute", ["code": code]) }

    func of(_ id: Int, _ replies: [Reply]) -> [Reply] { replies.filter { ($0["id"] as? Int) == id } }

    func data(_ reply: Reply) -> [String: Any] { reply["data"] as? [String: Any] ?? [:] }

    func testResultsAreMIMEBundlesAndEachRequestEndsWithDone() throws {
        let all = try replies([
            execute(1, "table share(shared) by year from bookings"),
            execute(2, "plot count(outcome == transferred) by quarter from bookings"),
            execute(3, "let doubled = 2 * 21\ndoubled"),
        ], files: ["Examples/secure-communities/main.policy"])
        XCTAssertEqual(all.first?["type"] as? String, "ready")
        XCTAssertEqual(all.first?["status"] as? String, "ok")
        XCTAssertTrue((all.first?["banner"] as? String ?? "").contains("Loaded 1 file"))
        XCTAssertFalse((all.first?["banner"] as? String ?? "").contains("Ctrl-D"), "keys are for people")

        let table = of(1, all)
        XCTAssertEqual(table.map { $0["type"] as? String }, ["output", "done"])
        let bundle = data(table[0])
        XCTAssertTrue((bundle["text/plain"] as? String ?? "").contains("year  share(shared)"), "\(bundle)")
        let html = bundle["text/html"] as? String ?? ""
        XCTAssertTrue(html.hasPrefix("<table class=\"policy-table\">"), html)
        XCTAssertTrue(html.contains("<th style=\"text-align:left\">year</th>"), html)
        XCTAssertTrue(html.contains("<td style=\"text-align:right\">100%</td>"), html)
        let json = bundle["application/json"] as? [String: Any] ?? [:]
        XCTAssertEqual(json["kind"] as? String, "table")
        XCTAssertEqual(json["statement"] as? String, "table")
        XCTAssertEqual(table[1]["status"] as? String, "ok")
        XCTAssertEqual(table[1]["exit"] as? Int, 0)

        let plot = data(of(2, all)[0])
        XCTAssertTrue((plot["image/svg+xml"] as? String ?? "").contains("<svg"), "\(plot.keys)")
        XCTAssertTrue((plot["text/plain"] as? String ?? "").contains("count(outcome == transferred) by quarter"))
        XCTAssertEqual((plot["application/json"] as? [String: Any])?["kind"] as? String, "chart")

        let value = of(3, all)
        XCTAssertEqual(value.map { $0["type"] as? String }, ["output", "done"])
        XCTAssertEqual(data(value[0])["text/plain"] as? String, "42\n")
        let valueJSON = data(value[0])["application/json"] as? [String: Any] ?? [:]
        XCTAssertEqual(valueJSON["value"] as? Int, 42)
        XCTAssertEqual(valueJSON["line"] as? Int, 2, "the line is the cell's")
        XCTAssertEqual(all.last?["type"] as? String, "shutdown", "the end of input ends the session")
    }

    func testDiagnosticsSayWhereInTheCellAndWhatWouldFixIt() throws {
        let all = try replies([
            execute(1, "let cook = 1"),
            execute(2, "let a = 2\n\nlet b = cok + 1"),
            execute(3, "let z = 1 / (cook - 1)\nz"),
            execute(4, "a"),
        ])
        let check = of(2, all)
        XCTAssertEqual(check.map { $0["type"] as? String }, ["diagnostic", "done"])
        let d = check[0]
        XCTAssertEqual(d["severity"] as? String, "error")
        XCTAssertEqual(d["message"] as? String, "unknown name 'cok'")
        XCTAssertEqual(d["hint"] as? String, "did you mean 'cook'?")
        XCTAssertEqual(d["file"] as? String, "<cell>")
        XCTAssertEqual(d["line"] as? Int, 3)
        XCTAssertEqual(d["column"] as? Int, 9)
        XCTAssertEqual(d["end_line"] as? Int, 3)
        XCTAssertEqual(d["end_column"] as? Int, 12)
        XCTAssertTrue((d["text"] as? String ?? "").contains("--> <cell>:3:9"), "\(d)")
        XCTAssertEqual(check[1]["status"] as? String, "error")
        XCTAssertEqual(check[1]["exit"] as? Int, 65)

        // A runtime error has its place too.
        let runtime = of(3, all).first { $0["type"] as? String == "diagnostic" }
        XCTAssertEqual(runtime?["line"] as? Int, 1, "\(of(3, all))")
        XCTAssertTrue((runtime?["message"] as? String ?? "").contains("division by zero"), "\(of(3, all))")

        // A cell that failed to check left nothing behind: `a` is unknown.
        XCTAssertEqual(of(4, all).first?["message"] as? String, "unknown name 'a'")
    }

    func testStateAndScenarioCarryAcrossRequests() throws {
        let all = try replies([
            execute(1, "param rate: number = 1.0\nscenario high \"a higher rate\" { param rate = 2.0 }"),
            execute(2, "rate"),
            execute(3, ":scenario high"),
            execute(4, "rate * 10"),
            execute(5, ":scenario nope"),
            execute(6, ":history"),
        ])
        XCTAssertEqual(of(1, all).last?["status"] as? String, "ok")
        XCTAssertEqual(data(of(2, all)[0])["text/plain"] as? String, "1.0\n")
        XCTAssertEqual(of(3, all).last?["scenario"] as? String, "high")
        XCTAssertEqual(of(3, all).last?["prompt"] as? String, "policy[high]> ")
        XCTAssertEqual(data(of(4, all)[0])["text/plain"] as? String, "20.0\n")
        let unknown = of(5, all)
        XCTAssertEqual(unknown.first?["type"] as? String, "stream")
        XCTAssertEqual(unknown.first?["name"] as? String, "stderr")
        XCTAssertTrue((unknown.first?["text"] as? String ?? "").hasPrefix("error: unknown scenario 'nope'"), "\(unknown)")
        XCTAssertEqual(unknown.last?["status"] as? String, "error")
        let history = of(6, all).first?["text"] as? String ?? ""
        XCTAssertTrue(history.contains("rate * 10") && history.contains(":scenario high"), history)
    }

    func testACellIsAScriptItsEntriesMaySpanLinesAndBlankLines() throws {
        let all = try replies([
            execute(1, "let a =\n\n  1 +\n  2\n:scenario\na * 2"),
            execute(2, "let b = (1 +"),
        ])
        let cell = of(1, all)
        XCTAssertEqual(cell.map { $0["type"] as? String }, ["stream", "output", "done"], "\(cell)")
        XCTAssertEqual(data(cell[1])["text/plain"] as? String, "6\n")
        let unfinished = of(2, all)
        XCTAssertEqual(unfinished.first?["type"] as? String, "diagnostic", "\(unfinished)")
        let notes = unfinished.first?["notes"] as? [[String: Any]] ?? []
        XCTAssertTrue(notes.contains { ($0["message"] as? String ?? "").hasPrefix("the cell ended inside this entry, which begins on line 1 of the cell") }, "\(notes)")
        XCTAssertEqual(unfinished.last?["status"] as? String, "error")
    }

    func testCompletionInspectionAndCompleteness() throws {
        let all = try replies([
            execute(1, "## How many bookings there are.\nlet bookings_total = 12"),
            request(2, "complete", ["code": "let x = 1\nbookings_to + tab", "cursor": 21]),
            request(3, "complete", ["code": ":sce"]),
            request(4, "inspect", ["code": "bookings_total + 1", "cursor": 3]),
            request(5, "inspect", ["code": "nothing_here", "cursor": 0]),
            request(6, "is_complete", ["code": "table count() by"]),
            request(7, "is_complete", ["code": "1 + 2"]),
            request(8, "is_complete", ["code": "1 + + )"]),
            request(9, "complete", ["code": "b"]),
        ])
        let name = of(2, all)[0]
        XCTAssertEqual(name["type"] as? String, "completions")
        XCTAssertEqual(name["matches"] as? [String], ["bookings_total"])
        XCTAssertEqual(name["cursor_start"] as? Int, 10)
        XCTAssertEqual(name["cursor_end"] as? Int, 21)
        let meta = of(3, all)[0]
        XCTAssertEqual(meta["matches"] as? [String], [":scenario"])
        XCTAssertEqual(meta["cursor_start"] as? Int, 0)
        let inspected = of(4, all)[0]
        XCTAssertEqual(inspected["found"] as? Bool, true)
        XCTAssertEqual(inspected["name"] as? String, "bookings_total")
        XCTAssertTrue((data(inspected)["text/plain"] as? String ?? "").contains("How many bookings there are."), "\(inspected)")
        XCTAssertEqual(of(5, all)[0]["found"] as? Bool, false)
        XCTAssertEqual(of(6, all)[0]["status"] as? String, "incomplete")
        XCTAssertEqual(of(7, all)[0]["status"] as? String, "complete")
        XCTAssertEqual(of(8, all)[0]["status"] as? String, "invalid")
        // Keywords and declared names both complete, as Tab offers them.
        let words = of(9, all)[0]["matches"] as? [String] ?? []
        XCTAssertTrue(words.contains("by") && words.contains("bookings_total"), "\(words)")
    }

    func testLinesThatAreNotRequestsAreAnsweredWithProtocolErrors() throws {
        let all = try replies([
            "not json",
            "[1, 2]",
            #"{"op": "execute", "code": "1"}"#,
            #"{"id": 4, "op": "exceute", "code": "1"}"#,
            #"{"id": 5, "op": "execute"}"#,
            #"{"id": 6, "op": "complete", "code": "x", "cursor": -1}"#,
            execute(7, "1 + 1"),
        ])
        let errors = all.filter { $0["type"] as? String == "protocol_error" }.map { $0["message"] as? String ?? "" }
        XCTAssertEqual(errors.count, 6, "\(all)")
        XCTAssertTrue(errors[0].hasPrefix("line 1 is not JSON"), errors[0])
        XCTAssertTrue(errors[1].hasPrefix("line 2 is not a JSON object"), errors[1])
        XCTAssertEqual(errors[2], "'execute' needs an \"id\" (a string or a number), which its replies repeat")
        XCTAssertTrue(errors[3].hasPrefix("unknown op 'exceute' — did you mean 'execute'?"), errors[3])
        XCTAssertEqual(errors[4], "'execute' needs \"code\", a string")
        XCTAssertTrue(errors[5].hasPrefix("\"cursor\" must be a whole number"), errors[5])
        XCTAssertEqual(of(4, all).first?["type"] as? String, "protocol_error")
        // The session goes on.
        XCTAssertEqual(data(of(7, all)[0])["text/plain"] as? String, "2\n")
    }

    func testAFileThatDoesNotLoadIsReportedBeforeReady() throws {
        let dir = try PolicyProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("broken.policy").path
        try "let x = = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let all = try replies([execute(1, "2 + 2")], files: [path])
        XCTAssertEqual(all.first?["type"] as? String, "diagnostic")
        XCTAssertNil(all.first?["id"] as? Int)
        XCTAssertEqual(all.first?["file"] as? String, path)
        let ready = all.first { $0["type"] as? String == "ready" }
        XCTAssertEqual(ready?["status"] as? String, "error")
        XCTAssertEqual(data(of(1, all)[0])["text/plain"] as? String, "4\n")
    }

    func testAFailedAssertIsAnErrorReportedOnce() throws {
        let all = try replies([execute(1, "assert 1 == 2 \"nope\"")])
        let cell = of(1, all)
        XCTAssertEqual(cell.map { $0["type"] as? String }, ["stream", "done"], "\(cell)")
        let text = cell[0]["text"] as? String ?? ""
        XCTAssertEqual(cell[0]["name"] as? String, "stderr")
        XCTAssertEqual(text.components(separatedBy: "nope").count, 2, "said once: \(text)")
        XCTAssertEqual(cell[1]["status"] as? String, "error")
        XCTAssertEqual(cell[1]["exit"] as? Int, 1)
    }

    func testATestInACellRunsAndSaysSo() throws {
        let all = try replies([execute(1, "test \"holds\" { assert 1 == 1 }\ntest \"fails\" { assert 1 == 2 }")])
        let outputs = of(1, all).filter { $0["type"] as? String == "output" }
        XCTAssertEqual(outputs.compactMap { data($0)["text/plain"] as? String }.first, "✓ holds\n")
        let json = outputs.compactMap { data($0)["application/json"] as? [String: Any] }
        XCTAssertEqual(json.map { $0["kind"] as? String }, ["test", "test"])
        XCTAssertEqual(json.map { $0["passed"] as? Bool }, [true, false])
        XCTAssertEqual(of(1, all).last?["status"] as? String, "error")
        XCTAssertEqual(of(1, all).last?["exit"] as? Int, 1)
    }

    /// `\ud83d\ude00` (how Python's `json.dumps` writes 😀) is one scalar; a result written
    /// to /dev/stdout goes to stderr, never into the replies.
    func testEscapedEmojiAndWritesToStdoutKeepTheProtocolClean() throws {
        let stdin = Data((#"{"id":1,"op":"execute","code":"\"\ud83d\ude00 \ud83d\""}"# + "\n"
            + #"{"id":2,"op":"execute","code":"let a = 1\n:save /dev/stdout"}"# + "\n").utf8)
        let r = try PolicyProcess.run(["repl", "--jsonl"], stdin: stdin)
        XCTAssertEqual(r.status, 0)
        let all = try parse(r.stdout)
        XCTAssertEqual(data(of(1, all)[0])["text/plain"] as? String, "\"😀 \u{FFFD}\"\n")
        XCTAssertEqual(of(2, all).last?["status"] as? String, "ok")
        XCTAssertTrue(r.stderr.contains("let a = 1"), "the saved text went to stderr: \(r.stderr)")
    }

    func testQuitEndsTheSessionAfterItsDone() throws {
        let all = try replies([execute(1, "1\n:quit\n2"), execute(2, "3")])
        XCTAssertEqual(of(1, all).map { $0["type"] as? String }, ["output", "done"])
        XCTAssertTrue(of(2, all).isEmpty)
    }

    /// An interrupt stops a long evaluation (here a timeline whose two reactions keep
    /// scheduling each other), the reply says so, and the session is as it was.
    func testInterruptStopsTheEvaluationAndKeepsTheSession() throws {
        let dir = try PolicyProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = ["jurisdiction attributes { t: int = 0 }", "jurisdiction usa: federal"]
        lines += (0..<5_000).map { "jurisdiction c\($0): county in usa" }
        lines += [
            "when j in jurisdictions where j.kind == federal and j.t == 0 as ping { after 1 day { set j.t = 1 } }",
            "when j in jurisdictions where j.kind == federal and j.t == 1 as pong { after 1 day { set j.t = 0 } }",
            "let kept = 41",
        ]
        let path = dir.appendingPathComponent("long.policy").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = PolicyProcess.executable
        process.arguments = ["repl", "--jsonl", path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var buffer = Data()
        /// Reads reply lines until one satisfies `stop`, or 60 s pass.
        func readUntil(_ stop: (Reply) -> Bool) throws -> [Reply] {
            var seen: [Reply] = []
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                while let nl = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<nl]
                    buffer = Data(buffer[(nl + 1)...])
                    let reply = try JSONSerialization.jsonObject(with: line) as? Reply ?? [:]
                    seen.append(reply)
                    if stop(reply) { return seen }
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer += chunk
            }
            XCTFail("no such reply within 60 s; seen: \(seen)")
            return seen
        }
        func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

        _ = try readUntil { $0["type"] as? String == "ready" }
        // Declaring the event sets the endless timeline going while the cell is checked.
        send(execute(1, "event kick on 2012-01-01 by usa"))
        usleep(800_000)
        send(#"{"op": "interrupt"}"#)
        let stopped = try readUntil { $0["type"] as? String == "done" }
        XCTAssertEqual(stopped.last?["status"] as? String, "interrupted", "\(stopped)")
        XCTAssertTrue(stopped.contains { ($0["text"] as? String ?? "").contains("interrupted — the session is unchanged") }, "\(stopped)")

        send(execute(2, "kept + 1\nusa.t at 2012-01-05"))
        let after = try readUntil { $0["type"] as? String == "done" }
        XCTAssertEqual(after.compactMap { data($0)["text/plain"] as? String }, ["42\n", "0\n"], "\(after)")
        XCTAssertEqual(after.last?["status"] as? String, "ok")

        // An interrupt while nothing runs does nothing; SIGINT (a notebook server signals
        // the kernel's process group) is ignored.
        send(#"{"op": "interrupt"}"#)
        kill(process.processIdentifier, SIGINT)
        usleep(200_000)
        send(execute(3, "kept"))
        let idle = try readUntil { $0["type"] as? String == "done" }
        XCTAssertEqual(idle.last?["status"] as? String, "ok", "\(idle)")

        send(request(4, "shutdown"))
        let end = try readUntil { $0["type"] as? String == "shutdown" }
        XCTAssertEqual(end.last?["id"] as? Int, 4)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}
