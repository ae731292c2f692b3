// The core's log records and error reports reach the host from Swift, without secrets.
import Foundation
import XCTest
@testable import FundKit

final class LoggingTests: XCTestCase {
    final class Collect: LogSink, @unchecked Sendable {
        // @unchecked, proved: `records` is read and written only while `lock` is held.
        private let lock = NSLock()
        private var records: [LogRecord] = []
        func log(record: LogRecord) { lock.lock(); records.append(record); lock.unlock() }
        var all: [LogRecord] { lock.lock(); defer { lock.unlock() }; return records }
    }

    func testLogRecordsReachTheHostWithoutSecrets() async throws {
        let sink = Collect()
        FundKitLogging.install(level: .trace, sink: sink)
        defer { FundKitLogging.uninstall() }
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
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
    }

    func testAStorageFailureReachesTheErrorReporter() async throws {
        let reports = Collect()
        FundKitLogging.reportErrors { kind, detail in
            reports.log(record: LogRecord(level: .error, target: kind, message: detail))
        }
        defer { FundKitLogging.uninstall() }
        let server = try ReferenceServer()
        // A database file that is not one.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).db")
        try Data(repeating: 0x5A, count: 8192).write(to: path)
        var config = testConfig(server.url)
        config = ClientConfig(databasePath: path.path, serverUrl: config.serverUrl, user: config.user, locale: config.locale,
                              online: true, backgroundSync: false)
        do {
            _ = try await FundKitSession.open(config: config, tokens: { _ in "dev-donor-1" })
            XCTFail("opened a garbage file")
        } catch FundkitError.Storage {
        }
        XCTAssertTrue(reports.all.contains { $0.target == "storage" })
    }
}
