//! The offline donation queue.
//!
//! A donor taps "Donate" on a train with no signal. From that moment:
//!
//! * **Durable before acknowledged.** `donate` validates the request (rules, rollout, the
//!   offline caps), gives it a UUIDv7 id (its idempotency key for life) and commits it to
//!   SQLite (WAL, `synchronous=FULL`) in state `queued`. Only then does it return. A crash
//!   or a kill at any instant loses no donation that `donate` returned.
//! * **Order.** Every donation gets a local sequence number (`seq`) when it is committed.
//!   Sync passes send queued donations in `seq` order, in batches of up to 100, never in
//!   device-clock order.
//! * **One state machine** ([`state`]): queued -> sending -> confirmed | rejected |
//!   needs_action; queued -> expired | cancelled; sending -> queued when a pass ends without
//!   an answer. Each transition is one transaction with its cause and time, logged in the
//!   donation's row (`log`). A donation that leaves the queue for good has its payment token
//!   erased in that same transaction.
//! * **Independence.** Donations do not block each other: a rejected donation ends only
//!   itself. A transient failure (network, timeout, 5xx, 429) ends the pass; the donations
//!   of the failed batch go back to `queued`, in order, and wait for the next pass.
//! * **Crash recovery.** At start-up, donations caught in `sending` by a crash go back to
//!   `queued` and are sent again; the server answers a repeat with the original outcome.
//! * **Caps and expiry** (docs/design.md §2). A donation made while the host says it is offline
//!   must fit the offline caps: at most 250 for one, at most 1,000 per currency and 50 in
//!   number for everything pending. A donation made online is queued the same way but sent
//!   at once, so only the count cap applies to it. A queued donation never attempted
//!   within 24 hours expires (its payment authorisation has lapsed), is never sent, and the
//!   listener hears of it. One that was attempted may already be on the server: it is not
//!   expired locally but resent, and the server's answer decides.
//! * **Cancellation** is possible only while the donation is `queued`.
//! * **Observability.** Every change reaches the app's listener (see `client`).

pub mod state;

use crate::error::{FundkitError, OfflineCap};
use crate::money::Money;
use crate::rules::Limits;

/// What is pending (queued or sending) when a new donation is checked against the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingSummary {
    pub count: u32,
    /// Sum of pending donations in the new donation's currency, in minor units.
    pub total_minor: i64,
}

/// Checks a new donation against the queue caps, given what is already pending.
/// `offline` is the host's view of the network when the donor confirmed.
pub(crate) fn check_caps(
    amount: &Money,
    pending: PendingSummary,
    limits: &Limits,
    offline: bool,
) -> Result<(), FundkitError> {
    if pending.count >= limits.offline_max_count {
        return Err(FundkitError::OfflineLimit {
            cap: OfflineCap::Count,
        });
    }
    if !offline {
        return Ok(());
    }
    let single_max = Money::from_major(limits.offline_max_single_major, &amount.currency)?;
    if amount.minor_units > single_max.minor_units {
        return Err(FundkitError::OfflineLimit {
            cap: OfflineCap::SingleAmount,
        });
    }
    let total_max = Money::from_major(limits.offline_max_total_major, &amount.currency)?;
    let total = pending
        .total_minor
        .checked_add(amount.minor_units)
        .ok_or(crate::money::MoneyError::Overflow)?;
    if total > total_max.minor_units {
        return Err(FundkitError::OfflineLimit {
            cap: OfflineCap::TotalAmount,
        });
    }
    Ok(())
}

/// The moment before which a never-attempted queued donation has expired.
pub(crate) fn expiry_cutoff(now_ms: i64, limits: &Limits) -> i64 {
    now_ms.saturating_sub(i64::from(limits.offline_expiry_hours).saturating_mul(3_600_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(major: i64) -> Money {
        Money {
            minor_units: major * 100,
            currency: "USD".into(),
        }
    }

    fn pending(count: u32, total_major: i64) -> PendingSummary {
        PendingSummary {
            count,
            total_minor: total_major * 100,
        }
    }

    #[test]
    fn offline_single_cap_is_250() {
        let l = Limits::default();
        assert_eq!(check_caps(&usd(250), pending(0, 0), &l, true), Ok(()));
        let just_over = Money {
            minor_units: 25_001,
            currency: "USD".into(),
        };
        assert_eq!(
            check_caps(&just_over, pending(0, 0), &l, true),
            Err(FundkitError::OfflineLimit {
                cap: OfflineCap::SingleAmount
            })
        );
    }

    #[test]
    fn offline_total_cap_is_1000_per_currency() {
        let l = Limits::default();
        assert_eq!(check_caps(&usd(250), pending(3, 750), &l, true), Ok(()));
        assert_eq!(
            check_caps(
                &Money {
                    minor_units: 1,
                    currency: "USD".into()
                },
                pending(4, 1000),
                &l,
                true
            ),
            Err(FundkitError::OfflineLimit {
                cap: OfflineCap::TotalAmount
            })
        );
    }

    #[test]
    fn count_cap_is_50_online_or_not() {
        let l = Limits::default();
        assert_eq!(check_caps(&usd(1), pending(49, 49), &l, true), Ok(()));
        for offline in [true, false] {
            assert_eq!(
                check_caps(&usd(1), pending(50, 50), &l, offline),
                Err(FundkitError::OfflineLimit {
                    cap: OfflineCap::Count
                })
            );
        }
    }

    #[test]
    fn online_donations_skip_amount_caps() {
        let l = Limits::default();
        assert_eq!(check_caps(&usd(10_000), pending(0, 0), &l, false), Ok(()));
        assert_eq!(
            check_caps(&usd(5_000), pending(1, 5_000), &l, false),
            Ok(())
        );
    }

    #[test]
    fn expiry_cutoff_is_24_hours_back() {
        let l = Limits::default();
        assert_eq!(expiry_cutoff(100 * 3_600_000, &l), 76 * 3_600_000);
        assert_eq!(expiry_cutoff(i64::MIN, &l), i64::MIN);
    }
}
