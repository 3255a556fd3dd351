import Foundation
import IncidentProtocol
import TestSupport
import Testing

/// `incidentctl board`: one self-contained HTML page whose charts have as many marks as the
/// data says, with nothing a reporter typed able to become markup, rendered by headless
/// Chromium to a PNG that is not blank.
@Suite struct BoardTests {
    /// What Python's html.parser finds in the page: per chart its declared and drawn marks,
    /// the open-incidents table's rows, and anything that would reach outside the file.
    static let inspect = """
        import html.parser, json, re, sys
        class Page(html.parser.HTMLParser):
            def __init__(self):
                super().__init__()
                self.charts, self.stack, self.outside, self.scripts, self.rows, self.lang = {}, [], [], 0, 0, None
                self.ids = []
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if tag == 'html': self.lang = attrs.get('lang')
                if tag == 'script': self.scripts += 1
                if 'id' in attrs: self.ids.append(attrs['id'])
                for name in ('src', 'href', 'xlink:href'):
                    if name in attrs: self.outside.append(attrs[name])
                if 'url(' in attrs.get('style', '') or '@import' in attrs.get('style', ''):
                    self.outside.append(attrs['style'])
                if tag == 'figure':
                    self.stack.append(attrs['data-chart'])
                    self.charts[attrs['data-chart']] = {'declared': int(attrs['data-marks']), 'drawn': 0}
                if 'mark' in (attrs.get('class') or '').split() and self.stack:
                    self.charts[self.stack[-1]]['drawn'] += 1
                if tag == 'tr' and self.in_open: self.rows += 1
                if tag == 'section' and attrs.get('data-table') == 'open': self.in_open = True
            in_open = False
            def handle_endtag(self, tag):
                if tag == 'figure': self.stack.pop()
                if tag == 'section': self.in_open = False
        text = open(sys.argv[1], encoding='utf-8').read()
        page = Page()
        page.feed(text)
        # Every url() in the style sheet points inside the page (#hatch), never elsewhere.
        external = [u for u in re.findall(r'url\\(([^)]*)\\)', text) if not u.startswith('#')]
        print(json.dumps({'charts': page.charts, 'outside': page.outside + external, 'scripts': page.scripts,
                          'rows': max(page.rows - 1, 0), 'lang': page.lang,
                          'duplicateIDs': len(page.ids) - len(set(page.ids))}))
        """

    struct Inspection: Decodable {
        struct Chart: Decodable {
            var declared: Int
            var drawn: Int
        }
        var charts: [String: Chart]
        var outside: [String]
        var scripts: Int
        var rows: Int
        var lang: String?
        var duplicateIDs: Int
    }

    static func inspect(_ file: String) async throws -> Inspection {
        let result = try await runCommand("/usr/bin/python3", ["-c", inspect, file])
        guard result.status == 0 else { throw TestSetupError("cannot inspect \(file): \(result)") }
        return try JSONDecoder().decode(Inspection.self, from: Data(result.stdout.utf8))
    }

