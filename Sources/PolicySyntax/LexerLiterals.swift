import PolicySupport
// Numbers, percentages, dates, durations and strings.

extension Lexer {
    /// integer | number | percentage | date | duration
    mutating func scanNumber() -> Token {
        let start = pos
        if let date = scanDate() { return date }

        // Fast path: an integer, its value computed while scanning.
        var value: Int64 = 0
        var overflow = false
        var underscores = false
        var digitCount = 0
        while true {
            let b = byte(pos)
            if Lexer.isDigit(b) {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (v, o2) = m.addingReportingOverflow(Int64(b - 0x30))
                overflow = overflow || o1 || o2
                value = v
                digitCount += 1
            } else if b == 0x5F {
                underscores = true
            } else {
                break
            }
            pos += 1
        }
        var isInteger = true
        // The digits after the point, accumulated into `mantissa` while they fit exactly.
        var mantissa = value
        var fractionDigits = 0
        if byte(pos) == 0x2E, Lexer.isDigit(byte(pos + 1)) { // '.' digit (not '..')
            isInteger = false
            pos += 1
            while true {
                let b = byte(pos)
                if Lexer.isDigit(b) {
                    if digitCount < 18 { mantissa = mantissa &* 10 &+ Int64(b - 0x30) }
                    digitCount += 1
                    fractionDigits += 1
                } else if b == 0x5F {
                    underscores = true
                } else {
                    break
                }
                pos += 1
            }
        }
        // Fast path for decimals and percentages without an exponent or '_': with at most 15
        // digits the mantissa and the power of ten are exact doubles, so one division gives
        // the correctly rounded value (the double nearest p/100 for `p%`, §9.6).
        if !underscores, !overflow, digitCount <= 15, byte(pos) != 0x65, byte(pos) != 0x45 {
            if byte(pos) == 0x25, fractionDigits + 2 < Lexer.powersOfTen.count { // '%'
                pos += 1
                let v = Double(mantissa) / Lexer.powersOfTen[fractionDigits + 2]
                return Token(kind: .percentLiteral, span: Span(start, pos), payload: Int64(bitPattern: v.bitPattern))
            }
            if !isInteger, !Lexer.isIdentStart(byte(pos)), fractionDigits < Lexer.powersOfTen.count {
                let v = Double(mantissa) / Lexer.powersOfTen[fractionDigits]
                return Token(kind: .numberLiteral, span: Span(start, pos), payload: Int64(bitPattern: v.bitPattern))
            }
        }
        if byte(pos) == 0x65 || byte(pos) == 0x45 { // exponent
            let sign = byte(pos + 1) == 0x2B || byte(pos + 1) == 0x2D ? 1 : 0
            if Lexer.isDigit(byte(pos + 1 + sign)) {
                isInteger = false
                pos += 1 + sign
                scanDigits()
            }
        }
        let plain = isInteger && !overflow && byte(pos - 1) != 0x5F && byte(pos) != 0x25 && !Lexer.isIdentStart(byte(pos))
        if plain {
            if let duration = scanDurationUnit(amount: value, start: start) { return duration }
            return Token(kind: .intLiteral, span: Span(start, pos), payload: value)
        }
        let numberEnd = pos
        let text = file.slice(start, numberEnd)
        let digits = text.replacingUnderscores()

        if text.hasSuffix("_") {
            report("a number cannot end with '_'", start, numberEnd, hint: "write digits after each '_', as in 1_000")
        }
        if byte(pos) == 0x25 { // '%'
            pos += 1
            let value = Lexer.percentValue(digits)
            if !value.isFinite {
                report("percentage \(Lexer.abbreviated(text))% is too large", start, pos)
                return Token(kind: .invalid, span: Span(start, pos))
            }
            return Token(kind: .percentLiteral, span: Span(start, pos),
                         payload: Int64(bitPattern: value.bitPattern))
        }
        if Lexer.isIdentStart(byte(pos)) {
            // `30 days` has a blank; `30days` or `2x` is a mistake.
            let suffixStart = pos
            while Lexer.isIdentContinue(byte(pos)) { pos += 1 }
            let suffix = String(decoding: bytes[suffixStart..<pos], as: UTF8.self)
            let hint = DurationUnit.from(word: suffix) != nil ? "put a space before the unit: \(text) \(suffix)" : nil
            report("invalid suffix '\(Lexer.abbreviated(suffix))' on number \(Lexer.abbreviated(text))", suffixStart, pos, hint: hint)
            return Token(kind: .invalid, span: Span(start, pos))
        }
        if !isInteger {
            let value = Double(digits) ?? .infinity
            if !value.isFinite {
                report("number \(Lexer.abbreviated(text)) is too large", start, numberEnd, hint: "the largest number is about 1.8e308")
                return Token(kind: .invalid, span: Span(start, numberEnd))
            }
            return Token(kind: .numberLiteral, span: Span(start, numberEnd),
                         payload: Int64(bitPattern: value.bitPattern))
        }
        guard !overflow else {
            report("integer \(Lexer.abbreviated(text)) is too large", start, numberEnd,
                   hint: "the largest int is 9_223_372_036_854_775_807; write a number (with a decimal point) for an approximate value")
            return Token(kind: .invalid, span: Span(start, numberEnd))
        }
        if let duration = scanDurationUnit(amount: value, start: start) { return duration }
        return Token(kind: .intLiteral, span: Span(start, numberEnd), payload: value)
    }

