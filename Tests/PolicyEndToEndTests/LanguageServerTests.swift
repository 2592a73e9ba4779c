import Foundation
import XCTest

/// `policy lsp` at the level of its messages: the lifecycle's rules and input that is not
/// LSP. (Its features are tested end to end with a real client in editors/tests.)
final class LanguageServerTests: XCTestCase {
    func frame(_ json: String) -> Data {
        Data("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8)
    }

    /// The messages the server wrote, each as a JSON object.
    func messages(_ stdout: Data) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var rest = stdout[...]
        while let headerEnd = rest.range(of: Data("\r\n\r\n".utf8)) {
            let header = String(decoding: rest[rest.startIndex..<headerEnd.lowerBound], as: UTF8.self)
            guard let length = header.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
                  rest.endIndex - headerEnd.upperBound >= length else { break } // a frame still arriving
            let body = rest[headerEnd.upperBound..<(headerEnd.upperBound + length)]
            out.append(try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:])
            rest = rest[(headerEnd.upperBound + length)...]
        }
        return out
    }

    func error(_ m: [String: Any]) -> (code: Int, message: String)? {
        guard let e = m["error"] as? [String: Any] else { return nil }
        return (e["code"] as? Int ?? 0, e["message"] as? String ?? "")
    }

    func testTheLifecycleIsFollowed() throws {
        var input = Data()
        input += frame(#"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}}"#)
        input += frame(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"capabilities":{}}}"#)
        input += frame(#"{"jsonrpc":"2.0","id":3,"method":"textDocument/rename","params":{}}"#)
        input += frame(#"{"jsonrpc":"2.0","id":4,"method":"shutdown"}"#)
        input += frame(#"{"jsonrpc":"2.0","id":5,"method":"textDocument/hover","params":{}}"#)
        input += frame(#"{"jsonrpc":"2.0","method":"exit"}"#)
        let r = try PolicyProcess.run(["lsp"], stdin: input)
        XCTAssertEqual(r.status, 0, "exit after shutdown is a clean end")
        let all = try messages(r.stdoutData)
        XCTAssertEqual(error(all[0])?.code, -32002)
        XCTAssertEqual(error(all[0])?.message, "the server is not initialized: send 'initialize' first")
        let capabilities = (all[1]["result"] as? [String: Any])?["capabilities"] as? [String: Any] ?? [:]
        for feature in ["hoverProvider", "definitionProvider", "referencesProvider", "completionProvider", "documentSymbolProvider",
                        "documentFormattingProvider", "codeLensProvider", "executeCommandProvider"] {
            XCTAssertNotNil(capabilities[feature], feature)
        }
        XCTAssertEqual(error(all[2])?.code, -32601)
        XCTAssertEqual(error(all[2])?.message, "'textDocument/rename' is not something this server does")
        XCTAssertTrue(all[3].keys.contains("result"))
        XCTAssertEqual(error(all[4])?.code, -32600)
    }

    func testExitWithoutShutdownIsAnError() throws {
        let input = frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#)
            + frame(#"{"jsonrpc":"2.0","method":"exit"}"#)
        XCTAssertEqual(try PolicyProcess.run(["lsp"], stdin: input).status, 1)
    }

    /// Runs `policy lsp`, writes `input`, reads until a message satisfies `awaited` (a
    /// `shutdown` already waiting would stop a check under way, as an editor expects), then
    /// shuts the server down; the messages it wrote and its exit status.
    func session(_ input: Data, awaiting awaited: ([String: Any]) -> Bool) throws -> (messages: [[String: Any]], status: Int32) {
        let process = Process()
        process.executableURL = PolicyProcess.executable
        process.arguments = ["lsp"]
        let toServer = Pipe(), fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        toServer.fileHandleForWriting.write(input)
        var received = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try !messages(received).contains(where: awaited) {
            let chunk = fromServer.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received += chunk
        }
        toServer.fileHandleForWriting.write(frame(#"{"jsonrpc":"2.0","id":99,"method":"shutdown"}"#) + frame(#"{"jsonrpc":"2.0","method":"exit"}"#))
        try toServer.fileHandleForWriting.close()
        received += fromServer.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (try messages(received), process.terminationStatus)
    }

    func testInputThatIsNotLSPIsAnsweredNotFatal() throws {
        let initialize = frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#)
        let open = frame(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///nowhere/x.policy","version":1,"text":"let x = (1 +"}}}"#)
        let isDiagnostics = { (m: [String: Any]) in m["method"] as? String == "textDocument/publishDiagnostics" }
        func version(_ m: [String: Any]) -> Int? { (m["params"] as? [String: Any])?["version"] as? Int }
        func diagnostics(_ m: [String: Any]?) -> [Any] { (m?["params"] as? [String: Any])?["diagnostics"] as? [Any] ?? ["none published"] }

        var input = Data("Content-Length: lots\r\n\r\n".utf8)
        input += frame("this is not JSON")
        input += initialize + open
        input += frame(#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///nowhere/x.policy","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":12},"end":{"line":0,"character":12}},"text":" 2)"}]}}"#)
        let edited = try session(input) { isDiagnostics($0) && version($0) == 2 }
        XCTAssertEqual(edited.status, 0)
        let errors = edited.messages.compactMap(error).map(\.message)
        XCTAssertTrue(errors.contains { $0.hasPrefix("could not read a Content-Length of 'lots'") }, "\(errors)")
        XCTAssertTrue(errors.contains { $0.hasPrefix("could not read a message that is not JSON") }, "\(errors)")
        // The edit completes the entry: the last diagnostics published are none. (The opened
        // text is not checked when the edit is already waiting behind it.)
        let published = edited.messages.filter(isDiagnostics)
        XCTAssertEqual(published.last.flatMap(version), 2, "\(published)")
        XCTAssertTrue(diagnostics(published.last).isEmpty, "\(published)")

        let opened = try session(initialize + open, awaiting: isDiagnostics)
        XCTAssertEqual(opened.status, 0)
        XCTAssertFalse(diagnostics(opened.messages.first(where: isDiagnostics)).isEmpty, "\(opened.messages)")
    }

    /// A client that wrote stray bytes without a header: the next header is found where it
    /// is glued on, so `shutdown` and `exit` still end the server.
    func testAHeaderGluedToStrayBytesIsStillRead() throws {
        var input = Data("[1,2,3]".utf8)
        input += frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#)
        input += Data("{\"stray\": true}".utf8)
        input += frame(#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#) + frame(#"{"jsonrpc":"2.0","method":"exit"}"#)
        let r = try PolicyProcess.run(["lsp"], stdin: input, timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        let ids = try messages(r.stdoutData).compactMap { $0["id"] as? Int }
        XCTAssertEqual(ids, [1, 2])
    }

    func testRandomBytesNeverCrashTheServer() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            var bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            // Some frames that look right around the noise.
            bytes.insert(contentsOf: frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#), at: 0)
            bytes += Data("Content-Length: 5\r\n\r\n{\"a\":".utf8)
            let r = try PolicyProcess.run(["lsp"], stdin: bytes, timeout: 30)
            XCTAssertFalse(r.crashed, "status \(r.status): \(r.stderr)")
            XCTAssertEqual(r.status, 1, "the input ended without shutdown")
        }
    }
}
