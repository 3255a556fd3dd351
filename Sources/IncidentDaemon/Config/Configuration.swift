import Foundation
import IncidentCore
import IncidentProtocol
import Logging
import Yams

/// Everything the daemon needs to start, from defaults, the YAML config file, the environment
/// and flags — later sources override earlier ones. Every key is documented in
/// `docs/configuration.md`.
public struct Configuration: Sendable, Equatable {
    /// Where the Varlink socket is created.
    public var socketPath: String
    /// The group that owns the socket; members may connect (mode 0660).
    public var socketGroup: String?
    public var socketMode: UInt16 = 0o660
    /// A libpq conninfo string or URI. Nil with no `PG*` variables set means: run the embedded cluster.
    public var database: String?
    /// The owner role's conninfo, for migrations (and the grants that follow them); requests
    /// are served as the role of `database`. Nil: the `database` role migrates too.
    public var migrationDatabase: String?
    /// Where the embedded cluster and other state live.
    public var stateDirectory: String
    /// The SQL migrations applied at start-up.
    public var migrationsDirectory: String?
    /// The playbooks; the shipped ones when nil.
    public var playbooksDirectory: String?
    /// The system user that runs the embedded PostgreSQL when incidentd runs as root: its own
    /// service account by default, never the distribution's shared `postgres`, whose other
    /// clusters and whoever can become it must not reach incidentd's files.
    public var embeddedPostgresUser: String = DefaultPaths.serviceUser
    /// The user exec hooks run as when incidentd runs as root (the service account by
    /// default); `root` only when set so explicitly. Ignored when incidentd is not root.
    public var hookUser: String = DefaultPaths.serviceUser
    public var databaseConnections: Int = 8
    /// How long start-up waits for an unreachable database before giving up.
    public var databaseStartTimeout: Duration = .seconds(60)
    public var logLevel: Logger.Level = .info
    /// The largest message a client may send, in bytes.
    public var maximumMessageSize: Int = 1 << 20
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// Connections one user may hold open at once.
    public var maximumConnectionsPerUser: Int = 256
    /// How many changing calls each user may make (root and the daemon's account: no limit).
    public var rateLimits = RateLimits()
    /// Facts about the organisation every incident starts with (`nis2Entity: true`,
    /// `secRegistrant: false`), as text; each must be a field some playbook declares.
    public var organisation: [String: String] = [:]
    /// Who the organisation is and how people reach it, for the notices (`profile:`).
    public var profile = OrganisationProfile()
    /// The most bytes callers may send to one incident in notes, captures, reasons and updates.
    public var maximumBytesPerIncident: Int = 16 * 1024 * 1024
    /// The limits on evidence files: each file, and all of one incident's.
    public var evidenceLimits = EvidenceLimits()
    /// An evidence upload nothing arrived for in this long is abandoned and removed.
    public var evidenceUploadTimeout: Duration = .seconds(3600)
    /// How users and groups map to roles.
    public var roles: RoleAssignments = .defaults
    /// How often committed audit records are sealed into the hash chain.
    public var auditSealInterval: Duration = .seconds(1)
    /// The hooks events are delivered to.
    public var hooks: [HookDefinition] = []
    /// Hooks run at once, at most.
    public var hookConcurrency: Int = 4
    /// The wait before the second attempt; doubles with each failure (with jitter), up to an hour.
    public var hookRetryBase: Duration = .seconds(10)
    /// How often an idle dispatcher looks for deliveries when no notification wakes it:
    /// retries falling due, and what other daemons queued while it could not listen.
    public var hookPollInterval: Duration = .seconds(1)
    /// How often `Watch` looks for events when no notification wakes it.
    public var watchPollInterval: Duration = .seconds(2)
    /// A delivery's lease is its hook's timeout plus this; a daemon that died loses it then.
    public var hookLeaseMargin: Duration = .seconds(30)
    /// A hook hears a repeated event of one incident (a folded report) at most once in this long.
    public var hookCoalesceWindow: Duration = .seconds(300)
    /// How long before its deadline a task is due soon.
    public var dueSoonLead: Duration = .seconds(24 * 3600)
    /// How often the scheduler looks for due-soon and overdue tasks.
    public var schedulerInterval: Duration = .seconds(30)
    /// The data-encryption key file; `stateDirectory/keys` when nil.
    public var keyFile: String?
    /// Encryption at rest of sensitive text. Off only to measure what it costs.
    public var encryption: Bool = true
    /// Days a closed incident keeps its personal data when its playbook sets no
    /// `retentionDays`; nil keeps it until purged by hand.
    public var retentionDays: Int?
    /// Whether the server written to must confirm each commit on a synchronous standby before
    /// incidentd acknowledges it: `require` refuses to start without one, `warn` starts and
    /// says so, `off` (the default) does not look (a single server, or accepted risk).
    public var synchronousStandby: SynchronousStandbyPolicy = .off

