import Foundation
import IncidentCore
import IncidentProtocol

/// The board report (`incidentctl board`): one self-contained HTML page, its charts inline SVG
/// drawn from the breach register of the period — no script, font, style sheet or image from
/// anywhere else, so it works offline, mailed, and printed to PDF. Series differ in lightness,
/// pattern and marker shape, not only in hue, so the page survives greyscale printing.
///
/// Every chart is a `figure` with `data-chart` and `data-marks`: the number of marks (bars,
/// points, dots) it draws, each an SVG element of class `mark`, which the tests count.
struct BoardReport {
    var register: BreachRegister
    var since: Date
    var output: Output

    func tr(_ english: String, _ arguments: String...) -> String {
        output.language.text(english, arguments: arguments)
    }

    /// The series' looks: dark, middle and light, each also told apart by its pattern.
    static let dark = "#1b365d"
    static let middle = "#5a7fa8"
    static let light = "#b8cbe0"

    var calendar: Calendar {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = output.timeZone
        return calendar
    }

    /// The Mondays that start the weeks of the period, the first on or before `since`.
    var weeks: [Date] {
        guard let first = calendar.dateInterval(of: .weekOfYear, for: since)?.start else { return [] }
        var weeks: [Date] = []
        var week = first
        while week < register.until, weeks.count < 260 {
            weeks.append(week)
            week = calendar.date(byAdding: .weekOfYear, value: 1, to: week) ?? register.until
        }
        return weeks
    }

