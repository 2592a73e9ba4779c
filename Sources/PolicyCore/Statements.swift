import PolicySyntax

/// A top-level statement, checked and compiled, ready to run.
public indirect enum CheckedStatement: Sendable {
    /// A declaration: nothing to run.
    case declaration(source: SourceRef)
    case expression(Eval, type: PType, source: SourceRef)
    case explain(Eval, scenarios: [Int], source: SourceRef)
    case timeline(scenario: Int, from: Eval?, until: Eval?, for: Eval?, source: SourceRef)
    case status(Eval, at: Eval?, scenario: Int, source: SourceRef)
    case test(name: String, body: [CheckedStatement], localCount: Int, source: SourceRef)
    case assert(Eval, parts: [AssertPart], message: String?, source: SourceRef)
    /// `let x = …` inside a test.
    case local(slot: Int, Eval, source: SourceRef)
    case query(Query, source: SourceRef)
    case sample(SampleQuery, source: SourceRef)
}

/// A sub-expression of an assert's condition, shown when the assert fails.
public struct AssertPart: Sendable {
    public var text: String
    public var eval: Eval
    public var isDecision: Bool
}

extension CheckedStatement {
    /// Where the statement is written.
    public var source: SourceRef {
        switch self {
        case .declaration(let s), .expression(_, _, let s), .explain(_, _, let s), .timeline(_, _, _, _, let s),
             .status(_, _, _, let s), .test(_, _, _, let s), .assert(_, _, _, let s), .local(_, _, let s), .query(_, let s),
             .sample(_, let s):
            return s
        }
    }
}

extension CheckedStatement {
    /// The word the statement starts with (`table`, `explain`, …), or `expression`: what
    /// `policy plan` and a JSON result say it is.
    public var keyword: String {
        if case .expression = self { return "expression" }
        return CheckedStatement.keyword(at: source)
    }

    static func keyword(at source: SourceRef) -> String {
        let word = source.file.text(source.span).prefix { $0.isLetter || $0 == "_" }
        return word.isEmpty ? "expression" : String(word)
    }
}