    public enum SynchronousStandbyPolicy: String, Sendable {
        case off, warn, require
    }

    /// Where OpenMetrics are served (docs/monitoring.md); nil, the default: nowhere.
    public var metricsListen: MetricsListener?
    /// Allows `metricsListen` an address other machines can reach.
    public var metricsAllowRemote = false

    /// Where the key file is.
    public var keyFilePath: String { keyFile ?? (stateDirectory as NSString).appendingPathComponent("keys") }
    /// The Ed25519 key that signs audit checkpoints; beside the key file unless set.
    public var auditSigningKeyFile: String?
    public var auditSigningKeyPath: String {
        auditSigningKeyFile
            ?? ((keyFilePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
                "audit-signing.key"
            )
    }
    /// The last checkpoint this daemon signed, in its own state directory.
    public var auditHeadPath: String { (stateDirectory as NSString).appendingPathComponent("audit-head.json") }

    public init(socketPath: String, stateDirectory: String) {
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
    }

    /// Defaults for the current user: root gets the system paths, anyone else their XDG directories.
    public static func defaults(environment: [String: String] = ProcessInfo.processInfo.environment) -> Configuration {
        if getuid() == 0 {
            return Configuration(
                socketPath: DefaultPaths.systemSocket,
                stateDirectory: environment["STATE_DIRECTORY"] ?? "/var/lib/incidentd"
            )
        }
        return Configuration(
            socketPath: DefaultPaths.socket(uid: getuid(), environment: environment),
            stateDirectory: DefaultPaths.stateDirectory(uid: getuid(), environment: environment)
        )
    }

    /// True when libpq will find a server from the environment alone.
    public static func environmentNamesDatabase(_ environment: [String: String]) -> Bool {
        ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"].contains { environment[$0] != nil }
    }
}

/// A problem in the configuration, with the file and line where it can be fixed.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var message: String

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

extension Configuration {
    /// The keys of the YAML file; anything else is refused, so a typo never goes unnoticed.
    static let fileKeys: Set<String> = [
        "socket", "socketGroup", "socketMode", "database", "stateDirectory", "migrationsDirectory",
        "migrationDatabase", "embeddedPostgresUser", "hookUser", "databaseConnections", "logLevel",
        "maximumMessageSize", "idleTimeoutSeconds",
        "roles", "auditSealIntervalMilliseconds", "auditSigningKeyFile", "playbooksDirectory", "hooks",
        "hookConcurrency",
        "hookRetryBaseMilliseconds", "hookPollIntervalMilliseconds", "dueSoonLeadMinutes",
        "schedulerIntervalMilliseconds", "watchPollIntervalMilliseconds",
        "hookLeaseMarginMilliseconds", "keyFile", "encryption", "retentionDays", "databaseStartTimeoutSeconds",
        "maximumConnectionsPerUser", "rateLimits", "maximumBytesPerIncident", "hookCoalesceSeconds", "organisation",
        "profile", "maximumEvidenceFileBytes", "maximumEvidenceBytesPerIncident", "evidenceUploadTimeoutSeconds",
        "synchronousStandby", "metricsListen", "metricsAllowRemote",
    ]

