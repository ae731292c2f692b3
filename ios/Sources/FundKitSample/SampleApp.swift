// The sample app: a SwiftUI App over FundKit, with the network path (NWPathMonitor) feeding
// `setOnline` and a background app refresh running one sync pass. SwiftUI, Network and
// BackgroundTasks exist on Apple platforms only: there this is the app; on Linux the target
// builds a stub, and the logic it calls (Connectivity, BackgroundRefresh, the view models)
// is in FundKit and tested there.
//
// To run it on a device, put it in an Xcode iOS app target: add
// `BGTaskSchedulerPermittedIdentifiers` = [BackgroundRefresh.taskIdentifier] and the
// `fetch` background mode to its Info.plist, and the `fundkit` URL scheme (the bank step's
// return address).
import FundKit
import Foundation

/// The sample's settings: a local reference server (`fundkit serve`) and a demo donor.
enum SampleSettings {
    static let serverUrl = "http://127.0.0.1:8080"
    static let token = "dev-donor-1"

    static func config() -> ClientConfig {
        let support = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask).first
            ?? URL(fileURLWithPath: NSTemporaryDirectory())
        return ClientConfig(databasePath: support.appendingPathComponent("FundKit/fundkit.db").path, serverUrl: serverUrl,
                            user: UserContext(country: "US", platform: .ios, ageYears: 30),
                            locale: Locale.current.identifier.replacingOccurrences(of: "_", with: "-"),
                            online: true, backgroundSync: true)
    }
}

#if canImport(SwiftUI) && canImport(BackgroundTasks) && canImport(Network)
import BackgroundTasks
import SwiftUI

@main
struct FundKitSampleApp: App {
    @State private var session: FundKitSession?
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            Group {
                if let session {
                    SampleHome(session: session)
                } else {
                    ProgressView()
                }
            }
            .task {
                guard session == nil, let opened = try? await FundKitSession.open(config: SampleSettings.config(),
                                                                                  tokens: { _ in SampleSettings.token },
                                                                                  transport: URLSessionTransport()) else { return }
                session = opened
                // The network path feeds the core's online flag for as long as the app runs.
                Connectivity.feed(opened, from: Connectivity.pathUpdates())
            }
        }
        .onChange(of: scenePhase) { _, phase in
            if phase == .background { Self.scheduleRefresh() }
        }
        // The system wakes the app now and then: one sync pass sends what is queued.
        .backgroundTask(.appRefresh(BackgroundRefresh.taskIdentifier)) {
            Self.scheduleRefresh()
            // One client per database file: use the app's session while it is open.
            if let open = await MainActor.run(body: { session }) {
                _ = await BackgroundRefresh.run(open)
                return
            }
            guard let session = try? await FundKitSession.open(config: SampleSettings.config(),
                                                               tokens: { _ in SampleSettings.token },
                                                               transport: URLSessionTransport()) else { return }
            _ = await BackgroundRefresh.run(session)
            session.close()
        }
    }

    // nonisolated: called from the background task (not on the main actor) as well.
    nonisolated static func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: BackgroundRefresh.taskIdentifier)
        request.earliestBeginDate = BackgroundRefresh.earliestBeginDate()
        try? BGTaskScheduler.shared.submit(request)
    }
}

struct SampleHome: View {
    let session: FundKitSession
    @State private var pending: PendingDonationsViewModel?

    var body: some View {
        NavigationStack {
            Group {
                if let pending { PendingDonationsList(model: pending) }
            }
            .navigationTitle("FundKit")
            .task { pending = PendingDonationsViewModel(session: session) }
        }
    }
}
#else
@main
enum FundKitSampleStub {
    static func main() {
        // Not an app here: SwiftUI is Apple-only. Prints where the sample would connect.
        print("FundKitSample needs SwiftUI (Apple platforms); its logic is tested in FundKitTests. Server: \(SampleSettings.serverUrl)")
    }
}
#endif
