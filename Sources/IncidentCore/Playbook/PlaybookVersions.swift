import Synchronization

/// Every playbook version a daemon knows, by digest: the running set, and the versions stored
/// incidents started with, each parsed from its stored source the first time it is needed.
///
/// The store is handed this value to find an incident's playbook inside its transaction,
/// rather than calling back into the daemon; an incident keeps the exact version it started
/// with, whatever the running set is now.
public final class PlaybookVersions: Sendable {
    private let byDigest: Mutex<[String: Playbook]>

    public init(_ known: [Playbook] = []) {
        byDigest = Mutex(Dictionary(known.map { ($0.digest, $0) }) { first, _ in first })
    }

    /// Adds `playbooks` (a reloaded set), in place of any parsed from a stored source.
    public func add(_ playbooks: [Playbook]) {
        byDigest.withLock { known in
            for playbook in playbooks { known[playbook.digest] = playbook }
        }
    }

    /// The version with `digest` if it is known already.
    public func cached(digest: String) -> Playbook? {
        byDigest.withLock { $0[digest] }
    }

    /// The version with `digest`, parsing `source` the first time it is needed; nil when the
    /// stored source no longer parses.
    public func resolve(digest: String, source: String) -> Playbook? {
        if let known = cached(digest: digest) { return known }
        guard case .success(let playbook) = PlaybookLoader.load(source, file: "stored playbook \(digest.prefix(12))")
        else { return nil }
        byDigest.withLock { $0[digest] = playbook }
        return playbook
    }
}
