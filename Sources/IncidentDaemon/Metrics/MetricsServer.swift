import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves `GET /metrics` over HTTP/1.1 on the metrics listener: a Unix socket (mode 0660) or a
/// TCP address, apart from the Varlink socket. One request per connection; a connection idle
/// for 10 s is closed.
struct MetricsServer: Service, CustomStringConvertible {
    let listener: MetricsListener
    let metrics: DaemonMetrics
    let logger: Logger

    var description: String { "MetricsServer" }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func run() async throws {
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let handlers = channel.pipeline.syncOperations
                try handlers.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                try handlers.addHandler(IdleConnectionCloser())
                try handlers.configureHTTPServerPipeline(withErrorHandling: true)
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let server: NIOAsyncChannel<Connection, Never>
        do {
            switch listener {
            case .unix(let path):
                server = try await bootstrap.bind(
                    unixDomainSocketPath: path,
                    cleanupExistingSocketFile: true,
                    childChannelInitializer: initializer
                )
                chmod(path, 0o660)
            case .tcp(let host, let port):
                server = try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
            }
        } catch {
            throw DaemonError(message: "cannot serve metrics on \(listener) (metricsListen): \(error)")
        }
        logger.info("serving metrics", metadata: ["metrics.listen": "\(listener)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        if case .unix(let path) = listener { unlink(path) }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            for try await part in inbound {
                guard case .head(let head) = part else { continue }
                let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
                let status: HTTPResponseStatus
                let body: [UInt8]
                var headers = HTTPHeaders()
                if head.method != .GET && head.method != .HEAD {
                    status = .methodNotAllowed
                    body = Array("Only GET /metrics is served here.\n".utf8)
                    headers.add(name: "Allow", value: "GET, HEAD")
                } else if path == "/metrics" {
                    status = .ok
                    body = await metrics.render()
                    headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
                } else {
                    status = .notFound
                    body = Array("incidentd serves its metrics at /metrics.\n".utf8)
                }
                headers.add(name: "Content-Length", value: String(body.count))
                headers.add(name: "Connection", value: "close")
                try await outbound.write(
                    .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
                )
                if head.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                return
            }
        }
    }
}
