import PolicySyntax

/// How one field of a generated population is drawn (§4.10).
public enum FieldGenerator: Sendable {
    case uniformInt(Eval, Eval)
    case uniformNumber(Eval, Eval)
    case uniformDate(Eval, Eval)
    /// Members of an enum, with probabilities.
    case categorical([(member: Int32, probability: Eval)], enumType: Int)
    case probability(Eval)
    case weighted(attribute: Int)
    case computed(Eval)
}

public struct FieldRule: Sendable {
    public var field: Int
    public var generator: FieldGenerator
    public var condition: Eval?
    public var source: SourceRef
}

/// A population declaration in one version (base or a scenario's).
public struct PopulationVersion: Sendable {
    public var record: Int
    public var source: SourceRef
    public var size: Eval?
    public var seed: Eval?
    public var rules: [FieldRule]
    /// A CSV file (resolved path) to load instead of generating.
    public var csvPath: String?
    public var csvReference: SourceRef?
    /// `weight EXPR` (§10), computed per case when the cases are made.
    public var weight: Eval?
    public var weightSource: SourceRef?
    /// The declaration's source text, and whether its cases depend on more of the program
    /// than its types and jurisdictions (see `PopulationFingerprint`).
    public var declarationText = ""
    public var needsWholeProgram = true
    /// Identifies the cases this version makes: two programs (say, before and after an
    /// entry at the prompt) whose versions share a fingerprint share the generated cases.
    public var fingerprint: UInt64 = 0
}

public struct PopulationInfo: Sendable {
    public var name: String
    public var record: Int
    public var versions: [PopulationVersion]
    public var doc: String?
    /// The declaration gives a `weight`: `count` and `sum` over it are numbers.
    public var isWeighted = false
}

extension Checker {
    /// `0.9` as `90%`, `0.125` as `12.5%`.
    static func percentText(_ fraction: Double) -> String {
        NumberText.rounded(fraction * 100, decimals: 2) + "%"
    }

