import PolicySyntax

// Pass 1: the names and signatures of every top-level declaration, so that bodies may
// refer to anything declared anywhere in the program (§9.4).

extension Checker {
    typealias Units = [(SourceUnit, [Statement])]

    func collectTypes(_ all: Units) {
        // Records and enums declared in scenarios are types like any other (§9.16 forbids
        // only re-declaring an existing one).
        func withScenarioTypes(_ statements: [Statement]) -> [(Statement, inScenario: Bool)] {
            statements.flatMap { s -> [(Statement, inScenario: Bool)] in
                if case .scenario(let d) = s.kind {
                    return d.items.filter {
                        switch $0.kind {
                        case .record, .enumDecl: return true
                        default: return false
                        }
                    }.map { ($0, true) }
                }
                return [(s, false)]
            }
        }
        for (unit, statements) in all {
            for (s, inScenario) in withScenarioTypes(statements) {
                if inScenario, let name = s.declaredName, let previous = typeSources[name.text] {
                    error("a scenario cannot re-declare \(types[name.text].map { if case .record = $0 { return "record" }; return "enum" } ?? "type") '\(name.text)'",
                          unit.file, name.span, hint: "it is declared at \(previous.position); give the new type another name")
                    continue
                }
                switch s.kind {
                case .enumDecl(let d):
                    guard declareType(d.name, .enumType(program.enums.count), unit.file) else { continue }
                    var seen = Set<String>()
                    for m in d.members where !seen.insert(m.text).inserted {
                        error("'\(m.text)' appears twice in enum '\(d.name.text)'", unit.file, m.span)
                    }
                    program.enums.append(EnumInfo(name: d.name.text, members: d.members.map(\.text),
                                                  source: SourceRef(unit.file, d.name.span), doc: s.doc))
                case .record(let d):
                    guard declareType(d.name, .record(program.records.count), unit.file) else { continue }
                    program.records.append(RecordInfo(name: d.name.text, fields: [], source: SourceRef(unit.file, d.name.span), doc: s.doc))
                default:
                    break
                }
            }
        }
        // Field types, once every type name is known. Defaults are checked with the bodies.
        for (unit, statements) in all {
            for (s, _) in withScenarioTypes(statements) {
                guard case .record(let d) = s.kind, case .record(let r)? = types[d.name.text],
                      program.records[r].source.span == d.name.span else { continue }
                var fields: [FieldInfo] = []
                for f in d.fields {
                    if fields.contains(where: { $0.name == f.name.text }) {
                        error("field '\(f.name.text)' appears twice in record '\(d.name.text)'", unit.file, f.name.span)
                        continue
                    }
                    if let value = f.defaultValue { recordDefaultASTs[r, default: [:]][fields.count] = value }
                    let type = resolveType(f.type, unit.file)
                    fields.append(FieldInfo(name: f.name.text, type: type, hasDefault: f.defaultValue != nil, defaultValue: nil,
                                           source: SourceRef(unit.file, f.name.span)))
                }
                program.records[r].fields = fields
            }
        }
    }

    func declareType(_ name: Name, _ symbol: TypeSymbol, _ file: SourceFile) -> Bool {
        if let previous = typeSources[name.text] {
            error("type '\(name.text)' is already declared", file, name.span, hint: "the first declaration is at \(previous.position)")
            return false
        }
        if ["bool", "int", "number", "string", "date", "duration", "jurisdiction", "kind", "set", "list"].contains(name.text) {
            error("'\(name.text)' is a built-in type", file, name.span, hint: "choose another name")
            return false
        }
        types[name.text] = symbol
        typeSources[name.text] = SourceRef(file, name.span)
        return true
    }

    /// A written type, resolved.
    func resolveType(_ t: TypeExpr, _ file: SourceFile) -> PType {
        switch t.kind {
        case .setOf(let e): return .setOf(resolveType(e, file))
        case .listOf(let e): return .listOf(resolveType(e, file))
        case .named(let n):
            switch n {
            case "bool": return .bool
            case "int": return .int
            case "number": return .number
            case "string": return .string
            case "date": return .date
            case "duration": return .duration(nil)
            case "jurisdiction": return .jurisdiction
            case "kind": return .enumType(Program.kindEnum)
            default:
                switch types[n] {
                case .enumType(let i)?: return .enumType(i)
                case .record(let i)?: return .record(i)
                case nil:
                    let builtins = ["bool", "int", "number", "string", "date", "duration", "jurisdiction", "kind"]
                    error("unknown type '\(n)'", file, t.span, hint: suggest(n, builtins + types.keys.sorted()))
                    return .error
                }
            }
        }
    }

