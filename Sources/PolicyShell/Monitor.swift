#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and a condition: how the machine interfaces' reader threads hand messages to the
/// main thread (`RequestQueue`, the language server's `Inbox`).
///
///     monitor.locked { items.append(x); monitor.signal() }
///     monitor.locked { while items.isEmpty { monitor.wait() }; return items.removeFirst() }
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Waits for a `signal` (call inside `locked`; the mutex is released while waiting).
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes a waiter (call inside `locked`).
    func signal() { pthread_cond_signal(condition) }
}
