// FundKit's requests through URLSessionTransport (FoundationNetworking on Linux) against the
// real reference server: the library iOS ships has no HTTP stack of its own.
import Foundation
import XCTest
@testable import FundKit
#if canImport(Glibc)
import Glibc
#endif

final class URLSessionTransportTests: XCTestCase {
    private func request(_ url: String, token: String) -> HttpRequest {
        HttpRequest(method: "GET", url: url, headers: [HttpHeader(name: "Authorization", value: "Bearer \(token)")],
                    body: nil, timeoutMs: 10_000, maxResponseBytes: 1 << 20)
    }

    func testADonationGoesEndToEndThroughURLSession() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let fk = try await FundKitSession.open(config: testConfig(server.url), tokens: { _ in "dev-donor-1" },
                                               transport: URLSessionTransport())
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        fk.setOnline(false)
        guard case .queued(let queued) = await fk.donate(donation(f, 2_500)) else { return XCTFail("not queued") }
        fk.setOnline(true)
        let report = try await fk.syncNow()
        XCTAssertNil(report.error)
        XCTAssertEqual(report.confirmed, 1)
        let after = try await fk.donation(id: queued.id)
        XCTAssertEqual(after?.state, .confirmed)
    }

    func testTheRateLimitsRetryAfterIsHonouredThenTheDonationGoesThrough() async throws {
        let server = try ReferenceServer(arguments: ["--rate-limit-per-minute", "60"])
        let f = try await fundraiser(on: server)
        let transport = URLSessionTransport()
        let fk = try await FundKitSession.open(config: testConfig(server.url), tokens: { _ in "dev-donor-2" },
                                               transport: transport)
        defer { fk.close() }
        _ = try await fk.refreshFundraiser(id: f.fundraiser.id)
        // Spend dev-donor-2's budget until the server answers 429 with Retry-After.
        var retryAfter: String?
        for _ in 0..<200 where retryAfter == nil {
            let answer = try await transport.send(request: request(server.url + "/v1/config", token: "dev-donor-2"))
            if answer.status == 429 {
                retryAfter = answer.headers.first { $0.name.lowercased() == "retry-after" }?.value
            }
        }
        XCTAssertGreaterThanOrEqual(Int(retryAfter ?? "") ?? 0, 1, "no 429 with Retry-After")
        fk.setOnline(false)
        let outcome = await fk.donate(donation(f, 1_000))
        guard case .queued = outcome else { return XCTFail("not queued: \(outcome)") }
        fk.setOnline(true)
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let limited = try await fk.syncNow()
        guard case .offline(let detail) = limited.error, detail.contains("429") else {
            return XCTFail("expected a 429, got \(String(describing: limited.error))")
        }
        // Without Retry-After the first failure waits at most 500 ms (full jitter).
        let next = fk.syncState().nextAttemptAtMs ?? 0
        XCTAssertGreaterThanOrEqual(next - started, 1_000)
        var confirmed: UInt32 = 0
        let deadline = Date().addingTimeInterval(30)
        while confirmed == 0 && Date() < deadline {
            try await Task.sleep(nanoseconds: 1_500_000_000)
            confirmed += try await fk.syncNow().confirmed
        }
        XCTAssertEqual(confirmed, 1)
    }

    func testStatusesComeBackAsAnswersAndNoConnectionIsOffline() async throws {
        let server = try ReferenceServer()
        let transport = URLSessionTransport()
        let refused = try await transport.send(request: request(server.url + "/v1/config", token: "not-a-user"))
        XCTAssertEqual(refused.status, 401)
        XCTAssertFalse(refused.body.isEmpty)
        do {
            // Port 9 (discard) on loopback: nothing listens there.
            _ = try await transport.send(request: request("http://127.0.0.1:9/v1/config", token: "x"))
            XCTFail("no error")
        } catch let error as TransportError {
            guard case .Offline = error else { return XCTFail("expected Offline, got \(error)") }
        }
    }

    func testEachURLErrorBecomesTheFailureKindThatSaysWhy() {
        func kind(_ code: URLError.Code) -> String {
            switch URLSessionTransport.classify(URLError(code)) {
            case .Offline: return "offline"
            case .TimedOut: return "timedOut"
            case .Tls: return "tls"
            case .Cancelled: return "cancelled"
            }
        }
        XCTAssertEqual(kind(.notConnectedToInternet), "offline")
        XCTAssertEqual(kind(.cannotConnectToHost), "offline")
        XCTAssertEqual(kind(.timedOut), "timedOut")
        XCTAssertEqual(kind(.cancelled), "cancelled")
        XCTAssertEqual(kind(.serverCertificateUntrusted), "tls")
        // App Transport Security refusing plain HTTP is the app's policy, not a missing network.
        XCTAssertEqual(kind(.appTransportSecurityRequiresSecureConnection), "tls")
        guard case .Offline = URLSessionTransport.classify(CocoaError(.fileNoSuchFile)) else {
            return XCTFail("an error that is not a URLError is the network being away")
        }
    }

    #if canImport(Glibc)
    func testARedirectIsNotFollowedNotEvenByTheBatchThatCarriesTokens() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        // Following the 307 would reach the real server and succeed.
        let redirect = try redirector(location: server.url + "/v1/config")
        let transport = URLSessionTransport()
        let answer = try await transport.send(request: request("http://127.0.0.1:\(redirect.port)/v1/config", token: "dev-donor-1"))
        XCTAssertEqual(answer.status, 307)
        XCTAssertEqual(redirect.hits, 1)
        // The fundraiser cached from the real server, then the same database opened on the
        // redirecting one, with a donation (its payment token) queued.
        let config = testConfig(server.url)
        try await cacheFundraiser(f, config: config, transport: transport)
        let redirected = ClientConfig(databasePath: config.databasePath, serverUrl: "http://127.0.0.1:\(redirect.port)",
                                      user: config.user, locale: config.locale, online: config.online,
                                      backgroundSync: config.backgroundSync)
        let fk = try await FundKitSession.open(config: redirected, tokens: { _ in "dev-donor-1" }, transport: transport)
        defer { fk.close() }
        fk.setOnline(false)
        guard case .queued(let queued) = await fk.donate(donation(f, 700)) else { return XCTFail("not queued") }
        fk.setOnline(true)
        let report = try await fk.syncNow()
        guard case .serverRefused(let status, let code, _) = report.error else {
            return XCTFail("expected redirect_not_followed, got \(String(describing: report.error))")
        }
        XCTAssertEqual(status, 307)
        XCTAssertEqual(code, "redirect_not_followed")
        XCTAssertEqual(report.confirmed, 0)
        // The real server never saw the donation; it waits on the device, still queued.
        XCTAssertEqual(try fk.client.donation(id: queued.id)?.state, .queued)
        let other = try await open(server, "dev-donor-1")
        defer { other.close() }
        let seen = try await other.refreshFundraiser(id: f.fundraiser.id)
        XCTAssertEqual(seen.fundraiser.donationCount, 0)
    }

    /// Opens `config`, caches `f`, and lets the session go (its database lock with it).
    private func cacheFundraiser(_ f: FundraiserView, config: ClientConfig, transport: URLSessionTransport) async throws {
        let session = try await FundKitSession.open(config: config, tokens: { _ in "dev-donor-1" }, transport: transport)
        defer { session.close() }
        _ = try await session.refreshFundraiser(id: f.fundraiser.id)
    }

    /// The request's timeout is for the whole exchange: a server that trickles a byte every
    /// 100 ms is never silent long enough for URLSession's own (idle) timeout.
    func testTheTimeoutIsForTheWholeExchangeNotTheLongestSilence() async throws {
        let trickle = try LoopbackServer { client in
            guard LoopbackServer.write(client, "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n") else { return }
            for _ in 0..<40 {
                usleep(100_000)
                if !LoopbackServer.write(client, "x") { return }
            }
        }
        let transport = URLSessionTransport()
        let slow = HttpRequest(method: "GET", url: "http://127.0.0.1:\(trickle.port)/v1/config", headers: [],
                               body: nil, timeoutMs: 1_500, maxResponseBytes: 1 << 20)
        let started = Date()
        do {
            let answer = try await transport.send(request: slow)
            XCTFail("answered after \(Date().timeIntervalSince(started)) s: \(answer.status), \(answer.body.count) bytes")
        } catch let error as TransportError {
            // Without the whole-exchange deadline the trickle (4 s) would end in an answer.
            guard case .TimedOut = error else { return XCTFail("expected TimedOut, got \(error)") }
        }
    }
    #endif
}

