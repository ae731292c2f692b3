//! Money: `i64` minor units plus an ISO 4217 code. Never floats. Exponents come from the
//! `iso_currency` data (USD 2, JPY 0, BHD 3), never from an assumption of two decimals.
//!
//! Parsing reads what a person types in a locale (`12`, `12.5`, `$12.50`, `1,234.56`);
//! formatting writes what they expect to read (`$1,234.56`, `£1,234.56`, `€1,234.56`).

use iso_currency::{Country, Currency};
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

impl Money {
    /// Checks the currency code (case-insensitive; stored upper case).
    pub fn new(minor_units: i64, currency: &str) -> Result<Money, MoneyError> {
        let currency = lookup(currency)?;
        Ok(Money {
            minor_units,
            currency: currency.code().to_owned(),
        })
    }

    /// `major` whole units of `currency` (100 USD -> 10_000 minor units; 100 JPY -> 100).
    pub fn from_major(major: i64, currency: &str) -> Result<Money, MoneyError> {
        let currency = lookup(currency)?;
        let minor = major
            .checked_mul(pow10(exponent_of(currency))?)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor_units: minor,
            currency: currency.code().to_owned(),
        })
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if !self.currency.eq_ignore_ascii_case(&other.currency) {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency.clone(),
                right: other.currency.clone(),
            });
        }
        let sum = self
            .minor_units
            .checked_add(other.minor_units)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor_units: sum,
            currency: self.currency.clone(),
        })
    }
}

fn lookup(code: &str) -> Result<Currency, MoneyError> {
    let trimmed = code.trim();
    Currency::from_code(&trimmed.to_ascii_uppercase())
        .filter(|_| trimmed.len() == 3)
        .ok_or_else(|| MoneyError::UnknownCurrency {
            code: code.to_owned(),
        })
}

/// Currencies without an exponent in ISO 4217 (funds, gold, "no currency") are not money
/// a person can give.
fn exponent_of(currency: Currency) -> u32 {
    currency.exponent().map(u32::from).unwrap_or(0)
}

fn pow10(exponent: u32) -> Result<i64, MoneyError> {
    10i64.checked_pow(exponent).ok_or(MoneyError::Overflow)
}

/// Number of decimal places of an ISO 4217 currency (USD 2, JPY 0, BHD 3).
pub fn currency_exponent(currency: &str) -> Result<u32, MoneyError> {
    let c = lookup(currency)?;
    c.exponent()
        .map(u32::from)
        .ok_or_else(|| MoneyError::UnknownCurrency {
            code: currency.to_owned(),
        })
}

/// The currency of a country (ISO 3166-1 alpha-2): US -> USD, GB -> GBP, IE -> EUR.
pub fn currency_for_country(country: &str) -> Option<String> {
    let country: Country = country.trim().to_ascii_uppercase().parse().ok()?;
    Currency::from_country(country)
        .into_iter()
        .find(|c| !c.is_fund() && !c.is_special() && c.is_superseded().is_none())
        .map(|c| c.code().to_owned())
}

/// Number conventions of a locale. Launch locales share them; the table is where a new
/// market's conventions go (the currency data itself comes from `iso_currency`).
#[derive(Debug, Clone, Copy)]
struct Style {
    group: char,
    decimal: char,
}

fn style(locale: &str) -> Result<Style, MoneyError> {
    match locale
        .trim()
        .replace('_', "-")
        .to_ascii_lowercase()
        .as_str()
    {
        "en-us" | "en-gb" | "en-ie" => Ok(Style {
            group: ',',
            decimal: '.',
        }),
        _ => Err(MoneyError::UnsupportedLocale {
            locale: locale.to_owned(),
        }),
    }
}

/// The symbol shown before the amount. A symbol holding digits or punctuation (BHD's
/// `.د.ب`) would be misread next to the number, so the ISO code is shown instead.
fn display_symbol(currency: Currency) -> String {
    let symbol = currency.symbol().symbol;
    if symbol.is_empty()
        || symbol
            .chars()
            .any(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        format!("{}\u{a0}", currency.code())
    } else {
        symbol
    }
}

