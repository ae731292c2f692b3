package dev.fundkit.ktx

import dev.fundkit.Charity
import dev.fundkit.HttpRequest
import dev.fundkit.HttpResponse
import dev.fundkit.HttpTransport
import java.util.concurrent.ConcurrentHashMap

/**
 * The app's transport ([OkHttpTransport], as the Android app has it) to the real reference
 * server, for the tests of issue 25's Gift Aid: the core takes a registered charity on a UK
 * nonprofit fundraiser (`FundraiserDraft.charity`), but the reference server does not keep it
 * yet (its side of issue 25 is still landing), so every fundraiser comes back without one and
 * the core rightly says `CHARITY_NOT_REGISTERED`. Until the server keeps it, this adds the
 * charity the organiser registered to the server's answers about that fundraiser, exactly as
 * the server will send it (`"charity":{"name":...,"number":...}` on the fundraiser). Once the
 * server sends a charity itself, this changes nothing.
 */
class CharityOnServer(private val delegate: HttpTransport = OkHttpTransport()) : HttpTransport {
    private val charities = ConcurrentHashMap<String, Charity>()

    /** Fundraiser [id] raises for [charity] (what its organiser registered on the draft). */
    fun register(id: String, charity: Charity) {
        charities[id] = charity
    }

    override suspend fun send(request: HttpRequest): HttpResponse {
        val response = delegate.send(request)
        if (charities.isEmpty()) return response
        var body = response.body.toString(Charsets.UTF_8)
        if (body.contains("\"charity\":")) return response
        var changed = false
        for ((id, charity) in charities) {
            // A fundraiser object is the one whose own "id" is the fundraiser's (a donation names it "fundraiser_id").
            val key = "\"id\":\"$id\","
            if (body.contains(key)) {
                body = body.replace(key, key + "\"charity\":{\"name\":${json(charity.name)},\"number\":${json(charity.number)}},")
                changed = true
            }
        }
        return if (changed) response.copy(body = body.toByteArray(Charsets.UTF_8)) else response
    }

    private fun json(s: String) = "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
}
