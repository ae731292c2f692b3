//! Whatever a broken or hostile server answers: the client's decoders return an error or a
//! value, and a value survives a round trip unchanged (nothing is half-read).
#![no_main]

use fundkit::model::Fundraiser;
use fundkit::wire::{ApiError, BatchResult, ChangesPage, DonorsPage, OwnDonationsPage, ServerConfig};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        let again = serde_json::to_vec(&value).expect("a decoded value encodes");
        assert_eq!(serde_json::from_slice::<T>(&again).ok().as_ref(), Some(&value));
    }
}

fuzz_target!(|bytes: &[u8]| {
    round_trip::<BatchResult>(bytes);
    round_trip::<ChangesPage>(bytes);
    round_trip::<OwnDonationsPage>(bytes);
    round_trip::<DonorsPage>(bytes);
    round_trip::<ServerConfig>(bytes);
    round_trip::<ApiError>(bytes);
    round_trip::<Fundraiser>(bytes);
});
