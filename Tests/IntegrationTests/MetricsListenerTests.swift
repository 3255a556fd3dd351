import IncidentDaemon
import Testing

/// `metricsListen`: what it accepts, and which addresses only this machine reaches.
@Suite struct MetricsListenerTests {
    @Test func addressesAndSocketsParseAndLoopbackIsKnown() throws {
        let cases: [(String, MetricsListener, Bool)] = [
            ("127.0.0.1:9464", .tcp(host: "127.0.0.1", port: 9464), true),
            ("127.8.9.10:1", .tcp(host: "127.8.9.10", port: 1), true),
            ("localhost:9464", .tcp(host: "localhost", port: 9464), true),
            ("[::1]:9464", .tcp(host: "::1", port: 9464), true),
            ("/run/incidentd/metrics.sock", .unix(path: "/run/incidentd/metrics.sock"), true),
            ("0.0.0.0:9464", .tcp(host: "0.0.0.0", port: 9464), false),
            ("192.168.1.5:9464", .tcp(host: "192.168.1.5", port: 9464), false),
            ("[::]:9464", .tcp(host: "::", port: 9464), false),
            ("metrics.example.com:9464", .tcp(host: "metrics.example.com", port: 9464), false),
        ]
        for (text, listener, local) in cases {
            #expect(try MetricsListener.parse(text).get() == listener, "\(text)")
            #expect(listener.isLocal == local, "\(text)")
        }
        #expect(MetricsListener.tcp(host: "::1", port: 9464).description == "[::1]:9464")
    }

    @Test func nonsenseIsRefused() {
        for text in [
            "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", ":9464", "::1:9464",
            "[::1]9464", "relative/path.sock",
        ] {
            #expect((try? MetricsListener.parse(text).get()) == nil, "\(text)")
        }
    }
}
