//! Money: `i64` minor units plus an ISO 4217 code. Never floats. Exponents come from the
//! `iso_currency` data (USD 2, JPY 0, BHD 3), never from an assumption of two decimals.
//!
//! Formatting follows CLDR through ICU4X (`$1,234.56`, `£1,234.56`, `€1,234.56`,
//! `US$12.34` in en-GB); parsing reads what CLDR writes and what a person types in that
//! locale (`12`, `12.5`, `$12.50`, `1,234.56`, `12,50 €`). docs/design.md "Money".

use std::collections::HashMap;
use std::sync::LazyLock;

use fixed_decimal::Decimal;
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::currency::formatter::{
    CurrencyFormatter, CurrencyFormatterPreferences,
};
use icu_experimental::dimension::currency::CurrencyType;
use icu_locale::{LocaleExpander, TransformResult};
use icu_locale_core::{LanguageIdentifier, Locale};
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

/// The locale whose CLDR conventions are used: any well-formed BCP 47 tag (`en-US`, `fr_CA`,
/// `de-CH-u-nu-latn`, `zh-Hant-TW`) that CLDR knows at least by its language. Anything
/// malformed, empty, or that CLDR would only answer from its root locale (`tlh-KX`) is read
/// as en-US, so that no locale stops an app from opening.
fn resolve_locale(tag: &str) -> Locale {
    let tag = tag.trim().replace('_', "-");
    let fallback = || icu_locale_core::locale!("en-US");
    let Ok(locale) = Locale::try_from_str(&tag) else {
        return fallback();
    };
    if locale.id.language.is_unknown() {
        return fallback();
    }
    // CLDR's likely subtags know every language it has data for: one they cannot
    // complete (`tlh`) would only get root's conventions. The extended set: the common
    // one lacks `nb` (Norwegian Bokmål), which then got en-US conventions.
    let mut language = LanguageIdentifier::from(locale.id.language);
    match LocaleExpander::new_extended().maximize(&mut language) {
        TransformResult::Modified => locale,
        TransformResult::Unmodified => fallback(),
    }
}

/// ICU4X's name for an ISO 4217 currency.
fn currency_type(currency: Currency) -> Result<CurrencyType, MoneyError> {
    CurrencyType::try_from_str(currency.code()).map_err(|_| MoneyError::UnknownCurrency {
        code: currency.code().to_owned(),
    })
}

/// CLDR's currency formatter (standard symbol, or the narrow one) for a currency in a locale.
fn currency_formatter(
    locale: &Locale,
    currency: Currency,
    narrow: bool,
) -> Result<CurrencyFormatter<DecimalFormatter>, MoneyError> {
    let prefs = CurrencyFormatterPreferences::from(locale);
    let code = currency_type(currency)?;
    let made = if narrow {
        CurrencyFormatter::try_new_symbol_narrow(prefs, code, Default::default())
    } else {
        CurrencyFormatter::try_new_symbol(prefs, code, Default::default())
    };
    // Compiled data holds every currency and falls back to the ISO code: a failure here is
    // a data bug, reported as an unknown currency rather than a panic.
    made.map_err(|_| MoneyError::UnknownCurrency {
        code: currency.code().to_owned(),
    })
}

/// Exactly `minor_units` / 10^exponent, as ICU4X's decimal.
fn decimal_of(minor_units: i64, exponent: u32) -> Decimal {
    let mut value = Decimal::from(minor_units);
    // ISO 4217 exponents are 0–4.
    value.absolute.multiply_pow10(-(exponent.min(18) as i16));
    value
}

/// What CLDR says about writing numbers in a locale, as the parser needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Conventions {
    decimal: char,
    group: char,
    /// The groupings written: (size of the group next to the decimal separator, size of
    /// the groups before it; `usize::MAX` where only one separator is written). Amounts
    /// (de-CH: `9876543’219.87`) may group otherwise than plain numbers (`9’876’543’219.87`).
    groupings: Vec<(usize, usize)>,
    /// The locale's own digits, when they are not ASCII (`٠١٢...` in ar-EG).
    digits: [char; 10],
}

/// A number as written, split into its digit runs: (separator before the run, run length).
fn runs(text: &str, digits: &[char; 10]) -> Vec<(String, usize)> {
    let mut runs: Vec<(String, usize)> = Vec::new();
    let mut pending = String::new();
    for c in text.chars().filter(|c| !is_mark(*c)) {
        if digits.contains(&c) {
            match runs.last_mut() {
                Some(last) if pending.is_empty() => last.1 += 1,
                _ => runs.push((std::mem::take(&mut pending), 1)),
            }
        } else if !runs.is_empty() {
            pending.push(c);
        }
    }
    runs
}

/// The grouping of the integer digit runs of a long number: (primary, secondary).
fn grouping_of(int_runs: &[(String, usize)]) -> Option<(usize, usize)> {
    match int_runs {
        [.., before, last] if int_runs.len() >= 3 => Some((last.1, before.1)),
        [_, last] => Some((last.1, usize::MAX)),
        _ => None,
    }
}

