// The domain from Swift, mirroring android/host-tests DomainTest.kt: money per locale,
// validation, availability.
import XCTest
@testable import FundKit

final class DomainTests: XCTestCase {
    func testMoneyParsesAndFormatsPerLocale() throws {
        XCTAssertEqual(try parseMoney(input: "$1,234.56", currency: "USD", locale: "en-US"),
                       Money(minorUnits: 123_456, currency: "USD"))
        XCTAssertEqual(try formatMoney(money: Money(minorUnits: 123_456, currency: "GBP"), locale: "en-GB"), "£1,234.56")
        XCTAssertEqual(try formatMoney(money: Money(minorUnits: 123_456, currency: "EUR"), locale: "en-IE"), "€1,234.56")
        XCTAssertEqual(try formatMoney(money: Money(minorUnits: 1_000, currency: "JPY"), locale: "en-US"), "¥1,000")
        // Any locale works, with its conventions or a fallback.
        XCTAssertEqual(try parseMoney(input: "1.234,56", currency: "EUR", locale: "de-DE").minorUnits, 123_456)
        XCTAssertEqual(try parseMoney(input: "12.50", currency: "USD", locale: "tlh").minorUnits, 1_250)
    }

    func testBadAmountsAreTypedErrors() {
        XCTAssertThrowsError(try parseMoney(input: "12.345", currency: "USD", locale: "en-US")) { error in
            guard case FundkitError.InvalidAmount(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, .tooManyDecimals(currency: "USD", max: 2))
        }
        XCTAssertThrowsError(try parseMoney(input: "-5", currency: "USD", locale: "en-US")) { error in
            guard case FundkitError.InvalidAmount(.signed) = error else { return XCTFail("\(error)") }
        }
    }

    func testValidationListsEveryIssueByField() {
        let bad = FundraiserDraft(kind: .businessProject, category: .business, title: "  ", story: "card 4111 1111 1111 1111",
                                  goal: Money(minorUnits: 5_000, currency: "USD"), country: "US")
        let issues = validateDraft(draft: bad, limits: defaultLimits())
        XCTAssertEqual(Dictionary(grouping: issues, by: \.field).mapValues { $0.map(\.code) },
                       ["title": [.required], "story": [.cardNumber], "goal": [.belowMinimum]])
    }

    func testAvailabilityAtLaunch() {
        let rollout = defaultRollout()
        XCTAssertEqual(availability(config: rollout, user: UserContext(country: "GB", platform: .android, ageYears: 30),
                                    action: .donate), .available)
        XCTAssertEqual(availability(config: rollout, user: UserContext(country: "GB", platform: .ios, ageYears: 30),
                                    action: .donate), .unavailable(reason: .platformNotLaunched))
        XCTAssertEqual(availability(config: rollout, user: UserContext(country: "FR", platform: .android, ageYears: 30),
                                    action: .donate), .unavailable(reason: .countryNotLaunched))
    }
}
