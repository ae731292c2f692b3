//! Money: `i64` minor units plus an ISO 4217 code. Never floats. Exponents come from the
//! `iso_currency` data (USD 2, JPY 0, BHD 3), never from an assumption of two decimals.
//!
//! Parsing reads what a person types in a locale (`12`, `12.5`, `$12.50`, `1,234.56`);
//! formatting writes what they expect to read (`$1,234.56`, `£1,234.56`, `€1,234.56`).

use serde::{Deserialize, Serialize};

/// An exact amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Money {
    /// Amount in the currency's minor unit (cents for USD, yen for JPY, fils for BHD).
    pub minor_units: i64,
    /// ISO 4217 alphabetic code, upper case (`USD`, `GBP`, `EUR`).
    pub currency: String,
}

/// Why a text or an amount is not valid money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("{code:?} is not an ISO 4217 currency")]
    UnknownCurrency { code: String },
    #[error("{locale:?} is not a supported locale")]
    UnsupportedLocale { locale: String },
    #[error("{currency} has at most {max} decimal places")]
    TooManyDecimals { currency: String, max: u32 },
    #[error("amounts cannot carry a sign")]
    Signed,
    #[error("amounts cannot use exponents")]
    Exponent,
    #[error("unexpected character {found:?} in the amount")]
    InvalidCharacter { found: String },
    #[error("digit grouping is not valid for this locale")]
    InvalidGrouping,
    #[error("the amount is too large")]
    Overflow,
    #[error("{left} and {right} cannot be combined")]
    CurrencyMismatch { left: String, right: String },
}

// ---- API (bodies to be completed by the money work; signatures are the contract) ----

impl Money {
    /// Checks the currency code (case-insensitive; stored upper case).
    pub fn new(minor_units: i64, currency: &str) -> Result<Money, MoneyError> {
        let _ = (minor_units, currency);
        todo!()
    }
    /// `major` whole units of `currency` (100 USD -> 10_000 minor units; 100 JPY -> 100).
    pub fn from_major(major: i64, currency: &str) -> Result<Money, MoneyError> {
        let _ = (major, currency);
        todo!()
    }
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        let _ = other;
        todo!()
    }
}

/// Number of decimal places of an ISO 4217 currency (USD 2, JPY 0, BHD 3).
pub fn currency_exponent(currency: &str) -> Result<u32, MoneyError> {
    let _ = currency;
    todo!()
}

/// The currency of a country (ISO 3166-1 alpha-2): US -> USD, GB -> GBP, IE -> EUR.
pub fn currency_for_country(country: &str) -> Option<String> {
    let _ = country;
    todo!()
}

/// Parses what a person typed into an amount of `currency`, in the conventions of `locale`
/// (BCP 47: `en-US`, `en-GB`, `en-IE`).
pub fn parse(input: &str, currency: &str, locale: &str) -> Result<Money, MoneyError> {
    let _ = (input, currency, locale);
    todo!()
}

/// Formats money for display in `locale`: `$1,234.56`, `£1,234.56`, `€1,234.56`.
pub fn format(money: &Money, locale: &str) -> Result<String, MoneyError> {
    let _ = (money, locale);
    todo!()
}
