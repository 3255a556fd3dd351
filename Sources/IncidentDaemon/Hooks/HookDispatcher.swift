import AsyncHTTPClient
import Foundation
import IncidentCore
import IncidentStore
import Logging
import ServiceLifecycle
import Synchronization

/// Claims due hook deliveries under a lease and runs them, up to a concurrency limit; records
/// every attempt; retries failures with exponential backoff and jitter until the hook's limit,
/// then marks them dead. A daemon that dies mid-delivery loses its lease, and another daemon
/// (or the restarted one) delivers it.
struct HookDispatcher: Service {
    let store: HookStore
    let hooks: [HookDefinition]
    let daemonID: String
    let concurrency: Int
    let retryBase: Duration
    let pollInterval: Duration
    let leaseMargin: Duration
    let doorbell: Doorbell
    /// Opens payloads sealed because they carry personal data.
    let cipher: CipherBox
    let logger: Logger
    let runner: ExecHookRunner

    /// Longer than any hook may run, so a live daemon never loses a lease it still works on.
    var lease: Duration {
        (hooks.map(\.timeout).max() ?? .seconds(30)) + leaseMargin
    }

    func run() async throws {
        let http = WebhookSender()
        let delivered = DeliveredBatch(store: store, daemonID: daemonID, logger: logger, backlog: 4 * concurrency)
        await dispatch(http, delivered)
        await delivered.drain()
        await http.shutdown()
    }

