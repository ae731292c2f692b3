package dev.fundkit.ktx

import androidx.lifecycle.SavedStateHandle
import dev.fundkit.Beneficiary
import dev.fundkit.Category
import dev.fundkit.Charity
import dev.fundkit.DonationRequest
import dev.fundkit.DonationSource
import dev.fundkit.DonationState
import dev.fundkit.FundraiserDraft
import dev.fundkit.FundraiserKind
import dev.fundkit.FundraiserView
import dev.fundkit.GiftAidAvailability
import dev.fundkit.IssueCode
import dev.fundkit.LinkProblem
import dev.fundkit.Money
import dev.fundkit.Visibility
import dev.fundkit.ktx.screens.CreateFundraiserViewModel
import dev.fundkit.ktx.screens.DonateSheetState
import dev.fundkit.ktx.screens.DonateViewModel
import dev.fundkit.ktx.screens.FeeLines
import dev.fundkit.ktx.screens.FundraiserViewModel
import dev.fundkit.ktx.screens.LinkScreenState
import dev.fundkit.ktx.screens.LinkViewModel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.extension.ExtendWith

/**
 * Issue 25 in the shell, against the real library and the real reference server: the fee
 * quote before Confirm and "cover the fee", the Gift Aid declaration, a charity on a UK
 * nonprofit, and links (share, open, refused). Every figure the screens show is the core's.
 */
