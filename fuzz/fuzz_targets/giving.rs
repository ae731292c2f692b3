//! Links, postcodes, charity numbers and fee quotes on untrusted input (issue 25): a typed
//! answer, never a panic; a normalized value normalizes to itself; a link made is a link
//! read; a quote's parts always add up.
#![no_main]

use fundkit::fees::{quote, FeeModel};
use fundkit::links::{parse_link, share_links};
use fundkit::model::DonationSource;
use fundkit::rules::{normalize_charity_number, normalize_postcode};
use fundkit::wire::LinkConfig;
use fundkit::Money;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, i64, u32, u32, i64, bool)| {
    let (text, host, amount, bps, platform, fixed, cover) = input;
    for normalize in [normalize_postcode, normalize_charity_number] {
        if let Some(once) = normalize(&text) {
            assert_eq!(normalize(&once).as_deref(), Some(once.as_str()), "{text:?}");
        }
    }
    let config = LinkConfig {
        host: if host.is_empty() { "give.example.com".into() } else { host },
        app_scheme: "fundkit".into(),
    };
    if let Ok(target) = parse_link(&config, &text) {
        let again = share_links(&config, &target.fundraiser_id, target.source)
            .expect("an id read from a link makes a link");
        assert_eq!(parse_link(&config, &again.app), Ok(target.clone()), "{text:?}");
        assert_ne!(target.source, DonationSource::Other);
    }
    let model = FeeModel {
        country: "GB".into(),
        currency: "GBP".into(),
        platform_fee_bps: platform,
        processing_fee_bps: bps,
        processing_fee_fixed_minor: fixed,
    };
    if let Ok(money) = Money::new(amount, "GBP") {
        if let Ok(q) = quote(&money, Some(&model), cover) {
            assert_eq!(q.fees.minor_units, q.platform_fee.minor_units + q.processing_fee.minor_units);
            if cover {
                assert_eq!(q.donor_pays.minor_units, amount + q.fees.minor_units);
                assert_eq!(q.organiser_receives.minor_units, amount);
            } else {
                assert_eq!(q.donor_pays.minor_units, amount);
                assert_eq!(q.organiser_receives.minor_units, amount - q.fees.minor_units);
            }
            assert!(q.platform_fee.minor_units >= 0 && q.processing_fee.minor_units >= 0);
        }
    }
});
