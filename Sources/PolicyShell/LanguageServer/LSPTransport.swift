#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

/// JSON-RPC 2.0 messages framed as the Language Server Protocol frames them: a
/// `Content-Length: N` header, a blank line, then N bytes of JSON.
///
///     Content-Length: 52\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"shutdown"}
struct LSPTransport {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    /// The largest message accepted: a whole file's text travels in one.
    static let maxMessageBytes = 256 << 20

    init(fd: Int32) { self.fd = fd }

    enum Incoming {
        case message(JSONValue)
        /// A message that could not be read (its header or its JSON); the stream goes on.
        case malformed(String)
    }

    /// The next message; nil at the end of input.
    mutating func read() -> Incoming? {
        var length: Int?
        // Headers, up to the blank line.
        while true {
            guard let line = readHeaderLine() else { return nil }
            if line.isEmpty {
                if length != nil { break }
                continue // blank lines between messages
            }
            // Found anywhere in the line: after a client's stray unframed bytes (which end
            // in no newline), the header is glued to them.
            let lower = line.lowercased()
            if let found = lower.range(of: "content-length:") {
                let value = String(lower[found.upperBound...]).trimmingCharacters(in: " \t")
                guard let n = Int(value), n >= 0, n <= LSPTransport.maxMessageBytes else {
                    return .malformed("a Content-Length of '\(value)' (it must be a whole number of bytes up to \(LSPTransport.maxMessageBytes))")
                }
                length = n
            }
        }
        guard let length, let body = readBytes(length) else { return nil }
        do {
            return .message(try JSONValue.parse(String(decoding: body, as: UTF8.self), maxDepth: 128))
        } catch {
            return .malformed("a message that is not JSON: \(error)")
        }
    }

    private mutating func fill() -> Bool {
        guard !atEnd else { return false }
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                atEnd = true
                return false
            }
            buffer += chunk[0..<n]
            return true
        }
    }

    private mutating func readHeaderLine() -> String? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return line
            }
            // A header line longer than any real one is not a header.
            if buffer.count - start > 8192 { start = buffer.count }
            guard fill() else { return nil }
        }
    }

    private mutating func readBytes(_ n: Int) -> ArraySlice<UInt8>? {
        while buffer.count - start < n {
            guard fill() else { return nil }
        }
        defer { start += n }
        return buffer[start..<(start + n)]
    }

    /// Writes one message.
    static func write(_ message: JSONValue) {
        let body = message.text
        StandardOutput.write("Content-Length: \(body.utf8.count)\r\n\r\n" + body)
    }
}

/// What a request or notification says, read with defaults.
extension JSONValue {
    subscript(path keys: String...) -> JSONValue? {
        var value: JSONValue? = self
        for key in keys { value = value?[key] }
        return value
    }
}
