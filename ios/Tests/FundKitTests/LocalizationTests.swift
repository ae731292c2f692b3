// Every user-visible string from the String Catalog (en, es-US), with plurals; codes, states
// and errors in words, never as type or case names.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import FundKit

final class LocalizationTests: XCTestCase {
    let en = Localizer(locale: "en-US")
    let es = Localizer(locale: "es-US")

    static let issueCodes: [IssueCode] = [.required, .tooLong, .controlCharacter, .cardNumber, .belowMinimum, .aboveMaximum,
                                          .currencyMismatch, .unknownCurrency, .wrongCurrencyForCountry, .invalidId,
                                          .invalidDuration, .notActive, .belowRaised, .bidiControl, .ended,
                                          .giftAidNotAvailable, .invalidPostcode, .invalidCharityNumber, .notDeclared,
                                          .unknownWording, .belowFees]
    static let errors: [FundkitError] = [
        .Validation(issues: []), .InvalidAmount(reason: .empty), .InvalidAmount(reason: .tooManyDecimals(currency: "USD", max: 2)),
        .Unavailable(reason: .tooYoung), .OfflineLimit(cap: .count), .NotFound(what: "donation x"),
        .DuplicateDonationId(id: "x"), .IllegalTransition(state: .confirmed, action: "cancel"), .Network(detail: "timeout"),
        .Unauthorized(detail: "no token"), .Server(status: 500, code: "internal", detail: "boom"),
        .Configuration(detail: "http"), .StorageFull, .DatabaseInUse(path: "/x/fundkit.db"), .Storage(detail: "disk I/O"),
        .Internal(detail: "bug"), .Link(problem: .unknownHost), .Link(problem: .notVisible),
    ]
    static let linkProblems: [LinkProblem] = [.notALink, .unsupportedScheme, .unknownHost, .unknownPath, .malformedId, .notVisible]
    static let giftAid: [GiftAidAvailability] = [.available, .notANonprofit, .notInUk, .charityNotRegistered]
    /// The server's reasons for refusing a queued donation that issue 25 added.
    static let launchReasons = ["fee_changed", "gift_aid_not_available", "invalid_postcode", "not_declared", "unknown_wording"]

    func testEveryKeyIsInEnglishAndSpanish() throws {
        let catalog = try XCTUnwrap(StringCatalog.shared, "the catalog is in the bundle")
        XCTAssertGreaterThan(catalog.keys.count, 100)
        for key in catalog.keys {
            XCTAssertEqual(catalog.languages(of: key), ["en", "es-US"], key)
        }
    }

    func testEnglishPluralsPickOneOrOther() {
        XCTAssertEqual(en.daysLeft(1), "1 day left")
        XCTAssertEqual(en.daysLeft(30), "30 days left")
        XCTAssertEqual(en.donors(0), "0 donors")
    }

    func testSpanishPluralsPickOneOrOther() {
        XCTAssertEqual(es.daysLeft(1), "Queda 1 día")
        XCTAssertEqual(es.daysLeft(3), "Quedan 3 días")
        XCTAssertEqual(es.donors(1), "1 donante")
    }

    func testSpanishMillionsAreManyAndFallBackToOther() {
        XCTAssertEqual(StringCatalog.pluralCategory(1_000_000, language: "es-US"), "many")
        XCTAssertEqual(StringCatalog.pluralCategory(1_000_000, language: "en"), "other")
        XCTAssertEqual(es.donors(1_000_000), "1000000 donantes")
    }

    func testPositionalArgumentsKeepTheirPlaces() {
        XCTAssertEqual(en.raised("$1.00", of: "$5.00"), "$1.00 raised of $5.00")
        XCTAssertEqual(es.raised("$1.00", of: "$5.00"), "$1.00 recaudados de $5.00")
    }

    func testAnUnknownLanguageFallsBackToEnglish() {
        XCTAssertEqual(Localizer(locale: "fr-FR").string("button.donate"), "Donate")
    }

    func testAnotherSpanishRegionGetsSpanish() {
        XCTAssertEqual(Localizer(locale: "es-MX").string("button.donate"), "Donar")
    }

    func testPercentEscapesAndPlainArgumentsAreFormatted() {
        XCTAssertEqual(StringCatalog.format("100%% of %@ in %lld days", [.text("$5"), .count(3)]), "100% of $5 in 3 days")
    }

