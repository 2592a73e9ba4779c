#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine
import PolicyCore
import PolicySyntax
import PolicySupport

/// Reads source files from disk.
public enum SourceLoader {
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// Set when the file is larger than a limit (a data error, exit 65, not an unreadable
        /// file): how to get past it.
        public var hint: String?
        public var description: String { "error: cannot read '\(path)': \(reason)" }
    }

    /// Which limit bounds a read: a source file's (`file-mb`) or a CSV file's (`csv-mb`).
    public enum ReadLimit: Sendable {
        case source, csv

        var bytes: Int { self == .source ? Limits.current.fileBytes : Limits.current.csvBytes }
        var name: String { self == .source ? "file-mb" : "csv-mb" }
        var what: String { self == .source ? "file" : "CSV file" }
        var hint: String { self == .source ? "split it with 'include', or " + Limits.raiseHint(name) : Limits.raiseHint(name) }

        /// `file too large (N bytes; the limit is 64 MB)`; `size` nil: not known without reading.
        func message(size: Int?) -> String {
            let mb = Limits.grouped(bytes >> 20)
            if let size { return "\(what) too large (\(Limits.grouped(size)) bytes; the limit is \(mb) MB)" }
            return "\(what) too large (more than the limit of \(mb) MB; it is not a regular file, so it was read up to the limit)"
        }
    }

    /// The bytes of a file, or why they could not be read. A regular file larger than the
    /// limit is refused by its size before any of it is read; anything else (a device, a
    /// pipe) is read only up to the limit.
    public static func readBytes(_ path: String, limit: ReadLimit = .source) -> Result<[UInt8], ReadError> {
        let maxBytes = limit.bytes
        // Opened and read without blocking: a named pipe with no writer would block the open
        // forever, and a writer that never finishes the read; waiting is done in short
        // steps instead (see below).
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return .failure(ReadError(path: path, reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        let known = fstat(fd, &st) == 0
        if known, (st.st_mode & S_IFMT) == S_IFDIR {
            return .failure(ReadError(path: path, reason: "it is a folder"))
        }
        let regular = known && (st.st_mode & S_IFMT) == S_IFREG
        if regular, Int(st.st_size) > maxBytes {
            return .failure(ReadError(path: path, reason: limit.message(size: Int(st.st_size)), hint: limit.hint))
        }
        // Read straight into an array of the file's size (growing only if the file does), and
        // never past one byte more than the limit. The array is not zeroed first: a large data
        // file would otherwise be written twice before it is read.
        var capacity = min((regular ? max(Int(st.st_size), 0) : 64 << 10) + 1, maxBytes + 1)
        var used = 0
        var failure: ReadError?
        /// Reads into `base + used` up to `end`: false when a read failed (`failure`).
        func fill(_ base: UnsafeMutablePointer<UInt8>, upTo end: Int) -> Bool {
            while used < end {
                let n = read(fd, base + used, end - used)
                if n < 0 {
                    // Nothing yet from a pipe or device: wait a tenth of a second at a time, so
                    // Ctrl-C at the prompt (whichever thread its signal reaches) gives up on a
                    // writer that never finishes.
                    if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                        if policy_peek_interrupt() != 0 {
                            failure = ReadError(path: path, reason: "interrupted")
                            return false
                        }
                        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                        _ = poll(&p, 1, 100)
                        continue
                    }
                    failure = ReadError(path: path, reason: String(cString: strerror(errno)))
                    return false
                }
                if n == 0 { return true }
                used += n
            }
            return true
        }
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            if let base = buffer.baseAddress {
                let size = capacity - 1
                if regular, size >= SourceLoader.parallelReadBytes, SourceLoader.readInParallel(fd, base, size) {
                    used = size
                    // One byte more: the file has grown since its size was taken.
                    if pread(fd, base + size, 1, off_t(size)) == 1 {
                        used += 1
                        _ = lseek(fd, off_t(used), SEEK_SET)
                    }
                } else {
                    _ = fill(base, upTo: capacity)
                }
            }
            initialized = used
        }
        if let failure { return .failure(failure) }
        // Full: the file is longer than it said (or is not a regular file); read on, growing.
        while used == capacity {
            guard capacity <= maxBytes else {
                return .failure(ReadError(path: path, reason: limit.message(size: regular ? used : nil), hint: limit.hint))
            }
            capacity = min(capacity * 2, maxBytes + 1)
            bytes += [UInt8](repeating: 0, count: capacity - bytes.count)
            let ok = bytes.withUnsafeMutableBufferPointer { buffer -> Bool in
                guard let base = buffer.baseAddress else { return false }
                return fill(base, upTo: capacity)
            }
            if !ok, let failure { return .failure(failure) }
        }
        bytes.removeSubrange(used...)
        return .success(bytes)
    }

    /// Regular files of this size or more are read on every core, a piece each.
    static let parallelReadBytes = 16 << 20

    /// Reads bytes `0 ..< size` of the regular file `fd` into `base`, in 4 MB pieces on
    /// every core (the kernel's copy and the pages it fills are then shared out too); false
    /// when any piece comes back short (the file shrank), and nothing read is to be trusted.
    static func readInParallel(_ fd: Int32, _ base: UnsafeMutablePointer<UInt8>, _ size: Int) -> Bool {
        struct Target: @unchecked Sendable {
            let base: UnsafeMutablePointer<UInt8>
            let complete: UnsafeMutablePointer<Bool>
        }
        let piece = 4 << 20
        let pieces = (size + piece - 1) / piece
        let workers = max(1, min(workerCount(), pieces))
        let complete = UnsafeMutablePointer<Bool>.allocate(capacity: pieces)
        complete.initialize(repeating: false, count: pieces)
        defer { complete.deallocate() }
        let target = Target(base: base, complete: complete)
        runParallel(workers: workers, stackBytes: 1 << 20) { w in
            var k = w
            while k < pieces {
                let start = k * piece, end = Swift.min(size, start + piece)
                var at = start
                while at < end {
                    let n = pread(fd, target.base + at, end - at, off_t(at))
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    at += n
                }
                target.complete[k] = at == end
                k += workers
            }
        }
        return (0..<pieces).allSatisfy { complete[$0] }
    }

    public static func load(_ path: String) -> Result<SourceFile, ReadError> {
        readBytes(path).map { SourceFile(name: path, bytes: $0) }
    }
}

