// The real reference server (`fundkit serve`, built on the host) on 127.0.0.1 with an
// OS-chosen port, for the tests that talk to a server, like the Kotlin JVM tests; and the
// helpers the tests share.
import Foundation
import XCTest
@testable import FundKit

final class ReferenceServer: @unchecked Sendable {
    // @unchecked, proved: every stored property is a `let` set once in init; after init the
    // object is only read (`url`) and terminated once, in deinit.
    let url: String
    private let process: Process
    /// Held open while the tests run: the server stops when it closes (--exit-with-stdin),
    /// so it never outlives the test process, whether or not `deinit` runs.
    private let keepAlive = Pipe()

    /// `arguments` go after the usual ones (e.g. `--rate-limit-per-minute 60`); without
    /// `autoApprove`, new fundraisers wait for review.
    init(arguments: [String] = [], autoApprove: Bool = true) throws {
        let dir = ProcessInfo.processInfo.environment["FUNDKIT_LIB_DIR"] ?? "../target/debug"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "\(dir)/fundkit")
        process.arguments = ["serve", "--addr", "127.0.0.1:0", "--exit-with-stdin"] + (autoApprove ? ["--auto-approve"] : []) + arguments
        process.standardInput = keepAlive
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard let range = first.range(of: "http://127.0.0.1:") else { throw Failure("server did not start: \(first)") }
        url = String(first[range.lowerBound...])
    }

    deinit { process.terminate() }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A clock the test moves by hand.
final class ManualClock: Clock, @unchecked Sendable {
    // @unchecked, proved: `now` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var now = Int64(Date().timeIntervalSince1970 * 1000)
    func nowMs() -> Int64 { lock.lock(); defer { lock.unlock() }; return now }
    func advance(hours: Int64) { lock.lock(); now += hours * 3_600_000; lock.unlock() }
}

func testConfig(_ url: String, country: String = "US", online: Bool = true, locale: String = "en-US",
                platform: Platform = .android) -> ClientConfig {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fundkit-\(UUID().uuidString)")
    return ClientConfig(databasePath: dir.appendingPathComponent("fundkit.db").path, serverUrl: url,
                        user: UserContext(country: country, platform: platform, ageYears: 30),
                        locale: locale, online: online, backgroundSync: false)
}

func draft(_ title: String, country: String = "US", currency: String = "USD") -> FundraiserDraft {
    FundraiserDraft(kind: .personalCause(beneficiary: .someoneElse), category: .emergency, title: title,
                    story: "The river took the ground floor.", goal: Money(minorUnits: 500_000, currency: currency), country: country)
}

/// A session on `server` whose requests go through URLSession, as an iOS app's do (the
/// library's reqwest fallback is for desktop and development: `SessionTests` opens one).
func open(_ server: ReferenceServer, _ token: String?, country: String = "US", locale: String = "en-US",
          platform: Platform = .android, clock: ManualClock? = nil) async throws -> FundKitSession {
    try await FundKitSession.open(config: testConfig(server.url, country: country, locale: locale, platform: platform),
                                  tokens: { _ in token }, clock: clock, transport: URLSessionTransport())
}

/// A running fundraiser made by `organiser` on `server`.
func fundraiser(on server: ReferenceServer, by organiser: String = "dev-organiser", country: String = "US",
                currency: String = "USD") async throws -> FundraiserView {
    let session = try await open(server, organiser, country: country)
    defer { session.close() }
    guard case .done(let created) = await session.createFundraiser(draft("Flood relief \(country)", country: country, currency: currency)) else {
        throw Failure("not created")
    }
    return created
}

func donation(_ f: FundraiserView, _ minorUnits: Int64, token: String = "tok_ok", id: String? = nil) -> DonationRequest {
    DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: minorUnits, currency: f.fundraiser.goal.currency),
                    message: nil, visibility: .public, hideAmount: false, paymentToken: token, id: id)
}

/// Waits (bounded) until `condition` holds on the main actor.
@MainActor
func eventually(_ what: String, timeout: TimeInterval = 10, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { throw Failure("timed out waiting for \(what)") }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
}

/// Waits for the first element of `stream` that satisfies `done` (bounded: a test never hangs).
func first<T: Sendable>(_ stream: AsyncStream<T>, timeout: TimeInterval = 10, where done: @escaping @Sendable (T) -> Bool) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            for await x in stream where done(x) { return x }
            return nil
        }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            return nil
        }
        let result = try await group.next() ?? nil
        group.cancelAll()
        guard let found = result else { throw Failure("timed out waiting") }
        return found
    }
}

/// What must never reach a person: type names, raw enum cases (camelCase or snake_case),
/// catalog keys, format specifiers, Swift's debug renderings.
func userVisibleViolations(_ text: String) -> [String] {
    var found: [String] = []
    let typeNames = ["FundkitError", "IssueCode", "DonationState", "SyncProblem", "OfflineCap", "UnavailableReason",
                     "MoneyError", "FundraiserState", "DonateOutcome", "OrganiserOutcome", "Optional(", "(detail:", "(reason:"]
    for name in typeNames where text.contains(name) { found.append(name) }
    for pattern in ["\\b[a-z]+[A-Z][A-Za-z]*\\b", "\\b[a-z]+_[a-z_]+\\b", "\\b[a-z_]+\\.[a-z_]+\\b", "%@", "%l*d"] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
        let range = NSRange(text.startIndex..., in: text)
        for match in regex.matches(in: text, range: range) {
            if let r = Range(match.range, in: text) { found.append(String(text[r])) }
        }
    }
    return found
}

func assertUserVisible(_ text: String?, file: StaticString = #filePath, line: UInt = #line) {
    guard let text else { return XCTFail("no text", file: file, line: line) }
    XCTAssertFalse(text.isEmpty, "empty text", file: file, line: line)
    XCTAssertEqual(userVisibleViolations(text), [], "not for people: \(text)", file: file, line: line)
}

/// Every text a screen state holds (its String fields, through structs, arrays and
/// optionals), except identifiers and machine codes kept for logic.
func screenTexts(_ value: Any, label: String? = nil) -> [String] {
    let notForPeople: Set<String> = ["id", "reason", "created", "donationId", "fundraiserId"]
    if let label, notForPeople.contains(label) { return [] }
    if let text = value as? String { return text.isEmpty ? [] : [text] }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .struct?, .tuple?:
        return mirror.children.flatMap { screenTexts($0.value, label: $0.label) }
    case .collection?, .optional?:
        return mirror.children.flatMap { screenTexts($0.value, label: label) }
    default:
        return []
    }
}

/// Fails if any text of a screen state is not for people (a type name, a raw case, a key).
func assertScreenReadable(_ state: Any, file: StaticString = #filePath, line: UInt = #line) {
    let texts = screenTexts(state)
    XCTAssertFalse(texts.isEmpty, "the screen shows no text", file: file, line: line)
    for text in texts { assertUserVisible(text, file: file, line: line) }
}
