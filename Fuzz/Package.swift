// swift-tools-version:6.2
// libFuzzer targets, in one program: FUZZ_TARGET picks the target. Built only with the fuzzer
// sanitizer, whose driver the program calls:
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz
// `make fuzz` does this and runs each target; see docs/testing.md.
import PackageDescription

let package = Package(
    name: "incidentd-fuzz",
    products: [.executable(name: "incidentd-fuzz", targets: ["incidentd-fuzz"])],
    dependencies: [.package(name: "incidentd", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "incidentd-fuzz",
            dependencies: ["CLibFuzzer", .product(name: "IncidentFuzzing", package: "incidentd")],
            // gold trips over the sanitizer's objects ("internal error in format_file_lineno").
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
    ]
)
