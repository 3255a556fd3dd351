import IncidentCore
import Varlink

/// The interfaces incidentd serves, with the descriptions `GetInterfaceDescription` returns.
public enum IncidentInterfaces {
    /// Errors shared by every incidentd interface.
    public static let errors = VarlinkInterface(
        name: "io.incidentd",
        doc: "Errors shared by all incidentd interfaces.",
        errors: [
            .init(
                "NoSuchIncident",
                parameters: [.init("reference", .string)],
                doc: "No incident has this reference, or the caller may not know that it exists."
            ),
            .init(
                "InvalidValue",
                parameters: [.init("parameter", .string), .init("reason", .string)],
                doc: "A parameter is well-formed but its value is refused; reason says why."
            ),
            .init(
                "PermissionDenied",
                parameters: [.init("reason", .string)],
                doc: "The caller's roles do not allow this action."
            ),
            .init(
                "Conflict",
                parameters: [.init("reference", .string), .init("version", .int)],
                doc: "The incident changed since the caller read it; version is the current one."
            ),
            .init(
                "DatabaseUnavailable",
                parameters: [.init("reason", .string)],
                doc: "The database cannot be reached; the call changed nothing and may be retried."
            ),
            .init(
                "StorageFull",
                doc: "The database server's disk is full; the call changed nothing, reads still work, and "
                    + "writes succeed again once an administrator frees space."
            ),
            .init(
                "MalformedMessage",
                parameters: [.init("reason", .string)],
                doc: "The message is not a Varlink call (not JSON, not an object, no method)."
            ),
            .init(
                "MessageTooLarge",
                parameters: [.init("limit", .int)],
                doc: "The message exceeds the size limit; the connection is closed."
            ),
            .init(
                "MoveNotAllowed",
                parameters: [
                    .init("reason", .string), .init("missingTasks", .array(.string)), .init("gate", .optional(.string)),
                ],
                doc: "The workflow refuses the move now; missingTasks and gate say what it needs first."
            ),
            .init(
                "PlaybookProblems",
                parameters: [.init("problems", .array(.string))],
                doc: "The playbooks have problems (file:line:column: sentence); the running set was kept."
            ),
            .init(
                "InternalError",
                parameters: [.init("reason", .string)],
                doc: "The daemon failed unexpectedly; the call changed nothing. See the daemon's log."
            ),
            .init("ShuttingDown", doc: "The daemon is stopping; a stream ends here. Connect again to resume."),
            .init(
                "TooManyConnections",
                parameters: [.init("limit", .int)],
                doc:
                    "This user already holds the most connections allowed (maximumConnectionsPerUser); the new one is closed."
            ),
            .init(
                "TooManyRequests",
                parameters: [.init("retryAfterSeconds", .float), .init("limit", .string)],
                doc: "This user made more changes than their rate limit allows (rateLimits); nothing was done, "
                    + "try again after retryAfterSeconds."
            ),
            .init(
                "TooMuchData",
                parameters: [.init("reference", .string), .init("limit", .int)],
                doc: "The incident already holds the most text allowed (maximumBytesPerIncident); nothing was stored."
            ),
            .init(
                "NoticeIncomplete",
                parameters: [.init("task", .string), .init("missing", .array(.string))],
                doc:
                    "The task's notice lacks these elements, which its law requires in the first notice; nothing was done."
            ),
            .init(
                "EvidenceDamaged",
                parameters: [.init("reference", .string), .init("number", .int), .init("reason", .string)],
                doc: "An evidence file's stored content does not open or no longer hashes to its SHA-256."
            ),
            .init(
                "EvidenceTooLarge",
                parameters: [.init("what", .enumeration(["chunk", "file", "incident"])), .init("limit", .int)],
                doc: "The chunk, the file or the incident's evidence would pass its limit in bytes; nothing was stored."
            ),
        ]
    )

    static let phase = VarlinkType.enumeration(Phase.allCases.map(\.rawValue))
    static let severity = VarlinkType.enumeration(Severity.allCases.map(\.rawValue))
    static let dataCategory = VarlinkType.enumeration(DataCategory.allCases.map(\.rawValue))
    static let category = VarlinkType.enumeration(IncidentCategory.allCases.map(\.rawValue))
    static let role = VarlinkType.enumeration(Role.allCases.map(\.rawValue))
    static let taskStatus = VarlinkType.enumeration(TaskState.Status.allCases.map(\.rawValue))
    static let recipient = VarlinkType.enumeration(NotificationRecipient.allCases.map(\.rawValue))

