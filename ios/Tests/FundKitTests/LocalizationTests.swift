// Every user-visible string from the String Catalog (en, es-US), with plurals; codes, states
// and errors in words, never as type or case names.
import Foundation
import XCTest
@testable import FundKit

final class LocalizationTests: XCTestCase {
    let en = Localizer(locale: "en-US")
    let es = Localizer(locale: "es-US")

    static let issueCodes: [IssueCode] = [.required, .tooLong, .controlCharacter, .cardNumber, .belowMinimum, .aboveMaximum,
                                          .currencyMismatch, .unknownCurrency, .wrongCurrencyForCountry, .invalidId,
                                          .invalidDuration, .notActive, .belowRaised, .bidiControl, .ended]
    static let errors: [FundkitError] = [
        .Validation(issues: []), .InvalidAmount(reason: .empty), .InvalidAmount(reason: .tooManyDecimals(currency: "USD", max: 2)),
        .Unavailable(reason: .tooYoung), .OfflineLimit(cap: .count), .NotFound(what: "donation x"),
        .DuplicateDonationId(id: "x"), .IllegalTransition(state: .confirmed, action: "cancel"), .Network(detail: "timeout"),
        .Unauthorized(detail: "no token"), .Server(status: 500, code: "internal", detail: "boom"),
        .Configuration(detail: "http"), .StorageFull, .DatabaseInUse(path: "/x/fundkit.db"), .Storage(detail: "disk I/O"),
        .Internal(detail: "bug"),
    ]

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

    func testAnUnknownReasonCodeIsNeverShown() {
        let text = en.reason("brand_new_code")
        XCTAssertFalse(text.contains("brand_new_code"))
        XCTAssertEqual(text, en.string("reason.other"))
    }
}
