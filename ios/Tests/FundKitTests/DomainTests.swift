// The domain from Swift, mirroring android/host-tests DomainTest.kt. Runs with
// `swift test` on macOS after build-xcframework.sh; no Swift toolchain on the CI machine.
import XCTest
@testable import FundKit

final class DomainTests: XCTestCase {
    func testMoneyParsesAndFormatsPerLocale() throws {
        XCTAssertEqual(try parseMoney(input: "$1,234.56", currency: "USD", locale: "en-US"),
                       Money(minorUnits: 123_456, currency: "USD"))
        XCTAssertEqual(try formatMoney(money: Money(minorUnits: 123_456, currency: "GBP"), locale: "en-GB"), "£1,234.56")
        XCTAssertEqual(try formatMoney(money: Money(minorUnits: 123_456, currency: "EUR"), locale: "en-IE"), "€1,234.56")
    }

    func testBadAmountsAreTypedErrors() {
        XCTAssertThrowsError(try parseMoney(input: "12.345", currency: "USD", locale: "en-US")) { error in
            guard case FundkitError.InvalidAmount(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, .tooManyDecimals(currency: "USD", max: 2))
        }
    }

    func testAvailabilityAtLaunch() {
        let rollout = defaultRollout()
        XCTAssertEqual(availability(config: rollout, user: UserContext(country: "GB", platform: .android, ageYears: 30),
                                    action: .donate), .available)
        XCTAssertEqual(availability(config: rollout, user: UserContext(country: "GB", platform: .ios, ageYears: 30),
                                    action: .donate), .unavailable(reason: .platformNotLaunched))
    }
}
