use super::*;
use proptest::prelude::*;

fn m(minor: i64, cur: &str) -> Money {
    Money {
        minor_units: minor,
        currency: cur.into(),
    }
}

#[test]
fn parses_what_people_type() {
    let cases: &[(&str, &str, &str, i64)] = &[
        ("12", "USD", "en-US", 1200),
        ("12.5", "USD", "en-US", 1250),
        ("12.50", "USD", "en-US", 1250),
        ("$12.50", "USD", "en-US", 1250),
        ("1,234.56", "USD", "en-US", 123_456),
        ("  $1,234.56 ", "USD", "en-US", 123_456),
        ("1234.56", "USD", "en-US", 123_456),
        ("USD 12.50", "USD", "en-US", 1250),
        ("12.50 usd", "USD", "en-US", 1250),
        ("£1,234.56", "GBP", "en-GB", 123_456),
        ("€12", "EUR", "en-IE", 1200),
        (".5", "USD", "en-US", 50),
        ("12.", "USD", "en-US", 1200),
        ("0", "USD", "en-US", 0),
        ("1,235", "JPY", "en-US", 1235),
        ("¥1,235", "JPY", "en-US", 1235),
        ("1.234", "BHD", "en-US", 1234),
        ("1,000,000", "USD", "en_us", 100_000_000),
    ];
    for (input, cur, locale, want) in cases {
        assert_eq!(
            parse(input, cur, locale),
            Ok(m(*want, cur)),
            "{input:?} {cur} {locale}"
        );
    }
}

#[test]
fn refuses_what_is_not_an_amount() {
    use MoneyError::*;
    let cases: &[(&str, &str, MoneyError)] = &[
        ("", "USD", Empty),
        ("   ", "USD", Empty),
        ("$", "USD", Empty),
        ("-5", "USD", Signed),
        ("+5", "USD", Signed),
        ("5-", "USD", Signed),
        ("1e3", "USD", Exponent),
        ("1E3", "USD", Exponent),
        (
            "12.345",
            "USD",
            TooManyDecimals {
                currency: "USD".into(),
                max: 2,
            },
        ),
        (
            "12.5",
            "JPY",
            TooManyDecimals {
                currency: "JPY".into(),
                max: 0,
            },
        ),
        (
            "1.2345",
            "BHD",
            TooManyDecimals {
                currency: "BHD".into(),
                max: 3,
            },
        ),
        ("1,23", "USD", InvalidGrouping),
        ("12,34.5", "USD", InvalidGrouping),
        (",123", "USD", InvalidGrouping),
        ("1,2345", "USD", InvalidGrouping),
        ("1.2.3", "USD", InvalidGrouping),
        ("12abc", "USD", InvalidCharacter { found: "a".into() }),
        ("£12", "USD", InvalidCharacter { found: "£".into() }),
        ("1 234", "USD", InvalidCharacter { found: " ".into() }),
        ("92233720368547758.08", "USD", Overflow),
        ("99999999999999999999999", "USD", Overflow),
    ];
    for (input, cur, want) in cases {
        assert_eq!(parse(input, cur, "en-US"), Err(want.clone()), "{input:?}");
    }
    assert_eq!(
        parse("1", "XXX1", "en-US"),
        Err(UnknownCurrency {
            code: "XXX1".into()
        })
    );
    assert_eq!(
        parse("1", "ZZZ", "en-US"),
        Err(UnknownCurrency { code: "ZZZ".into() })
    );
    assert_eq!(
        parse("1", "USD", "tlh-KX"),
        Err(UnsupportedLocale {
            locale: "tlh-KX".into()
        })
    );
}

#[test]
fn formats_for_launch_locales() {
    assert_eq!(format(&m(123_456, "USD"), "en-US").unwrap(), "$1,234.56");
    assert_eq!(format(&m(123_456, "GBP"), "en-GB").unwrap(), "£1,234.56");
    assert_eq!(format(&m(123_456, "EUR"), "en-IE").unwrap(), "€1,234.56");
    assert_eq!(format(&m(5, "USD"), "en-US").unwrap(), "$0.05");
    assert_eq!(
        format(&m(100_000_000, "USD"), "en-US").unwrap(),
        "$1,000,000.00"
    );
    assert_eq!(format(&m(1235, "JPY"), "en-US").unwrap(), "¥1,235");
    assert_eq!(
        format(&m(1_234_567, "BHD"), "en-US").unwrap(),
        "BHD\u{a0}1,234.567"
    );
    assert_eq!(format(&m(-100, "USD"), "en-US").unwrap(), "-$1.00");
    assert_eq!(
        format(&m(i64::MIN, "USD"), "en-US").unwrap(),
        "-$92,233,720,368,547,758.08"
    );
    assert!(format(&m(1, "NOPE"), "en-US").is_err());
}

#[test]
fn exponents_come_from_iso_data() {
    assert_eq!(currency_exponent("USD"), Ok(2));
    assert_eq!(currency_exponent("jpy"), Ok(0));
    assert_eq!(currency_exponent("BHD"), Ok(3));
    assert!(
        currency_exponent("XAU").is_err(),
        "gold has no exponent: not money a person gives"
    );
    assert_eq!(Money::from_major(100, "USD"), Ok(m(10_000, "USD")));
    assert_eq!(Money::from_major(100, "JPY"), Ok(m(100, "JPY")));
    assert_eq!(Money::from_major(1, "BHD"), Ok(m(1_000, "BHD")));
    assert_eq!(
        Money::from_major(i64::MAX, "USD"),
        Err(MoneyError::Overflow)
    );
    assert_eq!(Money::new(5, "usd"), Ok(m(5, "USD")));
}

#[test]
fn countries_map_to_their_currency() {
    assert_eq!(currency_for_country("US").as_deref(), Some("USD"));
    assert_eq!(currency_for_country("gb").as_deref(), Some("GBP"));
    assert_eq!(currency_for_country("IE").as_deref(), Some("EUR"));
    assert_eq!(currency_for_country("JP").as_deref(), Some("JPY"));
    assert_eq!(currency_for_country("ZZ"), None);
    assert_eq!(currency_for_country(""), None);
}

#[test]
fn adding_checks_currency_and_overflow() {
    assert_eq!(m(1, "USD").checked_add(&m(2, "USD")), Ok(m(3, "USD")));
    assert!(matches!(
        m(1, "USD").checked_add(&m(2, "EUR")),
        Err(MoneyError::CurrencyMismatch { .. })
    ));
    assert_eq!(
        m(i64::MAX, "USD").checked_add(&m(1, "USD")),
        Err(MoneyError::Overflow)
    );
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(
        minor in 0i64..=i64::MAX,
        cur in prop::sample::select(vec!["USD", "GBP", "EUR", "JPY", "BHD"]),
        locale in prop::sample::select(vec!["en-US", "en-GB", "en-IE"]),
    ) {
        let money = m(minor, cur);
        let text = format(&money, locale).unwrap();
        prop_assert_eq!(parse(&text, cur, locale), Ok(money));
    }

    #[test]
    fn parse_never_panics(input in ".{0,40}", cur in "[A-Za-z]{0,4}") {
        let _ = parse(&input, &cur, "en-US");
        let _ = parse(&input, "USD", "en-GB");
    }

    #[test]
    fn small_amounts_round_trip_from_plain_digits(major in 0i64..10_000_000, cents in 0i64..100) {
        let typed = std::format!("{major}.{cents:02}");
        prop_assert_eq!(parse(&typed, "USD", "en-US"), Ok(m(major * 100 + cents, "USD")));
    }
}
