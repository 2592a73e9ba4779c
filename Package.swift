// swift-tools-version:6.0
import PackageDescription

// The hot loops (lexer, evaluator, population engine) are written so that no two accesses
// to the same variable overlap; checking that at run time on every access costs a third of
// the engine's time, so release builds leave it to the compile-time checks.
let release: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
// The engine is optimised in debug builds too: the test suite runs every example and the
// calibration over real populations, which an unoptimised engine makes ten times slower. Its
// asserts stay on there (`-assert-config Debug`), so the tests stop at an impossible state.
let engine: [SwiftSetting] = release + [.unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug))]

// Modules depend one way: PolicySupport → PolicySyntax → PolicyCore → PolicyShell → policy
// (the executable). PolicySupport holds what every layer runs on: threads and large stacks,
// the limits, the engine options and digit grouping.
let package = Package(
    name: "policy",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "policy", targets: ["policy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "PolicySupport", swiftSettings: release),
        .target(name: "PolicySyntax", dependencies: ["PolicySupport"], swiftSettings: release),
        .target(name: "PolicyCore", dependencies: ["PolicySupport", "PolicySyntax"], swiftSettings: engine),
        // Non-variadic wrappers over libedit (Debian's libedit-dev) and the SIGINT flag.
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),
        .target(name: "PolicyShell", dependencies: ["PolicySupport", "PolicySyntax", "PolicyCore", "CEditLine"]),
        .executableTarget(
            name: "policy",
            dependencies: [
                "PolicyShell",
                "PolicySupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PolicySyntaxTests", dependencies: ["PolicySupport", "PolicySyntax"]),
        .testTarget(name: "PolicyCoreTests", dependencies: ["PolicyCore", "PolicySupport", "PolicySyntax"]),
        // Runs the real `policy` executable (built because the target depends on it).
        .testTarget(name: "PolicyEndToEndTests", dependencies: ["policy", "PolicySupport", "PolicySyntax"]),
    ]
)