    /// Applies the YAML config file at `path` on top of `self`.
    public func applying(file path: String) throws(ConfigurationError) -> Configuration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(file: path, message: "is not valid YAML: \(error)")
        }
        guard let node else { return self }
        guard let mapping = node.mapping else {
            throw ConfigurationError(file: path, line: node.mark?.line, message: "must be a mapping of keys to values")
        }
        var configuration = self
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { continue }
            let fail = { (message: String) in ConfigurationError(file: path, line: keyNode.mark?.line, message: message)
            }
            guard Self.fileKeys.contains(key) else {
                throw fail("unknown key \(key); known keys are \(Self.fileKeys.sorted().joined(separator: ", "))")
            }
            try configuration.apply(key, value, file: path, fail: fail)
        }
        if let listener = configuration.metricsListen, !listener.isLocal, !configuration.metricsAllowRemote {
            throw ConfigurationError(
                file: path,
                message: "metricsListen \(listener) is reachable from other machines; listen on a loopback address "
                    + "(127.0.0.1) or a Unix socket, or set metricsAllowRemote: true if you mean it"
            )
        }
        return configuration
    }

    /// Sets the setting `key` of the file from its `value`.
    private mutating func apply(
        _ key: String,
        _ value: Node,
        file path: String,
        fail: (String) -> ConfigurationError
    ) throws(ConfigurationError) {
        switch key {
        case "roles": roles = try Self.roles(from: value, file: path)
        case "hooks": hooks = try Self.hooks(from: value, file: path)
        case "rateLimits": rateLimits = try Self.rateLimits(from: value, file: path)
        case "organisation":
            guard let facts = value.mapping else {
                throw fail("organisation must be a mapping of facts to values, such as nis2Entity: true")
            }
            var organisation: [String: String] = [:]
            for (name, fact) in facts {
                guard let name = name.string, let text = fact.scalar?.string else {
                    throw fail("each organisation fact is a name and one value, such as secRegistrant: false")
                }
                organisation[name] = text
            }
            self.organisation = organisation
        case "profile": profile = try Self.profile(from: value, fail: fail)
        default:
            guard let scalar = value.scalar?.string else { throw fail("\(key) must be a single value") }
            if try !applyText(key, scalar, fail: fail) { try applyNumber(key, scalar, fail: fail) }
        }
    }

    /// Sets a setting whose value is a path, a name, a mode, a level or a flag; false when
    /// `key` is none of those.
    private mutating func applyText(
        _ key: String,
        _ scalar: String,
        fail: (String) -> ConfigurationError
    ) throws(ConfigurationError) -> Bool {
        switch key {
        case "socket": socketPath = scalar
        case "socketGroup": socketGroup = scalar
        case "socketMode":
            guard let mode = UInt16(scalar, radix: 8), mode <= 0o777 else {
                throw fail("socketMode must be an octal mode such as \"0660\"")
            }
            socketMode = mode
        case "database": database = scalar
        case "migrationDatabase": migrationDatabase = scalar
        case "stateDirectory": stateDirectory = scalar
        case "migrationsDirectory": migrationsDirectory = scalar
        case "playbooksDirectory": playbooksDirectory = scalar
        case "embeddedPostgresUser": embeddedPostgresUser = scalar
        case "hookUser": hookUser = scalar
        case "logLevel":
            guard let level = Logger.Level(rawValue: scalar) else {
                throw fail("logLevel must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        case "auditSigningKeyFile": auditSigningKeyFile = scalar
        case "keyFile":
            guard scalar.hasPrefix("/") else { throw fail("keyFile must be an absolute path") }
            keyFile = scalar
        case "encryption":
            guard let flag = Bool(scalar) else { throw fail("encryption must be true or false") }
            encryption = flag
        case "metricsListen":
            guard case .success(let listener) = MetricsListener.parse(scalar) else {
                throw fail("metricsListen must be HOST:PORT (such as 127.0.0.1:9464) or a socket path starting with /")
            }
            metricsListen = listener
        case "metricsAllowRemote":
            guard let flag = Bool(scalar) else { throw fail("metricsAllowRemote must be true or false") }
            metricsAllowRemote = flag
        default: return false
        }
        return true
    }

    /// Sets a setting whose value is a count, a size or a length of time.
    private mutating func applyNumber(
        _ key: String,
        _ scalar: String,
        fail: (String) -> ConfigurationError
    ) throws(ConfigurationError) {
        switch key {
        case "databaseConnections":
            guard let count = Int(scalar), (1...256).contains(count) else {
                throw fail("databaseConnections must be a whole number from 1 to 256")
            }
            databaseConnections = count
        case "maximumMessageSize":
            guard let size = Int(scalar), size >= 1024 else {
                throw fail("maximumMessageSize must be a number of bytes, at least 1024")
            }
            maximumMessageSize = size
        case "idleTimeoutSeconds":
            guard let seconds = Int(scalar), seconds > 0 else {
                throw fail("idleTimeoutSeconds must be a positive whole number")
            }
            idleTimeout = .seconds(seconds)
        case "hookConcurrency":
            guard let count = Int(scalar), (1...256).contains(count) else {
                throw fail("hookConcurrency must be a whole number from 1 to 256")
            }
            hookConcurrency = count
        case "hookRetryBaseMilliseconds", "hookPollIntervalMilliseconds", "schedulerIntervalMilliseconds",
            "hookLeaseMarginMilliseconds", "watchPollIntervalMilliseconds":
            guard let milliseconds = Int(scalar), milliseconds >= 10 else {
                throw fail("\(key) must be a whole number, at least 10")
            }
            switch key {
            case "hookRetryBaseMilliseconds": hookRetryBase = .milliseconds(milliseconds)
            case "hookPollIntervalMilliseconds": hookPollInterval = .milliseconds(milliseconds)
            case "hookLeaseMarginMilliseconds": hookLeaseMargin = .milliseconds(milliseconds)
            case "watchPollIntervalMilliseconds": watchPollInterval = .milliseconds(milliseconds)
            default: schedulerInterval = .milliseconds(milliseconds)
            }
        case "dueSoonLeadMinutes":
            guard let minutes = Int(scalar), minutes >= 0 else {
                throw fail("dueSoonLeadMinutes must be a whole number")
            }
            dueSoonLead = .seconds(minutes * 60)
        case "maximumConnectionsPerUser":
            guard let count = Int(scalar), (1...100_000).contains(count) else {
                throw fail("maximumConnectionsPerUser must be a whole number from 1 to 100000")
            }
            maximumConnectionsPerUser = count
        case "hookCoalesceSeconds":
            guard let seconds = Int(scalar), (0...86_400).contains(seconds) else {
                throw fail("hookCoalesceSeconds must be a whole number of seconds, 0 to 86400")
            }
            hookCoalesceWindow = .seconds(seconds)
        case "maximumBytesPerIncident":
            guard let bytes = Int(scalar), bytes >= 64 * 1024 else {
                throw fail("maximumBytesPerIncident must be a whole number of bytes, at least 65536")
            }
            maximumBytesPerIncident = bytes
        case "maximumEvidenceFileBytes":
            guard let bytes = Int64(scalar), bytes >= 1 else {
                throw fail("maximumEvidenceFileBytes must be a whole number of bytes, at least 1")
            }
            evidenceLimits.maximumFileBytes = bytes
        case "maximumEvidenceBytesPerIncident":
            guard let bytes = Int64(scalar), bytes >= 1 else {
                throw fail("maximumEvidenceBytesPerIncident must be a whole number of bytes, at least 1")
            }
            evidenceLimits.maximumBytesPerIncident = bytes
        case "evidenceUploadTimeoutSeconds":
            guard let seconds = Int(scalar), (1...604_800).contains(seconds) else {
                throw fail("evidenceUploadTimeoutSeconds must be a whole number of seconds, 1 to 604800")
            }
            evidenceUploadTimeout = .seconds(seconds)
        case "databaseStartTimeoutSeconds":
            guard let seconds = Int(scalar), (0...86_400).contains(seconds) else {
                throw fail("databaseStartTimeoutSeconds must be a whole number of seconds, 0 to 86400")
            }
            databaseStartTimeout = .seconds(seconds)
        case "synchronousStandby":
            guard let policy = SynchronousStandbyPolicy(rawValue: scalar) else {
                throw fail("synchronousStandby must be off, warn or require")
            }
            synchronousStandby = policy
        case "retentionDays":
            guard let days = Int(scalar), (1...36_500).contains(days) else {
                throw fail("retentionDays must be a whole number of days, 1 to 36500")
            }
            retentionDays = days
        case "auditSealIntervalMilliseconds":
            guard let milliseconds = Int(scalar), milliseconds >= 10 else {
                throw fail("auditSealIntervalMilliseconds must be a whole number, at least 10")
            }
            auditSealInterval = .milliseconds(milliseconds)
        default: break
        }
    }
}

extension Configuration {
    /// Parses the `roles` section:
    ///
    /// ```yaml
    /// roles:
    ///   anyoneMayReport: true
    ///   users: { alice: [manager], bob: [investigator, auditor] }
    ///   groups: { dpo: [manager] }
    /// ```
    /// `users` and `groups` are added to the defaults (root and the `incidentd-*` groups).
    static func roles(from node: Node, file: String) throws(ConfigurationError) -> RoleAssignments {
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        guard let mapping = node.mapping else { throw fail(node, "roles must be a mapping") }
        var assignments = RoleAssignments.defaults
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "anyoneMayReport":
                guard let flag = value.bool else { throw fail(value, "roles.anyoneMayReport must be true or false") }
                assignments.anyoneMayReport = flag
            case "users", "groups":
                guard let entries = value.mapping else {
                    throw fail(value, "roles.\(keyNode.string ?? "") must be a mapping")
                }
                for (nameNode, rolesNode) in entries {
                    guard let name = nameNode.string else { throw fail(nameNode, "a name must be text") }
                    let names = rolesNode.sequence?.compactMap(\.string) ?? rolesNode.string.map { [$0] } ?? []
                    var roles: Set<Role> = []
                    for roleName in names {
                        guard let role = Role(rawValue: roleName) else {
                            throw fail(
                                rolesNode,
                                "unknown role \(roleName); roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))"
                            )
                        }
                        roles.insert(role)
                    }
                    if keyNode.string == "users" {
                        assignments.users[name, default: []].formUnion(roles)
                    } else {
                        assignments.groups[name, default: []].formUnion(roles)
                    }
                }
            default:
                throw fail(
                    keyNode,
                    "unknown key roles.\(keyNode.string ?? ""); known keys are anyoneMayReport, users, groups"
                )
            }
        }
        return assignments
    }
}

