// FundKit's HTTP transport over URLSession: the library iOS ships has no HTTP or TLS stack
// of its own (the core's default build), so the app's URLSession carries the bytes of each
// request the core built, and nothing else. Retries, Retry-After, what a status means and
// the rule that a redirect is never followed stay in the core.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import FundKitBindings

/// Sends FundKit's requests with URLSession. Pass a `URLSessionConfiguration` to carry the
/// app's settings (proxy, TLS minimums, protocol classes); certificate pinning goes in
/// `trust`, called for every server-trust challenge (Apple platforms only). Redirects are refused, whatever the
/// configuration: a 3xx comes back to the core as it is.
///
/// Threads: the core awaits `send` from its own sync thread; URLSession calls this
/// transport's delegate on its own serial delegate queue. Cancelling the awaiting task (the
/// core's timeout, the client closing) cancels the URLSession task. The session holds its
/// delegate (this transport) until the app lets both go: make one per app and keep it.
public final class URLSessionTransport: NSObject, HttpTransport, @unchecked Sendable {
    // @unchecked, proved: `session` and `trust` are `let`s set in init; `pending` is read and
    // written only while `lock` is held.
    private let lock = NSLock()
    private var pending: [Int: Pending] = [:]
    private var session: URLSession!
    private let trust: (@Sendable (URLAuthenticationChallenge) -> Bool)?

    public init(configuration: URLSessionConfiguration = .ephemeral,
                trust: (@Sendable (URLAuthenticationChallenge) -> Bool)? = nil) {
        self.trust = trust
        super.init()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "dev.fundkit.transport"
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Offline(detail: "not a URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        let timeout = TimeInterval(request.timeoutMs) / 1000
        // URLSession's own timeout is the longest silence; the seam's is the whole exchange
        // (a server trickling a byte a second never goes silent): both are set, see below.
        urlRequest.timeoutInterval = timeout
        urlRequest.httpShouldHandleCookies = false
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        urlRequest.httpBody = request.body
        let task = session.dataTask(with: urlRequest)
        let id = task.taskIdentifier
        let limit = Int(clamping: request.maxResponseBytes)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HttpResponse, Error>) in
                lock.lock()
                pending[id] = Pending(continuation: continuation, limit: limit, task: task)
                lock.unlock()
                task.resume()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in self?.expire(id) }
            }
        } onCancel: { [weak self] in
            self?.cancel(id)
        }
    }

    private func cancel(_ id: Int) {
        lock.lock()
        let task = pending[id]?.task
        lock.unlock()
        task?.cancel()
    }

    /// The request's whole-exchange timeout passed with no answer: it times out, whatever
    /// trickled in so far.
    private func expire(_ id: Int) {
        guard let p = take(id) else { return } // answered already
        p.task.cancel()
        p.continuation.resume(throwing: TransportError.TimedOut(detail: "no whole answer within the request's timeout"))
    }

    private func take(_ id: Int) -> Pending? {
        lock.lock(); defer { lock.unlock() }
        return pending.removeValue(forKey: id)
    }

    private func with(_ id: Int, _ body: (Pending) -> Void) {
        lock.lock(); defer { lock.unlock() }
        if let p = pending[id] { body(p) }
    }

    /// One request in flight: what came back so far, and who waits for it.
    final class Pending {
        let continuation: CheckedContinuation<HttpResponse, Error>
        let limit: Int
        var response: HTTPURLResponse?
        let task: URLSessionTask
        var body = Data()
        init(continuation: CheckedContinuation<HttpResponse, Error>, limit: Int, task: URLSessionTask) {
            self.continuation = continuation
            self.limit = limit
            self.task = task
        }
    }

    static func classify(_ error: Error) -> TransportError {
        let detail = "\(error.localizedDescription)"
        guard let code = (error as? URLError)?.code else { return .Offline(detail: detail) }
        switch code {
        case .timedOut: return .TimedOut(detail: detail)
        case .cancelled: return .Cancelled(detail: detail)
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
             .clientCertificateRequired,
             // App Transport Security refused plain HTTP: a security refusal, not a missing network.
             .appTransportSecurityRequiresSecureConnection:
            return .Tls(detail: detail)
        default: return .Offline(detail: detail)
        }
    }
}

extension URLSessionTransport: URLSessionDataDelegate {
    public func urlSession(_ session: URLSession, task: URLSessionTask,
                           willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
                           completionHandler: @escaping (URLRequest?) -> Void) {
        // Never followed: the 3xx itself is the answer the core classifies.
        with(task.taskIdentifier) { $0.response = response }
        completionHandler(nil)
    }

    #if !canImport(FoundationNetworking)
    // Certificate pinning (Apple platforms: swift-corelibs-foundation has no server-trust
    // challenges).
    public func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                           completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        guard let trust, challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust else {
            return completionHandler(.performDefaultHandling, nil)
        }
        completionHandler(trust(challenge) ? .performDefaultHandling : .cancelAuthenticationChallenge, nil)
    }
    #endif

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        with(dataTask.taskIdentifier) { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        var over = false
        with(dataTask.taskIdentifier) { p in
            // At most one byte past the core's limit: enough for it to refuse the answer.
            p.body.append(data.prefix(max(0, p.limit + 1 - p.body.count)))
            over = p.body.count > p.limit
        }
        if over {
            // Enough read: answer now with what came; the core refuses it as too large.
            if let p = take(dataTask.taskIdentifier) { p.continuation.resume(with: Self.answer(p)) }
            dataTask.cancel()
        }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let p = take(task.taskIdentifier) else { return }
        // A refused redirect is the answer, even where URLSession reports it as an error.
        if let error, !Self.isRedirect(p.response) {
            return p.continuation.resume(throwing: Self.classify(error))
        }
        p.continuation.resume(with: Self.answer(p))
    }

    static func isRedirect(_ response: HTTPURLResponse?) -> Bool {
        guard let status = response?.statusCode else { return false }
        return (300..<400).contains(status)
    }

    static func answer(_ p: Pending) -> Result<HttpResponse, Error> {
        guard let response = p.response else {
            return .failure(TransportError.Offline(detail: "no response"))
        }
        var headers: [HttpHeader] = []
        for (name, value) in response.allHeaderFields {
            headers.append(HttpHeader(name: "\(name)", value: "\(value)"))
        }
        return .success(HttpResponse(status: UInt16(clamping: response.statusCode), headers: headers, body: p.body))
    }
}
