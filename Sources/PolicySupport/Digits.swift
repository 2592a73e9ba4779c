/// Digits grouped by thousands — the one implementation every message, table and formatter
/// uses.
///
///     Digits.grouped("1234567")                  // "1,234,567"
///     Digits.grouped("1000000", separator: "_")  // "1_000_000" (source literals)
public enum Digits {
    public static func grouped(_ digits: String, separator: String = ",") -> String {
        var out = ""
        let n = digits.count
        for (k, ch) in digits.enumerated() {
            if k > 0, (n - k) % 3 == 0 { out += separator }
            out.append(ch)
        }
        return out
    }

    /// An integer grouped, with `minus` before a negative one.
    public static func grouped<I: BinaryInteger>(_ n: I, separator: String = ",", minus: String = "-") -> String {
        (n < 0 ? minus : "") + grouped(String(n.magnitude), separator: separator)
    }
}
