import PolicyCore

/// Charts: Unicode in the terminal, or a standalone SVG file (§7 `plot`).
public struct ChartRenderer {
    static let glyphs: [Character] = ["▇", "•", "○", "×", "▲", "◆", "□", "+"]

    public init() {}

    /// Where `v` sits between `lo` and `hi`, in [0, 1], for any finite or infinite values:
    /// the halves are taken first, so even `hi - lo` beyond the largest double cannot make
    /// the position infinite, and anything not a number sits at 0.
    static func position(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        let span = hi / 2 - lo / 2
        guard span > 0, span.isFinite else { return 0 }
        let p = (v / 2 - lo / 2) / span
        return p.isNaN ? 0 : Swift.min(1, Swift.max(0, p))
    }

    /// The value at position `t` in [0, 1] between `lo` and `hi`, without overflow.
    static func value(at t: Double, _ lo: Double, _ hi: Double) -> Double {
        lo * (1 - t) + hi * t
    }

    /// The scale of a chart: from the smallest value (or 0) to the largest (or 0), over the
    /// finite values only; a flat chart gets a range of 1.
    static func scale(_ values: [Double]) -> (lo: Double, hi: Double) {
        let finite = values.filter(\.isFinite)
        let lo = Swift.min(finite.min() ?? 0, 0)
        var hi = Swift.max(finite.max() ?? 0, 0)
        if hi == lo { hi = lo + 1 }
        return (lo, hi)
    }

    /// `16k`, `2.5M`, `980`.
    static func compact(_ v: Double) -> String {
        let a = abs(v)
        func trim(_ x: Double) -> String { NumberText.rounded(x, decimals: 1) }
        if a >= 1e12 { return NumberText.scientific(v) }
        if a >= 1e9 { return trim(v / 1e9) + "G" }
        if a >= 1e6 { return trim(v / 1e6) + "M" }
        if a >= 1e3 { return trim(v / 1e3) + "k" }
        if a > 0, a < 1 { return "\((v * 100).rounded() / 100)" }
        return trim(v)
    }

