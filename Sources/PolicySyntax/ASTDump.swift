// A span-free S-expression rendering of the tree: two trees are the same program exactly
// when their dumps are equal. Tests compare dumps; `policy check --dump` prints one.

extension Expr {
    public var dump: String {
        switch kind {
        case .int(let v, grouped: _): return "\(v)"
        case .number(let v, _): return "\(v)"
        case .percent(let v, _): return "\(v)"
        case .date(let d): return CivilDate(dayNumber: Int(d)).description
        case .duration(let n, let u): return "(duration \(n) \(u.singular))"
        case .string(let s): return "\(s.debugDescription)"
        case .bool(let b): return "\(b)"
        case .name(let n): return n.text
        case .member(let base, let field): return "(. \(base.dump) \(field.text))"
        case .call(let f, let args, let filter):
            let w = filter.map { " (where \($0.dump))" } ?? ""
            return "(call \(f.text)\(args.map { " " + $0.dump }.joined())\(w))"
        case .record(let name, let fields): return "(record \(name.text)\(fields.dumpFields))"
        case .with(let base, let fields): return "(with \(base.dump)\(fields.dumpFields))"
        case .index(let base, let index): return "(index \(base.dump) \(index.dump))"
        case .set(let items): return "(set\(items.map { " " + $0.dump }.joined()))"
        case .list(let items): return "(list\(items.map { " " + $0.dump }.joined()))"
        case .unary(let op, let e): return "(\(op.rawValue) \(e.dump))"
        case .binary(let op, let a, let b): return "(\(op.rawValue) \(a.dump) \(b.dump))"
        case .ifThenElse(let c, let a, let b): return "(if \(c.dump) \(a.dump) \(b.dump))"
        case .under(let e, let s): return "(under \(e.dump) \(s.text))"
        case .at(let e, let d): return "(at \(e.dump) \(d.dump))"
        case .paren(let e): return "(paren \(e.dump))"
        case .error: return "<error>"
        }
    }
}

extension Array where Element == FieldInit {
    var dumpFields: String { map { " (\($0.name.text) \($0.value.dump))" }.joined() }
}

extension TypeExpr {
    public var dump: String {
        switch kind {
        case .named(let n): return n
        case .setOf(let t): return "(set-of \(t.dump))"
        case .listOf(let t): return "(list-of \(t.dump))"
        }
    }
}

extension PolicyRef {
    var dump: String {
        guard let args = arguments else { return name.text }
        return "(\(name.text)\(args.map { " " + $0.dump }.joined()))"
    }
}

extension Effect {
    public var dump: String {
        switch kind {
        case .enact(let r, let from, let until):
            return "(enact \(r.dump)\(from.map { " (from \($0.dump))" } ?? "")\(until.map { " (until \($0.dump))" } ?? ""))"
        case .repeal(let r): return "(repeal \(r.dump))"
        case .set(let t, let v): return "(set \(t.dump) \(v.dump))"
        case .forEach(let v, let c, let body):
            return "(for \(v.text)\(c.map { " (where \($0.dump))" } ?? "")\(body.dumpEffects))"
        case .after(let d, let body): return "(after \(d.dump)\(body.dumpEffects))"
        case .if(let c, let then, let otherwise):
            var s = "(if \(c.dump) (then\(then.dumpEffects))"
            switch otherwise {
            case .block(let b)?: s += " (else\(b.dumpEffects))"
            case .elseIf(let e)?: s += " (else-if \(e.dump))"
            case nil: break
            }
            return s + ")"
        }
    }
}

extension Array where Element == Effect {
    var dumpEffects: String { map { " " + $0.dump }.joined() }
}

