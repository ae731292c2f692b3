//! Whatever a client sends: the server's request decoders return an error or a value that
//! survives a round trip, the server's own checks (the shared rules) never panic on it, and
//! a donation id has one canonical spelling.
#![no_main]

use fundkit::model::{FundraiserDraft, FundraiserEdit};
use fundkit::rules::{canonical_donation_id, validate_donation, validate_draft, Limits};
use fundkit::wire::{BankStepRequest, DonationBatch, ExtendRequest, ReconcileRequest, ReviewRequest};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> Option<T> {
    let value = serde_json::from_slice::<T>(bytes).ok()?;
    let again = serde_json::to_vec(&value).expect("a decoded value encodes");
    assert_eq!(serde_json::from_slice::<T>(&again).ok().as_ref(), Some(&value));
    Some(value)
}

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits::default();
    if let Some(batch) = round_trip::<DonationBatch>(bytes) {
        for item in &batch.donations {
            let _ = validate_donation(&item.as_request(), "USD", &limits);
            // Every spelling of an id has one canonical form, which is its own.
            if let Some(id) = canonical_donation_id(&item.id) {
                assert_eq!(id.len(), 36);
                assert_eq!(canonical_donation_id(&id).as_deref(), Some(id.as_str()));
                assert_eq!(canonical_donation_id(&id.to_uppercase()).as_deref(), Some(id.as_str()));
            }
        }
    }
    if let Some(draft) = round_trip::<FundraiserDraft>(bytes) {
        let _ = validate_draft(&draft, &limits);
    }
    round_trip::<FundraiserEdit>(bytes);
    round_trip::<ReconcileRequest>(bytes);
    round_trip::<ReviewRequest>(bytes);
    round_trip::<ExtendRequest>(bytes);
    round_trip::<BankStepRequest>(bytes);
});
