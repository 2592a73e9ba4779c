import PolicyCore
import PolicySyntax

// `policy run --format json` (and `policy merge --format json`) prints one JSON document:
//
//     {"results": [
//     {"kind": "table", "statement": "table", "line": 12, "rows": [ … ], "notes": [ … ]},
//     {"kind": "text", "statement": "explain", "line": 13, "text": "…"},
//     {"kind": "error", "file": "m.policy", "line": 14, "column": 1, "message": "…"}
//     ]}
//
// Each result says which statement made it and where. Files written by `to "…"` are
// results too (`"kind": "file"`); errors are also on stderr, as always. `--format jsonl`
// prints the same objects, one per line, with no document around them.

extension Session {
    /// Starts the document for `json`, or the lines for `jsonl`; nothing for other formats.
    func beginDocument() {
        guard format == .json || format == .jsonl else { return }
        jsonDocument = true
        jsonLines = format == .jsonl
        resultsWritten = 0
        if !jsonLines { console.out("{\"results\": [\n") }
    }

    func endDocument() {
        guard jsonDocument, !jsonLines else { return }
        console.out(resultsWritten == 0 ? "]}\n" : "\n]}\n")
    }

    /// Adds one result object to the document.
    func emit(_ kind: String, _ members: [(String, String)]) {
        var head: [(String, String)] = [("kind", TableRenderer.jsonString(kind))]
        if let s = statement {
            head.append(("statement", TableRenderer.jsonString(s.keyword)))
            head.append(("line", String(s.source.file.location(of: Int(s.source.span.start)).line)))
        }
        let text = "{" + (head + members).map { "\(TableRenderer.jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        // A JSON string never holds a raw line end (it is escaped), so removing them leaves
        // each object on one line.
        console.out(jsonLines ? text.replacingOccurrences(of: "\n", with: "") + "\n" : (resultsWritten == 0 ? "" : ",\n") + text)
        resultsWritten += 1
    }

    func renderInDocument(_ output: Output) {
        func list(_ xs: [String]) -> String { "[" + xs.map(TableRenderer.jsonString).joined(separator: ", ") + "]" }
        func numbers(_ xs: [Double]) -> String { "[" + xs.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ") + "]" }
        switch output {
        case .value(let s, let v):
            emit("value", [("value", program.map { ValueFormatter($0).json(v) } ?? Session.jsonValue(s)), ("text", TableRenderer.jsonString(s))])
        case .text(let s):
            emit("text", [("text", TableRenderer.jsonString(s.hasSuffix("\n") ? String(s.dropLast()) : s))])
        case .explanation(let text, let json):
            // The tree's members follow the result's own; the text is as the prompt prints it.
            var members: [(String, String)] = [("text", TableRenderer.jsonString(text.hasSuffix("\n") ? String(text.dropLast()) : text))]
            if case .object(let m)? = try? JSONValue.parse(json) { members += m.map { ($0.0, $0.1.text) } }
            emit("explain", members)
        case .assertionFailed(let s):
            console.err(s + "\n")
            emit("assertion", [("message", TableRenderer.jsonString(s))])
        case .testResult(let name, let passed, let details):
            emit("test", [("name", TableRenderer.jsonString(name)), ("passed", passed ? "true" : "false"),
                          ("details", details.map(TableRenderer.jsonString) ?? "null")])
        case .table(let t):
            if let path = t.output {
                writeResultFile(path, Session.fileText(t, path: path), source: t.source)
                return
            }
            emit("table", TableRenderer(format: .json).jsonMembers(t))
        case .chart(let c):
            if let path = c.output {
                writeResultFile(path, ChartRenderer().svg(c), source: c.source)
                return
            }
            let series = c.series.enumerated().map { i, s -> String in
                var text = "{\"name\": \(TableRenderer.jsonString(s.name)), \"values\": \(numbers(s.values))"
                if i < c.bands.count, let band = c.bands[i] {
                    text += ", \"ci_low\": \(numbers(band.low)), \"ci_high\": \(numbers(band.high))"
                }
                return text + "}"
            }
            emit("chart", [("title", TableRenderer.jsonString(c.title)), ("x_label", TableRenderer.jsonString(c.xLabel)),
                           ("y_label", TableRenderer.jsonString(c.yLabel)), ("keys", list(c.keys)),
                           ("series", "[" + series.joined(separator: ", ") + "]")])
        }
    }

    /// A runtime error as a result: where (file, line, column) and what.
    func addErrorsToDocument(_ error: Error) {
        func add(_ e: EvalError) {
            var members: [(String, String)] = []
            if let src = e.source {
                let at = src.file.location(of: Int(src.span.start))
                members += [("file", TableRenderer.jsonString(src.file.name)), ("line", String(at.line)), ("column", String(at.column))]
            }
            members.append(("message", TableRenderer.jsonString(e.message)))
            if let hint = e.hint { members.append(("hint", TableRenderer.jsonString(hint))) }
            emit("error", members)
        }
        switch error {
        case let e as EvalError: add(e)
        case let e as RunErrors: for entry in e.entries { add(entry.error) }
        case is Interrupted: emit("error", [("message", "\"interrupted\"")])
        default: emit("error", [("message", TableRenderer.jsonString("internal error: \(error)"))])
        }
    }
}
