import Foundation
import IncidentCore
import IncidentStore
import Logging
import NIOPosix
import Postgres
import ServiceLifecycle
import UnixSignals
import Varlink

/// Starts incidentd: the database (embedded or configured), the migrations, then the services.
///
/// Start-up is sequential — nothing listens before the schema is current — and the services
/// then run in one `ServiceGroup` that shuts down gracefully on SIGTERM or SIGINT.
public struct Daemon: Sendable {
    public let configuration: Configuration
    public let logger: Logger
    /// Loads the configuration again, for SIGHUP; nil disables reloading.
    public let reload: (@Sendable () throws -> Configuration)?

    public init(configuration: Configuration, logger: Logger, reload: (@Sendable () throws -> Configuration)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.reload = reload
    }

    /// Runs until a shutdown signal; the embedded cluster, if started, is stopped on the way out.
    public func run(onReady: @escaping @Sendable () -> Void = {}) async throws {
        let notifier = SystemdNotifier()
        let listeningDescriptor = SocketActivation.takeListeningDescriptor()
        // Before anything makes a metric: what is made earlier reports nowhere.
        if configuration.metricsListen != nil { _ = DaemonMetrics.processRegistry }
        notifier.status("Starting the database")
        let (target, ownerTarget, embedded) = try await startDatabase()
        let pool = PostgresPool(
            configuration: .init(target: target, maximumConnections: configuration.databaseConnections),
            logger: logger
        )
        do {
            notifier.status("Applying migrations")
            try await migrate(pool, owner: ownerTarget, notifier: notifier)
            try await checkSynchronousStandby(pool)
            let parts = try await parts(on: pool)
            let server = server(parts, notifier: notifier, listeningDescriptor: listeningDescriptor, onReady: onReady)
            // Shut down in reverse: the server stops first, the sealer seals what it left.
            let services = backgroundServices(parts, pool: pool, notifier: notifier) + [.init(service: server)]
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            )
            try await group.run()
            notifier.stopping()
        } catch {
            await pool.shutdown()
            await embedded?.stop()
            throw error
        }
        await pool.shutdown()
        await embedded?.stop()
        logger.notice("incidentd stopped")
    }

    /// What the daemon's services are made of, on one pool whose schema is current.
    struct Parts {
        let cipher: CipherBox
        let auditStore: AuditStore
        let signer: AuditSigner
        let settings: LiveSettings
        let playbooks: PlaybookRegistry
        let doorbell: Doorbell
        let events: EventBell
        let store: IncidentStore
        let hookStore: HookStore
        let hookAccount: ExecHookRunner.Account?
        let api: IncidentsAPI
    }

    func parts(on pool: PostgresPool) async throws -> Parts {
        let cipher = try await openCipher(pool)
        let auditStore = AuditStore(pool: pool)
        let signer = AuditSigner(
            key: try AuditSigner.loadKey(path: configuration.auditSigningKeyPath),
            headFile: configuration.auditHeadPath,
            store: auditStore,
            logger: logger
        )
        let settings = LiveSettings(
            roles: configuration.roles,
            retentionDays: configuration.retentionDays,
            rateLimits: configuration.rateLimits,
            profile: configuration.profile,
            evidenceLimits: configuration.evidenceLimits
        )
        let playbooks = try loadPlaybooks()
        let hookAccount = try ExecHookRunner.account(named: configuration.hookUser)
        if getuid() == 0, hookAccount == nil,
            configuration.hooks.contains(where: { if case .exec = $0.kind { true } else { false } })
        {
            logger.warning(
                "exec hooks run as root because hookUser is root; they are not trusted code (docs/security.md)"
            )
        }
        let doorbell = Doorbell()
        let events = EventBell()
        let outbox = Outbox(
            hooks: configuration.hooks,
            wake: { doorbell.ringSoon() },
            cipher: cipher,
            coalesceWindow: configuration.hookCoalesceWindow
        )
        let store = IncidentStore(
            pool: pool,
            outbox: outbox,
            cipher: cipher,
            maximumIncidentBytes: configuration.maximumBytesPerIncident
        )
        let hookStore = HookStore(pool: pool)
        let api = IncidentsAPI(
            store: store,
            auditStore: auditStore,
            settings: settings,
            playbooks: playbooks,
            hookStore: hookStore,
            signer: signer,
            logger: logger,
            events: events,
            watchPollInterval: configuration.watchPollInterval,
            watchKeepAlive: min(.seconds(10), configuration.idleTimeout / 2),
            maximumMessageSize: configuration.maximumMessageSize
        )
        return Parts(
            cipher: cipher,
            auditStore: auditStore,
            signer: signer,
            settings: settings,
            playbooks: playbooks,
            doorbell: doorbell,
            events: events,
            store: store,
            hookStore: hookStore,
            hookAccount: hookAccount,
            api: api
        )
    }

    /// The socket server, answering through the API.
    func server(
        _ parts: Parts,
        notifier: SystemdNotifier,
        listeningDescriptor: CInt?,
        onReady: @escaping @Sendable () -> Void
    ) -> VarlinkServer {
        let api = parts.api
        return VarlinkServer(
            settings: .init(
                socketPath: configuration.socketPath,
                socketMode: configuration.socketMode,
                socketGroup: configuration.socketGroup,
                maximumMessageSize: configuration.maximumMessageSize,
                idleTimeout: configuration.idleTimeout,
                maximumConnectionsPerUser: configuration.maximumConnectionsPerUser,
                listeningDescriptor: listeningDescriptor
            ),
            router: api.makeRouter(),
            logger: logger,
            onReady: { [logger] in
                logger.notice("incidentd is ready")
                notifier.ready(status: "Ready")
                onReady()
            },
            onViolation: { caller, error in api.recordViolation(by: caller, error) }
        )
    }

    /// The hook dispatcher, delivering what the parts' outbox queues.
    func dispatcher(_ parts: Parts) -> HookDispatcher {
        HookDispatcher(
            store: parts.hookStore,
            hooks: configuration.hooks,
            daemonID: Self.daemonID,
            concurrency: configuration.hookConcurrency,
            retryBase: configuration.hookRetryBase,
            pollInterval: configuration.hookPollInterval,
            leaseMargin: configuration.hookLeaseMargin,
            doorbell: parts.doorbell,
            cipher: parts.cipher,
            logger: logger,
            runner: ExecHookRunner(account: parts.hookAccount)
        )
    }

    /// The services beside the server: the sealer, the hook dispatcher, the scheduler, the
    /// re-keyer, the purger, and with systemd the watchdog and reloading on SIGHUP.
    func backgroundServices(
        _ parts: Parts,
        pool: PostgresPool,
        notifier: SystemdNotifier
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let dispatcher = dispatcher(parts)
        let scheduler = DueScheduler(
            store: parts.store,
            playbooks: parts.playbooks,
            lead: configuration.dueSoonLead,
            interval: configuration.schedulerInterval,
            logger: logger
        )
        let sealer = AuditSealer(
            store: parts.auditStore,
            interval: configuration.auditSealInterval,
            signer: parts.signer,
            logger: logger
        )
        let rekeyRequests = RekeyRequest()
        let api = parts.api
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: sealer), .init(service: dispatcher), .init(service: scheduler),
            .init(
                service: WakeUpListener(
                    target: pool.configuration.target,
                    doorbell: parts.doorbell,
                    events: parts.events,
                    logger: logger
                )
            ),
            .init(service: Rekeyer(store: parts.store, requests: rekeyRequests, logger: logger)),
            .init(
                service: Purger(
                    store: parts.store,
                    policy: { api.retentionPolicy },
                    daemonID: Self.daemonID,
                    interval: .seconds(3600),
                    logger: logger
                )
            ),
            .init(
                service: UploadSweeper(store: parts.store, timeout: configuration.evidenceUploadTimeout, logger: logger)
            ),
        ]
        if let listener = configuration.metricsListen {
            let metrics = DaemonMetrics(
                registry: DaemonMetrics.processRegistry,
                store: parts.store,
                playbooks: parts.playbooks,
                pool: pool,
                lead: configuration.dueSoonLead,
                logger: logger
            )
            services.append(.init(service: MetricsServer(listener: listener, metrics: metrics, logger: logger)))
        }
        if let interval = SystemdNotifier.watchdogInterval() {
            services.append(.init(service: Watchdog(notifier: notifier, interval: interval, logger: logger)))
        }
        if let reload {
            let keyFilePath = configuration.keyFilePath
            let cipher = parts.cipher
            let reloadKeys: (@Sendable () async throws -> String)? =
                configuration.encryption
                ? { @Sendable in
                    let ring = try await KeyFile.open(path: keyFilePath, keys: EncryptionKeyStore(pool: pool))
                    cipher.replace(FieldCipher(ring: ring))
                    rekeyRequests.request()
                    return ring.current.id
                } : nil
            services.append(
                .init(
                    service: ReloadOnHangup(
                        load: reload,
                        settings: parts.settings,
                        playbooks: parts.playbooks,
                        notifier: notifier,
                        logger: logger,
                        reloadKeys: reloadKeys
                    )
                )
            )
        }
        return services
    }

    /// The cipher for sensitive text, from the key file checked against the database; none
    /// (plaintext) only when encryption is configured off.
    private func openCipher(_ pool: PostgresPool) async throws -> CipherBox {
        guard configuration.encryption else {
            logger.warning("encryption at rest is off: sensitive text is stored as plaintext (for measurements only)")
            return CipherBox(nil)
        }
        let ring = try await KeyFile.open(path: configuration.keyFilePath, keys: EncryptionKeyStore(pool: pool))
        logger.info(
            "encryption at rest is on",
            metadata: ["key.file": "\(configuration.keyFilePath)", "key.current": "\(ring.current.id)"]
        )
        return CipherBox(FieldCipher(ring: ring))
    }

    /// Where the runtime role connects, where the owner does (nil: the same role migrates),
    /// and the embedded cluster when there is one.
    private func startDatabase() async throws -> (PostgresTarget, PostgresTarget?, EmbeddedPostgres?) {
        let migration = configuration.migrationDatabase.map(PostgresTarget.conninfo)
        if let database = configuration.database {
            return (.conninfo(database), migration, nil)
        }
        if Configuration.environmentNamesDatabase(ProcessInfo.processInfo.environment) {
            return (.conninfo(""), migration, nil)
        }
        let embedded = try await EmbeddedPostgres(
            directory: URL(fileURLWithPath: configuration.stateDirectory).appendingPathComponent("postgres"),
            runAsUser: configuration.embeddedPostgresUser,
            logger: logger
        )
        try await embedded.start()
        return (embedded.runtimeTarget, embedded.ownerTarget, embedded)
    }

    /// Names this daemon's leases: host, pid and a random suffix.
    static let daemonID: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return
            "\(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))/\(getpid())/\(UUID().uuidString.prefix(8).lowercased())"
    }()

    /// The playbook set; a set with any problem stops start-up with every problem listed.
    private func loadPlaybooks() throws -> PlaybookRegistry {
        let directory =
            configuration.playbooksDirectory.map { URL(fileURLWithPath: $0) } ?? PlaybookRegistry.defaultDirectory()
        do {
            let registry = try PlaybookRegistry(
                directory: directory,
                knownHooks: Set(configuration.hooks.map(\.name)),
                organisation: configuration.organisation
            )
            logger.info(
                "playbooks loaded",
                metadata: [
                    "playbooks.directory": "\(directory.path)", "playbooks.count": "\(registry.current.count)",
                ]
            )
            return registry
        } catch {
            throw DaemonError(message: "the playbooks in \(directory.path) cannot be used: \(error)")
        }
    }

    /// Applies the migrations, waiting for the database while it cannot be reached — up to
    /// `databaseStartTimeout`, saying so in the log and in systemd's status — so incidentd
    /// reports ready only once it is connected.
    ///
    /// With an owner role (`owner`), migrations run as the owner, which then grants the
    /// runtime role `pool` logs in as only what it needs (``RuntimeGrants``); without one, the
    /// runtime role migrates, and a superuser or owner of the audit table is warned about.
    private func migrate(
        _ pool: PostgresPool,
        owner ownerTarget: PostgresTarget?,
        notifier: SystemdNotifier
    ) async throws {
        let directory =
            configuration.migrationsDirectory.map { URL(fileURLWithPath: $0) }
            ?? Migration.defaultDirectory()
        let migrations = try Migration.load(from: directory)
        let deadline = ContinuousClock.now + configuration.databaseStartTimeout
        var wait = Duration.milliseconds(250)
        while true {
            do {
                guard let ownerTarget else {
                    try await Migrator(pool: pool, logger: logger).migrate(migrations)
                    for problem in try await RuntimeGrants.problems(pool: pool) { logger.warning("\(problem)") }
                    return
                }
                let runtimeRole = try await RuntimeGrants.currentRole(pool: pool)
                let owner = PostgresPool(
                    configuration: .init(target: ownerTarget, maximumConnections: 1),
                    logger: logger
                )
                do {
                    try await Migrator(pool: owner, logger: logger).migrate(migrations)
                    if try await RuntimeGrants.currentRole(pool: owner) != runtimeRole {
                        try await RuntimeGrants.apply(to: runtimeRole, pool: owner)
                        logger.info(
                            "runtime role granted its privileges",
                            metadata: ["database.role": "\(runtimeRole)"]
                        )
                    }
                    await owner.shutdown()
                } catch {
                    await owner.shutdown()
                    throw error
                }
                for problem in try await RuntimeGrants.problems(pool: pool) { logger.warning("\(problem)") }
                return
            } catch let error as PostgresError where error.code == .connectionFailed {
                let reason = error.serverMessage.trimmingCharacters(in: .whitespacesAndNewlines)
                guard ContinuousClock.now + wait < deadline else {
                    throw DaemonError(
                        message:
                            "cannot connect to PostgreSQL (\(reason)); gave up after \(configuration.databaseStartTimeout); "
                            + "check --database or the PG* environment, or raise databaseStartTimeoutSeconds"
                    )
                }
                logger.warning(
                    "cannot reach PostgreSQL yet; retrying",
                    metadata: [
                        "error": "\(reason)", "retry.in": "\(wait)",
                        "retry.until": "\(configuration.databaseStartTimeout) after start",
                    ]
                )
                notifier.status("Waiting for the database: \(reason)")
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(2))
            }
        }
    }
}