    // MARK: - Jurisdictions and attributes

    func collectJurisdictions(_ all: Units) {
        // Attributes first: jurisdictions' attribute values are checked against them.
        var attributesSeen: SourceRef?
        for (unit, statements) in all {
            for s in statements {
                guard case .attributes(let fields) = s.kind else { continue }
                if let previous = attributesSeen {
                    error("'jurisdiction attributes' is declared twice", unit.file, s.span,
                          hint: "declare all attributes once; the first is at \(previous.position)")
                    continue
                }
                attributesSeen = SourceRef(unit.file, s.span)
                for f in fields {
                    if ["name", "label", "kind", "parent"].contains(f.name.text) {
                        error("an attribute cannot be called '\(f.name.text)' (it is a built-in accessor)", unit.file, f.name.span,
                              hint: "choose another name")
                        continue
                    }
                    if program.attributes.contains(where: { $0.name == f.name.text }) {
                        error("attribute '\(f.name.text)' appears twice", unit.file, f.name.span)
                        continue
                    }
                    let type = resolveType(f.type, unit.file)
                    let value = zeroValue(type)
                    if let d = f.defaultValue {
                        pendingAttributeValues.append((nil, program.attributes.count, d, unit.file))
                    } else if type != .error {
                        error("attribute '\(f.name.text)' needs a default", unit.file, f.name.span,
                              hint: "write \(f.name.text): \(program.describe(type)) = …")
                    }
                    program.attributes.append(AttributeInfo(name: f.name.text, type: type, defaultValue: value,
                                                            source: SourceRef(unit.file, f.name.span)))
                }
            }
        }

        var parents: [(Int32, Name, SourceFile)] = []
        var csvParents: [(Int32, String, SourceRef)] = []
        var table = JurisdictionTable()
        for (unit, statements) in all {
            for s in statements {
                switch s.kind {
                case .jurisdiction(let d):
                    let j = Int32(table.count)
                    guard declare(d.name, .jurisdiction(j), unit.file) else { continue }
                    table.names.append(d.name.text)
                    table.labels.append(d.label?.value)
                    table.kinds.append(kindMember(d.kind.text))
                    table.parents.append(-1)
                    table.sources.append(SourceRef(unit.file, d.name.span))
                    table.docs.append(s.doc)
                    table.byName[d.name.text] = j
                    var values = [Value?](repeating: nil, count: program.attributes.count)
                    for a in d.attributes {
                        guard let index = program.attributes.firstIndex(where: { $0.name == a.name.text }) else {
                            error("unknown attribute '\(a.name.text)'", unit.file, a.name.span,
                                  hint: suggest(a.name.text, program.attributes.map(\.name))
                                    ?? (program.attributes.isEmpty ? "declare it in 'jurisdiction attributes { … }'" : nil))
                            continue
                        }
                        if values[index] != nil {
                            error("attribute '\(a.name.text)' is set twice", unit.file, a.name.span)
                        }
                        values[index] = zeroValue(program.attributes[index].type) // set when the world is built
                        pendingAttributeValues.append((j, index, a.value, unit.file))
                    }
                    table.declared.append(values)
                    if let p = d.parent { parents.append((j, p, unit.file)) }
                case .jurisdictionsFrom(let path):
                    loadJurisdictions(path, unit.file, into: &table, parents: &csvParents)
                default:
                    break
                }
            }
        }
        for (j, p, file) in parents {
            guard let parent = table.byName[p.text] else {
                error("unknown parent jurisdiction '\(p.text)'", file, p.span, hint: suggest(p.text, table.names))
                continue
            }
            table.parents[Int(j)] = parent
        }
        for (j, p, src) in csvParents {
            guard let parent = table.byName[p] else {
                error("unknown parent jurisdiction '\(p)'", src, hint: suggest(p, table.names))
                continue
            }
            table.parents[Int(j)] = parent
        }
        if let cycle = table.link() {
            let names = cycle.map { table.names[Int($0)] }
            if let first = cycle.first, let source = table.sources[Int(first)] {
                error("the jurisdictions form a cycle: \((names + [names[0]]).joined(separator: " → "))", source,
                      hint: "each jurisdiction needs a parent above it, up to a root")
            }
            for j in cycle { table.parents[Int(j)] = -1 }
            _ = table.link()
        }
        program.jurisdictions = table
    }