    func testTheUserVisibleCheckCatchesTypeAndCaseNames() {
        XCTAssertFalse(userVisibleViolations("IssueCode.belowMinimum").isEmpty)
        XCTAssertFalse(userVisibleViolations("unavailable: tooYoung").isEmpty)
        XCTAssertFalse(userVisibleViolations("expired_offline").isEmpty)
        XCTAssertFalse(userVisibleViolations("Network(detail: \"x\")").isEmpty)
        XCTAssertEqual(userVisibleViolations("€12.00 pending"), [])
    }

    func testAScreenStateHoldingARawCaseIsCaught() {
        var state = PendingListState()
        state.syncErrorText = String(describing: SyncProblem.signedOut(detail: "no token"))
        let texts = screenTexts(state)
        XCTAssertEqual(texts.count, 1)
        XCTAssertFalse(userVisibleViolations(texts[0]).isEmpty)
    }

    func testEveryIssueCodeReadsAsASentenceInBothLanguages() {
        for code in Self.issueCodes {
            assertUserVisible(en.issue(code))
            assertUserVisible(es.issue(code))
            XCTAssertNotEqual(en.issue(code), es.issue(code), "\(code) is translated")
        }
    }

    func testEveryErrorReadsAsASentenceInBothLanguages() {
        for error in Self.errors {
            assertUserVisible(en.error(error))
            assertUserVisible(es.error(error))
        }
        assertUserVisible(en.error(CancellationError()))
    }

    func testEveryStateReasonCapAndSyncProblemReadsAsASentence() {
        let states: [DonationState] = [.queued, .sending, .confirmed, .rejected, .needsAction, .expired, .cancelled]
        let caps: [OfflineCap] = [.singleAmount, .totalAmount, .count]
        let reasons: [UnavailableReason] = [.switchedOff, .countryNotLaunched, .platformNotLaunched, .tooYoung, .ageUnknown]
        let problems: [SyncProblem] = [.offline(detail: "x"), .signedOut(detail: "x"), .serverRefused(status: 403, code: "c", detail: "x"),
                                       .storage(detail: "x"), .feedUnfinished(feed: "own donations", detail: "x"),
                                       .internal(detail: "x")]
        let fundraiserStates: [FundraiserState] = [.draft, .inReview, .active, .ended, .removed]
        for text in [en, es] {
            states.forEach { assertUserVisible(text.donationState($0)) }
            caps.forEach { assertUserVisible(text.offlineCap($0)) }
            reasons.forEach { assertUserVisible(text.unavailable($0)) }
            problems.forEach { assertUserVisible(text.syncProblem($0)) }
            fundraiserStates.forEach { assertUserVisible(text.fundraiserState($0)) }
            ["declined", "expired_offline", "authentication_failed", "fundraiser_ended", "id_in_use", "fundraiser_removed"]
                .forEach { assertUserVisible(text.reason($0)) }
        }
    }

    func testTheLaunchFeaturesCodesReadAsSentencesInEveryLanguage() throws {
        let catalog = try XCTUnwrap(StringCatalog.shared)
        let languages = Set(catalog.keys.flatMap(catalog.languages(of:)))
        XCTAssertEqual(languages, ["en", "es-US"], "the languages shipped")
        let texts = languages.sorted().map { Localizer(locale: $0) }
        for text in texts {
            for code: IssueCode in [.giftAidNotAvailable, .invalidPostcode, .invalidCharityNumber, .notDeclared, .unknownWording, .belowFees] {
                assertUserVisible(text.issue(code))
            }
            Self.linkProblems.forEach { assertUserVisible(text.linkProblem($0)) }
            Self.giftAid.forEach { assertUserVisible(text.giftAid($0)) }
            for reason in Self.launchReasons {
                assertUserVisible(text.reason(reason))
                XCTAssertNotEqual(text.reason(reason), text.string("reason.other"), "\(reason) has its own words")
            }
            KindChoice.allCases.forEach { assertUserVisible(text.kind($0)) }
        }
        XCTAssertEqual(Set(Self.linkProblems.map(en.linkProblem)).count, Self.linkProblems.count, "each problem says why")
        XCTAssertNotEqual(en.linkProblem(.notVisible), es.linkProblem(.notVisible))
        XCTAssertEqual(en.error(FundkitError.Link(problem: .unknownHost)), en.linkProblem(.unknownHost))
    }

