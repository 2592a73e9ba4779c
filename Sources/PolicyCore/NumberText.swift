import PolicySyntax
import PolicySupport
/// Numbers as text for every renderer (tables, charts, SVG, messages), for any double:
/// no conversion here can trap, however large the value.
///
/// ```swift
/// NumberText.plain(12.0)           // "12"
/// NumberText.plain(0.125)          // "0.125"
/// NumberText.grouped(9.0e19)       // "90,000,000,000,000,000,000"
/// NumberText.grouped(1e300)        // "1e+300"
/// ```
public enum NumberText {
    /// The decimal digits of a finite whole-valued double's magnitude (`9e19` →
    /// `90000000000000000000`); nil when it is not finite, not whole, or too large to be
    /// worth writing out (≥ 1e36: written in scientific form instead). Past 1e15, where a
    /// double no longer holds every whole number, 12 significant digits are kept (as `ValueFormatter.number` keeps) and the rest
    /// written as zeros, so a total does not print its float noise.
    public static func wholeDigits(_ d: Double) -> String? {
        let a = Swift.abs(d)
        guard a.isFinite, a == a.rounded(), a < 1e36 else { return nil }
        if a < 1e15 { return String(Int64(a)) }
        // `a` as Swift prints it: `9e+19`, `5.804999999999966e+22`.
        let text = a.description
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }),
              let exponent = Int(text[text.index(after: e)...].filter { $0 != "+" }) else { return String(Int128(a)) }
        var digits = text[..<e].compactMap { $0.wholeNumberValue }
        let keep = 12
        if digits.count > keep {
            let up = digits[keep] >= 5
            digits.removeLast(digits.count - keep)
            var k = keep - 1
            var carry = up
            while carry, k >= 0 {
                digits[k] += 1
                carry = digits[k] == 10
                if carry { digits[k] = 0 }
                k -= 1
            }
            if carry { digits.insert(1, at: 0); return wholeText(digits, exponent + 1) }
        }
        return wholeText(digits, exponent)
    }

    /// The digits d0.d1d2… × 10^exponent written out whole.
    private static func wholeText(_ digits: [Int], _ exponent: Int) -> String {
        var out = digits.prefix(exponent + 1).map(String.init).joined()
        if exponent + 1 > digits.count { out += String(repeating: "0", count: exponent + 1 - digits.count) }
        return out
    }


    /// A value already rounded to the precision wanted, as people write it: whole values
    /// without `.0` (`12`), others as Swift prints them (`0.125`); `inf`, `-inf`, `nan`.
    public static func plain(_ r: Double) -> String {
        guard r.isFinite else { return r.isNaN ? "nan" : (r < 0 ? "-inf" : "inf") }
        if let w = wholeDigits(r) { return (r < 0 ? "-" : "") + w }
        return "\(r)"
    }

    /// A value rounded to a whole number and grouped by thousands (`minus` before negative
    /// values); in scientific form past 1e36.
    public static func grouped(_ d: Double, minus: String = "-") -> String {
        let r = d.rounded()
        guard let w = wholeDigits(r) else { return plain(d) }
        return (r < 0 ? minus : "") + Digits.grouped(w)
    }

    /// `x` in scientific form with `significant` digits: `1.0e306` → `1e306`,
    /// `-1.019e299` → `-1.0e299`.
    public static func scientific(_ x: Double, significant: Int = 2) -> String {
        guard x.isFinite, x != 0 else { return plain(x) }
        var e = x.log10Floor
        var m = x / ValueFormatter.pow10(e)
        let decimals = max(0, significant - 1)
        if let r = Double(rounded(m, decimals: decimals)), Swift.abs(r) >= 10 { m /= 10; e += 1 }
        var text = rounded(m, decimals: decimals)
        if decimals > 0, !text.contains(".") { text += "." + String(repeating: "0", count: decimals) }
        return "\(text)e\(e)"
    }

    /// `x` rounded to `decimals` places, as `plain` writes it; a value too large to have
    /// decimals is returned whole.
    /// `x` with at least `decimals` digits after the point, and more (up to `upTo`) when
    /// they are needed to show it exactly: `fixed(0.3, decimals: 2)` is `0.30`,
    /// `fixed(0.125, decimals: 2, upTo: 6)` is `0.125`.
    public static func fixed(_ x: Double, decimals: Int, upTo: Int? = nil) -> String {
        var text = rounded(x, decimals: Swift.max(decimals, upTo ?? decimals))
        guard x.isFinite, !text.contains("e") else { return text }
        if !text.contains(".") { text += "." }
        let have = text.count - (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? 0) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
        return text
    }

    public static func rounded(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return plain(x) }
        var scale = 1.0
        for _ in 0..<max(0, decimals) { scale *= 10 }
        let scaled = x * scale
        guard scaled.isFinite, Swift.abs(scaled) < 1e15 else { return plain(x.rounded()) }
        return plain(scaled.rounded() / scale)
    }
}

extension NumberText {
    /// A fraction as the tables write it: `0.125` → `12.5%`.
    public static func percent(_ x: Double) -> String {
        rounded(x * 100, decimals: 1) + "%"
    }
}