    /// What every workflow method returns: the case file.
    static let caseFile: [VarlinkField] = [
        .init("incident", .named("Incident")),
        .init("tasks", .optional(.array(.named("Task"))), doc: "Absent in a reporter's view."),
        .init("decisions", .optional(.array(.named("Decision")))),
        .init("notifications", .optional(.array(.named("Notification"))), doc: "The notification ledger."),
        .init("facts", .optional(.map(.string)), doc: "Captured facts, as text."),
        .init(
            "fieldTypes",
            .optional(.map(.named("FieldType"))),
            doc: "The type of every field of the playbook: how CompleteTask takes a capture of it."
        ),
        .init("estimated", .optional(.array(.string)), doc: "The counts whose value is an estimate."),
        .init("gatePending", .optional(.named("Role")), doc: "The role that must approve the current phase's gate."),
        .init("clocksPaused", .optional(.bool), doc: "True while any clock of the incident is paused."),
        .init(
            "pauses",
            .optional(.array(.named("ClockPause"))),
            doc: "Every pause of the incident's clocks, oldest first."
        ),
        .init(
            "regimes",
            .optional(.array(.named("Regime"))),
            doc: "The regimes the playbook includes, with the delays each allows."
        ),
        .init(
            "runningRegimes",
            .optional(.array(.string)),
            doc: "Those with a clock running (a task owed or possibly owed)."
        ),
        .init("resolution", .optional(.string)),
        .init("lessonsLearned", .optional(.string)),
    ]

    static func workflowMethod(_ name: String, _ input: [VarlinkField], doc: String) -> VarlinkInterface.Method {
        .init(
            name,
            input: [.init("reference", .string)] + input + [
                .init("version", .optional(.int), doc: "The version you last saw.")
            ],
            output: caseFile,
            doc: doc
        )
    }