extension Configuration {
    /// Parses the `rateLimits` section:
    ///
    /// ```yaml
    /// rateLimits:
    ///   default: {perMinute: 600, burst: 600}
    ///   users: {dlp-agent: {perMinute: 6000, burst: 3000}}
    ///   groups: {soc: {perMinute: 0}}            # 0: no limit
    /// ```
    static func rateLimits(from node: Node, file: String) throws(ConfigurationError) -> RateLimits {
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        func limit(_ node: Node, _ name: String) throws(ConfigurationError) -> RateLimit {
            guard let mapping = node.mapping else {
                throw fail(node, "\(name) must be a mapping such as {perMinute: 600, burst: 600}")
            }
            var perMinute: Int?
            var burst: Int?
            for (keyNode, value) in mapping {
                guard let number = value.int, (0...1_000_000).contains(number) else {
                    throw fail(value, "\(name).\(keyNode.string ?? "") must be a whole number from 0 to 1000000")
                }
                switch keyNode.string {
                case "perMinute": perMinute = number
                case "burst": burst = number
                default:
                    throw fail(keyNode, "unknown key \(name).\(keyNode.string ?? ""); known keys are perMinute, burst")
                }
            }
            guard let perMinute else { throw fail(node, "\(name) needs perMinute (0 for no limit)") }
            let bursting = burst ?? perMinute
            guard perMinute == 0 || bursting >= 1 else { throw fail(node, "\(name).burst must be at least 1") }
            return RateLimit(perMinute: perMinute, burst: bursting)
        }
        guard let mapping = node.mapping else { throw fail(node, "rateLimits must be a mapping") }
        var limits = RateLimits()
        for (keyNode, value) in mapping {
            switch keyNode.string {
            case "default": limits.defaultLimit = try limit(value, "rateLimits.default")
            case "users", "groups":
                let section = keyNode.string ?? ""
                guard let entries = value.mapping else {
                    throw fail(value, "rateLimits.\(section) must be a mapping of names to limits")
                }
                for (nameNode, limitNode) in entries {
                    guard let name = nameNode.string else { throw fail(nameNode, "a name must be text") }
                    let parsed = try limit(limitNode, "rateLimits.\(section).\(name)")
                    if section == "users" { limits.users[name] = parsed } else { limits.groups[name] = parsed }
                }
            default:
                throw fail(
                    keyNode,
                    "unknown key rateLimits.\(keyNode.string ?? ""); known keys are default, users, groups"
                )
            }
        }
        return limits
    }
}