extension Statement {
    public var dump: String {
        let doc = self.doc.map { " (doc \($0.debugDescription))" } ?? ""
        func label(_ l: StringLiteral?) -> String { l.map { " (label \($0.value.debugDescription))" } ?? "" }
        func params(_ ps: [Parameter]?) -> String {
            guard let ps else { return "" }
            return " (params\(ps.map { " (\($0.name.text) \($0.type.dump))" }.joined()))"
        }
        func fields(_ fs: [FieldDecl]) -> String {
            fs.map { " (\($0.name.text) \($0.type.dump)\($0.defaultValue.map { " " + $0.dump } ?? ""))" }.joined()
        }
        func opt(_ tag: String, _ e: Expr?) -> String { e.map { " (\(tag) \($0.dump))" } ?? "" }
        func list(_ tag: String, _ es: [Expr]) -> String { " (\(tag)\(es.map { " " + $0.dump }.joined()))" }
        func names(_ ns: [Name]) -> String { ns.map(\.text).joined(separator: " ") }
        switch kind {
        case .enumDecl(let d): return "(enum \(d.name.text) \(names(d.members))\(doc))"
        case .attributes(let fs): return "(attributes\(fields(fs)))"
        case .jurisdiction(let d):
            return "(jurisdiction \(d.name.text) \(d.kind.text)\(d.parent.map { " (in \($0.text))" } ?? "")\(label(d.label))\(d.attributes.dumpFields)\(doc))"
        case .jurisdictionsFrom(let s): return "(jurisdictions-from \(s.value.debugDescription))"
        case .agency(let d): return "(agency \(d.name.text) \(d.territory.text)\(label(d.label))\(doc))"
        case .record(let d): return "(record \(d.name.text)\(fields(d.fields))\(doc))"
        case .param(let d): return "(param \(d.name.text)\(d.type.map { " " + $0.dump } ?? "") \(d.value.dump)\(doc))"
        case .let(let d):
            return "(let \(d.name.text)\(params(d.parameters))\(d.type.map { " " + $0.dump } ?? "") \(d.value.dump)\(doc))"
        case .decision(let d):
            return "(decision \(d.name.text)\(params(d.parameters)) \(d.type.dump) \(d.defaultValue.dump)\(d.combiner.map { " (combine \($0.text))" } ?? "")\(doc))"
        case .policy(let d):
            let rules = d.rules.map { " (rule \($0.decision.text) \($0.parameter.text) \($0.value.dump)\($0.condition.map { " (when \($0.dump))" } ?? ""))" }.joined()
            let overrides = d.overrides.isEmpty ? "" : " (overrides \(d.overrides.map(\.dump).joined(separator: " ")))"
            return "(policy \(d.name.text)\(params(d.parameters)) (by \(d.owner.text))\(opt("from", d.from))\(opt("until", d.until))\(d.proposed ? " proposed" : "")\(overrides)\(label(d.label))\(rules)\(doc))"
        case .event(let d):
            return "(event \(d.name.text) \(d.date.dump)\(d.owner.map { " (by \($0.text))" } ?? "")\(label(d.label))\(d.effects.map { " (effects\($0.dumpEffects))" } ?? "")\(doc))"
        case .reaction(let d):
            let trigger: String
            switch d.trigger {
            case .event(let n): trigger = n.text
            case .condition(let v, let c): trigger = "(\(v.text) where \(c.dump))"
            }
            return "(when \(trigger)\(d.name.map { " (as \($0.text))" } ?? "")\(d.effects.dumpEffects)\(doc))"
        case .scenario(let d):
            return "(scenario \(d.name.text)\(d.parent.map { " (from \($0.text))" } ?? "")\(label(d.label))\(d.items.map { " " + $0.dump }.joined())\(doc))"
        case .population(let d):
            let items = d.items.map { items in
                " (items" + items.map { item -> String in
                    switch item.kind {
                    case .size(let e): return " (size \(e.dump))"
                    case .seed(let e): return " (seed \(e.dump))"
                    case .weight(let e): return " (weight \(e.dump))"
                    case .field(let f, let g, let c):
                        let gen: String
                        switch g {
                        case .uniform(let a, let b): gen = "(uniform \(a.dump) \(b.dump))"
                        case .categorical(let fs): gen = "(categorical\(fs.dumpFields))"
                        case .probability(let e): gen = "(probability \(e.dump))"
                        case .weighted(let n): gen = "(weighted \(n.text))"
                        case .computed(let e): gen = "(= \(e.dump))"
                        }
                        return " (\(f.text) \(gen)\(c.map { " (when \($0.dump))" } ?? ""))"
                    }
                }.joined() + ")"
            } ?? ""
            return "(population \(d.name.text) \(d.record.text)\(d.source.map { " (from \($0.value.debugDescription))" } ?? "")\(items)\(doc))"
        case .cancel(let r): return "(cancel \(r.dump))"
        case .expression(let e): return e.dump
        case .explain(let e, let under): return "(explain \(e.dump)\(under.isEmpty ? "" : " (under \(names(under)))"))"
        case .timeline(let under, let from, let until, let forJ):
            return "(timeline\(under.map { " (under \($0.text))" } ?? "")\(opt("from", from))\(opt("until", until))\(opt("for", forJ)))"
        case .status(let j, let date, let under):
            return "(status \(j.dump)\(opt("at", date))\(under.map { " (under \($0.text))" } ?? ""))"
        case .table(let aggs, let keys, let from, let cond, let under, let to, let analysis):
            return "(table\(list("aggregates", aggs))\(list("by", keys)) (from \(from.text))\(opt("where", cond))\(under.map { " (under \($0.text))" } ?? "")\(to.map { " (to \($0.value.debugDescription))" } ?? "")\(analysis.dump))"
        case .compare(let scenarios, let aggs, let keys, let from, let cond, let to, let analysis):
            return "(compare (\(names(scenarios)))\(list("on", aggs))\(list("by", keys)) (from \(from.text))\(opt("where", cond))\(to.map { " (to \($0.value.debugDescription))" } ?? "")\(analysis.dump))"
        case .plot(let aggs, let keys, let from, let cond, let under, let to, let analysis, let titled):
            return "(plot\(list("aggregates", aggs))\(list("by", keys)) (from \(from.text))\(opt("where", cond))\(under.isEmpty ? "" : " (under \(names(under)))")\(to.map { " (to \($0.value.debugDescription))" } ?? "")\(titled.map { " (titled \($0.value.debugDescription))" } ?? "")\(analysis.dump))"
        case .decompose(let scenario, let aggs, let keys, let from, let cond, let analysis):
            return "(decompose \(scenario.text)\(list("on", aggs))\(list("by", keys)) (from \(from.text))\(opt("where", cond))\(analysis.dump))"
        case .sample(let count, let from, let cond, let under):
            return "(sample \(count.dump) (from \(from.text))\(opt("where", cond))\(under.map { " (under \($0.text))" } ?? ""))"
        case .test(let name, let body): return "(test \(name.value.debugDescription)\(body.map { " " + $0.dump }.joined()))"
        case .assert(let e, let m): return "(assert \(e.dump)\(m.map { " " + $0.value.debugDescription } ?? ""))"
        case .include(let s): return "(include \(s.value.debugDescription))"
        }
    }
}

extension Analysis {
    var dump: String {
        var out = replicates.map { " (replicates \($0.dump))" } ?? ""
        for s in sweeps {
            switch s.values {
            case .list(let xs): out += " (sweep \(s.param.text) (\(xs.map(\.dump).joined(separator: " "))))"
            case .range(let a, let b, let step): out += " (sweep \(s.param.text) (range \(a.dump) \(b.dump) \(step.dump)))"
            }
        }
        return out
    }
}

extension SourceUnit {
    /// One line per statement.
    public var dump: String { statements.map(\.dump).joined(separator: "\n") }
}
