import Foundation
import IncidentCore
import IncidentStore
import Logging
import Synchronization

/// The running set of playbooks, and every version incidents were started with.
///
/// A reload that fails keeps the running set. Incidents keep the exact version they started
/// with: their playbook is found by digest — in the running set, in a cache, or parsed from
/// the source the database kept.
public final class PlaybookRegistry: Sendable {

    public let directory: URL
    /// The configured hooks' names; playbooks may only name these.
    public let knownHooks: Set<String>?
    /// The organisation's facts (the `organisation` setting), as text, for every new incident.
    public let organisation: [String: String]
    private let running: Mutex<[Playbook]>
    /// Every version this daemon has loaded or parsed, for the store to find incidents' playbooks.
    public let versions: PlaybookVersions

    /// Loads the set in `directory`; throws the set's problems if any file is invalid, or if an
    /// organisation fact is no playbook's field or a value its field refuses.
    public init(
        directory: URL,
        knownHooks: Set<String>? = nil,
        organisation: [String: String] = [:]
    ) throws(PlaybookSetError) {
        self.directory = directory
        self.knownHooks = knownHooks
        self.organisation = organisation
        let playbooks = try Self.load(directory, knownHooks: knownHooks, organisation: organisation)
        running = Mutex(playbooks)
        versions = PlaybookVersions(playbooks)
    }

    private static func load(
        _ directory: URL,
        knownHooks: Set<String>?,
        organisation: [String: String]
    ) throws(PlaybookSetError) -> [Playbook] {
        var playbooks = try PlaybookLoader.loadDirectory(directory, knownHooks: knownHooks).get()
        var declared = Set<String>()
        var problems: [PlaybookProblem] = []
        for index in playbooks.indices {
            let (undeclared, refused) = playbooks[index].preset(organisation)
            declared.formUnion(Set(organisation.keys).subtracting(undeclared))
            for (name, text) in refused.sorted(by: { $0.key < $1.key }) {
                problems.append(
                    PlaybookProblem(
                        file: playbooks[index].name,
                        line: 1,
                        column: 1,
                        message: "the organisation fact \(name): \(text) is not a value of its field in this playbook"
                    )
                )
            }
        }
        for name in Set(organisation.keys).subtracting(declared).sorted() {
            problems.append(
                PlaybookProblem(
                    file: directory.path,
                    line: 1,
                    column: 1,
                    message:
                        "the organisation fact \(name) is a field of no playbook; check the name in the configuration's organisation"
                )
            )
        }
        guard problems.isEmpty else { throw PlaybookSetError(problems: problems) }
        return playbooks
    }

    public var current: [Playbook] { running.withLock { $0 } }

    /// Loads the directory again; on failure the running set stays and the problems are thrown.
    public func reload() throws(PlaybookSetError) -> [Playbook] {
        let playbooks = try Self.load(directory, knownHooks: knownHooks, organisation: organisation)
        versions.add(playbooks)
        running.withLock { $0 = playbooks }
        return playbooks
    }

    /// Where the shipped playbooks are when none is configured: installed beside the binary
    /// (`PREFIX/share/incidentd/playbooks`), else the source tree this binary was built from.
    public static func defaultDirectory(executable: URL = URL(fileURLWithPath: CommandLine.arguments[0])) -> URL {
        let installed = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("../share/incidentd/playbooks").standardizedFileURL
        if FileManager.default.fileExists(atPath: installed.path) { return installed }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks")
    }
}

extension PlaybookRegistry {
    /// Parses the versions among `digests` this daemon has not met yet, from the sources the
    /// database kept, once each: so `versions.cached(digest:)` finds every one afterwards.
    func resolve(_ digests: some Sequence<String>, from store: IncidentStore) async throws {
        let unknown = Set(digests).filter { versions.cached(digest: $0) == nil }
        for (digest, source) in try await store.playbookSources(digests: unknown.sorted()) {
            _ = versions.resolve(digest: digest, source: source)
        }
    }
}