extension Configuration {
    /// Parses the `hooks` section, a list of:
    ///
    /// ```yaml
    /// - name: log
    ///   exec: [/usr/local/share/incidentd/hooks/log-to-file, /var/log/incidentd/events.log]
    ///   events: [incident.reported, task.overdue]
    ///   severities: [high, critical]      # optional filters: severities, playbooks, phases
    ///   timeoutSeconds: 30
    ///   maxAttempts: 5
    ///   personalData: false
    ///   restricted: reference             # none | reference | full: what it hears of restricted incidents
    /// - name: chat
    ///   url: https://chat.example.org/hooks/incidents   # a webhook instead of exec
    ///   secretFile: /etc/incidentd/chat.secret           # Standard Webhooks signing key
    /// ```
    static func hooks(from node: Node, file: String) throws(ConfigurationError) -> [HookDefinition] {
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        guard let items = node.sequence else { throw fail(node, "hooks must be a list") }
        let keys = [
            "name", "exec", "url", "secretFile", "events", "severities", "playbooks", "phases", "timeoutSeconds",
            "maxAttempts", "personalData", "restricted",
        ]
        var hooks: [HookDefinition] = []
        for item in items {
            guard let mapping = item.mapping else { throw fail(item, "each hook must be a mapping") }
            var values: [String: Node] = [:]
            for (keyNode, value) in mapping {
                guard let key = keyNode.string, keys.contains(key) else {
                    throw fail(
                        keyNode,
                        "unknown key \(keyNode.string ?? "") in a hook; known keys are \(keys.joined(separator: ", "))"
                    )
                }
                values[key] = value
            }
            func list(_ key: String) -> [String] {
                values[key]?.sequence?.compactMap(\.string) ?? values[key]?.string.map { [$0] } ?? []
            }
            guard let name = values["name"]?.string, !name.isEmpty else { throw fail(item, "a hook needs a name") }
            if hooks.contains(where: { $0.name == name }) { throw fail(item, "hook \(name) is defined twice") }
            let kind = try hookKind(name, values, item, file: file)
            for event in list("events") where !HookDefinition.eventKinds.contains(event) {
                throw fail(
                    values["events"]!,
                    "unknown event \(event); events are \(HookDefinition.eventKinds.joined(separator: ", "))"
                )
            }
            var severities: [Severity] = []
            for text in list("severities") {
                guard let severity = Severity(rawValue: text) else {
                    throw fail(values["severities"]!, "unknown severity \(text)")
                }
                severities.append(severity)
            }
            var phases: [Phase] = []
            for text in list("phases") {
                guard let phase = Phase(rawValue: text) else { throw fail(values["phases"]!, "unknown phase \(text)") }
                phases.append(phase)
            }
            var hook = HookDefinition(
                name: name,
                kind: kind,
                events: list("events"),
                severities: severities,
                playbooks: list("playbooks"),
                phases: phases
            )
            try applyLimits(values, to: &hook, file: file)
            hooks.append(hook)
        }
        return hooks
    }