    /// The `kind` member for a kind name, added on first appearance (§9.9).
    func kindMember(_ kind: String) -> Int32 {
        if let i = program.enums[Program.kindEnum].members.firstIndex(of: kind) { return Int32(i) }
        program.enums[Program.kindEnum].members.append(kind)
        return Int32(program.enums[Program.kindEnum].members.count - 1)
    }

    /// A value of type `t` standing in until the real one is known.
    static func placeholder(_ t: PType) -> Value {
        switch t {
        case .bool: return .bool(false)
        case .int: return .int(0)
        case .number: return .number(0)
        case .string: return .string("")
        case .date: return .date(0)
        case .duration(let f): return .duration(0, f ?? .days)
        case .enumType(let e): return .member(type: Int32(e), index: 0)
        case .jurisdiction: return .jurisdiction(0)
        case .setOf: return .set([])
        case .listOf: return .list([])
        default: return .bool(false)
        }
    }

    /// A value every type has, used when a declaration is in error.
    func zeroValue(_ t: PType) -> Value { Checker.placeholder(t) }

    // MARK: - Signatures

    func collectSignatures(_ all: Units) {
        for (unit, statements) in all {
            for s in statements {
                collectSignature(s, unit.file, scenario: 0)
            }
        }
    }

    /// Registers a declaration's name and signature; its body is checked later.
    func collectSignature(_ s: Statement, _ file: SourceFile, scenario: Int) {
        let source = SourceRef(file, s.span)
        switch s.kind {
        case .agency(let d):
            guard let territory = program.jurisdictions.byName[d.territory.text] else {
                error("unknown jurisdiction '\(d.territory.text)'", file, d.territory.span,
                      hint: suggest(d.territory.text, program.jurisdictions.names))
                _ = declare(d.name, .agency(program.agencies.count), file, scenario: scenario)
                program.agencies.append(AgencyInfo(name: d.name.text, territory: 0, label: d.label?.value, source: source, doc: s.doc))
                return
            }
            guard declare(d.name, .agency(program.agencies.count), file, scenario: scenario) else { return }
            program.agencies.append(AgencyInfo(name: d.name.text, territory: territory, label: d.label?.value, source: source, doc: s.doc))
        case .param(let d):
            guard declare(d.name, .param(program.params.count), file, scenario: scenario) else { return }
            let type = d.type.map { resolveType($0, file) }
            program.params.append(ParamInfo(name: d.name.text, type: type ?? .error, versions: [], doc: s.doc))
            pendingParams.append((program.params.count - 1, d, file, scenario, type == nil))
        case .let(let d):
            guard declare(d.name, .letDef(program.lets.count), file, scenario: scenario) else { return }
            let paramTypes = d.parameters.map { $0.map { resolveType($0.type, file) } }
            let type = d.type.map { resolveType($0, file) }
            program.lets.append(LetInfo(name: d.name.text, parameterTypes: paramTypes,
                                        parameterNames: d.parameters?.map(\.name.text) ?? [],
                                        type: type ?? .error, versions: [], doc: s.doc))
            let id = program.lets.count - 1
            letTypeState[id] = type != nil
            pendingLets.append((id, -1, d, SourceRef(file, d.name.span), scenario))
        case .decision(let d):
            guard declare(d.name, .decision(program.decisions.count), file, scenario: scenario) else { return }
            let type = resolveType(d.type, file)
            var caseType = -1
            if d.parameters.count != 1 {
                let example = d.parameters.first.map { "\($0.name.text): \($0.type.formatted)" }
                    ?? "b: \(program.records.first(where: { $0.isCaseType })?.name ?? "booking")"
                error("a decision takes exactly one case, not \(d.parameters.count)", file, d.name.span,
                      hint: "write decision \(d.name.text)(\(example)): \(d.type.formatted) = …")
            } else {
                let pt = resolveType(d.parameters[0].type, file)
                if case .record(let r) = pt, program.records[r].isCaseType {
                    caseType = r
                } else if pt != .error {
                    error("a decision's case must be a record with fields 'date: date' and 'jurisdiction: jurisdiction'",
                          file, d.parameters[0].type.span,
                          hint: pt == .error ? nil : "'\(program.describe(pt))' is not a case type")
                }
            }
            program.decisions.append(DecisionInfo(name: d.name.text, caseType: caseType,
                                                  parameterName: d.parameters.first?.name.text ?? "c",
                                                  type: type, versions: [], doc: s.doc))
            pendingDecisions.append((program.decisions.count - 1, d, file, scenario))
        case .policy(let d):
            guard declare(d.name, .policy(program.policies.count), file, scenario: scenario) else { return }
            program.policies.append(PolicyInfo(name: d.name.text, parameterTypes: d.parameters.map { $0.map { resolveType($0.type, file) } },
                                               parameterNames: d.parameters?.map(\.name.text) ?? [], versions: [], doc: s.doc))
            pendingPolicies.append((program.policies.count - 1, d, file, scenario))
        case .event(let d):
            guard declare(d.name, .event(program.events.count), file, scenario: scenario) else { return }
            program.events.append(EventInfo(name: d.name.text, versions: [], doc: s.doc))
            pendingEvents.append((program.events.count - 1, d, file, scenario))
        case .reaction(let d):
            let id = program.reactions.count
            var name = "reaction at \(SourceRef(file, s.span).shortPosition)"
            if let n = d.name {
                guard declare(n, .reaction(id), file, scenario: scenario) else { return }
                name = n.text
            }
            var variable: String?
            if case .condition(let v, _) = d.trigger { variable = v.text }
            program.reactions.append(ReactionInfo(name: name, isNamed: d.name != nil, variableName: variable, versions: []))
            pendingReactions.append((id, d, file, scenario, SourceRef(file, s.span)))
        case .population(let d):
            guard declare(d.name, .population(program.populations.count), file, scenario: scenario) else { return }
            var record = -1
            if case .record(let r)? = types[d.record.text] { record = r } else {
                error("unknown record type '\(d.record.text)'", file, d.record.span,
                      hint: suggest(d.record.text, program.records.map(\.name)))
            }
            var info = PopulationInfo(name: d.name.text, record: record, versions: [], doc: s.doc)
            info.isWeighted = d.items?.contains { if case .weight = $0.kind { return true }; return false } ?? false
            program.populations.append(info)
            pendingPopulations.append((program.populations.count - 1, d, file, scenario, s.span))
        case .scenario(let d):
            guard scenario == 0 else {
                error("a scenario cannot be declared inside another", file, d.name.span)
                return
            }
            guard declare(d.name, .scenario(program.scenarios.count), file) else { return }
            program.scenarios.append(ScenarioInfo(name: d.name.text, label: d.label?.value, parent: nil, source: source, doc: s.doc))
        default:
            break
        }
    }
}