    func testAnIssuesFactsAreInItsWords() {
        let money: (Money) -> String = { $0 == Money(minorUnits: 39, currency: "GBP") ? "£0.39" : "?" }
        let belowFees = ValidationIssue(field: "amount", code: .belowFees, message: "x",
                                        args: [.fees(amount: Money(minorUnits: 39, currency: "GBP"))])
        XCTAssertEqual(en.issue(belowFees, money: money), "The fees (£0.39) would take the whole donation. Give more, or cover the fee.")
        assertUserVisible(es.issue(belowFees, money: money))
        let noGiftAid = ValidationIssue(field: "gift_aid", code: .giftAidNotAvailable, message: "x",
                                        args: [.giftAid(availability: .notInUk)])
        XCTAssertEqual(en.issue(noGiftAid, money: money), en.giftAid(.notInUk))
        let oldWording = ValidationIssue(field: "gift_aid.wording_version", code: .unknownWording, message: "x",
                                         args: [.version(version: "uk-2030-01")])
        XCTAssertEqual(en.issue(oldWording, money: money), en.issue(.unknownWording), "the version is never shown")
        XCTAssertFalse(es.issue(oldWording, money: money).contains("uk-2030-01"))
    }

    func testTheGiftAidDeclarationHasWordsForTheCoresWordingInEveryLanguage() throws {
        let version = giftAidWordingVersion()
        let catalog = try XCTUnwrap(StringCatalog.shared)
        for key in ["gift_aid.consent.\(version) %@ %@", "gift_aid.taxpayer.\(version)"] {
            XCTAssertEqual(catalog.languages(of: key), ["en", "es-US"], "\(key): a new wording needs its words in every language")
            XCTAssertTrue(en.has(key))
        }
        XCTAssertEqual(en.string("gift_aid.consent.\(version) %@ %@", .text("£10.00"), .text("Rivers Trust")),
                       "I want to Gift Aid my donation of £10.00 to Rivers Trust.")
        assertUserVisible(es.string("gift_aid.taxpayer.\(version)"))
        XCTAssertFalse(en.has("gift_aid.taxpayer.uk-1999-01"))
    }

    #if os(Linux) || os(macOS)
    /// The Android app shows the same words for the same wording version, in each language: the
    /// version recorded with a declaration names what the donor read, on either phone.
    func testTheGiftAidDeclarationIsWordForWordTheAndroidApps() throws {
        let version = giftAidWordingVersion()
        let suffix = version.replacingOccurrences(of: "-", with: "_")
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() } // ios/Tests/FundKitTests/this file
        for (localizer, folder) in [(en, "values"), (es, "values-es")] {
            let xml = try XMLDocument(contentsOf: root.appendingPathComponent("android/app/src/main/res/\(folder)/strings.xml"))
            func android(_ name: String) throws -> String {
                let string = xml.rootElement()?.elements(forName: "string").first { $0.attribute(forName: "name")?.stringValue == name }
                return try XCTUnwrap(string?.stringValue, "\(folder)/strings.xml has \(name)")
            }
            // The Android placeholders where the catalog's arguments go.
            XCTAssertEqual(localizer.string("gift_aid.consent.\(version) %@ %@", .text("%1$s"), .text("%2$s")),
                           try android("gift_aid_consent_\(suffix)"), folder)
            XCTAssertEqual(localizer.string("gift_aid.taxpayer.\(version)"), try android("gift_aid_taxpayer_\(suffix)"), folder)
            XCTAssertEqual(localizer.string("gift_aid.notice"), try android("gift_aid_notice"), folder)
        }
    }
    #endif

    func testTheOrganisersFiguresPluralize() {
        XCTAssertEqual(en.string("dashboard.gift_aid_count %lld", .count(1)), "Gift Aid on 1 donation")
        XCTAssertEqual(en.string("dashboard.from_link %lld", .count(3)), "3 donations from shared links")
        XCTAssertEqual(es.string("dashboard.from_story_sticker %lld", .count(1)), "1 donación desde stickers de historias")
    }

    func testAnUnknownReasonCodeIsNeverShown() {
        let text = en.reason("brand_new_code")
        XCTAssertFalse(text.contains("brand_new_code"))
        XCTAssertEqual(text, en.string("reason.other"))
    }
}
