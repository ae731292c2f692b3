// Issue 25's launch features from the shell's side, against the real core and reference
// server and its own answers: the fee quote before Confirm on the server's fees and the
// cover-the-fee toggle (the server takes the price the donor was shown), Gift Aid (offered
// where the core says, field errors from the core, the declaration queued, sent and exported
// to the charity), the organiser's figures as the server works them out, the charity on
// create, and share links opened as Universal Links (the server's app-site association
// claims them; a fundraiser this user may not see is the core's `.notVisible`).
import Foundation
import XCTest
@testable import FundKit

/// The real transport with the network's switch in the test's hand: while it is off, every
/// request fails as with no network; while on, requests and the server's answers pass
/// through untouched.
final class NetworkSwitch: HttpTransport, @unchecked Sendable {
    // @unchecked, proved: `down` is read and written only while `lock` is held; `inner` is a
    // Sendable `let`.
    private let inner = URLSessionTransport()
    private let lock = NSLock()
    private var down = false

    func network(up: Bool) { lock.lock(); down = !up; lock.unlock() }

    private func isDown() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return down
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        if isDown() { throw TransportError.Offline(detail: "the test took the network away") }
        return try await inner.send(request: request)
    }
}

/// One GET on the reference server, as `token`'s user (no token: as the public web).
func get(_ server: ReferenceServer, _ path: String, token: String? = nil) async throws -> (status: UInt16, body: String) {
    let headers = token.map { [HttpHeader(name: "Authorization", value: "Bearer \($0)")] } ?? []
    let answer = try await URLSessionTransport().send(request: HttpRequest(method: "GET", url: server.url + path, headers: headers,
                                                                           body: nil, timeoutMs: 10_000, maxResponseBytes: 1 << 20))
    return (answer.status, String(decoding: answer.body, as: UTF8.self))
}

/// A running nonprofit fundraiser in the UK (GBP) for a registered charity, as the server
/// stored it from the draft.
func ukCharityFundraiser(on server: ReferenceServer) async throws -> FundraiserView {
    let organiser = try await open(server, "dev-organiser-gb", country: "GB")
    defer { organiser.close() }
    let draft = FundraiserDraft(kind: .nonprofit(nonprofitId: "np_rivers"), category: .community, title: "Save the Rivers",
                                story: "Clean water for every village.", goal: Money(minorUnits: 500_000, currency: "GBP"),
                                country: "GB", charity: Charity(name: "Rivers Trust", number: "1234567"))
    guard case .done(let created) = await organiser.createFundraiser(draft) else { throw Failure("not created") }
    XCTAssertEqual(created.fundraiser.charity, Charity(name: "Rivers Trust", number: "1234567"), "the server keeps the charity")
    return created
}

/// The launch fee model of `country`, as the server's config (`GET /v1/config`) carries it
/// to the core: a quote is worked out on the server's fees, not the core's built-in ones.
func assertServerFees(_ session: FundKitSession, _ country: String, bps: UInt32, fixedMinor: Int64,
                      file: StaticString = #filePath, line: UInt = #line) async throws {
    _ = try await session.syncNow()
    let model = session.client.serverConfig().fees.first { $0.country == country }
    XCTAssertEqual(model?.processingFeeBps, bps, file: file, line: line)
    XCTAssertEqual(model?.processingFeeFixedMinor, fixedMinor, file: file, line: line)
    XCTAssertEqual(model?.platformFeeBps, 0, file: file, line: line)
}