extension Checker {
    /// A constant (an attribute's value or default): checked, then evaluated now.
    func constant(_ e: Expr, expected: PType, _ file: SourceFile, what: String) -> Value? {
        let scope = Scope(file: file)
        let t = require(expr(e, scope, expected: expected), expected, e, scope, what: what)
        guard t.type != .error else { return nil }
        if let c = t.constant { return c }
        var frame = Frame(world: scratchWorld)
        do {
            return try t.eval(&frame)
        } catch let err as EvalError {
            error("\(what) must be a constant: \(err.message)", scope.ref(e.span))
        } catch {
            self.error("\(what) must be a constant", scope.ref(e.span))
        }
        return nil
    }
}

extension Checker {
    /// Checks attribute values and defaults (once every name is known, §9.4).
    func checkAttributeValues() {
        for item in pendingAttributeValues {
            let type = program.attributes[item.attribute].type
            let scope = Scope(file: item.file)
            let t = require(expr(item.expr, scope, expected: type), type, item.expr, scope,
                            what: item.jurisdiction == nil ? "an attribute's default" : "an attribute value")
            if let c = t.constant {
                store(item.jurisdiction, item.attribute, c)
            } else {
                attributeEvals.append((item.jurisdiction, item.attribute, t.eval))
            }
        }
        program.attributeEvaluations = attributeEvals
    }

    func store(_ j: Int32?, _ a: Int, _ v: Value) {
        if let j { program.jurisdictions.declared[Int(j)][a] = v } else { program.attributes[a].defaultValue = v }
    }
}

