/// Renders diagnostics in the rustc/Elm style:
///
/// ```text
/// error: unknown name 'cok'
///  --> <repl>:1:33
///   |
/// 1 | honored(booking { jurisdiction: cok, date: 2011-10-01 })
///   |                                 ^^^ did you mean 'cook'?
/// ```
public struct DiagnosticRenderer: Sendable {
    public var useColor: Bool

    /// Lines longer than this many bytes are shown as a window around the span.
    public static let maxShownLine = 120

    public init(useColor: Bool = false) {
        self.useColor = useColor
    }

    func paint(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func render(_ d: LocatedDiagnostic) -> String {
        render(d.diagnostic, in: d.file)
    }

    public func render(_ d: Diagnostic, in file: SourceFile) -> String {
        let start = file.location(of: Int(d.span.start))
        let severityColor = d.severity == .error ? "1;31" : d.severity == .warning ? "1;33" : "1;36"
        // A message quoting something enormous (a megabyte-long name) is cut to stay readable.
        let message = d.message.count > 300 ? String(d.message.prefix(300)) + "…" : d.message
        var out = paint(d.severity.rawValue, severityColor) + paint(": \(message)", "1") + "\n"
        let gutter = String(repeating: " ", count: String(start.line).count)
        out += "\(gutter)\(paint("-->", "34")) \(file.name):\(start.line):\(start.column)\n"
        let fullLine = Array(file.lineText(start.line).utf8)
        var lineStart = Int(file.lineStarts[start.line - 1])
        // A very long line is shown as a window around the span.
        var lineBytes = fullLine
        var ellipsisBefore = "", ellipsisAfter = ""
        if fullLine.count > DiagnosticRenderer.maxShownLine {
            let at = Int(d.span.start) - lineStart
            var lo = max(0, at - DiagnosticRenderer.maxShownLine / 2)
            while lo > 0, lo < fullLine.count, fullLine[lo] & 0xC0 == 0x80 { lo -= 1 }
            var hi = min(fullLine.count, lo + DiagnosticRenderer.maxShownLine)
            while hi < fullLine.count, fullLine[hi] & 0xC0 == 0x80 { hi += 1 }
            lineBytes = Array(fullLine[lo..<hi])
            if lo > 0 { ellipsisBefore = "…" }
            if hi < fullLine.count { ellipsisAfter = "…" }
            lineStart += lo
        }
        let lineText = String(decoding: lineBytes, as: UTF8.self)
        out += "\(gutter) \(paint("|", "34"))\n"
        out += "\(paint(String(start.line), "34")) \(paint("|", "34")) \(ellipsisBefore)\(DiagnosticRenderer.sanitize(lineText))\(ellipsisAfter)\n"

        // The caret runs under the span, or to the end of the line when the span goes on.
        let prefixBytes = Int(d.span.start) - lineStart
        let prefix = String(decoding: lineBytes.prefix(max(0, prefixBytes)), as: UTF8.self)
        let spanEndInLine = min(Int(d.span.end) - lineStart, lineBytes.count)
        let underlined = spanEndInLine > prefixBytes
            ? String(decoding: lineBytes[prefixBytes..<spanEndInLine], as: UTF8.self) : ""
        let padding = ellipsisBefore.map { _ in " " }.joined() + prefix.map { $0 == "\t" ? "\t" : String(repeating: " ", count: DiagnosticRenderer.width($0)) }.joined()
        let caretCount = max(1, underlined.reduce(0) { $0 + DiagnosticRenderer.width($1) })
        var caretLine = "\(gutter) \(paint("|", "34")) \(padding)\(paint(String(repeating: "^", count: caretCount), severityColor))"
        if let hint = d.hint { caretLine += " " + paint(hint.count > 300 ? String(hint.prefix(300)) + "…" : hint, "1;32") }
        out += caretLine + "\n"
        for note in d.notes {
            if let span = note.span {
                let loc = file.location(of: Int(span.start))
                out += "\(gutter) = note: \(note.message) (\(file.name):\(loc.line):\(loc.column))\n"
            } else {
                out += "\(gutter) = note: \(note.message)\n"
            }
        }
        return out
    }

    /// Control characters would garble the terminal; show them as escapes.
    static func sanitize(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else { return line }
        return String(line.unicodeScalars.map { s -> String in
            (s.value < 0x20 && s != "\t") || s.value == 0x7F ? "\u{FFFD}" : String(s)
        }.joined())
    }

    /// Terminal columns a character takes: 2 for East Asian wide and emoji, 0 for combining marks.
    public static func width(_ c: Character) -> Int {
        guard let s = c.unicodeScalars.first else { return 0 }
        let v = s.value
        if v < 0x300 { return 1 }
        if (0x300...0x36F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
            || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }
}
