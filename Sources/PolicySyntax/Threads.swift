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
    final class Box: @unchecked Sendable {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    var threads: [pthread_t] = []
    for w in 1..<workers {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, stackBytes)
        let box = Unmanaged.passRetained(Box { body(w) }).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let ok = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
        if ok == 0 {
            #if canImport(Glibc)
            threads.append(thread)
            #else
            if let thread { threads.append(thread) }
            #endif
        } else {
            Unmanaged<Box>.fromOpaque(box).release()
            body(w) // no thread: do that worker's share here
        }
    }
    body(0)
    for t in threads { pthread_join(t, nil) }
}

/// How many workers to use: the cores online (at least 1, at most 8), unless
/// `POLICY_THREADS` says otherwise.
public func workerCount() -> Int {
    if let raw = getenv("POLICY_THREADS"), let n = Int(String(cString: raw)), n >= 1 { return min(n, 64) }
    return max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
}
