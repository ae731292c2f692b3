//! A cached fundraiser as table columns (schema v7): a list screen reads a page of them
//! without decoding a JSON body per row. Enums are stored as their wire names.

use rusqlite::{Row, ToSql};
use serde::de::{value::Error as ValueError, DeserializeOwned, IntoDeserializer};
use serde::Serialize;

use super::{Error, Result};
use crate::model::{Charity, Fundraiser, FundraiserKind};
use crate::money::Money;

/// The columns schema v7 made (its migration writes these only).
pub(super) const V7_COLUMNS: &str =
    "id, organiser_id, organiser_name, kind, kind_detail, category, title, story, \
     goal_minor, currency, country, state, confirmed_minor, confirmed_currency, donation_count, \
     duration_days, created_at_ms, ends_at_ms, updated_at_ms, removal_reason, viewer_is_organiser";

/// The columns, in the order `to_params` and `from_row` use.
pub(super) const COLUMNS: &str =
    "id, organiser_id, organiser_name, kind, kind_detail, category, title, story, \
     goal_minor, currency, country, state, confirmed_minor, confirmed_currency, donation_count, \
     duration_days, created_at_ms, ends_at_ms, updated_at_ms, removal_reason, viewer_is_organiser, \
     charity_name, charity_number, organiser_stats";

/// `?1..?24` for `COLUMNS`, then `fetched_at_ms` as `?25`.
pub(super) const PLACEHOLDERS: &str =
    "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, \
     ?22, ?23, ?24, ?25";

/// `INSERT OR REPLACE` of one fundraiser into `table`, bound by `Values::bind`.
pub(super) fn insert_sql(table: &str) -> String {
    format!("INSERT OR REPLACE INTO {table} ({COLUMNS}, fetched_at_ms) VALUES ({PLACEHOLDERS})")
}

/// The values of one fundraiser for `COLUMNS` and `fetched_at_ms`, ready to bind.
pub(super) struct Values {
    kind: &'static str,
    kind_detail: Option<String>,
    category: String,
    state: String,
    confirmed_minor: i64,
    donation_count: i64,
    charity_name: Option<String>,
    charity_number: Option<String>,
    /// The organiser's figures as JSON (a record that grows with the protocol).
    organiser_stats: Option<String>,
}

impl Values {
    pub(super) fn of(f: &Fundraiser) -> Result<Values> {
        let (kind, kind_detail) = match &f.kind {
            FundraiserKind::PersonalCause { beneficiary } => {
                ("personal_cause", Some(wire_name(beneficiary)?))
            }
            FundraiserKind::BusinessProject => ("business_project", None),
            FundraiserKind::Nonprofit { nonprofit_id } => ("nonprofit", Some(nonprofit_id.clone())),
        };
        Ok(Values {
            kind,
            kind_detail,
            category: wire_name(&f.category)?,
            state: wire_name(&f.state)?,
            confirmed_minor: f.confirmed_total.minor_units,
            donation_count: i64::try_from(f.donation_count)
                .map_err(|_| Error::Corrupt(format!("donation count of {}", f.id)))?,
            charity_name: f.charity.as_ref().map(|c| c.name.clone()),
            charity_number: f.charity.as_ref().map(|c| c.number.clone()),
            organiser_stats: f
                .organiser_stats
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| Error::Corrupt(format!("organiser stats: {e}")))?,
        })
    }

    /// Binds `f` (whose values these are) and `fetched_at_ms` as `?1..?22`.
    pub(super) fn bind<'a>(
        &'a self,
        f: &'a Fundraiser,
        fetched_at_ms: &'a i64,
    ) -> [&'a dyn ToSql; 25] {
        [
            &f.id,
            &f.organiser_id,
            &f.organiser_name,
            &self.kind,
            &self.kind_detail,
            &self.category,
            &f.title,
            &f.story,
            &f.goal.minor_units,
            &f.goal.currency,
            &f.country,
            &self.state,
            &self.confirmed_minor,
            &f.confirmed_total.currency,
            &self.donation_count,
            &f.duration_days,
            &f.created_at_ms,
            &f.ends_at_ms,
            &f.updated_at_ms,
            &f.removal_reason,
            &f.viewer_is_organiser,
            &self.charity_name,
            &self.charity_number,
            &self.organiser_stats,
            fetched_at_ms,
        ]
    }
}

