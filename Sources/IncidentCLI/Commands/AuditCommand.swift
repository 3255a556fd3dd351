import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol
import Varlink

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit trail: who saw and did what (auditors and admins).",
        discussion: """
            Examples:
              incidentctl audit --incident INC-2026-000123
              incidentctl audit --user alice --since 2026-05-01 --until 2026-06-01
              incidentctl audit --action Get --outcome denied
              incidentctl audit verify
            """,
        subcommands: [AuditQueryCommand.self, AuditVerifyCommand.self, AuditCheckpointCommand.self],
        defaultSubcommand: AuditQueryCommand.self
    )
}

struct AuditQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List audit records, oldest first.",
        discussion: """
            Examples:
              incidentctl audit query --incident INC-2026-000123
              incidentctl audit query --user mia --since 2026-11-01
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Only records about this incident.")
    var incident: String?

    @Option(name: .long, help: "Only records of this user name.")
    var user: String?

    @Option(name: .long, help: "Only this action (a method name such as Get, Report, Assign).")
    var action: String?

    @Option(
        name: .long,
        help: "Only this outcome: ok, created, duplicate, folded, not-found, denied, invalid, refused, failed."
    )
    var outcome: String?

    @Option(name: .long, help: "Only records at or after this date or instant.")
    var since: String?

    @Option(name: .long, help: "Only records before this date or instant.")
    var until: String?

    @Option(name: .long, help: "At most this many (1 to 10000).")
    var limit: Int = 100

    @Option(name: .long, help: "Continue after this sequence number.")
    var after: Int64?

    func run() throws {
        var parameters = AuditWire.QueryParameters(
            user: user,
            action: action,
            outcome: outcome,
            limit: limit,
            after: after
        )
        if let incident { parameters.incident = try IncidentReference.parse(incident) }
        if let since { parameters.since = try InstantParser.instant(since, flag: "--since") }
        if let until { parameters.until = try InstantParser.instant(until, flag: "--until") }
        var connection = global.connection()
        let reply = try connection.call(Methods.Audit.query, parameters, retries: 2)
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        printOut(Output().auditRecords(reply))
    }
}

extension Output {
    /// The `audit` screen: a row per record, the detail last and shortened to fit. Where the
    /// row would leave the detail too little room, times lose their zone and users their uid,
    /// and the detail goes on a line of its own under its record.
    func auditRecords(_ reply: AuditWire.QueryReply) -> String {
        guard !reply.records.isEmpty else { return "No audit records match." }
        func rows(compact: Bool) -> [[String]] {
            [["SEQ", "TIME", "USER", "ACTION", "INCIDENT", "OUTCOME", "DETAIL"]]
                + reply.records.map { record in
                    [
                        String(record.seq), compact ? localTime(record.at) : time(record.at),
                        compact ? record.userName : "\(record.userName) (\(record.uid))", record.action,
                        record.incident?.rawValue ?? "-", record.outcome, record.detail,
                    ]
                }
        }
        func fixed(_ rows: [[String]]) -> Int {
            (0..<6).map { column in rows.map { DisplayWidth.of($0[column]) }.max() ?? 0 }.reduce(12, +)
        }
        let full = rows(compact: false)
        var lines: [String]
        if width - fixed(full) >= 16 {
            lines = [columns(full)]
        } else {
            let compact = rows(compact: true)
            if width - fixed(compact) >= 16 {
                lines = [columns(compact)]
            } else {
                let table = columns(compact.map { Array($0.prefix(6)) }).split(separator: "\n").map(String.init)
                lines = [table[0]]
                for (index, record) in reply.records.enumerated() {
                    lines.append(table[index + 1])
                    if !record.detail.isEmpty {
                        lines.append("      " + DisplayWidth.truncate(record.detail, to: max(12, width - 6)))
                    }
                }
            }
        }
        if let next = reply.next { lines.append("More: incidentctl audit --after \(next)") }
        return lines.joined(separator: "\n")
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the audit hash chain and name the first broken record.",
        discussion: "Exit status 1 when the chain is broken.\n\nExample:\n  incidentctl audit verify"
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "A checkpoint saved earlier with 'audit checkpoint --export', checked as well.")
    var checkpoint: String?

    func run() throws {
        var parameters = AuditWire.VerifyParameters()
        if let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint),
                let exported = try? VarlinkJSON.decoder().decode(AuditWire.CheckpointReply.self, from: data)
            else {
                throw CLIError(
                    "\(checkpoint) is not a checkpoint saved with 'incidentctl audit checkpoint --export'.",
                    status: .usage
                )
            }
            parameters.checkpoint = exported.checkpoint
        }
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Audit.verify,
            parameters,
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
        } else if let broken = reply.broken {
            printOut("BROKEN after \(reply.verified) verified records.")
            printOut(
                "First broken record: seq \(broken.seq.map(String.init) ?? "?")"
                    + (broken.chainPosition.map { ", chain position \($0)" } ?? "") + ": \(broken.reason)"
            )
        } else {
            printOut(
                "Verified \(reply.verified) audit records: the chain is intact."
                    + (reply.pending > 0 ? " \(reply.pending) newer records await sealing." : "")
            )
            if let checkpoints = reply.checkpoints, checkpoints > 0 {
                let matching =
                    checkpoints == 1 ? "1 signed checkpoint matches" : "\(checkpoints) signed checkpoints match"
                printOut("\(matching), the last at chain position \(reply.lastCheckpoint ?? 0).")
            }
        }
        if reply.broken != nil {
            throw CLIError(
                "The audit chain is broken; keep this output and the database as evidence.",
                status: .failure
            )
        }
    }
}

struct AuditCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign the audit chain's head now and print it, for an auditor to keep apart from the database.",
        discussion: """
            With --export the checkpoint is printed as JSON, the form 'audit verify
            --checkpoint' reads back: keep it somewhere the database's administrators cannot
            change, and a later rewrite of the chain up to it is found.

            Example:
              incidentctl audit checkpoint --export > checkpoint-2026-12-01.json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print the checkpoint as JSON to keep (what 'audit verify --checkpoint' reads).")
    var export = false

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Audit.checkpoint,
            AuditWire.CheckpointParameters(),
            retries: 2
        )
        if global.json || export {
            printOut(try Output.json(reply))
        } else {
            printOut("Chain position \(reply.checkpoint.chainPosition), hash \(reply.checkpoint.hash)")
            printOut(
                "Signed \(reply.checkpoint.signedAt) by key \(reply.checkpoint.keyID) (public key \(reply.publicKey))"
            )
            printOut("Signature \(reply.checkpoint.signature)")
        }
    }
}