    /// Checks a population's generators.
    func populationVersion(_ d: PopulationDecl, record: Int, file: SourceFile, scenario: Int) -> PopulationVersion {
        let info = program.records[record]
        var version = PopulationVersion(record: record, source: SourceRef(file, d.name.span), size: nil, seed: nil, rules: [])
        if let csv = d.source {
            version.csvPath = provider?.resolve(csv.value, relativeTo: file) ?? csv.value
            version.csvReference = SourceRef(file, csv.span)
        }
        var generated = Set<Int>()
        var attempted = Set<Int>() // fields with a generator, even a bad one
        for item in d.items ?? [] {
            let scope0 = Scope(file: file, scenario: scenario)
            switch item.kind {
            case .size(let e):
                if version.size != nil { error("'size' is given twice", file, item.span) }
                if d.source != nil { error("a population read from CSV has the size of its file", file, item.span, hint: "remove 'size'") }
                version.size = require(expr(e, scope0, expected: .int), .int, e, scope0, what: "a population's size").eval
            case .weight(let e):
                if version.weight != nil { error("'weight' is given twice", file, item.span) }
                var scope = scope0
                scope.subject = .record(record)
                scope.streamName = "weight"
                version.weight = require(expr(e, scope, expected: .number), .number, e, scope, what: "a case's weight").eval
                version.weightSource = SourceRef(file, e.span)
            case .seed(let e):
                if version.seed != nil { error("'seed' is given twice", file, item.span) }
                version.seed = require(expr(e, scope0, expected: .int), .int, e, scope0, what: "a population's seed").eval
            case .field(let name, let generator, let condition):
                guard d.source == nil else {
                    error("a population read from CSV takes its fields from the file", file, item.span, hint: "only 'seed' may be given")
                    continue
                }
                guard let f = info.field(name.text) else {
                    error("record '\(info.name)' has no field '\(name.text)'", file, name.span,
                          hint: suggest(name.text, info.fields.map(\.name)))
                    continue
                }
                if generated.contains(f) { error("field '\(name.text)' has two generators", file, name.span) }
                attempted.insert(f)
                var scope = scope0
                scope.subject = .record(record)
                scope.streamName = "\(name.text)"
                let type = info.fields[f].type
                let src = SourceRef(file, item.span)
                var gen: FieldGenerator?
                switch generator {
                case .uniform(let a, let b):
                    switch type {
                    case .int:
                        gen = .uniformInt(require(expr(a, scope, expected: .int), .int, a, scope, what: "the low end").eval,
                                          require(expr(b, scope, expected: .int), .int, b, scope, what: "the high end").eval)
                    case .number:
                        gen = .uniformNumber(require(expr(a, scope, expected: .number), .number, a, scope, what: "the low end").eval,
                                             require(expr(b, scope, expected: .number), .number, b, scope, what: "the high end").eval)
                    case .date:
                        gen = .uniformDate(require(expr(a, scope, expected: .date), .date, a, scope, what: "the first date").eval,
                                           require(expr(b, scope, expected: .date), .date, b, scope, what: "the last date").eval)
                    default:
                        error("'uniform' draws dates, ints or numbers; '\(name.text)' is \(article(type))", file, name.span)
                    }
                case .categorical(let members):
                    guard case .enumType(let e) = type else {
                        error("{ member: p, … } draws enum members; '\(name.text)' is \(article(type))", file, name.span,
                              hint: type == .bool ? "for a bool field write a probability, as \(name.text) 30%" : nil)
                        continue
                    }
                    var list: [(Int32, Eval)] = []
                    var total = 0.0
                    var allConstant = true
                    var seen: [Int: Span] = [:]
                    for m in members {
                        guard let index = program.enums[e].members.firstIndex(of: m.name.text) else {
                            error("enum '\(program.enums[e].name)' has no member '\(m.name.text)'", file, m.name.span,
                                  hint: suggest(m.name.text, program.enums[e].members))
                            allConstant = false // the total means nothing with a misspelt member
                            continue
                        }
                        if let first = seen[index] {
                            error("member '\(m.name.text)' appears twice in the distribution of '\(name.text)'", SourceRef(file, m.name.span),
                                  hint: "give each member one probability", notes: [Diagnostic.Note("first given here", span: first)])
                            allConstant = false
                            continue
                        }
                        seen[index] = m.name.span
                        let p = require(expr(m.value, scope, expected: .number), .number, m.value, scope, what: "a probability")
                        if let c = p.constant?.asNumber {
                            total += c
                            if !(c >= 0 && c <= 1) {
                                error("a probability must be between 0% and 100%", file, m.value.span,
                                      hint: "'\(m.name.text)' is given \(Checker.percentText(c))")
                                allConstant = false
                            }
                        } else {
                            allConstant = false
                        }
                        list.append((Int32(index), p.eval))
                    }
                    if allConstant, abs(total - 1) > 0.0001 {
                        error("the probabilities of '\(name.text)' add up to \(Checker.percentText(total)), not 100%",
                              file, item.span, hint: "make them sum to 100% (±0.01%)")
                    }
                    gen = .categorical(list, enumType: e)
                case .probability(let p):
                    guard type == .bool else {
                        error("a probability draws a bool; '\(name.text)' is \(article(type))", file, name.span,
                              hint: "use uniform A .. B, { member: p, … }, weighted by ATTR or = EXPR")
                        continue
                    }
                    let t = require(expr(p, scope, expected: .number), .number, p, scope, what: "a probability")
                    if let c = t.constant?.asNumber, !(c >= 0 && c <= 1) {
                        error("a probability must be between 0% and 100%", file, p.span)
                    }
                    gen = .probability(t.eval)
                case .weighted(let attr):
                    guard type == .jurisdiction else {
                        error("'weighted by' draws jurisdictions; '\(name.text)' is \(article(type))", file, name.span)
                        continue
                    }
                    guard let a = program.attributes.firstIndex(where: { $0.name == attr.text }) else {
                        error("jurisdictions have no attribute '\(attr.text)'", file, attr.span,
                              hint: suggest(attr.text, program.attributes.map(\.name)))
                        continue
                    }
                    guard program.attributes[a].type.isNumeric else {
                        error("'weighted by' needs a numeric attribute; '\(attr.text)' is \(article(program.attributes[a].type))", file, attr.span)
                        continue
                    }
                    gen = .weighted(attribute: a)
                case .computed(let e):
                    gen = .computed(require(expr(e, scope, expected: type), type, e, scope, what: "the value of '\(name.text)'").eval)
                }
                let c = condition.map { require(expr($0, scope, expected: .bool), .bool, $0, scope, what: "the 'when' condition").eval }
                if let gen {
                    version.rules.append(FieldRule(field: f, generator: gen, condition: c, source: src))
                    generated.insert(f)
                }
            }
        }
        if d.source == nil {
            let missing = info.fields.indices.filter { !attempted.contains($0) && !info.fields[$0].hasDefault }
            if !missing.isEmpty {
                let names = missing.map { info.fields[$0].name }
                error("no generator for \(names.map { "'\($0)'" }.joined(separator: ", ")), which \(names.count == 1 ? "has" : "have") no default",
                      file, d.name.span, hint: "add a line such as \(names[0]) … to the population")
            }
            if version.size == nil {
                error("population '\(d.name.text)' needs a size", file, d.name.span, hint: "add 'size 10_000'")
            }
        }
        return version
    }
}

