#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

/// Reads source files from disk.
public enum SourceLoader {
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "error: cannot read '\(path)': \(reason)" }
    }

    /// The bytes of a file, or why they could not be read.
    public static func readBytes(_ path: String) -> Result<[UInt8], ReadError> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(ReadError(path: path, reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            return .failure(ReadError(path: path, reason: "it is a folder"))
        }
        // Read straight into an array of the file's size (growing only if the file does).
        var capacity = max(Int(st.st_size), 0) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var used = 0
        while true {
            if used == capacity {
                capacity *= 2
                bytes += [UInt8](repeating: 0, count: capacity - bytes.count)
            }
            let n = bytes.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return read(fd, base + used, capacity - used)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadError(path: path, reason: String(cString: strerror(errno))))
            }
            if n == 0 { break }
            used += n
        }
        bytes.removeSubrange(used...)
        return .success(bytes)
    }

    public static func load(_ path: String) -> Result<SourceFile, ReadError> {
        readBytes(path).map { SourceFile(name: path, bytes: $0) }
    }
}

extension SourceLoader {
    /// `path` itself if it is a file; the `.policy` files under it (sorted) if a folder.
    public static func policyFiles(_ path: String) -> Result<[String], ReadError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(ReadError(path: path, reason: String(cString: strerror(errno)))) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return .success([path]) }
        var found: [String] = []
        func walk(_ dir: String, _ depth: Int) {
            guard depth < 32, let d = opendir(dir) else { return }
            defer { closedir(d) }
            var entries: [String] = []
            while let e = readdir(d) {
                let name = withUnsafePointer(to: e.pointee.d_name) { ptr in
                    ptr.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name.hasPrefix(".") { continue }
                entries.append(name)
            }
            for name in entries.sorted() {
                let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                var s = stat()
                guard stat(full, &s) == 0 else { continue }
                if (s.st_mode & S_IFMT) == S_IFDIR { walk(full, depth + 1) } else if name.hasSuffix(".policy") { found.append(full) }
            }
        }
        walk(path, 0)
        return .success(found)
    }
}
