/// The canonical formatter behind `policy fmt`.
///
/// ```swift
/// let unit = Parser.parse(SourceFile(name: "x.policy", text: "let  x=1+2 # three\n"))
/// Formatter.format(unit)   // "let x = 1 + 2  # three\n"
/// ```
///
/// It keeps every comment and at most one blank line between items, writes blocks inline
/// (`{ a, b }`) when they hold no comment and fit in `maxWidth`, and otherwise one item per
/// line. Formatting is idempotent, and the output parses to the same tree. A comment that sat
/// inside an expression moves to the line after that item.
public struct Formatter {
    public static let maxWidth = 100
    static let indentUnit = "  "

    let file: SourceFile
    let comments: [Comment]
    var nextComment = 0
    var out = ""
    var indent = 0
    /// Source line of the last thing written, for keeping blank lines.
    var lastLine = 0

    public static func format(_ unit: SourceUnit) -> String {
        var f = Formatter(file: unit.file, comments: unit.comments)
        f.writeItems(unit.statements.map { s in (s.span, { (f: inout Formatter) in f.writeStatement(s) }) },
                     closeOffset: unit.file.bytes.count, first: true)
        return Formatter.alignTrailingComments(f.out, mark: f.trailingMark)
    }

    init(file: SourceFile, comments: [Comment]) {
        self.init(file: file, comments: comments, mark: Formatter.mark(for: file))
    }

    init(file: SourceFile, comments: [Comment], mark: Character?) {
        self.file = file
        self.comments = comments
        self.trailingMark = mark
    }

    // MARK: - Lines and comments

    var indentation: String { String(repeating: Formatter.indentUnit, count: indent) }

    mutating func line(_ text: String) {
        out += indentation + text + "\n"
    }

    /// Appends to the last line written (before its newline).
    mutating func appendToLastLine(_ text: String) {
        if out.hasSuffix("\n") { out.removeLast() }
        out += text + "\n"
    }

    func sourceLine(_ offset: Int) -> Int { file.line(of: offset) }

    /// Writes the comments that start before `offset`, each on its own line, keeping one
    /// blank line where the source had one or more.
    mutating func leadingComments(before offset: Int, first: inout Bool) {
        while nextComment < comments.count, Int(comments[nextComment].span.start) < offset {
            let c = comments[nextComment]
            let l = sourceLine(Int(c.span.start))
            if !first, l > lastLine + 1 { out += "\n" }
            var text = file.text(c.span)
            // A `##` that followed code must not become a doc comment on its own line.
            if !c.ownLine, text.hasPrefix("##") { text = "# " + text }
            line(text)
            lastLine = max(lastLine, l)
            first = false
            nextComment += 1
        }
    }

    /// After an item ending at `end`: a comment later on the same source line stays there.
    mutating func trailingComment(after end: Int) {
        guard nextComment < comments.count else { return }
        let c = comments[nextComment]
        let endLine = sourceLine(max(0, end - 1))
        if Int(c.span.start) >= end, !c.ownLine, sourceLine(Int(c.span.start)) == endLine {
            appendToLastLine((trailingMark.map { String($0) } ?? "  ") + file.text(c.span))
            nextComment += 1
        }
    }

    /// Marks where a trailing comment starts, until `alignTrailingComments` lines them up:
    /// a character that does not occur in the file (comments may hold any character, and
    /// code none of these). nil — trailing comments then keep two spaces, unaligned — only
    /// if the file holds every candidate.
    let trailingMark: Character?

    static func mark(for file: SourceFile) -> Character? {
        let candidates = (0x01...0x08).map { Unicode.Scalar(UInt8($0)) } + (0xE000...0xE0FF).compactMap(Unicode.Scalar.init)
        for c in candidates {
            let utf8 = Array(String(c).utf8)
            let bytes = file.bytes
            var found = false
            if utf8.count == 1 {
                found = bytes.contains(utf8[0])
            } else if bytes.count >= utf8.count {
                for i in 0...(bytes.count - utf8.count) where bytes[i] == utf8[0] && bytes[i + 1] == utf8[1] && bytes[i + 2] == utf8[2] {
                    found = true
                    break
                }
            }
            if !found { return Character(c) }
        }
        return nil
    }

