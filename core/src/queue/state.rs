//! The donation state machine (docs/design.md §3, invariant 3): one enum of events, one
//! `transition` function, used by the store and the sync engine alike. Illegal transitions
//! are typed errors, not comments.
//!
//! ```text
//!            cancel                 expire
//!  cancelled <------- queued -------------> expired
//!                     |    ^                   ^
//!          start_send |    | interrupt         | void (reconciled: the server never
//!                     v    |                   |       charged it and never will)
//!                    sending ------------------+
//!                       |  \--accept------> confirmed <--accept--+
//!                       |   \-reject------> rejected  <--reject--+ (bank step done
//!                       \--needs_action---> needs_action --------+  or abandoned)
//! ```

use crate::error::FundkitError;
use crate::model::DonationState;

/// What happens to a donation. Each event carries what the transition records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A sync pass takes the donation into a batch.
    StartSend,
    /// The server charged it (or had already: a duplicate answer carries the same outcome).
    Accept { received_at_ms: Option<i64> },
    /// The server refused it for good; `code` is for the app to show.
    Reject { code: String },
    /// The bank asks the donor to act; `code` says what.
    NeedsAction {
        code: String,
        action_url: Option<String>,
    },
    /// The pass ended without an answer for it (network, 5xx, 429, crash): back in line.
    Interrupt,
    /// Not sent within the offline window: its payment authorisation has lapsed.
    Expire,
    /// The donor cancelled it before it was sent.
    Cancel,
    /// Reconciliation: the server holds no record of this id and has recorded that it can
    /// never be charged, so the donation ends without reaching the fundraiser.
    Void,
}

impl Event {
    /// The verb used in `FundkitError::IllegalTransition`.
    pub fn action(&self) -> &'static str {
        match self {
            Event::StartSend => "send",
            Event::Accept { .. } => "confirm",
            Event::Reject { .. } => "reject",
            Event::NeedsAction { .. } => "ask for action on",
            Event::Interrupt => "requeue",
            Event::Expire => "expire",
            Event::Cancel => "cancel",
            Event::Void => "void",
        }
    }

    /// The reason recorded on the donation after this event, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Event::Reject { code } | Event::NeedsAction { code, .. } => Some(code),
            Event::Expire => Some("expired_offline"),
            Event::Cancel => Some("cancelled_by_donor"),
            Event::Void => Some("expired_unconfirmed"),
            _ => None,
        }
    }
}

/// The state after `event`, or `IllegalTransition` if `event` cannot happen in `from`.
pub fn transition(from: DonationState, event: &Event) -> Result<DonationState, FundkitError> {
    use DonationState::*;
    let to = match (from, event) {
        (Queued, Event::StartSend) => Sending,
        (Queued, Event::Expire) => Expired,
        (Queued, Event::Cancel) => Cancelled,
        (Sending, Event::Accept { .. }) => Confirmed,
        (Sending, Event::Reject { .. }) => Rejected,
        (Sending, Event::NeedsAction { .. }) => NeedsAction,
        (Sending, Event::Interrupt) => Queued,
        (Sending, Event::Void) => Expired,
        (NeedsAction, Event::Accept { .. }) => Confirmed,
        (NeedsAction, Event::Reject { .. }) => Rejected,
        (state, event) => {
            return Err(FundkitError::IllegalTransition {
                state,
                action: event.action().to_string(),
            })
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DonationState::*;

    fn all_events() -> Vec<Event> {
        vec![
            Event::StartSend,
            Event::Accept {
                received_at_ms: Some(1),
            },
            Event::Reject {
                code: "declined".into(),
            },
            Event::NeedsAction {
                code: "authentication_required".into(),
                action_url: None,
            },
            Event::Interrupt,
            Event::Expire,
            Event::Cancel,
            Event::Void,
        ]
    }

    const ALL_STATES: [DonationState; 7] = [
        Queued,
        Sending,
        Confirmed,
        Rejected,
        NeedsAction,
        Expired,
        Cancelled,
    ];

    /// The whole table: every (state, event) pair is either the documented transition or
    /// an IllegalTransition error naming the state.
    #[test]
    fn full_transition_table() {
        let legal: &[(DonationState, &str, DonationState)] = &[
            (Queued, "send", Sending),
            (Queued, "expire", Expired),
            (Queued, "cancel", Cancelled),
            (Sending, "confirm", Confirmed),
            (Sending, "reject", Rejected),
            (Sending, "ask for action on", NeedsAction),
            (Sending, "requeue", Queued),
            (Sending, "void", Expired),
            (NeedsAction, "confirm", Confirmed),
            (NeedsAction, "reject", Rejected),
        ];
        let mut legal_seen = 0;
        for from in ALL_STATES {
            for event in all_events() {
                let want = legal
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == event.action())
                    .map(|(_, _, to)| *to);
                match (transition(from, &event), want) {
                    (Ok(to), Some(want)) => {
                        assert_eq!(to, want, "{from:?} + {event:?}");
                        legal_seen += 1;
                    }
                    (Err(FundkitError::IllegalTransition { state, action }), None) => {
                        assert_eq!(state, from);
                        assert_eq!(action, event.action());
                    }
                    (got, want) => panic!("{from:?} + {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(legal_seen, legal.len());
    }

    #[test]
    fn final_states_accept_nothing() {
        for from in ALL_STATES.into_iter().filter(|s| s.is_final()) {
            for event in all_events() {
                assert!(transition(from, &event).is_err(), "{from:?} + {event:?}");
            }
        }
    }

    #[test]
    fn cancel_only_before_sending() {
        assert_eq!(transition(Queued, &Event::Cancel).ok(), Some(Cancelled));
        assert!(matches!(
            transition(Sending, &Event::Cancel),
            Err(FundkitError::IllegalTransition { state: Sending, .. })
        ));
    }

    #[test]
    fn reasons_are_recorded() {
        assert_eq!(Event::Expire.reason(), Some("expired_offline"));
        assert_eq!(
            Event::Reject {
                code: "declined".into()
            }
            .reason(),
            Some("declined")
        );
        assert_eq!(Event::StartSend.reason(), None);
    }
}
