/// Suggestions for misspelt names (§9.5): the closest name within edit distance 2.
public enum Suggest {
    /// Levenshtein distance over UTF-8 bytes, banded: anything above `limit` is `limit + 1`.
    public static func distance(_ a: String, _ b: String, limit: Int = 2) -> Int {
        var x = Array(a.utf8), y = Array(b.utf8)
        if x.count > y.count { swap(&x, &y) }
        if y.count - x.count > limit { return limit + 1 }
        if x.isEmpty { return y.count }
        var previous = [Int](0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var rowMin = i
            let xi = x[i - 1]
            for j in 1...y.count {
                let cost = xi == y[j - 1] ? 0 : 1
                let v = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                current[j] = v
                if v < rowMin { rowMin = v }
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The best candidate within distance 2 (ties: the first in `candidates`).
    public static func closest(to name: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        let length = name.unicodeScalars.count
        for c in candidates where c != name {
            // Cheap rejections first: a name much longer or shorter cannot be within 2.
            let cl = c.utf8.count
            if cl > length * 4 + 8 || abs(c.unicodeScalars.count - length) > 2 { continue }
            let d = distance(name, c)
            if d <= 2, d < (best?.1 ?? 3), !(d >= c.count || d >= name.count) { best = (c, d) }
        }
        return best?.0
    }

    public static func hint(_ name: String, _ candidates: [String]) -> String? {
        closest(to: name, in: candidates).map { "did you mean '\($0)'?" }
    }
}
