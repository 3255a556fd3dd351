import Foundation
import IncidentCore
import Testing

@testable import IncidentDaemon

/// `profile` in the configuration: who the organisation is and how people reach it, which the
/// notices give as their contact point; each mistake refused in a sentence.
@Suite struct OrganisationProfileTests {
    @Test func aProfileIsReadWithItsAuthorities() throws {
        let configuration = try parseConfiguration(
            """
            profile:
              legalName: 示例科技有限公司
              contact: 数据保护负责人 王芳
              tollFreeTelephone: 800-555-0100
              email: privacy@example.cn
              timeZone: Asia/Shanghai
              authorities:
                CN: {name: 国家网信办, channel: "12377"}
                DE: {name: BfDI}
            """
        )
        let profile = configuration.profile
        #expect(profile.legalName == "示例科技有限公司")
        #expect(profile.authorities["CN"] == .init(name: "国家网信办", channel: "12377"))
        #expect(profile.value(.contactDetails) == "数据保护负责人 王芳\n800-555-0100\nprivacy@example.cn")
        #expect(profile.value(.authority, jurisdictions: ["CN"]) == "国家网信办, 12377")
        #expect(profile.value(.authority, jurisdictions: ["FR"]) == nil)
        #expect(profile.value(.address) == nil)
    }

    @Test(arguments: [
        ("profile: Example\n", "profile must be a mapping"),
        ("profile:\n  legalNmae: Example\n", "unknown profile key legalNmae"),
        ("profile:\n  timeZone: Mars/Olympus\n", "is not a time zone"),
        ("profile:\n  authorities:\n    XX1: {name: A}\n", "is not a country code"),
        ("profile:\n  authorities:\n    DE: BfDI\n", "must be {name: …, channel: …}"),
    ])
    func aMistakeInTheProfileIsRefusedInASentence(text: String, message: String) {
        do {
            _ = try parseConfiguration(text)
            Issue.record("took \(text)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func theGapsAreTheProfileEntriesTheNoticesNeedAndItLacks() throws {
        let breach = try #require(
            try PlaybookLoader.loadDirectory(OrganisationFactsTests.playbooks).get().first {
                $0.name == "customer-data-breach"
            }
        )
        let empty = breach.profileGaps(OrganisationProfile())
        #expect(empty.contains { $0.regime == "gdpr" && $0.task == "gdpr-authority" && $0.key == .contactDetails })
        #expect(empty.contains { $0.key == .legalName })
        #expect(!empty.contains { $0.task.hasSuffix("-supplement") }, "a supplement needs what its first notice does")
        let complete = breach.profileGaps(
            OrganisationProfile(
                legalName: "Example",
                contact: "Data Protection Officer: Jana Richter",
                tollFreeTelephone: "800-555-0100",
                email: "privacy@example.com"
            )
        )
        #expect(complete.isEmpty, "\(complete)")
    }
}