    public func text(_ c: ChartData, height: Int = 8, maxWidth: Int = 72) -> String {
        guard !c.keys.isEmpty, !c.series.isEmpty else { return "\(c.title)\n  (no data)\n" }
        let n = c.keys.count
        // Few keys: a slot of several columns each (the point in its middle, the key's label
        // under it); many: one column per key, or keys bucketed to fit.
        let slot = n * 2 <= maxWidth ? min(12, maxWidth / n) : 1
        let columns = slot > 1 ? n * slot : min(n, maxWidth)
        let points = slot > 1 ? n : columns
        func bucket(_ values: [Double]) -> [Double] {
            guard slot == 1 else { return values }
            return (0..<columns).map { col in
                let lo = col * n / columns, hi = max(lo + 1, (col + 1) * n / columns)
                let k = Double(hi - lo)
                return values[lo..<hi].reduce(0) { $0 + $1 / k }
            }
        }
        func column(_ point: Int) -> Int { slot > 1 ? point * slot + slot / 2 : point }
        let series = c.series.map { (name: $0.name, values: bucket($0.values)) }
        let bands = c.bands.map { $0.map { (low: bucket($0.low), high: bucket($0.high)) } }
        let (minValue, maxValue) = ChartRenderer.scale(series.flatMap(\.values) + bands.flatMap { ($0?.low ?? []) + ($0?.high ?? []) })
        var grid = Array(repeating: Array(repeating: Character(" "), count: columns), count: height)
        func row(_ v: Double) -> Int { height - 1 - Int((ChartRenderer.position(v, minValue, maxValue) * Double(height - 1)).rounded()) }
        // A 95% interval as dots from its low to its high end, under the lines.
        for case let band? in bands {
            for p in 0..<points where p < band.low.count && p < band.high.count {
                let (top, bottom) = (row(band.high[p]), row(band.low[p]))
                for r in min(top, bottom)...max(top, bottom) where r >= 0 && r < height { grid[r][column(p)] = "·" }
            }
        }
        // Categories (not years or months): a bar per series side by side in the key's slot,
        // from zero to the value; time: a point per key.
        let bars = slot > c.series.count + 1 && !ChartRenderer.isTimeLike(c.keys)
        for (si, s) in series.enumerated() {
            let glyph = ChartRenderer.glyphs[si % ChartRenderer.glyphs.count]
            for (p, v) in s.values.enumerated() where p < points {
                if bars {
                    let x = p * slot + (slot - series.count) / 2 + si
                    let (top, base) = (row(v), row(min(max(0, minValue), maxValue)))
                    for r in min(top, base)...max(top, base) where r >= 0 && r < height { grid[r][x] = glyph }
                    continue
                }
                let r = row(v), x = column(p)
                if grid[r][x] == " " || grid[r][x] == "·" { grid[r][x] = glyph }
            }
        }
        let labels = (0..<height).map { r -> String in
            guard r == 0 || r == height - 1 || r == height / 2 else { return "" }
            return ChartRenderer.compact(ChartRenderer.value(at: Double(height - 1 - r) / Double(height - 1), minValue, maxValue))
        }
        let labelWidth = labels.map(\.count).max() ?? 1
        var out = "\(c.title)\n"
        if c.isTitled, !c.yLabel.isEmpty { out += "\(c.yLabel) by \(c.xLabel)\n" }
        for r in 0..<height {
            let l = labels[r]
            out += (String(repeating: " ", count: labelWidth - l.count) + l + (l.isEmpty ? " │" : " ┤") + String(grid[r])).trimmingTrailingSpaces() + "\n"
        }
        var axis = Array(repeating: Character("─"), count: columns)
        var tickLine = Array(repeating: Character(" "), count: columns + 12)
        if slot >= 5 {
            // Every key under its point, shortened (never cut mid-word without an ellipsis).
            for k in 0..<n {
                axis[column(k)] = "┬"
                let label = Array(ChartRenderer.shortened(c.keys[k], slot - 1))
                let start = max(k * slot, column(k) - label.count / 2)
                for (i, ch) in label.enumerated() where start + i < tickLine.count { tickLine[start + i] = ch }
            }
        } else {
            // Ticks where the label's first part (e.g. the year) changes, with room between.
            var lastGroup = ""
            var lastTickEnd = -1
            for p in 0..<points {
                let col = column(p)
                let key = c.keys[slot > 1 ? p : p * n / columns]
                let group = String(key.prefix(4))
                if group != lastGroup, col > lastTickEnd {
                    axis[col] = "┬"
                    for (k, ch) in key.prefix(4).enumerated() where col + k < tickLine.count { tickLine[col + k] = ch }
                    lastTickEnd = col + 4
                }
                lastGroup = group
            }
        }
        out += String(repeating: " ", count: labelWidth + 1) + "└" + String(axis) + "\n"
        out += String(repeating: " ", count: labelWidth + 2) + String(tickLine).trimmingTrailingSpaces() + "\n"
        out += String(repeating: " ", count: labelWidth + 2) + series.enumerated().map { i, s in
            "\(ChartRenderer.glyphs[i % ChartRenderer.glyphs.count]) \(s.name)"
        }.joined(separator: "   ") + (bands.contains { $0 != nil } ? "   · 95% interval" : "") + "\n"
        return out
    }

    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if let a = ch.asciiValue, a < 0x20, a != 0x09, a != 0x0A { continue }
                out.append(ch)
            }
        }
        return out
    }

    /// Round ticks covering `lo`…`hi`: steps of 1, 2 or 5 times a power of ten, about `count`
    /// of them. Empty when the range is not finite.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        let span = hi - lo
        guard lo.isFinite, hi.isFinite, span > 0, span.isFinite else { return [] }
        let raw = span / Double(max(1, count - 1))
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        guard last - first <= 20 else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// Keys that read as time (years, `2012-03`, `2012-Q1`, dates) are drawn as lines; any
    /// others (jurisdictions, charges) as bars, which do not suggest a path between them.
    static func isTimeLike(_ keys: [String]) -> Bool {
        keys.allSatisfy { k in
            let u = Array(k.utf8)
            guard u.count >= 4, u.prefix(4).allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            return u.count == 4 || u[4] == UInt8(ascii: "-")
        }
    }

    /// A label of at most `limit` characters: cut at a word's end when one is near, with "…".
    static func shortened(_ s: String, _ limit: Int) -> String {
        guard s.count > limit, limit > 1 else { return s }
        let head = String(s.prefix(limit - 1))
        if let cut = head.lastIndex(where: { $0 == " " || $0 == "_" || $0 == "-" }), head.distance(from: head.startIndex, to: cut) >= limit / 2 {
            return String(head[..<cut]) + "…"
        }
        return head + "…"
    }

    /// A standalone SVG chart with axes, round ticks, labels and a legend that wraps: lines
    /// for time keys, bars for others; a series that coincides with an earlier one is dashed.
    public func svg(_ c: ChartData) -> String {
        let width = 800.0, left = 78.0, right = 20.0, top = 40.0, bottom = 132.0
        let plotW = width - left - right, plotH = 300.0
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        let dashes = ["", "8 4", "2 3", "12 3 2 3", "4 4"]
        // The legend: items in rows that never run past the canvas (about 7 px a character).
        let charWidth = 7.0, legendRow = 18.0
        var legend: [(x: Double, row: Int, name: String)] = []
        var lx = left, row = 0
        for s in c.series {
            let name = ChartRenderer.shortened(s.name, Int((width - left - right - 40) / charWidth))
            let itemWidth = 30 + Double(name.count) * charWidth + 24
            if lx > left, lx + itemWidth > width - right { lx = left; row += 1 }
            legend.append((lx, row, name))
            lx += itemWidth
        }
        let rows = (legend.map(\.row).max() ?? 0) + 1
        let height = top + plotH + bottom + Double(rows - 1) * legendRow
        let values = c.series.flatMap(\.values) + c.bands.flatMap { ($0?.low ?? []) + ($0?.high ?? []) }
        var (minValue, maxValue) = ChartRenderer.scale(values)
        let ticks = ChartRenderer.ticks(minValue, maxValue)
        if let first = ticks.first, let last = ticks.last, last > first { (minValue, maxValue) = (first, last) }
        let n = max(c.keys.count, 1)
        let bars = !ChartRenderer.isTimeLike(c.keys)
        // Lines: a point per key across the width; bars: a slot per key, a bar per series.
        func x(_ i: Int) -> Double {
            if bars { return left + plotW * (Double(i) + 0.5) / Double(n) }
            return left + (n == 1 ? plotW / 2 : plotW * Double(i) / Double(n - 1))
        }
        func y(_ v: Double) -> Double { top + plotH - ChartRenderer.position(v, minValue, maxValue) * plotH }
        func f(_ v: Double) -> String { String(format1: v) }
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(ChartRenderer.xml(ChartRenderer.shortened(c.title, 100)))</text>
        <line x1="\(f(left))" y1="\(f(top + plotH))" x2="\(f(left + plotW))" y2="\(f(top + plotH))" stroke="black"/>
        <line x1="\(f(left))" y1="\(f(top))" x2="\(f(left))" y2="\(f(top + plotH))" stroke="black"/>

        """
        // The axes' labels: what the values are, up the left edge; what the keys are, under
        // their labels (each shortened to fit).
        if !c.yLabel.isEmpty {
            let label = ChartRenderer.shortened(c.yLabel, Int(plotH / charWidth))
            out += "<text x=\"16\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotH / 2)))\"><title>\(ChartRenderer.xml(c.yLabel))</title>\(ChartRenderer.xml(label))</text>\n"
        }
        if !c.xLabel.isEmpty {
            let label = ChartRenderer.shortened(c.xLabel, Int(plotW / charWidth))
            out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 96))\" text-anchor=\"middle\"><title>\(ChartRenderer.xml(c.xLabel))</title>\(ChartRenderer.xml(label))</text>\n"
        }
        let tickValues = ticks.count >= 2 ? ticks : (0...4).map { ChartRenderer.value(at: Double($0) / 4, minValue, maxValue) }
        for v in tickValues {
            out += "<line x1=\"\(f(left - 4))\" y1=\"\(f(y(v)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(v)))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(ChartRenderer.xml(ChartRenderer.compact(v)))</text>\n"
        }
        let step = max(1, n / 12)
        for i in stride(from: 0, to: c.keys.count, by: step) {
            let label = ChartRenderer.shortened(c.keys[i], 16)
            out += "<text x=\"\(f(x(i)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"end\" transform=\"rotate(-40 \(f(x(i))) \(f(top + plotH + 16)))\"><title>\(ChartRenderer.xml(c.keys[i]))</title>\(ChartRenderer.xml(label))</text>\n"
        }
        // Each 95% interval as a shaded band, under every line.
        for (si, band) in c.bands.enumerated() where !bars {
            guard let band, !band.low.isEmpty, band.low.count == band.high.count else { continue }
            let upper = band.high.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }
            let lower = band.low.enumerated().reversed().map { "\(f(x($0.offset))),\(f(y($0.element)))" }
            out += "<polygon fill=\"\(colors[si % colors.count])\" fill-opacity=\"0.18\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"><title>95% interval</title></polygon>\n"
        }
        // A series equal to an earlier one would hide under it: the k-th such is dashed.
        var dashOf = [Int](repeating: 0, count: c.series.count)
        for i in c.series.indices {
            let same = c.series[..<i].indices.filter { c.series[$0].values == c.series[i].values }
            if !same.isEmpty { dashOf[i] = min(dashes.count - 1, same.count) }
        }
        let slot = plotW / Double(n), barWidth = max(1, slot * 0.8 / Double(max(1, c.series.count)))
        for (si, s) in c.series.enumerated() {
            let color = colors[si % colors.count]
            let dash = dashes[dashOf[si]].isEmpty ? "" : " stroke-dasharray=\"\(dashes[dashOf[si]])\""
            if bars {
                for (i, v) in s.values.enumerated() {
                    let x0 = x(i) - slot * 0.4 + Double(si) * barWidth
                    // From zero (or the nearest edge of the scale) to the value.
                    let (a, b) = (y(v), y(min(max(0, minValue), maxValue)))
                    let top = min(a, b), h = abs(b - a)
                    out += "<rect x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(barWidth))\" height=\"\(f(h))\" fill=\"\(color)\"\(dash.isEmpty ? "" : " fill-opacity=\"0.6\" stroke=\"\(color)\"" + dash)><title>\(ChartRenderer.xml(s.name)): \(ChartRenderer.xml(ChartRenderer.compact(v)))</title></rect>\n"
                }
            } else {
                let points = s.values.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
            }
            let item = legend[si]
            let ly = top + plotH + bottom - 18 + Double(item.row) * legendRow
            out += "<line x1=\"\(f(item.x))\" y1=\"\(f(ly))\" x2=\"\(f(item.x + 24))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"3\"\(dash)/>\n"
            out += "<text x=\"\(f(item.x + 30))\" y=\"\(f(ly + 4))\">\(ChartRenderer.xml(item.name))</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) {
        self = NumberText.rounded(v, decimals: 1)
    }
}
