import Foundation
import IncidentCore
import IncidentProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Varlink

/// Serves Varlink on a Unix socket: accepts connections, frames messages, learns each peer's
/// identity from the kernel, and hands calls to the router one at a time per connection.
/// One misbehaving client only ever loses its own connection.
public actor VarlinkServer: Service {
    public struct Settings: Sendable {
        public var socketPath: String
        public var socketMode: UInt16
        public var socketGroup: String?
        public var maximumMessageSize: Int
        public var idleTimeout: Duration
        /// A listening socket passed by systemd socket activation, used instead of creating one.
        public var listeningDescriptor: Int32?
        /// On shutdown, how long calls in flight may take before their connections are cut.
        public var drainTimeout: Duration
        /// Connections one user may hold open at once; more are refused with
        /// `io.incidentd.TooManyConnections`, so one user cannot exhaust the daemon.
        public var maximumConnectionsPerUser: Int = 256

        public init(
            socketPath: String,
            socketMode: UInt16 = 0o660,
            socketGroup: String? = nil,
            maximumMessageSize: Int = VarlinkFrameDecoder.defaultMaximumMessageSize,
            idleTimeout: Duration = .seconds(300),
            maximumConnectionsPerUser: Int = 256,
            listeningDescriptor: Int32? = nil,
            drainTimeout: Duration = .seconds(10)
        ) {
            self.maximumConnectionsPerUser = maximumConnectionsPerUser
            self.socketPath = socketPath
            self.socketMode = socketMode
            self.socketGroup = socketGroup
            self.maximumMessageSize = maximumMessageSize
            self.idleTimeout = idleTimeout
            self.listeningDescriptor = listeningDescriptor
            self.drainTimeout = drainTimeout
        }
    }

    enum State {
        case initial
        case starting
        case running(any Channel)
        case shuttingDown
        case shutdown
    }

    private typealias Connection = (
        channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, credentials: PeerCredentials, closer: IdleConnectionCloser
    )

    private let settings: Settings
    private let router: VarlinkRouter<Caller>
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var state: State = .initial
    private let onReady: @Sendable () -> Void
    /// Told of a peer that broke the protocol or a limit before any call (for the audit log).
    private let onViolation: @Sendable (Caller, VarlinkError) async -> Void
    private let users = UserDirectory()
    /// Open connections, so a graceful shutdown can stop reading from them.
    private let openConnections = Mutex([ObjectIdentifier: any Channel]())
    private let connectionsPerUser = Mutex([UInt32: Int]())

    public init(
        settings: Settings,
        router: VarlinkRouter<Caller>,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onReady: @escaping @Sendable () -> Void = {},
        onViolation: @escaping @Sendable (Caller, VarlinkError) async -> Void = { _, _ in }
    ) {
        self.settings = settings
        self.router = router
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onReady = onReady
        self.onViolation = onViolation
    }

    /// A peer that sends malformed messages in a loop is recorded at its first and then at
    /// every this many, not at each.
    static let violationsRecordedEvery = 100

    /// The socket's directory must be ours (or root's) and writable by no one else, or another
    /// user could replace the socket with their own; a missing one is created, traversable by
    /// others only when the socket's mode lets them connect.
    static func prepareSocketDirectory(for settings: Settings) throws {
        let directory = (settings.socketPath as NSString).deletingLastPathComponent
        var info = stat()
        if lstat(directory, &info) != 0 {
            let parent = (directory as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            let mode: mode_t = settings.socketMode & 0o066 == 0 ? 0o700 : 0o755
            if mkdir(directory, mode) != 0, errno != EEXIST {
                throw DaemonError(
                    message: "cannot create the socket directory \(directory): \(String(cString: strerror(errno)))"
                )
            }
            _ = chmod(directory, mode)
        }
        do {
            try PrivateDirectory.check(directory, owners: [geteuid(), 0])
        } catch {
            throw DaemonError(message: "the socket directory cannot be used: \(error.description)")
        }
    }

    public func run() async throws {
        guard case .initial = state else { preconditionFailure("VarlinkServer.run() called twice") }
        state = .starting
        let settings = self.settings
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            PeerCredentials.of(channel).flatMapThrowing { credentials -> Connection in
                let handlers = channel.pipeline.syncOperations
                let closer = IdleConnectionCloser()
                try handlers.addHandler(IdleStateHandler(allTimeout: .nanoseconds(settings.idleTimeout.nanoseconds)))
                try handlers.addHandler(closer)
                try handlers.addHandler(
                    ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: settings.maximumMessageSize))
                )
                let asyncChannel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                return (asyncChannel, credentials, closer)
            }
        }
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let serverChannel: NIOAsyncChannel<Connection, Never>
        if let descriptor = settings.listeningDescriptor {
            serverChannel = try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        } else {
            try Self.prepareSocketDirectory(for: settings)
            serverChannel = try await bootstrap.bind(
                unixDomainSocketPath: settings.socketPath,
                cleanupExistingSocketFile: true,
                childChannelInitializer: initializer
            )
        }
        if settings.listeningDescriptor == nil {
            try applySocketPermissions()
        }
        state = .running(serverChannel.channel)
        logger.info(
            settings.listeningDescriptor == nil ? "listening" : "listening on the socket systemd passed",
            metadata: ["socket.path": "\(settings.socketPath)"]
        )
        onReady()

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            await self.serve(connection)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            Task { await self.stopAccepting() }
        }
        state = .shutdown
        if settings.listeningDescriptor == nil {
            try? FileManager.default.removeItem(atPath: settings.socketPath)
        }
    }

    /// Stops accepting, lets every open connection finish the call it is in, then closes it;
    /// connections still busy after the drain timeout are cut.
    private func stopAccepting() {
        guard case .running(let channel) = state else { return }
        state = .shuttingDown
        let open = openConnections.withLock { Array($0.values) }
        logger.info("no longer accepting connections; draining", metadata: ["connections.open": "\(open.count)"])
        channel.close(promise: nil)
        for connection in open {
            connection.close(mode: .input, promise: nil)
        }
        let timeout = settings.drainTimeout
        Task {
            try? await Task.sleep(for: timeout)
            await self.cutConnectionsStillOpen()
        }
    }

    /// Closes the connections still busy after the drain timeout.
    private func cutConnectionsStillOpen() {
        let remaining = openConnections.withLock { Array($0.values) }
        if !remaining.isEmpty {
            logger.warning(
                "cutting connections still busy after the drain timeout",
                metadata: ["connections.open": "\(remaining.count)"]
            )
        }
        for connection in remaining { connection.close(promise: nil) }
    }

    private func applySocketPermissions() throws {
        if chmod(settings.socketPath, mode_t(settings.socketMode)) != 0 {
            throw ServerError(
                message: "cannot set the mode of \(settings.socketPath): \(String(cString: strerror(errno)))"
            )
        }
        if let groupName = settings.socketGroup {
            guard let group = getgrnam(groupName) else {
                throw ServerError(message: "socket group \(groupName) does not exist; create it or change socketGroup")
            }
            if chown(settings.socketPath, uid_t.max, group.pointee.gr_gid) != 0 {
                throw ServerError(
                    message:
                        "cannot give \(settings.socketPath) to group \(groupName): \(String(cString: strerror(errno)))"
                )
            }
        }
    }

    /// Serves one connection until the peer leaves, breaks the protocol, or idles out.
    /// Nonisolated: connections are served in parallel, not through the actor.
    private nonisolated func serve(_ connection: Connection) async {
        let caller = await users.caller(for: connection.credentials)
        let channel = connection.channel.channel
        let limit = settings.maximumConnectionsPerUser
        let admitted = connectionsPerUser.withLock { counts -> Bool in
            guard counts[caller.uid, default: 0] < limit else { return false }
            counts[caller.uid, default: 0] += 1
            return true
        }
        guard admitted else {
            logger.warning(
                "refused a connection: too many from this user",
                metadata: ["peer.uid": "\(caller.uid)", "connections.limit": "\(limit)"]
            )
            let error = WireError.tooManyConnections(limit: limit).varlinkError
            await onViolation(caller, error)
            try? await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(bytes: try VarlinkReply(error: error).encoded()))
            }
            return
        }
        defer { connectionsPerUser.withLock { $0[caller.uid, default: 1] -= 1 } }
        let key = ObjectIdentifier(channel)
        openConnections.withLock { $0[key] = channel }
        defer { openConnections.withLock { _ = $0.removeValue(forKey: key) } }
        var logger = self.logger
        logger[metadataKey: "peer.uid"] = "\(caller.uid)"
        logger[metadataKey: "peer.pid"] = "\(caller.pid)"
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                var malformed = 0
                do {
                    for try await message in inbound {
                        let call: VarlinkCall
                        do throws(VarlinkProtocolError) {
                            call = try VarlinkCall(decoding: message.readableBytesView)
                        } catch {
                            logger.info("malformed message", metadata: ["varlink.error": "\(error.reason)"])
                            let refusal = WireError.malformedMessage(reason: error.reason).varlinkError
                            malformed += 1
                            if malformed == 1 || malformed.isMultiple(of: Self.violationsRecordedEvery) {
                                await onViolation(caller, refusal)
                            }
                            try await outbound.write(ByteBuffer(bytes: try VarlinkReply(error: refusal).encoded()))
                            continue
                        }
                        // A `more` call streams on this connection until it ends; calls
                        // pipelined behind it wait, as Varlink has it. The idle timeout
                        // does not count the time the daemon spends on the call before
                        // its first reply: only the time it waits on the peer.
                        connection.closer.callStarted()
                        defer { connection.closer.callAnswered() }
                        try await router.route(call, context: caller) { reply in
                            connection.closer.callAnswered()
                            if !call.oneway {
                                try await outbound.write(ByteBuffer(bytes: try reply.encoded()))
                            }
                        }
                    }
                } catch let error as VarlinkProtocolError where error.code == .messageTooLarge {
                    logger.info("message too large; closing the connection")
                    let refusal = WireError.messageTooLarge(limit: settings.maximumMessageSize).varlinkError
                    await onViolation(caller, refusal)
                    try? await outbound.write(ByteBuffer(bytes: try VarlinkReply(error: refusal).encoded()))
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Closes a connection on which nothing was read or written within the idle timeout: idle
/// clients, clients that sent half a message and stalled, and clients that stopped reading
/// their replies all lose their connection. A `Watch` stream's keep-alives keep it open.
/// A call the daemon is still working on is not idleness: a report that takes longer than
/// the timeout on a loaded database keeps its connection and gets its reply.
final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    /// Whether a call has been read and not yet answered.
    private let working = Atomic<Bool>(false)

    func callStarted() { working.store(true, ordering: .releasing) }
    func callAnswered() { working.store(false, ordering: .releasing) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .all {
            // IdleStateHandler checks again a whole timeout later.
            if !working.load(ordering: .acquiring) { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
