import PolicySyntax

/// JSON-RPC 2.0 messages framed as the Language Server Protocol frames them: a
/// `Content-Length: N` header, a blank line, then N bytes of JSON.
///
///     Content-Length: 52\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"shutdown"}
struct LSPTransport {
    /// Header lines and bodies come through the shell's one buffered reader.
    let input: PlainLineReader

    /// The largest message accepted: a whole file's text travels in one.
    static let maxMessageBytes = 256 << 20

    init(fd: Int32) { input = PlainLineReader(fd: fd) }

    enum Incoming {
        case message(JSONValue)
        /// A message that could not be read (its header or its JSON); the stream goes on.
        case malformed(String)
    }

    /// The next message; nil at the end of input.
    func read() -> Incoming? {
        var length: Int?
        // Headers, up to the blank line.
        while true {
            guard let line = input.readLine(prompt: "") else { return nil }
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
        guard let length, let body = input.readBytes(length) else { return nil }
        do {
            return .message(try JSONValue.parse(String(decoding: body, as: UTF8.self), maxDepth: 128))
        } catch {
            return .malformed("a message that is not JSON: \(error)")
        }
    }

    /// Writes one message.
    static func write(_ message: JSONValue) {
        let body = message.text
        StandardOutput.write("Content-Length: \(body.utf8.count)\r\n\r\n" + body)
    }
}
