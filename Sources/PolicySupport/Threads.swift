#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Threads for work split into independent shares (the parser's pieces of a big file, the
// population engine's chunks). Here, at the bottom of the module graph, so both can use them.

/// Runs `body(worker)` for each worker on its own thread (with a large stack, as the
/// evaluator recurses as deep as the program nests) and waits for all.
public func runParallel(workers: Int, stackBytes: Int = 256 << 20, _ body: @escaping @Sendable (Int) -> Void) {
    guard workers > 1 else {
        body(0)
        return
    }
    #if canImport(Glibc)
    if stackBytes <= _ThreadPool.largestKeptStack {
        // Threads of the pool, kept between runs.
        var helpers: [_PooledThread] = []
        for w in 1..<workers {
            if let thread = _PooledThread.take(stackBytes: stackBytes) {
                thread.start { body(w) }
                helpers.append(thread)
            } else {
                body(w) // no thread: do that worker's share here
            }
        }
        body(0)
        for t in helpers { t.finish() }
        return
    }
    #endif
    var threads: [pthread_t] = []
    for w in 1..<workers {
        if let thread = _startThread(stackBytes: stackBytes, { body(w) }) {
            threads.append(thread)
        } else {
            body(w) // no thread: do that worker's share here
        }
    }
    body(0)
    for t in threads { pthread_join(t, nil) }
}

/// Starts `body` on a new thread with a stack of `stackBytes` (reserved, not committed);
/// nil when no thread could be made (resource limits). The caller joins it.
func _startThread(stackBytes: Int, _ body: @escaping () -> Void) -> pthread_t? {
    let box = Unmanaged.passRetained(_ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, stackBytes)
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let created = pthread_create(&thread, &attributes, { raw in
        guard let raw else { return nil }
        Unmanaged<_ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
        return nil
    }, box)
    guard created == 0 else {
        Unmanaged<_ThreadBody>.fromOpaque(box).release()
        return nil
    }
    return thread
}

/// Starts `body` on a thread of its own that nobody joins (a reader that lives as long as
/// the process); false when no thread could be made.
public func startDetachedThread(stackBytes: Int = 1 << 20, _ body: @escaping () -> Void) -> Bool {
    guard let thread = _startThread(stackBytes: stackBytes, body) else { return false }
    pthread_detach(thread)
    return true
}

/// The closure handed to a new thread.
final class _ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// How many workers to use: the cores online (at least 1, at most 8), unless the engine
/// options say otherwise.
public func workerCount() -> Int {
    if let n = EngineOptions.current.threads { return n }
    return max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
}

/// A mutex for the few things shared between threads: caches filled lazily while several
/// threads evaluate, the next piece of a file to parse.
public final class Lock: @unchecked Sendable {
    #if canImport(Glibc)
    private var mutex = pthread_mutex_t()
    #endif
    public init() {
        #if canImport(Glibc)
        pthread_mutex_init(&mutex, nil)
        #endif
    }
    deinit {
        #if canImport(Glibc)
        pthread_mutex_destroy(&mutex)
        #endif
    }
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(Glibc)
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        #endif
        return try body()
    }
}
