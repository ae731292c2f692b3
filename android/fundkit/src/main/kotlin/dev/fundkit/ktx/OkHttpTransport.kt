package dev.fundkit.ktx

import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native
import dev.fundkit.HttpHeader
import dev.fundkit.HttpRequest
import dev.fundkit.HttpResponse
import dev.fundkit.HttpTransport
import dev.fundkit.TransportException
import dev.fundkit.uniffiCallbackInterfaceHttpTransport
import dev.fundkit.uniffiForeignFutureFreeImpl
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.Headers
import okhttp3.MediaType.Companion.toMediaTypeOrNull
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import okio.Buffer
import java.io.IOException
import java.io.InterruptedIOException
import java.net.InetAddress
import java.net.Socket
import java.net.SocketTimeoutException
import java.net.UnknownServiceException
import java.util.concurrent.TimeUnit
import javax.net.SocketFactory
import javax.net.ssl.SSLException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * FundKit's [HttpTransport] over OkHttp: the bytes of each request the core built go
 * through the app's HTTP stack, and nothing else. Retries, Retry-After, what a status
 * means and the rule that a redirect is never followed stay in the core.
 *
 * Pass the app's own [OkHttpClient] so its interceptors, certificate pinning, proxy and
 * connection pool apply; FundKit derives a client from it ([OkHttpClient.newBuilder], so
 * the pool and dispatcher are shared) that follows no redirect, whatever the app's client
 * does, and whose sockets send without Nagle's delay ([NoDelaySocketFactory], over the
 * app's own socket factory). Each call runs on OkHttp's dispatcher threads; the core awaits it from its own
 * sync thread. Cancelling the coroutine (the core's timeout, the client closing) cancels
 * the call.
 */
class OkHttpTransport(client: OkHttpClient = OkHttpClient()) : HttpTransport {
    companion object {
        init {
            keepFundKitThreadsAttached()
        }
    }

    private val client: OkHttpClient =
        client.newBuilder()
            .followRedirects(false)
            .followSslRedirects(false)
            .socketFactory(NoDelaySocketFactory(client.socketFactory))
            .build()

    override suspend fun send(request: HttpRequest): HttpResponse {
        val call = client.newCall(request.toOkHttp())
        call.timeout().timeout(request.timeoutMs.toLong(), TimeUnit.MILLISECONDS)
        val limit = request.maxResponseBytes.toLong()
        return suspendCancellableCoroutine { continuation ->
            continuation.invokeOnCancellation { call.cancel() }
            call.enqueue(
                object : Callback {
                    override fun onFailure(call: Call, e: IOException) {
                        continuation.resumeWithException(classify(call, e))
                    }

                    override fun onResponse(call: Call, response: Response) {
                        // Read here, on OkHttp's thread (blocking I/O), at most one byte
                        // past the core's limit: enough for it to refuse the answer.
                        val result =
                            try {
                                response.use { it.toFundKit(limit) }
                            } catch (e: IOException) {
                                continuation.resumeWithException(classify(call, e))
                                return
                            }
                        continuation.resume(result)
                    }
                },
            )
        }
    }

    private fun HttpRequest.toOkHttp(): Request {
        val headers = Headers.Builder()
        for (h in this.headers) headers.add(h.name, h.value)
        val contentType = this.headers.firstOrNull { it.name.equals("Content-Type", ignoreCase = true) }?.value
        val body =
            when {
                this.body != null -> this.body!!.toRequestBody(contentType?.toMediaTypeOrNull())
                method == "POST" || method == "PATCH" || method == "PUT" -> ByteArray(0).toRequestBody(null)
                else -> null
            }
        return Request.Builder()
            .url(url)
            .headers(headers.build())
            .method(method, body)
            .build()
    }

    private fun Response.toFundKit(limit: Long): HttpResponse {
        val source = body.source()
        val buffer = Buffer()
        while (buffer.size <= limit) {
            if (source.read(buffer, 8192) == -1L) break
        }
        return HttpResponse(
            status = code.toUShort(),
            headers = headers.map { (name, value) -> HttpHeader(name, value) },
            body = buffer.readByteArray(),
        )
    }

    private fun classify(call: Call, e: IOException): TransportException {
        val detail = "${e.javaClass.simpleName}: ${e.message.orEmpty()}"
        return when {
            // The call timeout first: when it fires OkHttp cancels the call itself (RealCall's
            // timeout cancels it), so a timed-out call is cancelled too. It then fails with
            // InterruptedIOException("timeout") (the read and connect timeouts with
            // SocketTimeoutException); a cancellation alone (the coroutine cancelled, or
            // call.cancel()) fails with "Canceled" or a closed socket.
            e is SocketTimeoutException -> TransportException.TimedOut(detail)
            e is InterruptedIOException && e.message == "timeout" -> TransportException.TimedOut(detail)
            call.isCanceled() -> TransportException.Cancelled(detail)
            e is SSLException -> TransportException.Tls(detail)
            // Plain HTTP the app's policy forbids (its Network Security Config, or a client
            // without ConnectionSpec.CLEARTEXT): a security refusal, not a missing network.
            e is UnknownServiceException -> TransportException.Tls(detail)
            else -> TransportException.Offline(detail)
        }
    }
}

/**
 * The app's socket factory, with Nagle's algorithm off (TCP_NODELAY) on each socket it
 * makes; OkHttp leaves it on. A batch request leaves in pieces (the headers, then a body of
 * tens of KB); with Nagle on, the last piece, smaller than a segment, waits until the server
 * acknowledges what went before, and a server delaying its ACK (Linux: 40 ms) holds it that
 * long. Measured on loopback (docs/performance.md, "The transport seam"): a batch request
 * took about 60 ms through OkHttp against 26 ms through reqwest, which sets TCP_NODELAY.
 * TLS is layered over these sockets, so it applies to HTTPS too. (OkHttp reuses a pooled
 * connection whatever socket factory made it: one the app's own client opened to the same
 * server may still carry FundKit's requests, with the app's settings.)
 */
internal class NoDelaySocketFactory(private val inner: SocketFactory) : SocketFactory() {
    private fun Socket.noDelay(): Socket = apply { tcpNoDelay = true }

    override fun createSocket(): Socket = inner.createSocket().noDelay()

    override fun createSocket(host: String, port: Int): Socket = inner.createSocket(host, port).noDelay()

    override fun createSocket(host: String, port: Int, localHost: InetAddress, localPort: Int): Socket =
        inner.createSocket(host, port, localHost, localPort).noDelay()

    override fun createSocket(host: InetAddress, port: Int): Socket = inner.createSocket(host, port).noDelay()

    override fun createSocket(address: InetAddress, port: Int, localAddress: InetAddress, localPort: Int): Socket =
        inner.createSocket(address, port, localAddress, localPort).noDelay()
}

/**
 * The core calls [HttpTransport.send] from its own sync thread, a native thread the JVM
 * does not know. By default JNA attaches such a thread to the JVM for each call into Kotlin
 * (a new `java.lang.Thread`, stack guard pages) and detaches it on return: twice per request
 * (the call, and UniFFI releasing the finished call's future), about a tenth of a
 * millisecond each, a third of what crossing the FFI cost a batch request
 * (docs/performance.md). Attached once and left attached, the thread pays it once; JNA
 * detaches it when the thread ends (the client closing).
 *
 * UniFFI's release callback is the hook: JNA reads a callback's thread initializer when it
 * first hands the callback to native code, and UniFFI hands over its release callback only
 * with the first call of an async foreign method (HttpTransport's `send` is the only one).
 * [FundKit.open] with a transport, and this class when it loads, set it before any request,
 * so it always takes: the thread that first runs the callback stays attached, and every
 * later call from that thread, `send` included, finds it attached. (`send`'s own callback
 * was handed over when the library loaded: its initializer takes only if no FundKit call
 * came first.) Idempotent.
 */
internal fun keepFundKitThreadsAttached() {
    val keep = CallbackThreadInitializer(true, false, FUNDKIT_NATIVE_THREAD)
    Native.setCallbackThreadInitializer(uniffiForeignFutureFreeImpl, keep)
    Native.setCallbackThreadInitializer(uniffiCallbackInterfaceHttpTransport.`send`, keep)
}

/** What the JVM calls FundKit's native threads once they are attached for good. */
internal const val FUNDKIT_NATIVE_THREAD = "fundkit-native"
