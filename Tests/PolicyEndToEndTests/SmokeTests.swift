import XCTest

final class SmokeTests: XCTestCase {
    func testCheckAcceptsAValidFile() throws {
        let dir = try PolicyProcess.temporaryDirectory()
        let path = dir.appendingPathComponent("ok.policy")
        try "let x = 1 + 2\n".write(to: path, atomically: true, encoding: .utf8)
        let r = try PolicyProcess.run(["check", path.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
    }
}