/// The locale's separators, groupings and digits, read off what CLDR's formatters write for
/// long amounts: what they write is by definition what the parser must read back.
fn conventions(locale: &Locale, currency: Currency) -> Conventions {
    let mut style = Conventions::EN;
    let Ok(formatter) = DecimalFormatter::try_new(locale.into(), Default::default()) else {
        return style;
    };
    for (d, slot) in (0u8..10).zip(style.digits.iter_mut()) {
        let text = formatter.format(&Decimal::from(d)).to_string();
        if let Some(c) = text.chars().find(|c| !is_mark(*c)) {
            *slot = c;
        }
    }
    // 16 digits: every group boundary appears, and the decimal separator.
    let plain = formatter
        .format(&decimal_of(1_234_567_890_123_456, 2))
        .to_string();
    let mut plain_runs = runs(&plain, &style.digits);
    if let Some((decimal, _)) = plain_runs.pop() {
        style.decimal = decimal.chars().next().unwrap_or('.');
    }
    if let Some(grouping) = grouping_of(&plain_runs) {
        style.group = plain_runs[plain_runs.len() - 1]
            .0
            .chars()
            .next()
            .unwrap_or(',');
        style.groupings = vec![grouping];
    }
    let exponent = exponent_of(currency);
    if let Ok(money) = currency_formatter(locale, currency, false) {
        let text = money
            .format_fixed_decimal(&decimal_of(1_234_567_890_123_456, exponent))
            .to_string();
        let mut money_runs = runs(&text, &style.digits);
        if exponent > 0 {
            money_runs.pop();
        }
        if let Some(grouping) = grouping_of(&money_runs) {
            style.groupings.push(grouping);
        }
    }
    style.groupings.push((3, 3));
    style
}

impl Conventions {
    const EN: Conventions = Conventions {
        decimal: '.',
        group: ',',
        groupings: Vec::new(),
        digits: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    };

    /// The ASCII digit for `c`: ASCII digits are always read, the locale's own too.
    fn digit(&self, c: char) -> Option<char> {
        if c.is_ascii_digit() {
            return Some(c);
        }
        let d = self.digits.iter().position(|&n| n == c)?;
        char::from_digit(d as u32, 10)
    }

    /// Is `c` a digit-group separator a person may type here? Where CLDR's separator is a
    /// (narrow) no-break space, a plain space is what keyboards type, and, with a decimal
    /// comma, a point (de-AT's CLDR currencyGroup, which ICU4X 2.4 does not write); where
    /// it is an apostrophe (de-CH), the right single quotation mark and back.
    fn is_group(&self, c: char) -> bool {
        c == self.group
            || (is_space(self.group) && is_space(c))
            || (is_space(self.group) && self.decimal == ',' && c == '.')
            || (is_apostrophe(self.group) && is_apostrophe(c))
    }

    /// Is `c` the decimal separator? Where an apostrophe groups with a decimal comma, a
    /// point too: fr-CH's CLDR currencyDecimal, which ICU4X 2.4 does not write.
    fn is_decimal(&self, c: char) -> bool {
        c == self.decimal || (is_apostrophe(self.group) && self.decimal == ',' && c == '.')
    }
}

/// The apostrophes Swiss locales group digits with (CLDR writes U+2019 or U+0027).
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\u{2019}' | '\'')
}

/// Spaces a number or a currency may be written with (CLDR uses the no-break ones).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Bidirectional marks CLDR puts around numbers and symbols in right-to-left locales.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The locale's own digits.
fn conventions_digits(locale: &Locale) -> [char; 10] {
    let mut digits = Conventions::EN.digits;
    if let Ok(formatter) = DecimalFormatter::try_new(locale.into(), Default::default()) {
        for (d, slot) in (0u8..10).zip(digits.iter_mut()) {
            let text = formatter.format(&Decimal::from(d)).to_string();
            if let Some(c) = text.chars().find(|c| !is_mark(*c)) {
                *slot = c;
            }
        }
    }
    digits
}

/// The symbol CLDR writes for `currency` in `locale` (`$`, `US$`, `€`, `BHD`), read off
/// what its formatter writes for an amount, without the spaces and marks around it.
fn cldr_symbol(locale: &Locale, currency: Currency, narrow: bool) -> Option<String> {
    let formatter = currency_formatter(locale, currency, narrow).ok()?;
    let digits = conventions_digits(locale);
    let text = formatter
        .format_fixed_decimal(&Decimal::from(1u8))
        .to_string();
    let is_number = |c: char| digits.contains(&c) || c.is_ascii_digit();
    let start = text.find(is_number)?;
    let end = text.rfind(is_number)?;
    let prefix = &text[..start];
    let suffix = &text[end..].trim_start_matches(is_number);
    let trim = |s: &str| {
        s.trim_matches(|c: char| is_space(c) || is_mark(c) || c.is_whitespace())
            .to_owned()
    };
    let symbol = if trim(prefix).is_empty() {
        trim(suffix)
    } else {
        trim(prefix)
    };
    (!symbol.is_empty()).then_some(symbol)
}

