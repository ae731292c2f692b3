// The core's log records and error reports reach the host from Swift, without secrets.
import Foundation
import XCTest
@testable import FundKit

final class LoggingTests: XCTestCase {
    final class Collect: LogSink, @unchecked Sendable {
        private let lock = NSLock()
        private var records: [LogRecord] = []
        func log(record: LogRecord) { lock.lock(); records.append(record); lock.unlock() }
        var all: [LogRecord] { lock.lock(); defer { lock.unlock() }; return records }
    }

    func testRecordsAndReportsReachTheHostWithoutSecrets() async throws {
        let sink = Collect()
        let reports = Collect()
        FundKitLogging.install(level: .trace, sink: sink)
        FundKitLogging.reportErrors { kind, detail in
            reports.log(record: LogRecord(level: .error, target: kind, message: detail))
        }
        defer { FundKitLogging.uninstall() }
        let server = try ReferenceServer()
        let organiser = try await FundKitSession.open(config: testConfig(server.url), tokens: { _ in "dev-organiser" })
        guard case .done(let f) = await organiser.createFundraiser(draft("Logging check")) else { return XCTFail("not created") }
        organiser.close()
        let donor = try await FundKitSession.open(config: testConfig(server.url), tokens: { _ in "dev-donor-1" })
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        _ = await donor.donate(DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 12_345, currency: "USD"),
                                               message: "SECRET-MESSAGE-SWIFT", visibility: .public, hideAmount: false,
                                               paymentToken: "tok_ok_SECRETSWIFT"))
        _ = try await donor.syncNow()
        XCTAssertTrue(sink.all.contains { $0.message.contains("donation queued") }, "real records arrive")
        for secret in ["12345", "123.45", "tok_ok", "SECRET-MESSAGE-SWIFT", "dev-donor-1"] {
            XCTAssertFalse(sink.all.contains { $0.message.contains(secret) }, "\(secret) leaked")
        }
        // An internal error (a database file that is not one) reaches the crash reporter.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).db")
        try Data(repeating: 0x5A, count: 8192).write(to: path)
        let config = ClientConfig(databasePath: path.path, serverUrl: server.url,
                                  user: UserContext(country: "US", platform: .android, ageYears: 30),
                                  locale: "en-US", online: true, backgroundSync: false)
        do {
            _ = try await FundKitSession.open(config: config, tokens: { _ in "dev-donor-1" })
            XCTFail("opened a garbage file")
        } catch FundkitError.Storage {
        }
        XCTAssertTrue(reports.all.contains { $0.target == "storage" })
    }
}
