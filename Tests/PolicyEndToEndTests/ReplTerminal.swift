import Foundation
import XCTest

/// The real `policy` executable running in a pseudo-terminal, driven the way a person would
/// drive it: through tmux (`send-keys` to type, `capture-pane` to read the screen).
///
/// Every terminal gets its own tmux server (its own socket), so tests never
/// touch the user's tmux and can run in parallel; `close()` kills that server and everything
/// in it. The child runs with `HOME` and `XDG_STATE_HOME` in the scratch folder, so neither
/// the user's `~/.editrc` nor their history is read or written.
///
/// Reading works like `expect`: `expect(text)` waits (polling the screen, never a fixed
/// sleep) until `text` appears after the previous match, so the same words printed twice
/// are told apart.
final class ReplTerminal {
    /// Printed by the wrapper shell when `policy` ends, so the status shows on the screen.
    static let exitMarker = "[policy exited with status "
    /// What `transcript()` starts with when tmux cannot show the pane any more.
    static let gone = "(the terminal is gone) "

    /// tmux, or nil when it is not installed (Debian/Ubuntu package: `tmux`).
    static let tmuxPath: String? = {
        var dirs = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/bin"]
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            dirs += path.split(separator: ":").map(String.init)
        }
        return dirs.map { $0 + "/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let tmux: String
    /// The scratch folder: `HOME`, `XDG_STATE_HOME` and tmux's captured output live here.
    let folder: URL
    /// A fresh socket on every start: a server still shutting down never gets in the way.
    private(set) var socket = ""
    let session = "policy"
    let width: Int, height: Int
    var stateHome: URL { folder.appendingPathComponent("state") }
    var home: URL { folder.appendingPathComponent("home") }
    var historyFile: URL { stateHome.appendingPathComponent("policy/history") }
    /// Where the next `expect` starts looking (a UTF-8 offset in the transcript).
    private var mark = 0
    /// Where the last prompt matched by `expectPrompt` starts.
    private var lastPrompt = -1
    private var running = false
    /// Set by the first failed expectation: the screen is not where later steps assume, so
    /// they do nothing (and report nothing) instead of each waiting out its timeout.
    private(set) var failed = false

    init(folder: URL, width: Int = 120, height: Int = 40) throws {
        guard let tmux = ReplTerminal.tmuxPath else {
            throw XCTSkip("tmux is not installed: the REPL's terminal tests drive `policy` through it (apt-get install tmux)")
        }
        self.tmux = tmux
        self.folder = folder
        self.width = width
        self.height = height
        try FileManager.default.createDirectory(at: stateHome, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    /// Starts `policy args…` in a fresh terminal, in `directory` (default: the scratch folder).
    /// A terminal can be started again after `close()` (a restart keeps the same HOME and
    /// history folder).
    func start(_ args: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws {
        if running { close() }
        mark = 0
        lastPrompt = -1
        failed = false
        // In /tmp, not the scratch folder: a socket's path must stay under ~100 bytes.
        socket = "/tmp/policy-tmux-\(getpid())-\(UUID().uuidString.prefix(8))"
        var env = ["HOME": home.path, "XDG_STATE_HOME": stateHome.path, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for (k, v) in environment { env[k] = v }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\(quote($0.value))" }
        let policy = ([PolicyProcess.executable.path] + args).map(quote).joined(separator: " ")
        // The wrapper shows the exit status, then keeps the pane alive so it can be read.
        let command = "cd \(quote((directory ?? folder).path)) && env -u NO_COLOR \(assignments.joined(separator: " ")) \(policy); "
            + "echo \"\(ReplTerminal.exitMarker)$?]\"; sleep 600"
        let r = try tmuxRun(["new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), command])
        guard r.status == 0 else {
            throw NSError(domain: "ReplTerminal", code: Int(r.status),
                          userInfo: [NSLocalizedDescriptionKey: "tmux new-session failed: \(r.output)"])
        }
        running = true
    }

    /// Kills this terminal's tmux server and everything running in it.
    func close() {
        guard running else { return }
        _ = try? tmuxRun(["kill-server"])
        unlink(socket)
        running = false
    }

    deinit { close() }

    // MARK: - Typing

    /// Types `text` literally (no key names are interpreted).
    func type(_ text: String) {
        guard !failed else { return }
        _ = try? tmuxRun(["send-keys", "-t", session, "-l", "--", text])
    }

    /// Presses keys by tmux name: `Enter`, `Tab`, `Up`, `C-c`, `C-d` …
    func press(_ keys: String...) {
        guard !failed else { return }
        _ = try? tmuxRun(["send-keys", "-t", session] + keys)
    }

    /// Types a line and presses Enter.
    func enter(_ text: String) {
        type(text)
        press("Enter")
    }

    // MARK: - Reading

    /// Everything the terminal has shown (scrollback and screen), without trailing blank lines.
    func transcript() -> String {
        let r = try? tmuxRun(["capture-pane", "-p", "-t", session, "-S", "-"])
        if let r, r.status != 0 { return ReplTerminal.gone + r.output }
        var lines = (r?.output ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The visible screen, as lines (trailing blank lines dropped).
    func screenLines() -> [String] {
        let r = try? tmuxRun(["capture-pane", "-p", "-t", session])
        var lines = (r?.output ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines
    }

    /// The cursor's column and row on the screen.
    func cursor() -> (x: Int, y: Int) {
        let out = (try? tmuxRun(["display-message", "-p", "-t", session, "#{cursor_x} #{cursor_y}"]))?.output ?? ""
        let parts = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (-1, -1)
    }

    /// What the transcript shows after the last match.
    var unread: String {
        let t = transcript()
        let utf8 = Array(t.utf8)
        return String(decoding: utf8[min(mark, utf8.count)...], as: UTF8.self)
    }

    /// Waits until `text` appears after the previous match, and moves past it. Fails the
    /// test (showing the screen) after `timeout` s, or at once if `policy` ended first.
    /// Trailing spaces in `text` are ignored (the screen capture drops them).
    @discardableResult
    func expect(_ text: String, timeout: TimeInterval = 15, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let needle = Array(String(text.reversed().drop { $0 == " " }.reversed()).utf8)
        return poll(timeout, what: "'\(text)'", file: file, line: line) { t in
            let hay = Array(t.utf8)
            guard let at = ReplTerminal.find(needle, in: hay, from: self.mark) else { return false }
            self.mark = at + needle.count
            return true
        }
    }

    /// Waits until a whole line reads `text` (trailing spaces ignored) after the previous match.
    @discardableResult
    func expectLine(_ text: String, timeout: TimeInterval = 15, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let needle = Array(("\n" + text).utf8)
        return poll(timeout, what: "a line reading '\(text)'", file: file, line: line) { t in
            let hay = Array(t.utf8)
            var from = max(0, self.mark - 1)
            while let at = ReplTerminal.find(needle, in: hay, from: from) {
                let end = at + needle.count
                if end == hay.count || hay[end] == UInt8(ascii: "\n") {
                    self.mark = end
                    return true
                }
                from = at + 1
            }
            return false
        }
    }

    /// Waits until the screen rests at a new `prompt` on an otherwise empty line, the cursor
    /// just after it (so the trailing space of `policy> ` is checked too). The next `expect`
    /// starts at that prompt, so it can match the prompt together with what is typed after it.
    @discardableResult
    func expectPrompt(_ prompt: String = "policy> ", timeout: TimeInterval = 15,
                      file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let trimmed = String(prompt.reversed().drop { $0 == " " }.reversed())
        return poll(timeout, what: "the prompt '\(prompt)' with the cursor after it", file: file, line: line) { t in
            // The transcript ends with the prompt, on a line of its own that is new since the
            // last prompt and not before the last match.
            guard t.hasSuffix("\n" + trimmed) || t == trimmed else { return false }
            let start = t.utf8.count - trimmed.utf8.count
            guard start >= self.mark, start > self.lastPrompt else { return false }
            let lines = self.screenLines()
            guard let last = lines.last, last == trimmed else { return false }
            let c = self.cursor()
            guard c.x == prompt.count, c.y == lines.count - 1 else { return false }
            self.mark = start
            self.lastPrompt = start
            return true
        }
    }

    /// Waits until the last lines on the screen are exactly `lines` (trailing spaces
    /// ignored), for what libedit redraws in place (a recalled history entry, a completed
    /// word); the next `expect` starts at the first of them.
    @discardableResult
    func expectScreenEnds(with lines: [String], timeout: TimeInterval = 15,
                          file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let wanted = lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        return poll(timeout, what: "the screen to end with \(wanted)", file: file, line: line) { t in
            let all = t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard all.suffix(wanted.count).elementsEqual(wanted) else { return false }
            self.mark = t.utf8.count - wanted.joined(separator: "\n").utf8.count
            return true
        }
    }

    /// Waits for `policy` to end and returns its exit status.
    func expectExit(timeout: TimeInterval = 15, file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        var status: Int32?
        _ = poll(timeout, what: "policy to exit", expectingExit: true, file: file, line: line) { t in
            guard let r = t.range(of: ReplTerminal.exitMarker, options: .backwards) else { return false }
            let digits = t[r.upperBound...].prefix { $0.isNumber }
            guard t[r.upperBound...].dropFirst(digits.count).hasPrefix("]"), let n = Int32(digits) else { return false }
            status = n
            return true
        }
        return status
    }

    /// Waits `seconds` and checks that nothing matching `text` appeared after the last match.
    func expectNothing(_ text: String, for seconds: TimeInterval, file: StaticString = #filePath, line: UInt = #line) {
        guard !failed else { return }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if unread.contains(text) {
                failed = true
                XCTFail("unexpected '\(text)' on the screen:\n\(screenDump())", file: file, line: line)
                return
            }
            usleep(50_000)
        }
    }

    /// The transcript, framed for a failure message.
    func screenDump() -> String {
        let lines = transcript().split(separator: "\n", omittingEmptySubsequences: false).suffix(45)
        return "┌── screen (last \(lines.count) lines) " + String(repeating: "─", count: 40) + "\n"
            + lines.map { "│" + $0 }.joined(separator: "\n") + "\n└" + String(repeating: "─", count: 60)
    }

    private func poll(_ timeout: TimeInterval, what: String, expectingExit: Bool = false,
                      file: StaticString, line: UInt, _ matched: (String) -> Bool) -> Bool {
        guard !failed else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let t = transcript()
            if matched(t) { return true }
            if t.hasPrefix(ReplTerminal.gone) {
                failed = true
                XCTFail("the terminal is gone while waiting for \(what): \(t)", file: file, line: line)
                return false
            }
            if !expectingExit, t.contains(ReplTerminal.exitMarker) {
                // One last look: the text may have appeared just before the exit.
                if matched(transcript()) { return true }
                failed = true
                XCTFail("policy exited while waiting for \(what):\n\(screenDump())", file: file, line: line)
                return false
            }
            if Date() >= deadline {
                failed = true
                XCTFail("timed out after \(timeout) s waiting for \(what):\n\(screenDump())", file: file, line: line)
                return false
            }
            usleep(30_000)
        }
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, start <= hay.count - needle.count else { return nil }
        var i = max(0, start)
        while i <= hay.count - needle.count {
            if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    // MARK: - tmux

    private func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs `tmux args…` against this terminal's server and waits for it.
    ///
    /// Spawned with posix_spawn and reaped with waitpid, not with Foundation's Process: the
    /// tmux server that `new-session` forks keeps the descriptors its client inherited, and
    /// Process (swift-corelibs-foundation on Linux) then never saw `new-session` end — the
    /// test hung with the client a zombie. Output goes to a file, not a pipe, for the same
    /// reason.
    @discardableResult
    private func tmuxRun(_ args: [String]) throws -> (status: Int32, output: String) {
        let out = folder.appendingPathComponent("tmux-output-\(UUID().uuidString)").path
        defer { unlink(out) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TMUX")
        env["LANG"] = "C.UTF-8"
        env["LC_ALL"] = "C.UTF-8"
        let argv = ([tmux, "-u", "-f", "/dev/null", "-S", socket] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tmux, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw NSError(domain: "ReplTerminal", code: Int(spawned),
                          userInfo: [NSLocalizedDescriptionKey: "cannot run \(tmux): \(String(cString: strerror(spawned)))"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, output)
    }
}