    /// A hook's limits and what it hears: timeoutSeconds, maxAttempts, restricted, personalData.
    private static func applyLimits(
        _ values: [String: Node],
        to hook: inout HookDefinition,
        file: String
    ) throws(ConfigurationError) {
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        if let timeout = values["timeoutSeconds"] {
            guard let seconds = timeout.int, (1...3600).contains(seconds) else {
                throw fail(timeout, "timeoutSeconds must be 1 to 3600")
            }
            hook.timeout = .seconds(seconds)
        }
        if let attempts = values["maxAttempts"] {
            guard let count = attempts.int, (1...100).contains(count) else {
                throw fail(attempts, "maxAttempts must be 1 to 100")
            }
            hook.maxAttempts = count
        }
        if let restricted = values["restricted"] {
            guard let text = restricted.string, let content = HookDefinition.RestrictedContent(rawValue: text)
            else {
                throw fail(restricted, "restricted must be none, reference or full")
            }
            hook.restricted = content
        }
        if let personal = values["personalData"] {
            guard let flag = personal.bool else { throw fail(personal, "personalData must be true or false") }
            hook.personalData = flag
        }
    }

    /// What a hook runs: a program (`exec`) or a webhook (`url` and its `secretFile`).
    private static func hookKind(
        _ name: String,
        _ values: [String: Node],
        _ item: Node,
        file: String
    ) throws(ConfigurationError) -> HookDefinition.Kind {
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        switch (values["exec"], values["url"]) {
        case (.some(let exec), .none):
            let argv = exec.sequence?.compactMap(\.string) ?? exec.string.map { [$0] } ?? []
            guard let program = argv.first, program.hasPrefix("/") else {
                throw fail(item, "hook \(name) needs 'exec', a list starting with the program's absolute path")
            }
            if values["secretFile"] != nil {
                throw fail(item, "hook \(name) runs a program; secretFile is for webhooks")
            }
            return .exec(argv: argv)
        case (.none, .some(let urlNode)):
            guard let url = urlNode.string, let parsed = URL(string: url),
                ["http", "https"].contains(parsed.scheme?.lowercased()),
                parsed.host?.isEmpty == false
            else {
                throw fail(urlNode, "hook \(name) needs an http:// or https:// URL with a host")
            }
            guard let secretNode = values["secretFile"], let secretPath = secretNode.string, secretPath.hasPrefix("/")
            else {
                throw fail(item, "webhook \(name) needs secretFile, the absolute path of its signing key")
            }
            return .webhook(
                url: url,
                secret: try webhookSecret(at: secretPath, hook: name, node: secretNode, file: file)
            )
        default:
            throw fail(item, "hook \(name) needs exactly one of 'exec' (a program) or 'url' (a webhook)")
        }
    }

