//! Money: `i64` minor units plus an ISO 4217 code. Never floats. Exponents come from the
//! `iso_currency` data (USD 2, JPY 0, BHD 3), never from an assumption of two decimals.
//!
//! Parsing reads what a person types in a locale (`12`, `12.5`, `$12.50`, `1,234.56`);
//! formatting writes what they expect to read (`$1,234.56`, `£1,234.56`, `€1,234.56`).

use std::collections::HashMap;
use std::sync::LazyLock;

use iso_currency::{Country, Currency, IntoEnumIterator};
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

/// Every ISO 4217 currency by its code. `Currency::from_code` compares the code with each
/// of ~180 codes in turn, and a donation looks a currency up several times.
static BY_CODE: LazyLock<HashMap<&'static str, Currency>> =
    LazyLock::new(|| Currency::iter().map(|c| (c.code(), c)).collect());

fn lookup(code: &str) -> Result<Currency, MoneyError> {
    let trimmed = code.trim();
    let found = if trimmed.bytes().all(|b| b.is_ascii_uppercase()) {
        BY_CODE.get(trimmed)
    } else {
        BY_CODE.get(trimmed.to_ascii_uppercase().as_str())
    };
    found.copied().ok_or_else(|| MoneyError::UnknownCurrency {
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

/// Number conventions of a locale: separators, and where the currency symbol goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Style {
    group: char,
    decimal: char,
    symbol_after: bool,
}

const NARROW_NBSP: char = '\u{202f}';

/// The conventions of any BCP 47 tag (`en-US`, `fr_CA`, `de-CH-u-nu-latn`, `zh-Hant-TW`),
/// by language and, where it matters, region; anything unknown or malformed falls back to
/// en-US conventions, so that no locale stops an app from opening. Separators follow CLDR.
fn style(locale: &str) -> Style {
    let tag = locale.trim().replace('_', "-").to_ascii_lowercase();
    let mut subtags = tag.split('-');
    let language = subtags.next().unwrap_or_default();
    // The region is the first 2-letter (or 3-digit) subtag after the language and an
    // optional 4-letter script; extensions (`-u-...`) end the search.
    let region = subtags
        .take_while(|t| t.len() > 1)
        .find(|t| {
            (t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
                || (t.len() == 3 && t.chars().all(|c| c.is_ascii_digit()))
        })
        .unwrap_or_default();
    let (group, decimal, symbol_after) = match (language, region) {
        ("de" | "fr" | "it" | "rm", "ch" | "li") => ('\u{2019}', '.', false),
        (
            "de" | "es" | "it" | "nl" | "pt" | "id" | "tr" | "da" | "el" | "ro" | "hr" | "sl"
            | "sr" | "ca" | "vi" | "is",
            _,
        ) => ('.', ',', true),
        (
            "fr" | "nb" | "no" | "nn" | "sv" | "fi" | "pl" | "cs" | "sk" | "ru" | "uk" | "hu"
            | "bg" | "lt" | "lv" | "et" | "be" | "kk",
            _,
        ) => (NARROW_NBSP, ',', true),
        _ => (',', '.', false),
    };
    Style {
        group,
        decimal,
        symbol_after,
    }
}

/// Is `c` a digit-group separator a person may type for `style`? Where the convention is a
/// (narrow) no-break space, a plain space is what keyboards type.
fn is_group(c: char, style: Style) -> bool {
    c == style.group
        || (style.group == NARROW_NBSP && matches!(c, ' ' | '\u{a0}'))
        || (style.group == '\u{2019}' && c == '\'')
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
/// (any BCP 47 tag: `en-US`, `en-GB`, `fr-FR`, ...).
pub fn parse(input: &str, currency: &str, locale: &str) -> Result<Money, MoneyError> {
    let style = style(locale);
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
        .find(|c| !(c.is_ascii_digit() || is_group(*c, style) || *c == style.decimal))
    {
        return Err(MoneyError::InvalidCharacter {
            found: bad.to_string(),
        });
    }
    // One group separator from here on, whichever of its forms was typed.
    let normalised: String = text
        .chars()
        .map(|c| if is_group(c, style) { style.group } else { c })
        .collect();
    let text = normalised.as_str();
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

/// Formats money for display in `locale`: `$1,234.56`, `£1,234.56`, `€1,234.56` (en-US,
/// en-GB, en-IE), `1.234,56 €` (de-DE), `1 234,56 €` (fr-FR), any tag falling back sensibly.
pub fn format(money: &Money, locale: &str) -> Result<String, MoneyError> {
    let style = style(locale);
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
    let mut number = grouped;
    if exponent > 0 {
        number.push(style.decimal);
        number.push_str(&format!("{frac:0width$}", width = exponent as usize));
    }
    let symbol = display_symbol(cur);
    Ok(if style.symbol_after {
        format!("{sign}{number}\u{a0}{}", symbol.trim_end_matches('\u{a0}'))
    } else {
        format!("{sign}{symbol}{number}")
    })
}

#[cfg(test)]
mod tests;
