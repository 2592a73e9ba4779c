#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine

/// Writes every file the tool produces (history, `:save`, `plot … to`, `fmt --write`)
/// without losing data or changing what the path is:
///
/// - a regular file is written to a temporary file in the same folder (created exclusively,
///   mode 0600, removed if a signal ends the process) and renamed over the old one, so an
///   error leaves the old file whole; its permissions and owner are kept;
/// - a regular file with other hard links, or owned by another user, is written in place, so
///   the links stay one file and the owner stays;
/// - a symbolic link is followed, and its target written (the link stays);
/// - `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` write to that descriptor; a character
///   device or a named pipe is opened and written in place, never replaced;
/// - a read-only file, a folder, a socket or a block device is refused with the reason.
///
/// ```swift
/// if let reason = FileWriter.write("out.svg", svg) { print("cannot write: \(reason)") }
/// ```
public enum FileWriter {
    /// Writes `text`; nil on success, else why not (a sentence fragment for `cannot write 'X': …`).
    public static func write(_ path: String, _ text: String) -> String? {
        write(path, bytes: Array(text.utf8))
    }

    public static func write(_ requested: String, bytes: [UInt8]) -> String? {
        let path: String
        switch resolve(requested) {
        case .failure(let reason): return reason
        case .descriptor(let fd): return writeAll(fd, bytes).map { "writing to descriptor \(fd) failed: \($0)" }
        case .path(let p): path = p
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            guard errno == ENOENT else { return errorText() }
            return replace(path, bytes, mode: newFileMode(), owner: nil)
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            return "it is a folder; name a file inside it"
        case S_IFREG:
            if st.st_mode & 0o222 == 0 {
                return "the file is read-only (mode \(octal(st.st_mode & 0o7777))); make it writable (chmod u+w) or write to another file"
            }
            if access(path, W_OK) != 0 {
                return "\(errorText()) (you may not write to this file); write to another file"
            }
            // Other hard links, or another user's file we may write: a new file would split
            // the links or change the owner, so the file itself is written.
            if st.st_nlink > 1 || (st.st_uid != geteuid() && geteuid() != 0) { return inPlace(path, bytes, kind: .linkedFile) }
            return replace(path, bytes, mode: mode_t(st.st_mode & 0o7777), owner: (st.st_uid, st.st_gid))
        case S_IFIFO:
            return inPlace(path, bytes, kind: .pipe)
        case S_IFCHR:
            return inPlace(path, bytes, kind: .device)
        case S_IFBLK:
            return "it is a block device (a disk); policy writes only files, terminals and pipes"
        case S_IFSOCK:
            return "it is a socket; policy writes only files, terminals and pipes"
        default:
            return "it is not a regular file"
        }
    }

    // MARK: - Where a path leads

    enum Target { case path(String), descriptor(Int32), failure(String) }