// Test bodies are static and @MainActor: the view models live on the main actor, and no
// test-case instance crosses into it.
final class DonateQuoteTests: XCTestCase {
    func testTheQuoteShowsAmountFeeTotalAndWhatTheFundraiserReceives() async throws { try await Self._testTheQuote() }
    @MainActor private static func _testTheQuote() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        try await assertServerFees(donor, "US", bps: 290, fixedMinor: 30)
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        XCTAssertFalse(sheet.state.coverFee, "covering the fee is off until the donor turns it on")
        sheet.amountChanged("25")
        await sheet.quoteSettled()
        let quote = try XCTUnwrap(sheet.state.quote)
        // The core's numbers on the server's fees (US 2.9% + 30 cents), in the core's format.
        XCTAssertFalse(quote.fees.coverFee)
        XCTAssertEqual(quote.fees.fees, Money(minorUnits: 103, currency: "USD"))
        XCTAssertEqual(sheet.state.quoteLines,
                       QuoteLines(amount: "Donation: $25.00", fee: "Fee: $1.03", total: "You pay: $25.00",
                                  receives: "The fundraiser receives: $23.97"))
        XCTAssertEqual(sheet.state.coverFeeLabel, "Cover the $1.03 fee, so the fundraiser receives your whole donation")
        XCTAssertFalse(sheet.state.giftAidOffered, "no Gift Aid on a personal cause in the US")
        XCTAssertEqual(quote.giftAid, .notANonprofit)
        assertScreenReadable(sheet.state)
    }

    func testCoveringTheFeeAddsItToWhatTheDonorPaysAndIsQueuedSo() async throws { try await Self._testCoveringTheFee() }
    @MainActor private static func _testCoveringTheFee() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        try await assertServerFees(donor, "US", bps: 290, fixedMinor: 30)
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        donor.setOnline(false)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("25")
        sheet.coverFeeChanged(true)
        await sheet.quoteSettled()
        XCTAssertEqual(sheet.state.quoteLines?.total, "You pay: $26.03")
        XCTAssertEqual(sheet.state.quoteLines?.receives, "The fundraiser receives: $25.00")
        // The quote follows the amount as it is typed.
        sheet.amountChanged("100")
        await sheet.quoteSettled()
        XCTAssertEqual(sheet.state.quoteLines?.fee, "Fee: $3.20")
        XCTAssertEqual(sheet.state.quoteLines?.total, "You pay: $103.20")
        sheet.coverFeeChanged(false)
        await sheet.quoteSettled()
        XCTAssertEqual(sheet.state.quoteLines?.total, "You pay: $100.00")
        XCTAssertEqual(sheet.state.quoteLines?.receives, "The fundraiser receives: $96.80")
        sheet.coverFeeChanged(true)
        await sheet.confirm(paymentToken: "tok_ok")
        guard case .queued(let queued) = sheet.state.result else { return XCTFail("not queued: \(String(describing: sheet.state.result))") }
        XCTAssertTrue(queued.coverFee)
        XCTAssertEqual(queued.amount, Money(minorUnits: 10_000, currency: "USD"))
        XCTAssertEqual(queued.donorPays, Money(minorUnits: 10_320, currency: "USD"), "the donor is charged what the quote said")
        XCTAssertNil(queued.source, "a donation from inside the app has no link source")
        // The server prices it by its own fees and takes it: the price the donor was shown
        // is the server's (a different one would be refused, fee_changed, nothing charged).
        donor.setOnline(true)
        let report = try await donor.syncNow()
        XCTAssertEqual(report.confirmed, 1)
        let confirmed = try await donor.donation(id: queued.id)
        XCTAssertEqual(confirmed?.state, .confirmed)
        XCTAssertEqual(confirmed?.donorPays, Money(minorUnits: 10_320, currency: "USD"))
    }

    func testAnAmountTheCoreRefusesHasNoQuoteAndSaysWhy() async throws { try await Self._testRefusedAmount() }
    @MainActor private static func _testRefusedAmount() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("25")
        await sheet.quoteSettled()
        XCTAssertNotNil(sheet.state.quote)
        sheet.amountChanged("0.50")
        await sheet.quoteSettled()
        XCTAssertNil(sheet.state.quote)
        XCTAssertNil(sheet.state.quoteLines)
        XCTAssertEqual(sheet.state.amountError, sheet.text.issue(.belowMinimum))
        sheet.amountChanged("12.345")
        XCTAssertNil(sheet.state.quote, "an amount that does not parse has no quote")
        assertUserVisible(sheet.state.amountError)
    }

    func testASpanishSheetQuotesInSpanish() async throws { try await Self._testSpanishQuote() }
    @MainActor private static func _testSpanishQuote() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1", locale: "es-US")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("25")
        await sheet.quoteSettled()
        XCTAssertEqual(sheet.state.quoteLines?.fee, "Comisión: \(donor.formatAmount(Money(minorUnits: 103, currency: "USD")))")
        XCTAssertTrue(sheet.state.quoteLines?.total.hasPrefix("Pagas: ") == true)
    }
}

