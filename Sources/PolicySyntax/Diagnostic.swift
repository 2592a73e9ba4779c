/// A problem found in source text: what is wrong, where, and what might fix it.
///
/// Messages are lowercase and name the offending text in single quotes:
/// `unknown name 'cok'`, hint `did you mean 'cook'?`.
public struct Diagnostic: Sendable, Hashable {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var span: Span
    /// One short suggestion, shown under the caret.
    public var hint: String?
    /// Related places (for example, the `{` an unclosed block started at).
    public var notes: [Note]

    public struct Note: Sendable, Hashable {
        public var message: String
        public var span: Span?
        public init(_ message: String, span: Span? = nil) {
            self.message = message
            self.span = span
        }
    }

    public init(_ severity: Severity = .error, _ message: String, at span: Span,
                hint: String? = nil, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = notes
    }

    public static func error(_ message: String, at span: Span, hint: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: span, hint: hint)
    }
}

/// A diagnostic together with the file it belongs to.
public struct LocatedDiagnostic: Sendable {
    public var file: SourceFile
    public var diagnostic: Diagnostic
    public init(file: SourceFile, diagnostic: Diagnostic) {
        self.file = file
        self.diagnostic = diagnostic
    }

    /// `file:line:column` of the diagnostic's start.
    public var position: String {
        let loc = file.location(of: Int(diagnostic.span.start))
        return "\(file.name):\(loc.line):\(loc.column)"
    }
}
