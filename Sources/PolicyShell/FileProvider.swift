import PolicyCore
import PolicySyntax

/// Reads `include`d files and CSV data from disk, relative to the file that names them.
/// (A subclass serves an editor's unsaved documents instead, `EditorFiles`.)
public class FileProvider: SourceProvider {
    public init() {}

    /// Whether to note every file read (a shard records what its results came from).
    var recording = false
    /// The included sources read, in order, when recording.
    private(set) var sourcesRead: [ShardFile.FileHash] = []
    /// The CSV files read, when recording.
    private(set) var dataRead: [ShardFile.FileHash] = []

    public func load(_ path: String) -> Result<SourceFile, SourceLoadError> {
        switch SourceLoader.load(path) {
        case .success(let f):
            if recording { sourcesRead.append(ShardFile.FileHash(path: f.name, hash: FNV1a.hash(f.bytes), bytes: f.bytes.count)) }
            return .success(f)
        case .failure(let e): return .failure(SourceLoadError(e.reason, hint: e.hint))
        }
    }

    public func loadBytes(_ path: String) -> Result<[UInt8], SourceLoadError> {
        switch SourceLoader.readBytes(path, limit: .csv) {
        case .success(let b):
            if recording, !dataRead.contains(where: { $0.path == path }) {
                dataRead.append(ShardFile.FileHash(path: path, hash: FNV1a.hash(b), bytes: b.count))
            }
            return .success(b)
        case .failure(let e): return .failure(SourceLoadError(e.reason, hint: e.hint))
        }
    }

    public func resolve(_ path: String, relativeTo base: SourceFile) -> String {
        if path.hasPrefix("/") || base.name.hasPrefix("<") { return path }
        guard let slash = base.name.lastIndex(of: "/") else { return path }
        return Path.normalize(String(base.name[...slash]) + path)
    }
}

enum Path {
    /// Removes `./` and `dir/../` so the same file has one name.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