final class GiftAidTests: XCTestCase {
    /// The donate sheet for a UK charity's fundraiser, with £25 typed and Gift Aid added.
    @MainActor private static func sheet(_ server: ReferenceServer,
                                         locale: String = "en-GB") async throws -> (DonateViewModel, FundKitSession, FundraiserView) {
        let f = try await ukCharityFundraiser(on: server)
        let donor = try await open(server, "dev-donor-1", country: "GB", locale: locale)
        try await assertServerFees(donor, "GB", bps: 190, fixedMinor: 20)
        let cached = try await donor.refreshFundraiser(id: f.fundraiser.id)
        XCTAssertEqual(cached.fundraiser.charity, Charity(name: "Rivers Trust", number: "1234567"), "the server sends the charity")
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        let sheet = try XCTUnwrap(page.donate())
        sheet.amountChanged("25")
        await sheet.quoteSettled()
        return (sheet, donor, cached)
    }

    func testAUkCharityOffersGiftAidWithWhatItAddsAndHmrcsStatement() async throws { try await Self._testOffered() }
    @MainActor private static func _testOffered() async throws {
        let server = try ReferenceServer()
        let (sheet, donor, _) = try await Self.sheet(server)
        defer { donor.close() }
        XCTAssertEqual(sheet.state.quote?.giftAid, .available)
        XCTAssertEqual(sheet.state.quote?.giftAidAmount, Money(minorUnits: 625, currency: "GBP"))
        XCTAssertTrue(sheet.state.giftAidOffered)
        XCTAssertFalse(sheet.state.giftAid.add, "Gift Aid is added by the donor, never for them")
        XCTAssertEqual(sheet.state.giftAidLabel, "Add Gift Aid: £6.25 more for the charity, at no extra cost to you")
        XCTAssertEqual(sheet.state.giftAidConsentText, "I want to Gift Aid my donation of £25.00 to Rivers Trust.")
        let version = giftAidWordingVersion()
        XCTAssertEqual(sheet.state.giftAidTaxpayerText, sheet.text.string("gift_aid.taxpayer.\(version)"))
        XCTAssertTrue(sheet.state.giftAidTaxpayerText?.hasPrefix("I am a UK taxpayer") == true)
        XCTAssertEqual(sheet.state.quoteLines?.fee, "Fee: £0.68", "UK 1.9% + 20p, from the core")
        assertScreenReadable(sheet.state)
    }

