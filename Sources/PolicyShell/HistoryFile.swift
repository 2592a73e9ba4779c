#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine

/// The prompt's history file, shared by every prompt the user has open.
///
/// Each save takes an exclusive lock (flock) on the file, reads it again, adds this
/// session's new entries to what is there, and writes the result (through `FileWriter`):
/// two prompts at once both keep their entries. A file that exists but cannot be read as a
/// history (not libedit's format, a folder, unreadable) is never written: the session says
/// so once and keeps its history in memory only.
final class HistoryFile {
    let path: String
    /// Entries added since the last save, oldest first.
    private var unsaved: [String] = []
    /// Why the file is left alone (it could not be read, or not be written); nil while all is well.
    private(set) var problem: String?
    static let capacity: Int32 = 1000

    init(path: String) {
        self.path = path
    }

    /// Loads the file into `history` (a missing or empty file is an empty history).
    func load(into history: OpaquePointer) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno != ENOENT { giveUp("it could not be read: \(String(cString: strerror(errno)))") }
            return
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            giveUp("it is not a regular file")
            return
        }
        guard st.st_size > 0 else { return }
        if policy_history_load(history, path) < 0 { giveUp(unreadableReason()) }
    }

    func add(_ entry: String) {
        guard problem == nil else { return }
        unsaved.append(entry)
    }

    /// Merges this session's new entries into the file, under the lock.
    func save() {
        guard problem == nil, !unsaved.isEmpty else { return }
        guard let lock = lockFile() else { return }
        defer { close(lock) } // releases the lock
        let merged = history_init()
        guard let merged else { return }
        defer { history_end(merged) }
        policy_history_setsize(merged, HistoryFile.capacity)
        policy_history_setunique(merged, 1)
        var st = stat()
        if fstat(lock, &st) == 0, st.st_size > 0, policy_history_load(merged, path) < 0 {
            giveUp(unreadableReason())
            return
        }
        for entry in unsaved { policy_history_enter(merged, entry) }
        guard let bytes = serialize(merged) else { return }
        if let reason = FileWriter.write(path, bytes: bytes) {
            giveUp("it could not be written: \(reason)", read: false)
            return
        }
        unsaved = []
    }

    /// Opens the file (creating it empty if missing) and locks it. A writer that renamed a
    /// new file into place while this one waited leaves the lock on the old file: then the
    /// lock is taken again on the file now at the path.
    private func lockFile() -> Int32? {
        for _ in 0..<20 {
            let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                giveUp("it could not be opened: \(String(cString: strerror(errno)))", read: false)
                return nil
            }
            while flock(fd, LOCK_EX) != 0 {
                if errno == EINTR { continue }
                // A file system without locks: write without one rather than not at all.
                return fd
            }
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_dev == current.st_dev, held.st_ino == current.st_ino {
                return fd
            }
            close(fd)
        }
        giveUp("it kept changing while being locked", read: false)
        return nil
    }

    /// libedit's text of `history` (written through a temporary file beside the history,
    /// as libedit writes only to files).
    private func serialize(_ history: OpaquePointer) -> [UInt8]? {
        let temp: TemporaryFile
        switch TemporaryFile.create(beside: path) {
        case .success(let t): temp = t
        case .failure(let e):
            giveUp("it could not be written: \(e.reason)", read: false)
            return nil
        }
        defer {
            unlink(temp.path)
            temp.forget()
        }
        guard let stream = fdopen(temp.fd, "w") else {
            temp.discard()
            return nil
        }
        let saved = policy_history_save_fp(history, stream)
        guard fclose(stream) == 0, saved >= 0 else {
            giveUp("it could not be written: \(String(cString: strerror(errno)))", read: false)
            return nil
        }
        switch SourceLoader.readBytes(temp.path) {
        case .success(let bytes): return bytes
        case .failure(let e):
            giveUp("it could not be written: \(e.reason)", read: false)
            return nil
        }
    }

    private func unreadableReason() -> String {
        switch SourceLoader.readBytes(path) {
        case .failure(let e): return "it could not be read: \(e.reason)"
        case .success: return "it does not start with libedit's '_HiStOrY_V2_' line"
        }
    }

    /// Stops saving, and says why once.
    private func giveUp(_ reason: String, read: Bool = true) {
        guard problem == nil else { return }
        problem = reason
        let consequence = read
            ? "it is left as it is, and this session's entries are not saved; move it aside to start a new history"
            : "this session's entries are not saved"
        writeAll(2, "warning: the history file '\(path)' is not used: \(reason); \(consequence)\n")
    }
}
