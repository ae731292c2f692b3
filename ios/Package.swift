// swift-tools-version:5.9
// The FundKit Swift package: the generated Swift API (Sources/FundKit/FundKit.swift, copied
// in by build-xcframework.sh) over the Rust core shipped as a binary XCFramework.
import PackageDescription

let package = Package(
    name: "FundKit",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "FundKit", targets: ["FundKit"]),
    ],
    targets: [
        // libfundkit.a + FundKitFFI.h + module.modulemap, per platform slice.
        .binaryTarget(name: "FundKitFFI", path: "FundKit.xcframework"),
        .target(name: "FundKit", dependencies: ["FundKitFFI"], path: "Sources/FundKit"),
        .testTarget(name: "FundKitTests", dependencies: ["FundKit"], path: "Tests/FundKitTests"),
    ]
)