    func testTheFormsFieldErrorsComeFromTheCore() async throws { try await Self._testFieldErrors() }
    @MainActor private static func _testFieldErrors() async throws {
        let server = try ReferenceServer()
        let (sheet, donor, _) = try await Self.sheet(server)
        defer { donor.close() }
        donor.setOnline(false)
        sheet.editGiftAid { $0.add = true; $0.firstName = "Ada"; $0.postcode = "nope" }
        await sheet.confirm(paymentToken: "tok_ok")
        guard case .invalid = sheet.state.result else { return XCTFail("not refused: \(String(describing: sheet.state.result))") }
        XCTAssertEqual(sheet.state.issues["gift_aid.postcode"], [.invalidPostcode])
        XCTAssertEqual(sheet.state.issues["gift_aid.last_name"], [.required])
        XCTAssertEqual(sheet.state.issues["gift_aid.house"], [.required])
        XCTAssertEqual(sheet.state.issues["gift_aid.lives_in_uk"], [.notDeclared])
        XCTAssertEqual(sheet.state.issues["gift_aid.uk_taxpayer"], [.notDeclared])
        XCTAssertEqual(sheet.state.issues["gift_aid.consent"], [.notDeclared])
        XCTAssertNil(sheet.state.issues["gift_aid.first_name"])
        XCTAssertEqual(sheet.issueText("gift_aid.postcode"), "Enter a UK postcode, like SW1A 1AA.")
        for field in ["gift_aid.last_name", "gift_aid.house", "gift_aid.consent"] { assertUserVisible(sheet.issueText(field)) }
        XCTAssertTrue(sheet.state.canConfirm, "the donor may correct the form and confirm again")
        // The marks follow the corrections, checked by the core as the donor types.
        sheet.editGiftAid { $0.postcode = "sw1a1aa"; $0.consent = true }
        XCTAssertNil(sheet.state.issues["gift_aid.postcode"])
        XCTAssertNil(sheet.state.issues["gift_aid.consent"])
        XCTAssertEqual(sheet.state.issues["gift_aid.house"], [.required])
        let pending = try await donor.pending()
        XCTAssertTrue(pending.isEmpty, "nothing was queued")
    }

    func testAGiftAidDonationIsQueuedAndSentWithItsDeclaration() async throws { try await Self._testQueuedWithDeclaration() }
    @MainActor private static func _testQueuedWithDeclaration() async throws {
        let server = try ReferenceServer()
        let (sheet, donor, f) = try await Self.sheet(server)
        defer { donor.close() }
        donor.setOnline(false)
        sheet.editGiftAid {
            $0.add = true; $0.livesInUk = true; $0.firstName = "Ada"; $0.lastName = "Lovelace"; $0.house = "12"
            $0.postcode = "sw1a1aa"; $0.ukTaxpayer = true; $0.consent = true
        }
        await sheet.confirm(paymentToken: "tok_ok")
        guard case .queued(let queued) = sheet.state.result else { return XCTFail("not queued: \(String(describing: sheet.state.result))") }
        XCTAssertTrue(queued.giftAid)
        XCTAssertFalse(queued.coverFee)
        XCTAssertEqual(queued.donorPays, Money(minorUnits: 2_500, currency: "GBP"))
        XCTAssertEqual(queued.id, sheet.donationId)
        donor.setOnline(true)
        let report = try await donor.syncNow()
        XCTAssertEqual(report.confirmed, 1, "the server took the declaration and the price the donor was shown")
        let confirmed = try await donor.donation(id: queued.id)
        XCTAssertEqual(confirmed?.state, .confirmed)
        XCTAssertEqual(confirmed?.giftAid, true)
        // The server kept the declaration apart and exports it to the charity as HMRC's
        // schedule: the donor's name, house and postcode (in its one spelling, by the core)
        // and the amount in pounds.
        let export = try await get(server, "/v1/fundraisers/\(f.fundraiser.id)/gift-aid.csv", token: "dev-organiser-gb")
        XCTAssertEqual(export.status, 200, export.body)
        let rows = export.body.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 2, export.body)
        XCTAssertTrue(rows.last?.hasPrefix(",Ada,Lovelace,12,SW1A 1AA,,,") == true, export.body)
        XCTAssertTrue(rows.last?.hasSuffix(",25.00") == true, export.body)
    }

    func testNoGiftAidWithoutARegisteredCharity() async throws { try await Self._testNoCharity() }
    @MainActor private static func _testNoCharity() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-gb", country: "GB")
        let draft = FundraiserDraft(kind: .nonprofit(nonprofitId: "np_rivers"), category: .community, title: "Save the Rivers",
                                    story: "Clean water.", goal: Money(minorUnits: 500_000, currency: "GBP"), country: "GB")
        guard case .done(let f) = await organiser.createFundraiser(draft) else { return XCTFail("not created") }
        organiser.close()
        XCTAssertNil(f.fundraiser.charity)
        let donor = try await open(server, "dev-donor-1", country: "GB", locale: "en-GB")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let sheet = DonateViewModel(session: donor, fundraiser: f)
        sheet.amountChanged("25")
        await sheet.quoteSettled()
        XCTAssertEqual(sheet.state.quote?.giftAid, .charityNotRegistered)
        XCTAssertFalse(sheet.state.giftAidOffered)
        XCTAssertNil(sheet.state.giftAidLabel)
    }
}

