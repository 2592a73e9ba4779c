/// A source text and what is needed to turn byte offsets into lines and columns.
///
/// ```swift
/// let file = SourceFile(name: "demo.policy", text: "let x = 1\n")
/// file.location(of: 4)   // line 1, column 5
/// ```
public final class SourceFile: @unchecked Sendable {
    /// The name shown in diagnostics: a path, or `<repl>`.
    public let name: String
    /// The raw bytes (invalid UTF-8 is kept as is; the lexer reports it): a view of the
    /// file's one copy of them, valid while the file lives.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset at which each line starts (line 1 at index 0).
    public let lineStarts: [UInt32]
    /// The bytes followed by a NUL, for the lexer's unchecked reads. Owned by the file.
    /// (The allocation has 16 more zero bytes past the NUL, so the lexer may read a word
    /// as two 8-byte blocks.)
    let storage: UnsafeMutableBufferPointer<UInt8>

    public init<Bytes: Collection>(name: String, bytes: Bytes) where Bytes.Element == UInt8 {
        self.name = name
        let padded = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count + 17)
        _ = padded.initialize(from: bytes)
        for i in bytes.count..<padded.count { padded[i] = 0 }
        let storage = UnsafeMutableBufferPointer(rebasing: padded[0..<(bytes.count + 1)])
        self.storage = storage
        self.bytes = UnsafeBufferPointer(rebasing: storage[0..<bytes.count])
        var starts: [UInt32] = [0]
        starts.reserveCapacity(bytes.count / 32 + 1)
        for i in 0..<bytes.count where storage[i] == 0x0A { starts.append(UInt32(truncatingIfNeeded: i + 1)) }
        self.lineStarts = starts
    }

    deinit { storage.deallocate() }

    /// The text of bytes `start..<end` (no bounds repair: callers pass valid offsets).
    func slice(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: storage[start..<end]), as: UTF8.self)
    }

    public convenience init(name: String, text: String) {
        self.init(name: name, bytes: text.utf8)
    }

    /// The text between two byte offsets (invalid UTF-8 repaired).
    public func text(_ span: Span) -> String {
        let lo = max(0, min(Int(span.start), bytes.count))
        let hi = max(lo, min(Int(span.end), bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }

    /// The 1-based line containing a byte offset.
    public func line(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(lineStarts[mid]) <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = Int(lineStarts[line - 1])
        var end = line < lineStarts.count ? Int(lineStarts[line]) - 1 : bytes.count
        if end > start, end - 1 < bytes.count, bytes[end - 1] == 0x0D { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// 1-based line and column of a byte offset; columns count characters, not bytes.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let clamped = max(0, min(offset, bytes.count))
        let line = line(of: clamped)
        let start = Int(lineStarts[line - 1])
        let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
        return (line, prefix.count + 1)
    }
}

/// A half-open byte range `[start, end)` in one source file.
public struct Span: Hashable, Sendable, CustomStringConvertible {
    public var start: UInt32
    public var end: UInt32

    public init(_ start: Int, _ end: Int) {
        self.start = UInt32(clamping: start)
        self.end = UInt32(clamping: max(start, end))
    }

    public static let zero = Span(0, 0)

    /// The smallest span covering both.
    public func to(_ other: Span) -> Span {
        Span(Int(Swift.min(start, other.start)), Int(Swift.max(end, other.end)))
    }

    public var length: Int { Int(end - start) }
    public var description: String { "\(start)..<\(end)" }
}
