import Foundation
import XCTest

/// Work that hostile input could make endless is bounded: errors are capped and counted,
/// reads stop at a limit, folder walks survive link loops, and reactions that never settle
/// end in an error. Each case checks the exit code and the message, never the time taken.
final class BoundedWorkTests: XCTestCase {
    func run(_ args: [String], in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> PolicyProcess.Result {
        try PolicyProcess.run(args + ["--no-color"], currentDirectory: dir, file: file, line: line)
    }

    func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
    }

    // MARK: - Diagnostics capped

    func testSyntaxErrorsPastTheCapAreCountedNotShown() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "at.policy", String(repeating: "@\n", count: 250))
        let r = try run(["check", "at.policy"], in: dir)
        assertNoCrash(r, "250 errors")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(errorLines(r.stderr).count, 100, r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> at.policy:100:1"), r.stderr)
        XCTAssertFalse(r.stderr.contains(" --> at.policy:101:1"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("… and 150 more errors not shown (only the first 100 are; show more with --limit errors=N)\n"), r.stderr)

        let five = try run(["check", "--limit", "errors=5", "at.policy"], in: dir)
        XCTAssertEqual(five.status, 65, five.stderr)
        XCTAssertEqual(errorLines(five.stderr).count, 5, five.stderr)
        XCTAssertTrue(five.stderr.contains("… and 245 more errors not shown (only the first 5 are; show more with --limit errors=N)"), five.stderr)

        let all = try run(["check", "--limit", "errors=1000", "at.policy"], in: dir)
        XCTAssertEqual(all.status, 65, all.stderr)
        XCTAssertEqual(errorLines(all.stderr).count, 250, all.stderr)
        XCTAssertFalse(all.stderr.contains("more error"), all.stderr)
    }

    func testOneErrorPastTheCapIsSingular() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "at.policy", "@\n@\n@\n")
        let r = try run(["check", "--limit", "errors=2", "at.policy"], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("… and 1 more error not shown (only the first 2 are; show more with --limit errors=N)"), r.stderr)
    }

    func testCheckerErrorsAreCappedToo() throws {
        let dir = try scratchDirectory()
        let lines = (1...130).map { "let v\($0): int = missing\($0)" }.joined(separator: "\n") + "\n"
        try writeFile(dir, "names.policy", lines)
        let r = try run(["run", "names.policy"], in: dir)
        assertNoCrash(r, "130 unknown names")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(errorLines(r.stderr).count, 100, r.stderr)
        XCTAssertTrue(r.stderr.contains("… and 30 more errors not shown"), r.stderr)
    }

    /// A big file of nothing but errors: the output stays small (its first errors and a
    /// count) and every error is counted.
    func testAFileOfNothingButErrorsGivesACount() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "many.policy", String(repeating: "@\n", count: 200_000))
        let r = try run(["check", "many.policy"], in: dir)
        assertNoCrash(r, "200,000 errors")
        XCTAssertEqual(r.status, 65, r.stderr.suffix(500).description)
        XCTAssertEqual(errorLines(r.stderr).count, 100)
        XCTAssertLessThan(r.stderr.utf8.count, 20_000)
        XCTAssertTrue(r.stderr.contains("… and 199,900 more errors not shown"), String(r.stderr.suffix(500)))
    }

    // MARK: - Reads bounded

    func testDeviceAsTheProgramStopsAtTheFileLimit() throws {
        let dir = try scratchDirectory()
        let r = try run(["run", "--limit", "file-mb=1", "/dev/zero"], in: dir)
        assertNoCrash(r, "/dev/zero")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: file too large (more than the limit of 1 MB; it is not a regular file, so it was read up to the limit)"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> /dev/zero:1:1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("raise the limit with --limit file-mb=N"), r.stderr)
        // The same at the default limit.
        let d = try run(["check", "/dev/zero"], in: dir)
        XCTAssertEqual(d.status, 65, d.stderr)
        XCTAssertTrue(d.stderr.contains("(more than the limit of 64 MB;"), d.stderr)
    }

    func testIncludeOfADeviceStopsAtTheFileLimit() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "inc.policy", "include \"/dev/zero\"\n1\n")
        let r = try run(["run", "--limit", "file-mb=1", "inc.policy"], in: dir)
        assertNoCrash(r, "include /dev/zero")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read '/dev/zero': file too large (more than the limit of 1 MB;"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> inc.policy:1:9"), r.stderr)
        XCTAssertTrue(r.stderr.contains("split it with 'include', or raise the limit with --limit file-mb=N"), r.stderr)
    }

    static let casesProgram = """
        jurisdiction usa: federal
        record b { date: date, jurisdiction: jurisdiction }
        population rows of b from "PATH"
        count(rows)

        """

    func testCasesFromADeviceStopAtTheCSVLimit() throws {
        let dir = try scratchDirectory()
        for device in ["/dev/urandom", "/dev/zero"] {
            try writeFile(dir, "p.policy", BoundedWorkTests.casesProgram.replacingOccurrences(of: "PATH", with: device))
            let r = try run(["run", "--limit", "csv-mb=1", "p.policy"], in: dir)
            assertNoCrash(r, device)
            XCTAssertEqual(r.status, 65, "\(device): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("error: cannot read '\(device)': CSV file too large (more than the limit of 1 MB;"), r.stderr)
            XCTAssertTrue(r.stderr.contains(" --> p.policy:3:27"), r.stderr)
            XCTAssertTrue(r.stderr.contains("raise the limit with --limit csv-mb=N"), r.stderr)
        }
    }

    func testJurisdictionsFromADeviceStopAtTheCSVLimit() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "j.policy", "jurisdictions from \"/dev/zero\"\n1\n")
        let r = try run(["run", "--limit", "csv-mb=1", "j.policy"], in: dir)
        assertNoCrash(r, "jurisdictions from /dev/zero")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read '/dev/zero': CSV file too large"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> j.policy:1:20"), r.stderr)
    }

    /// A named pipe no one writes to reads as empty instead of blocking the open forever.
    func testANamedPipeWithNoWriterDoesNotHang() throws {
        let dir = try scratchDirectory()
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("pipe.policy").path, 0o600), 0)
        try writeFile(dir, "inc.policy", "include \"pipe.policy\"\n1 + 1\n")
        let r = try PolicyProcess.run(["run", "inc.policy"], currentDirectory: dir, timeout: 20)
        assertNoCrash(r, "include of a named pipe")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "2\n")
    }

    /// A sparse 2 GB file takes no room on disk; its size alone refuses it, before any of
    /// it is read.
    func testASparseHugeCSVIsRefusedByItsSize() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "huge.csv", "date,jurisdiction\n")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        try writeFile(dir, "p.policy", BoundedWorkTests.casesProgram.replacingOccurrences(of: "PATH", with: "huge.csv"))
        let r = try run(["run", "p.policy"], in: dir)
        assertNoCrash(r, "sparse 2 GB CSV")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read 'huge.csv': CSV file too large (2,147,483,648 bytes; the limit is 1,024 MB)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("raise the limit with --limit csv-mb=N"), r.stderr)
    }

    func testACSVWithinARaisedLimitIsRead() throws {
        let dir = try scratchDirectory()
        let csv = "date,jurisdiction\n" + String(repeating: "2013-01-01,usa\n", count: 80_000) // ≈1.2 MB
        try writeFile(dir, "rows.csv", csv)
        try writeFile(dir, "p.policy", BoundedWorkTests.casesProgram.replacingOccurrences(of: "PATH", with: "rows.csv"))
        let refused = try run(["run", "--limit", "csv-mb=1", "p.policy"], in: dir)
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("CSV file too large (1,200,018 bytes; the limit is 1 MB)"), refused.stderr)
        let read = try run(["run", "--limit", "csv-mb=2", "p.policy"], in: dir)
        XCTAssertEqual(read.status, 0, read.stderr)
        XCTAssertEqual(read.stdout, "80,000\n")
    }

    // MARK: - Folder walks and link loops

    /// Links to the folder itself, to a parent and to a file: each file is visited once
    /// and the walk ends.
    func testFolderWalksSurviveLinkLoops() throws {
        let dir = try scratchDirectory()
        let top = dir.appendingPathComponent("models")
        let sub = top.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try writeFile(top, "a.policy", "let a = 1\ntest \"a\" {\n  assert a == 1\n}\n")
        try writeFile(sub, "b.policy", "let b = nope\n")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: top.appendingPathComponent("self").path, withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: top.appendingPathComponent("again").path, withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: sub.appendingPathComponent("up").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: sub.appendingPathComponent("top").path, withDestinationPath: top.path)
        try fm.createSymbolicLink(atPath: top.appendingPathComponent("z-alias.policy").path, withDestinationPath: "a.policy")

        let check = try run(["check", "models"], in: dir)
        assertNoCrash(check, "check with link loops")
        XCTAssertEqual(check.status, 65, check.stderr)
        XCTAssertEqual(errorLines(check.stderr), ["error: unknown name 'nope'"], check.stderr)
        XCTAssertTrue(check.stderr.contains(" --> models/sub/b.policy:1:9"), check.stderr)

        let test = try run(["test", "models"], in: dir)
        assertNoCrash(test, "test with link loops")
        XCTAssertEqual(test.status, 65, test.stderr)
        XCTAssertEqual(test.stdout.split(separator: "\n").last, "1 passed, 0 failed")

        try writeFile(sub, "b.policy", "let b  =  2\n")
        let fmt = try run(["fmt", "--check", "models"], in: dir)
        assertNoCrash(fmt, "fmt with link loops")
        XCTAssertEqual(fmt.stdout, "models/sub/b.policy\n")
    }

    // MARK: - Reactions

    /// A condition over thousands of jurisdictions: what fires, in jurisdiction order, and
    /// the first jurisdiction whose condition fails, the same on any thread count.
    func testConditionsOverThousandsOfJurisdictionsAgreeOnAnyThreadCount() throws {
        let dir = try scratchDirectory()
        var rows = ["name,kind,parent,beds"]
        for c in 0..<3_000 { rows.append("c\(c),county,usa,\(c % 7 == 0 ? 0 : c % 50)") }
        try writeFile(dir, "places.csv", rows.joined(separator: "\n") + "\n")
        func program(_ condition: String) -> String {
            """
            jurisdiction attributes { beds: int = 1, full: bool = false }
            jurisdiction usa: federal
            jurisdictions from "places.csv"
            param cap: int = 40
            when j in jurisdictions where \(condition) as crowding { set j.full = true }
            event census on 2012-01-01 by usa
            timeline

            """
        }
        try writeFile(dir, "ok.policy", program("j.kind == county and j.beds > cap"))
        try writeFile(dir, "bad.policy", program("j.kind == county and 100 / j.beds > cap"))
        var outputs: [String] = [], errors: [String] = []
        for threads in ["1", "2", "3"] {
            let ok = try PolicyProcess.run(["run", "--no-color", "ok.policy"], environment: ["POLICY_THREADS": threads], currentDirectory: dir)
            XCTAssertEqual(ok.status, 0, ok.stderr)
            outputs.append(ok.stdout)
            let bad = try PolicyProcess.run(["run", "--no-color", "bad.policy"], environment: ["POLICY_THREADS": threads], currentDirectory: dir)
            XCTAssertEqual(bad.status, 65, bad.stderr)
            XCTAssertTrue(bad.stderr.contains("error: division by zero (in reaction crowding, j = c0)"), bad.stderr)
            errors.append(bad.stderr)
        }
        // Counties c41…c49 of every 50 fire, but not the multiples of 7 (no beds).
        let expected = (0..<3_000).filter { $0 % 7 != 0 && $0 % 50 > 40 }
        let fired = outputs[0].split(separator: "\n").filter { $0.contains("crowding") }
        XCTAssertEqual(fired.count, expected.count, outputs[0])
        XCTAssertTrue(fired.first?.contains("j = c41") ?? false, outputs[0])
        XCTAssertEqual(Set(outputs).count, 1, outputs.joined(separator: "---"))
        XCTAssertEqual(Set(errors).count, 1, errors.joined(separator: "---"))
    }

    /// `after` chains move to a new date each time: the firing limit over the whole
    /// timeline stops them and names the reactions, the counts and the dates.
    func testFiringLimitStopsAnEndlessAfterChain() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "chain.policy", """
            jurisdiction attributes { t: int = 0 }
            jurisdiction usa: federal
            when j in jurisdictions where j.t == 0 as ping { after 1 day { set j.t = 1 } }
            when j in jurisdictions where j.t == 1 as pong { after 1 day { set j.t = 0 } }
            event kick on 2012-01-01 by usa
            usa.t at 2012-01-02

            """)
        let r = try run(["run", "--limit", "firings=100", "chain.policy"], in: dir)
        assertNoCrash(r, "after chain")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: firing limit (100 reaction firings in one timeline) exceeded on 2012-04-10: ping ×51, pong ×50, on 101 dates from 2012-01-01"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> chain.policy:3:1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("raise the limit with --limit firings=N"), r.stderr)
        // A chain that ends, with as many firings as the limit allows, runs.
        try writeFile(dir, "short.policy", """
            jurisdiction attributes { t: int = 0 }
            jurisdiction usa: federal
            when j in jurisdictions where j.t == 0 or j.t == 2 as even { after 1 day { set j.t = j.t + 1 } }
            when j in jurisdictions where j.t == 1 or j.t == 3 as odd { after 1 day { set j.t = j.t + 1 } }
            event kick on 2012-01-01 by usa
            usa.t at 2013-01-01

            """)
        let short = try run(["run", "--limit", "firings=4", "short.policy"], in: dir)
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertEqual(short.stdout, "4\n")
    }

    // MARK: - Memory

    /// Under an address-space limit (`ulimit -v`, `prlimit --as`) a population that cannot
    /// fit is refused with an error naming the limit, instead of the allocation failing
    /// (abort, exit 134).
    func testPopulationEstimateRespectsTheAddressSpaceLimit() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "big.policy", """
            jurisdiction usa: federal
            record b { date: date, jurisdiction: jurisdiction }
            population many of b {
              size 100_000_000
              date uniform 2013-01-01 .. 2013-12-31
              jurisdiction = usa
            }
            count(many)

            """)
        let r = try PolicyProcess.run(["run", "--no-color", "big.policy"], currentDirectory: dir,
                                      launcher: ["/bin/sh", "-c", "ulimit -v 3145728 && exec \"$0\" \"$@\""])
        assertNoCrash(r, "100M cases under ulimit -v 3 GB")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: population 'many' of 100,000,000 cases needs about 2.2 GB, more than the "), r.stderr)
        XCTAssertTrue(r.stderr.contains("of memory available (under the address-space limit, ulimit -v)"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" --> big.policy:3:12"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--limit population=N"), r.stderr)
    }
}