    /// 10^0 … 10^22: the powers of ten a double holds exactly.
    static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    /// `day(s)`, `week(s)`, `month(s)`, `year(s)` at `buf[i..<i+len]`, compared as bytes.
    @inline(__always)
    static func durationUnit(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ len: Int) -> DurationUnit? {
        var n = len
        if buf[i + n - 1] == 0x73 { n -= 1 } // a plural 's'
        @inline(__always) func word(_ w: StaticString) -> Bool {
            guard w.utf8CodeUnitCount == n else { return false }
            let p = w.utf8Start
            for k in 0..<n where buf[i + k] != p[k] { return false }
            return true
        }
        switch buf[i] {
        case 0x64: return word("day") ? .day : nil
        case 0x77: return word("week") ? .week : nil
        case 0x6D: return word("month") ? .month : nil
        case 0x79: return word("year") ? .year : nil
        default: return nil
        }
    }

    mutating func scanDigits() {
        while Lexer.isDigit(byte(pos)) || byte(pos) == 0x5F { pos += 1 }
    }

    /// `p%` is the double nearest p/100 (§9.6): shift the decimal exponent rather than divide.
    static func percentValue(_ digits: String) -> Double {
        var mantissa = Substring(digits)
        var exponent = 0
        if let e = digits.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = digits[..<e]
            exponent = Int(digits[digits.index(after: e)...]) ?? 0
        }
        return Double("\(mantissa)e\(exponent - 2)") ?? .infinity
    }

    /// YYYY-MM-DD, not followed by a digit or letter. Returns nil when the text is not
    /// shaped like a date (then it is an integer, and `2013-1` is a subtraction).
    mutating func scanDate() -> Token? {
        let p = pos
        guard p + 10 <= count, buf[p + 4] == 0x2D, buf[p + 7] == 0x2D, !Lexer.isIdentContinue(buf[p + 10]) else {
            return nil
        }
        @inline(__always) func isDigitAt(_ i: Int) -> Bool { Lexer.isDigit(buf[p + i]) }
        @inline(__always) func number(_ i: Int, _ n: Int) -> Int {
            var v = 0
            for k in i..<(i + n) { v = v * 10 + Int(buf[p + k] &- 0x30) }
            return v
        }
        guard isDigitAt(0), isDigitAt(1), isDigitAt(2), isDigitAt(3), isDigitAt(5), isDigitAt(6),
              isDigitAt(8), isDigitAt(9) else { return nil }
        pos = p + 10
        let year = number(0, 4), month = number(5, 2), day = number(8, 2)
        if !CivilDate.yearRange.contains(year) {
            report("date \(file.slice(p, pos)) is outside the supported years 1800–2299", p, pos)
            return Token(kind: .invalid, span: Span(p, pos))
        }
        if !CivilDate.isValid(year: year, month: month, day: day) {
            let why: String
            if month < 1 || month > 12 {
                why = "there is no month \(month)"
            } else {
                let names = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]
                why = "\(names[month - 1]) \(year) has \(CivilDate.daysInMonth(year: year, month: month)) days"
            }
            report("impossible date \(file.slice(p, pos)): \(why)", p, pos)
            return Token(kind: .invalid, span: Span(p, pos))
        }
        return Token(kind: .dateLiteral, span: Span(p, pos),
                     payload: Int64(CivilDate.dayNumber(year: year, month: month, day: day)))
    }

    /// After an integer: blanks (not a newline), then a unit word ending there.
    mutating func scanDurationUnit(amount: Int64, start: Int) -> Token? {
        var i = pos
        while byte(i) == 0x20 || byte(i) == 0x09 { i += 1 }
        guard i > pos, Lexer.isIdentStart(byte(i)) else { return nil }
        var j = i
        while Lexer.isIdentContinue(byte(j)) { j += 1 }
        guard j - i >= 3, j - i <= 6, let unit = Lexer.durationUnit(buf, i, j - i) else { return nil }
        pos = j
        guard amount < (1 << 40) else {
            report("duration \(amount) \(unit.singular)s is too long", start, j)
            return Token(kind: .invalid, span: Span(start, j))
        }
        return Token(kind: .durationLiteral, span: Span(start, j), payload: amount << 2 | Int64(unit.rawValue))
    }

    /// "..." with escapes \" \\ \n \t \u{…}; no raw newlines.
    mutating func scanString() -> Token {
        let start = pos
        pos += 1
        while pos < count {
            let b = buf[pos]
            if b == 0x22 {
                pos += 1
                // Characters never outnumber bytes: only long strings in bytes need counting.
                let limit = Limits.current.stringCharacters
                if pos - start - 2 > limit {
                    var characters = 0
                    for i in (start + 1)..<(pos - 1) where buf[i] & 0xC0 != 0x80 { characters += 1 }
                    if characters > limit {
                        report("string too long (\(Limits.grouped(characters)) characters; the limit is \(Limits.grouped(limit)))",
                               start, pos, hint: Limits.raiseHint("string"))
                    }
                }
                return Token(kind: .stringLiteral, span: Span(start, pos))
            }
            if b == 0x0A { break }
            if b == 0x5C {
                scanEscape()
            } else if b < 0x20, b != 0x09, b != 0x0D {
                report("control character U+\(String(format2: b)) in string", pos, pos + 1,
                       hint: "write it as an escape, \\u{\(String(b, radix: 16, uppercase: true))}")
                pos += 1
            } else if b >= 0x80 {
                let n = Lexer.utf8SequenceLength(bytes, at: pos)
                if n == 0 {
                    report("invalid UTF-8 in string", pos, pos + 1, hint: "save the file as UTF-8")
                    pos += 1
                } else {
                    pos += n
                }
            } else {
                pos += 1
            }
        }
        var end = pos
        if end > start, byte(end - 1) == 0x0D { end -= 1 }
        report("unterminated string", start, end, hint: "close it with '\"' on the same line (write \\n for a line break)")
        return Token(kind: .stringLiteral, span: Span(start, end))
    }

    mutating func scanEscape() {
        let start = pos
        pos += 1
        switch byte(pos) {
        case 0x22, 0x5C, 0x6E, 0x74: // " \ n t
            pos += 1
        case 0x75 where byte(pos + 1) == 0x7B: // u{
            pos += 2
            var value: UInt32 = 0
            var count = 0
            while let h = Lexer.hexValue(byte(pos)), count < 8 {
                value = value << 4 | UInt32(h)
                count += 1
                pos += 1
            }
            if byte(pos) == 0x7D, count >= 1, count <= 6, Unicode.Scalar(value) != nil {
                pos += 1
            } else {
                if byte(pos) == 0x7D { pos += 1 }
                report("invalid unicode escape", start, pos, hint: "write \\u{…} with 1 to 6 hex digits of a valid code point, as in \\u{E9}")
            }
        default:
            let n = pos < bytes.count && bytes[pos] != 0x0A ? max(1, Lexer.utf8SequenceLength(bytes, at: pos)) : 0
            pos += n
            let shown = String(decoding: bytes[start..<pos], as: UTF8.self)
            report("unknown escape '\(shown)'", start, pos, hint: "the escapes are \\\" \\\\ \\n \\t and \\u{…}")
        }
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        case 0x41...0x46: return b - 0x41 + 10
        default: return nil
        }
    }

    /// The value of a string token (escapes decoded; errors were reported when lexing).
    public static func stringValue(_ bytes: UnsafeBufferPointer<UInt8>, _ span: Span) -> String {
        var out: [UInt8] = []
        var i = Int(span.start) + 1
        var end = Int(span.end)
        if end > i, end <= bytes.count, bytes[end - 1] == 0x22 || bytes[end - 1] == 0x27 { end -= 1 }
        end = min(end, bytes.count)
        guard i < end else { return "" }
        // Most strings have no escapes: decode them in one step.
        if !bytes[i..<end].contains(0x5C) { return String(decoding: bytes[i..<end], as: UTF8.self) }
        out.reserveCapacity(end - i)
        while i < end {
            let b = bytes[i]
            guard b == 0x5C, i + 1 < end else {
                out.append(b)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            switch e {
            case 0x6E: out.append(0x0A); i += 2
            case 0x74: out.append(0x09); i += 2
            case 0x22, 0x5C: out.append(e); i += 2
            case 0x75:
                var j = i + 3
                var value: UInt32 = 0
                while j < end, let h = hexValue(bytes[j]), value <= 0x10FFFF {
                    value = value << 4 | UInt32(h)
                    j += 1
                }
                if let scalar = Unicode.Scalar(value) { out.append(contentsOf: Array(String(Character(scalar)).utf8)) }
                i = j < end && bytes[j] == 0x7D ? j + 1 : j
            default:
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    func replacingUnderscores() -> String {
        contains("_") ? String(filter { $0 != "_" }) : self
    }
}

extension Lexer {
    /// Long source text shortened for messages: `aaaa…aaaa (1,000,000 characters)`.
    public static func abbreviated(_ text: String, limit: Int = 40) -> String {
        let count = text.count
        guard count > limit else { return text }
        return "\(text.prefix(limit / 2))…\(text.suffix(limit / 4)) (\(count) characters)"
    }
}

extension String {
    init(format2 b: UInt8) {
        let hex = String(b, radix: 16, uppercase: true)
        self = (hex.count < 2 ? "000" : "00") + hex
    }
}
