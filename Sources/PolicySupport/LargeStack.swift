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
    let result = _LargeStackResult<T>()
    guard let thread = _startThread(stackBytes: bytes, { result.value = body() }) else {
        // No thread could be made (resource limits): run here, with the stack we have.
        return body()
    }
    pthread_join(thread, nil)
    guard let value = result.value else { return body() }
    return value
}

/// What the large-stack thread hands back (read after the join).
final class _LargeStackResult<T>: @unchecked Sendable {
    var value: T?
}
