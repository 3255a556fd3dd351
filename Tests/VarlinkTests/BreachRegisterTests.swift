import Foundation
import Testing

@testable import IncidentProtocol

/// The register's CSV as RFC 4180 has it, and as a spreadsheet must not misread it.
@Suite struct BreachRegisterTests {
    @Test func fieldsAreQuotedOnlyWhereTheyMustBeAndQuotesDoubled() {
        #expect(BreachRegister.csvField("plain text") == "plain text")
        #expect(BreachRegister.csvField("a, b") == "\"a, b\"")
        #expect(BreachRegister.csvField("say \"B\"") == "\"say \"\"B\"\"\"")
        #expect(BreachRegister.csvField("two\nlines") == "\"two\nlines\"")
        #expect(BreachRegister.csvField("two\r\nlines") == "\"two\r\nlines\"")
        #expect(BreachRegister.csvField("客户名单") == "客户名单")
    }

    @Test func aCellASpreadsheetWouldRunAsAFormulaStartsWithAnApostrophe() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            #expect(BreachRegister.defused(formula) == "'" + formula)
        }
        #expect(BreachRegister.defused("1200") == "1200")
        #expect(BreachRegister.defused("a=b") == "a=b")
        #expect(BreachRegister.defused("") == "")
    }

    @Test func anEmptyRegisterIsTheHeaderWithAByteOrderMark() throws {
        let register = BreachRegister(
            entries: [],
            since: nil,
            until: Date(timeIntervalSince1970: 0),
            exportedAt: Date(timeIntervalSince1970: 0),
            exportedBy: "mia",
            redacted: false
        )
        #expect(register.csv() == "\u{FEFF}" + BreachRegister.columns.joined(separator: ",") + "\r\n")
        #expect(register.markdown().contains("No incidents were reported in this period."))
        #expect(register.markdown().contains("1970-01-01T00:00:00Z"))
        #expect(try register.json().contains("\"incidents\" : ["))
    }
}
