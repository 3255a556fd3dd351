import IncidentCore
import Varlink

/// The interfaces incidentd serves, with the descriptions `GetInterfaceDescription` returns.
public enum IncidentInterfaces {
    /// Errors shared by every incidentd interface.
    public static let errors = VarlinkInterface(
        name: "io.incidentd",
        doc: "Errors shared by all incidentd interfaces.",
        errors: [
            .init("NoSuchIncident", parameters: [.init("reference", .string)],
                  doc: "No incident has this reference, or the caller may not know that it exists."),
            .init("InvalidValue", parameters: [.init("parameter", .string), .init("reason", .string)],
                  doc: "A parameter is well-formed but its value is refused; reason says why."),
            .init("PermissionDenied", parameters: [.init("reason", .string)],
                  doc: "The caller's roles do not allow this action."),
            .init("Conflict", parameters: [.init("reference", .string), .init("version", .int)],
                  doc: "The incident changed since the caller read it; version is the current one."),
            .init("DatabaseUnavailable", parameters: [.init("reason", .string)],
                  doc: "The database cannot be reached; the call changed nothing and may be retried."),
            .init("MalformedMessage", parameters: [.init("reason", .string)],
                  doc: "The message is not a Varlink call (not JSON, not an object, no method)."),
            .init("MessageTooLarge", parameters: [.init("limit", .int)],
                  doc: "The message exceeds the size limit; the connection is closed."),
            .init("InternalError", parameters: [.init("reason", .string)],
                  doc: "The daemon failed unexpectedly; the call changed nothing. See the daemon's log."),
        ]
    )

    static let phase = VarlinkType.enumeration(Phase.allCases.map(\.rawValue))
    static let severity = VarlinkType.enumeration(Severity.allCases.map(\.rawValue))
    static let dataCategory = VarlinkType.enumeration(DataCategory.allCases.map(\.rawValue))
    static let category = VarlinkType.enumeration(IncidentCategory.allCases.map(\.rawValue))

    public static let incidents = VarlinkInterface(
        name: "io.incidentd.Incidents",
        doc: "Data-breach incidents: file reports, read the case file, see where incidents stand.\n"
            + "Instants are RFC 3339 strings in UTC, such as 2026-05-01T09:30:00Z.",
        types: [
            .init("Phase", phase, doc: "Every incident is in exactly one phase."),
            .init("Severity", severity),
            .init("DataCategory", dataCategory, doc: "Kinds of personal data involved."),
            .init("Category", category, doc: "What kind of event caused the incident."),
            .init("Person", .structure([.init("uid", .int), .init("name", .string)])),
            .init(
                "Incident",
                .structure([
                    .init("reference", .string, doc: "Such as INC-2026-000123."),
                    .init("title", .string),
                    .init("description", .string),
                    .init("phase", .named("Phase")),
                    .init("severity", .named("Severity")),
                    .init("category", .optional(.named("Category"))),
                    .init("dataCategories", .array(.named("DataCategory"))),
                    .init("peopleAffected", .optional(.int)),
                    .init("recordsAffected", .optional(.int)),
                    .init("jurisdictions", .array(.string), doc: "ISO 3166-1 alpha-2 codes, or EU."),
                    .init("reporter", .named("Person")),
                    .init("assignee", .optional(.string)),
                    .init("restricted", .bool),
                    .init("reported", .string),
                    .init("aware", .string),
                    .init("discovered", .optional(.string)),
                    .init("phaseEntered", .string),
                    .init("closed", .optional(.string)),
                    .init("version", .int, doc: "Increases with every change."),
                ])
            ),
            .init(
                "IncidentSummary",
                .structure([
                    .init("reference", .string),
                    .init("title", .string),
                    .init("phase", .named("Phase")),
                    .init("severity", .named("Severity")),
                    .init("reported", .string),
                    .init("assignee", .optional(.string)),
                ])
            ),
        ],
        methods: [
            .init(
                "Report",
                input: [
                    .init("title", .string, doc: "One line, at most 200 characters."),
                    .init("description", .string, doc: "What happened, as far as is known."),
                    .init("aware", .optional(.string), doc: "When you became aware; defaults to now."),
                    .init("discovered", .optional(.string)),
                    .init("category", .optional(.named("Category"))),
                    .init("severity", .optional(.named("Severity"))),
                    .init("dataCategories", .optional(.array(.named("DataCategory")))),
                    .init("peopleAffected", .optional(.int)),
                    .init("recordsAffected", .optional(.int)),
                    .init("jurisdictions", .optional(.array(.string))),
                    .init("idempotencyKey", .optional(.string),
                          doc: "Retrying with the same key returns the first incident."),
                ],
                output: [.init("incident", .named("Incident")), .init("created", .bool)],
                doc: "File a breach report. The reply is sent only after it is stored."
            ),
            .init(
                "Get",
                input: [.init("reference", .string)],
                output: [.init("incident", .named("Incident"))],
                doc: "Read one incident."
            ),
            .init(
                "List",
                input: [
                    .init("phases", .optional(.array(.named("Phase")))),
                    .init("severities", .optional(.array(.named("Severity")))),
                    .init("since", .optional(.string), doc: "Only incidents reported at or after this instant."),
                    .init("openOnly", .optional(.bool)),
                    .init("limit", .optional(.int), doc: "1 to 1000; 50 when absent."),
                    .init("after", .optional(.string), doc: "The next cursor of the previous page."),
                ],
                output: [.init("incidents", .array(.named("IncidentSummary"))), .init("next", .optional(.string))],
                doc: "List incidents, newest first, a page at a time."
            ),
            .init(
                "Assign",
                input: [
                    .init("reference", .string),
                    .init("assignee", .optional(.string), doc: "A user name; absent to unassign."),
                    .init("version", .optional(.int), doc: "The version you last saw; a stale one is a Conflict."),
                ],
                output: [.init("incident", .named("Incident"))],
                doc: "Assign an incident to an investigator (managers)."
            ),
            .init(
                "Restrict",
                input: [
                    .init("reference", .string),
                    .init("restricted", .bool),
                    .init("version", .optional(.int)),
                ],
                output: [.init("incident", .named("Incident"))],
                doc: "Restrict an incident to its assignee, managers and auditors, or lift that (managers)."
            ),
            .init(
                "Status",
                output: [
                    .init("open", .int),
                    .init("byPhase", .map(.int)),
                    .init("bySeverity", .map(.int)),
                    .init("oldestOpen", .optional(.named("IncidentSummary"))),
                ],
                doc: "Open incidents by phase and by severity."
            ),
        ]
    )

