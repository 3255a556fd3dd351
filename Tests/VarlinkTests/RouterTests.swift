import Foundation
import Testing

@testable import IncidentProtocol
@testable import Varlink

struct Oops: Error {}

/// Collects what the router tells its observer.
final class Rejections: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ name: String) {
        lock.lock()
        stored.append(name)
        lock.unlock()
    }

    var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

@Suite struct RouterTests {
    static let info = VarlinkServiceInfo(vendor: "v", product: "p", version: "1", url: "u")

    func makeRouter(rejections: Rejections? = nil) -> VarlinkRouter<String> {
        var router = VarlinkRouter<String>(
            info: Self.info,
            interfaces: [.service, InterfaceTests.example],
            observer: { call, routing, _ in
                switch routing {
                case .rejected(let error): rejections?.append(error.name)
                case .introspected: rejections?.append("introspected \(call.methodName)")
                case .failed(let error): rejections?.append("failed \(error.name)")
                }
            },
            admission: { call, context in
                context == "throttled" ? VarlinkError(name: "org.example.Things.TooMany") : nil
            },
            mapError: { _ in VarlinkError(name: "org.example.Things.Internal") }
        )
        router.register("org.example.Things.Find") { call, context in
            if call.parameters["name"] == JSONValue.string("boom") { throw Oops() }
            if call.parameters["name"] == JSONValue.string("missing") {
                throw VarlinkError(name: "org.example.Things.NotFound", parameters: ["name": .string("missing")])
            }
            return VarlinkReply(parameters: ["found": JSONValue.array([JSONValue.string(context)])])
        }
        return router
    }

    @Test func answersGetInfo() async {
        let reply = await makeRouter().route(VarlinkCall(method: "org.varlink.service.GetInfo"), context: "")
        #expect(reply.error == nil)
        #expect(
            reply.parameters["interfaces"]
                == JSONValue.array([.string("org.varlink.service"), .string("org.example.Things")])
        )
        #expect(reply.parameters["vendor"] == JSONValue.string("v"))
    }

    @Test func answersGetInterfaceDescription() async {
        let reply = await makeRouter().route(
            VarlinkCall(
                method: "org.varlink.service.GetInterfaceDescription",
                parameters: ["interface": .string("org.example.Things")]
            ),
            context: ""
        )
        #expect(reply.parameters["description"] == JSONValue.string(InterfaceTests.example.description))
    }

    @Test func unknownInterfaceDescriptionIsNamed() async {
        let reply = await makeRouter().route(
            VarlinkCall(
                method: "org.varlink.service.GetInterfaceDescription",
                parameters: ["interface": .string("no.such")]
            ),
            context: ""
        )
        #expect(reply.error == "org.varlink.service.InterfaceNotFound")
    }

    @Test func routesToTheHandlerWithTheContext() async {
        let reply = await makeRouter().route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("x")]),
            context: "alice"
        )
        #expect(reply.parameters["found"] == JSONValue.array([.string("alice")]))
    }

    @Test(arguments: [
        ("no.such.Iface.Method", "org.varlink.service.InterfaceNotFound"),
        ("org.example.Things.Lose", "org.varlink.service.MethodNotFound"),
        ("Find", "org.varlink.service.InterfaceNotFound"),
    ])
    func refusesUnknownTargets(method: String, error: String) async {
        let rejections = Rejections()
        let reply = await makeRouter(rejections: rejections).route(VarlinkCall(method: method), context: "")
        #expect(reply.error == error)
        #expect(rejections.names == [error])
    }

    @Test func refusesInvalidParametersBeforeTheHandler() async {
        let rejections = Rejections()
        let reply = await makeRouter(rejections: rejections).route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .integer(1)]),
            context: ""
        )
        #expect(reply.error == "org.varlink.service.InvalidParameter")
        #expect(reply.parameters["parameter"] == JSONValue.string("name"))
        #expect(rejections.names == ["org.varlink.service.InvalidParameter"])
    }

    @Test func passesNamedErrorsThrough() async {
        let reply = await makeRouter().route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("missing")]),
            context: ""
        )
        #expect(reply.error == "org.example.Things.NotFound")
    }

    /// Nothing the router answers itself or a handler fails goes unobserved.
    @Test func introspectionAndFailuresAreObserved() async {
        let observed = Rejections()
        let router = makeRouter(rejections: observed)
        _ = await router.route(VarlinkCall(method: "org.varlink.service.GetInfo"), context: "")
        _ = await router.route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("boom")]),
            context: ""
        )
        _ = await router.route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("x")]),
            context: ""
        )
        #expect(observed.names == ["introspected GetInfo", "failed org.example.Things.Internal"])
    }

    @Test func admissionRefusesBeforeTheHandlerButNotIntrospection() async {
        let router = makeRouter()
        let refused = await router.route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("x")]),
            context: "throttled"
        )
        #expect(refused.error == "org.example.Things.TooMany")
        let info = await router.route(VarlinkCall(method: "org.varlink.service.GetInfo"), context: "throttled")
        #expect(info.error == nil)
    }

    @Test func mapsOtherErrors() async {
        let reply = await makeRouter().route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("boom")]),
            context: ""
        )
        #expect(reply.error == "org.example.Things.Internal")
    }

    @Test func declaredButUnregisteredMethodIsNotImplemented() async {
        let router = VarlinkRouter<String>(
            info: Self.info,
            interfaces: [.service, InterfaceTests.example],
            mapError: { _ in .permissionDenied() }
        )
        let reply = await router.route(
            VarlinkCall(method: "org.example.Things.Find", parameters: ["name": .string("x")]),
            context: ""
        )
        #expect(reply.error == "org.varlink.service.MethodNotImplemented")
    }

    @Test func everyIncidentdInterfaceRendersWithoutHyphenatedNames() {
        // Varlink identifiers cannot contain '-'; enum values that did broke real clients.
        for interface in IncidentInterfaces.all {
            let declarations = interface.description.split(separator: "\n").filter {
                !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#")
            }
            for line in declarations {
                #expect(!line.contains("-") || line.contains("->"), "\(interface.name): \(line)")
            }
        }
    }
}
