// SwiftUI screens over the @Observable view models: they draw state and forward taps. Every
// text comes from the view models (localized by the String Catalog). Apple platforms only
// (SwiftUI does not exist on Linux): compiled by Xcode, not by the Linux CI.
#if canImport(SwiftUI)
import SwiftUI

public struct AvailabilityGate<Content: View>: View {
    let session: FundKitSession
    let action: Action
    @ViewBuilder let content: () -> Content

    public init(session: FundKitSession, action: Action, @ViewBuilder content: @escaping () -> Content) {
        self.session = session
        self.action = action
        self.content = content
    }

    public var body: some View {
        switch gate(session, action) {
        case .open: content()
        case .closed(let reason): Text(Localizer(locale: session.locale).unavailable(reason))
        }
    }
}

public struct CreateFundraiserScreen: View {
    let model: CreateFundraiserViewModel

    public init(model: CreateFundraiserViewModel) { self.model = model }

    public var body: some View {
        Form {
            field("field.title", model.state.title, "title") { v in model.edit { $0.title = v } }
            field("field.story", model.state.story, "story") { v in model.edit { $0.story = v } }
            field("field.goal", model.state.goalText, "goal") { v in model.edit { $0.goalText = v } }
            Picker(model.text.string("field.kind"), selection: Binding(get: { model.kindChoice }, set: { model.choose($0) })) {
                ForEach(KindChoice.allCases) { kind in Text(model.text.kind(kind)).tag(kind) }
            }
            if model.kindChoice == .nonprofit {
                field("field.nonprofit_id", model.nonprofitId, "nonprofit_id") { v in model.nonprofitIdChanged(v) }
            }
            // A nonprofit in the UK: its registered charity, so UK donors may add Gift Aid.
            if model.offersCharity {
                Section {
                    field("field.charity_name", model.state.charityName, "charity_name") { v in model.edit { $0.charityName = v } }
                    field("field.charity_number", model.state.charityNumber, "charity_number") { v in model.edit { $0.charityNumber = v } }
                    if let issues = model.issueText("charity") { Text(issues).font(.caption).foregroundStyle(.red) }
                } footer: {
                    Text(model.text.string("create.charity_hint"))
                }
            }
            if let error = model.state.error { Text(error).foregroundStyle(.red) }
            Button(model.text.string("button.start_fundraiser")) { Task { await model.submit() } }.disabled(model.state.submitting)
        }
    }

    private func field(_ label: String, _ value: String, _ name: String, _ onChange: @escaping (String) -> Void) -> some View {
        VStack(alignment: .leading) {
            TextField(model.text.string(label), text: Binding(get: { value }, set: onChange))
            if let issues = model.issueText(name) { Text(issues).font(.caption).foregroundStyle(.red) }
        }
    }
}

public struct FundraiserScreen: View {
    let model: FundraiserViewModel
    /// The open donate sheet's donation id and fundraiser, saved with the scene: a sheet
    /// restored after the system stopped the app confirms the same donation.
    @SceneStorage("fundkit.donate.id") private var savedDonationId = ""
    @SceneStorage("fundkit.donate.fundraiser") private var savedFundraiserId = ""

    public init(model: FundraiserViewModel) { self.model = model }

    public var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                if let banner = model.state.offlineBanner { Text(banner).font(.footnote).padding(8).background(.yellow.opacity(0.3)) }
                Text(model.state.title).font(.title2).bold().accessibilityAddTraits(.isHeader)
                if let charity = model.state.charityLabel { Text(charity).font(.subheadline).foregroundStyle(.secondary) }
                ProgressView(value: model.state.progress)
                    .accessibilityLabel(Text(model.text.raised(model.state.raisedLabel, of: model.state.goalLabel)))
                Text(model.text.raised(model.state.raisedLabel, of: model.state.goalLabel))
                if let pending = model.state.pendingLabel { Text(pending).foregroundStyle(.secondary) }
                ViewThatFits {
                    HStack { actions }
                    VStack(alignment: .leading) { actions }
                }
                if !model.state.canDonate, let why = model.state.donateUnavailable {
                    Text(why).foregroundStyle(.secondary)
                }
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            .padding()
        }
        .sheet(isPresented: Binding(get: { model.sheet != nil }, set: { if !$0 { close() } })) {
            if let sheet = model.sheet { DonateSheet(model: sheet) }
        }
        .onAppear(perform: restoreSheet)
        .onChange(of: model.state.canDonate) { _, _ in restoreSheet() }
    }

    @ViewBuilder private var actions: some View {
        if model.state.canDonate {
            Button(model.text.string("button.donate")) { open() }.buttonStyle(.borderedProminent)
        }
        if let shared = model.state.shareURL, let url = URL(string: shared) {
            ShareLink(item: url, subject: Text(model.state.title)) {
                Label(model.text.string("button.share"), systemImage: "square.and.arrow.up")
            }
            .accessibilityLabel(Text(model.state.shareAccessibilityLabel ?? model.text.string("button.share")))
        }
    }

    private func open() {
        guard let sheet = model.donate() else { return }
        savedDonationId = sheet.donationId
        savedFundraiserId = model.fundraiserId
    }

    private func close() {
        model.closeDonate()
        savedDonationId = ""
        savedFundraiserId = ""
    }

    /// Reopens the sheet the scene saved, with its donation id, once Donate is offered.
    private func restoreSheet() {
        guard model.sheet == nil, !savedDonationId.isEmpty, savedFundraiserId == model.fundraiserId, model.state.canDonate else { return }
        model.donate(restoring: savedDonationId)
    }
}

