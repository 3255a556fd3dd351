import Foundation
import IncidentCore
import IncidentStore
import Logging
import Metrics
import Postgres
import Prometheus
import Synchronization

/// What monitoring scrapes (docs/monitoring.md), in the OpenMetrics text format: counts of
/// open incidents and owed obligations, the hook queue, the audit seal's backlog and the pool,
/// read from the database at each scrape; call and delivery latencies and errors, recorded as
/// they happen through swift-metrics. No label holds personal data or an incident reference:
/// phases, severities, regimes, hook names, method and error names only.
final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let store: IncidentStore
    private let playbooks: PlaybookRegistry
    private let pool: PostgresPool
    private let lead: Duration
    private let logger: Logger
    /// Regimes that had a gauge: set to 0 when nothing is owed, rather than vanishing.
    private let regimes = Mutex<Set<String>>([])
    /// At most one read of the database a second, however often it is scraped.
    private let sampled = Mutex<ContinuousClock.Instant?>(nil)

    /// The registry swift-metrics reports into, for the whole process, made (and swift-metrics
    /// bootstrapped with it) the first time it is asked for: before anything creates a metric.
    static let processRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    init(
        registry: PrometheusCollectorRegistry,
        store: IncidentStore,
        playbooks: PlaybookRegistry,
        pool: PostgresPool,
        lead: Duration,
        logger: Logger
    ) {
        self.registry = registry
        self.store = store
        self.playbooks = playbooks
        self.pool = pool
        self.lead = lead
        self.logger = logger
    }

    /// The exposition: the database's counts read now (or under a second ago), then everything.
    func render() async -> [UInt8] {
        await sample()
        return registry.emitToBuffer()
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(name: name, labels: labels, help: help)
    }

    private func sample() async {
        let now = ContinuousClock.now
        let due = sampled.withLock { last in
            guard last.map({ $0.duration(to: now) < .seconds(1) }) != true else { return false }
            last = now
            return true
        }
        guard due else { return }
        gauge("incidentd_database_connections_in_use", "Pooled connections a call holds now.")
            .set(Int64(pool.connectionsInUse))
        gauge("incidentd_database_connections_max", "The pool's size (databaseConnections).")
            .set(Int64(pool.configuration.maximumConnections))
        let reachable = gauge("incidentd_database_up", "1 when the last scrape could read the database.")
        do {
            let counts = try await store.monitoringCounts(lead: lead)
            try await record(counts)
            reachable.set(Int64(1))
        } catch {
            reachable.set(Int64(0))
            logger.warning("metrics: cannot read the database's counts", metadata: ["error": "\(error)"])
        }
    }

    private func record(_ counts: MonitoringCounts) async throws {
        for phase in Phase.allCases where phase != .closed {
            for severity in Severity.allCases {
                let key = MonitoringCounts.Key(phase: phase.rawValue, severity: severity.rawValue)
                gauge(
                    "incidentd_open_incidents",
                    "Open incidents by phase and severity.",
                    [("phase", phase.rawValue), ("severity", severity.rawValue)]
                ).set(counts.open[key] ?? 0)
            }
        }
        // Each owed task's regime comes from its incident's playbook version.
        try await playbooks.resolve(counts.owed.map(\.playbookDigest), from: store)
        let versions = playbooks.versions
        var overdue: [String: Int64] = [:]
        var dueSoon: [String: Int64] = [:]
        for task in counts.owed {
            guard let regime = versions.cached(digest: task.playbookDigest)?.task(task.task)?.regime else { continue }
            overdue[regime, default: 0] += task.overdue
            dueSoon[regime, default: 0] += task.dueSoon
        }
        let every = regimes.withLock { seen in
            seen.formUnion(overdue.keys)
            seen.formUnion(dueSoon.keys)
            return seen
        }
        for regime in every.sorted() {
            let help =
                "Legal obligations (tasks of a regime) owed, by regime: past due, or due within dueSoonLeadMinutes."
            gauge("incidentd_obligations", help, [("regime", regime), ("state", "overdue")]).set(overdue[regime] ?? 0)
            gauge("incidentd_obligations", help, [("regime", regime), ("state", "due_soon")]).set(dueSoon[regime] ?? 0)
        }
        gauge("incidentd_hook_queue_depth", "Hook deliveries waiting or running.").set(counts.hookQueue)
        gauge("incidentd_hook_deliveries_dead", "Hook deliveries that used up their attempts and were not retried.")
            .set(counts.hookDead)
        gauge("incidentd_audit_records_pending_seal", "Audit records written and not yet sealed into the chain.")
            .set(counts.auditPending)
    }
}

/// The metrics recorded as things happen, through swift-metrics: nothing when no metrics
/// listener bootstrapped a backend.
enum Recorded {
    /// A timer of one method's calls, made once per method.
    struct CallTimer: Sendable {
        let timer: Metrics.Timer

        init(_ method: String) {
            timer = Metrics.Timer(label: "incidentd_call_duration_seconds", dimensions: [("method", method)])
        }

        /// A call that started at `started` ended now.
        func record(since started: ContinuousClock.Instant) {
            timer.recordNanoseconds(started.duration(to: .now).nanoseconds)
        }
    }

    /// A call to `method` that ended with the error named `error`.
    static func callFailed(_ method: String, error: String) {
        Counter(label: "incidentd_call_errors_total", dimensions: [("method", method), ("error", error)]).increment()
    }

    /// A delivery of `hook` that ended `outcome` (delivered, failed, dead), `latency` after its
    /// event was committed when delivered.
    static func delivery(_ hook: String, outcome: String, latency: Duration?) {
        Counter(label: "incidentd_hook_deliveries_total", dimensions: [("hook", hook), ("outcome", outcome)])
            .increment()
        if let latency {
            Metrics.Timer(label: "incidentd_hook_delivery_latency_seconds", dimensions: [("hook", hook)])
                .recordNanoseconds(latency.nanoseconds)
        }
    }
}
