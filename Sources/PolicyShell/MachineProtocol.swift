#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicyCore
import PolicySyntax
import PolicySupport

/// One request of `policy repl --jsonl` (docs/repl-jsonl.md).
struct Request {
    enum Op {
        case execute(String)
        case complete(String, cursor: Int?)
        case inspect(String, cursor: Int?)
        case isComplete(String)
        case interrupt
        case shutdown
    }

    var id: JSONValue
    var op: Op

    struct Problem: Error {
        var id: JSONValue
        var message: String
    }

    static let ops = ["execute", "complete", "inspect", "is_complete", "interrupt", "shutdown"]

    /// A request from one line, or what is wrong with the line.
    static func parse(_ line: String, lineNumber: Int) -> Result<Request, Problem> {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            return .failure(Problem(id: .null, message: "line \(lineNumber) is not JSON: \(error)"))
        }
        guard case .object = value else {
            return .failure(Problem(id: .null, message: "line \(lineNumber) is not a JSON object; a request is {\"id\": 1, \"op\": \"execute\", \"code\": \"…\"}"))
        }
        var id = value["id"] ?? .null
        switch id {
        case .string, .number, .null: break
        default: id = .null
        }
        guard let op = value["op"]?.string else {
            return .failure(Problem(id: id, message: "line \(lineNumber) has no \"op\"; one of \(ops.joined(separator: ", "))"))
        }
        func code() -> Result<String, Problem> {
            guard let code = value["code"]?.string else {
                return .failure(Problem(id: id, message: "'\(op)' needs \"code\", a string"))
            }
            return .success(code)
        }
        func cursor() -> Result<Int?, Problem> {
            guard let member = value["cursor"], member != .null else { return .success(nil) }
            guard let n = member.int, n >= 0 else {
                return .failure(Problem(id: id, message: "\"cursor\" must be a whole number ≥ 0 (Unicode scalars from the start of the code)"))
            }
            return .success(n)
        }
        if op != "interrupt", id == .null {
            let given = value["id"].map { $0 != .null } ?? false
            return .failure(Problem(id: .null, message: given ? "\"id\" must be a string or a number, which the replies repeat"
                                                              : "'\(op)' needs an \"id\" (a string or a number), which its replies repeat"))
        }
        switch op {
        case "execute": return code().map { Request(id: id, op: .execute($0)) }
        case "complete": return code().flatMap { c in cursor().map { Request(id: id, op: .complete(c, cursor: $0)) } }
        case "inspect": return code().flatMap { c in cursor().map { Request(id: id, op: .inspect(c, cursor: $0)) } }
        case "is_complete": return code().map { Request(id: id, op: .isComplete($0)) }
        case "interrupt": return .success(Request(id: id, op: .interrupt))
        case "shutdown": return .success(Request(id: id, op: .shutdown))
        default:
            let hint = Suggest.hint(op, ops).map { " — \($0)" } ?? ""
            return .failure(Problem(id: id, message: "unknown op '\(op)'\(hint); the ops are \(ops.joined(separator: ", "))"))
        }
    }
}

/// Requests waiting for the main thread, and whether one is running — so that an
/// interrupt stops the running `execute`, or the next queued one, and otherwise does nothing.
final class RequestQueue: @unchecked Sendable {
    private let monitor = Monitor()
    private var waiting: [Request] = []
    private var running = false
    private var interruptPending = false

    private func locked<T>(_ body: () -> T) -> T { monitor.locked(body) }

    func push(_ request: Request) {
        locked {
            waiting.append(request)
            monitor.signal()
        }
    }

    /// Where requests come from when no thread reads them (see `MachineREPL.startReading`).
    var next: (() -> Request)?

    /// The next request, waiting for one. An `execute` is running from the moment it is
    /// taken (so no interrupt falls between taking it and starting it): `flag` is reset, or
    /// raised if an interrupt came while it waited.
    func pop(_ flag: CancellationFlag) -> Request {
        let read = next?()
        return locked {
            let request: Request
            if let read {
                request = read
            } else {
                while waiting.isEmpty { monitor.wait() }
                request = waiting.removeFirst()
            }
            if case .execute = request.op {
                running = true
                flag.reset()
                if interruptPending { flag.raise() }
                interruptPending = false
            }
            return request
        }
    }

    /// `interrupt`: raises the flag of the running evaluation, or marks the next queued one.
    func interrupt(_ flag: CancellationFlag) {
        locked {
            if running {
                flag.raise()
            } else if waiting.contains(where: { if case .execute = $0.op { return true } else { return false } }) {
                interruptPending = true
            }
        }
    }

    /// Ends an evaluation; true if it was interrupted.
    func endRunning(_ flag: CancellationFlag) -> Bool {
        locked {
            running = false
            defer { flag.reset() }
            return flag.isRaised
        }
    }
}

/// Writes replies, one JSON object per line. Console text is gathered into one `stream`
/// reply per run of output, sent before the next reply of any other kind.
final class ReplyWriter: @unchecked Sendable {
    private let lock = Lock()
    private var pending: (name: String, text: String, id: JSONValue)?

    func send(_ reply: JSONValue) {
        lock.withLock {
            flushLocked()
            StandardOutput.write(reply.text + "\n")
        }
    }

    func stream(_ name: String, _ text: String, id: JSONValue) {
        guard !text.isEmpty else { return }
        lock.withLock {
            if let p = pending, p.name == name, p.id == id {
                pending?.text += text
            } else {
                flushLocked()
                pending = (name, text, id)
            }
            // A long run's text is not held back for ever.
            if (pending?.text.utf8.count ?? 0) > 1 << 16 { flushLocked() }
        }
    }

    func flushStream() { lock.withLock { flushLocked() } }

    private func flushLocked() {
        guard let p = pending else { return }
        pending = nil
        StandardOutput.write(JSONValue.object([("id", p.id), ("type", .string("stream")), ("name", .string(p.name)), ("text", .string(p.text))]).text + "\n")
    }
}
