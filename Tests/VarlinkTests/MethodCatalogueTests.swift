import IncidentCore
import IncidentProtocol
import Testing
import Varlink

/// The typed wire contract (``Methods``, ``WireError``) and the served interface descriptions
/// say the same thing: every declared method has one typed value and every value a declared
/// method; every declared error is one case of the catalogue, with the same parameters.
@Suite struct MethodCatalogueTests {
    static let served = IncidentInterfaces.all.filter { $0.name != VarlinkInterface.service.name }

    @Test func everyDeclaredMethodHasExactlyOneTypedValue() {
        let declared = Self.served.flatMap { interface in interface.methods.map { interface.name + "." + $0.name } }
        let typed = Methods.all.map(\.name)
        #expect(Set(typed).count == typed.count, "a method is listed twice")
        #expect(Set(typed) == Set(declared))
    }

    @Test func aMethodsDeclaredInputAcceptsWhatItsTypeEncodes() throws {
        // A sample of each shape: an empty parameter set, a reference, a structure with options.
        let calls: [VarlinkCall] = [
            try Methods.Incidents.status.call(.init()),
            try Methods.Incidents.get.call(.init(reference: .init(year: 2026, number: 1))),
            try Methods.Incidents.report.call(
                .init(
                    draft: .init(
                        title: "t",
                        description: "d",
                        jurisdictions: [try #require(Jurisdiction(rawValue: "DE"))]
                    )
                )
            ),
            try Methods.Hooks.retry.call(.init(id: "x")),
            try Methods.Playbooks.reload.call(.init()),
        ]
        for call in calls {
            let interface = try #require(IncidentInterfaces.all.first { $0.name == call.interface })
            let method = try #require(interface.method(named: call.methodName))
            #expect(throws: Never.self, "\(call.method)") { try interface.validate(call.parameters, for: method) }
        }
    }

    @Test func onlyWatchAndEvidenceGetStream() {
        #expect(
            Methods.all.filter(\.streams).map(\.name) == [Methods.Incidents.watch.name, Methods.Evidence.get.name]
        )
    }

    @Test func onlyAnUploadsChunksAndCommitSkipTheRateLimitBesideTheReads() {
        #expect(
            Methods.all.filter(\.continuesAdmittedCall).map(\.name)
                == [Methods.Evidence.upload.name, Methods.Evidence.commit.name]
        )
        #expect(!Methods.unlimitedNames.contains(Methods.Evidence.begin.name), "Begin is rate-limited")
    }

    @Test func readingMethodsAreTheOnesThatChangeNothing() {
        let changing = Set(Methods.all.filter { !$0.readsOnly }.map(\.method))
        #expect(
            changing.isSuperset(of: ["Report", "Update", "CompleteTask", "Note", "Hold", "Purge", "Reload", "Retry"])
        )
        #expect(changing.isDisjoint(with: ["Get", "List", "Status", "Stats", "Export", "Timeline", "Watch", "Query"]))
    }

    @Test func auditActionsNameTheMethodAndItsInterface() {
        #expect(Methods.Incidents.report.auditAction == "Report")
        #expect(Methods.Audit.query.auditAction == "AuditQuery")
        #expect(Methods.Hooks.retry.auditAction == "HooksRetry")
        #expect(VarlinkCall(method: "io.incidentd.Nowhere.Thing").auditAction == "NowhereThing")
    }

    /// One value of every error incidentd sends.
    static let samples: [WireError] = [
        .noSuchIncident(reference: "INC-2026-000001"),
        .invalidValue(parameter: "title", reason: "must not be empty"),
        .permissionDenied(reason: "reporters may not assign"),
        .conflict(reference: "INC-2026-000001", version: 4),
        .databaseUnavailable(reason: "connection refused"),
        .storageFull,
        .malformedMessage(reason: "not JSON"),
        .messageTooLarge(limit: 1_048_576),
        .moveNotAllowed(reason: "triage is open", missingTasks: ["triage"], gate: "manager"),
        .playbookProblems(["a.yaml:1:1: no name"]),
        .internalError(reason: "nothing was changed"),
        .shuttingDown,
        .tooManyConnections(limit: 64),
        .tooManyRequests(retryAfterSeconds: 3, limit: "60 changes a minute, bursts of 20"),
        .tooMuchData(reference: "INC-2026-000001", limit: 16_777_216),
        .noticeIncomplete(task: "gdpr-authority", missing: ["likelyConsequences", "contact"]),
        .evidenceDamaged(reference: "INC-2026-000001", number: 2, reason: "chunk 3 is missing"),
        .evidenceTooLarge(what: "file", limit: 268_435_456),
    ]

    @Test func everyDeclaredErrorIsACaseOfTheCatalogue() {
        let declared = Set(IncidentInterfaces.errors.errors.map(\.name))
        #expect(Set(WireError.Name.allCases.map(\.declared)) == declared)
        #expect(
            Set(Self.samples.map(\.name)) == Set(WireError.Name.allCases.map(\.rawValue)),
            "a sample for every name"
        )
    }

    @Test(arguments: samples)
    func anErrorSendsTheParametersItsDeclarationNamesAndReadsBackAsItself(_ error: WireError) throws {
        let declaration = try #require(
            IncidentInterfaces.errors.errors.first { "io.incidentd." + $0.name == error.name }
        )
        let required = Set(
            declaration.parameters.filter {
                if case .optional = $0.type { return false }
                return true
            }.map(\.name)
        )
        let all = Set(declaration.parameters.map(\.name))
        let sent = Set(error.varlinkError.parameters.keys)
        #expect(sent.isSuperset(of: required) && sent.isSubset(of: all), "\(error.name) sends \(sent.sorted())")
        #expect(WireError(error.varlinkError) == error)
        #expect(!error.message.isEmpty && !error.message.contains("\n") || error.name.hasSuffix("PlaybookProblems"))
    }

    @Test func theCLIsExitStatusComesWithTheError() {
        #expect(WireError.noSuchIncident(reference: "x").exitStatus == .notFound)
        #expect(WireError.invalidValue(parameter: "p", reason: "r").exitStatus == .usage)
        #expect(WireError.conflict(reference: "x", version: 1).exitStatus == .conflict)
        #expect(WireError.databaseUnavailable(reason: "r").exitStatus == .unavailable)
        #expect(WireError.storageFull.exitStatus == .unavailable, "a full disk is retried like an outage")
        #expect(WireError(.invalidParameter("title")).exitStatus == .usage)
        #expect(WireError(.methodNotFound("io.incidentd.Incidents.Nope")).exitStatus == .unavailable)
        #expect(
            WireError(VarlinkError(name: "io.incidentd.FromTheFuture"))
                == .unknown(VarlinkError(name: "io.incidentd.FromTheFuture"))
        )
    }
}