    public static let audit = VarlinkInterface(
        name: "io.incidentd.Audit",
        doc: "The audit trail: every call, including reads and denials, in a hash chain\n"
            + "kept by the database. For auditors and admins.",
        types: [
            .init(
                "Record",
                .structure([
                    .init("seq", .int),
                    .init("at", .string),
                    .init("uid", .int),
                    .init("userName", .string),
                    .init("pid", .int),
                    .init("action", .string),
                    .init("incident", .optional(.string)),
                    .init("outcome", .string, doc: "ok, created, duplicate, not-found, denied, invalid or failed."),
                    .init("detail", .string),
                    .init("chainPosition", .optional(.int), doc: "Absent until sealed, within seconds."),
                ])
            ),
            .init(
                "Break",
                .structure([
                    .init("chainPosition", .optional(.int)),
                    .init("seq", .optional(.int)),
                    .init("reason", .string),
                ])
            ),
        ],
        methods: [
            .init(
                "Query",
                input: [
                    .init("incident", .optional(.string)),
                    .init("user", .optional(.string)),
                    .init("action", .optional(.string), doc: "A method name, such as Get or Report."),
                    .init("outcome", .optional(.string), doc: "Such as denied or invalid."),
                    .init("since", .optional(.string)),
                    .init("until", .optional(.string)),
                    .init("limit", .optional(.int), doc: "1 to 10000; 100 when absent."),
                    .init("after", .optional(.int), doc: "The next cursor of the previous page."),
                ],
                output: [.init("records", .array(.named("Record"))), .init("next", .optional(.int))],
                doc: "Audit records, oldest first."
            ),
            .init(
                "Verify",
                output: [
                    .init("verified", .int),
                    .init("pending", .int),
                    .init("broken", .optional(.named("Break"))),
                ],
                doc: "Seal what is committed, then walk the whole chain; names the first broken record."
            ),
        ]
    )

    public static let all: [VarlinkInterface] = [.service, errors, incidents, audit]
}
