//! Terminal output shared by the commands and the demo.

use std::sync::Arc;

use fundkit::{AuthProvider, Donation, FundkitClient, FundraiserView, Money};

/// The dev server's bearer tokens are fixed strings; a real app asks its session.
pub struct StaticToken(pub String);

impl AuthProvider for StaticToken {
    fn access_token(&self, _force_refresh: bool) -> Option<String> {
        Some(self.0.clone())
    }
}

pub fn money(client: &FundkitClient, m: &Money) -> String {
    client
        .format_amount(m.clone())
        .unwrap_or_else(|_| format!("{} {}", m.minor_units, m.currency))
}

pub fn donation_line(client: &FundkitClient, d: &Donation) -> String {
    format!(
        "  #{:<3} {:>12}  {:<13} {:<26} {}",
        d.seq,
        money(client, &d.amount),
        d.state.as_str(),
        d.reason.as_deref().unwrap_or(""),
        d.id
    )
}

pub fn fundraiser_line(client: &FundkitClient, v: &FundraiserView) -> String {
    let f = &v.fundraiser;
    let pending = if v.pending_count > 0 {
        format!(
            " (incl. {} pending in {} donation(s))",
            money(client, &v.pending_total),
            v.pending_count
        )
    } else {
        String::new()
    };
    format!(
        "  {} [{}]  {} of {} raised{}  [{}]",
        f.title,
        f.id,
        money(client, &v.displayed_total),
        money(client, &f.goal),
        pending,
        serde_json::to_value(f.state)
            .ok()
            .and_then(|s| s.as_str().map(str::to_owned))
            .unwrap_or_default()
    )
}

pub fn auth(token: &str) -> Arc<dyn AuthProvider> {
    Arc::new(StaticToken(token.to_owned()))
}
