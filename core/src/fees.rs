//! What a donation costs and who keeps what, before the donor pays (docs/fees.md).
//!
//! The server's config carries one [`FeeModel`] per country; the fundraiser's country picks
//! it. Every fee is worked out on the donation's amount (never on another fee, never on Gift
//! Aid) in integer minor units of the fundraiser's currency:
//!
//! - platform fee = amount x `platform_fee_bps` / 10,000, rounded half up to a minor unit;
//! - processing fee = amount x `processing_fee_bps` / 10,000, rounded half up, plus
//!   `processing_fee_fixed_minor`;
//! - the donor may choose to cover both (off unless the donor turns it on; there is no tip):
//!   then the donor pays amount + fees and the organiser receives the amount; otherwise the
//!   donor pays the amount and the organiser receives amount - fees.
//!
//! The device shows this quote before Confirm, and the batch item carries what the donor
//! agreed to pay: the server works the same quote out from its own config and refuses the
//! item (`fee_changed`, nothing charged) if the two differ, so nobody is charged a sum
//! they were not shown and no client can pay less than the fees.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// One country's fees (the server's config; the launch defaults are `FeeModel::launch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FeeModel {
    /// ISO 3166-1 alpha-2 code of the fundraiser's country.
    pub country: String,
    /// ISO 4217 code of that country's currency; `processing_fee_fixed_minor` is in it.
    pub currency: String,
    /// The platform's own fee, in basis points of the donation (100 = 1%).
    pub platform_fee_bps: u32,
    /// The payment processor's fee: basis points of the donation...
    pub processing_fee_bps: u32,
    /// ...plus this fixed amount, in minor units of `currency`.
    pub processing_fee_fixed_minor: i64,
}

impl FeeModel {
    /// The launch markets' fees: no platform fee, and the payment processing fee the
    /// fundraising platforms there publish (US 2.9% + 30 cents, UK 1.9% + 20p, Ireland
    /// 2.9% + 25 cents). The reference server's default config; a real deployment sets its own.
    pub fn launch() -> Vec<FeeModel> {
        let model = |country: &str, currency: &str, bps: u32, fixed: i64| FeeModel {
            country: country.into(),
            currency: currency.into(),
            platform_fee_bps: 0,
            processing_fee_bps: bps,
            processing_fee_fixed_minor: fixed,
        };
        vec![
            model("US", "USD", 290, 30),
            model("GB", "GBP", 190, 20),
            model("IE", "EUR", 290, 25),
        ]
    }
}

/// What one donation costs and who keeps what, all in the fundraiser's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FeeQuote {
    /// The donation: what the donor gives to the cause (and what its total counts).
    pub amount: Money,
    pub platform_fee: Money,
    pub processing_fee: Money,
    /// `platform_fee + processing_fee`.
    pub fees: Money,
    /// The donor chose to cover the fees.
    pub cover_fee: bool,
    /// What the donor's payment method is charged: `amount`, plus `fees` when covered.
    pub donor_pays: Money,
    /// What the organiser receives: `amount`, less `fees` unless covered.
    pub organiser_receives: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("the fee model is in {model}, the donation in {donation}")]
    CurrencyMismatch { model: String, donation: String },
    #[error("a fee rate or amount is negative or out of range")]
    BadModel,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// `amount x bps / 10,000`, rounded half up to a minor unit (amounts are never negative).
fn share(amount_minor: i64, bps: u32) -> Result<i64, FeeError> {
    let exact = i128::from(amount_minor) * i128::from(bps);
    let rounded = (exact + 5_000) / 10_000;
    i64::try_from(rounded).map_err(|_| FeeError::Money(MoneyError::Overflow))
}

/// The quote for a donation of `amount` under `model` (`None`: the server charges no fee
/// in that country). See the module's rules.
pub fn quote(
    amount: &Money,
    model: Option<&FeeModel>,
    cover_fee: bool,
) -> Result<FeeQuote, FeeError> {
    let money = |minor: i64| Money {
        minor_units: minor,
        currency: amount.currency.clone(),
    };
    let (platform, processing) = match model {
        None => (0, 0),
        Some(m) => {
            if !m.currency.eq_ignore_ascii_case(&amount.currency) {
                return Err(FeeError::CurrencyMismatch {
                    model: m.currency.clone(),
                    donation: amount.currency.clone(),
                });
            }
            if amount.minor_units < 0
                || m.processing_fee_fixed_minor < 0
                || m.platform_fee_bps > 10_000
                || m.processing_fee_bps > 10_000
            {
                return Err(FeeError::BadModel);
            }
            let processing = share(amount.minor_units, m.processing_fee_bps)?
                .checked_add(m.processing_fee_fixed_minor)
                .ok_or(MoneyError::Overflow)?;
            (share(amount.minor_units, m.platform_fee_bps)?, processing)
        }
    };
    let fees = platform
        .checked_add(processing)
        .ok_or(MoneyError::Overflow)?;
    let (donor_pays, organiser_receives) = if cover_fee {
        (
            amount
                .minor_units
                .checked_add(fees)
                .ok_or(MoneyError::Overflow)?,
            amount.minor_units,
        )
    } else {
        (amount.minor_units, amount.minor_units - fees)
    };
    Ok(FeeQuote {
        amount: amount.clone(),
        platform_fee: money(platform),
        processing_fee: money(processing),
        fees: money(fees),
        cover_fee,
        donor_pays: money(donor_pays),
        organiser_receives: money(organiser_receives),
    })
}