public struct DonateSheet: View {
    let model: DonateViewModel

    public init(model: DonateViewModel) { self.model = model }

    public var body: some View {
        Form {
            Section {
                TextField(model.text.string("field.amount"), text: Binding(get: { model.state.amountText }, set: { model.amountChanged($0) }))
                    .fundKitDecimalKeyboard()
                if let error = model.state.amountError {
                    Text(error).font(.caption).foregroundStyle(.red)
                } else if let label = model.state.amountLabel {
                    Text(label).font(.caption)
                }
                TextField(model.text.string("field.message"), text: Binding(get: { model.state.message }, set: { v in model.edit { $0.message = v } }))
                issue("message")
            }
            // Before Confirm: the amount, the fee, what the donor pays and what the fundraiser
            // receives, all from the core's quote. Covering the fee is off until the donor
            // turns it on.
            if let lines = model.state.quoteLines {
                Section {
                    Toggle(isOn: Binding(get: { model.state.coverFee }, set: { model.coverFeeChanged($0) })) {
                        Text(model.state.coverFeeLabel ?? "")
                    }
                    VStack(alignment: .leading, spacing: 4) {
                        Text(lines.amount)
                        Text(lines.fee)
                        Text(lines.total).font(.headline)
                        Text(lines.receives).foregroundStyle(.secondary)
                    }
                    .accessibilityElement(children: .combine)
                }
            }
            if model.state.giftAidOffered { giftAid }
            Section {
                // Disabled while a confirm is in flight and once queued: no double donation;
                // and until the donor has seen the quote.
                Button(model.text.string("button.confirm")) { Task { await model.confirm(paymentToken: "tok_ok") } }
                    .disabled(!model.state.canConfirm || model.state.quote == nil)
                if let result = model.state.resultText { Text(result) }
            }
        }
    }

    /// The Gift Aid declaration, in HMRC's words for the core's wording version.
    @ViewBuilder private var giftAid: some View {
        Section {
            Toggle(isOn: flag(\.add)) { Text(model.state.giftAidLabel ?? model.text.string("gift_aid.title")) }
            if model.state.giftAid.add {
                Toggle(isOn: flag(\.livesInUk)) { Text(model.text.string("field.gift_aid.lives_in_uk")) }
                issue("gift_aid.lives_in_uk")
                TextField(model.text.string("field.gift_aid.first_name"), text: words(\.firstName)).fundKitContentType(.givenName)
                issue("gift_aid.first_name")
                TextField(model.text.string("field.gift_aid.last_name"), text: words(\.lastName)).fundKitContentType(.familyName)
                issue("gift_aid.last_name")
                TextField(model.text.string("field.gift_aid.house"), text: words(\.house)).fundKitContentType(.streetAddress)
                issue("gift_aid.house")
                TextField(model.text.string("field.gift_aid.postcode"), text: words(\.postcode)).fundKitContentType(.postalCode)
                issue("gift_aid.postcode")
                Toggle(isOn: flag(\.ukTaxpayer)) { Text(model.state.giftAidTaxpayerText ?? "") }
                issue("gift_aid.uk_taxpayer")
                Toggle(isOn: flag(\.consent)) { Text(model.state.giftAidConsentText ?? "") }
                issue("gift_aid.consent")
                if let notice = model.state.giftAidNotice { Text(notice).font(.footnote).foregroundStyle(.secondary) }
            }
        } header: {
            Text(model.text.string("gift_aid.title")).accessibilityAddTraits(.isHeader)
        }
    }

    private func flag(_ field: WritableKeyPath<GiftAidForm, Bool>) -> Binding<Bool> {
        Binding(get: { model.state.giftAid[keyPath: field] }, set: { v in model.editGiftAid { $0[keyPath: field] = v } })
    }

    private func words(_ field: WritableKeyPath<GiftAidForm, String>) -> Binding<String> {
        Binding(get: { model.state.giftAid[keyPath: field] }, set: { v in model.editGiftAid { $0[keyPath: field] = v } })
    }

    @ViewBuilder private func issue(_ field: String) -> some View {
        if let issues = model.issueText(field) { Text(issues).font(.caption).foregroundStyle(.red) }
    }
}

/// What the donor types in a field, for the system's autofill (iOS only).
enum FundKitTextContent {
    case givenName, familyName, streetAddress, postalCode
}