extension Checker {
    /// `jurisdictions from "file.csv"`: columns `name,kind,parent[,label][,ATTR…]` (§4.2,
    /// §9.19). Read while checking, so the names can be used in the code. A bad row fails the
    /// whole file, and nothing from it is loaded.
    func loadJurisdictions(_ path: StringLiteral, _ file: SourceFile, into table: inout JurisdictionTable,
                           parents: inout [(Int32, String, SourceRef)]) {
        guard let provider else {
            error("'jurisdictions from' is not available here", file, path.span)
            return
        }
        let resolved = provider.resolve(path.value, relativeTo: file)
        let csvFile: SourceFile
        switch provider.loadBytes(resolved) {
        case .failure(let e):
            if !e.exceedsLimit { unreadableInput = true }
            error("cannot read '\(path.value)': \(e.reason)", file, path.span, hint: e.hint ?? "paths are relative to the folder of \(file.name)")
            return
        case .success(let bytes): csvFile = SourceFile(name: resolved, bytes: bytes)
        }
        program.files.append(csvFile)
        let csv: CSVTable
        switch CSVTable.parse(csvFile) {
        case .failure(let e):
            if let src = e.source { error(e.message, src, hint: e.hint) }
            return
        case .success(let t): csv = t
        }
        let header = csv.header.map { $0.text.trimmingSpaces() }
        guard header.count >= 3, header[0] == "name", header[1] == "kind", header[2] == "parent" else {
            error("a jurisdictions file starts with the columns name,kind,parent", SourceRef(csvFile, csv.header.first?.span ?? .zero),
                  hint: "then optionally label, then attribute columns")
            return
        }
        let labelColumn = header.count > 3 && header[3] == "label" ? 3 : nil
        var attributeColumns: [(column: Int, attribute: Int)] = []
        for (c, name) in header.enumerated() where c >= 3 && c != labelColumn {
            guard let a = program.attributes.firstIndex(where: { $0.name == name }) else {
                error("column '\(name)' is not a jurisdiction attribute", SourceRef(csvFile, csv.header[c].span),
                      hint: suggest(name, program.attributes.map(\.name) + ["label"])
                        ?? "declare it in 'jurisdiction attributes { … }'")
                return
            }
            attributeColumns.append((c, a))
        }
        // Read every row before adding any.
        struct Row { var name: String; var kind: String; var parent: String?; var label: String?; var values: [Value?]; var src: SourceRef; var parentSrc: SourceRef }
        var rows: [Row] = []
        var seen = Set<String>()
        let parser = CellParser(program: program)
        for (line, cells) in csv.rows {
            guard cells.count == header.count else {
                error("line \(line) has \(cells.count) cell\(cells.count == 1 ? "" : "s"); the header has \(header.count)",
                      SourceRef(csvFile, cells.first?.span ?? .zero), hint: "a comma inside a cell needs quotes")
                return
            }
            let name = cells[0].text.trimmingSpaces()
            let src = SourceRef(csvFile, cells[0].span)
            guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic),
                  name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }),
                  TokenKind.keyword(name) == nil else {
                error("'\(name)' cannot be a jurisdiction's name (letters, digits and _, not starting with a digit, not a keyword)", src,
                      hint: "put the full name in the label column")
                return
            }
            if seen.contains(name) || table.byName[name] != nil || globals[name] != nil {
                error("jurisdiction '\(name)' is declared twice", src)
                return
            }
            seen.insert(name)
            let kind = cells[1].text.trimmingSpaces()
            guard !kind.isEmpty else {
                error("jurisdiction '\(name)' has no kind", SourceRef(csvFile, cells[1].span), hint: "write federal, state, county, city …")
                return
            }
            let parent = cells[2].text.trimmingSpaces()
            let label = labelColumn.map { cells[$0].text.trimmingSpaces() }.flatMap { $0.isEmpty ? nil : $0 }
            var values = [Value?](repeating: nil, count: program.attributes.count)
            for (c, a) in attributeColumns where !cells[c].text.trimmingSpaces().isEmpty {
                switch parser.parse(cells[c], as: program.attributes[a].type, csvFile) {
                case .success(let v): values[a] = v
                case .failure(let e):
                    if let s = e.source { error(e.message, s, hint: e.hint) }
                    return
                }
            }
            rows.append(Row(name: name, kind: kind, parent: parent.isEmpty ? nil : parent, label: label, values: values,
                            src: src, parentSrc: SourceRef(csvFile, cells[2].span)))
        }
        for row in rows {
            let j = Int32(table.count)
            table.names.append(row.name)
            table.labels.append(row.label)
            table.kinds.append(kindMember(row.kind))
            table.parents.append(-1)
            table.sources.append(row.src)
            table.docs.append(nil)
            table.declared.append(row.values)
            table.byName[row.name] = j
            globals[row.name] = .jurisdiction(j)
            visibleCache = [:]
            globalSources[row.name] = row.src
            if let p = row.parent { parents.append((j, p, row.parentSrc)) }
        }
    }
}
