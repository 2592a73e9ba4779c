#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Results written by workers at distinct indices.
public final class Slots<T>: @unchecked Sendable {
    private var items: [T?]
    private let lock = Lock()
    public init(_ count: Int) { items = Array(repeating: nil, count: count) }
    public func set(_ i: Int, _ v: T) { lock.withLock { items[i] = v } }
    public var all: [T?] { lock.withLock { items } }
}

/// A shared counter handing out chunk numbers.
public final class ChunkCounter: @unchecked Sendable {
    private var next = 0
    private let lock = Lock()
    public init() {}
    public func take() -> Int { lock.withLock { defer { next += 1 }; return next } }
}
