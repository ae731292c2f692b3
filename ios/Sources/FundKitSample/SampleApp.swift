// The sample app: a SwiftUI App over FundKit, with the network path (NWPathMonitor) feeding
// `setOnline` and a background app refresh running one sync pass. SwiftUI, Network and
// BackgroundTasks exist on Apple platforms only: there this is the app; on Linux the target
// builds a stub, and the logic it calls (Connectivity, BackgroundRefresh, the view models)
// is in FundKit and tested there.
//
// To run it on a device, put it in an Xcode iOS app target: add
// `BGTaskSchedulerPermittedIdentifiers` = [BackgroundRefresh.taskIdentifier], the `fetch`
// background mode, `FundKitServerURL` (a release build's https server) and the `fundkit`
// URL scheme (the bank step's return address, and the app's own fundraiser links) to its
// Info.plist, and FundKitSample.entitlements as
// the target's Code Signing Entitlements: Associated Domains `applinks:<host>`, where
// <host> is the server's share-link host (its /.well-known/apple-app-site-association
// names this app), so https share links open in the app (Universal Links).
import FundKit
import Foundation

/// The sample's settings: the server (a local `fundkit serve` in debug builds) and a demo donor.
enum SampleSettings {
    #if DEBUG
    /// Plain HTTP to the loopback host: the only plain HTTP the core accepts, and App
    /// Transport Security does not cover IP-address hosts, so no ATS exception is needed.
    static let serverUrl = "http://127.0.0.1:8080"
    #else
    /// A release build talks HTTPS to the deployment's server (Info.plist `FundKitServerURL`).
    static let serverUrl = Bundle.main.object(forInfoDictionaryKey: "FundKitServerURL") as? String
        ?? "https://fundraisers.example.org"
    #endif
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
    /// A link the app was opened with (a Universal Link, the app's scheme): kept until the
    /// session is open, so a link that launched the app is not lost while FundKit opens.
    @State private var openedURL: URL?
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            Group {
                if let session {
                    SampleHome(session: session, openedURL: $openedURL)
                } else {
                    ProgressView()
                }
            }
            .onOpenURL { url in openedURL = url }
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
    @Binding var openedURL: URL?
    @State private var pending: PendingDonationsViewModel?
    @State private var links: LinkOpenerViewModel?
    @State private var path: [AppRoute] = []
    /// The navigation path, saved with the scene and restored when the system relaunches it.
    @SceneStorage("fundkit.path") private var savedPath = Data()

    var body: some View {
        NavigationStack(path: $path) {
            Group {
                if let pending { PendingDonationsList(model: pending) }
            }
            .navigationTitle("FundKit")
            .navigationDestination(for: AppRoute.self) { route in RouteScreen(session: session, route: route) }
            .task {
                if pending == nil { pending = PendingDonationsViewModel(session: session) }
                if links == nil { links = LinkOpenerViewModel(session: session) }
                if path.isEmpty, let restored = try? JSONDecoder().decode([AppRoute].self, from: savedPath) { path = restored }
            }
        }
        .onChange(of: path) { _, path in savedPath = (try? JSONEncoder().encode(path)) ?? Data() }
        // Universal Links (https://<link host>/f/<id>) and the app's own scheme
        // (fundkit://fundraiser/<id>) both arrive through `.onOpenURL` (on the app's root);
        // the core reads the link and the server says whether this user may see the fundraiser.
        .task(id: openedURL) {
            guard let url = openedURL else { return }
            let opener = links ?? LinkOpenerViewModel(session: session)
            links = opener
            if let route = await opener.open(url) { path.append(route) }
            // Cleared once handled (clearing it first would cancel this task).
            if openedURL == url { openedURL = nil }
        }
        .overlay {
            if let opening = links?.state.openingText { ProgressView(opening).padding().background(.regularMaterial) }
        }
        .sheet(isPresented: Binding(get: { links?.state.failed == true }, set: { if !$0 { links?.dismiss() } })) {
            if let links { LinkProblemView(model: links) { route in links.dismiss(); path.append(route) } }
        }
    }
}

/// One screen of the path; its view model lives as long as the screen is on the stack.
struct RouteScreen: View {
    let session: FundKitSession
    let route: AppRoute
    @State private var fundraiser: FundraiserViewModel?
    @State private var dashboard: OrganiserDashboardViewModel?
    @State private var pending: PendingDonationsViewModel?

    var body: some View {
        Group {
            switch route {
            case .fundraiser:
                if let fundraiser { FundraiserScreen(model: fundraiser) }
            case .dashboard:
                if let dashboard { OrganiserDashboard(model: dashboard) }
            case .pending:
                if let pending { PendingDonationsList(model: pending) }
            }
        }
        .task {
            switch route {
            case .fundraiser(let id, _):
                // A donation made from a link records where the link was shared.
                if fundraiser == nil { fundraiser = FundraiserViewModel(session: session, fundraiserId: id, source: route.source(in: session)) }
            case .dashboard(let id):
                if dashboard == nil { dashboard = OrganiserDashboardViewModel(session: session, fundraiserId: id) }
            case .pending:
                if pending == nil { pending = PendingDonationsViewModel(session: session) }
            }
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