    /// Of a PNG: its size and the share of pixels that are not (near) white, decoded with
    /// Python's zlib (no imaging library needed).
    static let pixels = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            chunk = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR': width, height, depth, colour = struct.unpack('>IIBB', chunk[:10])
            if kind == b'IDAT': idat += chunk
            pos += 12 + length
        channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
        raw, stride = zlib.decompress(idat), width * channels
        previous, inked, row_start = bytearray(stride), 0, 0
        for y in range(height):
            kind, line = raw[row_start], bytearray(raw[row_start + 1:row_start + 1 + stride])
            row_start += 1 + stride
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                if kind == 1: line[i] = (line[i] + a) & 255
                elif kind == 2: line[i] = (line[i] + b) & 255
                elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, channels):
                if min(line[x:x + min(channels, 3)]) < 200: inked += 1
            previous = line
        print(width, height, inked / (width * height))
        """

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test func theBoardPageHasEveryChartWithItsMarksAndRendersInChromium() async throws {
        let directory = try TemporaryDirectory(prefix: "board")
        defer { directory.remove() }
        try await withDaemon(arguments: try RegisterTests.config(in: directory)) { daemon, _ in
            var references = try await RegisterTests.fileTwo(daemon, directory: directory)
            let hostile = try await daemon.ctl([
                "report", "--title", "<script>alert(1)</script><img src=x onerror=alert(2)>", "--description", "d",
            ])
            #expect(hostile.status == 0, "\(hostile)")
            references += hostile.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { [String($0.output)] } ?? []
            let page = directory.appending("board.html")
            let written = try await daemon.ctl(["board", "--output", page])
            #expect(written.status == 0 && written.stderr.contains("3 incidents"), "\(written)")
            let html = try String(contentsOfFile: page, encoding: .utf8)
            #expect(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<img"), "what a reporter typed is text, never markup")

            let found = try await Self.inspect(page)
            #expect(found.scripts == 0 && found.outside.isEmpty, "self-contained: \(found.outside)")
            #expect(found.duplicateIDs == 0)
            #expect(found.lang == "en")
            let expected: [String: Int] = [
                "opened-closed": 1,  // three opened this week, none closed
                "time-to-notify": 1,  // the one notification of an authority
                "deadlines-by-regime": 1,  // GDPR, missed
                "by-category": 2,  // accidental_disclosure, and not yet categorised
                "by-data-category": 1,  // contact
            ]
            for (chart, marks) in expected {
                #expect(found.charts[chart]?.declared == marks, "\(chart): \(String(describing: found.charts[chart]))")
            }
            let phases = try #require(found.charts["open-by-phase"])
            #expect(phases.declared >= 3 * 13 && phases.declared % 3 == 0, "a point per phase and week: \(phases)")
            for (chart, counts) in found.charts { #expect(counts.declared == counts.drawn, "\(chart): \(counts)") }
            #expect(found.rows == references.count, "a row per open incident")

            // What a browser makes of it: a page with ink on it, every mark in its DOM.
            guard let chromium = Self.chromium else {
                if ProcessInfo.processInfo.environment["CI"] == "true" {
                    Issue.record("chromium is not installed; scripts/install-deps.sh installs it")
                }
                return
            }
            // INCIDENTD_BOARD_PNG keeps the rendering, to look at.
            let png = ProcessInfo.processInfo.environment["INCIDENTD_BOARD_PNG"] ?? directory.appending("board.png")
            let profile = directory.appending("chromium")
            let common = [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
                "--window-size=1000,2600", "--hide-scrollbars",
            ]
            let shot = try await runCommand(chromium, common + ["--screenshot=\(png)", "file://\(page)"])
            #expect(FileManager.default.fileExists(atPath: png), "\(shot)")
            let measured = try await runCommand("/usr/bin/python3", ["-c", Self.pixels, png])
            let values = measured.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            #expect(values.count == 3 && values[0] == 1000, "\(measured)")
            #expect((values.last ?? 0) > 0.01, "the page is not blank: \(measured.stdout)")
            print(
                "board: \(measured.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) (width, height, inked share)"
            )
            let dom = try await runCommand(chromium, common + ["--dump-dom", "file://\(page)"])
            let rendered = directory.appending("rendered.html")
            try dom.stdout.write(toFile: rendered, atomically: true, encoding: .utf8)
            let inBrowser = try await Self.inspect(rendered)
            for (chart, counts) in found.charts {
                #expect(inBrowser.charts[chart]?.drawn == counts.declared, "\(chart) in Chromium's DOM")
            }
        }
    }

    @Test func inChineseTheLabelsAreChineseAndAnEmptyPeriodSaysSo() async throws {
        try await withDaemon { daemon, _ in
            let empty = try await daemon.ctl(["board", "--since", "2020-01-01", "--until", "2020-02-01"])
            #expect(empty.status == 0, "\(empty)")
            #expect(empty.stdout.contains("There were no incidents in this period."))
            #expect(!empty.stdout.contains("<figure"))
            let chinese = try await runCommand(
                Binaries.incidentctl,
                ["board", "--since", "2020-01-01", "--until", "2020-02-01", "--socket", daemon.socketPath],
                environment: [
                    "LANG": "zh_CN.UTF-8", "XDG_STATE_HOME": "/tmp/incidentd-test-state-\(UUID().uuidString)",
                ]
            )
            #expect(chinese.stdout.contains("<html lang=\"zh-CN\">"), "\(chinese)")
            #expect(chinese.stdout.contains("本期间没有事件。"), "\(chinese.stdout)")
            let future = try await daemon.ctl(["board", "--since", "2999-01-01"])
            #expect(future.status == ExitStatus.usage.rawValue && future.stderr.contains("since"), "\(future)")
        }
    }
}
