/// Suggestions for misspelt names (§9.5): the closest name within edit distance 2.
enum Suggest {
    static func distance(_ a: String, _ b: String, limit: Int = 2) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if abs(x.count - y.count) > limit { return limit + 1 }
        var previous = Array(0...y.count)
        var current = Array(repeating: 0, count: y.count + 1)
        for i in 1...max(1, x.count) where !x.isEmpty {
            current[0] = i
            var rowMin = current[0]
            for j in 1...max(1, y.count) where !y.isEmpty {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return x.isEmpty ? y.count : y.isEmpty ? x.count : previous[y.count]
    }

    /// The best candidate within distance 2 (ties: the first in `candidates`).
    static func closest(to name: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates where c != name {
            let d = distance(name, c)
            if d <= 2, d < (best?.1 ?? 3), !(d >= c.count || d >= name.count) { best = (c, d) }
        }
        return best?.0
    }

    static func hint(_ name: String, _ candidates: [String]) -> String? {
        closest(to: name, in: candidates).map { "did you mean '\($0)'?" }
    }
}