/// Parses what a person typed into an amount of `currency`, in the conventions of `locale`
/// (any BCP 47 tag: `en-US`, `en-GB`, `fr-FR`, ...): what CLDR formats there (`US$12.34` in
/// en-GB, `1.234,56 €` in de-DE, `١٢٫٥٠ US$` in ar-EG), and what people type: no symbol,
/// plain spaces for no-break ones, ASCII digits, the ISO code before or after the number.
/// It refuses, with a reason, what it would have to guess: a separator where the locale
/// does not use one, a grouping the locale does not write (`1,23`), more decimals than
/// the currency has (`1,234` in de-DE is 1.234 EUR: refused as `TooManyDecimals`, never
/// read as one thousand).
pub fn parse(input: &str, currency: &str, locale: &str) -> Result<Money, MoneyError> {
    let cur = lookup(currency)?;
    let exponent = exponent_of(cur);
    let locale = resolve_locale(locale);
    let style = conventions(&locale, cur);
    let cleaned: String = input.chars().filter(|c| !is_mark(*c)).collect();
    let mut text = cleaned.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text
        .chars()
        .any(|c| matches!(c, '+' | '-' | '\u{2212}' | '(' | ')'))
    {
        return Err(MoneyError::Signed);
    }
    // The currency's symbol (CLDR's standard and narrow ones for this locale, and the
    // common one) or its ISO code, before or after the number; the longest first, so that
    // `US$` is not read as `US` and `$`.
    let mut affixes: Vec<String> = [
        cldr_symbol(&locale, cur, false),
        cldr_symbol(&locale, cur, true),
        Some(cur.symbol().symbol),
        Some(cur.code().to_owned()),
    ]
    .into_iter()
    .flatten()
    .filter(|a| !a.is_empty())
    .collect();
    affixes.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
    affixes.dedup();
    for affix in &affixes {
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
    // ASCII digits, one group separator and one decimal separator from here on.
    let mut normalised = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(d) = style.digit(c) {
            normalised.push(d);
        } else if style.is_decimal(c) {
            normalised.push('.');
        } else if style.is_group(c) {
            normalised.push(',');
        } else {
            return Err(MoneyError::InvalidCharacter {
                found: c.to_string(),
            });
        }
    }
    let text = normalised.as_str();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((_, frac)) if frac.contains(['.', ',']) => return Err(MoneyError::InvalidGrouping),
        Some((int, frac)) => (int, frac),
        None => (text, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(MoneyError::Empty);
    }
    let digits = ungroup(int_part, &style)?;
    // A currency without decimals takes no decimal point at all: `12.` in JPY is as wrong
    // as `12.5` (the person may think they typed a fraction).
    let has_point = text.contains('.');
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

/// The integer digits with group separators (`,` by now) removed, if the grouping is well
/// formed in one of the locale's groupings: no separators, or 1 to `secondary` leading
/// digits, groups of `secondary`, and a last group of `primary` (3 and 3: `1,234,567`; 3
/// and 2 in India: `12,34,567`). Groups of three are read in every locale, as people type
/// them everywhere.
fn ungroup(int_part: &str, style: &Conventions) -> Result<String, MoneyError> {
    if !int_part.contains(',') {
        return Ok(int_part.to_owned());
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let well_formed = |&(primary, secondary): &(usize, usize)| {
        let (last, rest) = groups.split_last().unwrap_or((&"", &[]));
        let (first, middle) = rest.split_first().unwrap_or((&"", &[]));
        last.len() == primary
            && (1..=secondary).contains(&first.len())
            && middle.iter().all(|g| g.len() == secondary)
    };
    if style.groupings.iter().any(well_formed) {
        Ok(groups.concat())
    } else {
        Err(MoneyError::InvalidGrouping)
    }
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

/// Formats money for display in `locale` as CLDR says (ICU4X's currency formatter):
/// `$1,234.56` (en-US, es-US), `£1,234.56` (en-GB), `US$12.34` (en-GB, en-IE: a dollar
/// is not the local currency), `1.234,56 €` (de-DE), `1 234,56 €` (fr-FR); any tag
/// that CLDR does not know is read as en-US. Decimals are CLDR's for the currency, which
/// agree with ISO 4217's (the unit of `minor_units`) for every launch currency and JPY,
/// BHD, CAD; where CLDR shows fewer (docs/design.md "Money"), the text is rounded.
pub fn format(money: &Money, locale: &str) -> Result<String, MoneyError> {
    let cur = lookup(&money.currency)?;
    let locale = resolve_locale(locale);
    let formatter = currency_formatter(&locale, cur, false)?;
    let value = decimal_of(money.minor_units, exponent_of(cur));
    let text = formatter.format_fixed_decimal(&value).to_string();
    Ok(text)
}

#[cfg(test)]
mod tests;
