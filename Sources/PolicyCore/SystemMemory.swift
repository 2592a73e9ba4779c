#if canImport(Glibc)
import Glibc
#endif
import PolicySyntax

/// What the operating system lets this process still allocate: the least of the machine's
/// available memory, what is left under the address-space and data-size limits
/// (`ulimit -v`, `ulimit -d`, `prlimit --as`), and what is left in the process's control
/// group (`memory.max`, as in a container). A population that needs more is refused with
/// an error instead of the allocation failing (an abort).
enum SystemMemory {
    /// The bytes left, and which bound set them (nil: the machine's available memory).
    static func available() -> (bytes: Int, bound: String?)? {
        var best: (bytes: Int, bound: String?)?
        func consider(_ bytes: Int?, _ bound: String?) {
            guard let bytes else { return }
            let left = max(bytes, 0)
            if best.map({ left < $0.bytes }) ?? true { best = (left, bound) }
        }
        consider(meminfo("MemAvailable:"), nil)
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let statm = selfStatm()
        if let limit = softLimit(Int32(RLIMIT_AS.rawValue)), let size = statm?.size {
            consider(limit - size * page, "under the address-space limit, ulimit -v")
        }
        if let limit = softLimit(Int32(RLIMIT_DATA.rawValue)), let data = statm?.data {
            consider(limit - data * page, "under the data-size limit, ulimit -d")
        }
        if let (max, current) = cgroupMemory() {
            consider(max - current, "under this process's control group limit, memory.max")
        }
        #endif
        return best
    }

    /// A field of /proc/meminfo, in bytes.
    static func meminfo(_ key: String) -> Int? {
        guard let text = readSmallFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let digits = line.dropFirst(key.count).filter { $0.isNumber }
            return Int(digits).map { $0 &* 1024 }
        }
        return nil
    }

    #if os(Linux)
    /// A soft resource limit in bytes; nil when unlimited or unknown.
    static func softLimit(_ resource: Int32) -> Int? {
        var r = rlimit()
        // RLIM_INFINITY is all ones: past Int.max, like any limit too large to matter.
        guard getrlimit(__rlimit_resource_t(UInt32(resource)), &r) == 0, r.rlim_cur < UInt(Int.max) else { return nil }
        return Int(r.rlim_cur)
    }
    #endif

    /// /proc/self/statm: total program size and data (+ stack) size, in pages.
    static func selfStatm() -> (size: Int, data: Int)? {
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count >= 6 else { return nil }
        return (fields[0], fields[5])
    }

    /// The control group's memory limit and use, in bytes (cgroup v2, then v1); nil when
    /// there is no limit.
    static func cgroupMemory() -> (max: Int, current: Int)? {
        // cgroup v2: "0::/path" in /proc/self/cgroup names the group under /sys/fs/cgroup.
        // cgroup v1: "N:memory:/path" names it under /sys/fs/cgroup/memory.
        var folders: [String] = []
        var v1Folders: [String] = []
        if let text = readSmallFile("/proc/self/cgroup") {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, parts[2] != "/" else { continue }
                if parts[1].isEmpty { folders.append("/sys/fs/cgroup" + parts[2]) }
                if parts[1].split(separator: ",").contains("memory") { v1Folders.append("/sys/fs/cgroup/memory" + parts[2]) }
            }
        }
        folders.append("/sys/fs/cgroup")
        v1Folders.append("/sys/fs/cgroup/memory")
        for folder in folders {
            guard let maxText = readSmallFile(folder + "/memory.max") else { continue }
            let trimmed = maxText.filter { !$0.isWhitespace }
            guard let max = Int(trimmed) else { return nil } // "max": no limit
            let current = readSmallFile(folder + "/memory.current").flatMap { Int($0.filter { !$0.isWhitespace }) } ?? 0
            return (max, current)
        }
        for folder in v1Folders {
            guard let limit = readSmallFile(folder + "/memory.limit_in_bytes").flatMap({ Int($0.filter { !$0.isWhitespace }) }) else { continue }
            guard limit < 1 << 60 else { return nil } // no limit
            let usage = readSmallFile(folder + "/memory.usage_in_bytes").flatMap { Int($0.filter { !$0.isWhitespace }) } ?? 0
            return (limit, usage)
        }
        return nil
    }

    /// The text of a small file (a /proc or /sys entry); nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return fread(base, 1, buf.count, f)
            }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func describe(_ bytes: Double) -> String {
        let gb = bytes / 1_073_741_824
        if gb >= 1 { return "\(ValueFormatter.number((gb * 10).rounded() / 10)) GB" }
        return "\(Int((bytes / 1_048_576).rounded())) MB"
    }
}