    /// Keeps up to `concurrency` deliveries running: a slot that frees is filled at once, so a
    /// hook that hangs until its timeout holds its slot, not the others. No hook holds every
    /// slot while other hooks are configured (`shareLimit`), so one hook's backlog of hanging
    /// deliveries cannot starve the rest. New work is found when the doorbell rings (this
    /// daemon's deliveries, and any daemon's through a notification) or at the poll interval
    /// (retries falling due, and other daemons' while this one cannot listen).
    private func dispatch(_ http: WebhookSender, _ delivered: DeliveredBatch) async {
        enum Finished {
            case delivery
            case wakeUp
        }
        let shareLimit = hooks.count > 1 ? max(1, concurrency - 1) : concurrency
        // A delivery frees its slot the moment it ends, not when this loop next takes its
        // result: the deliveries that end while one claim runs are all refilled by the next,
        // in one statement. (Counted by results, a claim under load took one delivery at a
        // time, and the claims, one after another, paced every delivery.)
        let running = RunningDeliveries()
        // A claimed delivery finishes even during shutdown: each hook is bounded by its timeout.
        await withTaskGroup(of: Finished.self) { group in
            var waiting = false
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                var claimed: [ClaimedDelivery] = []
                let byHook = running.byHook
                let total = byHook.values.reduce(0, +)
                if total < concurrency {
                    let full = byHook.filter { $0.value >= shareLimit }.map(\.key)
                    // However the batch falls, no hook goes past its share.
                    let busiest = byHook.values.filter { $0 < shareLimit }.max() ?? 0
                    let limit = min(concurrency - total, shareLimit - busiest)
                    do {
                        claimed = try await store.claim(limit: limit, daemon: daemonID, lease: lease, skipping: full)
                    } catch {
                        logger.warning("cannot claim hook deliveries; will retry", metadata: ["error": "\(error)"])
                    }
                    for delivery in claimed {
                        running.start(delivery.hook)
                        group.addTask {
                            await deliver(delivery, http: http, delivered: delivered)
                            running.end(delivery.hook)
                            return .delivery
                        }
                    }
                }
                // Claim again at once while there was work and room; otherwise wait for a slot
                // to free or for new work, whichever comes first.
                if !claimed.isEmpty, running.total < concurrency { continue }
                if running.total < concurrency, !waiting {
                    waiting = true
                    group.addTask {
                        // A stop does not wait out the poll interval.
                        await cancelWhenGracefulShutdown { await doorbell.wait(timeout: pollInterval) }
                        return .wakeUp
                    }
                }
                if case .wakeUp? = await group.next() { waiting = false }
            }
        }
    }

    private func deliver(_ delivery: ClaimedDelivery, http: WebhookSender, delivered: DeliveredBatch) async {
        var logger = self.logger
        logger[metadataKey: "hook.name"] = "\(delivery.hook)"
        logger[metadataKey: "hook.delivery"] = "\(delivery.id.uuidString.lowercased())"
        logger[metadataKey: "hook.attempt"] = "\(delivery.attempt)"
        let started = Date()
        guard let hook = hooks.first(where: { $0.name == delivery.hook }) else {
            await finish(
                delivery,
                started: started,
                outcome: .failed(error: "no hook named \(delivery.hook) is configured", retryAfter: backoff(delivery)),
                output: "",
                logger: logger
            )
            return
        }
        logger.debug(
            "running hook",
            metadata: ["hook.latency_ms": "\(Int(started.timeIntervalSince(delivery.createdAt) * 1000))"]
        )
        let payload: String
        do {
            payload = try openPayload(delivery)
        } catch {
            await finish(
                delivery,
                started: started,
                outcome: .failed(error: "\(error)", retryAfter: backoff(delivery)),
                output: "",
                logger: logger
            )
            return
        }
        let (outcome, output) = await run(hook, delivery, payload: payload, http: http)
        switch outcome {
        case .delivered:
            logger.info("hook delivered")
            Recorded.delivery(
                delivery.hook,
                outcome: "delivered",
                latency: .milliseconds(Int64(Date().timeIntervalSince(delivery.createdAt) * 1000))
            )
        case .failed(let error, _):
            let dead = delivery.attempt >= delivery.maxAttempts
            Recorded.delivery(delivery.hook, outcome: dead ? "dead" : "failed", latency: nil)
            logger.log(
                level: dead ? .error : .warning,
                dead ? "hook failed for the last time; delivery is dead" : "hook failed; will retry",
                metadata: ["hook.error": "\(error)"]
            )
        case .disableHook(let reason):
            Recorded.delivery(delivery.hook, outcome: "disabled", latency: nil)
            logger.error("the receiver asked to stop; hook disabled", metadata: ["hook.error": "\(reason)"])
        }
        if case .delivered = outcome {
            // The common case, recorded with the others that finish meanwhile.
            await delivered.record(HookStore.Delivered(delivery, started: started, output: output))
        } else {
            await finish(delivery, started: started, outcome: outcome, output: output, logger: logger)
        }
    }

    /// Runs `hook` once with `payload`: a webhook request, or its program. Returns the outcome
    /// to record and what the receiver said.
    private func run(
        _ hook: HookDefinition,
        _ delivery: ClaimedDelivery,
        payload: String,
        http: WebhookSender
    ) async -> (HookStore.Outcome, String) {
        let outcome: HookStore.Outcome
        let output: String
        switch hook.kind {
        case .webhook(let url, let secret):
            let result = await http.send(
                url: url,
                secret: secret,
                id: delivery.id.uuidString.lowercased(),
                body: Array((payload + "\n").utf8),
                timeout: hook.timeout
            )
            output = result.output
            switch result.verdict {
            case .delivered: outcome = .delivered
            case .disable:
                outcome = .disableHook(
                    reason:
                        "\(result.error); the hook is disabled until an admin runs incidentctl hooks enable \(hook.name)"
                )
            case .retry: outcome = .failed(error: result.error, retryAfter: backoff(delivery))
            }
        case .exec(let argv):
            let environment = [
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "INCIDENTD_HOOK": hook.name,
                "INCIDENTD_EVENT": delivery.event,
                "INCIDENTD_INCIDENT": delivery.incident ?? "",
                "INCIDENTD_DELIVERY_ID": delivery.id.uuidString.lowercased(),
                "INCIDENTD_ATTEMPT": String(delivery.attempt),
            ]
            let result = await runner.run(
                argv: argv,
                environment: environment,
                input: payload + "\n",
                timeout: hook.timeout
            )
            output = result.output
            outcome = result.succeeded ? .delivered : .failed(error: result.error, retryAfter: backoff(delivery))
        }
        return (outcome, output)
    }

    /// The payload as the hook reads it: opened, if it was sealed for carrying personal data.
    private func openPayload(_ delivery: ClaimedDelivery) throws -> String {
        // Sealed payloads are stored as {"sealed": …}; others are read as they are, undecoded.
        guard delivery.payload.hasPrefix(#"{"sealed""#),
            let sealed = try? JSONDecoder().decode([String: String].self, from: Data(delivery.payload.utf8))["sealed"],
            let incidentID = delivery.incidentID
        else { return delivery.payload }
        return try cipher.open(sealed, context: Outbox.payloadContext(incidentID: incidentID))
    }

    private func backoff(_ delivery: ClaimedDelivery) -> Duration {
        HookRouting.backoff(afterAttempt: delivery.attempt, base: retryBase, jitter: Double.random(in: 0...1))
    }

    private func finish(
        _ delivery: ClaimedDelivery,
        started: Date,
        outcome: HookStore.Outcome,
        output: String,
        logger: Logger
    ) async {
        await Self.recording(logger: logger) {
            try await store.finish(delivery, daemon: daemonID, started: started, outcome: outcome, output: output)
        }
    }

    /// Records an outcome through `write`, trying five times with a growing pause. If all
    /// fail, the lease expires and the delivery runs again: at least once, never lost.
    static func recording(logger: Logger, _ write: @Sendable () async throws -> Void) async {
        for attempt in 1...5 {
            do {
                try await write()
                return
            } catch {
                logger.warning("cannot record the hook's outcome; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}

/// The deliveries running now, by hook: started by the dispatcher's loop, ended by each
/// delivery's own task as it finishes.
private final class RunningDeliveries: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    var byHook: [String: Int] { counts.withLock { $0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }

    func start(_ hook: String) { counts.withLock { $0[hook, default: 0] += 1 } }
    func end(_ hook: String) { counts.withLock { $0[hook, default: 1] -= 1 } }
}

extension HookDispatcher: CustomStringConvertible {
    var description: String { "HookDispatcher" }
}
