// swift-tools-version:6.0
// The FundKit Swift package, over the Rust core: the XCFramework on Apple platforms, the
// host-built libfundkit.so on Linux (CI).
//
// - FundKitBindings: the generated Swift API (Sources/FundKitBindings/FundKit.swift, made by
//   bindings/generate.sh, never committed). Generated code, so it is compiled in the Swift 5
//   language mode; FundKit re-exports it.
// - FundKit: the idiomatic layer, the view models and the String Catalog: Swift 6 language
//   mode (complete strict concurrency checking) and warnings are errors.
// - FundKitSample: the sample app (SwiftUI on Apple platforms; on Linux only its logic, in
//   FundKit, is built and tested).
import PackageDescription

#if os(Linux)
// The C header and a module map that links libfundkit, copied into Sources/FundKitFFI by
// scripts/test.sh (generated, never committed). The library's directory comes with -L.
let ffi = Target.systemLibrary(name: "FundKitFFI", path: "Sources/FundKitFFI")
// Foundation on Linux does not compile String Catalogs: the catalog is copied as JSON and read
// by FundKit's own lookup (Localization.swift).
let resources: [Resource] = [.copy("Resources/Localizable.xcstrings"), .copy("Resources/PrivacyInfo.xcprivacy")]
// Debian's swiftlang 6.0.3 libswiftObservation.so needs a symbol its libswiftCore.so hides:
// FundKitLinuxShims defines it (see its threading_fatal.c).
let platformTargets: [Target] = [.target(name: "FundKitLinuxShims", path: "Sources/FundKitLinuxShims")]
let platformDependencies: [Target.Dependency] = ["FundKitLinuxShims"]
#else
// libfundkit.a + FundKitFFI.h + module.modulemap per platform slice (ios/build-xcframework.sh).
let ffi = Target.binaryTarget(name: "FundKitFFI", path: "FundKit.xcframework")
// Xcode compiles the catalog into .strings/.stringsdict per language and reads the manifest.
let resources: [Resource] = [.process("Resources/Localizable.xcstrings"), .copy("Resources/PrivacyInfo.xcprivacy")]
let platformTargets: [Target] = []
let platformDependencies: [Target.Dependency] = []
#endif

/// Ours, not generated: every warning is an error (CI compiles this on Linux on every run).
let strict: [SwiftSetting] = [.unsafeFlags(["-warnings-as-errors"])]

let package = Package(
    name: "FundKit",
    defaultLocalization: "en",
    // Observation (@Observable view models) needs iOS 17 / macOS 14.
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "FundKit", targets: ["FundKit"]),
        .executable(name: "FundKitSample", targets: ["FundKitSample"]),
    ],
    targets: platformTargets + [
        ffi,
        .target(name: "FundKitBindings", dependencies: ["FundKitFFI"], path: "Sources/FundKitBindings",
                exclude: ["README.md"], swiftSettings: [.swiftLanguageMode(.v5)]),
        .target(name: "FundKit", dependencies: ["FundKitBindings"] + platformDependencies, path: "Sources/FundKit",
                exclude: ["README.md"], resources: resources, swiftSettings: strict),
        .executableTarget(name: "FundKitSample", dependencies: ["FundKit"], path: "Sources/FundKitSample",
                          exclude: ["FundKitSample.entitlements"], swiftSettings: strict),
        .testTarget(name: "FundKitTests", dependencies: ["FundKit"], path: "Tests/FundKitTests",
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
