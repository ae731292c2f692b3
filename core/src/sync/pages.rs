//! The pages of the feeds as this build reads them: forward compatible.
//!
//! A newer server may send a value this build does not know in one entry of a feed (a
//! donation state such as `refunded`, a new fundraiser category or kind, a field of a new
//! shape). Decoding the page strictly would fail the whole page, every pass, and block the
//! feed for good. Here each entry is decoded on its own: an entry this build cannot read
//! is skipped with a log line (never its content), and the rest of the page is applied and
//! the cursor moves on. The batch and reconcile answers do the same per item
//! (`ItemOutcome::Unknown` is no answer), and the config drops a platform it does not know
//! from a rollout gate (or, unreadable, the last config is kept). The wire types
//! (`crate::wire`) stay strict: the reference server writes them.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

use crate::model::Fundraiser;
use crate::rollout::Platform;
use crate::wire::{DonationEntry, OwnDonation, ServerConfig};

/// `GET /v1/fundraisers/changes` (`wire::ChangesPage`), entry by entry.
#[derive(Debug, Deserialize)]
pub(crate) struct ChangesPage {
    #[serde(deserialize_with = "readable_entries")]
    pub fundraisers: Vec<Fundraiser>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// `GET /v1/me/donations/changes` (`wire::OwnDonationsPage`), entry by entry.
#[derive(Debug, Deserialize)]
pub(crate) struct OwnDonationsPage {
    #[serde(deserialize_with = "readable_entries")]
    pub donations: Vec<OwnDonation>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// `GET /v1/fundraisers/{id}/donors` (`wire::DonorsPage`), entry by entry.
#[derive(Debug, Deserialize)]
pub(crate) struct DonorsPage {
    #[serde(deserialize_with = "readable_entries")]
    pub donations: Vec<DonationEntry>,
    pub next_cursor: String,
    pub has_more: bool,
    pub donor_count: u64,
}

/// A JSON array whose entries are decoded one by one; an entry this build cannot read is
/// skipped and logged with its id (if it has one) and the decoder's reason.
fn readable_entries<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = Vec::<serde_json::Value>::deserialize(deserializer)?;
    let mut out = Vec::with_capacity(raw.len());
    for value in raw {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_default();
        match T::deserialize(value) {
            Ok(entry) => out.push(entry),
            Err(e) => tracing::warn!(
                id = %id,
                reason = %e,
                entry = std::any::type_name::<T>().rsplit("::").next().unwrap_or(""),
                "a feed entry this build cannot read was skipped"
            ),
        }
    }
    Ok(out)
}

/// `GET /v1/config` as this build reads it. A platform this build does not know in a
/// rollout gate (say `web`) is dropped from the gate: this device is not on it. A config
/// still unreadable after that (a value of a new shape) is `None`: the caller keeps the
/// config it has, with a log line, instead of failing every pass.
pub(crate) fn server_config(mut value: serde_json::Value) -> Option<ServerConfig> {
    for gate in ["create", "donate"] {
        if let Some(platforms) = value
            .get_mut("rollout")
            .and_then(|r| r.get_mut(gate))
            .and_then(|g| g.get_mut("platforms"))
            .and_then(|p| p.as_array_mut())
        {
            platforms.retain(|p| {
                let known = Platform::deserialize(p).is_ok();
                if !known {
                    tracing::warn!(gate, platform = %p, "a platform this build does not know was dropped from the rollout");
                }
                known
            });
        }
    }
    match ServerConfig::deserialize(value) {
        Ok(config) => Some(config),
        Err(e) => {
            tracing::warn!(reason = %e, "the server's config could not be read; the last one is kept");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unreadable_entry_is_skipped_not_fatal() {
        let page: OwnDonationsPage = serde_json::from_str(
            r#"{"donations":[
                {"id":"a","fundraiser_id":"f","amount":{"minor_units":1,"currency":"USD"},
                 "message":null,"visibility":"public","hide_amount":false,"state":"refunded",
                 "code":null,"received_at_ms":1},
                {"id":"b","fundraiser_id":"f","amount":{"minor_units":2,"currency":"USD"},
                 "message":null,"visibility":"public","hide_amount":false,"state":"confirmed",
                 "code":null,"received_at_ms":2}],
              "next_cursor":"c2","has_more":false}"#,
        )
        .unwrap();
        assert_eq!(
            page.donations
                .iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        // The page itself must still be a page: a broken frame is an error.
        assert!(serde_json::from_str::<OwnDonationsPage>(r#"{"donations":{}}"#).is_err());
        assert!(serde_json::from_str::<ChangesPage>(r#"{"fundraisers":[]}"#).is_err());
    }
}