extension View {
    @ViewBuilder func fundKitContentType(_ content: FundKitTextContent) -> some View {
        #if os(iOS)
        switch content {
        case .givenName: textContentType(.givenName)
        case .familyName: textContentType(.familyName)
        case .streetAddress: textContentType(.streetAddressLine1)
        case .postalCode: textContentType(.postalCode)
        }
        #else
        self
        #endif
    }

    @ViewBuilder func fundKitDecimalKeyboard() -> some View {
        #if os(iOS)
        keyboardType(.decimalPad)
        #else
        self
        #endif
    }
}

/// Why a link opened nothing (per `LinkProblem`), or that it could not be fetched offline,
/// with Try again where trying again can help.
public struct LinkProblemView: View {
    let model: LinkOpenerViewModel
    let onOpen: @MainActor (AppRoute) -> Void

    public init(model: LinkOpenerViewModel, onOpen: @escaping @MainActor (AppRoute) -> Void) {
        self.model = model
        self.onOpen = onOpen
    }

    public var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "link").font(.largeTitle).accessibilityHidden(true)
            Text(model.state.problemTitle ?? "").font(.title2).bold().multilineTextAlignment(.center).accessibilityAddTraits(.isHeader)
            Text(model.state.problemText ?? "").multilineTextAlignment(.center)
            if model.state.canRetry {
                Button(model.text.string("button.retry")) {
                    Task { if let route = await model.retry() { onOpen(route) } }
                }
                .buttonStyle(.borderedProminent)
            }
            Button(model.text.string("button.close")) { model.dismiss() }
        }
        .padding()
    }
}

public struct PendingDonationsList: View {
    let model: PendingDonationsViewModel

    public init(model: PendingDonationsViewModel) { self.model = model }

    public var body: some View {
        List {
            if model.state.waitingForNetwork { Text(model.text.string("pending.waiting_for_network")) }
            if let error = model.state.syncErrorText { Text(error).foregroundStyle(.red) }
            if let summary = model.state.summary { Text(summary).font(.headline) }
            ForEach(model.state.rows, id: \.id) { row in
                VStack(alignment: .leading) {
                    HStack { Text(row.amountLabel); Spacer(); Text(row.stateLabel) }
                    if let reason = row.reasonText { Text(reason).font(.caption).foregroundStyle(.secondary) }
                }
            }
        }
    }
}

public struct BankStepView: View {
    let model: BankStepViewModel

    public init(model: BankStepViewModel) { self.model = model }

    public var body: some View {
        VStack(spacing: 12) {
            Text(model.message)
            if model.canStart {
                Button(model.text.string(model.attempts == 0 ? "button.continue_to_bank" : "button.retry")) {
                    Task { await model.start() }
                }
            }
        }.padding()
    }
}

public struct OrganiserDashboard: View {
    let model: OrganiserDashboardViewModel

    public init(model: OrganiserDashboardViewModel) { self.model = model }

    public var body: some View {
        List {
            Text(model.state.title).font(.title2)
            if model.state.canEdit {
                HStack {
                    TextField(model.text.string("field.title"), text: Binding(get: { model.state.titleDraft }, set: { model.titleChanged($0) }))
                    Button(model.text.string("button.save_title")) { Task { await model.saveTitle() } }.disabled(model.state.busy)
                }
                if let issues = model.issueText("title") { Text(issues).font(.caption).foregroundStyle(.red) }
            }
            Text(model.state.stateLabel)
            ProgressView(value: model.state.progress)
            Text(model.text.raised(model.state.raisedLabel, of: model.state.goalLabel))
            Text(model.state.donorsLabel)
            if let days = model.state.daysLeftLabel { Text(days) }
            // The organiser's figures (the server's): what they receive, the fees, Gift Aid,
            // and where donors came from.
            if let receives = model.state.receivesLabel { Text(receives).font(.headline) }
            if let fees = model.state.feesLabel { Text(fees) }
            if let count = model.state.giftAidCountLabel { Text(count) }
            if let claimable = model.state.giftAidClaimableLabel { Text(claimable) }
            ForEach(model.state.sourceLabels, id: \.self) { Text($0).foregroundStyle(.secondary) }
            if let reason = model.state.removalReason { Text(model.text.string("dashboard.removed %@", .text(reason))).foregroundStyle(.red) }
            if model.state.issues["duration_days"] != nil { Text(model.text.string("dashboard.extend_limit")) }
            if let error = model.state.error { Text(error).foregroundStyle(.red) }
            HStack {
                Button(model.text.string("button.extend %lld", .count(30))) { Task { await model.extend() } }.disabled(!model.state.canExtend || model.state.busy)
                Button(model.text.string("button.end")) { Task { await model.end() } }.disabled(!model.state.canEnd || model.state.busy)
            }
            ForEach(model.state.donations, id: \.id) { row in
                VStack(alignment: .leading) {
                    HStack { Text(row.name); Spacer(); Text(row.amountLabel) }
                    if let giftAid = row.giftAidLabel { Text(giftAid).font(.caption).foregroundStyle(.secondary) }
                    if let message = row.message { Text(message).font(.caption) }
                }
                .accessibilityElement(children: .combine)
            }
        }
    }
}
#endif
