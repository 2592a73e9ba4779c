#if canImport(Glibc)
import Glibc

/// Threads kept between parallel runs, so that each query does not make and tear down its
/// workers: a thread made for `runParallel` waits, once its share is done, for the next
/// share of a run with the same stack size. (Making one cost a query 0.1–0.2 ms on a 2-core
/// machine: its stack mapped and unmapped, its malloc arena paged in afresh.)
final class _PooledThread: @unchecked Sendable {
    let stackBytes: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The share to run next, and whether one is handed and not yet done.
    private var job: (() -> Void)?
    private var busy = false
    /// Set instead of a job when the pool has threads enough: the thread then ends.
    private var retired = false

    private init(stackBytes: Int) {
        self.stackBytes = stackBytes
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// A thread of the pool with a stack of `stackBytes`, idle or made now; nil when no
    /// thread could be made.
    static func take(stackBytes: Int) -> _PooledThread? {
        if let idle = _ThreadPool.lock.withLock({ () -> _PooledThread? in
            guard let i = _ThreadPool.idle.firstIndex(where: { $0.stackBytes == stackBytes }) else { return nil }
            return _ThreadPool.idle.remove(at: i)
        }) {
            return idle
        }
        let made = _PooledThread(stackBytes: stackBytes)
        // (The thread holds its `_PooledThread` for as long as it serves.)
        guard let thread = _startThread(stackBytes: stackBytes, { made.serve() }) else { return nil }
        pthread_detach(thread)
        return made
    }

    /// Runs `job` on the thread (which is idle).
    func start(_ job: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        self.job = job
        busy = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Waits for the job started to be done, then hands the thread back to the pool (or,
    /// when the pool has threads enough, lets it end).
    func finish() {
        pthread_mutex_lock(mutex)
        while busy { pthread_cond_wait(changed, mutex) }
        pthread_mutex_unlock(mutex)
        let kept = _ThreadPool.lock.withLock { () -> Bool in
            guard _ThreadPool.idle.count < _ThreadPool.maximumIdle else { return false }
            _ThreadPool.idle.append(self)
            return true
        }
        guard !kept else { return }
        pthread_mutex_lock(mutex)
        retired = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// The thread's life: each job handed to it in turn, until it is retired.
    private func serve() {
        while true {
            pthread_mutex_lock(mutex)
            while job == nil && !retired { pthread_cond_wait(changed, mutex) }
            guard let next = job else {
                pthread_mutex_unlock(mutex)
                return
            }
            job = nil
            pthread_mutex_unlock(mutex)
            next()
            pthread_mutex_lock(mutex)
            busy = false
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }
    }
}

/// The idle threads of the pool.
enum _ThreadPool {
    static let lock = Lock()
    nonisolated(unsafe) static var idle: [_PooledThread] = []
    /// Idle threads kept at most (the workers of the widest run, and of one run inside it).
    static let maximumIdle = 16
    /// Stacks larger than this are not kept: a thread of the pool holds its stack's
    /// address space, which counts against `ulimit -v`.
    static let largestKeptStack = 256 << 20
}
#endif
