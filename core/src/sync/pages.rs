//! The pages of the feeds as this build reads them: forward compatible.
//!
//! A newer server may send a value this build does not know in one entry of a feed (a
//! donation state such as `refunded`, a new fundraiser category or kind, a field of a new
//! shape). Decoding the page strictly would fail the whole page, every pass, and block the
//! feed for good. Here each entry is decoded on its own: an entry this build cannot read
//! is skipped with a log line (never its content), and the rest of the page is applied and
//! the cursor moves on. The batch and reconcile answers do the same per item
//! (`ItemOutcome::Unknown` is no answer). The wire types (`crate::wire`) stay strict: the
//! reference server writes them.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

use crate::model::Fundraiser;
use crate::wire::{DonationEntry, OwnDonation};

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