    public static let incidents = VarlinkInterface(
        name: "io.incidentd.Incidents",
        doc: "Data-breach incidents: file reports, read the case file, see where incidents stand.\n"
            + "Instants are RFC 3339 strings in UTC, such as 2026-05-01T09:30:00Z.",
        types: [
            .init("Phase", phase, doc: "Every incident is in exactly one phase."),
            .init("Severity", severity),
            .init("Sort", .enumeration(IncidentFilter.Sort.allCases.map(\.rawValue)), doc: "The order of a list."),
            .init("ExportFormat", .enumeration(IncidentsWire.ExportFormat.allCases.map(\.rawValue))),
            .init(
                "RegisterFormat",
                .enumeration(IncidentsWire.RegisterFormat.allCases.map(\.rawValue)),
                doc: "What the caller makes of the register (a document, or the board report); audited."
            ),
            .init("DataCategory", dataCategory, doc: "Kinds of personal data involved."),
            .init("Category", category, doc: "What kind of event caused the incident."),
            .init("Person", .structure([.init("uid", .int), .init("name", .string)])),
            .init("Role", role),
            .init(
                "FieldType",
                .enumeration(CaptureType.allCases.map(\.rawValue)),
                doc:
                    "How a field is captured: integer, boolean; text, instant and choice as text; categories as a list; counts by jurisdiction."
            ),
            .init(
                "Capture",
                .structure([
                    .init("integer", .optional(.int)), .init("boolean", .optional(.bool)),
                    .init("text", .optional(.string), doc: "Also instants (RFC 3339) and choices."),
                    .init("list", .optional(.array(.string)), doc: "Such as data categories."),
                    .init("counts", .optional(.map(.int)), doc: "People per jurisdiction, such as CN."),
                ]),
                doc: "A captured field's value: exactly one member, of the field's type."
            ),
            .init("TaskStatus", taskStatus),
            .init("Recipient", recipient, doc: "Who a notification goes to."),
            .init(
                "Task",
                .structure([
                    .init("id", .string), .init("title", .string), .init("description", .string),
                    .init("phase", .named("Phase")), .init("role", .named("Role")), .init("required", .bool),
                    .init("status", .named("TaskStatus")), .init("due", .optional(.string)),
                    .init("captures", .array(.string), doc: "Fields to give when completing it."),
                    .init("notification", .optional(.named("Recipient"))),
                    .init("completedBy", .optional(.string)), .init("completedAt", .optional(.string)),
                    .init("reason", .optional(.string)),
                    .init(
                        "settledBy",
                        .optional(.array(.string)),
                        doc:
                            "While possibly_owed: the facts (decisions, counts) whose value settles whether it is owed."
                    ),
                    .init("regime", .optional(.string), doc: "The regime file the task comes from."),
                    .init("paused", .optional(.bool), doc: "True while a pause of its regime runs."),
                    .init("pausedUntil", .optional(.string), doc: "When that pause ends, if it has an end."),
                ])
            ),
            .init(
                "ClockPause",
                .structure([
                    .init("number", .int),
                    .init("regime", .optional(.string), doc: "Absent: every clock (a pause from before regimes)."),
                    .init("basis", .string), .init("reason", .string), .init("by", .string), .init("since", .string),
                    .init("until", .optional(.string), doc: "It ends by itself then."),
                    .init("endedAt", .optional(.string)), .init("endedBy", .optional(.string)),
                ])
            ),
            .init(
                "Regime",
                .structure([
                    .init("name", .string), .init("title", .string),
                    .init(
                        "pauses",
                        .array(
                            .structure([
                                .init("basis", .string), .init("cap", .string), .init("cite", .string),
                            ])
                        ),
                        doc: "The delays its law allows; empty when it allows none."
                    ),
                ])
            ),
            .init(
                "Decision",
                .structure([
                    .init("name", .string), .init("value", .bool), .init("reason", .string), .init("by", .string),
                    .init("at", .string), .init("task", .string),
                ])
            ),
            .init(
                "Notification",
                .structure([
                    .init("task", .string), .init("kind", .named("Recipient")), .init("recipient", .string),
                    .init("channel", .string), .init("sentAt", .string), .init("by", .string),
                    .init("reference", .optional(.string)), .init("contentDigest", .optional(.string)),
                    .init("lateReason", .optional(.string)),
                ])
            ),
            .init(
                "RegisterEntry",
                .structure([
                    .init("reference", .string), .init("title", .string), .init("phase", .named("Phase")),
                    .init("severity", .named("Severity")), .init("category", .optional(.named("Category"))),
                    .init("dataCategories", .array(.named("DataCategory"))), .init("aware", .string),
                    .init("reported", .string), .init("contained", .optional(.string)),
                    .init("closed", .optional(.string)), .init("jurisdictions", .array(.string)),
                    .init("peopleAffected", .optional(.int)), .init("recordsAffected", .optional(.int)),
                    .init("peopleAffectedIn", .optional(.map(.int)), doc: "People affected per jurisdiction."),
                    .init("estimated", .optional(.array(.string)), doc: "The counts that are estimates."),
                    .init(
                        "decisions",
                        .array(
                            .structure([
                                .init("name", .string), .init("value", .bool), .init("reason", .string),
                                .init("by", .string), .init("at", .string),
                            ])
                        ),
                        doc: "Each notifiability decision with its reason."
                    ),
                    .init(
                        "notifications",
                        .array(
                            .structure([
                                .init("task", .string), .init("regime", .optional(.string)),
                                .init("kind", .named("Recipient")), .init("recipient", .string),
                                .init("sentAt", .string), .init("due", .optional(.string)),
                                .init("onTime", .optional(.bool), doc: "Sent by its deadline; absent without one."),
                                .init("lateReason", .optional(.string)),
                            ])
                        ),
                        doc: "Each notification made."
                    ),
                    .init("rootCause", .optional(.string)), .init("containment", .optional(.string)),
                    .init("prevention", .optional(.string), doc: "What was done so that it does not happen again."),
                    .init("phases", .optional(.map(.string)), doc: "When it entered each phase it reached."),
                    .init(
                        "nextDeadline",
                        .optional(
                            .structure([
                                .init("task", .string), .init("regime", .optional(.string)), .init("due", .string),
                            ])
                        ),
                        doc: "While open: the owed task with the earliest deadline."
                    ),
                ]),
                doc: "One incident of the breach register (GDPR Art. 33(5)): facts, effects and remedial action."
            ),
            .init(
                "NotificationDetails",
                .structure([
                    .init("recipient", .string, doc: "Who was told: the authority's name, the customers."),
                    .init("channel", .string, doc: "How: portal, e-mail, letter."),
                    .init("reference", .optional(.string), doc: "The regulator's case number."),
                    .init(
                        "contentDigest",
                        .optional(.string),
                        doc: "SHA-256 of what was sent, hex; computed from text when that is given."
                    ),
                    .init(
                        "text",
                        .optional(.string),
                        doc: "For a task with a notice (io.incidentd.Notices): the exact text sent, kept sealed."
                    ),
                    .init("language", .optional(.string), doc: "The language of text; en when absent."),
                    .init(
                        "deferred",
                        .optional(.map(.string)),
                        doc: "Elements of the notice left to a later one (GDPR Art. 33(4)), each with the reason."
                    ),
                ])
            ),
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
                    .init("playbook", .optional(.string), doc: "The playbook it started with."),
                    .init("playbookVersion", .optional(.string)),
                    .init("dedupKey", .optional(.string), doc: "An automated reporter's dedup key."),
                    .init("reportCount", .int, doc: "Reports folded into this incident, the first included."),
                    .init("lastReported", .optional(.string), doc: "When the latest folded report arrived."),
                    .init("legalHold", .optional(.bool), doc: "Kept whole, never purged."),
                    .init("purged", .optional(.string), doc: "When retention removed its personal data."),
                ])
            ),
            .init(
                "Event",
                .structure([
                    .init("id", .int), .init("at", .string), .init("reference", .string), .init("title", .string),
                    .init("kind", .string, doc: "incident.reported, task.completed, …; see docs/hooks.md."),
                    .init("actor", .optional(.string)),
                    .init("data", .map(.string), doc: "Details, without free text."),
                    .init("severity", .optional(.string), doc: "The incident's severity when the event was read."),
                ])
            ),
            .init(
                "Timing",
                .structure([
                    .init("median", .optional(.float)), .init("p90", .optional(.float)),
                    .init("count", .int, doc: "Incidents that reached this point."),
                ]),
                doc: "A duration in seconds over many incidents."
            ),
            .init("StatisticsGroup", .enumeration(["all", "playbook", "severity"])),
            .init(
                "Statistics",
                .structure([
                    .init("group", .named("StatisticsGroup")),
                    .init("key", .optional(.string), doc: "The playbook or severity."),
                    .init("incidents", .int),
                    .init("acknowledge", .named("Timing"), doc: "Reported to acknowledged."),
                    .init("contain", .named("Timing"), doc: "Aware to contained."),
                    .init(
                        "notifyAuthority",
                        .named("Timing"),
                        doc: "Aware to the first notification of the authority."
                    ),
                    .init(
                        "notifyIndividuals",
                        .named("Timing"),
                        doc: "Aware to the first notification of the people affected."
                    ),
                    .init("deadlinesMet", .int), .init("deadlinesMissed", .int),
                ])
            ),
            .init(
                "DueTask",
                .structure([
                    .init("reference", .string), .init("incidentTitle", .string), .init("task", .string),
                    .init("title", .string), .init("role", .named("Role")), .init("due", .optional(.string)),
                    .init("notification", .optional(.named("Recipient"))),
                    .init(
                        "settledBy",
                        .optional(.array(.string)),
                        doc: "Set when only possibly owed: the facts that settle it."
                    ),
                    .init("paused", .optional(.bool), doc: "True while its regime's clocks are paused."),
                    .init("pausedUntil", .optional(.string), doc: "When that pause ends, if it has an end."),
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
                    .init(
                        "idempotencyKey",
                        .optional(.string),
                        doc: "Retrying with the same key returns the first incident."
                    ),
                    .init(
                        "dedupKey",
                        .optional(.string),
                        doc:
                            "For automated reporters: while an incident with this key is open, the report folds into it."
                    ),
                ],
                output: [
                    .init("incident", .named("Incident")), .init("created", .bool), .init("folded", .optional(.bool)),
                ],
                doc: "File a breach report. The reply is sent only after it is stored."
            ),
            .init(
                "Export",
                input: [
                    .init("reference", .string),
                    .init("format", .named("ExportFormat")),
                    .init("redact", .optional(.bool), doc: "Mask personal data, for sharing outside the team."),
                ],
                output: [
                    .init("format", .named("ExportFormat")), .init("redacted", .bool), .init("document", .string),
                ],
                doc: "The case file for a regulator or a third party: facts, decisions with reasons, tasks, the\n"
                    + "notification ledger and the timeline. Every export is audited, with whether it was redacted."
            ),
            .init(
                "Register",
                input: [
                    .init(
                        "since",
                        .optional(.string),
                        doc: "Incidents reported at or after this instant; all when absent."
                    ),
                    .init("until", .optional(.string), doc: "And before this one; now when absent."),
                    .init("after", .optional(.string), doc: "The page after this reference (a reply's next)."),
                    .init("limit", .optional(.int), doc: "Incidents per page, 1 to 500; 100 when absent."),
                    .init("format", .named("RegisterFormat")),
                    .init(
                        "redact",
                        .optional(.bool),
                        doc: "Mask personal data in free text, for sharing outside the team."
                    ),
                ],
                output: [
                    .init("since", .optional(.string)), .init("until", .string), .init("redacted", .bool),
                    .init("entries", .array(.named("RegisterEntry"))), .init("next", .optional(.string)),
                ],
                doc:
                    "The breach register: every incident the caller may read in full that was reported in the period,\n"
                    + "oldest first, a page at a time. Every page is audited with the references it held."
            ),
            .init(
                "Hold",
                input: [.init("reference", .string), .init("reason", .optional(.string), doc: "Why; required.")],
                output: [.init("incident", .named("Incident"))],
                doc: "Place a legal hold (admins): the incident is never purged until the hold is lifted."
            ),
            .init(
                "Release",
                input: [.init("reference", .string)],
                output: [.init("incident", .named("Incident"))],
                doc: "Lift a legal hold (admins)."
            ),
            .init(
                "Purge",
                input: [.init("dryRun", .optional(.bool), doc: "Only list what would go.")],
                output: [
                    .init(
                        "incidents",
                        .array(
                            .structure([
                                .init("reference", .string), .init("closed", .string),
                                .init("playbook", .optional(.string)),
                                .init("retentionDays", .int),
                            ])
                        )
                    ),
                    .init("dryRun", .bool),
                ],
                doc:
                    "Remove personal data from closed incidents past their retention, keeping their skeleton (admins).\n"
                    + "Incidents on legal hold are kept whole. incidentd also runs this once a day."
            ),
            .init(
                "Stats",
                input: [
                    .init("since", .string, doc: "Incidents reported at or after this instant."),
                    .init("until", .optional(.string), doc: "And before this one; now when absent."),
                ],
                output: [
                    .init("since", .string), .init("until", .string), .init("rows", .array(.named("Statistics"))),
                ],
                doc:
                    "How well the team did: times to acknowledge, contain and notify (median, p90) and deadlines met,\n"
                    + "over the incidents the caller may see; all first, then by playbook, then by severity."
            ),
            .init(
                "Watch",
                input: [
                    .init("phases", .optional(.array(.named("Phase")))),
                    .init("severities", .optional(.array(.named("Severity")))),
                    .init("openOnly", .optional(.bool)),
                    .init("assignee", .optional(.string)),
                    .init("playbook", .optional(.string)),
                    .init("jurisdiction", .optional(.string)),
                    .init("text", .optional(.string)),
                    .init(
                        "after",
                        .optional(.int),
                        doc: "Resume after this event id (a reply's position); absent: new events only."
                    ),
                ],
                output: [.init("events", .array(.named("Event"))), .init("position", .int)],
                doc: "Call with more: a stream of events on incidents the caller may see, filtered as List is.\n"
                    + "The first reply has no events; keep-alives with none follow while nothing happens."
            ),
            .init(
                "Get",
                input: [.init("reference", .string)],
                output: caseFile,
                doc: "Read one incident's case file."
            ),
            workflowMethod(
                "Update",
                [
                    .init("severity", .optional(.named("Severity"))), .init("category", .optional(.named("Category"))),
                    .init("dataCategories", .optional(.array(.named("DataCategory")))),
                    .init("peopleAffected", .optional(.int)), .init("recordsAffected", .optional(.int)),
                    .init("jurisdictions", .optional(.array(.string))),
                    .init(
                        "peopleAffectedIn",
                        .optional(.map(.int)),
                        doc: "People affected per jurisdiction, such as US-CA."
                    ),
                    .init(
                        "discovered",
                        .optional(.string),
                        doc: "When the breach was first known to anyone in the organisation; not in the future."
                    ),
                    .init(
                        "estimated",
                        .optional(.array(.string)),
                        doc: "The counts given here that are estimates, such as peopleAffected."
                    ),
                    .init(
                        "values",
                        .optional(.map(.named("Capture"))),
                        doc: "Other fields of the playbook, not decisions, each a value of its type (fieldTypes)."
                    ),
                ],
                doc: "Update triage facts; the tasks that apply are re-evaluated."
            ),
            workflowMethod(
                "CompleteTask",
                [
                    .init("task", .string),
                    .init(
                        "values",
                        .optional(.map(.named("Capture"))),
                        doc: "The task's fields, each a value of its type (fieldTypes)."
                    ),
                    .init("estimated", .optional(.array(.string)), doc: "The captured counts that are estimates."),
                    .init(
                        "captures",
                        .optional(.map(.string)),
                        doc:
                            "Deprecated (use values), accepted until 2.0: the fields as text, parsed by type; ~1200 is an estimate."
                    ),
                    .init("reason", .optional(.string), doc: "Why: needed for decisions and for late notifications."),
                    .init("notification", .optional(.named("NotificationDetails"))),
                ],
                doc: "Complete a task of the current phase."
            ),
            workflowMethod(
                "SkipTask",
                [.init("task", .string), .init("reason", .string)],
                doc: "Skip a task, with a reason."
            ),
            workflowMethod("Approve", [], doc: "Approve the current phase's gate."),
            workflowMethod(
                "Advance",
                [.init("force", .optional(.string), doc: "A manager's reason to move anyway.")],
                doc: "Move to the next phase; refused with what is missing."
            ),
            workflowMethod(
                "PauseClock",
                [
                    .init(
                        "basis",
                        .string,
                        doc: "The basis its law allows, such as law-enforcement-written (see the case file's regimes)."
                    ),
                    .init(
                        "regimes",
                        .optional(.array(.string)),
                        doc: "The regimes to pause; absent: every regime with a clock running that allows the basis."
                    ),
                    .init(
                        "until",
                        .optional(.string),
                        doc: "When it ends by itself; needed where the request states the period."
                    ),
                    .init("reason", .string),
                ],
                doc:
                    "Pause the clocks of the regimes whose law allows a delay on this basis, within its cap; the others keep running."
            ),
            workflowMethod(
                "ResumeClock",
                [
                    .init(
                        "regimes",
                        .optional(.array(.string)),
                        doc: "The regimes to resume; absent: every running pause."
                    ),
                    .init("reason", .string),
                ],
                doc: "Lift running pauses; due dates move by the time paused."
            ),
            workflowMethod(
                "Close",
                [
                    .init("resolution", .string), .init("lessonsLearned", .string), .init("force", .optional(.string)),
                ],
                doc: "Close the incident from the notify phase."
            ),
            workflowMethod("Reopen", [.init("reason", .string)], doc: "Reopen a closed incident."),
            .init(
                "Note",
                input: [.init("reference", .string), .init("text", .string)],
                output: caseFile,
                doc: "Add a note to the timeline."
            ),
            .init(
                "Timeline",
                input: [
                    .init("reference", .string),
                    .init("latest", .optional(.int), doc: "Only the latest this many (1 to 1000)."),
                ],
                output: [
                    .init(
                        "events",
                        .array(
                            .structure([
                                .init("at", .string), .init("kind", .string), .init("actor", .optional(.string)),
                                .init("data", .map(.string)),
                            ])
                        )
                    ),
                    .init(
                        "total",
                        .optional(.int),
                        doc: "How many events the incident has, when only the latest were asked for."
                    ),
                ],
                doc: "The incident's events, oldest first."
            ),
            .init(
                "List",
                input: [
                    .init("phases", .optional(.array(.named("Phase")))),
                    .init("severities", .optional(.array(.named("Severity")))),
                    .init("since", .optional(.string), doc: "Only incidents reported at or after this instant."),
                    .init("openOnly", .optional(.bool)),
                    .init("assignee", .optional(.string)),
                    .init("playbook", .optional(.string)),
                    .init("jurisdiction", .optional(.string), doc: "An ISO country code, US-XX or EU."),
                    .init("text", .optional(.string), doc: "Text the title contains, in any case."),
                    .init("overdue", .optional(.bool), doc: "Only incidents with an open task past its due time."),
                    .init("sort", .optional(.named("Sort"))),
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
                    .init(
                        "force",
                        .optional(.bool),
                        doc: "Assign a user of the system who is neither an investigator nor a manager."
                    ),
                ],
                output: [.init("incident", .named("Incident"))],
                doc: "Assign an incident to an investigator (managers); the assignee must be a user of the system."
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
                    .init("overdue", .optional(.array(.named("DueTask"))), doc: "Open tasks past their deadline."),
                    .init("dueSoon", .optional(.array(.named("DueTask"))), doc: "Open tasks due in the next 24 hours."),
                    .init(
                        "owedNotifications",
                        .optional(.array(.named("DueTask"))),
                        doc: "Legal obligations still owed or possibly owed, whatever the phase."
                    ),
                    .init(
                        "myTasks",
                        .optional(.array(.named("DueTask"))),
                        doc: "Open tasks of incidents assigned to you."
                    ),
                ],
                doc: "Where every incident the caller may see stands."
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
            .init(
                "Checkpoint",
                .structure([
                    .init("chainPosition", .int),
                    .init("hash", .string, doc: "The seal hash at that position, hex."),
                    .init("signedAt", .string),
                    .init("keyID", .string),
                    .init("signature", .string, doc: "Ed25519, base64."),
                ]),
                doc: "The chain head signed with the daemon's audit signing key, which the database never sees."
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
                input: [
                    .init(
                        "checkpoint",
                        .optional(.named("Checkpoint")),
                        doc: "A checkpoint exported earlier and kept elsewhere, checked too."
                    )
                ],
                output: [
                    .init("verified", .int),
                    .init("pending", .int),
                    .init("checkpoints", .optional(.int), doc: "Signed checkpoints the recomputed chain matched."),
                    .init("lastCheckpoint", .optional(.int), doc: "The chain position of the last of them."),
                    .init("broken", .optional(.named("Break"))),
                ],
                doc: "Seal what is committed, then recompute the whole chain in the daemon against its seals and its "
                    + "signed checkpoints; names the first broken record (after a rewrite: the first after the last "
                    + "valid checkpoint)."
            ),
            .init(
                "Checkpoint",
                output: [.init("checkpoint", .named("Checkpoint")), .init("publicKey", .string)],
                doc: "Sign the chain head now and return it with the signing key's public half: for an auditor to keep "
                    + "apart from the database (auditors, admins)."
            ),
        ]
    )

    public static let playbooks = VarlinkInterface(
        name: "io.incidentd.Playbooks",
        doc: "The playbooks that drive incidents through report, investigate, notify and closed.",
        types: [
            .init(
                "Summary",
                .structure([
                    .init("name", .string), .init("version", .string), .init("title", .string),
                    .init("isDefault", .bool),
                    .init(
                        "digest",
                        .string,
                        doc: "SHA-256 of the source; incidents keep the version they started with."
                    ),
                    .init("tasks", .int),
                ])
            )
        ],
        methods: [
            .init("List", output: [.init("playbooks", .array(.named("Summary")))], doc: "The running set."),
            .init(
                "Get",
                input: [.init("name", .string)],
                output: [.init("playbook", .named("Summary")), .init("source", .string)],
                doc: "One playbook and its YAML."
            ),
            .init(
                "Reload",
                output: [.init("playbooks", .array(.named("Summary")))],
                doc:
                    "Load the playbooks directory again (admins); a set with problems is refused and the running one kept."
            ),
        ]
    )

    public static let hooks = VarlinkInterface(
        name: "io.incidentd.Hooks",
        doc: "Notification hook deliveries: the outbox, for operators.",
        types: [
            .init(
                "Delivery",
                .structure([
                    .init("id", .string), .init("hook", .string), .init("event", .string),
                    .init("incident", .optional(.string)),
                    .init("state", .string, doc: "pending, running, delivered or dead."),
                    .init("attempts", .int), .init("maxAttempts", .int), .init("nextAttempt", .optional(.string)),
                    .init("lastError", .optional(.string)), .init("createdAt", .string),
                    .init("deliveredAt", .optional(.string)),
                ])
            ),
            .init(
                "DisabledHook",
                .structure([
                    .init("name", .string), .init("reason", .string), .init("since", .string),
                ]),
                doc: "A hook its receiver asked to stop calling (a webhook answered 410 Gone)."
            ),
        ],
        methods: [
            .init(
                "Deliveries",
                input: [.init("state", .optional(.string)), .init("limit", .optional(.int))],
                output: [
                    .init("deliveries", .array(.named("Delivery"))), .init("disabled", .array(.named("DisabledHook"))),
                ],
                doc: "Deliveries, newest first, and the disabled hooks (admins, auditors)."
            ),
            .init(
                "Enable",
                input: [.init("name", .string)],
                output: [.init("enabled", .bool)],
                doc: "Enable a hook its receiver disabled; its held deliveries then go out (admins)."
            ),
            .init(
                "Retry",
                input: [.init("id", .string)],
                output: [.init("requeued", .bool)],
                doc: "Requeue a dead delivery for a fresh set of attempts (admins)."
            ),
        ]
    )

    public static let notices = VarlinkInterface(
        name: "io.incidentd.Notices",
        doc: "Each notification task's notice: drafted from the case file, checked against the law's elements.",
        types: [
            .init(
                "Element",
                .structure([
                    .init("id", .string), .init("label", .string),
                    .init("article", .string, doc: "The provision the element comes from."),
                    .init("status", .enumeration(["present", "missing", "deferrable"])),
                    .init("value", .optional(.string), doc: "As the notice writes it, when known."),
                    .init("supply", .optional(.string), doc: "What supplies a value not yet known."),
                    .init("later", .optional(.string), doc: "The provision that lets it follow in a later notice."),
                ]),
                doc: "One thing the law requires the notice to hold."
            )
        ],
        methods: [
            .init(
                "Draft",
                input: [
                    .init("reference", .string), .init("task", .string),
                    .init("language", .optional(.string), doc: "A language the notice has (en, zh-CN); en by default."),
                    .init("format", .optional(.enumeration(["text", "markdown"]))),
                ],
                output: [
                    .init("task", .string), .init("recipient", recipient), .init("language", .string),
                    .init("format", .string), .init("text", .string), .init("elements", .array(.named("Element"))),
                    .init("complete", .bool, doc: "Every element the first notice must hold is present."),
                ],
                doc: "The notice written from the current case file; a value not yet known shows as a placeholder."
            ),
            .init(
                "Check",
                input: [
                    .init("reference", .string), .init("task", .string), .init("language", .optional(.string)),
                ],
                output: [
                    .init("task", .string), .init("recipient", recipient), .init("languages", .array(.string)),
                    .init("elements", .array(.named("Element"))), .init("complete", .bool),
                ],
                doc: "Each element the law requires: present, missing (and what supplies it), or deferrable."
            ),
            .init(
                "Show",
                input: [.init("reference", .string), .init("task", .string)],
                output: [
                    .init("task", .string), .init("recipient", recipient), .init("sentAt", .string),
                    .init("by", .string), .init("language", .string),
                    .init("text", .string, doc: "The exact text sent."),
                    .init("digest", .string, doc: "The ledger's content digest: SHA-256 of the text, hex."),
                    .init("intact", .bool, doc: "The text read back hashes to the digest."),
                    .init("elements", .array(.string), doc: "The elements the case file held when it was sent."),
                    .init("deferred", .map(.string), doc: "Elements left to a later notice, with the reasons."),
                ],
                doc: "The notice a completed notification task sent, byte for byte."
            ),
        ]
    )

    public static let evidence = VarlinkInterface(
        name: "io.incidentd.Evidence",
        doc: "Files attached to an incident: uploaded in chunks, sealed at rest, hashed, and audited at every access.",
        types: [
            .init(
                "Evidence",
                .structure([
                    .init("number", .int, doc: "3 for E3, in the order files were stored."),
                    .init("name", .string), .init("description", .optional(.string)),
                    .init("kind", .enumeration(EvidenceKind.allCases.map(\.rawValue))),
                    .init("mediaType", .string, doc: "Detected from the content."),
                    .init("size", .int), .init("sha256", .string, doc: "SHA-256 of the content, lowercase hex."),
                    .init("addedBy", .string), .init("addedByUID", .int), .init("addedAt", .string),
                    .init(
                        "purgedAt",
                        .optional(.string),
                        doc: "When retention purged the content; the manifest stays."
                    ),
                ]),
                doc: "An evidence file's manifest."
            ),
            .init(
                "Verification",
                .structure([
                    .init("number", .int), .init("name", .string), .init("sha256", .string), .init("intact", .bool),
                    .init("problem", .optional(.string)),
                ])
            ),
            .init(
                "Access",
                .structure([
                    .init("at", .string), .init("user", .string), .init("uid", .int),
                    .init("action", .string), .init("outcome", .string),
                ]),
                doc: "One audited access to a file."
            ),
        ],
        methods: [
            .init(
                "Begin",
                input: [
                    .init("reference", .string),
                    .init("name", .string, doc: "The file's own name: no directory, no control characters."),
                    .init("kind", .optional(.enumeration(EvidenceKind.allCases.map(\.rawValue)))),
                    .init("description", .optional(.string)),
                    .init("size", .optional(.int), doc: "The size in bytes, when known; Commit checks it."),
                ],
                output: [
                    .init("upload", .string), .init("chunkSize", .int, doc: "The most bytes one Upload may carry."),
                ],
                doc: "Begin adding a file to an open incident (investigators and managers; reporters to their own)."
            ),
            .init(
                "Upload",
                input: [
                    .init("upload", .string), .init("position", .int, doc: "0, 1, 2, …: chunks come in order."),
                    .init("data", .string, doc: "The chunk's bytes, base64."),
                ],
                output: [.init("received", .int)],
                doc: "Store the next chunk of an upload, sealed under the file's id and the chunk's position."
            ),
            .init(
                "Commit",
                input: [
                    .init("upload", .string),
                    .init("sha256", .string, doc: "SHA-256 of the whole file; the daemon hashes what it stored."),
                ],
                output: [.init("evidence", .named("Evidence"))],
                doc: "Finish an upload: the file gets its number once its size and SHA-256 match what was stored."
            ),
            .init(
                "List",
                input: [.init("reference", .string)],
                output: [.init("evidence", .array(.named("Evidence")))],
                doc: "The incident's evidence; a reporter sees only the files they added."
            ),
            .init(
                "Get",
                input: [.init("reference", .string), .init("number", .int)],
                output: [
                    .init("evidence", .optional(.named("Evidence")), doc: "In the first reply only."),
                    .init("position", .optional(.int)),
                    .init("data", .optional(.string), doc: "One chunk's bytes, base64, in each reply after the first."),
                ],
                doc: "Stream a file back (call with more): the manifest, then its chunks in order."
            ),
            .init(
                "Verify",
                input: [.init("reference", .string)],
                output: [.init("files", .array(.named("Verification")))],
                doc: "Re-hash every stored file of the incident and say whether each is intact."
            ),
            .init(
                "Custody",
                input: [.init("reference", .string), .init("number", .int)],
                output: [.init("evidence", .named("Evidence")), .init("accesses", .array(.named("Access")))],
                doc: "Who added the file and every audited access since: its chain of custody."
            ),
        ]
    )

    public static let all: [VarlinkInterface] = [
        .service, errors, incidents, audit, playbooks, hooks, notices, evidence,
    ]
}
