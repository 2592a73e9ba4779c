import PolicySyntax

/// A table of results: a header and rows of cells (§7). The shell renders it as aligned
/// text, CSV or JSON.
public struct ResultTable: Sendable {
    public enum Cell: Sendable, Equatable {
        case text(String)
        case int(Int64)
        case number(Double)
        /// A fraction shown as a percentage (share, % change).
        case percent(Double)
        /// A mean over replicates with its 95% confidence interval (§10).
        case estimate(Estimate)
        case empty
    }
    public var title: String?
    /// Column groups above the header (for compare: one group per aggregate column).
    public var groups: [(title: String, span: Int)] = []
    public var header: [String]
    /// How many leading columns are keys (left-aligned).
    public var keyColumns: Int
    public var rows: [[Cell]]
    /// Lines printed after the table (attribution).
    public var notes: [String] = []
    /// A compare's attribution, as data: how many differing cases each reason covers.
    public var attribution: [AttributedCases] = []
    /// Where to write the table instead of printing it (`table … to "x.csv"`): CSV or JSON by
    /// the extension.
    public var output: String?
    /// The statement, for errors about writing its file.
    public var source: SourceRef?

    public init(title: String? = nil, header: [String], keyColumns: Int, rows: [[Cell]]) {
        self.title = title
        self.header = header
        self.keyColumns = keyColumns
        self.rows = rows
    }
}

/// A chart: one series per line, over the same keys.
public struct ChartData: Sendable {
    public var title: String
    /// What the keys are (`quarter`) and what the values are (`count(outcome == transferred)`,
    /// with its unit where there is one): the axes' labels.
    public var xLabel = ""
    public var yLabel = ""
    /// The title was given (`titled "…"`), so it may not say what the axes are.
    public var isTitled = false
    public var keys: [String]
    public var series: [(name: String, values: [Double])]
    /// Per series, the 95% confidence interval at each key (a plot with `replicates`), or nil.
    public var bands: [(low: [Double], high: [Double])?] = []
    /// Where to write an SVG, when asked.
    public var output: String?
    /// The `plot` statement, for errors about writing its file.
    public var source: SourceRef? = nil

    public init(title: String, keys: [String], series: [(name: String, values: [Double])], output: String?, source: SourceRef? = nil,
                bands: [(low: [Double], high: [Double])?] = []) {
        self.title = title
        self.keys = keys
        self.series = series
        self.bands = bands
        self.output = output
        self.source = source
    }
}

/// What running a statement produces.
public enum Output: Sendable {
    /// An expression's value, formatted, and the value itself (for JSON and CSV).
    case value(String, Value)
    /// Text already laid out (timelines, status).
    case text(String)
    /// `explain`: its tree as text, and as a JSON object (see ExplainTree).
    case explanation(text: String, json: String)
    case table(ResultTable)
    case chart(ChartData)
    case testResult(name: String, passed: Bool, details: String?)
    /// A top-level assert that failed.
    case assertionFailed(String)
}

extension Output {
    /// A query's table with the file it is to be written to (`table … to "x.csv"`).
    func written(to path: String?, source: SourceRef) -> Output {
        guard let path, case .table(var t) = self else { return self }
        t.output = path
        t.source = source
        return .table(t)
    }
}
