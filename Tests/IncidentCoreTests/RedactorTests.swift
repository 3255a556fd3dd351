import Testing

@testable import IncidentCore

@Suite struct RedactorTests {
    let redactor = Redactor(names: ["Alice Example", "mia", "x"])

    @Test(arguments: [
        ("Mail alice.example+work@example.co.uk now", "Mail [email] now"),
        ("Card 4111 1111 1111 1111 and 4111-1111-1111-1111", "Card [card or account number] and [card or account number]"),
        ("IBAN DE89 3704 0044 0532 0130 00 leaked", "IBAN [account number] leaked"),
        ("SSN 078-05-1120 exposed", "SSN [ID number] exposed"),
        ("Call +49 30 1234567 or (030) 123 4567 or 030/1234-567", "Call [phone] or [phone] or [phone]"),
        ("Customer no. 99812734 affected", "Customer no. [number] affected"),
        ("Mr. John Smith and Dr Weber were told", "[name] and [name] were told"),
        ("Reported by Alice Example, handled by MIA", "Reported by [name], handled by [name]"),
        ("Bob Marker and Jean-Luc Picard revoked it", "[name] and [name] revoked it"),
    ])
    func masksPersonalData(text: String, expected: String) {
        #expect(redactor.redact(text) == expected)
    }

    @Test(arguments: [
        "INC-2026-000123 entered investigate at 2026-11-29T07:12:47Z",
        "Contained at 09:40 on 2026-05-01; 1,200 people, 40 records",
        "severity high, jurisdictions DE, EU; GDPR Art. 33(3)(d)",
    ])
    func keepsWhatMakesItACaseFile(text: String) {
        #expect(redactor.redact(text) == text)
    }
}
