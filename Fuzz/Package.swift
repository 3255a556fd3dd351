// swift-tools-version:6.2
// libFuzzer targets. Built only with the fuzzer sanitizer, which supplies main():
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address
// `make fuzz` does this and runs each target; see docs/testing.md.
import PackageDescription

let targets = ["FuzzVarlinkDecoder", "FuzzPlaybookLoader", "FuzzConditionParser", "FuzzDurationParser"]

let package = Package(
    name: "incidentd-fuzz",
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(name: "incidentd", path: "..")],
    targets: [.target(name: "CLibFuzzer")]
        + targets.map {
            .executableTarget(
                name: $0,
                dependencies: ["CLibFuzzer", .product(name: "IncidentFuzzing", package: "incidentd")],
                // gold trips over the sanitizer's objects ("internal error in format_file_lineno").
                linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
            )
        }
)