/// A start-up failure, said in one sentence.
extension Daemon {
    /// With `synchronousStandby: warn` or `require`: whether the server written to confirms
    /// each commit on a synchronous standby, so that what incidentd acknowledges survives the
    /// loss of that server (docs/operations.md). Refuses to start, or warns, when it does not.
    func checkSynchronousStandby(_ pool: PostgresPool) async throws {
        guard configuration.synchronousStandby != .off else { return }
        let facts = try await pool.withConnection { connection in
            let row = try connection.query(
                """
                SELECT current_setting('synchronous_standby_names') AS names,
                    current_setting('synchronous_commit') AS commit,
                    (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')) AS connected
                """
            ).first!
            return (
                names: try row.decode(String.self, "names"), commit: try row.decode(String.self, "commit"),
                connected: try row.decode(Int64.self, "connected")
            )
        }
        let problem: String?
        if facts.names.isEmpty {
            problem =
                "the database server names no synchronous standby (synchronous_standby_names is empty), so a report "
                + "incidentd acknowledged is lost if that server is lost before its standby has it"
        } else if ["off", "local"].contains(facts.commit) {
            problem =
                "synchronous_commit is \(facts.commit) for incidentd's role, so commits do not wait for the "
                + "synchronous standby"
        } else if facts.connected == 0 {
            problem =
                "no synchronous standby is connected (or this role may not see pg_stat_replication: grant it "
                + "pg_monitor), so commits wait until one is"
        } else {
            problem = nil
        }
        guard let problem else {
            logger.info("commits wait for a synchronous standby", metadata: ["standbys": "\(facts.connected)"])
            return
        }
        if configuration.synchronousStandby == .require {
            throw DaemonError(
                message:
                    "synchronousStandby is require, but \(problem); configure the standby, or set synchronousStandby: warn"
            )
        }
        logger.warning("\(problem)", metadata: ["synchronousStandby": "warn"])
    }
}

public struct DaemonError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
