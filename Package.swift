// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "incidentd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "incidentd", targets: ["incidentd"]),
        .executable(name: "incidentctl", targets: ["incidentctl"]),
        .executable(name: "incidentd-bench", targets: ["incidentd-bench"]),
        // What the libFuzzer package in Fuzz/ drives; not an API for anyone else.
        .library(name: "IncidentFuzzing", targets: ["IncidentFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C shim: the system libpq, found through pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Our small, safe libpq binding.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain values, validation and (later) the pure workflow engine and access policy.
        .target(
            name: "IncidentCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // Everything that reaches PostgreSQL: migrations, repositories, audit.
        .target(
            name: "IncidentStore",
            dependencies: [
                "Postgres",
                "IncidentCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Varlink framing, messages, interface descriptions, validation and a blocking client.
        .target(
            name: "Varlink",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ],
            swiftSettings: swiftSettings
        ),
        // The wire: io.incidentd interface descriptions and the parameter and reply types,
        // shared by the daemon and every client.
        .target(
            name: "IncidentProtocol",
            dependencies: ["Varlink", "IncidentCore"],
            swiftSettings: swiftSettings
        ),
        // The daemon: socket server, API handlers, config, embedded PostgreSQL, lifecycle.
        .target(
            name: "IncidentDaemon",
            dependencies: [
                "Postgres",
                "IncidentCore",
                "IncidentStore",
                "IncidentProtocol",
                "Varlink",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // incidentctl's command tree, as a library so tests reach it without a subprocess.
        .target(
            name: "IncidentCLI",
            dependencies: [
                "Varlink",
                "IncidentProtocol",
                "IncidentCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Catalogs/incidentctl.pot"],
            swiftSettings: swiftSettings,
            plugins: ["CompileCatalogs"]
        ),
        // Its translations: gettext catalogues (Sources/IncidentCLI/Catalogs/*.po) compiled into
        // Swift source at build time (docs/translating.md).
        .executableTarget(name: "compile-catalogs", swiftSettings: swiftSettings),
        .plugin(name: "CompileCatalogs", capability: .buildTool(), dependencies: ["compile-catalogs"]),
        // The fuzz targets' bodies: run by libFuzzer (Fuzz/) and, over the committed corpus, by
        // the tests.
        .target(
            name: "IncidentFuzzing",
            dependencies: [
                "IncidentCore",
                "Varlink",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "incidentd",
            dependencies: [
                "IncidentDaemon",
                "IncidentStore",
                "Postgres",
                "IncidentCore",
                "IncidentProtocol",
                "Varlink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "incidentctl",
            dependencies: ["IncidentCLI"],
            swiftSettings: swiftSettings
        ),

        // Shared by the live tests: throwaway databases, temporary directories, processes.
        .target(
            name: "TestSupport",
            dependencies: [
                "Postgres", "Varlink",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // The load generator behind `make bench`.
        .executableTarget(
            name: "incidentd-bench",
            dependencies: [
                "Varlink",
                "IncidentProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Pure tests: no database, no sockets.
        .testTarget(
            name: "VarlinkTests",
            dependencies: [
                "Varlink",
                "IncidentProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IncidentCoreTests",
            dependencies: ["IncidentCore", "IncidentFuzzing"],
            swiftSettings: swiftSettings
        ),
        // incidentctl's screens: snapshots with a fixed clock and time zone, from recorded replies.
        .testTarget(
            name: "IncidentCLITests",
            dependencies: ["IncidentCLI", "IncidentCore", "IncidentProtocol", "Varlink", "TestSupport"],
            exclude: ["Fixtures", "Snapshots"],
            swiftSettings: swiftSettings
        ),
        // Live-database tests of the binding and the store (PostgreSQL from the environment).
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Postgres",
                "IncidentCore",
                "IncidentStore",
                "IncidentDaemon",
                "Varlink",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The built incidentd driven by the built incidentctl and by Python's varlink client.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Varlink",
                "Postgres",
                "IncidentCore",
                "IncidentProtocol",
                "TestSupport",
            ],
            exclude: ["Resources"],
            swiftSettings: swiftSettings
        ),
    ]
)