/// What a population's cases depend on, hashed, so a program can tell when it would build
/// exactly the cases an earlier program built.
///
/// The cases depend on the declaration itself and, through types and draws, on every
/// record and enum (indices are stored in the columns) and the jurisdiction table (indices,
/// and the declared attributes `weighted by` reads). A declaration whose generators are all
/// literals depends on nothing else; one with `= EXPR`, `when COND` or a computed size,
/// seed, bound or probability may read params, lets or decisions, so its fingerprint covers
/// every declaration of the program. A CSV population also covers the file's size and time.
enum PopulationFingerprint {
    /// True when every size, seed, bound and probability is a literal and no field is
    /// computed or conditional.
    static func isSelfContained(_ d: PopulationDecl) -> Bool {
        for item in d.items ?? [] {
            switch item.kind {
            case .size(let e), .seed(let e), .weight(let e):
                guard isLiteral(e) else { return false }
            case .field(_, let generator, let condition):
                guard condition == nil else { return false }
                switch generator {
                case .uniform(let a, let b): guard isLiteral(a), isLiteral(b) else { return false }
                case .categorical(let members): guard members.allSatisfy({ isLiteral($0.value) }) else { return false }
                case .probability(let p): guard isLiteral(p) else { return false }
                case .weighted: break
                case .computed: return false
                }
            }
        }
        return true
    }

    static func isLiteral(_ e: Expr) -> Bool {
        switch e.kind {
        case .int, .number, .percent, .date, .duration, .string, .bool: return true
        case .unary(.negate, let inner), .paren(let inner): return isLiteral(inner)
        default: return false
        }
    }
}

extension Checker {
    /// Mixes the text of declarations into the running hashes that fingerprints are made of
    /// (a continued check mixes only its new statements into its predecessor's hashes).
    func mixDeclarationTexts(_ all: Units) {
        for (unit, statements) in all {
            for s in statements {
                switch s.kind {
                case .expression, .explain, .timeline, .status, .table, .compare, .plot, .sample, .assert, .test: continue
                case .enumDecl, .attributes, .jurisdiction, .jurisdictionsFrom, .agency, .record:
                    declarationHashes.structure.mix(unit.file.text(s.span))
                case .scenario(let decl):
                    var h = StableHash()
                    h.mix(unit.file.text(s.span))
                    declarationHashes.scenarioText[decl.name.text] = h.value
                default: break
                }
                declarationHashes.whole.mix(unit.file.text(s.span))
                if case .scenario = s.kind {} else { declarationHashes.outsideScenarios.mix(unit.file.text(s.span)) }
            }
        }
    }

    /// Sets every population version's fingerprint and every world's (after checking, with
    /// no errors), from the declarations' hashes and what they made.
    func fingerprintPopulations() {
        var structure = declarationHashes.structure, whole = declarationHashes.whole
        var outsideScenarios = declarationHashes.outsideScenarios
        let scenarioText = declarationHashes.scenarioText
        // What the declarations made, including what came from jurisdiction CSV files.
        let table = program.jurisdictions
        for j in 0..<table.count {
            structure.mix(table.names[j])
            structure.mix(table.labels[j] ?? "")
            structure.mix(UInt64(bitPattern: Int64(table.kinds[j])))
            structure.mix(UInt64(bitPattern: Int64(table.parents[j])))
            for v in table.declared[j] { if let v { structure.mix(v) } else { structure.mix("∅") } }
        }
        for e in program.enums { structure.mix(e.name); for m in e.members { structure.mix(m) } }
        whole.mix(structure.value)
        // A world is its scenario's text (and its parents') over everything outside scenarios.
        outsideScenarios.mix(structure.value)
        outsideScenarios.mix(UInt64(program.cascadeLimit))
        outsideScenarios.mix(UInt64(program.firingLimit))
        program.worldFingerprints = program.scenarios.indices.map { i in
            var h = StableHash()
            h.mix(outsideScenarios.value)
            var next: Int? = i
            var depth = 0
            while let k = next, k > 0, depth <= program.scenarios.count {
                h.mix(program.scenarios[k].name)
                h.mix(scenarioText[program.scenarios[k].name] ?? 0)
                next = program.scenarios[k].parent
                depth += 1
            }
            return h.value
        }
        for p in program.populations.indices {
            for v in program.populations[p].versions.indices {
                let version = program.populations[p].versions[v]
                var h = StableHash()
                h.mix(version.declarationText)
                h.mix(version.needsWholeProgram ? whole.value : structure.value)
                if let path = version.csvPath {
                    h.mix(path)
                    h.mix(PopulationFingerprint.fileIdentity(path))
                }
                program.populations[p].versions[v].fingerprint = h.value
            }
        }
    }
}
