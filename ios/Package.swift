// swift-tools-version:5.9
// The FundKit Swift package: the generated Swift API (Sources/FundKit/Generated, made by
// bindings/generate.sh, never committed), the idiomatic layer and the view models, over the
// Rust core: the XCFramework on Apple platforms, the host-built libfundkit.so on Linux (CI).
import PackageDescription

#if os(Linux)
// The C header and a module map that links libfundkit, copied into Sources/FundKitFFI by
// scripts/test.sh (generated, never committed). The library's directory comes with -L.
let ffi = Target.systemLibrary(name: "FundKitFFI", path: "Sources/FundKitFFI")
#else
// libfundkit.a + FundKitFFI.h + module.modulemap per platform slice (ios/build-xcframework.sh).
let ffi = Target.binaryTarget(name: "FundKitFFI", path: "FundKit.xcframework")
#endif

let package = Package(
    name: "FundKit",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "FundKit", targets: ["FundKit"]),
    ],
    targets: [
        ffi,
        .target(name: "FundKit", dependencies: ["FundKitFFI"], path: "Sources/FundKit"),
        .testTarget(name: "FundKitTests", dependencies: ["FundKit"], path: "Tests/FundKitTests"),
    ]
)
