import Foundation
import XCTest

/// The checker stays fast on large, valid-looking files (these once took quadratic time:
/// forward-referencing let chains, and 'did you mean' for thousands of unknown names).
final class ScalingTests: XCTestCase {
    // MARK: - The checker is superlinear on some large, valid-looking files

    /// 20,000 `let`s that each name the next one (forward references, legal by §9.4):
    /// `check` takes ~33 s and 400 MB in a debug build (10,000: ~11 s, 200 MB; 5,000: ~3 s)
    /// — quadratic. The same chain written in order takes ~2 s. Expected: about linear.
    func testForwardReferenceChainIsNotQuadratic() throws {
        let dir = try scratchDirectory()
        let n = 20_000
        try writeFile(dir, "forward.policy", (0..<n).map { "let a\($0) = a\($0 + 1)\n" }.joined() + "let a\(n) = 1\n")
        let r = try PolicyProcess.run(["check", "forward.policy"], currentDirectory: dir, timeout: 8)
        assertNoCrash(r, "check on 20,000 forward-referencing lets")
        if !r.timedOut { XCTAssertEqual(r.status, 0, String(r.stderr.prefix(500))) }
    }

    /// 3,000 unknown names (each `let bN = zzN`) take ~60 s to report (1,000: ~6 s; 2,000:
    /// ~28 s): the `did you mean` search is slow and runs against every declared name for
    /// every unknown one. Expected: seconds at most (bounded edit distance, length filter).
    func testManyUnknownNamesAreReportedQuickly() throws {
        let dir = try scratchDirectory()
        try writeFile(dir, "unknown.policy", (0..<3_000).map { "let b\($0) = zz\($0)\n" }.joined())
        // All of them shown (past the default of 100, the rest would only be counted).
        let r = try PolicyProcess.run(["check", "--limit", "errors=3000", "unknown.policy"], currentDirectory: dir, timeout: 8)
        assertNoCrash(r, "check on 3,000 unknown names")
        if !r.timedOut {
            assertRejected(r, path: "unknown.policy")
            XCTAssertEqual(r.stderr.components(separatedBy: "error: unknown name").count - 1, 3_000)
        }
    }
}
