#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

/// The file paths in a script saved somewhere else (`:save`): `include "…"`,
/// `jurisdictions from "…"` and `population … from "…"` are relative to the folder of the
/// file that names them, so each is rewritten relative to the folder of the saved file, and
/// the saved script reads the same files. Absolute paths stay as they are.
struct SavedPaths {
    /// The folder the saved script will be in (absolute, symbolic links resolved).
    let folder: [Substring]
    let provider: FileProvider

    init(savingTo target: String, provider: FileProvider) {
        self.provider = provider
        // A standard stream has no folder: paths stay relative to the working directory.
        let dir: String
        if FileWriter.descriptor(named: target) != nil {
            dir = "."
        } else if let slash = target.lastIndex(of: "/") {
            dir = slash == target.startIndex ? "/" : String(target[..<slash])
        } else {
            dir = "."
        }
        folder = SavedPaths.canonical(dir).split(separator: "/")
    }

    /// `statement` with its paths rewritten (those in a scenario's items too).
    func rewrite(_ statement: Statement, from file: SourceFile) -> Statement {
        var s = statement
        switch statement.kind {
        case .include(let path):
            s.kind = .include(rewrite(path, from: file))
        case .jurisdictionsFrom(let path):
            s.kind = .jurisdictionsFrom(rewrite(path, from: file))
        case .population(var d):
            if let source = d.source { d.source = rewrite(source, from: file) }
            s.kind = .population(d)
        case .scenario(var d):
            d.items = d.items.map { rewrite($0, from: file) }
            s.kind = .scenario(d)
        default:
            break
        }
        return s
    }

    func rewrite(_ path: StringLiteral, from file: SourceFile) -> StringLiteral {
        guard !path.value.hasPrefix("/") else { return path }
        let resolved = provider.resolve(path.value, relativeTo: file)
        let target = SavedPaths.canonical(resolved).split(separator: "/")
        var common = 0
        while common < folder.count, common < target.count, folder[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: folder.count - common)
        let relative = (ups + target[common...].map(String.init)).joined(separator: "/")
        return StringLiteral(relative.isEmpty ? "." : relative, path.span)
    }

    /// An absolute path without `.`, `..` or symbolic links in its folders (as far as they
    /// exist), so two names of one folder compare equal.
    static func canonical(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            guard getcwd(&buffer, buffer.count) != nil else { return Path.normalize(path) }
            absolute = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
        }
        absolute = Path.normalize(absolute)
        // Resolve the longest existing prefix; keep the rest as written.
        var parts = absolute.split(separator: "/").map(String.init)
        var tail: [String] = []
        while true {
            let head = "/" + parts.joined(separator: "/")
            if let real = realpath(head, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return tail.isEmpty ? base : Path.normalize(base + "/" + tail.reversed().joined(separator: "/"))
            }
            guard let last = parts.popLast() else { return absolute }
            tail.append(last)
        }
    }
}
