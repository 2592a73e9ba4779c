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
}