/// The fee model of a fundraiser in `country` raising `currency` (case-insensitive), if the
/// server has one. A model in another currency is not this fundraiser's (no fee is worked
/// out in a currency the model's fixed part is not in).
pub fn model_for<'a>(
    models: &'a [FeeModel],
    country: &str,
    currency: &str,
) -> Option<&'a FeeModel> {
    models.iter().find(|m| {
        m.country.eq_ignore_ascii_case(country.trim())
            && m.currency.eq_ignore_ascii_case(currency.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minor: i64, currency: &str) -> Money {
        Money::new(minor, currency).unwrap()
    }

    fn launch(country: &str) -> FeeModel {
        let currency = match country {
            "US" => "USD",
            "GB" => "GBP",
            _ => "EUR",
        };
        model_for(&FeeModel::launch(), country, currency)
            .unwrap()
            .clone()
    }

    /// Country, currency, amount, cover?, platform, processing, donor pays, organiser receives.
    type Row = (&'static str, &'static str, i64, bool, i64, i64, i64, i64);

    /// One table per launch country. Worked by hand from the rules in the module's comment.
    #[test]
    fn launch_countries_table() {
        let rows: [Row; 12] = [
            // US: 2.9% + 30c. 2.9% of $25.00 = 72.5c -> 73c (half up).
            ("US", "USD", 2_500, false, 0, 103, 2_500, 2_397),
            ("US", "USD", 2_500, true, 0, 103, 2_603, 2_500),
            // 2.9% of $1.00 = 2.9c -> 3c.
            ("US", "USD", 100, false, 0, 33, 100, 67),
            (
                "US", "USD", 1_000_000, true, 0, 29_030, 1_029_030, 1_000_000,
            ),
            // UK: 1.9% + 20p. 1.9% of £10.00 = 19p.
            ("GB", "GBP", 1_000, false, 0, 39, 1_000, 961),
            ("GB", "GBP", 1_000, true, 0, 39, 1_039, 1_000),
            // 1.9% of £12.34 = 23.446p -> 23p (below half).
            ("GB", "GBP", 1_234, false, 0, 43, 1_234, 1_191),
            // 1.9% of £0.50 = 0.95p -> 1p.
            ("GB", "GBP", 50, true, 0, 21, 71, 50),
            // Ireland: 2.9% + 25c. 2.9% of €50.00 = €1.45.
            ("IE", "EUR", 5_000, false, 0, 170, 5_000, 4_830),
            ("IE", "EUR", 5_000, true, 0, 170, 5_170, 5_000),
            // 2.9% of €0.50 = 1.45c -> 1c (half up applies to the half, not to .45).
            ("IE", "EUR", 50, false, 0, 26, 50, 24),
            // 2.9% of €10.50 = 30.45c -> 30c.
            ("IE", "EUR", 1_050, true, 0, 55, 1_105, 1_050),
        ];
        for (country, cur, amount, cover, platform, processing, pays, receives) in rows {
            let q = quote(&m(amount, cur), Some(&launch(country)), cover).unwrap();
            let got = (
                q.platform_fee.minor_units,
                q.processing_fee.minor_units,
                q.donor_pays.minor_units,
                q.organiser_receives.minor_units,
            );
            assert_eq!(
                got,
                (platform, processing, pays, receives),
                "{country} {amount} cover={cover}"
            );
            assert_eq!(q.fees.minor_units, platform + processing);
            assert_eq!(q.donor_pays.currency, cur);
        }
    }

    #[test]
    fn a_platform_fee_rounds_half_up_on_its_own() {
        let model = FeeModel {
            platform_fee_bps: 250,
            ..launch("US")
        };
        // 2.5% of $10.10 = 25.25c -> 25c; 2.9% of $10.10 = 29.29c -> 29c, + 30c.
        let q = quote(&m(1_010, "USD"), Some(&model), false).unwrap();
        assert_eq!(q.platform_fee.minor_units, 25);
        assert_eq!(q.processing_fee.minor_units, 59);
        assert_eq!(q.organiser_receives.minor_units, 1_010 - 84);
        // Exactly half a cent rounds up: 2.5% of $0.20 = 0.5c -> 1c.
        assert_eq!(
            quote(&m(20, "USD"), Some(&model), false)
                .unwrap()
                .platform_fee
                .minor_units,
            1
        );
    }

    #[test]
    fn no_model_means_no_fee_and_a_mismatched_model_is_refused() {
        let q = quote(&m(700, "JPY"), None, true).unwrap();
        assert_eq!((q.fees.minor_units, q.donor_pays.minor_units), (0, 700));
        assert!(matches!(
            quote(&m(700, "JPY"), Some(&launch("US")), false),
            Err(FeeError::CurrencyMismatch { .. })
        ));
        let bad = FeeModel {
            processing_fee_fixed_minor: -1,
            ..launch("US")
        };
        assert_eq!(
            quote(&m(700, "USD"), Some(&bad), false),
            Err(FeeError::BadModel)
        );
    }

    #[test]
    fn huge_amounts_overflow_to_an_error_not_a_wrap() {
        let q = quote(&m(i64::MAX - 10, "USD"), Some(&launch("US")), true);
        assert!(matches!(q, Err(FeeError::Money(MoneyError::Overflow))));
    }
}