    func html() -> String {
        let entries = register.entries
        let title = tr("Data-breach report to the board")
        var body: [String] = [
            // The patterns every chart fills with, defined once for the whole page.
            "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\">\(Self.patterns)</svg>",
            "<h1>\(Self.escape(title))</h1>",
            "<p class=\"period\">"
                + Self.escape(
                    tr(
                        "Incidents reported %s to %s: %s. Made %s by %s.",
                        day(since),
                        day(register.until),
                        String(entries.count),
                        output.time(register.exportedAt),
                        register.exportedBy
                    )
                ) + "</p>",
        ]
        if entries.isEmpty {
            body.append("<p class=\"empty\">\(Self.escape(tr("There were no incidents in this period.")))</p>")
        } else {
            body += [
                openedAndClosed(), openByPhase(), timeToNotify(), deadlinesByRegime(),
                byCategory(), openIncidents(),
            ]
        }
        return """
            <!DOCTYPE html>
            <html lang="\(output.language.isChinese ? "zh-CN" : "en")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(title))</title>
            <style>
            \(Self.style)
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    static let style = """
        body { font-family: "Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", Arial, sans-serif;
               color: #111; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
        h2 { font-size: 1.15rem; margin: 0 0 0.4rem 0; }
        .period, .empty { color: #333; }
        figure { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
        figcaption { font-size: 0.85rem; color: #333; margin-top: 0.3rem; }
        svg { width: 100%; height: auto; }
        svg text { font-size: 11px; fill: #222; }
        .axis { stroke: #444; stroke-width: 1; }
        .grid { stroke: #ddd; stroke-width: 1; }
        .deadline { stroke: #000; stroke-width: 1.5; stroke-dasharray: 6 3; }
        .legend { font-size: 0.85rem; }
        .legend span { display: inline-block; margin-right: 1.2rem; }
        .legend svg { width: 1.6rem; height: 0.9rem; vertical-align: middle; }
        table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
        th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
        th { border-bottom: 2px solid #444; }
        .overdue { font-weight: bold; }
        @media print { body { margin: 0; max-width: none; }
                       * { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
        """

    /// The patterns the lighter series are filled with.
    static let patterns = """
        <defs>
        <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="\(light)"/><line x1="0" y1="0" x2="0" y2="6" stroke="\(dark)" stroke-width="1.5"/>
        </pattern>
        </defs>
        """

    // MARK: Charts

    /// Incidents opened and closed per week: a dark bar and a hatched one per week.
    func openedAndClosed() -> String {
        let weeks = self.weeks
        func week(of date: Date) -> Int? {
            guard date >= (weeks.first ?? since), date < register.until else { return nil }
            return weeks.lastIndex { $0 <= date }
        }
        var opened = [Int](repeating: 0, count: weeks.count)
        var closed = [Int](repeating: 0, count: weeks.count)
        for entry in register.entries {
            if let index = week(of: entry.reported) { opened[index] += 1 }
            if let date = entry.closed, let index = week(of: date) { closed[index] += 1 }
        }
        let chart = Chart(width: 720, height: 240, maximum: Double(max(opened.max() ?? 0, closed.max() ?? 0, 1)))
        var marks: [String] = []
        let slot = chart.plotWidth / Double(max(weeks.count, 1))
        let bar = max(2, slot * 0.38)
        for index in weeks.indices {
            let x = chart.left + slot * Double(index) + slot * 0.1
            for (series, counts, fill) in [(0, opened, Self.dark), (1, closed, "url(#hatch)")] where counts[index] > 0 {
                let height = chart.scale(Double(counts[index]))
                marks.append(
                    "<rect class=\"mark\" x=\(Self.n(x + Double(series) * bar)) y=\(Self.n(chart.bottom - height)) "
                        + "width=\(Self.n(bar)) height=\(Self.n(height)) fill=\"\(fill)\" stroke=\"\(Self.dark)\">"
                        + "<title>\(Self.escape(day(weeks[index]))): \(counts[index])</title></rect>"
                )
            }
        }
        let labels = weekLabels(weeks, chart: chart, slot: slot)
        return figure(
            "opened-closed",
            title: tr("Incidents opened and closed per week"),
            svg: chart.frame(marks: marks, extra: labels),
            marks: marks.count,
            legend: [(tr("Opened"), Self.swatch(fill: Self.dark)), (tr("Closed"), Self.swatch(fill: "url(#hatch)"))]
        )
    }

    /// Open incidents in each phase at the end of each week: three lines, told apart by dash
    /// and marker (circle, square, triangle).
    func openByPhase() -> String {
        let weeks = self.weeks
        let phases: [Phase] = [.report, .investigate, .notify]
        let ends = weeks.map { min(calendar.date(byAdding: .weekOfYear, value: 1, to: $0) ?? $0, register.until) }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: weeks.count), count: phases.count)
        for entry in register.entries {
            let entered = (entry.phases ?? [:]).sorted { $0.value < $1.value }
            for (index, end) in ends.enumerated() {
                // The phase it was in then: the last it entered by then.
                guard let phase = entered.last(where: { $0.value <= end })?.key,
                    let row = phases.firstIndex(where: { $0.rawValue == phase })
                else { continue }
                counts[row][index] += 1
            }
        }
        let chart = Chart(width: 720, height: 240, maximum: Double(max(counts.flatMap { $0 }.max() ?? 0, 1)))
        let slot = chart.plotWidth / Double(max(weeks.count, 1))
        let styles = [(Self.dark, "", "circle"), (Self.middle, "6 3", "square"), ("#000", "2 3", "triangle")]
        var marks: [String] = []
        var lines: [String] = []
        for (row, (colour, dash, shape)) in styles.enumerated() {
            var points: [String] = []
            for index in weeks.indices {
                // Each series a little apart, so equal counts do not hide one another's marker.
                let x = chart.left + slot * (Double(index) + 0.5) + Double(row - 1) * 5
                let y = chart.bottom - chart.scale(Double(counts[row][index]))
                points.append("\(Self.f(x)),\(Self.f(y))")
                let label =
                    "<title>\(Self.escape(phaseName(phases[row]))), \(day(weeks[index])): \(counts[row][index])</title>"
                marks.append(Self.marker(shape, x: x, y: y, colour: colour, title: label))
            }
            lines.append(
                "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" "
                    + "stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
            )
        }
        return figure(
            "open-by-phase",
            title: tr("Open incidents by phase, at the end of each week"),
            svg: chart.frame(marks: lines + marks, extra: weekLabels(weeks, chart: chart, slot: slot)),
            marks: marks.count,
            legend: phases.enumerated().map { index, phase in
                (phaseName(phase), Self.lineSwatch(styles[index].0, dash: styles[index].1, shape: styles[index].2))
            }
        )
    }

    /// Each notification of an authority: a dot at the hours it took from awareness, beside
    /// the deadline its law set (a dashed line per deadline).
    func timeToNotify() -> String {
        let notices = register.entries.flatMap { entry in
            entry.notifications.filter { $0.kind == .authority }.map { (entry, $0) }
        }.sorted { $0.1.sentAt < $1.1.sentAt }
        let hours = notices.map { max(0, $0.1.sentAt.timeIntervalSince($0.0.aware) / 3600) }
        // The deadline of each regime, in hours after awareness, as its notifications had it.
        var deadlines: [String: Double] = [:]
        for (entry, notice) in notices {
            guard let due = notice.due else { continue }
            deadlines[notice.regime ?? notice.task] = due.timeIntervalSince(entry.aware) / 3600
        }
        let chart = Chart(
            width: 720,
            height: 260,
            maximum: max((hours + Array(deadlines.values)).max() ?? 0, 1)
        )
        let slot = chart.plotWidth / Double(max(notices.count, 1))
        var marks: [String] = []
        for (index, (entry, notice)) in notices.enumerated() {
            let x = chart.left + slot * (Double(index) + 0.5)
            let y = chart.bottom - chart.scale(hours[index])
            let late = notice.onTime == false
            let label =
                "<title>\(Self.escape(entry.reference.rawValue)) \(Self.escape(notice.regime ?? "")): "
                + "\(Self.escape(tr("%s h", String(Int(hours[index].rounded())))))</title>"
            marks.append(
                "<circle class=\"mark\" cx=\(Self.n(x)) cy=\(Self.n(y)) r=\"5\" "
                    + "fill=\"\(late ? "#fff" : Self.dark)\" stroke=\"#000\" stroke-width=\"1.5\">\(label)</circle>"
            )
        }
        var lines: [String] = []
        for (regime, value) in deadlines.sorted(by: { $0.value < $1.value }) {
            let y = chart.bottom - chart.scale(value)
            lines.append(
                "<line class=\"deadline\" x1=\(Self.n(chart.left)) y1=\(Self.n(y)) x2=\(Self.n(chart.right)) "
                    + "y2=\(Self.n(y))/><text x=\(Self.n(chart.right - 4)) y=\(Self.n(y - 4)) "
                    + "text-anchor=\"end\">\(Self.escape(regime)) \(Self.escape(tr("%s h", String(Int(value.rounded())))))</text>"
            )
        }
        let empty =
            notices.isEmpty
            ? [
                "<text x=\(Self.n(chart.left + 10)) y=\(Self.n(chart.top + 20))>\(Self.escape(tr("No authority was notified in this period.")))</text>"
            ]
            : []
        return figure(
            "time-to-notify",
            title: tr("Hours from awareness to notifying the authority, against the legal deadline"),
            svg: chart.frame(marks: lines + marks, extra: empty),
            marks: marks.count,
            legend: [
                (tr("On time"), Self.dotSwatch(fill: Self.dark)), (tr("Late"), Self.dotSwatch(fill: "#fff")),
                (tr("Deadline"), Self.lineSwatch("#000", dash: "6 3", shape: nil)),
            ]
        )
    }

    /// Notifications sent by their deadline and after it, per regime.
    func deadlinesByRegime() -> String {
        var met: [String: Int] = [:]
        var missed: [String: Int] = [:]
        for notice in register.entries.flatMap(\.notifications) {
            guard let onTime = notice.onTime else { continue }
            let regime = notice.regime ?? "-"
            if onTime { met[regime, default: 0] += 1 } else { missed[regime, default: 0] += 1 }
        }
        let regimes = Set(met.keys).union(missed.keys).sorted()
        let rows = regimes.map { ($0, [(met[$0] ?? 0, Self.dark), (missed[$0] ?? 0, "url(#hatch)")]) }
        return horizontalBars(
            "deadlines-by-regime",
            title: tr("Notification deadlines met and missed, by regime"),
            rows: rows,
            empty: tr("No notification with a deadline was made in this period."),
            legend: [(tr("Met"), Self.swatch(fill: Self.dark)), (tr("Missed"), Self.swatch(fill: "url(#hatch)"))]
        )
    }

    /// Incidents by category, and by the kinds of data involved (one incident may count for several).
    func byCategory() -> String {
        var categories: [String: Int] = [:]
        var data: [String: Int] = [:]
        for entry in register.entries {
            categories[entry.category?.rawValue ?? tr("not yet categorised"), default: 0] += 1
            for kind in entry.dataCategories { data[kind.rawValue, default: 0] += 1 }
        }
        func rows(_ counts: [String: Int]) -> [(String, [(Int, String)])] {
            counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, [($0.value, Self.dark)]) }
        }
        return horizontalBars(
            "by-category",
            title: tr("Incidents by category"),
            rows: rows(categories),
            empty: "",
            legend: []
        )
            + "\n"
            + horizontalBars(
                "by-data-category",
                title: tr("Incidents by kind of personal data involved"),
                rows: rows(data),
                empty: tr("No kind of data was recorded yet."),
                legend: []
            )
    }

    /// Open incidents, the nearest deadline first.
    func openIncidents() -> String {
        let open = register.entries.filter { $0.closed == nil }.sorted {
            ($0.nextDeadline?.due ?? .distantFuture, $0.reported) < (
                $1.nextDeadline?.due ?? .distantFuture, $1.reported
            )
        }
        let heading = "<h2>\(Self.escape(tr("Open incidents and their next deadline")))</h2>"
        guard !open.isEmpty else {
            return
                "<section data-table=\"open\" data-rows=\"0\">\(heading)<p>\(Self.escape(tr("No incident is open.")))</p></section>"
        }
        var rows: [String] = []
        for entry in open {
            var deadline = "-"
            var overdue = false
            if let next = entry.nextDeadline {
                overdue = next.due < output.now
                deadline = "\(next.regime.map { "\($0): " } ?? "")\(next.task), \(output.time(next.due))"
                if overdue { deadline += " (\(tr("overdue")))" }
            }
            rows.append(
                "<tr><td>\(Self.escape(entry.reference.rawValue))</td><td>\(Self.escape(entry.title))</td>"
                    + "<td>\(Self.escape(phaseName(entry.phase)))</td><td>\(Self.escape(entry.severity.rawValue))</td>"
                    + "<td\(overdue ? " class=\"overdue\"" : "")>\(Self.escape(deadline))</td></tr>"
            )
        }
        let header = [tr("Reference"), tr("Title"), tr("Phase"), tr("Severity"), tr("Next deadline")]
            .map { "<th>\(Self.escape($0))</th>" }.joined()
        return """
            <section data-table="open" data-rows="\(open.count)">\(heading)
            <table><thead><tr>\(header)</tr></thead><tbody>
            \(rows.joined(separator: "\n"))
            </tbody></table></section>
            """
    }

    // MARK: Drawing

    /// A plot area with a y axis from 0 to `maximum`, gridlines at round values.
    struct Chart {
        var width: Double
        var height: Double
        var maximum: Double
        let left = 44.0
        let top = 12.0
        var right: Double { width - 10 }
        var bottom: Double { height - 34 }
        var plotWidth: Double { right - left }
        var plotHeight: Double { bottom - top }

        /// The top of the axis: four equal steps, each a whole round number (1, 2 or 5 times
        /// a power of ten), together at or above the maximum.
        var ceiling: Double {
            let rough = max(maximum, 1) / 4
            var magnitude = 1.0
            while magnitude * 10 <= rough { magnitude *= 10 }
            for multiple in [1.0, 2, 5, 10] where multiple * magnitude >= rough { return 4 * multiple * magnitude }
            return 40 * magnitude
        }

        func scale(_ value: Double) -> Double { value / ceiling * plotHeight }

        func frame(marks: [String], extra: [String] = []) -> String {
            var parts = ["<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"]
            for step in 0...4 {
                let value = ceiling * Double(step) / 4
                let y = bottom - scale(value)
                parts.append(
                    "<line class=\"grid\" x1=\(BoardReport.n(left)) y1=\(BoardReport.n(y)) x2=\(BoardReport.n(right)) "
                        + "y2=\(BoardReport.n(y))/><text x=\(BoardReport.n(left - 6)) y=\(BoardReport.n(y + 4)) "
                        + "text-anchor=\"end\">\(BoardReport.number(value))</text>"
                )
            }
            parts.append(
                "<line class=\"axis\" x1=\(BoardReport.n(left)) y1=\(BoardReport.n(bottom)) x2=\(BoardReport.n(right)) "
                    + "y2=\(BoardReport.n(bottom))/>"
            )
            return (parts + marks + extra + ["</svg>"]).joined(separator: "\n")
        }
    }

    /// Rows of horizontal bars, one bar per series of each row.
    func horizontalBars(
        _ name: String,
        title: String,
        rows: [(String, [(Int, String)])],
        empty: String,
        legend: [(String, String)]
    ) -> String {
        let rowHeight = 26.0
        let labelWidth = 170.0
        let width = 720.0
        let height = max(40, rowHeight * Double(rows.count) + 16)
        let maximum = Double(max(rows.flatMap { $0.1.map(\.0) }.max() ?? 0, 1))
        var parts = ["<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"]
        var marks = 0
        for (index, (label, values)) in rows.enumerated() {
            let y = 8 + rowHeight * Double(index)
            parts.append(
                "<text x=\(Self.n(labelWidth - 8)) y=\(Self.n(y + rowHeight / 2 + 3)) text-anchor=\"end\">"
                    + "\(Self.escape(DisplayWidth.truncate(label, to: 26)))</text>"
            )
            let band = (rowHeight - 6) / Double(max(values.count, 1))
            for (series, (value, fill)) in values.enumerated() where value > 0 {
                let length = Double(value) / maximum * (width - labelWidth - 60)
                let top = y + band * Double(series)
                parts.append(
                    "<rect class=\"mark\" x=\(Self.n(labelWidth)) y=\(Self.n(top)) width=\(Self.n(length)) "
                        + "height=\(Self.n(band - 2)) fill=\"\(fill)\" stroke=\"\(Self.dark)\"><title>"
                        + "\(Self.escape(label)): \(value)</title></rect><text x=\(Self.n(labelWidth + length + 4)) "
                        + "y=\(Self.n(top + band / 2 + 2))>\(value)</text>"
                )
                marks += 1
            }
        }
        if rows.isEmpty { parts.append("<text x=\"10\" y=\"24\">\(Self.escape(empty))</text>") }
        parts.append("</svg>")
        return figure(name, title: title, svg: parts.joined(separator: "\n"), marks: marks, legend: legend)
    }

    func figure(_ name: String, title: String, svg: String, marks: Int, legend: [(String, String)]) -> String {
        let key =
            legend.isEmpty
            ? ""
            : "<div class=\"legend\">"
                + legend.map { "<span>\($0.1) \(Self.escape($0.0))</span>" }.joined() + "</div>"
        return """
            <figure data-chart="\(name)" data-marks="\(marks)">
            <h2>\(Self.escape(title))</h2>
            \(key)
            \(svg)
            </figure>
            """
    }

    /// Date labels under the weeks: as many as fit, evenly spaced.
    func weekLabels(_ weeks: [Date], chart: Chart, slot: Double) -> [String] {
        let every = max(1, Int((Double(weeks.count) * 70 / chart.plotWidth).rounded(.up)))
        return weeks.indices.filter { $0 % every == 0 }.map { index in
            "<text x=\(Self.n(chart.left + slot * (Double(index) + 0.5))) y=\(Self.n(chart.bottom + 16)) "
                + "text-anchor=\"middle\">\(Self.escape(shortDay(weeks[index])))</text>"
        }
    }

    static func marker(_ shape: String, x: Double, y: Double, colour: String, title: String) -> String {
        switch shape {
        case "square":
            return "<rect class=\"mark\" x=\(n(x - 4)) y=\(n(y - 4)) width=\"8\" height=\"8\" fill=\"\(colour)\">"
                + "\(title)</rect>"
        case "triangle":
            return
                "<polygon class=\"mark\" points=\"\(f(x)),\(f(y - 5)) \(f(x - 5)),\(f(y + 4)) \(f(x + 5)),\(f(y + 4))\" "
                + "fill=\"\(colour)\">\(title)</polygon>"
        default:
            return "<circle class=\"mark\" cx=\(n(x)) cy=\(n(y)) r=\"4\" fill=\"\(colour)\">\(title)</circle>"
        }
    }

    static func swatch(fill: String) -> String {
        "<svg viewBox=\"0 0 16 9\"><rect width=\"16\" height=\"9\" "
            + "fill=\"\(fill)\" stroke=\"\(dark)\"/></svg>"
    }

    static func dotSwatch(fill: String) -> String {
        "<svg viewBox=\"0 0 16 9\"><circle cx=\"8\" cy=\"4.5\" r=\"4\" fill=\"\(fill)\" stroke=\"#000\"/></svg>"
    }

    static func lineSwatch(_ colour: String, dash: String, shape: String?) -> String {
        // The legend's marker is no mark of the chart.
        let symbol =
            shape.map {
                Self.marker($0, x: 8, y: 4.5, colour: colour, title: "").replacingOccurrences(
                    of: "class=\"mark\" ",
                    with: ""
                )
            } ?? ""
        return "<svg viewBox=\"0 0 16 9\"><line x1=\"0\" y1=\"4.5\" x2=\"16\" y2=\"4.5\" stroke=\"\(colour)\" "
            + "stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\(symbol)</svg>"
    }

    // MARK: Words and numbers

    func phaseName(_ phase: Phase) -> String {
        switch phase {
        case .report: return tr("report")
        case .investigate: return tr("investigate")
        case .notify: return tr("notify")
        case .closed: return tr("closed")
        }
    }

    func day(_ date: Date) -> String {
        let components = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", components.year ?? 0, components.month ?? 0, components.day ?? 0)
    }

    func shortDay(_ date: Date) -> String {
        let components = calendar.dateComponents([.month, .day], from: date)
        return String(format: "%02d-%02d", components.month ?? 0, components.day ?? 0)
    }

    /// A coordinate as an attribute value, quoted.
    static func n(_ value: Double) -> String { "\"\(f(value))\"" }

    /// A coordinate in a list of points.
    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// Text made safe inside HTML and SVG, in element content and in quoted attributes: what
    /// a reporter typed cannot become markup or script.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