final class OrganiserFiguresTests: XCTestCase {
    func testTheDashboardShowsWhatTheOrganiserReceivesGiftAidAndSources() async throws { try await Self._testFigures() }
    @MainActor private static func _testFigures() async throws {
        let server = try ReferenceServer()
        let f = try await ukCharityFundraiser(on: server)
        let donor = try await open(server, "dev-donor-1", country: "GB")
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        guard case .queued(let gift) = await donor.donate(DonationRequest(
            fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 2_000, currency: "GBP"), message: nil, visibility: .public,
            hideAmount: false, paymentToken: "tok_ok", id: nil,
            giftAid: GiftAidDeclaration(firstName: "Ada", lastName: "Lovelace", house: "12", postcode: "SW1A 1AA", livesInUk: true,
                                        ukTaxpayer: true, consent: true, wordingVersion: giftAidWordingVersion()),
            source: .storySticker)) else { return XCTFail("not queued") }
        XCTAssertEqual(gift.source, .storySticker)
        let sent = try await donor.syncNow()
        XCTAssertEqual(sent.confirmed, 1)
        // The organiser's figures are for the organiser: a donor is not sent them.
        let seenByDonor = try await donor.refreshFundraiser(id: f.fundraiser.id)
        XCTAssertNil(seenByDonor.fundraiser.organiserStats)
        donor.close()
        let organiser = try await open(server, "dev-organiser-gb", country: "GB", locale: "en-GB")
        defer { organiser.close() }
        _ = try await organiser.syncNow()
        _ = try await organiser.refreshFundraiser(id: f.fundraiser.id)
        let model = OrganiserDashboardViewModel(session: organiser, fundraiserId: f.fundraiser.id)
        try await eventually("the figures and the donation") { model.state.receivesLabel != nil && model.state.donations.count == 1 }
        XCTAssertEqual(model.state.receivesLabel, "You receive £19.42")
        XCTAssertEqual(model.state.feesLabel, "Fees: £0.58")
        XCTAssertEqual(model.state.giftAidCountLabel, "Gift Aid on 1 donation")
        XCTAssertEqual(model.state.giftAidClaimableLabel, "Gift Aid to claim: £5.00")
        XCTAssertEqual(model.state.sourceLabels, ["0 donations from shared links", "1 donation from story stickers",
                                                  "0 donations from your profile"])
        // "Gift Aid: yes" on the donor's row: the server's donors feed flags the entry, and
        // the organiser's cache keeps the flag.
        let row = try XCTUnwrap(model.state.donations.first)
        XCTAssertTrue(row.giftAid)
        XCTAssertEqual(row.giftAidLabel, "Gift Aid: yes")
        assertScreenReadable(model.state)
    }

    func testOnAPersonalCauseTheServersFiguresHaveNoGiftAid() async throws { try await Self._testPersonalCauseFigures() }
    @MainActor private static func _testPersonalCauseFigures() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        // $100 from a shared link with the fee covered (the donor pays $103.20), and $25
        // without (a $1.03 fee: US 2.9% + 30 cents).
        let covered = DonationRequest(fundraiserId: f.fundraiser.id, amount: Money(minorUnits: 10_000, currency: "USD"), message: nil,
                                      visibility: .public, hideAmount: false, paymentToken: "tok_ok", id: nil, coverFee: true,
                                      giftAid: nil, source: .link)
        for request in [covered, donation(f, 2_500)] {
            guard case .queued = await donor.donate(request) else { return XCTFail("not queued") }
        }
        let sent = try await donor.syncNow()
        XCTAssertEqual(sent.confirmed, 2)
        donor.close()
        let organiser = try await open(server, "dev-organiser")
        defer { organiser.close() }
        _ = try await organiser.syncNow()
        let view = try await organiser.refreshFundraiser(id: f.fundraiser.id)
        XCTAssertNotNil(view.fundraiser.organiserStats, "the organiser is sent the figures")
        let model = OrganiserDashboardViewModel(session: organiser, fundraiserId: f.fundraiser.id)
        try await eventually("the figures") { model.state.receivesLabel != nil }
        // The server's figures: both donations, less the one fee the donor did not cover.
        XCTAssertEqual(model.state.receivesLabel, "You receive $123.97")
        XCTAssertEqual(model.state.feesLabel, "Fees: $1.03")
        XCTAssertNil(model.state.giftAidCountLabel, "no Gift Aid on a personal cause")
        XCTAssertNil(model.state.giftAidClaimableLabel)
        XCTAssertEqual(model.state.sourceLabels, ["1 donation from shared links", "0 donations from story stickers",
                                                  "0 donations from your profile"])
        assertScreenReadable(model.state)
    }
}

