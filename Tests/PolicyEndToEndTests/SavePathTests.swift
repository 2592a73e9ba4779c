import Foundation
import XCTest

/// `:save FILE` in another folder: the paths the definitions name (`include`, `jurisdictions
/// from`, `population … from`) are rewritten relative to the saved file, so it reads the same files.
final class SavePathTests: XCTestCase {
    /// model/main.policy includes parts/defs.policy and reads data/cases.csv and data/j.csv.
    func makeModel() throws -> URL {
        let dir = try scratchDirectory()
        let fm = FileManager.default
        for sub in ["model/parts", "model/data", "out/elsewhere"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try writeFile(dir, "model/parts/defs.policy", "record b { x: int }\n")
        try writeFile(dir, "model/parts/other.policy", "let z = 5\n")
        try writeFile(dir, "model/data/cases.csv", "x\n1\n2\n3\n")
        try writeFile(dir, "model/data/j.csv", "name,kind,parent\ncal,state,usa\n")
        try writeFile(dir, "model/main.policy", """
            include "parts/defs.policy"
            population p of b from "data/cases.csv"
            jurisdiction usa: federal
            jurisdictions from "data/j.csv"
            scenario more { population p of b from "./data/../data/cases.csv" }

            """)
        return dir
    }

    func testSaveElsewhereRewritesIncludeAndCSVPaths() throws {
        let dir = try makeModel()
        // An include typed at the prompt is relative to the working directory.
        let input = ":load model/main.policy\ninclude \"model/parts/other.policy\"\n:save out/elsewhere/saved.policy\n"
        let r = try PolicyProcess.run([], stdin: Data(input.utf8), currentDirectory: dir, timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        let saved = String(decoding: try readFile(dir.appendingPathComponent("out/elsewhere/saved.policy").path), as: UTF8.self)
        XCTAssertEqual(saved, """
            include "../../model/parts/defs.policy"
            population p of b from "../../model/data/cases.csv"
            jurisdiction usa: federal
            jurisdictions from "../../model/data/j.csv"
            scenario more {
              population p of b from "../../model/data/cases.csv"
            }
            include "../../model/parts/other.policy"

            """)
        // The saved script reads the same files, from any working directory.
        let again = try PolicyProcess.run(["repl", "saved.policy"], stdin: Data("count(p)\nz\nstatus cal\n".utf8),
                                          currentDirectory: dir.appendingPathComponent("out/elsewhere"), timeout: 20)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasPrefix("3\n5\n"), again.stdout)
    }

    func testSaveInTheModelsFolderKeepsThePathsAsWritten() throws {
        let dir = try makeModel()
        let r = try PolicyProcess.run([], stdin: Data(":load model/main.policy\n:save model/copy.policy\n".utf8),
                                      currentDirectory: dir, timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        let saved = String(decoding: try readFile(dir.appendingPathComponent("model/copy.policy").path), as: UTF8.self)
        XCTAssertTrue(saved.hasPrefix("include \"parts/defs.policy\"\npopulation p of b from \"data/cases.csv\"\n"), saved)
        let check = try PolicyProcess.run(["check", "model/copy.policy"], currentDirectory: dir)
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testAbsolutePathsStayAbsolute() throws {
        let dir = try makeModel()
        let csv = dir.appendingPathComponent("model/data/cases.csv").path
        let input = "include \"\(dir.path)/model/parts/defs.policy\"\npopulation q of b from \"\(csv)\"\n:save out/elsewhere/abs.policy\n"
        let r = try PolicyProcess.run([], stdin: Data(input.utf8), currentDirectory: dir, timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        let saved = String(decoding: try readFile(dir.appendingPathComponent("out/elsewhere/abs.policy").path), as: UTF8.self)
        XCTAssertTrue(saved.contains("from \"\(csv)\""), saved)
    }
}
