#if canImport(Glibc)
import Glibc
#endif
import CEditLine

/// Where the shell's input lines come from.
public protocol LineReader: AnyObject {
    /// The next line (without its newline), nil at end of input. `prompt` is shown on a
    /// terminal only.
    func readLine(prompt: String) -> String?
    /// Adds a finished entry to the history (a multi-line entry is one item).
    func remember(_ entry: String)
    /// The history, oldest first.
    var history: [String] { get }
    /// Set when the read was cut short by Ctrl-C.
    var wasInterrupted: Bool { get }
    func close()
}

/// Reads lines from a pipe or a file: no prompts, no editing.
public final class PlainLineReader: LineReader {
    private var buffer: [UInt8] = []
    private var atEnd = false
    public private(set) var history: [String] = []
    public var wasInterrupted: Bool { false }
    let fd: Int32
    /// Lines read so far, for a caller that numbers them.
    var lineNumber = 0

    public init(fd: Int32 = 0) {
        self.fd = fd
    }

    /// The next line starts at `start`; bytes before `scanned` hold no newline. (A long line
    /// read in many chunks is searched once, and lines are not shifted out one by one.)
    private var start = 0, scanned = 0

    public func readLine(prompt: String) -> String? {
        while true {
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                consume(upTo: nl + 1)
                return line
            }
            scanned = buffer.count
            guard fill() else {
                guard start < buffer.count else { return nil }
                defer { consume(upTo: buffer.count) }
                return String(decoding: buffer[start...], as: UTF8.self)
            }
        }
    }

    /// The next `n` bytes as they are (the body of a framed message, `policy lsp`); nil when
    /// the input ends first.
    func readBytes(_ n: Int) -> [UInt8]? {
        while buffer.count - start < n {
            guard fill() else { return nil }
        }
        let bytes = Array(buffer[start..<(start + n)])
        consume(upTo: start + n)
        return bytes
    }

    /// Reads more input into the buffer; false at the end of input.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !atEnd {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { atEnd = true } else {
                buffer += chunk[0..<n]
                return true
            }
        }
        return false
    }

    /// Drops what was read up to `end`, shifting the buffer only once half of it is spent.
    private func consume(upTo end: Int) {
        start = end
        scanned = max(scanned, start)
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        } else if start > 65536, start * 2 > buffer.count {
            buffer.removeSubrange(..<start)
            scanned -= start
            start = 0
        }
    }

    public func remember(_ entry: String) { history.append(entry) }
    public func close() {}
}

/// Line editing through libedit: emacs keys, `~/.editrc`, history saved to
/// `$XDG_STATE_HOME/policy/history` (or `~/.policy_history`), Tab completion.
public final class EditLineReader: LineReader {
    private let el: OpaquePointer
    private let hist: OpaquePointer
    private let historyFile: HistoryFile?
    /// The prompt libedit shows (it asks through a C callback).
    nonisolated(unsafe) static var currentPrompt: [CChar] = Array("policy> ".utf8CString)
    public var complete: ((String) -> [String])?
    public private(set) var wasInterrupted = false
    /// Set by the Ctrl-C key binding during a read.
    var typedInterrupt = false

    public init?(historyPath: String?) {
        setlocale(LC_CTYPE, "")
        guard let el = el_init("policy", policy_stdin(), policy_stdout(), policy_stderr()),
              let hist = history_init() else { return nil }
        self.el = el
        self.hist = hist
        self.historyFile = historyPath.map(HistoryFile.init(path:))
        policy_el_set_editor(el, "emacs")
        policy_history_setsize(hist, HistoryFile.capacity)
        policy_history_setunique(hist, 1)
        policy_el_set_history(el, hist)
        policy_el_set_prompt(el) { _ in
            EditLineReader.currentPrompt.withUnsafeMutableBufferPointer { $0.baseAddress }
        }
        policy_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        policy_el_add_function(el, "policy-complete", "complete the word before the cursor") { el, _ in
            guard let el, let raw = policy_el_get_clientdata(el) else { return UInt8(CC_ERROR) }
            let reader = Unmanaged<EditLineReader>.fromOpaque(raw).takeUnretainedValue()
            return reader.completeWord()
        }
        policy_el_bind(el, "^I", "policy-complete")
        // Ctrl-C while typing: end the read, and say the entry is abandoned.
        policy_el_add_function(el, "policy-interrupt", "abandon the entry") { el, _ in
            guard let el, let raw = policy_el_get_clientdata(el) else { return UInt8(CC_ERROR) }
            Unmanaged<EditLineReader>.fromOpaque(raw).takeUnretainedValue().typedInterrupt = true
            writeAll(1, "^C\n")
            return UInt8(CC_NEWLINE)
        }
        policy_el_setty_noisig(el)
        policy_el_bind(el, "^C", "policy-interrupt")
        el_source(el, nil) // ~/.editrc
        historyFile?.load(into: hist)
    }

    deinit {
        el_end(el)
        history_end(hist)
    }

    public func readLine(prompt: String) -> String? {
        EditLineReader.currentPrompt = Array(prompt.utf8CString)
        wasInterrupted = false
        typedInterrupt = false
        policy_clear_interrupt()
        var count: Int32 = 0
        guard let raw = el_gets(el, &count) else {
            // Ctrl-C on an empty line (the key binding) or a SIGINT: not the end of input.
            if typedInterrupt {
                wasInterrupted = true
                return ""
            }
            if policy_take_interrupt() != 0 {
                // Forget the half-typed line and start clean on a new one.
                el_reset(el)
                writeAll(1, "\n")
                wasInterrupted = true
                return ""
            }
            return nil
        }
        if typedInterrupt {
            wasInterrupted = true
            return ""
        }
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return line
    }

    public func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: " \t").isEmpty else { return }
        policy_history_enter(hist, entry)
        historyFile?.add(entry)
        historyFile?.save()
    }

    public var history: [String] {
        final class Box { var items: [String] = [] }
        let box = Box()
        policy_history_each(hist, Unmanaged.passUnretained(box).toOpaque()) { context, str in
            guard let context, let str else { return }
            Unmanaged<Box>.fromOpaque(context).takeUnretainedValue().items.append(String(cString: str))
        }
        return box.items
    }

    /// Tab: completes the word before the cursor, or lists the choices.
    func completeWord() -> UInt8 {
        guard let info = el_line(el)?.pointee, let complete else { return UInt8(CC_ERROR) }
        let length = info.cursor - info.buffer
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(info.buffer).assumingMemoryBound(to: UInt8.self), count: length)
        let before = String(decoding: bytes, as: UTF8.self)
        let choices = complete(before)
        guard !choices.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        // The word being completed: back to a space, bracket, quote or dot.
        let word = REPL.completedWord(before)
        let common = choices.dropFirst().reduce(choices[0]) { prefix, s in
            String(zip(prefix, s).prefix { $0 == $1 }.map(\.0))
        }
        if common.count > word.count {
            el_insertstr(el, String(common.dropFirst(word.count)) + (choices.count == 1 && !common.hasSuffix("/") ? " " : ""))
            return UInt8(CC_REFRESH)
        }
        if choices.count > 1 {
            var out = "\n" + choices.prefix(60).joined(separator: "  ")
            if choices.count > 60 { out += "  … (\(choices.count) in all)" }
            out += "\n"
            writeAll(1, out)
            return UInt8(CC_REDISPLAY)
        }
        return UInt8(CC_REFRESH)
    }

    public func close() { historyFile?.save() }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