#if canImport(Glibc)
/// A server on 127.0.0.1 (an OS-chosen port) that reads each request whole (head, and the
/// body its Content-Length names), counts it, then hands the connection to `respond`.
final class LoopbackServer: @unchecked Sendable {
    // @unchecked, proved: `fd`, `port` and `respond` are `let`s; `count` is read and written
    // only while `lock` is held.
    let port: UInt16
    private let fd: Int32
    private let respond: @Sendable (Int32) -> Void
    private let lock = NSLock()
    private var count = 0
    var hits: Int { lock.lock(); defer { lock.unlock() }; return count }

    init(respond: @escaping @Sendable (Int32) -> Void) throws {
        self.respond = respond
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) } }
        guard bound == 0, listen(sock, 8) == 0 else { throw Failure("loopback server: bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        Thread.detachNewThread { [self] in serve() }
    }

    deinit { close(fd) }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            func text() -> String { String(decoding: received, as: UTF8.self) }
            while !text().contains("\r\n\r\n") {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                received.append(contentsOf: buffer[0..<n])
            }
            let head = text().components(separatedBy: "\r\n\r\n")[0]
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "content-length"
                    ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
            }.first ?? 0
            while received.count < head.utf8.count + 4 + length {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                received.append(contentsOf: buffer[0..<n])
            }
            lock.lock(); count += 1; lock.unlock()
            respond(client)
            close(client)
        }
    }

    /// Writes `text` to `client`; false once the other end has gone.
    static func write(_ client: Int32, _ text: String) -> Bool {
        text.withCString { Glibc.send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) } > 0
    }
}

/// Answers every request with a 307 to `location`.
func redirector(location: String) throws -> LoopbackServer {
    try LoopbackServer { client in
        _ = LoopbackServer.write(client, "HTTP/1.1 307 Temporary Redirect\r\nLocation: \(location)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }
}
#endif