    /// Reads a webhook's signing key; the file must not be readable by other users.
    static func webhookSecret(
        at path: String,
        hook: String,
        node: Node,
        file: String
    ) throws(ConfigurationError) -> WebhookSecret {
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: node.mark?.line, message: message)
        }
        let text: String
        switch SecretFile.read(path, sharing: .group) {
        case .success(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .failure(let problem): throw fail("the secret of webhook \(hook) at \(problem.sentence(path))")
        }
        guard let secret = WebhookSecret(fileText: text) else {
            throw fail("the secret of webhook \(hook) at \(path) is empty, or starts with whsec_ but is not base64")
        }
        return secret
    }
}

extension Configuration {
    /// `profile:` — legalName, contact, address, telephone, tollFreeTelephone, email, website,
    /// timeZone, and `authorities:` by jurisdiction, each `{name, channel}`.
    static func profile(
        from node: Node,
        fail: (String) -> ConfigurationError
    ) throws(ConfigurationError)
        -> OrganisationProfile
    {
        let texts = [
            "legalName", "contact", "address", "telephone", "tollFreeTelephone", "email", "website", "timeZone",
        ]
        guard let mapping = node.mapping else {
            throw fail("profile must be a mapping, such as legalName: Example Shop GmbH")
        }
        var profile = OrganisationProfile()
        var given: [String: String] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, texts.contains(key) || key == "authorities" else {
                throw fail(
                    "unknown profile key \(keyNode.string ?? "?"); known keys are \((texts + ["authorities"]).joined(separator: ", "))"
                )
            }
            if key == "authorities" {
                guard let authorities = value.mapping else {
                    throw fail("profile.authorities must map a jurisdiction to its authority, such as DE: {name: BfDI}")
                }
                for (code, entry) in authorities {
                    guard let code = code.string, Jurisdiction(rawValue: code) != nil || code == "EU" else {
                        throw fail(
                            "profile.authorities: \(code.string ?? "?") is not a country code, EU or a US state such as US-CA"
                        )
                    }
                    guard let name = entry.mapping?["name"]?.string, !name.isEmpty,
                        entry.mapping?.keys.allSatisfy({ ["name", "channel"].contains($0.string ?? "") }) == true
                    else {
                        throw fail("profile.authorities.\(code) must be {name: …, channel: …} (channel optional)")
                    }
                    profile.authorities[code] = .init(name: name, channel: entry.mapping?["channel"]?.string)
                }
                continue
            }
            guard let text = value.scalar?.string else { throw fail("profile.\(key) must be a single text") }
            given[key] = text
        }
        if let zone = given["timeZone"], TimeZone(identifier: zone) == nil {
            throw fail("profile.timeZone \(zone) is not a time zone; give an IANA name such as Europe/Berlin")
        }
        profile.legalName = given["legalName"]
        profile.contact = given["contact"]
        profile.address = given["address"]
        profile.telephone = given["telephone"]
        profile.tollFreeTelephone = given["tollFreeTelephone"]
        profile.email = given["email"]
        profile.website = given["website"]
        profile.timeZone = given["timeZone"]
        return profile
    }
}
