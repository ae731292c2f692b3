//! Whatever a client sends: the server's request decoders return an error or a value that
//! survives a round trip, and the server's own checks (the shared rules) never panic on it.
#![no_main]

use fundkit::model::{FundraiserDraft, FundraiserEdit};
use fundkit::rules::{validate_donation, validate_draft, Limits};
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