    /// Consecutive lines (at one indentation) that end in a comment have their comments in
    /// one column, two spaces after the longest code among them (as in LANGUAGE.md).
    static func alignTrailingComments(_ text: String, mark: Character?) -> String {
        guard let trailingMark = mark, text.contains(trailingMark) else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i < lines.count {
            guard lines[i].contains(trailingMark) else { i += 1; continue }
            // A run: consecutive commented lines at the same indentation.
            func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
            var j = i
            while j < lines.count, lines[j].contains(trailingMark), indent(lines[j]) == indent(lines[i]) { j += 1 }
            let width = lines[i..<j].map { line -> Int in
                let code = line.split(separator: trailingMark, maxSplits: 1, omittingEmptySubsequences: false)[0]
                return code.reduce(0) { $0 + DiagnosticRenderer.width($1) }
            }.max() ?? 0
            for k in i..<j {
                let parts = lines[k].split(separator: trailingMark, maxSplits: 1, omittingEmptySubsequences: false)
                let code = String(parts[0])
                let pad = width - code.reduce(0) { $0 + DiagnosticRenderer.width($1) } + 2
                lines[k] = code + String(repeating: " ", count: pad) + (parts.count > 1 ? String(parts[1]) : "")
            }
            i = j
        }
        return lines.joined(separator: "\n")
    }

