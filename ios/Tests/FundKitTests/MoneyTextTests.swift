// Amounts as people read them: by the core, and never minor units shown as major.
import XCTest
@testable import FundKit

final class MoneyTextTests: XCTestCase {
    struct CannotFormat: Error {}

    func testTheSessionFormatsWithTheCore() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        XCTAssertEqual(fk.formatAmount(Money(minorUnits: 2_500, currency: "USD")), "$25.00")
    }

    func testTheFallbackScalesMinorUnitsByTheCurrencyExponent() {
        let format: (Money) throws -> String = { _ in throw CannotFormat() }
        XCTAssertEqual(FundKitSession.formatAmount(Money(minorUnits: 2_500, currency: "USD"), unknown: "?", format: format), "25.00 USD")
        XCTAssertEqual(FundKitSession.formatAmount(Money(minorUnits: 2_500, currency: "JPY"), unknown: "?", format: format), "2500 JPY")
        XCTAssertEqual(FundKitSession.formatAmount(Money(minorUnits: 1_234, currency: "BHD"), unknown: "?", format: format), "1.234 BHD")
    }

    func testTheFallbackShowsNoNumberForAnUnknownCurrency() {
        let unknown = Localizer(locale: "en-US").string("amount.unknown")
        let text = FundKitSession.formatAmount(Money(minorUnits: 2_500, currency: "ZZZ"), unknown: unknown) { _ in throw CannotFormat() }
        XCTAssertEqual(text, "Amount unavailable")
    }

    func testAnAmountTheCoreCannotFormatIsNeverShownAsMinorUnits() async throws {
        let server = try ReferenceServer()
        let fk = try await open(server, "dev-donor-1")
        defer { fk.close() }
        let text = fk.formatAmount(Money(minorUnits: 2_500, currency: "ZZZ"))
        XCTAssertFalse(text.contains("2500"), text)
        assertUserVisible(text)
    }
}
