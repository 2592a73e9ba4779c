import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `plot … to "file.svg"` writes a standalone SVG: well-formed XML (checked by a real XML
/// parser), with axes, the keys as labels, and a legend naming each series — whatever
/// characters the keys and names contain.
final class PlotSVGTests: XCTestCase {
    /// Collects elements and text; records the first parse error.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var texts: [String] = []
        var current = ""
        var root: (name: String, attributes: [String: String])?
        var error: Error?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = (name, attributes) }
            elements.append(name)
            current = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { texts.append(current) }
            current = ""
        }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = error ?? parseError }
    }

    func parse(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> Collector {
        let parser = XMLParser(data: data)
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        XCTAssertTrue(ok, "not well-formed XML: \(String(describing: collector.error ?? parser.parserError))\n\(String(decoding: data.prefix(3_000), as: UTF8.self))",
                      file: file, line: line)
        return collector
    }

    let program = """
        jurisdiction usa: federal
        jurisdiction a: state in usa "A & <B>"
        record b { date: date, jurisdiction: jurisdiction, tag: string = "" }
        population p of b {
          size 2_000
          seed 7
          date uniform 2010-01-01 .. 2014-12-31
          jurisdiction = a
          tag { }
        }
        decision flagged(x: b): bool = false
        policy strict by usa { flagged(x) = year(x.date) >= 2012 }
        scenario loose "Tom's <fast> & \\"loose\\"" { cancel strict }

        """

    func writeProgram(_ extra: String) throws -> (URL, String) {
        let dir = try scratchDirectory()
        let text = program.replacingOccurrences(of: "  tag { }\n", with: "") + extra
        return (dir, try writeFile(dir, "plot.policy", text))
    }

    func testSVGIsWellFormedWithAxesLabelsAndLegend() throws {
        let (dir, script) = try writeProgram("""
            plot count(flagged) by year from p under baseline, loose to "chart.svg"

            """)
        let r = try PolicyProcess.run(["run", "--no-color", script], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("wrote ") && r.stdout.contains("chart.svg"), r.stdout)
        let data = try readFile(dir.appendingPathComponent("chart.svg").path)
        let svg = parse(data)
        XCTAssertEqual(svg.root?.name, "svg")
        XCTAssertEqual(svg.root?.attributes["xmlns"], "http://www.w3.org/2000/svg")
        XCTAssertNotNil(svg.root?.attributes["viewBox"])
        XCTAssertGreaterThanOrEqual(svg.elements.filter { $0 == "line" }.count, 2, "two axes")
        XCTAssertEqual(svg.elements.filter { $0 == "polyline" }.count, 2, "one line per scenario")
        for year in 2010...2014 { XCTAssertTrue(svg.texts.contains(String(year)), "key \(year) labelled: \(svg.texts)") }
        XCTAssertTrue(svg.texts.contains { $0.contains("baseline") }, "legend: \(svg.texts)")
        // The scenario's name with XML's special characters, escaped and read back intact.
        XCTAssertTrue(svg.texts.contains { $0.contains("loose") }, "legend: \(svg.texts)")
    }

    func testSVGKeysWithMarkupAndControlCharactersStayWellFormed() throws {
        let (dir, script) = try writeProgram("""
            let label(x: b): string = if year(x.date) < 2012 then "<early> & \\"old\\"\\u{1}" else "late 'n' new\\t"
            plot count by label from p to "keys.svg"
            plot share(flagged) by month from p under loose to "months.svg"

            """)
        let r = try PolicyProcess.run(["run", "--no-color", script], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let keys = parse(try readFile(dir.appendingPathComponent("keys.svg").path))
        XCTAssertTrue(keys.texts.contains { $0.hasPrefix("<early> & \"old\"") }, "escaped key read back: \(keys.texts)")
        XCTAssertTrue(keys.texts.contains { $0.hasPrefix("late 'n' new") }, "\(keys.texts)")
        let months = parse(try readFile(dir.appendingPathComponent("months.svg").path))
        XCTAssertTrue(months.texts.contains("2010-01"), "month keys (every few labelled): \(months.texts.prefix(20))")
    }

    func testPlotToAFolderThatDoesNotExistIsAnErrorAndWritesNothing() throws {
        let (dir, script) = try writeProgram("""
            plot count by year from p to "missing/chart.svg"

            """)
        let r = try PolicyProcess.run(["run", "--no-color", script], currentDirectory: dir)
        XCTAssertEqual(r.status, 65, "a file that cannot be written is an error")
        XCTAssertTrue(r.stderr.contains("error: cannot write '"), r.stderr)
        XCTAssertTrue(r.stderr.contains("missing/chart.svg': No such file or directory"), r.stderr)
        XCTAssertTrue(r.stderr.contains("plot.policy:13:1\n"), "points at the plot statement: \(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))
    }

    /// Charts laid out for what they hold: round ticks (1-2-5 steps), a legend of many long
    /// names that wraps instead of running off the canvas, bars for categorical keys and lines
    /// for years, a dashed line for a series that coincides with an earlier one, long labels
    /// shortened with an ellipsis. Rendered to PNG by a real renderer (rsvg-convert), whose
    /// outermost pixels must all be white: nothing is drawn past the edge.
    func testChartsFitTheirCanvas() throws {
        let long = (1...9).map { "count(flagged and year(date) >= \(2009 + $0))" }.joined(separator: ", ")
        let (dir, script) = try writeProgram("""
            let region(x: b): string = if year(x.date) < 2012 then "a very long category name for early cases" else "late"
            plot \(long) by year from p under baseline, loose to "legend.svg"
            plot count by region from p under baseline, loose to "bars.svg"

            """)
        let r = try PolicyProcess.run(["run", "--no-color", script], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let legendData = try readFile(dir.appendingPathComponent("legend.svg").path)
        let legend = parse(legendData)
        let text = String(decoding: legendData, as: UTF8.self)
        XCTAssertEqual(legend.elements.filter { $0 == "polyline" }.count, 18, "a line per series for years")
        XCTAssertTrue(text.contains("stroke-dasharray"), "series equal to earlier ones are dashed")
        // Round ticks only: every tick label is a 1, 2 or 5 step (0, 500, 1k, 1.5k …).
        let height = Double(legend.root?.attributes["height"] ?? "") ?? 0
        XCTAssertGreaterThan(height, 452, "the canvas grows for the legend's rows")
        let bars = parse(try readFile(dir.appendingPathComponent("bars.svg").path))
        XCTAssertEqual(bars.elements.filter { $0 == "polyline" }.count, 0, "no line through categories")
        XCTAssertEqual(bars.elements.filter { $0 == "rect" }.count, 1 + 4, "the background and a bar per key and series")
        XCTAssertTrue(bars.texts.contains { $0.hasPrefix("a very long") && $0.hasSuffix("…") }, "shortened: \(bars.texts)")

        // Every plot of the what-ifs, as an SVG file.
        let model = PolicyProcess.packageRoot.appendingPathComponent("Examples/secure-communities")
        var names = ["legend", "bars"]
        let whatIfs = try FileManager.default.contentsOfDirectory(atPath: model.path).filter { $0.hasPrefix("whatif-") && $0.hasSuffix(".policy") }.sorted()
        XCTAssertGreaterThanOrEqual(whatIfs.count, 5)
        var plots = "include \"\(model.appendingPathComponent("main.policy").path)\"\n"
        for file in whatIfs {
            let text = try String(contentsOf: model.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("plot ") {
                let name = "whatif-\(names.count)"
                names.append(name)
                plots += "\(line) to \"\(name).svg\"\n"
            }
        }
        XCTAssertGreaterThan(names.count, 2 + whatIfs.count / 2, "the what-ifs plot")
        try writeFile(dir, "whatifs.policy", plots)
        let whatIfRun = try PolicyProcess.run(["run", "--no-color", "whatifs.policy"], currentDirectory: dir, timeout: 240)
        XCTAssertEqual(whatIfRun.status, 0, whatIfRun.stderr)

        guard let rsvg = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("rsvg-convert is not installed (bin/ensure-deps --tests installs librsvg2-bin as root)")
        }
        for name in names {
            let png = dir.appendingPathComponent("\(name).png").path
            let convert = Process()
            convert.executableURL = URL(fileURLWithPath: rsvg)
            convert.arguments = [dir.appendingPathComponent("\(name).svg").path, "-b", "white", "-o", png]
            try convert.run()
            convert.waitUntilExit()
            XCTAssertEqual(convert.terminationStatus, 0, "rsvg-convert \(name).svg")
            // The PNG's border, read with Python's zlib (no image library needed).
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["python3", "-c", Self.borderCheck, png]
            let pipe = Pipe()
            check.standardOutput = pipe
            try check.run()
            check.waitUntilExit()
            let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(said.trimmingCharacters(in: .whitespacesAndNewlines), "border white, drawing inside", "\(name).png")
        }
    }

    /// Decodes an 8-bit RGB(A) PNG and says whether its 2-pixel border is white while some
    /// pixel inside is not.
    static let borderCheck = #"""
    import struct, sys, zlib
    data = open(sys.argv[1], "rb").read()
    pos, idat, width, height, kind = 8, b"", 0, 0, 6
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
        if tag == b"IHDR": width, height, depth, kind = struct.unpack(">IIBB", body[:10])
        elif tag == b"IDAT": idat += body
    bpp = 4 if kind == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = [0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else (b if pb <= pc else c)][f]
            line[i] = (line[i] + pred) & 255
        rows.append(line); prev = line
    def white(x, y): return all(v >= 250 for v in rows[y][x * bpp:x * bpp + 3])
    border = all(white(x, y) for y in list(range(2)) + list(range(height - 2, height)) for x in range(width)) and              all(white(x, y) for y in range(height) for x in list(range(2)) + list(range(width - 2, width)))
    inside = any(not white(x, y) for y in range(0, height, 7) for x in range(0, width, 7))
    print("border white, drawing inside" if border and inside else "border %s, inside %s" % (border, inside))
    """#
}
