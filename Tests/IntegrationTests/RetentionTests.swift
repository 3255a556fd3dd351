import Foundation
import IncidentCore
import IncidentStore
import Postgres
import Testing

/// Retention on a live database: only old closed incidents lose personal data; holds and
/// statistics are respected; purging twice changes nothing.
@Suite struct RetentionTests {
    let admin = Caller(uid: 0, gid: 0, pid: 1, userName: "root")

    @Test func purgeRemovesPersonalDataFromOldClosedIncidentsOnly() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(
                pool: pool,
                cipher: CipherBox(FieldCipher(ring: KeyRing(keys: [.generate(id: "k1")])))
            )
            var filed: [String: IncidentReference] = [:]
            for title in ["old", "held", "recent", "open", "old-vendor"] {
                let draft = try ReportDraft(
                    title: "\(title) Alice",
                    description: "Alice Example's card",
                    peopleAffected: 3
                ).validated(now: Date())
                filed[title] = try await store.report(draft, by: admin).incident.reference
                _ = try await store.change(filed[title]!, audit: AuditRecord(caller: admin, action: "Note")) { _ in
                    [IncidentEvent(.noteAdded, ["text": "called Alice"])]
                }
                // An evidence file naming Alice, while the incident is open.
                let audit = AuditRecord(caller: admin, action: "Evidence")
                let upload = try await store.beginEvidence(
                    filed[title]!,
                    NewEvidence(name: "alice.txt", description: "Alice's letter", kind: .document, size: 5),
                    by: Principal(caller: admin, roles: [.manager]),
                    limits: EvidenceLimits(),
                    audit: audit
                ).get()
                _ = try await store.addEvidenceChunk(
                    upload: upload,
                    by: admin,
                    position: 0,
                    bytes: Array("Alice".utf8),
                    limits: EvidenceLimits(),
                    audit: audit
                ).get()
                _ = try await store.commitEvidence(
                    upload: upload,
                    by: admin,
                    sha256: ContentHasher.hex(of: Array("Alice".utf8)),
                    limits: EvidenceLimits(),
                    audit: audit
                ).get()
            }
            let refs = filed
            let closedOld = Date().addingTimeInterval(-400 * 86_400)
            let closedRecent = Date().addingTimeInterval(-10 * 86_400)
            try await pool.transaction { connection in
                for (title, closed) in [
                    ("old", closedOld), ("held", closedOld), ("recent", closedRecent), ("old-vendor", closedRecent),
                ] {
                    try connection.query(
                        """
                        UPDATE incidents SET phase = 'closed', closed_at = \(closed), resolution = 'Alice was told',
                            facts = '{"containment": {"text": "Alice deleted it"}, "notifiable": {"bool": true}}'
                        WHERE reference = \(refs[title]!.rawValue)
                        """
                    )
                    let id = try connection.query("SELECT id FROM incidents WHERE reference = \(refs[title]!.rawValue)")
                        .first!.decode(Int64.self, at: 0)
                    try connection.query(
                        "INSERT INTO decisions (incident_id, name, value, reason, decided_by, decided_at, task) VALUES (\(id), 'notifiable', true, 'Alice is at risk', 'mia', now(), 't')"
                    )
                    // A notice sent: its text and the reason for what it left to later name Alice.
                    try connection.query(
                        """
                        INSERT INTO notifications (incident_id, task, kind, recipient, channel, sent_at, sent_by,
                                                   content_digest, notice_text, notice_language, notice_elements,
                                                   notice_deferred)
                        VALUES (\(id), 'gdpr-authority', 'authority', 'BfDI', 'portal', now(), 'mia', 'd1gest',
                                'Dear BfDI, Alice was affected', 'en', '{nature}', '{"measuresTaken": "Alice asked"}')
                        """
                    )
                }
                try connection.query(
                    "UPDATE incidents SET playbook_name = 'vendor' WHERE reference = \(refs["old-vendor"]!.rawValue)"
                )
            }
            #expect(
                try await store.setLegalHold(
                    refs["held"]!,
                    hold: true,
                    reason: "litigation",
                    audit: AuditRecord(caller: admin, action: "Hold")
                )?.legalHold == true
            )
            let audit = AuditRecord(caller: admin, action: "Purge")
            let policy = RetentionPolicy(defaultDays: 365, playbookDays: ["vendor": 5])
            let statsBefore = try await store.statistics(
                since: Date(timeIntervalSince1970: 0),
                until: Date(),
                visibleTo: .all,
                audit: audit
            )

            let dry = try await store.purge(policy: policy, dryRun: true, audit: audit)
            #expect(Set(dry.map(\.reference)) == [refs["old"]!, refs["old-vendor"]!])
            let untouched = try await pool.withConnection {
                try $0.query("SELECT count(*) FROM incidents WHERE purged_at IS NOT NULL").first!.decode(
                    Int.self,
                    at: 0
                )
            }
            #expect(untouched == 0, "a dry run changes nothing")

            let purged = try await store.purge(policy: policy, dryRun: false, audit: audit)
            #expect(Set(purged.map(\.reference)) == [refs["old"]!, refs["old-vendor"]!])
            #expect(
                purged.first { $0.reference == refs["old-vendor"]! }?.retentionDays == 5,
                "the playbook's retention wins"
            )

            for title in ["old", "old-vendor"] {
                let incident = try #require(
                    try await store.incident(refs[title]!, audit: audit, access: .full)?.0
                )
                #expect(incident.title == "Purged incident" && incident.description.isEmpty && incident.purged != nil)
                #expect(incident.peopleAffected == 3 && incident.phase == .closed, "the skeleton stays")
                let timeline = try await store.timeline(refs[title]!)
                #expect(!timeline.events.contains { $0.data["text"] != nil })
            }
            // Evidence content goes with the rest; its manifest stays. Held incidents keep theirs.
            let evidence = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT i.title, e.sha256, e.size, e.purged_at IS NOT NULL AS purged, e.description,
                           (SELECT count(*)::int FROM evidence_chunks c WHERE c.evidence_id = e.id) AS chunks
                    FROM incidents i JOIN evidence e ON e.incident_id = i.id ORDER BY i.id
                    """
                ).map {
                    (
                        try $0.decode(String.self, "title"), try $0.decode(Bool.self, "purged"),
                        try $0.decode(Int.self, "chunks"), try $0.decode(Int64.self, "size"),
                        try $0.decode(String?.self, "description")
                    )
                }
            }
            for (title, purged, chunks, size, description) in evidence {
                #expect(size == 5, "the manifest stays")
                if title == "Purged incident" {
                    #expect(purged && chunks == 0 && description == "[purged]", "\(title)")
                } else {
                    #expect(!purged && chunks == 1, "\(title) keeps its evidence")
                }
            }
            #expect(evidence.filter { $0.1 }.count == 2)
            let rows = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT i.title, i.facts::text AS facts, coalesce(i.resolution, '') AS resolution, d.reason
                    FROM incidents i JOIN decisions d ON d.incident_id = i.id ORDER BY i.id
                    """
                ).map {
                    try
                        "\($0.decode(String.self, "title")) \($0.decode(String.self, "facts")) \($0.decode(String.self, "resolution")) \($0.decode(String.self, "reason"))"
                }
            }
            let purgedRows = rows.filter { $0.hasPrefix("Purged incident") }
            #expect(
                purgedRows.count == 2 && purgedRows.allSatisfy { !$0.contains("Alice") && $0.contains("notifiable") },
                "\(rows)"
            )
            #expect(rows.filter { $0.contains("Alice") }.count == 2, "held and recent are whole: \(rows)")
            let notices = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT i.title, n.notice_text, n.notice_deferred, n.content_digest, n.notice_elements::text AS elements
                    FROM incidents i JOIN notifications n ON n.incident_id = i.id ORDER BY i.id
                    """
                ).map {
                    try "\($0.decode(String.self, "title")) \($0.decode(String.self, "notice_text")) "
                        + "\($0.decode(String.self, "notice_deferred")) \($0.decode(String.self, "content_digest")) "
                        + $0.decode(String.self, "elements")
                }
            }
            // A purged notice keeps its digest and elements, the proof it was sent; not its words.
            let purgedNotices = notices.filter { $0.hasPrefix("Purged incident") }
            #expect(purgedNotices.count == 2, "\(notices)")
            #expect(
                purgedNotices.allSatisfy { !$0.contains("Alice") && $0.contains("d1gest") && $0.contains("nature") }
            )
            #expect(notices.filter { $0.contains("Dear BfDI, Alice") }.count == 2, "held and recent keep theirs")

            let statsAfter = try await store.statistics(
                since: Date(timeIntervalSince1970: 0),
                until: Date(),
                visibleTo: .all,
                audit: audit
            )
            #expect(statsAfter.map(\.incidents) == statsBefore.map(\.incidents))
            #expect(statsAfter.first?.deadlinesMet == statsBefore.first?.deadlinesMet)

            #expect(
                try await store.purge(policy: policy, dryRun: false, audit: audit).isEmpty,
                "purging again changes nothing"
            )
            let audited = try await pool.withConnection {
                try $0.query(
                    "SELECT count(*) FROM audit_log WHERE action = 'Purge' AND detail LIKE 'personal data purged%'"
                ).first!.decode(Int.self, at: 0)
            }
            #expect(audited == 2)

            #expect(
                try await store.setLegalHold(
                    refs["held"]!,
                    hold: false,
                    reason: nil,
                    audit: AuditRecord(caller: admin, action: "Release")
                )?.legalHold == nil
            )
            #expect(
                try await store.purge(policy: policy, dryRun: true, audit: audit).map(\.reference) == [refs["held"]!]
            )
        }
    }

    @Test func theDailyRunIsClaimedOnceAcrossDaemons() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            async let first = store.claimDailyRun("purge", daemon: "a")
            async let second = store.claimDailyRun("purge", daemon: "b")
            let claims = try await [first, second]
            #expect(claims.filter { $0 }.count == 1)
            #expect(try await store.claimDailyRun("purge", daemon: "c") == false)
        }
    }
}