/// Parses what a person typed into an amount of `currency`, in the conventions of `locale`
/// (BCP 47: `en-US`, `en-GB`, `en-IE`).
pub fn parse(input: &str, currency: &str, locale: &str) -> Result<Money, MoneyError> {
    let style = style(locale)?;
    let cur = lookup(currency)?;
    let exponent = exponent_of(cur);
    let mut text = input.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text
        .chars()
        .any(|c| matches!(c, '+' | '-' | '\u{2212}' | '(' | ')'))
    {
        return Err(MoneyError::Signed);
    }
    // The currency's own symbol or code, before or after the number.
    let symbol = cur.symbol().symbol;
    for affix in [symbol.as_str(), cur.code()]
        .into_iter()
        .filter(|a| !a.is_empty())
    {
        if let Some(rest) = strip_prefix_ci(text, affix) {
            text = rest.trim_start();
            break;
        }
        if let Some(rest) = strip_suffix_ci(text, affix) {
            text = rest.trim_end();
            break;
        }
    }
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if has_exponent(text) {
        return Err(MoneyError::Exponent);
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_digit() || *c == style.group || *c == style.decimal))
    {
        return Err(MoneyError::InvalidCharacter {
            found: bad.to_string(),
        });
    }
    let (int_part, frac_part) = match text.split_once(style.decimal) {
        Some((_, frac)) if frac.contains(style.decimal) || frac.contains(style.group) => {
            return Err(MoneyError::InvalidGrouping)
        }
        Some((int, frac)) => (int, frac),
        None => (text, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(MoneyError::Empty);
    }
    let digits = ungroup(int_part, style.group)?;
    // A currency without decimals takes no decimal point at all: `12.` in JPY is as wrong
    // as `12.5` (the person may think they typed a fraction).
    let has_point = text.contains(style.decimal);
    if frac_part.len() > exponent as usize || (exponent == 0 && has_point) {
        return Err(MoneyError::TooManyDecimals {
            currency: cur.code().to_owned(),
            max: exponent,
        });
    }
    let scale = pow10(exponent)?;
    let mut minor: i64 = 0;
    for d in digits.bytes() {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(digit(d)?))
            .ok_or(MoneyError::Overflow)?;
    }
    minor = minor.checked_mul(scale).ok_or(MoneyError::Overflow)?;
    let mut frac: i64 = 0;
    for d in frac_part.bytes() {
        frac = frac
            .checked_mul(10)
            .and_then(|f| f.checked_add(digit(d)?))
            .ok_or(MoneyError::Overflow)?;
    }
    // Pad "12.5" to 50 cents (`frac_part` is no longer than `exponent`: checked above).
    frac = frac
        .checked_mul(pow10(exponent - frac_part.len() as u32)?)
        .ok_or(MoneyError::Overflow)?;
    minor = minor.checked_add(frac).ok_or(MoneyError::Overflow)?;
    Ok(Money {
        minor_units: minor,
        currency: cur.code().to_owned(),
    })
}

/// The value of an ASCII digit; `None` for anything else (the earlier character check has
/// already refused those, so `None` only guards against a future locale mistake).
fn digit(b: u8) -> Option<i64> {
    b.is_ascii_digit().then(|| i64::from(b - b'0'))
}

/// `1e3`, `1.5E10`: an `e` between a digit (or the decimal point) and a digit. A stray
/// letter elsewhere (`12 euros`) is an invalid character, not an exponent.
fn has_exponent(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(3).any(|w| {
        matches!(w, [before, 'e' | 'E', after]
            if (before.is_ascii_digit() || *before == '.') && after.is_ascii_digit())
    })
}

/// The integer digits with group separators removed, if the grouping is well formed:
/// either no separators, or 1–3 leading digits then groups of exactly 3.
fn ungroup(int_part: &str, group: char) -> Result<String, MoneyError> {
    if !int_part.contains(group) {
        return Ok(int_part.to_owned());
    }
    let mut groups = int_part.split(group);
    let first = groups.next().unwrap_or_default();
    if first.is_empty() || first.len() > 3 {
        return Err(MoneyError::InvalidGrouping);
    }
    let mut out = first.to_owned();
    for g in groups {
        if g.len() != 3 {
            return Err(MoneyError::InvalidGrouping);
        }
        out.push_str(g);
    }
    Ok(out)
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(suffix.len())?;
    let tail = text.get(start..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..start])
}

/// Formats money for display in `locale`: `$1,234.56`, `£1,234.56`, `€1,234.56`.
pub fn format(money: &Money, locale: &str) -> Result<String, MoneyError> {
    let style = style(locale)?;
    let cur = lookup(&money.currency)?;
    let exponent = exponent_of(cur);
    // ISO 4217 exponents are 0–4; anything that would not fit is refused, not a panic.
    let scale = 10u64.checked_pow(exponent).ok_or(MoneyError::Overflow)?;
    let abs = money.minor_units.unsigned_abs();
    let (int, frac) = (abs / scale, abs % scale);
    let digits = int.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(style.group);
        }
        grouped.push(ch);
    }
    let sign = if money.minor_units < 0 { "-" } else { "" };
    let mut out = format!("{sign}{}{grouped}", display_symbol(cur));
    if exponent > 0 {
        out.push(style.decimal);
        out.push_str(&format!("{frac:0width$}", width = exponent as usize));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
