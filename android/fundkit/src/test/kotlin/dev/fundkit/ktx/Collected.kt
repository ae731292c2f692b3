package dev.fundkit.ktx

import java.util.Collections

/** A list other threads append to (listeners, collectors on Dispatchers.Default). */
fun <T> collected(): MutableList<T> = Collections.synchronizedList(mutableListOf())

/**
 * A copy of a [collected] list taken under its lock: iterating one (count, filter, `in`,
 * distinct, a string template) while another thread appends throws
 * ConcurrentModificationException, as CI once saw.
 */
fun <T> List<T>.snapshot(): List<T> = synchronized(this) { toList() }
