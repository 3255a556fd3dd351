import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol
import Varlink

/// What the shells' completion scripts (`incidentctl --generate-completion-script bash`) ask
/// while someone types: the references of the open incidents the user may see, and the open
/// task ids of the incident named before. The daemon is asked with a deadline of 200 ms;
/// when it is down, slow, only reachable over SSH or refuses, the answer is silently nothing,
/// so that a tab press never hangs or prints an error into the command line.
enum Completions {
    /// How long a tab press may wait for the daemon: 200 ms, or
    /// `INCIDENTD_COMPLETION_DEADLINE_MS` for a slow machine.
    static func deadlineMilliseconds(_ environment: [String: String]) -> Int {
        environment["INCIDENTD_COMPLETION_DEADLINE_MS"].flatMap(Int.init).map { max(1, $0) } ?? 200
    }

    static let references = CompletionKind.custom { words, _, prefix in
        references(words: words, prefix: prefix)
    }

    static let tasks = CompletionKind.custom { words, index, prefix in
        tasks(words: words, index: index, prefix: prefix)
    }

    /// Open incidents' references starting with `prefix`, newest first.
    static func references(words: [String], prefix: String) -> [String] {
        guard let client = connect(words) else { return [] }
        defer { client.close() }
        var parameters = IncidentsWire.ListParameters()
        parameters.openOnly = true
        parameters.limit = 200
        guard let reply = try? client.call(Methods.Incidents.list, parameters) else { return [] }
        return reply.incidents.map(\.reference.rawValue).filter { $0.hasPrefix(prefix) }
    }

    /// The open task ids of the incident named among `words` before the one being completed.
    static func tasks(words: [String], index: Int, prefix: String) -> [String] {
        let before = words.prefix(max(0, min(index, words.count)))
        guard let reference = before.reversed().lazy.compactMap({ try? IncidentReference.parse($0) }).first,
            let client = connect(words)
        else { return [] }
        defer { client.close() }
        guard let file = try? client.call(Methods.Incidents.get, .init(reference: reference)) else { return [] }
        return (file.tasks ?? []).filter { $0.status == .open || $0.status == .possiblyOwed }.map(\.id)
            .filter { $0.hasPrefix(prefix) }
    }

    /// A connection to the daemon the command line names (`--socket`), or the default one,
    /// with the deadline set; nil over SSH (a connection there takes longer than a tab press
    /// may) or when nothing trusted answers.
    static func connect(
        _ words: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> VarlinkClient? {
        var socket: String?
        var host: String?
        for (index, word) in words.enumerated() {
            let next = index + 1 < words.count ? words[index + 1] : nil
            if word == "--socket" { socket = next }
            if word.hasPrefix("--socket=") { socket = String(word.dropFirst("--socket=".count)) }
            if word == "--host" || word.hasPrefix("--host=") { host = next ?? "" }
        }
        let path = DaemonConnection.socketPath(option: socket, host: host, environment: environment)
        guard RemoteTarget(path: path) == nil, let client = try? DaemonConnection.open(path, environment: environment)
        else { return nil }
        client.setReceiveTimeout(milliseconds: deadlineMilliseconds(environment))
        return client
    }
}
