//! Whatever a person types, in whatever locale: `parse` returns a typed error or an amount,
//! and an amount formats and parses back to itself.
#![no_main]

use fundkit::money::{format, parse};
use libfuzzer_sys::fuzz_target;

const CURRENCIES: [&str; 6] = ["USD", "GBP", "EUR", "JPY", "BHD", "CHF"];
const LOCALES: [&str; 10] = [
    "en-US", "en-GB", "en-IE", "de-DE", "fr-FR", "de-CH", "ja-JP", "pt-BR", "sv-SE", "xx",
];

fuzz_target!(|input: (String, u8, u8, String)| {
    let (text, c, l, free_locale) = input;
    let currency = CURRENCIES[usize::from(c) % CURRENCIES.len()];
    let locale = if l == 255 { free_locale.as_str() } else { LOCALES[usize::from(l) % LOCALES.len()] };
    if let Ok(money) = parse(&text, currency, locale) {
        assert!(money.minor_units >= 0, "{text:?} parsed to a negative amount");
        let shown = format(&money, locale).expect("a parsed amount formats");
        assert_eq!(parse(&shown, currency, locale), Ok(money), "{text:?} -> {shown:?}");
    }
});
