package dev.fundkit.app

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters

/** Background sync: one pass of the core's queue and changes feed. */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val fundkit = try {
            (applicationContext as FundkitApp).fundkit()
        } catch (e: Exception) {
            return Result.retry() // FundKit could not open (storage); the app shows why
        }
        val report = fundkit.syncNow()
        // The core already scheduled its own backoff; ask WorkManager to retry only if work is left.
        return if (report.error != null && report.remaining > 0u) Result.retry() else Result.success()
    }
}