    func hasComments(in span: Span) -> Bool {
        var lo = nextComment, hi = comments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if comments[mid].span.start < span.start { lo = mid + 1 } else { hi = mid }
        }
        return lo < comments.count && comments[lo].span.start < span.end
    }

    /// Writes block items one per line with their comments, then the comments left before
    /// `closeOffset` (the block's closing brace, or the end of the file).
    mutating func writeItems(_ items: [(Span, (inout Formatter) -> Void)], closeOffset: Int, first: Bool = true) {
        var first = first
        var previousEnd: Int? // UTF-8 offset where the previous item's text ends
        for (span, write) in items {
            // An item that starts with a word that would continue the line above (`at`,
            // `under`, `from` …) needs a comma after the previous item.
            if let end = previousEnd, startsWithContinuationWord(span) {
                out.insert(",", at: out.utf8.index(out.startIndex, offsetBy: end))
            }
            leadingComments(before: Int(span.start), first: &first)
            let l = sourceLine(Int(span.start))
            if !first, l > lastLine + 1 { out += "\n" }
            write(&self)
            previousEnd = out.utf8.count - 1
            lastLine = max(lastLine, sourceLine(max(Int(span.start), Int(span.end) - 1)))
            trailingComment(after: Int(span.end))
            first = false
        }
        leadingComments(before: closeOffset, first: &first)
    }

    func startsWithContinuationWord(_ span: Span) -> Bool {
        var end = Int(span.start)
        while end < file.bytes.count, Lexer.isIdentContinue(file.bytes[end]) { end += 1 }
        let word = file.text(Span(Int(span.start), end))
        guard let kind = TokenKind.keyword(word), kind.continuesBefore else { return false }
        // `at: 1` names a field; the lexer does not continue the line there.
        var i = end
        while i < file.bytes.count, file.bytes[i] == 0x20 || file.bytes[i] == 0x09 { i += 1 }
        return !(i < file.bytes.count && file.bytes[i] == 0x3A)
    }

    /// `head { items }` inline when allowed and short; otherwise one item per line.
    mutating func writeBlock(head: String, span: Span, inline: [String]?, tail: String = "",
                             items: [(Span, (inout Formatter) -> Void)]) {
        if let inline, !hasComments(in: span) {
            let text = inline.isEmpty ? "\(head) {}\(tail)" : "\(head) { \(inline.joined(separator: ", ")) }\(tail)"
            if indentation.count + text.count <= Formatter.maxWidth {
                line(text)
                return
            }
        }
        line(head + " {")
        indent += 1
        let savedLast = lastLine
        lastLine = sourceLine(Int(span.start))
        writeItems(items, closeOffset: max(Int(span.start), Int(span.end) - 1))
        lastLine = max(savedLast, lastLine)
        indent -= 1
        line("}" + tail)
    }

    // MARK: - Statements

    mutating func writeStatement(_ s: Statement) {
        switch s.kind {
        case .enumDecl(let d):
            writeBlock(head: "enum \(d.name.text)", span: s.span, inline: d.members.map(\.text),
                       items: d.members.map { m in (m.span, { $0.line(m.text) }) })
        case .attributes(let fields):
            writeFieldDecls(head: "jurisdiction attributes", span: s.span, fields)
        case .jurisdiction(let d):
            var head = "jurisdiction \(d.name.text): \(d.kind.text)"
            if let p = d.parent { head += " in \(p.text)" }
            if let l = d.label { head += " " + Formatter.quote(l.value) }
            if d.attributes.isEmpty { line(head) } else { writeFieldInits(head: head, span: s.span, d.attributes) }
        case .jurisdictionsFrom(let path):
            line("jurisdictions from \(Formatter.quote(path.value))")
        case .agency(let d):
            line("agency \(d.name.text) of \(d.territory.text)\(d.label.map { " " + Formatter.quote($0.value) } ?? "")")
        case .record(let d):
            writeFieldDecls(head: "record \(d.name.text)", span: s.span, d.fields)
        case .param(let d):
            writeDefinition("param \(d.name.text)\(d.type.map { ": " + $0.formatted } ?? "") =", d.value)
        case .let(let d):
            writeDefinition("let \(d.name.text)\(Formatter.parameters(d.parameters))\(d.type.map { ": " + $0.formatted } ?? "") =", d.value)
        case .decision(let d):
            writeDefinition("decision \(d.name.text)\(Formatter.parameters(d.parameters)): \(d.type.formatted) =", d.defaultValue,
                            tail: d.combiner.map { " combine \($0.text)" } ?? "")
        case .policy(let d):
            writePolicy(d, span: s.span)
        case .event(let d):
            var head = "event \(d.name.text) on \(d.date.formatted)"
            if let o = d.owner { head += " by \(o.text)" }
            if let l = d.label { head += " " + Formatter.quote(l.value) }
            if let effects = d.effects { writeEffectBlock(head: head, span: s.span, effects) } else { line(head) }
        case .reaction(let d):
            var head: String
            switch d.trigger {
            case .event(let n): head = "when \(n.text)"
            case .condition(let v, let c): head = "when \(v.text) in jurisdictions where \(c.formatted)"
            }
            if let n = d.name { head += " as \(n.text)" }
            writeEffectBlock(head: head, span: s.span, d.effects)
        case .scenario(let d):
            var head = "scenario \(d.name.text)"
            if let p = d.parent { head += " from \(p.text)" }
            if let l = d.label { head += " " + Formatter.quote(l.value) }
            writeBlock(head: head, span: s.span, inline: nil,
                       items: d.items.map { item in (item.span, { $0.writeStatement(item) }) })
        case .population(let d):
            var head = "population \(d.name.text) of \(d.record.text)"
            if let src = d.source { head += " from \(Formatter.quote(src.value))" }
            if let items = d.items {
                writeBlock(head: head, span: s.span, inline: nil,
                           items: items.map { item in (item.span, { $0.line(Formatter.populationItem(item)) }) })
            } else {
                line(head)
            }
        case .cancel(let r):
            line("cancel \(r.formatted)")
        case .expression(let e):
            line(e.formatted)
        case .explain(let e, let under):
            line("explain \(e.formatted)\(under.isEmpty ? "" : " under " + under.map(\.text).joined(separator: ", "))")
        case .timeline(let under, let from, let until, let forJ):
            var text = "timeline"
            if let u = under { text += " under \(u.text)" }
            if let f = from { text += " from \(f.formatted)" }
            if let u = until { text += " until \(u.formatted)" }
            if let j = forJ { text += " for \(j.formatted)" }
            line(text)
        case .status(let j, let date, let under):
            line("status \(j.formatted)\(date.map { " at \($0.formatted)" } ?? "")\(under.map { " under \($0.text)" } ?? "")")
        case .table(let aggs, let keys, let from, let cond, let under, let to, let analysis):
            var text = "table \(Formatter.list(aggs))"
            if !keys.isEmpty { text += " by \(Formatter.list(keys))" }
            text += " from \(from.text)"
            if let c = cond { text += " where \(c.formatted)" }
            if let u = under { text += " under \(u.text)" }
            text += analysis.formatted
            if let t = to { text += " to \(Formatter.quote(t.value))" }
            line(text)
        case .compare(let scenarios, let aggs, let keys, let from, let cond, let to, let analysis):
            var text = "compare \(scenarios.map(\.text).joined(separator: ", ")) on \(Formatter.list(aggs))"
            if !keys.isEmpty { text += " by \(Formatter.list(keys))" }
            text += " from \(from.text)"
            if let c = cond { text += " where \(c.formatted)" }
            text += analysis.formatted
            if let t = to { text += " to \(Formatter.quote(t.value))" }
            line(text)
        case .plot(let aggs, let keys, let from, let cond, let under, let to, let analysis, let titled):
            var text = "plot \(Formatter.list(aggs)) by \(Formatter.list(keys)) from \(from.text)"
            if let c = cond { text += " where \(c.formatted)" }
            if !under.isEmpty { text += " under \(under.map(\.text).joined(separator: ", "))" }
            text += analysis.formatted
            if let t = titled { text += " titled \(Formatter.quote(t.value))" }
            if let t = to { text += " to \(Formatter.quote(t.value))" }
            line(text)
        case .decompose(let scenario, let aggs, let keys, let from, let cond, let analysis):
            var text = "decompose \(scenario.text) on \(Formatter.list(aggs))"
            if !keys.isEmpty { text += " by \(Formatter.list(keys))" }
            text += " from \(from.text)"
            if let c = cond { text += " where \(c.formatted)" }
            line(text + analysis.formatted)
        case .sample(let count, let from, let cond, let under):
            var text = "sample \(count.formatted) from \(from.text)"
            if let c = cond { text += " where \(c.formatted)" }
            if let u = under { text += " under \(u.text)" }
            line(text)
        case .test(let name, let body):
            writeBlock(head: "test \(Formatter.quote(name.value))", span: s.span, inline: nil,
                       items: body.map { item in (item.span, { $0.writeStatement(item) }) })
        case .assert(let e, let message):
            line("assert \(e.formatted)\(message.map { " " + Formatter.quote($0.value) } ?? "")")
        case .include(let path):
            line("include \(Formatter.quote(path.value))")
        }
    }

    static func list(_ exprs: [Expr]) -> String { exprs.map(\.formatted).joined(separator: ", ") }

    static func parameters(_ ps: [Parameter]?) -> String {
        guard let ps else { return "" }
        return "(\(ps.map { "\($0.name.text): \($0.type.formatted)" }.joined(separator: ", ")))"
    }

    /// `head value`, or an `if … else if …` chain with one branch per line.
    mutating func writeDefinition(_ head: String, _ value: Expr, tail: String = "") {
        guard value.isIfChain else {
            writeWrapped("\(head) ", value, tail: tail)
            return
        }
        line(head)
        indent += 1
        var e = value
        var prefix = ""
        while case .ifThenElse(let c, let a, let b) = e.kind {
            line("\(prefix)if \(c.formatted) then \(a.formatted)")
            prefix = "else "
            e = b
        }
        line("else \(e.formatted)\(tail)")
        indent -= 1
    }

    /// `prefix value tail` on one line when it fits; otherwise a long `and`/`or`/`+` chain
    /// is broken after its operators (a line ending in an operator continues, §2), packing
    /// as many operands per line as fit.
    mutating func writeWrapped(_ prefix: String, _ value: Expr, tail: String) {
        let single = "\(prefix)\(value.formatted)\(tail)"
        guard indentation.count + single.count > Formatter.maxWidth,
              case .binary(let op, _, _) = value.kind, [.and, .or, .add].contains(op) else {
            line(single)
            return
        }
        var operands: [Expr] = []
        func flatten(_ e: Expr) {
            if case .binary(let o, let a, let b) = e.kind, o == op {
                flatten(a)
                operands.append(b)
            } else {
                operands.append(e)
            }
        }
        flatten(value)
        let continuation = indentation + Formatter.indentUnit
        var lines: [String] = []
        var current = indentation + prefix
        for (k, operand) in operands.enumerated() {
            let piece = operand.formatted + (k < operands.count - 1 ? " \(op.rawValue)" : tail)
            let startOfLine = current.trimmingCharacters() .isEmpty || current == indentation + prefix
            if !startOfLine, current.count + 1 + piece.count > Formatter.maxWidth {
                lines.append(current)
                current = continuation + piece
            } else {
                current += (current.hasSuffix(" ") || current.isEmpty ? "" : " ") + piece
            }
        }
        lines.append(current)
        for l in lines { out += l + "\n" }
    }

    mutating func writeFieldDecls(head: String, span: Span, _ fields: [FieldDecl]) {
        func text(_ f: FieldDecl) -> String {
            "\(f.name.text): \(f.type.formatted)\(f.defaultValue.map { " = \($0.formatted)" } ?? "")"
        }
        writeBlock(head: head, span: span, inline: fields.map(text),
                   items: fields.map { f in (f.span, { $0.line(text(f)) }) })
    }

    mutating func writeFieldInits(head: String, span: Span, _ fields: [FieldInit]) {
        func text(_ f: FieldInit) -> String { "\(f.name.text): \(f.value.formatted)" }
        writeBlock(head: head, span: span, inline: fields.map(text),
                   items: fields.map { f in (f.name.span.to(f.value.span), { $0.line(text(f)) }) })
    }

    mutating func writePolicy(_ d: PolicyDecl, span: Span) {
        var head = "policy \(d.name.text)\(Formatter.parameters(d.parameters)) by \(d.owner.text)"
        if let f = d.from { head += " from \(f.formatted)" }
        if let u = d.until { head += " until \(u.formatted)" }
        if d.proposed { head += " proposed" }
        if !d.overrides.isEmpty { head += " overrides \(d.overrides.map(\.formatted).joined(separator: ", "))" }
        if let l = d.label { head += " " + Formatter.quote(l.value) }
        func text(_ r: Rule) -> String {
            "\(r.decision.text)(\(r.parameter.text)) = \(r.value.formatted)\(r.condition.map { " when \($0.formatted)" } ?? "")"
        }
        let inline = d.rules.count <= 1 && !(d.rules.first?.value.isIfChain ?? false) ? d.rules.map(text) : nil
        writeBlock(head: head, span: span, inline: inline, items: d.rules.map { r in
            (r.span, { f in
                if r.value.isIfChain {
                    f.writeDefinition("\(r.decision.text)(\(r.parameter.text)) =", r.value,
                                      tail: r.condition.map { " when \($0.formatted)" } ?? "")
                } else {
                    f.writeWrapped("\(r.decision.text)(\(r.parameter.text)) = ", r.value,
                                   tail: r.condition.map { " when \($0.formatted)" } ?? "")
                }
            })
        })
    }

    static func populationItem(_ item: PopulationItem) -> String {
        switch item.kind {
        case .size(let e): return "size \(e.formatted)"
        case .seed(let e): return "seed \(e.formatted)"
        case .weight(let e): return "weight \(e.formatted)"
        case .field(let name, let generator, let condition):
            let g: String
            switch generator {
            case .uniform(let a, let b): g = "uniform \(a.formatted) .. \(b.formatted)"
            case .categorical(let fs): g = fieldInits(fs)
            case .probability(let e): g = e.formatted
            case .weighted(let n): g = "weighted by \(n.text)"
            case .computed(let e): g = "= \(e.formatted)"
            }
            return "\(name.text) \(g)\(condition.map { " when \($0.formatted)" } ?? "")"
        }
    }

    // MARK: - Effects

    /// One-line text of a simple effect (nil for those with blocks).
    static func simpleEffect(_ e: Effect) -> String? {
        switch e.kind {
        case .enact(let r, let from, let until):
            return "enact \(r.formatted)\(from.map { " from \($0.formatted)" } ?? "")\(until.map { " until \($0.formatted)" } ?? "")"
        case .repeal(let r): return "repeal \(r.formatted)"
        case .set(let t, let v): return "set \(t.formatted) = \(v.formatted)"
        default: return nil
        }
    }

    mutating func writeEffectBlock(head: String, span: Span, _ effects: [Effect], tail: String = "") {
        var inline: [String]?
        if effects.isEmpty {
            inline = []
        } else if effects.count == 1, let text = Formatter.simpleEffect(effects[0]) {
            inline = [text]
        }
        writeBlock(head: head, span: span, inline: inline, tail: tail,
                   items: effects.map { e in (e.span, { $0.writeEffect(e) }) })
    }

    mutating func writeEffect(_ e: Effect) {
        if let text = Formatter.simpleEffect(e) {
            line(text)
            return
        }
        switch e.kind {
        case .forEach(let v, let c, let body):
            writeEffectBlock(head: "for \(v.text) in jurisdictions\(c.map { " where \($0.formatted)" } ?? "")", span: e.span, body)
        case .after(let d, let body):
            writeEffectBlock(head: "after \(d.formatted)", span: e.span, body)
        case .if:
            writeIfEffect(e, prefix: "")
        default:
            break
        }
    }

    /// `if c { … } else if d { … } else { … }`, with `else` on the closing brace's line.
    mutating func writeIfEffect(_ e: Effect, prefix: String) {
        guard case .if(let c, let then, let otherwise) = e.kind else { return }
        let head = "\(prefix)if \(c.formatted)"
        // The then-block ends where the else branch begins (or with the effect).
        let thenEnd: Int
        switch otherwise {
        case .block(let b)?: thenEnd = b.first.map { Int($0.span.start) } ?? Int(e.span.end)
        case .elseIf(let inner)?: thenEnd = Int(inner.span.start)
        case nil: thenEnd = Int(e.span.end)
        }
        let thenSpan = Span(Int(e.span.start), thenEnd)
        if otherwise == nil {
            writeEffectBlock(head: head, span: thenSpan, then)
            return
        }
        writeBlock(head: head, span: thenSpan, inline: nil, items: then.map { x in (x.span, { $0.writeEffect(x) }) })
        switch otherwise {
        case .block(let b)?:
            out.removeLast() // the newline after "}"
            out += " else {\n"
            indent += 1
            writeItems(b.map { x in (x.span, { $0.writeEffect(x) }) }, closeOffset: max(Int(e.span.start), Int(e.span.end) - 1))
            indent -= 1
            line("}")
        case .elseIf(let inner)?:
            let saved = out
            var nested = Formatter(file: file, comments: comments, mark: trailingMark)
            nested.nextComment = nextComment
            nested.indent = indent
            nested.lastLine = lastLine
            nested.writeIfEffect(inner, prefix: "")
            var text = nested.out
            text.removeFirst(indentation.count)
            out = String(saved.dropLast()) + " else " + text
            nextComment = nested.nextComment
            lastLine = nested.lastLine
        case nil:
            break
        }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        return String(s)
    }
}

extension Analysis {
    /// The clauses as `policy fmt` writes them: replicates, then each sweep.
    var formatted: String {
        var out = replicates.map { " replicates \($0.formatted)" } ?? ""
        for s in sweeps {
            switch s.values {
            case .list(let xs): out += " sweep \(s.param.text) in {\(xs.map(\.formatted).joined(separator: ", "))}"
            case .range(let a, let b, let step): out += " sweep \(s.param.text) in \(a.formatted) .. \(b.formatted) step \(step.formatted)"
            }
        }
        return out
    }
}