@ExtendWith(MainDispatcher::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LaunchTest {
    private lateinit var server: ReferenceServer
    private lateinit var usFundraiser: FundraiserView
    private lateinit var charityFundraiser: FundraiserView
    private val charity = Charity(name = "Riverside Food Bank", number = "1234567")

    @BeforeAll
    fun start() {
        server = ReferenceServer.start()
        usFundraiser = create("dev-organiser", "US", FundraiserKind.PersonalCause(Beneficiary.SOMEONE_ELSE), Money(500_000, "USD"))
        charityFundraiser =
            create("dev-organiser-gb", "GB", FundraiserKind.Nonprofit("np_riverside_food_bank"), Money(500_000, "GBP"), charity)
        assertEquals(charity, charityFundraiser.fundraiser.charity, "the server keeps the charity of a UK nonprofit")
    }

    @AfterAll
    fun stop() {
        server.close()
    }

    private fun create(token: String, country: String, kind: FundraiserKind, goal: Money, charity: Charity? = null): FundraiserView =
        runBlocking {
            val draft =
                FundraiserDraft(
                    kind = kind,
                    category = Category.COMMUNITY,
                    title = "Winter food parcels",
                    story = "Parcels for every family on the estate this winter.",
                    goal = goal,
                    country = country,
                    charity = charity,
                )
            (open(token, country).use { it.createFundraiser(draft) } as CreateOutcome.Created).fundraiser
        }

    private fun open(token: String, country: String = "US", locale: String = "en-US", transport: dev.fundkit.HttpTransport = OkHttpTransport()) =
        FundKit.open(testConfig(server.url, country, locale = locale), TokenSource { token }, transport)

    /** The donor's sheet on [view], loaded, with [amount] typed and its quote on screen. */
    private suspend fun TestViewModels.sheet(fk: FundKit, view: FundraiserView, amount: String, saved: SavedStateHandle = SavedStateHandle(), source: DonationSource? = null): DonateViewModel {
        fk.refreshFundraiser(view.fundraiser.id)
        val sheet = add(DonateViewModel(fk, view.fundraiser.id, saved, source))
        withTimeout(5_000) { sheet.state.first { it.loaded } }
        sheet.amountChanged(amount)
        withTimeout(5_000) { sheet.state.first { it.quote != null } }
        return sheet
    }

    /** The core's own quote for [money] on [view], formatted as the sheet must show it. */
    private fun expected(fk: FundKit, view: FundraiserView, money: Money, cover: Boolean): FeeLines {
        val q = fk.raw.quoteDonation(DonationRequest(view.fundraiser.id, money, null, Visibility.PUBLIC, false, "", coverFee = cover))
        return FeeLines(
            amountLabel = fk.formatAmount(q.fees.amount),
            feeLabel = fk.formatAmount(q.fees.fees),
            donorPaysLabel = fk.formatAmount(q.fees.donorPays),
            organiserReceivesLabel = fk.formatAmount(q.fees.organiserReceives),
            coverFee = cover,
            giftAidLabel = q.giftAidAmount?.let { fk.formatAmount(it) },
        )
    }

    @Test
    fun `the sheet shows the core's fee quote, cover the fee is off until turned on, and the donation pays what was shown`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val sheet = vms.sheet(fk, usFundraiser, "25")
                val off = sheet.state.value
                assertFalse(off.coverFee, "cover the fee is off until the donor turns it on")
                assertEquals(expected(fk, usFundraiser, Money(2_500, "USD"), cover = false), off.quote)
                val quoteOff = fk.raw.quoteDonation(DonationRequest(usFundraiser.fundraiser.id, Money(2_500, "USD"), null, Visibility.PUBLIC, false, "")).fees
                assertEquals(quoteOff.amount, quoteOff.donorPays, "without cover the donor pays the amount")
                assertEquals(GiftAidAvailability.NOT_A_NONPROFIT, off.giftAid)
                assertFalse(off.offersGiftAid)

                // The toggle asks the core again; the new quote replaces the old one.
                sheet.coverFeeChanged(true)
                val on = withTimeout(5_000) { sheet.state.first { it.quote?.coverFee == true } }
                assertEquals(expected(fk, usFundraiser, Money(2_500, "USD"), cover = true), on.quote)
                // And a new amount, again.
                sheet.amountChanged("40")
                val forty = withTimeout(5_000) { sheet.state.first { it.quote?.amountLabel == "$40.00" } }
                assertEquals(expected(fk, usFundraiser, Money(4_000, "USD"), cover = true), forty.quote)

                sheet.confirm("tok_ok")!!.join()
                val donation = sheet.state.value.donation!!
                assertTrue(donation.coverFee)
                assertEquals(fk.formatAmount(donation.donorPays), forty.quote!!.donorPaysLabel, "charged what the sheet showed")
                assertEquals(Money(4_000, "USD"), donation.amount)
                fk.syncNow()
                assertEquals(DonationState.CONFIRMED, withTimeout(10_000) { sheet.state.first { it.donation?.state == DonationState.CONFIRMED } }.donation?.state)
            } }
        }

    @Test
    fun `an amount the core refuses has no quote and says why`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val sheet = vms.sheet(fk, usFundraiser, "25")
                sheet.amountChanged("0.50")
                val below = withTimeout(5_000) { sheet.state.first { it.quoteIssues.isNotEmpty() } }
                assertNull(below.quote)
                assertTrue(IssueCode.BELOW_MINIMUM in below.quoteIssues, "${below.quoteIssues}")
            } }
        }

    @Test
    fun `rotation and process death keep the form, the cover-fee choice, the declaration and the donation id`(): Unit =
        runBlocking {
            open("dev-donor-1", country = "GB", locale = "en-GB").use { fk ->
                val saved = SavedStateHandle()
                val first = withViewModels { vms ->
                    val sheet = vms.sheet(fk, charityFundraiser, "20", saved)
                    sheet.coverFeeChanged(true)
                    sheet.giftAidChanged { copy(livesInUk = true, firstName = "Ada", lastName = "Lovelace", house = "12", postcode = "sw1a1aa", ukTaxpayer = true, consent = true) }
                    withTimeout(5_000) { sheet.state.first { it.quote?.coverFee == true } }
                    sheet.donationId
                }
                // A new ViewModel on the same saved state (what Android gives after process death).
                withViewModels { vms ->
                    val again = vms.add(DonateViewModel(fk, charityFundraiser.fundraiser.id, saved))
                    val restored = withTimeout(5_000) { again.state.first { it.loaded && it.quote != null } }
                    assertEquals(first, again.donationId)
                    assertEquals("20", restored.amountText)
                    assertTrue(restored.coverFee)
                    assertEquals("Ada", restored.giftAidForm.firstName)
                    assertEquals("sw1a1aa", restored.giftAidForm.postcode)
                    assertTrue(restored.giftAidForm.ukTaxpayer)
                    assertTrue(restored.giftAidForm.consent)
                    again.confirm("tok_ok")!!.join()
                    assertEquals(first, again.state.value.donation?.id)
                }
                // A third after the confirm: the same donation, shown, and no second one.
                withViewModels { vms ->
                    val third = vms.add(DonateViewModel(fk, charityFundraiser.fundraiser.id, saved))
                    val shown = withTimeout(5_000) { third.state.first { it.donation != null } }
                    assertEquals(first, shown.donation!!.id)
                    assertNull(third.confirm("tok_ok"))
                }
                assertEquals(1, fk.pendingDonations().count { it.fundraiserId == charityFundraiser.fundraiser.id })
                fk.cancelDonation(first)
            }
        }

    @Test
    fun `Gift Aid on a registered UK charity - the core's amount, every field's issue, then the declaration is sent`(): Unit =
        runBlocking {
            open("dev-donor-1", country = "GB", locale = "en-GB").use { fk -> withViewModels { vms ->
                val sheet = vms.sheet(fk, charityFundraiser, "25")
                val form = sheet.state.value
                assertEquals(GiftAidAvailability.AVAILABLE, form.giftAid)
                assertTrue(form.offersGiftAid)
                assertEquals(charity.name, form.charityName)
                assertEquals(dev.fundkit.giftAidWordingVersion(), form.giftAidWording)
                assertEquals(expected(fk, charityFundraiser, Money(2_500, "GBP"), cover = false), form.quote)
                assertEquals("£6.25", form.quote!!.giftAidLabel, "the core's 25%")

                // Started but incomplete: Confirm queues nothing and marks each field.
                sheet.giftAidChanged { copy(firstName = "Ada", postcode = "SW1A 1CA") }
                sheet.confirm("tok_ok")!!.join()
                val refused = sheet.state.value
                assertNull(refused.donation)
                assertEquals(listOf(IssueCode.INVALID_POSTCODE), refused.issues["gift_aid.postcode"])
                assertEquals(listOf(IssueCode.REQUIRED), refused.issues["gift_aid.last_name"])
                assertEquals(listOf(IssueCode.REQUIRED), refused.issues["gift_aid.house"])
                assertEquals(listOf(IssueCode.NOT_DECLARED), refused.issues["gift_aid.lives_in_uk"])
                assertEquals(listOf(IssueCode.NOT_DECLARED), refused.issues["gift_aid.consent"])
                assertEquals(listOf(IssueCode.NOT_DECLARED), refused.issues["gift_aid.uk_taxpayer"])
                assertNull(refused.issues["gift_aid.first_name"])

                // The issues follow the typing (the core's validateGiftAidDeclaration).
                sheet.giftAidChanged { copy(postcode = "SW1A 1AA", lastName = "Lovelace") }
                val typing = sheet.state.value
                assertNull(typing.issues["gift_aid.postcode"])
                assertNull(typing.issues["gift_aid.last_name"])
                assertEquals(listOf(IssueCode.REQUIRED), typing.issues["gift_aid.house"])

                sheet.giftAidChanged { copy(house = "Flat 2, 10", livesInUk = true, consent = true) }
                // Two statements, two boxes (the same words on iOS): wanting Gift Aid does not
                // make the donor a UK taxpayer.
                assertEquals(mapOf("gift_aid.uk_taxpayer" to listOf(IssueCode.NOT_DECLARED)), sheet.state.value.issues.filterKeys { it.startsWith("gift_aid") })
                sheet.giftAidChanged { copy(ukTaxpayer = true) }
                assertTrue(sheet.state.value.issues.keys.none { it.startsWith("gift_aid") })
                sheet.confirm("tok_ok")!!.join()
                val queued = sheet.state.value.donation
                assertNotNull(queued, "${sheet.state.value.refusal}")
                assertTrue(queued!!.giftAid, "the donation carries the declaration")
                assertEquals(Money(2_500, "GBP"), queued.amount)
                // The server takes the donation with its declaration (its tests check what it keeps).
                fk.syncNow()
                val confirmed = withTimeout(10_000) { sheet.state.first { it.donation?.state == DonationState.CONFIRMED } }
                assertTrue(confirmed.donation!!.giftAid)
            } }
        }

    @Test
    fun `the organiser's dashboard shows the server's figures, Gift Aid per donor and donations by source`(): Unit =
        runBlocking {
            // Its own organiser's fundraiser: the figures are this test's donations only.
            val own = ReferenceServer.start()
            try {
                val view =
                    FundKit.open(testConfig(own.url, "GB", locale = "en-GB"), TokenSource { "dev-organiser-gb" }, OkHttpTransport()).use { fk ->
                        val draft =
                            FundraiserDraft(
                                FundraiserKind.Nonprofit("np_riverside_food_bank"), Category.COMMUNITY, "Winter food parcels",
                                "Parcels for every family.", Money(300_000, "GBP"), "GB", charity = charity,
                            )
                        (fk.createFundraiser(draft) as CreateOutcome.Created).fundraiser
                    }
                FundKit.open(testConfig(own.url, "GB", locale = "en-GB"), TokenSource { "dev-donor-1" }, OkHttpTransport()).use { fk -> withViewModels { vms ->
                    val link = fk.shareLinks(view.fundraiser.id, DonationSource.STORY_STICKER).web
                    val opened = vms.add(LinkViewModel(fk, link))
                    val target = withTimeout(10_000) { opened.state.first { it is LinkScreenState.Opened } } as LinkScreenState.Opened
                    val sheet = vms.sheet(fk, view, "20", source = target.source)
                    sheet.giftAidChanged { copy(livesInUk = true, firstName = "Ada", lastName = "Lovelace", house = "12", postcode = "SW1A 1AA", ukTaxpayer = true, consent = true) }
                    sheet.confirm("tok_ok")!!.join()
                    val other = vms.sheet(fk, view, "10")
                    other.coverFeeChanged(true)
                    withTimeout(5_000) { other.state.first { it.quote?.coverFee == true } }
                    other.confirm("tok_ok")!!.join()
                    fk.syncNow()
                    withTimeout(10_000) { other.state.first { it.donation?.state == DonationState.CONFIRMED } }
                }
                }
                FundKit.open(testConfig(own.url, "GB", locale = "en-GB"), TokenSource { "dev-organiser-gb" }, OkHttpTransport()).use { fk -> withViewModels { vms ->
                    fk.syncNow()
                    fk.refreshFundraiser(view.fundraiser.id)
                    val dashboard = vms.add(dev.fundkit.ktx.screens.OrganiserDashboardViewModel(fk, view.fundraiser.id))
                    val state = withTimeout(10_000) { dashboard.state.first { it.loaded && it.donations.size == 2 && it.figures != null } }
                    val stats = fk.fundraiser(view.fundraiser.id)!!.fundraiser.organiserStats!!
                    val figures = state.figures!!
                    assertEquals(fk.formatAmount(stats.receives), figures.receivesLabel)
                    assertEquals(fk.formatAmount(stats.fees), figures.feesLabel)
                    assertEquals(fk.formatAmount(stats.giftAidClaimable), figures.giftAidClaimableLabel)
                    assertEquals(1L, figures.giftAidCount)
                    assertEquals("£5.00", figures.giftAidClaimableLabel, "the core's 25% of £20.00")
                    assertEquals(1L, figures.fromStorySticker)
                    assertEquals(0L, figures.fromLink)
                    assertEquals(charity.name, state.charityName)
                    assertEquals(listOf(true, false), state.donations.sortedByDescending { it.giftAid }.map { it.giftAid })
                } }
            } finally {
                own.close()
            }
        }

    @Test
    fun `a declaration on a fundraiser without Gift Aid is never sent`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val sheet = vms.sheet(fk, usFundraiser, "15")
                sheet.giftAidChanged { copy(firstName = "Ada") }
                sheet.confirm("tok_ok")!!.join()
                val d = sheet.state.value.donation
                assertNotNull(d)
                assertFalse(d!!.giftAid)
                fk.cancelDonation(d.id)
            } }
        }

    @Test
    fun `the create form asks for a charity on a UK nonprofit only, and the core checks it`(): Unit =
        runBlocking {
            open("dev-organiser-gb", country = "GB", locale = "en-GB").use { fk -> withViewModels { vms ->
                val p = vms.add(CreateFundraiserViewModel(fk, "GB", SavedStateHandle()))
                assertFalse(p.state.value.charityApplies, "a personal cause takes no charity")
                p.edit { copy(kind = FundraiserKind.BusinessProject) }
                assertFalse(p.state.value.charityApplies)
                p.edit { copy(kind = FundraiserKind.Nonprofit("np_hall"), title = "Save the village hall", story = "Roof repairs.", goalText = "2,500") }
                assertTrue(p.state.value.charityApplies)
                p.edit { copy(charityName = "", charityNumber = "12345") }
                p.submit().join()
                val issues = p.state.value.issues
                assertEquals(listOf(IssueCode.INVALID_CHARITY_NUMBER), issues["charity_number"])
                assertEquals(listOf(IssueCode.REQUIRED), issues["charity_name"])
                assertNull(p.state.value.created)
            } }
            open("dev-organiser").use { fk -> withViewModels { vms ->
                val p = vms.add(CreateFundraiserViewModel(fk, "US", SavedStateHandle()))
                p.edit { copy(kind = FundraiserKind.Nonprofit("np_us")) }
                assertFalse(p.state.value.charityApplies, "no charity registration outside the UK")
            } }
        }

    @Test
    fun `the create form keeps the kind and the charity across process death`() {
        open("dev-organiser-gb", country = "GB").use { fk -> withViewModels { vms ->
            val saved = SavedStateHandle()
            val p = vms.add(CreateFundraiserViewModel(fk, "GB", saved))
            p.edit { copy(kind = FundraiserKind.Nonprofit("np_hall"), charityName = "Village Hall Trust", charityNumber = "SC012345") }
            val again = vms.add(CreateFundraiserViewModel(fk, "GB", saved)).state.value
            assertEquals(FundraiserKind.Nonprofit("np_hall"), again.kind)
            assertEquals("Village Hall Trust", again.charityName)
            assertEquals("SC012345", again.charityNumber)
            assertTrue(again.charityApplies)
        } }
    }

    @Test
    fun `a shared link opens its fundraiser, and the donation records where it was shared`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val page = vms.add(FundraiserViewModel(fk, usFundraiser.fundraiser.id))
                fk.refreshFundraiser(usFundraiser.fundraiser.id)
                val share = withTimeout(5_000) { page.state.first { it.loaded } }.shareUrl
                assertEquals(fk.shareLinks(usFundraiser.fundraiser.id, DonationSource.LINK).web, share)
                assertTrue(share!!.startsWith("https://") && "/f/${usFundraiser.fundraiser.id}" in share, share)

                val sticker = fk.shareLinks(usFundraiser.fundraiser.id, DonationSource.STORY_STICKER)
                for (link in listOf(sticker.web, sticker.app)) {
                    val vm = vms.add(LinkViewModel(fk, link))
                    val opened = withTimeout(10_000) { vm.state.first { it !is LinkScreenState.Opening } }
                    assertEquals(LinkScreenState.Opened(usFundraiser.fundraiser.id, DonationSource.STORY_STICKER), opened, link)
                }
                // The donation made from it passes the link's source.
                val sheet = vms.sheet(fk, usFundraiser, "10", source = DonationSource.STORY_STICKER)
                sheet.confirm("tok_ok")!!.join()
                assertEquals(DonationSource.STORY_STICKER, sheet.state.value.donation?.source)
                fk.cancelDonation(sheet.donationId)
            } }
        }

    @Test
    fun `links that open nothing say why - another host, not a fundraiser, not visible`(): Unit =
        runBlocking {
            open("dev-donor-1").use { fk -> withViewModels { vms ->
                val good = fk.shareLinks(usFundraiser.fundraiser.id, DonationSource.LINK).web
                val host = java.net.URI(good).host
                val cases =
                    listOf(
                        good.replace(host, "fundkit.evil.example") to LinkProblem.UNKNOWN_HOST,
                        "https://$host/about" to LinkProblem.UNKNOWN_PATH,
                        "http://$host/f/${usFundraiser.fundraiser.id}" to LinkProblem.UNSUPPORTED_SCHEME,
                        "https://$host/f/no%20such" to LinkProblem.MALFORMED_ID,
                        "not a link" to LinkProblem.NOT_A_LINK,
                        // The right shape, but no fundraiser this user may see.
                        "https://$host/f/00000000-0000-7000-8000-000000000000?src=link" to LinkProblem.NOT_VISIBLE,
                    )
                for ((link, problem) in cases) {
                    val vm = vms.add(LinkViewModel(fk, link))
                    val state = withTimeout(10_000) { vm.state.first { it !is LinkScreenState.Opening } }
                    assertEquals(LinkScreenState.Refused(problem), state, link)
                    assertNull(vm.retry(), "a refused link is not retried")
                }
            } }
        }

    @Test
    fun `a link opened without network can be retried`(): Unit =
        runBlocking {
            // The app's transport, with the network cut and back (the core's setOnline is a
            // hint: opening a link always asks the server).
            val network = NetworkSwitch(OkHttpTransport())
            open("dev-donor-1", transport = network).use { fk -> withViewModels { vms ->
                val link = fk.shareLinks(usFundraiser.fundraiser.id, DonationSource.PROFILE).web
                network.up = false
                val vm = vms.add(LinkViewModel(fk, link))
                val offline = withTimeout(10_000) { vm.state.first { it !is LinkScreenState.Opening } }
                assertEquals(LinkScreenState.Offline, offline)
                network.up = true
                vm.retry()!!.join()
                assertEquals(LinkScreenState.Opened(usFundraiser.fundraiser.id, DonationSource.PROFILE), vm.state.value)
            } }
        }
}

/** The app's transport with a switch: while [up] is false, every request fails as with no network. */
class NetworkSwitch(private val delegate: dev.fundkit.HttpTransport) : dev.fundkit.HttpTransport {
    @Volatile var up = true

    override suspend fun send(request: dev.fundkit.HttpRequest): dev.fundkit.HttpResponse {
        if (!up) throw dev.fundkit.TransportException.Offline("the network is cut (test)")
        return delegate.send(request)
    }
}