extension SourceLoader {
    /// A file or folder's identity, the same through every path and link that reaches it.
    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ st: stat) {
            device = UInt64(truncatingIfNeeded: st.st_dev)
            inode = UInt64(truncatingIfNeeded: st.st_ino)
        }
    }

    /// The names in a folder (hidden ones too; not `.` and `..`), each with its `d_type`; nil
    /// when it cannot be opened (`errno` says why).
    static func entries(_ dir: String) -> [(name: String, type: UInt8)]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [(name: String, type: UInt8)] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != ".", name != ".." { out.append((name, e.pointee.d_type)) }
        }
        return out
    }

    /// `path` itself if it is a file; the `.policy` files under it (sorted) if a folder.
    /// Links are followed, but each folder and file is visited once (by device and inode),
    /// so a link back to the folder itself or to a parent ends the walk there instead of
    /// going round. A raised `cancel` stops the walk with what was found so far.
    public static func policyFiles(_ path: String, cancel: CancellationFlag? = nil) -> Result<[String], ReadError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(ReadError(path: path, reason: String(cString: strerror(errno)))) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return .success([path]) }
        var found: [String] = []
        var visited: Set<FileID> = [FileID(st)]
        func walk(_ dir: String, _ depth: Int) {
            guard depth < 32, cancel?.isRaised != true, let listed = entries(dir) else { return }
            for name in listed.map(\.name).filter({ !$0.hasPrefix(".") }).sorted() {
                if cancel?.isRaised == true { return }
                let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                var s = stat()
                guard stat(full, &s) == 0 else { continue }
                let isFolder = (s.st_mode & S_IFMT) == S_IFDIR
                guard isFolder || name.hasSuffix(".policy") else { continue }
                guard visited.insert(FileID(s)).inserted else { continue }
                if isFolder { walk(full, depth + 1) } else { found.append(full) }
            }
        }
        walk(path, 0)
        return .success(found)
    }
}
