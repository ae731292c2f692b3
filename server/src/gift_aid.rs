//! The charity's Gift Aid claim export: its confirmed Gift Aid donations in the columns of
//! HMRC's Gift Aid schedule (Charities Online), ready to paste into it (docs/gift-aid.md).

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;

use crate::store::GiftAidClaim;

/// HMRC's schedule columns, in order. Title is optional and not asked for; aggregated
/// donations and sponsored events do not apply to single online gifts.
const HEADER: [&str; 9] = [
    "Title",
    "First name or initial",
    "Last name",
    "House name or number",
    "Postcode",
    "Aggregated donations",
    "Sponsored event",
    "Donation date",
    "Amount",
];

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return
/// first) gets a leading apostrophe: the export never carries a formula a donor typed as
/// their name (CSV injection).
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Pence as pounds with two decimals (`1234` -> `12.34`): the schedule's amount column.
fn pounds(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// The UK calendar date (Europe/London: GMT in winter, BST in summer) of an instant:
/// HMRC dates a gift, and ends a tax year on 5 April, by the date in the UK, so a gift at
/// 23:30 UTC on 5 April during BST is 6 April, in the next tax year.
pub fn uk_date(at_ms: i64) -> Option<NaiveDate> {
    Utc.timestamp_millis_opt(at_ms)
        .single()
        .map(|d| d.with_timezone(&London).date_naive())
}

/// The export as CSV (RFC 4180, quoted where needed by the `csv` crate). The donation date
/// is the server's receipt date in the UK (`uk_date`), written DD/MM/YY as the schedule
/// asks.
pub fn schedule_csv(claims: &[GiftAidClaim]) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER)?;
    for c in claims {
        let date = uk_date(c.received_at_ms)
            .map(|d| d.format("%d/%m/%y").to_string())
            .unwrap_or_default();
        out.write_record([
            String::new(),
            cell(&c.first_name),
            cell(&c.last_name),
            cell(&c.house),
            cell(&c.postcode),
            String::new(),
            String::new(),
            date,
            pounds(c.amount.minor_units),
        ])?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("the writer wrote the UTF-8 strings it was given"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(first: &str, house: &str, pence: i64, at_ms: i64) -> GiftAidClaim {
        GiftAidClaim {
            donation_id: "d".into(),
            first_name: first.into(),
            last_name: "Lovelace".into(),
            house: house.into(),
            postcode: "SW1A 1AA".into(),
            received_at_ms: at_ms,
            amount: fundkit::Money::new(pence, "GBP").unwrap(),
            wording_version: "uk-2026-12".into(),
        }
    }

    #[test]
    fn the_schedule_has_hmrc_columns_dates_and_pounds() {
        // 2026-12-01 09:30 UTC.
        let csv = schedule_csv(&[claim("Ada", "12", 1_005, 1_796_117_400_000)]).unwrap();
        assert_eq!(
            csv,
            "Title,First name or initial,Last name,House name or number,Postcode,\
             Aggregated donations,Sponsored event,Donation date,Amount\n\
             ,Ada,Lovelace,12,SW1A 1AA,,,01/12/26,10.05\n"
        );
    }

    /// Milliseconds since the epoch of a UTC date and time.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .timestamp_millis()
    }

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn the_date_is_the_uk_date_across_both_clock_changes() {
        // BST starts on the last Sunday of March at 01:00 UTC (29 March 2026): before it
        // the UK is on GMT (UTC), after it an hour ahead.
        assert_eq!(uk_date(utc(2026, 3, 28, 23, 30)), ymd(2026, 3, 28));
        assert_eq!(uk_date(utc(2026, 3, 29, 0, 59)), ymd(2026, 3, 29));
        assert_eq!(uk_date(utc(2026, 3, 29, 23, 0)), ymd(2026, 3, 30));
        assert_eq!(uk_date(utc(2026, 3, 29, 22, 59)), ymd(2026, 3, 29));
        // BST ends on the last Sunday of October at 01:00 UTC (25 October 2026).
        assert_eq!(uk_date(utc(2026, 10, 24, 23, 0)), ymd(2026, 10, 25));
        assert_eq!(uk_date(utc(2026, 10, 25, 0, 59)), ymd(2026, 10, 25));
        assert_eq!(uk_date(utc(2026, 10, 25, 23, 30)), ymd(2026, 10, 25));
        assert_eq!(uk_date(utc(2026, 10, 26, 0, 0)), ymd(2026, 10, 26));
        // In winter the UK date is the UTC date.
        assert_eq!(uk_date(utc(2026, 12, 31, 23, 59)), ymd(2026, 12, 31));
    }

    #[test]
    fn a_gift_late_on_5_april_utc_is_in_the_next_tax_year() {
        // 5 April is in BST: 22:59 UTC is 23:59 on the 5th (the tax year's last minute),
        // 23:00 UTC is 00:00 on the 6th (the next tax year's first).
        assert_eq!(uk_date(utc(2026, 4, 5, 22, 59)), ymd(2026, 4, 5));
        assert_eq!(uk_date(utc(2026, 4, 5, 23, 0)), ymd(2026, 4, 6));
        let csv = schedule_csv(&[
            claim("Ada", "12", 1_000, utc(2026, 4, 5, 22, 59)),
            claim("Ada", "12", 1_000, utc(2026, 4, 5, 23, 30)),
        ])
        .unwrap();
        let dates: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(7).unwrap())
            .collect();
        assert_eq!(dates, ["05/04/26", "06/04/26"]);
    }

    #[test]
    fn a_name_never_becomes_a_formula_and_commas_are_quoted() {
        let csv = schedule_csv(&[
            claim("=HYPERLINK(\"http://x\")", "Flat 2, Rose Court", 100, 0),
            claim("@SUM(A1)", "-1", 100, 0),
        ])
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[1],
            ",\"'=HYPERLINK(\"\"http://x\"\")\",Lovelace,\"Flat 2, Rose Court\",SW1A 1AA,,,01/01/70,1.00"
        );
        assert_eq!(lines[2], ",'@SUM(A1),Lovelace,'-1,SW1A 1AA,,,01/01/70,1.00");
    }
}