final class CharityOnCreateTests: XCTestCase {
    func testACharityIsOfferedForANonprofitInTheUkOnly() async throws { try await Self._testOffered() }
    @MainActor private static func _testOffered() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-gb", country: "GB")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "GB")
        XCTAssertFalse(create.offersCharity, "not for a personal cause")
        create.choose(.nonprofit)
        XCTAssertEqual(create.kindChoice, .nonprofit)
        XCTAssertTrue(create.offersCharity)
        let us = try await open(server, "dev-organiser")
        defer { us.close() }
        let usCreate = CreateFundraiserViewModel(session: us, country: "US")
        usCreate.choose(.nonprofit)
        XCTAssertFalse(usCreate.offersCharity, "not outside the UK")
    }

    func testTheCharitysNumberIsCheckedByTheCoreThenCreated() async throws { try await Self._testChecked() }
    @MainActor private static func _testChecked() async throws {
        let server = try ReferenceServer()
        let organiser = try await open(server, "dev-organiser-gb", country: "GB")
        defer { organiser.close() }
        let create = CreateFundraiserViewModel(session: organiser, country: "GB")
        create.choose(.nonprofit)
        create.nonprofitIdChanged("np_rivers")
        create.edit { $0.title = "Save the Rivers"; $0.story = "Clean water."; $0.goalText = "5,000"; $0.charityName = "Rivers Trust"
            $0.charityNumber = "12" }
        await create.submit()
        XCTAssertEqual(create.state.issues["charity_number"], [.invalidCharityNumber])
        assertUserVisible(create.issueText("charity_number"))
        XCTAssertNil(create.state.created)
        create.edit { $0.charityNumber = "sc 012345" }
        await create.submit()
        XCTAssertEqual(create.state.issues, [:])
        XCTAssertNotNil(create.state.created)
    }
}

