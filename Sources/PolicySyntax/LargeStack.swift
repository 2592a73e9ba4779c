#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on a thread with a large stack and waits for it.
///
/// The parser bounds nesting at `Parser.maxNestingDepth` levels, and every walk of the tree
/// recurses at most that deep — but a debug build spends kilobytes of stack per level, more
/// than the 8 MB main thread has. Entry points (the CLI, the fuzzers, deep-input tests) run
/// their work here. The stack is reserved, not committed: untouched pages cost nothing.
///
/// ```swift
/// let unit = withLargeStack { Parser.parse(file) }
/// ```
public func withLargeStack<T>(bytes: Int = 1 << 30, _ body: @escaping () -> T) -> T {
    var result: T?
    let box = _LargeStackBox()
    box.body = { result = body() }
    let context = Unmanaged.passRetained(box).toOpaque()

    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, bytes)
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let created = pthread_create(&thread, &attributes, { raw in
        guard let raw else { return nil }
        let box = Unmanaged<_LargeStackBox>.fromOpaque(raw).takeRetainedValue()
        box.body?()
        box.body = nil
        return nil
    }, context)
    if created != 0 {
        // No thread could be made (resource limits): run here, with the stack we have.
        Unmanaged<_LargeStackBox>.fromOpaque(context).release()
        return body()
    }
    #if canImport(Glibc)
    pthread_join(thread, nil)
    #else
    if let thread { pthread_join(thread, nil) }
    #endif
    guard let value = result else { return body() }
    return value
}

/// The closure handed to the large-stack thread.
final class _LargeStackBox: @unchecked Sendable {
    var body: (() -> Void)?
}
