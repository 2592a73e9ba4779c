#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PolicySyntax

/// Results written by workers at distinct indices.
final class Slots<T>: @unchecked Sendable {
    private var items: [T?]
    private let lock = Lock()
    init(_ count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.withLock { items[i] = v } }
    var all: [T?] { lock.withLock { items } }
}

/// A shared counter handing out chunk numbers.
final class ChunkCounter: @unchecked Sendable {
    private var next = 0
    private let lock = Lock()
    func take() -> Int { lock.withLock { defer { next += 1 }; return next } }
}
