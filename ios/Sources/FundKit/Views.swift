// SwiftUI screens over the view models: they draw state and forward taps. Apple platforms
// only (SwiftUI does not exist on Linux): compiled by Xcode, not by the Linux CI.
#if canImport(SwiftUI)
import SwiftUI

/// Bridges a view model's state stream to SwiftUI.
@MainActor
final class Observed<State: Sendable>: ObservableObject {
    @Published private(set) var value: State
    private var task: Task<Void, Never>?

    init(_ stream: StateStream<State>) {
        value = stream.value
        task = Task { [weak self] in
            for await next in stream.states() { self?.value = next }
        }
    }

    deinit { task?.cancel() }
}

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
        case .closed(let reason): Text("Not available here yet (\(String(describing: reason))).")
        }
    }
}

public struct CreateFundraiserScreen: View {
    let model: CreateFundraiserViewModel
    @StateObject private var state: Observed<CreateFormState>

    public init(model: CreateFundraiserViewModel) {
        self.model = model
        _state = StateObject(wrappedValue: Observed(model.state))
    }

    public var body: some View {
        Form {
            field("Title", state.value.title, state.value.issues["title"]) { v in model.edit { $0.title = v } }
            field("Story", state.value.story, state.value.issues["story"]) { v in model.edit { $0.story = v } }
            field("Goal", state.value.goalText, state.value.issues["goal"]) { v in model.edit { $0.goalText = v } }
            if let error = state.value.error { Text(error).foregroundStyle(.red) }
            Button("Start fundraiser") { Task { await model.submit() } }.disabled(state.value.submitting)
        }
    }

    private func field(_ label: String, _ value: String, _ issues: [IssueCode]?, _ onChange: @escaping (String) -> Void) -> some View {
        VStack(alignment: .leading) {
            TextField(label, text: Binding(get: { value }, set: onChange))
            if let issues { Text(issues.map { "\($0)" }.joined(separator: ", ")).font(.caption).foregroundStyle(.red) }
        }
    }
}

public struct FundraiserScreen: View {
    @StateObject private var state: Observed<FundraiserScreenState>

    public init(model: FundraiserViewModel) { _state = StateObject(wrappedValue: Observed(model.state)) }

    public var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(state.value.title).font(.title2)
            ProgressView(value: state.value.progress)
            Text("\(state.value.raisedLabel) of \(state.value.goalLabel)")
            if let pending = state.value.pendingLabel { Text(pending).foregroundStyle(.secondary) }
        }.padding()
    }
}

public struct DonateSheet: View {
    let model: DonateViewModel
    @StateObject private var state: Observed<DonateSheetState>

    public init(model: DonateViewModel) {
        self.model = model
        _state = StateObject(wrappedValue: Observed(model.state))
    }

    public var body: some View {
        Form {
            TextField("Amount", text: Binding(get: { state.value.amountText }, set: model.amountChanged))
            Text(state.value.amountLabel ?? state.value.amountError ?? "").font(.caption)
            TextField("Message", text: Binding(get: { state.value.message }, set: { v in model.edit { $0.message = v } }))
            // Disabled while a confirm is in flight and once queued: no double donation.
            Button("Confirm") { Task { await model.confirm(paymentToken: "tok_ok") } }.disabled(!state.value.canConfirm)
            switch state.value.result {
            case .overOfflineLimit(let cap): Text("Offline limit reached (\(String(describing: cap))).")
            case .outOfSpace: Text("Your phone is out of storage. Free some space and try again.")
            case .invalid(let issues): Text(issues.map(\.message).joined(separator: "\n"))
            case .failed: Text("Something went wrong. Your donation was not taken.")
            default: EmptyView()
            }
        }
    }
}

public struct PendingDonationsList: View {
    @StateObject private var state: Observed<PendingListState>

    public init(model: PendingDonationsViewModel) { _state = StateObject(wrappedValue: Observed(model.state)) }

    public var body: some View {
        List {
            if state.value.waitingForNetwork { Text("Waiting for network") }
            ForEach(state.value.rows, id: \.id) { row in
                HStack { Text(row.amountLabel); Spacer(); Text(String(describing: row.state)) }
            }
        }
    }
}

public struct OrganiserDashboard: View {
    let model: OrganiserDashboardViewModel
    @StateObject private var state: Observed<OrganiserDashboardState>

    public init(model: OrganiserDashboardViewModel) {
        self.model = model
        _state = StateObject(wrappedValue: Observed(model.state))
    }

    public var body: some View {
        List {
            Text(state.value.title).font(.title2)
            Text("\(state.value.raisedLabel) raised of \(state.value.goalLabel) · \(state.value.donorCount) donors")
            if state.value.state == .active { Text("\(state.value.daysLeft) days left") }
            if let reason = state.value.removalReason { Text("Removed: \(reason)").foregroundStyle(.red) }
            if state.value.issues["duration_days"] != nil { Text("You can extend to 90 days in all.") }
            HStack {
                Button("Extend 30 days") { Task { await model.extend() } }.disabled(!state.value.canExtend)
                Button("End now") { Task { await model.end() } }.disabled(!state.value.canEnd)
            }
            ForEach(state.value.donations, id: \.id) { row in
                HStack { Text(row.name); Spacer(); Text(row.amountLabel) }
            }
        }
    }
}
#endif