    /// Follows symbolic links to the file to write (a new file may not exist yet). The
    /// standard streams' names mean the process's own descriptors, not the files behind them
    /// (writing to a redirected stdout must not replace the file it is redirected to).
    static func resolve(_ requested: String) -> Target {
        var current = requested
        for _ in 0..<40 {
            if let fd = descriptor(named: current) { return .descriptor(fd) }
            var st = stat()
            if lstat(current, &st) != 0 {
                return errno == ENOENT ? .path(current) : .failure(errorText())
            }
            guard st.st_mode & S_IFMT == S_IFLNK else { return .path(current) }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else { return .failure(errorText()) }
            let target = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + target
            } else {
                current = target
            }
        }
        return .failure("too many levels of symbolic links")
    }

    /// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: the descriptor.
    static func descriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    // MARK: - Replacing a regular file

    /// A new file gets the mode `touch` would give it.
    static func newFileMode() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }

    /// Writes a temporary file beside `path`, then renames it over `path`.
    static func replace(_ path: String, _ bytes: [UInt8], mode: mode_t, owner: (uid_t, gid_t)?) -> String? {
        let temp: TemporaryFile
        switch TemporaryFile.create(beside: path) {
        case .success(let t): temp = t
        case .failure(let e):
            // A folder we may not add files to: an existing writable file is still written, in place.
            if e.code == EACCES || e.code == EPERM, access(path, W_OK) == 0 { return inPlace(path, bytes, kind: .linkedFile) }
            return e.reason
        }
        defer { temp.forget() }
        if let reason = writeAll(temp.fd, bytes) {
            temp.discard()
            return reason
        }
        pauseForTests()
        if let (uid, gid) = owner { _ = fchown(temp.fd, uid, gid) }
        if fchmod(temp.fd, mode) != 0 || fsync(temp.fd) != 0 {
            let reason = errorText()
            temp.discard()
            return reason
        }
        if close(temp.fd) != 0 {
            let reason = errorText()
            unlink(temp.path)
            return reason
        }
        if rename(temp.path, path) != 0 {
            let reason = errorText()
            unlink(temp.path)
            return reason
        }
        return nil
    }

    /// For the signal tests only: `POLICY_TEST_WRITE_PAUSE_MS` holds each write after the
    /// temporary file's last byte (before its final mode and the rename), so a test can
    /// deliver a signal then.
    static func pauseForTests() {
        guard let raw = getenv("POLICY_TEST_WRITE_PAUSE_MS"), let ms = UInt32(String(cString: raw)), ms > 0 else { return }
        usleep(min(ms, 10_000) * 1000)
    }

    // MARK: - Writing in place

    enum InPlaceKind { case linkedFile, pipe, device }

    /// Opens the existing file, pipe or device and writes to it (never creating or replacing it).
    static func inPlace(_ path: String, _ bytes: [UInt8], kind: InPlaceKind) -> String? {
        var flags = O_WRONLY | O_NOCTTY | O_CLOEXEC
        // A named pipe with no reader would block the open for ever: refuse instead.
        if kind == .pipe { flags |= O_NONBLOCK }
        let fd = open(path, flags)
        guard fd >= 0 else {
            if kind == .pipe, errno == ENXIO {
                return "it is a named pipe (FIFO) that no program is reading; start the reader first"
            }
            return errorText()
        }
        defer { close(fd) }
        if kind == .pipe {
            let current = fcntl(fd, F_GETFL)
            if current >= 0 { _ = fcntl(fd, F_SETFL, current & ~O_NONBLOCK) }
        }
        if kind == .linkedFile {
            // Reserve the space first, so a full disk is found before the old text is overwritten.
            let reserved = posix_fallocate(fd, 0, off_t(bytes.count))
            if reserved != 0, reserved != EOPNOTSUPP, reserved != EINVAL {
                return String(cString: strerror(reserved))
            }
        }
        if let reason = writeAll(fd, bytes) { return reason }
        if kind == .linkedFile {
            if ftruncate(fd, off_t(bytes.count)) != 0 || fsync(fd) != 0 { return errorText() }
        }
        return nil
    }

    // MARK: - Helpers

    /// Writes every byte (retrying on EINTR and partial writes); nil, or why it failed.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return rawWrite(fd, base + offset, buf.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return errorText()
            }
            if n == 0 { return "nothing could be written" }
            offset += n
        }
        return nil
    }

    /// What would fix a failure whose reason is a bare system error; nil when the reason
    /// already says what to do, or there is nothing general to say.
    public static func hint(for reason: String) -> String? {
        func text(_ code: Int32) -> String { String(cString: strerror(code)) }
        switch reason {
        case text(ENOENT), text(ENOTDIR): return "check that the folder exists"
        case text(EACCES), text(EPERM): return "check that you may write there"
        case text(ENOSPC), text(EDQUOT): return "free some space, or write somewhere else"
        case text(EROFS): return "write somewhere else"
        default: return nil
        }
    }

    /// `error: cannot write 'PATH': REASON[ — HINT]`, with a newline.
    public static func message(_ path: String, _ reason: String) -> String {
        "error: cannot write '\(path)': \(reason)" + (hint(for: reason).map { " — \($0)" } ?? "") + "\n"
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// `write(2)` (the enum's own `write` methods hide the system call's name inside it).
private func rawWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// A temporary file beside the file it will replace: created exclusively with mode 0600,
/// and registered so a SIGINT or SIGTERM removes it before the process ends.
struct TemporaryFile {
    struct Failure: Error {
        var code: Int32
        var reason: String
    }

    let path: String
    let fd: Int32
    let slot: Int32

    static func create(beside target: String) -> Result<TemporaryFile, Failure> {
        for attempt in 0..<100 {
            let path = "\(target).tmp-\(getpid())" + (attempt == 0 ? "" : "-\(attempt)")
            // Registered once it is ours: a signal in between may leave it behind, but a
            // handler never removes a file of that name that belongs to someone else.
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return .success(TemporaryFile(path: path, fd: fd, slot: policy_temp_register(path))) }
            let code = errno
            if code != EEXIST { return .failure(Failure(code: code, reason: String(cString: strerror(code)))) }
        }
        return .failure(Failure(code: EEXIST, reason: "no unused temporary file name beside it"))
    }

    /// Closes and removes the file (after an error).
    func discard() {
        close(fd)
        unlink(path)
    }

    /// The file is gone or renamed: a signal need not remove it any more.
    func forget() { policy_temp_unregister(slot) }
}
