import XCTest
import PolicyCore

/// How a script's units are split among shards: consecutive runs, balanced by estimated
/// cost, every shard given work while there are units enough, the same split every time.
final class ShardAssignmentTests: XCTestCase {
    func units(_ costs: [Double]) -> [PlannedUnit] {
        costs.enumerated().map { i, c in
            PlannedUnit(unit: WorkUnit(statement: 0, point: i, replicate: 0), cost: c, label: "unit \(i)", seed: nil)
        }
    }

    func shards(_ costs: [Double], _ n: Int) -> [Int] { ShardRun.assign(units(costs), shards: n).map(\.shard) }

    func testEqualUnitsSplitEvenlyAndInOrder() {
        XCTAssertEqual(shards(Array(repeating: 1, count: 20), 4), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3])
        XCTAssertEqual(shards(Array(repeating: 1, count: 7), 1), Array(repeating: 0, count: 7))
    }

    func testCostsBalanceTheSplit() {
        // One heavy unit takes a shard to itself; the light ones share the rest.
        XCTAssertEqual(shards([1, 1, 1, 1, 12, 1, 1, 1, 1], 3), [0, 0, 0, 0, 1, 2, 2, 2, 2])
        XCTAssertEqual(shards([10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    }

    func testEveryShardGetsAUnitWhileThereAreEnough() {
        // The heavy first unit would take every shard's share; each later shard still gets one.
        XCTAssertEqual(shards([100, 1, 1, 1], 4), [0, 1, 2, 3])
        XCTAssertEqual(Set(shards([100, 1, 1, 1, 1, 1], 4)), [0, 1, 2, 3])
        // With fewer units than shards, the last shards have none.
        XCTAssertEqual(shards([1, 1], 5), [0, 1])
    }

    func testTheSplitNeverGoesBackAndIsAFunctionOfThePlan() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let costs = (0..<Int.random(in: 1...60, using: &rng)).map { _ in Double(Int.random(in: 0...1_000, using: &rng)) }
            let n = Int.random(in: 1...12, using: &rng)
            let a = shards(costs, n)
            XCTAssertEqual(a, a.sorted(), "consecutive: \(costs) over \(n)")
            XCTAssertEqual(a, shards(costs, n), "deterministic")
            XCTAssertTrue(a.allSatisfy { (0..<n).contains($0) })
            if costs.count >= n { XCTAssertEqual(Set(a).count, n, "every shard has work: \(costs) over \(n)") }
        }
    }
}
