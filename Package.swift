// swift-tools-version:6.0
import PackageDescription

// Modules depend one way: PolicySyntax → PolicyCore → PolicyShell → policy (the executable).
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
        .target(name: "PolicySyntax"),
        .target(name: "PolicyCore", dependencies: ["PolicySyntax"]),
        .target(name: "PolicyShell", dependencies: ["PolicySyntax", "PolicyCore"]),
        .executableTarget(
            name: "policy",
            dependencies: [
                "PolicyShell",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PolicySyntaxTests", dependencies: ["PolicySyntax"]),
        .testTarget(name: "PolicyCoreTests", dependencies: ["PolicyCore", "PolicySyntax"]),
        // Runs the real `policy` executable (built because the target depends on it).
        .testTarget(name: "PolicyEndToEndTests", dependencies: ["policy", "PolicySyntax"]),
    ]
)