/// Reads `COLUMNS` starting at column 0; a value this build cannot read is `Corrupt`.
pub(super) fn from_row(r: &Row<'_>) -> Result<Fundraiser> {
    let kind: String = r.get(3)?;
    let detail: Option<String> = r.get(4)?;
    let kind = match (kind.as_str(), detail) {
        ("personal_cause", Some(b)) => FundraiserKind::PersonalCause {
            beneficiary: from_wire_name(&b)?,
        },
        ("business_project", _) => FundraiserKind::BusinessProject,
        ("nonprofit", Some(nonprofit_id)) => FundraiserKind::Nonprofit { nonprofit_id },
        (other, _) => return Err(Error::Corrupt(format!("fundraiser kind {other:?}"))),
    };
    let donation_count: i64 = r.get(14)?;
    Ok(Fundraiser {
        id: r.get(0)?,
        organiser_id: r.get(1)?,
        organiser_name: r.get(2)?,
        kind,
        category: from_wire_name(&r.get::<_, String>(5)?)?,
        title: r.get(6)?,
        story: r.get(7)?,
        goal: Money {
            minor_units: r.get(8)?,
            currency: r.get(9)?,
        },
        country: r.get(10)?,
        state: from_wire_name(&r.get::<_, String>(11)?)?,
        confirmed_total: Money {
            minor_units: r.get(12)?,
            currency: r.get(13)?,
        },
        donation_count: u64::try_from(donation_count)
            .map_err(|_| Error::Corrupt("negative donation count".into()))?,
        duration_days: r.get(15)?,
        created_at_ms: r.get(16)?,
        ends_at_ms: r.get(17)?,
        updated_at_ms: r.get(18)?,
        removal_reason: r.get(19)?,
        viewer_is_organiser: r.get(20)?,
        charity: match (
            r.get::<_, Option<String>>(21)?,
            r.get::<_, Option<String>>(22)?,
        ) {
            (Some(name), Some(number)) => Some(Charity { name, number }),
            _ => None,
        },
        // Figures this build cannot read (a newer shape) are left out, not fatal: the next
        // fetch brings them again.
        organiser_stats: r
            .get::<_, Option<String>>(23)?
            .and_then(|json| serde_json::from_str(&json).ok()),
    })
}

/// The name a unit enum variant has on the wire (`"in_review"`, `"someone_else"`).
pub(super) fn wire_name<T: Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(Error::Corrupt("not a unit variant".into())),
    }
}

fn from_wire_name<T: DeserializeOwned>(name: &str) -> Result<T> {
    T::deserialize(IntoDeserializer::<ValueError>::into_deserializer(name))
        .map_err(|e| Error::Corrupt(format!("{name:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Beneficiary, Category, FundraiserState};

    fn fundraiser(kind: FundraiserKind) -> Fundraiser {
        Fundraiser {
            id: "fr_1".into(),
            organiser_id: "u_1".into(),
            organiser_name: "Grace \"G\" O'Neill 🎉".into(),
            kind,
            category: Category::Medical,
            title: "Title".into(),
            story: "Line one\nline two".into(),
            goal: Money {
                minor_units: 500_000,
                currency: "JPY".into(),
            },
            country: "IE".into(),
            state: FundraiserState::InReview,
            confirmed_total: Money {
                minor_units: 12_345,
                currency: "JPY".into(),
            },
            donation_count: 7,
            duration_days: 60,
            created_at_ms: 1,
            ends_at_ms: 2,
            updated_at_ms: 3,
            removal_reason: Some("spam".into()),
            viewer_is_organiser: true,
            charity: Some(crate::model::Charity {
                name: "St Hilda's".into(),
                number: "SC012345".into(),
            }),
            organiser_stats: Some(crate::model::OrganiserStats {
                receives: Money::new(12_000, "JPY").unwrap(),
                fees: Money::new(345, "JPY").unwrap(),
                gift_aid_count: 1,
                gift_aid_claimable: Money::new(0, "JPY").unwrap(),
                from_link: 2,
                from_story_sticker: 3,
                from_profile: 4,
            }),
        }
    }

    #[test]
    fn every_kind_round_trips_through_the_columns() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::MIGRATIONS
            .to_latest(&mut conn)
            .unwrap();
        for kind in [
            FundraiserKind::PersonalCause {
                beneficiary: Beneficiary::SomeoneElse,
            },
            FundraiserKind::BusinessProject,
            FundraiserKind::Nonprofit {
                nonprofit_id: "np_1".into(),
            },
        ] {
            let f = fundraiser(kind);
            let values = Values::of(&f).unwrap();
            conn.execute(&insert_sql("fundraisers"), &values.bind(&f, &9)[..])
                .unwrap();
            let back = conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM fundraisers WHERE id = 'fr_1'"),
                    [],
                    |r| Ok(from_row(r)),
                )
                .unwrap()
                .unwrap();
            assert_eq!(back, f);
        }
    }

    #[test]
    fn a_value_this_build_cannot_read_is_corrupt_not_a_panic() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::MIGRATIONS
            .to_latest(&mut conn)
            .unwrap();
        let f = fundraiser(FundraiserKind::BusinessProject);
        conn.execute(
            &insert_sql("fundraisers"),
            &Values::of(&f).unwrap().bind(&f, &9)[..],
        )
        .unwrap();
        for (column, value) in [
            ("category", "gardening"),
            ("kind", "lottery"),
            ("state", ""),
        ] {
            conn.execute(&format!("UPDATE fundraisers SET {column} = ?1"), [value])
                .unwrap();
            let read = conn
                .query_row(&format!("SELECT {COLUMNS} FROM fundraisers"), [], |r| {
                    Ok(from_row(r))
                })
                .unwrap();
            assert!(matches!(read, Err(Error::Corrupt(_))), "{column}: {read:?}");
            conn.execute(
                &insert_sql("fundraisers"),
                &Values::of(&f).unwrap().bind(&f, &9)[..],
            )
            .unwrap();
        }
    }
}
