import PolicyCore

/// The file a shard writes (`policy run FILE --shard K/N --out DIR`): which program and data
/// it ran, with which `policy` and limits, which shard it is, and each of its units with the
/// seed its cases were drawn with and its result — for a query, every group's cells before
/// they are summarised (so that the merge's means, intervals, counts and sums are exact);
/// for any other statement, what it printed. One JSON document, a line per unit.
struct ShardFile {
    static let format = "policy-shard/1"

    /// A file the program read, by its FNV-1a hash and size.
    struct FileHash: Equatable {
        var path: String
        var hash: UInt64
        var bytes: Int
    }

    var version: String
    /// The hash of every source file, in the order they were read.
    var program: UInt64
    /// The folder the shard ran in: the scripts' paths, and the files they name, are read from it.
    var cwd: String
    var sources: [FileHash]
    var data: [FileHash]
    /// The files `policy run` was given, as absolute paths: what the merge loads.
    var scripts: [String]
    /// `--limit` settings that differ from the defaults.
    var limits: [String]
    /// 1…shards.
    var shard: Int
    var shards: Int
    var units: [(PlannedUnit, UnitResult)]

    static func fileName(shard: Int, of shards: Int) -> String {
        let width = String(shards).count
        func padded(_ n: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "shard-\(padded(shard))-of-\(shards).json"
    }

    static func hex(_ h: UInt64) -> String {
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    // MARK: - Writing

    func encode() -> String {
        func files(_ fs: [FileHash]) -> JSONValue {
            .array(fs.map { .object([("path", .string($0.path)), ("fnv1a64", .string(ShardFile.hex($0.hash))), ("bytes", .int($0.bytes))]) })
        }
        let head: [(String, JSONValue)] = [
            ("format", .string(ShardFile.format)),
            ("policy", .string(version)),
            ("program", .string(ShardFile.hex(program))),
            ("cwd", .string(cwd)),
            ("scripts", .array(scripts.map { .string($0) })),
            ("limits", .array(limits.map { .string($0) })),
            ("sources", files(sources)),
            ("data", files(data)),
            ("shard", .int(shard)),
            ("shards", .int(shards)),
        ]
        var out = "{\n"
        for (k, v) in head { out += TableRenderer.jsonString(k) + ":" + v.text + ",\n" }
        out += "\"units\":["
        for (i, (planned, result)) in units.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += ShardFile.encode(planned, result).text
        }
        out += "\n]}\n"
        return out
    }

    static func encode(_ p: PlannedUnit, _ r: UnitResult) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("statement", .int(p.unit.statement)), ("point", .int(p.unit.point)), ("replicate", .int(p.unit.replicate)),
            ("label", .string(p.label)), ("cost", .double(p.cost)), ("seed", p.seed.map { .int($0) } ?? .null),
        ]
        switch r {
        case .partial(let part):
            members.append(("groups", .array(part.groups.map { g in
                .object([("key", .array(g.key.map(encode))), ("cells", .array(g.cells.map { .array($0.map(encode)) }))])
            })))
            members.append(("differing", .array(part.differing.map(AttributionJSON.encode))))
        case .outputs(let outputs):
            members.append(("outputs", .array(outputs.map(encode))))
        }
        return .object(members)
    }

    static func encode(_ v: Value) -> JSONValue {
        switch v {
        case .bool(let b): return .object([("bool", .bool(b))])
        case .int(let i): return .object([("int", .int(i))])
        case .number(let x): return .object([("number", .double(x))])
        case .string(let s): return .object([("string", .string(s))])
        case .date(let d): return .object([("date", .int(d))])
        case .duration(let n, let f): return .object([("duration", .array([.int(n), .int(f.rawValue)]))])
        case .member(let t, let i): return .object([("member", .array([.int(t), .int(i)]))])
        case .jurisdiction(let j): return .object([("jurisdiction", .int(j))])
        case .set(let xs): return .object([("set", .array(xs.map(encode)))])
        case .list(let xs): return .object([("list", .array(xs.map(encode)))])
        case .record(let r):
            return .object([("record", .array([.int(r.type), .int(r.identity), .int(r.seed), .array(r.fields.map(encode))]))])
        }
    }

    static func encode(_ c: ResultTable.Cell) -> JSONValue {
        switch c {
        case .text(let s): return .object([("text", .string(s))])
        case .int(let i): return .object([("int", .int(i))])
        case .number(let x): return .object([("number", .double(x))])
        case .percent(let x): return .object([("percent", .double(x))])
        case .estimate(let e):
            let unit = e.unit == .count ? "count" : e.unit == .number ? "number" : "percent"
            return .object([("estimate", .array([.double(e.mean), .double(e.sd), .double(e.low), .double(e.high), .int(e.n), .string(unit)]))])
        case .empty: return .null
        }
    }

    static func encode(_ o: Output) -> JSONValue {
        switch o {
        case .value(let s, let v): return .object([("value", .array([.string(s), encode(v)]))])
        case .text(let s): return .object([("text", .string(s))])
        case .explanation(let text, let json): return .object([("explanation", .array([.string(text), .string(json)]))])
        case .assertionFailed(let s): return .object([("assertionFailed", .string(s))])
        case .testResult(let name, let passed, let details):
            return .object([("test", .array([.string(name), .bool(passed), details.map { .string($0) } ?? .null]))])
        case .table(let t):
            return .object([("table", .object([
                ("title", t.title.map { .string($0) } ?? .null),
                ("groups", .array(t.groups.map { .array([.string($0.title), .int($0.span)]) })),
                ("header", .array(t.header.map { .string($0) })),
                ("keyColumns", .int(t.keyColumns)),
                ("rows", .array(t.rows.map { .array($0.map(encode)) })),
                ("notes", .array(t.notes.map { .string($0) })),
                ("attribution", .array(t.attribution.map { AttributionJSON.encode($0) })),
                ("output", t.output.map { .string($0) } ?? .null),
            ]))])
        case .chart(let c):
            return .object([("chart", .object([
                ("title", .string(c.title)),
                ("x_label", .string(c.xLabel)),
                ("y_label", .string(c.yLabel)),
                ("titled", .bool(c.isTitled)),
                ("keys", .array(c.keys.map { .string($0) })),
                ("series", .array(c.series.map { .array([.string($0.name), .array($0.values.map { .double($0) })]) })),
                ("output", c.output.map { .string($0) } ?? .null),
                ("bands", .array(c.bands.map { b in
                    b.map { .array([.array($0.low.map { .double($0) }), .array($0.high.map { .double($0) })]) } ?? .null
                })),
            ]))])
        }
    }

    // MARK: - Reading

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func decode(_ text: String) throws -> ShardFile {
        let doc: JSONValue
        do { doc = try JSONValue.parse(text) } catch { throw Invalid(description: "\(error)") }
        guard doc["format"]?.string == format else { throw Invalid(description: "not a shard file of policy (no \"format\": \"\(format)\")") }
        func need<T>(_ v: T?, _ what: String) throws -> T {
            guard let v else { throw Invalid(description: "its \(what) is missing or malformed") }
            return v
        }
        func files(_ key: String) throws -> [FileHash] {
            try need(doc[key]?.array, key).map { f in
                FileHash(path: try need(f["path"]?.string, "\(key) path"),
                         hash: try need(f["fnv1a64"]?.string.flatMap { UInt64($0, radix: 16) }, "\(key) hash"),
                         bytes: try need(f["bytes"]?.int, "\(key) size"))
            }
        }
        var file = ShardFile(
            version: try need(doc["policy"]?.string, "policy version"),
            program: try need(doc["program"]?.string.flatMap { UInt64($0, radix: 16) }, "program fingerprint"),
            cwd: try need(doc["cwd"]?.string, "folder"),
            sources: try files("sources"), data: try files("data"),
            scripts: try need(doc["scripts"]?.array, "scripts").map { try need($0.string, "script") },
            limits: try need(doc["limits"]?.array, "limits").map { try need($0.string, "limit") },
            shard: try need(doc["shard"]?.int, "shard"), shards: try need(doc["shards"]?.int, "shard count"),
            units: [])
        for u in try need(doc["units"]?.array, "units") {
            let unit = WorkUnit(statement: try need(u["statement"]?.int, "unit statement"),
                                point: try need(u["point"]?.int, "unit point"),
                                replicate: try need(u["replicate"]?.int, "unit replicate"))
            let planned = PlannedUnit(unit: unit, cost: try need(u["cost"]?.double, "unit cost"),
                                      label: try need(u["label"]?.string, "unit label"), seed: u["seed"]?.uint64,
                                      shard: file.shard - 1)
            if let outputs = u["outputs"]?.array {
                file.units.append((planned, .outputs(try outputs.map { try need(output($0), "unit output") })))
                continue
            }
            var part = UnitPartial(groups: [], differing: [])
            for g in try need(u["groups"]?.array, "unit groups") {
                let key = try need(g["key"]?.array, "group key").map { try need(value($0), "group key") }
                let cells = try need(g["cells"]?.array, "group cells").map { row in
                    try need(row.array, "group cells").map { try need(cell($0), "group cell") }
                }
                part.groups.append(.init(key: key, cells: cells))
            }
            for d in try need(u["differing"]?.array, "unit differing") {
                part.differing.append(try need(AttributionJSON.differing(d), "unit differing"))
            }
            file.units.append((planned, .partial(part)))
        }
        return file
    }

    static func value(_ j: JSONValue) -> Value? {
        guard case .object(let m) = j, m.count == 1, let (k, v) = m.first else { return nil }
        switch k {
        case "bool": return v.bool.map { .bool($0) }
        case "int": return v.int64.map { .int($0) }
        case "number": return v.double.map { .number($0) }
        case "string": return v.string.map { .string($0) }
        case "date": return v.int.flatMap { Int32(exactly: $0) }.map { .date($0) }
        case "jurisdiction": return v.int.flatMap { Int32(exactly: $0) }.map { .jurisdiction($0) }
        case "duration":
            guard let a = v.array, a.count == 2, let n = a[0].int64, let f = a[1].int.flatMap({ UInt8(exactly: $0) }).flatMap(DurationFamily.init(rawValue:)) else { return nil }
            return .duration(n, f)
        case "member":
            guard let a = v.array, a.count == 2, let t = a[0].int.flatMap({ Int32(exactly: $0) }), let i = a[1].int.flatMap({ Int32(exactly: $0) }) else { return nil }
            return .member(type: t, index: i)
        case "set", "list":
            guard let a = v.array else { return nil }
            var xs: [Value] = []
            for x in a { guard let y = value(x) else { return nil }; xs.append(y) }
            return k == "set" ? .set(xs) : .list(xs)
        case "record":
            guard let a = v.array, a.count == 4, let t = a[0].int, let identity = a[1].uint64, let seed = a[2].uint64,
                  let fs = a[3].array else { return nil }
            var fields: [Value] = []
            for x in fs { guard let y = value(x) else { return nil }; fields.append(y) }
            return .record(RecordValue(type: t, fields: fields, identity: identity, seed: seed))
        default: return nil
        }
    }

    static func cell(_ j: JSONValue) -> ResultTable.Cell? {
        if j == .null { return .empty }
        guard case .object(let m) = j, m.count == 1, let (k, v) = m.first else { return nil }
        switch k {
        case "text": return v.string.map { .text($0) }
        case "int": return v.int64.map { .int($0) }
        case "number": return v.double.map { .number($0) }
        case "percent": return v.double.map { .percent($0) }
        case "estimate":
            guard let a = v.array, a.count == 6, let mean = a[0].double, let sd = a[1].double, let low = a[2].double,
                  let high = a[3].double, let n = a[4].int, let u = a[5].string else { return nil }
            let unit: Estimate.Unit
            switch u {
            case "count": unit = .count
            case "number": unit = .number
            case "percent": unit = .percent
            default: return nil
            }
            return .estimate(Estimate(mean: mean, sd: sd, low: low, high: high, n: n, unit: unit))
        default: return nil
        }
    }

    static func output(_ j: JSONValue) -> Output? {
        guard case .object(let m) = j, m.count == 1, let (k, v) = m.first else { return nil }
        switch k {
        case "value":
            guard let a = v.array, a.count == 2, let s = a[0].string, let x = value(a[1]) else { return nil }
            return .value(s, x)
        case "text": return v.string.map { .text($0) }
        case "explanation":
            guard let a = v.array, a.count == 2, let text = a[0].string, let json = a[1].string else { return nil }
            return .explanation(text: text, json: json)
        case "assertionFailed": return v.string.map { .assertionFailed($0) }
        case "test":
            guard let a = v.array, a.count == 3, let name = a[0].string, let passed = a[1].bool else { return nil }
            return .testResult(name: name, passed: passed, details: a[2].string)
        case "table":
            guard let header = v["header"]?.array?.compactMap(\.string), let keyColumns = v["keyColumns"]?.int,
                  let rowsJ = v["rows"]?.array, let notes = v["notes"]?.array?.compactMap(\.string),
                  let groupsJ = v["groups"]?.array else { return nil }
            var rows: [[ResultTable.Cell]] = []
            for r in rowsJ {
                guard let cs = r.array else { return nil }
                var row: [ResultTable.Cell] = []
                for c in cs { guard let x = cell(c) else { return nil }; row.append(x) }
                rows.append(row)
            }
            var t = ResultTable(title: v["title"]?.string, header: header, keyColumns: keyColumns, rows: rows)
            for g in groupsJ {
                guard let a = g.array, a.count == 2, let title = a[0].string, let span = a[1].int else { return nil }
                t.groups.append((title, span))
            }
            t.notes = notes
            for a in v["attribution"]?.array ?? [] {
                guard let x = AttributionJSON.attributedCases(a) else { return nil }
                t.attribution.append(x)
            }
            t.output = v["output"]?.string
            return .table(t)
        case "chart":
            guard let title = v["title"]?.string, let keys = v["keys"]?.array?.compactMap(\.string),
                  let seriesJ = v["series"]?.array else { return nil }
            var series: [(name: String, values: [Double])] = []
            for s in seriesJ {
                guard let a = s.array, a.count == 2, let name = a[0].string, let vs = a[1].array else { return nil }
                let values = vs.compactMap(\.double)
                guard values.count == vs.count else { return nil }
                series.append((name, values))
            }
            var bands: [(low: [Double], high: [Double])?] = []
            for b in v["bands"]?.array ?? [] {
                guard let pair = b.array else { bands.append(nil); continue }
                guard pair.count == 2, let low = pair[0].array?.compactMap(\.double), let high = pair[1].array?.compactMap(\.double) else { return nil }
                bands.append((low, high))
            }
            var chart = ChartData(title: title, keys: keys, series: series, output: v["output"]?.string, bands: bands)
            chart.xLabel = v["x_label"]?.string ?? ""
            chart.yLabel = v["y_label"]?.string ?? ""
            chart.isTitled = v["titled"]?.bool ?? false
            return .chart(chart)
        default: return nil
        }
    }
}

/// FNV-1a, 64 bits: a file's fingerprint (not a defence against forgery, which a shard's
/// own directory does not need; a guard against mixing runs of different files).
enum FNV1a {
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, into start: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = start
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBufferPointer { hash($0) } }

    static func hash(_ text: String) -> UInt64 { hash(Array(text.utf8)) }
}
