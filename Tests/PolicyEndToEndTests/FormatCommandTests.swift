import Foundation
import XCTest

/// `policy fmt FILE… [--check|--write]`.
final class FormatCommandTests: XCTestCase {
    static let unformatted = "let   x=1+2\nenum e {a,b}\n"
    static let formatted = "let x = 1 + 2\nenum e { a, b }\n"

    func testPrintsCanonicalTextToStdout() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "u.policy", Self.unformatted)
        let r = try PolicyProcess.run(["fmt", "u.policy"], currentDirectory: dir)
        assertNoCrash(r, "fmt u.policy")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.stdout, Self.formatted)
        // Printing changes nothing on disk.
        XCTAssertEqual(try readFile(path), Data(Self.unformatted.utf8))
    }

    func testKeepsComments() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "c.policy", "# heading\nlet   x=1   # trailing\n## doc\nlet y=2\n")
        let r = try PolicyProcess.run(["fmt", "c.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("# heading"), r.stdout)
        XCTAssertTrue(r.stdout.contains("let x = 1 # trailing") || r.stdout.contains("let x = 1  # trailing"), r.stdout)
        XCTAssertTrue(r.stdout.contains("## doc\nlet y = 2"), r.stdout)
    }

    func testCRLFInputBecomesCanonicalLF() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "crlf.policy", "let   y = 1\r\nlet z = 2\r\n")
        let r = try PolicyProcess.run(["fmt", "crlf.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "let y = 1\nlet z = 2\n")
    }

    // MARK: - --check

    func testCheckListsUnformattedFilesAndExits1() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "good.policy", Self.formatted)
        try writeFile(dir, "bad1.policy", Self.unformatted)
        try writeFile(dir, "bad2.policy", "let y=3\n")
        let r = try PolicyProcess.run(["fmt", "--check", "good.policy", "bad1.policy", "bad2.policy"],
                                      currentDirectory: dir)
        assertNoCrash(r, "fmt --check")
        XCTAssertEqual(r.status, 1, r.stderr)
        let listed = (r.stdout + r.stderr).split(separator: "\n").map(String.init)
        XCTAssertTrue(listed.contains { $0.contains("bad1.policy") }, r.stdout + r.stderr)
        XCTAssertTrue(listed.contains { $0.contains("bad2.policy") }, r.stdout + r.stderr)
        XCTAssertFalse(listed.contains { $0.contains("good.policy") }, r.stdout + r.stderr)
        // --check changes nothing.
        XCTAssertEqual(try readFile(dir.appendingPathComponent("bad1.policy").path), Data(Self.unformatted.utf8))
    }

    func testCheckExits0WhenFormatted() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "good.policy", Self.formatted)
        let r = try PolicyProcess.run(["fmt", "--check", "good.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "")
    }

    // MARK: - --write

    func testWriteRewritesInPlaceKeepingPermissions() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "w.policy", Self.unformatted)
        XCTAssertEqual(chmod(path, 0o640), 0)
        let r = try PolicyProcess.run(["fmt", "--write", "w.policy"], currentDirectory: dir)
        assertNoCrash(r, "fmt --write")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(String(decoding: try readFile(path), as: UTF8.self), Self.formatted)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o640, "permissions changed to \(String(mode, radix: 8))")

        let again = try PolicyProcess.run(["fmt", "--check", "w.policy"], currentDirectory: dir)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)

        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(left, ["w.policy"])
    }

    /// A file that is already formatted is not rewritten (its modification time stays).
    func testWriteLeavesFormattedFilesUntouched() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "done.policy", Self.formatted)
        let past = Date(timeIntervalSince1970: 1_000_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path)
        let r = try PolicyProcess.run(["fmt", "--write", "done.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let modified = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        XCTAssertEqual(modified.timeIntervalSince1970, past.timeIntervalSince1970, accuracy: 1)
        XCTAssertEqual(try readFile(path), Data(Self.formatted.utf8))
    }

    /// `--write` through a symbolic link formats the file it points to and keeps the link.
    /// Regression: the rename replaced the link with a plain file.
    func testWriteThroughASymbolicLink() throws {
        let dir = try scratchDirectory()
        let target = try writeFile(dir, "real.policy", "let   x=1\n")
        let link = dir.appendingPathComponent("link.policy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.policy")
        let r = try PolicyProcess.run(["fmt", "--write", "link.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeSymbolicLink, "the symbolic link was replaced by a regular file")
        XCTAssertEqual(String(decoding: try readFile(target), as: UTF8.self), "let x = 1\n",
                       "the link's target was not formatted")
    }

    func testWriteKeepsExecutablePermissions() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "x.policy", Self.unformatted)
        XCTAssertEqual(chmod(path, 0o755), 0)
        let r = try PolicyProcess.run(["fmt", "--write", "x.policy"], currentDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o755)
    }

    func testWriteLeavesAFileWithASyntaxErrorByteForByte() throws {
        let dir = try scratchDirectory()
        let original = Data("let   x=1\nlet y = 1 ! 2\r\nlet   z=\"open\n".utf8)
        let path = try writeFile(dir, "broken.policy", original)
        let good = try writeFile(dir, "fine.policy", Self.unformatted)
        let r = try PolicyProcess.run(["fmt", "--write", "broken.policy", "fine.policy"], currentDirectory: dir)
        assertRejected(r, path: "broken.policy")
        XCTAssertEqual(try readFile(path), original, "a file with errors was modified")
        // The other file is still formatted.
        XCTAssertEqual(String(decoding: try readFile(good), as: UTF8.self), Self.formatted)
    }

    func testPrintAndCheckOnASyntaxErrorExit65() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "broken.policy", "let y = 1 ! 2\n")
        for mode in [[], ["--check"]] {
            let r = try PolicyProcess.run(["fmt"] + mode + ["broken.policy"], currentDirectory: dir)
            assertRejected(r, path: "broken.policy")
        }
    }

    func testMissingFileExits66() throws {
        let dir = try scratchDirectory()
        let r = try PolicyProcess.run(["fmt", "nothing.policy"], currentDirectory: dir)
        assertNoCrash(r, "fmt nothing.policy")
        XCTAssertEqual(r.status, 66)
        XCTAssertTrue(r.stderr.contains("cannot read 'nothing.policy'"), r.stderr)
    }

    func testCheckAndWriteTogetherIsAUsageError() throws {
        let dir = try scratchDirectory()
        let path = try writeFile(dir, "u.policy", Self.unformatted)
        let r = try PolicyProcess.run(["fmt", "--check", "--write", "u.policy"], currentDirectory: dir)
        assertNoCrash(r, "fmt --check --write")
        XCTAssertEqual(r.status, 2, "usage errors exit 2 (LANGUAGE.md §8); stderr: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("--check") && r.stderr.contains("--write"), r.stderr)
        XCTAssertEqual(try readFile(path), Data(Self.unformatted.utf8))
    }

    // MARK: - The language reference

    /// The ```policy blocks of LANGUAGE.md: every block parses (`fmt` accepts it), `fmt` is
    /// idempotent on it and keeps its tree. The first block ("A taste") is a whole program
    /// and passes `check`; the later blocks are fragments that name declarations they do not
    /// contain (`usa`, `booking`, `oregon_court`, CSV files), so for them `check` must only
    /// behave: exit 0, or 65 (66 when a file they name is missing) with well-formed located
    /// diagnostics — never a crash.
    func testLanguageReferenceExamplesCheckAndFormatIdempotently() throws {
        let reference = PolicyProcess.packageRoot.appendingPathComponent("../shared/LANGUAGE.md").standardized
        guard let markdown = try? String(contentsOf: reference, encoding: .utf8) else {
            throw XCTSkip("\(reference.path) is not present")
        }
        let blocks = Self.policyBlocks(markdown)
        XCTAssertGreaterThanOrEqual(blocks.count, 5, "too few ```policy blocks found in LANGUAGE.md")
        let dir = try scratchDirectory()
        for (i, block) in blocks.enumerated() {
            let name = "block\(i + 1).policy"
            try writeFile(dir, name, block)
            let firstLine = block.split(separator: "\n").first.map(String.init) ?? ""
            let checked = try PolicyProcess.run(["check", name], currentDirectory: dir)
            assertNoCrash(checked, "check \(name)")
            if i == 0 {
                XCTAssertEqual(checked.status, 0, "block 1 (\(firstLine)) fails check:\n\(checked.stderr)")
                XCTAssertEqual(checked.stderr, "")
            } else if checked.status == 66 {
                XCTAssertTrue(checked.stderr.contains("error: cannot read '"), checked.stderr)
                assertRejected(checked, path: name, status: 66)
            } else if checked.status != 0 {
                assertRejected(checked, path: name)
            }

            let once = try PolicyProcess.run(["fmt", name], currentDirectory: dir)
            assertNoCrash(once, "fmt \(name)")
            XCTAssertEqual(once.status, 0, "fmt of block \(i + 1) (\(firstLine)):\n\(once.stderr)")
            guard once.status == 0 else { continue }
            let formattedName = "block\(i + 1).fmt.policy"
            try writeFile(dir, formattedName, once.stdoutData)
            let twice = try PolicyProcess.run(["fmt", formattedName], currentDirectory: dir)
            XCTAssertEqual(twice.status, 0, twice.stderr)
            XCTAssertEqual(twice.stdout, once.stdout, "fmt is not idempotent on block \(i + 1) (\(firstLine))")
            let checkFormatted = try PolicyProcess.run(["fmt", "--check", formattedName], currentDirectory: dir)
            XCTAssertEqual(checkFormatted.status, 0, "fmt --check rejects fmt's own output for block \(i + 1)")
            // Formatting keeps the meaning: the trees are the same.
            let dumpOriginal = try PolicyProcess.run(["check", "--dump", name], currentDirectory: dir)
            let dumpFormatted = try PolicyProcess.run(["check", "--dump", formattedName], currentDirectory: dir)
            XCTAssertEqual(dumpOriginal.stdout, dumpFormatted.stdout, "fmt changed the tree of block \(i + 1)")
        }
    }

    /// The bodies of the ```policy fenced blocks of a Markdown text.
    static func policyBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var body = current {
                if trimmed == "```" {
                    blocks.append(body.joined(separator: "\n") + "\n")
                    current = nil
                } else {
                    body.append(line)
                    current = body
                }
            } else if trimmed == "```policy" {
                current = []
            }
        }
        return blocks
    }
}
