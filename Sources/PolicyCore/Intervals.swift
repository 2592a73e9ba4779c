/// When a policy instance is in force: sorted, disjoint half-open pieces `[start, end)`,
/// each remembering the event that enacted it (nil for the policy's own header period).
public struct InForce: Sendable {
    public struct Piece: Sendable, Equatable {
        public var start: Int32
        public var end: Int32
        public var enactedBy: String?
        public var enactedOn: Int32?
    }

    /// Before every date ("all time" starts here, §9.13) and after every date.
    public static let minusInfinity = Int32.min
    public static let plusInfinity = Int32.max

    public private(set) var pieces: [Piece] = []

    public init() {}

    public var isEmpty: Bool { pieces.isEmpty }

    /// Adds `[start, end)`; dates already covered keep their provenance (§9.13: enacting
    /// what is in force changes nothing).
    public mutating func add(_ start: Int32, _ end: Int32, enactedBy: String?, on date: Int32?) {
        guard start < end else { return }
        var gaps: [Piece] = []
        var cursor = start
        for p in pieces where p.end > cursor && p.start < end {
            if p.start > cursor { gaps.append(Piece(start: cursor, end: p.start, enactedBy: enactedBy, enactedOn: date)) }
            cursor = max(cursor, p.end)
            if cursor >= end { break }
        }
        if cursor < end { gaps.append(Piece(start: cursor, end: end, enactedBy: enactedBy, enactedOn: date)) }
        pieces.append(contentsOf: gaps)
        pieces.sort { $0.start < $1.start }
    }

    /// Removes `[date, ∞)` (a repeal takes effect on its date).
    public mutating func removeFrom(_ date: Int32) {
        pieces = pieces.compactMap { p in
            if p.start >= date { return nil }
            var q = p
            q.end = min(q.end, date)
            return q
        }
    }

    /// Keeps only `[start, end)`.
    public mutating func clip(_ start: Int32, _ end: Int32) {
        pieces = pieces.compactMap { p in
            var q = p
            q.start = max(q.start, start)
            q.end = min(q.end, end)
            return q.start < q.end ? q : nil
        }
    }

    /// The piece containing `date`.
    @inline(__always)
    public func piece(at date: Int32) -> Piece? {
        var lo = 0, hi = pieces.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pieces[mid].end <= date { lo = mid + 1 } else { hi = mid }
        }
        return lo < pieces.count && pieces[lo].start <= date ? pieces[lo] : nil
    }

    /// Whether `date` is in a piece (searched without copying the piece: its provenance
    /// string would be retained and released on every decision).
    @inline(__always)
    public func contains(_ date: Int32) -> Bool {
        pieces.withUnsafeBufferPointer { buffer in
            var lo = 0, hi = buffer.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if buffer[mid].end <= date { lo = mid + 1 } else { hi = mid }
            }
            return lo < buffer.count && buffer[lo].start <= date
        }
    }

    /// When the contiguous in-force period containing `date` began (pieces that touch count
    /// as one period).
    public func periodStart(at date: Int32) -> Int32? {
        guard var i = pieces.firstIndex(where: { $0.start <= date && date < $0.end }) else { return nil }
        while i > 0, pieces[i - 1].end == pieces[i].start { i -= 1 }
        return pieces[i].start
    }

    /// Boundaries where being in force changes (for epochs).
    public var boundaries: [Int32] { pieces.flatMap { [$0.start, $0.end] } }
}