final class LinkTests: XCTestCase {
    func testAShareLinkOpensItsFundraiserAndTheDonationRecordsWhereItWasShared() async throws { try await Self._testGood() }
    @MainActor private static func _testGood() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        // The Share button's link: the core's, on the server's link host.
        let shared = try XCTUnwrap(page.state.shareURL)
        XCTAssertEqual(shared, donor.shareLinks(fundraiserId: f.fundraiser.id)?.web)
        XCTAssertTrue(shared.hasPrefix("https://"), shared)
        XCTAssertTrue(shared.hasSuffix("/f/\(f.fundraiser.id)?src=link"), shared)
        assertUserVisible(page.state.shareAccessibilityLabel)
        // A link shared on a story sticker, opened as a Universal Link.
        let sticker = try XCTUnwrap(donor.shareLinks(fundraiserId: f.fundraiser.id, source: .storySticker)?.web)
        let links = LinkOpenerViewModel(session: donor)
        let url = try XCTUnwrap(URL(string: sticker))
        let opened = await links.open(url)
        let route = try XCTUnwrap(opened)
        XCTAssertEqual(route, .fundraiser(id: f.fundraiser.id, link: sticker))
        XCTAssertFalse(links.state.failed)
        XCTAssertFalse(links.state.opening)
        // The route survives a scene's save and restore, and keeps the link's source.
        let restored = try JSONDecoder().decode([AppRoute].self, from: JSONEncoder().encode([route]))
        XCTAssertEqual(restored, [route])
        XCTAssertEqual(restored[0].source(in: donor), .storySticker)
        let fromLink = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id, source: restored[0].source(in: donor))
        try await eventually("loaded") { fromLink.state.loaded }
        let sheet = try XCTUnwrap(fromLink.donate())
        XCTAssertEqual(sheet.source, .storySticker)
        donor.setOnline(false)
        sheet.amountChanged("10")
        await sheet.confirm(paymentToken: "tok_ok")
        guard case .queued(let queued) = sheet.state.result else { return XCTFail("not queued") }
        XCTAssertEqual(queued.source, .storySticker)
        // The app's own scheme opens it too.
        let app = try XCTUnwrap(donor.shareLinks(fundraiserId: f.fundraiser.id)?.app)
        donor.setOnline(true)
        let viaScheme = await links.open(link: app)
        XCTAssertEqual(viaScheme, .fundraiser(id: f.fundraiser.id, link: app))
    }

    func testTheServersAppSiteAssociationClaimsTheLinksTheAppShares() async throws { try await Self._testAppSiteAssociation() }
    @MainActor private static func _testAppSiteAssociation() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.syncNow()
        // What iOS fetches (no credentials) before it opens the app for a link on this host.
        let aasa = try await get(server, "/.well-known/apple-app-site-association")
        XCTAssertEqual(aasa.status, 200, aasa.body)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(aasa.body.utf8)) as? [String: Any])
        let details = try XCTUnwrap((json["applinks"] as? [String: Any])?["details"] as? [[String: Any]])
        let detail = try XCTUnwrap(details.first)
        XCTAssertEqual(detail["appIDs"] as? [String], ["FUNDKIT000.dev.fundkit.sample"])
        let paths = (detail["components"] as? [[String: Any]] ?? []).compactMap { $0["/"] as? String }
        XCTAssertEqual(paths, ["/f/*"])
        // The Share button's link is on the server's link host, under a path it claims.
        let shared = try XCTUnwrap(donor.shareLinks(fundraiserId: f.fundraiser.id)?.web)
        let url = try XCTUnwrap(URLComponents(string: shared))
        XCTAssertEqual(url.host, URLComponents(string: server.url)?.host)
        XCTAssertEqual(url.path, "/f/\(f.fundraiser.id)")
        XCTAssertEqual(try donor.parseLink(shared).fundraiserId, f.fundraiser.id)
    }

    func testALinkToAnotherHostIsRefusedInWords() async throws { try await Self._testUnknownHost() }
    @MainActor private static func _testUnknownHost() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        let links = LinkOpenerViewModel(session: donor)
        let route = await links.open(link: "https://evil.example.com/f/\(f.fundraiser.id)?src=link")
        XCTAssertNil(route)
        XCTAssertEqual(links.state.problem, .unknownHost)
        XCTAssertEqual(links.state.problemText, "This link isn't from FundKit, so the app didn't open it.")
        XCTAssertFalse(links.state.canRetry)
        assertScreenReadable(links.state)
        links.dismiss()
        XCTAssertFalse(links.state.failed)
        for (link, problem) in [("http://127.0.0.1/f/\(f.fundraiser.id)", LinkProblem.unsupportedScheme),
                                ("not a link", .notALink), ("fundkit://settings/x", .unknownPath)] {
            _ = await links.open(link: link)
            XCTAssertEqual(links.state.problem, problem, link)
            assertUserVisible(links.state.problemText)
        }
    }

    func testALinkToAFundraiserThisUserMayNotSeeSaysSo() async throws { try await Self._testNotVisible() }
    @MainActor private static func _testNotVisible() async throws {
        // A fundraiser still in review (the server does not approve it by itself here).
        let server = try ReferenceServer(autoApprove: false)
        let organiser = try await open(server, "dev-organiser")
        guard case .done(let inReview) = await organiser.createFundraiser(draft("Flood relief")) else { return XCTFail("not created") }
        organiser.close()
        XCTAssertEqual(inReview.fundraiser.state, .inReview)
        let donor = try await open(server, "dev-donor-1", locale: "es-US")
        defer { donor.close() }
        let links = LinkOpenerViewModel(session: donor)
        for id in [inReview.fundraiser.id, "fr_never_made"] {
            let link = try XCTUnwrap(donor.shareLinks(fundraiserId: id)?.web)
            let route = await links.open(link: link)
            XCTAssertNil(route, id)
            XCTAssertEqual(links.state.problem, .notVisible, id)
            XCTAssertEqual(links.state.problemText, Localizer(locale: "es-US").linkProblem(.notVisible))
            XCTAssertEqual(links.state.problemTitle, "Este enlace no se puede abrir")
            XCTAssertFalse(links.state.canRetry)
            assertScreenReadable(links.state)
        }
    }

    func testTheDonateSheetKeepsItsDonationIdUntilClosed() async throws { try await Self._testStableSheet() }
    @MainActor private static func _testStableSheet() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let donor = try await open(server, "dev-donor-1")
        defer { donor.close() }
        _ = try await donor.refreshFundraiser(id: f.fundraiser.id)
        let page = FundraiserViewModel(session: donor, fundraiserId: f.fundraiser.id)
        try await eventually("loaded") { page.state.loaded }
        let first = try XCTUnwrap(page.donate())
        // A view re-created while the sheet is open gets the same sheet, and so the same id.
        XCTAssertTrue(page.donate() === first)
        XCTAssertTrue(page.sheet === first)
        page.closeDonate()
        let second = try XCTUnwrap(page.donate())
        XCTAssertNotEqual(second.donationId, first.donationId, "a new sheet is a new donation")
        page.closeDonate()
        // A scene restored after the app was stopped reopens the sheet with its saved id, and
        // its confirm is the donation the first sheet made, not a second one.
        donor.setOnline(false)
        first.amountChanged("10")
        await first.confirm(paymentToken: "tok_ok")
        guard case .queued(let made) = first.state.result else { return XCTFail("not queued") }
        let restored = try XCTUnwrap(page.donate(restoring: first.donationId))
        XCTAssertEqual(restored.donationId, first.donationId)
        restored.amountChanged("10")
        await restored.confirm(paymentToken: "tok_ok")
        guard case .queued(let again) = restored.state.result else { return XCTFail("not queued") }
        XCTAssertEqual(again.id, made.id)
        let pending = try await donor.pending()
        XCTAssertEqual(pending.count, 1, "one donation")
    }

    func testOfflineALinkSaysSoAndOpensWhenTriedAgain() async throws { try await Self._testOfflineLink() }
    @MainActor private static func _testOfflineLink() async throws {
        let server = try ReferenceServer()
        let f = try await fundraiser(on: server)
        let network = NetworkSwitch()
        let donor = try await FundKitSession.open(config: testConfig(server.url), tokens: { _ in "dev-donor-1" }, transport: network)
        defer { donor.close() }
        let link = try XCTUnwrap(donor.shareLinks(fundraiserId: f.fundraiser.id)?.web)
        let links = LinkOpenerViewModel(session: donor)
        network.network(up: false)
        let offline = await links.open(link: link)
        XCTAssertNil(offline)
        XCTAssertNil(links.state.problem, "the link is good: it could not be fetched")
        XCTAssertEqual(links.state.problemText, links.text.string("error.offline"))
        XCTAssertTrue(links.state.canRetry)
        assertScreenReadable(links.state)
        network.network(up: true)
        let route = await links.retry()
        XCTAssertEqual(route, .fundraiser(id: f.fundraiser.id, link: link))
        XCTAssertFalse(links.state.failed)
    }
}
