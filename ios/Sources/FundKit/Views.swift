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
    @State private var sheet: DonateViewModel?

    public init(model: FundraiserViewModel) { self.model = model }

    public var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if let banner = model.state.offlineBanner { Text(banner).font(.footnote).padding(8).background(.yellow.opacity(0.3)) }
            Text(model.state.title).font(.title2)
            ProgressView(value: model.state.progress)
            Text(model.text.raised(model.state.raisedLabel, of: model.state.goalLabel))
            if let pending = model.state.pendingLabel { Text(pending).foregroundStyle(.secondary) }
            if model.state.canDonate {
                Button(model.text.string("button.donate")) { sheet = model.donate() }.buttonStyle(.borderedProminent)
            } else if let why = model.state.donateUnavailable {
                Text(why).foregroundStyle(.secondary)
            }
        }
        .padding()
        .sheet(isPresented: Binding(get: { sheet != nil }, set: { if !$0 { sheet = nil } })) {
            if let sheet { DonateSheet(model: sheet) }
        }
    }
}

public struct DonateSheet: View {
    let model: DonateViewModel

    public init(model: DonateViewModel) { self.model = model }

    public var body: some View {
        Form {
            TextField(model.text.string("field.amount"), text: Binding(get: { model.state.amountText }, set: { model.amountChanged($0) }))
            Text(model.state.amountLabel ?? model.state.amountError ?? "").font(.caption)
            TextField(model.text.string("field.message"), text: Binding(get: { model.state.message }, set: { v in model.edit { $0.message = v } }))
            if let issues = model.issueText("message") { Text(issues).font(.caption).foregroundStyle(.red) }
            // Disabled while a confirm is in flight and once queued: no double donation.
            Button(model.text.string("button.confirm")) { Task { await model.confirm(paymentToken: "tok_ok") } }.disabled(!model.state.canConfirm)
            if let result = model.state.resultText { Text(result) }
        }
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
                    if let message = row.message { Text(message).font(.caption) }
                }
            }
        }
    }
}
#endif
