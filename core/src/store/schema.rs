//! The schema, as forward-only migrations tracked in SQLite's `user_version` by
//! `rusqlite_migration`. Never edit a released migration: append a new one.

use rusqlite_migration::{Migrations, M};
use std::sync::LazyLock;

/// How many of `fundraiser_row::Values::bind`'s values are v7's columns (`V7_COLUMNS`);
/// `fetched_at_ms` is the last value.
const V7_VALUES: usize = 21;

pub(crate) static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        // v1: the offline donation queue and its transition log.
        M::up(
            "CREATE TABLE donations (
                seq            INTEGER PRIMARY KEY AUTOINCREMENT,
                id             TEXT NOT NULL UNIQUE,
                fundraiser_id  TEXT NOT NULL,
                amount_minor   INTEGER NOT NULL,
                currency       TEXT NOT NULL,
                message        TEXT,
                visibility     TEXT NOT NULL,
                hide_amount    INTEGER NOT NULL,
                payment_token  TEXT,
                state          TEXT NOT NULL,
                reason         TEXT,
                attempts       INTEGER NOT NULL DEFAULT 0,
                created_at_ms  INTEGER NOT NULL,
                updated_at_ms  INTEGER NOT NULL,
                received_at_ms INTEGER
            );
            CREATE INDEX donations_by_state ON donations(state, seq);
            CREATE TABLE donation_events (
                id          INTEGER PRIMARY KEY,
                donation_id TEXT NOT NULL REFERENCES donations(id) ON DELETE CASCADE,
                from_state  TEXT,
                to_state    TEXT NOT NULL,
                cause       TEXT NOT NULL,
                at_ms       INTEGER NOT NULL
            );
            CREATE INDEX donation_events_by_donation ON donation_events(donation_id, id);",
        ),
        // v2: the fundraiser cache fed by the changes feed, and sync bookkeeping.
        M::up(
            "CREATE TABLE fundraisers (
                id            TEXT PRIMARY KEY,
                state         TEXT NOT NULL,
                updated_at_ms INTEGER NOT NULL,
                fetched_at_ms INTEGER NOT NULL,
                body          TEXT NOT NULL
            );
            CREATE INDEX fundraisers_by_update ON fundraisers(updated_at_ms DESC, id);
            CREATE TABLE sync_meta (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );",
        ),
        // v3: partial indexes over pending donations only, so that the cap check, the
        // pending totals and the expiry check cost O(pending) (at most 50) however long the
        // history grows, and a donation that leaves the queue leaves these indexes too.
        M::up(
            "CREATE INDEX donations_pending ON donations(state, fundraiser_id, currency, amount_minor)
                 WHERE state IN ('queued', 'sending');
             CREATE INDEX donations_expirable ON donations(created_at_ms)
                 WHERE state = 'queued' AND attempts = 0;
             -- Where the donor completes a donation the bank wants authenticated.
             ALTER TABLE donations ADD COLUMN action_url TEXT;",
        ),
        // v4: repairs v3. `action_url` was added to v3 after v3 had shipped, so a database
        // migrated to v3 before that change has user_version 3 and no such column, and
        // failed with "no such column" for ever. Add it where it is missing; a database
        // that has it is left alone. (Lesson: a released migration is never edited; the
        // upgrade tests open real files made by every earlier version, tests/fixtures.)
        M::up_with_hook("", |tx: &rusqlite::Transaction<'_>| {
            let has_column: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info('donations') WHERE name = 'action_url')",
                [],
                |r| r.get(0),
            )?;
            if !has_column {
                tx.execute_batch("ALTER TABLE donations ADD COLUMN action_url TEXT;")?;
            }
            Ok(())
        }),
        // v5: the organiser's donors, cached for offline reading and fed by sync.
        M::up(
            "CREATE TABLE received_donations (
                id             TEXT PRIMARY KEY,
                fundraiser_id  TEXT NOT NULL,
                donor_name     TEXT,
                amount_minor   INTEGER,
                currency       TEXT,
                message        TEXT,
                received_at_ms INTEGER NOT NULL
            );
            CREATE INDEX received_by_fundraiser ON received_donations(fundraiser_id, received_at_ms DESC, id);",
        ),
        // v6: a durable donate writes as few B-tree pages as it can (issue 14); the cost of
        // a commit grows with the pages it dirties. Before: the table, `sqlite_sequence`
        // (AUTOINCREMENT), four indexes and the log's table and index, 8 pages. After: the
        // table, the unique id and one partial index over pending donations, 3 pages.
        // - `seq` stays the rowid without AUTOINCREMENT: donations are deleted only by a
        //   wipe, so a seq is never reused while its donation exists.
        // - The transition log moves into the row (`log`, one JSON line per transition,
        //   appended by the same UPDATE that changes the state).
        // - `donations_pending` over queued and sending rows replaces the state, pending and
        //   expirable indexes: every check it serves reads at most the pending rows (the
        //   launch cap is 50), and the cap, expiry and pending-total checks read the index
        //   alone.
        M::up_with_hook("", |tx: &rusqlite::Transaction<'_>| {
            tx.execute_batch(
                "CREATE TABLE donations_v6 (
                    seq            INTEGER PRIMARY KEY,
                    id             TEXT NOT NULL UNIQUE,
                    fundraiser_id  TEXT NOT NULL,
                    amount_minor   INTEGER NOT NULL,
                    currency       TEXT NOT NULL,
                    message        TEXT,
                    visibility     TEXT NOT NULL,
                    hide_amount    INTEGER NOT NULL,
                    payment_token  TEXT,
                    state          TEXT NOT NULL,
                    reason         TEXT,
                    attempts       INTEGER NOT NULL DEFAULT 0,
                    created_at_ms  INTEGER NOT NULL,
                    updated_at_ms  INTEGER NOT NULL,
                    received_at_ms INTEGER,
                    action_url     TEXT,
                    log            TEXT NOT NULL DEFAULT ''
                );
                INSERT INTO donations_v6 (seq, id, fundraiser_id, amount_minor, currency, message,
                    visibility, hide_amount, payment_token, state, reason, attempts, created_at_ms,
                    updated_at_ms, received_at_ms, action_url)
                SELECT seq, id, fundraiser_id, amount_minor, currency, message, visibility,
                    hide_amount, payment_token, state, reason, attempts, created_at_ms,
                    updated_at_ms, received_at_ms, action_url
                FROM donations;",
            )?;
            {
                // The log, donation by donation, in the order it was written.
                let mut read = tx.prepare(
                    "SELECT donation_id, from_state, to_state, cause, at_ms FROM donation_events
                     ORDER BY donation_id, id",
                )?;
                let mut write = tx.prepare("UPDATE donations_v6 SET log = log || ?2 WHERE id = ?1")?;
                let mut rows = read.query([])?;
                while let Some(r) = rows.next()? {
                    let id: String = r.get(0)?;
                    let from: Option<String> = r.get(1)?;
                    let (to, cause): (String, String) = (r.get(2)?, r.get(3)?);
                    let line = log_line(from.as_deref(), &to, &cause, r.get(4)?);
                    write.execute(rusqlite::params![id, line])?;
                }
            }
            tx.execute_batch(
                "DROP TABLE donation_events;
                 DROP TABLE donations;
                 ALTER TABLE donations_v6 RENAME TO donations;
                 CREATE INDEX donations_pending
                     ON donations(seq, state, fundraiser_id, currency, amount_minor, attempts, created_at_ms)
                     WHERE state IN ('queued', 'sending');",
            )?;
            Ok(())
        }),
        // v7: the fundraiser cache in columns instead of a JSON body per row, so that a
        // list screen reads a page without decoding JSON (issue 14). Bodies are moved over
        // by `fundraiser_row`; one this build cannot read is dropped and the changes feed
        // starts over, so the next sync brings it back.
        M::up_with_hook("", |tx: &rusqlite::Transaction<'_>| {
            tx.execute_batch(
                "CREATE TABLE fundraisers_v7 (
                    id                  TEXT PRIMARY KEY,
                    organiser_id        TEXT NOT NULL,
                    organiser_name      TEXT NOT NULL,
                    kind                TEXT NOT NULL,
                    kind_detail         TEXT,
                    category            TEXT NOT NULL,
                    title               TEXT NOT NULL,
                    story               TEXT NOT NULL,
                    goal_minor          INTEGER NOT NULL,
                    currency            TEXT NOT NULL,
                    country             TEXT NOT NULL,
                    state               TEXT NOT NULL,
                    confirmed_minor     INTEGER NOT NULL,
                    confirmed_currency  TEXT NOT NULL,
                    donation_count      INTEGER NOT NULL,
                    duration_days       INTEGER NOT NULL,
                    created_at_ms       INTEGER NOT NULL,
                    ends_at_ms          INTEGER NOT NULL,
                    updated_at_ms       INTEGER NOT NULL,
                    removal_reason      TEXT,
                    viewer_is_organiser INTEGER NOT NULL,
                    fetched_at_ms       INTEGER NOT NULL
                );",
            )?;
            let mut unreadable = false;
            {
                let mut read = tx.prepare("SELECT body, fetched_at_ms FROM fundraisers")?;
                // v7's own columns and nothing else: the SQL this hook runs is the one v7
                // shipped with. It used to borrow today's `fundraiser_row::insert_sql`, so v9's
                // new columns broke every file upgraded from v6 or older (the upgrade test
                // caught it): a migration must not lean on code that moves on.
                let mut write = tx.prepare(&format!(
                    "INSERT OR REPLACE INTO fundraisers_v7 ({}, fetched_at_ms) VALUES ({})",
                    super::fundraiser_row::V7_COLUMNS,
                    (1..=V7_VALUES + 1).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
                ))?;
                let mut rows = read.query([])?;
                while let Some(r) = rows.next()? {
                    let body: String = r.get(0)?;
                    let fetched_at_ms: i64 = r.get(1)?;
                    let parsed = serde_json::from_str::<crate::model::Fundraiser>(&body)
                        .map_err(|e| e.to_string())
                        .and_then(|f| {
                            super::fundraiser_row::Values::of(&f)
                                .map(|v| (f, v))
                                .map_err(|e| e.to_string())
                        });
                    match parsed {
                        Ok((f, values)) => {
                            let all = values.bind(&f, &fetched_at_ms);
                            let v7: Vec<&dyn rusqlite::ToSql> = all[..V7_VALUES]
                                .iter()
                                .chain(all.last())
                                .copied()
                                .collect();
                            write.execute(&v7[..])?;
                        }
                        Err(_) => unreadable = true,
                    }
                }
            }
            if unreadable {
                tx.execute("DELETE FROM sync_meta WHERE key = 'changes_cursor'", [])?;
            }
            tx.execute_batch(
                "DROP TABLE fundraisers;
                 ALTER TABLE fundraisers_v7 RENAME TO fundraisers;
                 CREATE INDEX fundraisers_by_update ON fundraisers(updated_at_ms DESC, id);",
            )?;
            Ok(())
        }),
        // v8: repairs v6, like v4 repaired v3. v6's `donations_pending` was edited after it
        // shipped: a file made by the first v6 builds has it over `seq` alone (d78e837) or
        // five columns (c3a2067), so the cap check, the expiry check and the pending totals
        // read the table for every pending row there, for good. Rebuilt in its one shape
        // (it holds the pending rows only: at most the count cap).
        M::up(
            "DROP INDEX IF EXISTS donations_pending;
             CREATE INDEX donations_pending
                 ON donations(seq, state, fundraiser_id, currency, amount_minor, attempts, created_at_ms)
                 WHERE state IN ('queued', 'sending');",
        ),
        // v9: fees, Gift Aid and where the donor came from (docs/fees.md, docs/gift-aid.md,
        // docs/links.md). `donor_pays_minor` is what the payment method is charged (NULL in
        // older rows: the amount); the declaration is erased with the payment token once
        // the server has answered, the `gift_aid` flag stays.
        M::up(
            "ALTER TABLE donations ADD COLUMN donor_pays_minor INTEGER;
             ALTER TABLE donations ADD COLUMN cover_fee INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE donations ADD COLUMN gift_aid INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE donations ADD COLUMN gift_aid_declaration TEXT;
             ALTER TABLE donations ADD COLUMN source TEXT;
             ALTER TABLE fundraisers ADD COLUMN charity_name TEXT;
             ALTER TABLE fundraisers ADD COLUMN charity_number TEXT;
             ALTER TABLE fundraisers ADD COLUMN organiser_stats TEXT;
             ALTER TABLE received_donations ADD COLUMN gift_aid INTEGER NOT NULL DEFAULT 0;",
        ),
    ])
});

/// One entry of a donation's transition log: a JSON array `[from, to, cause, at_ms]` and a
/// newline. JSON so that no cause or state can break the framing.
pub(crate) fn log_line(from: Option<&str>, to: &str, cause: &str, at_ms: i64) -> String {
    let mut line = serde_json::to_string(&(from, to, cause, at_ms)).unwrap_or_default();
    line.push('\n');
    line
}

/// Reads a log written by `log_line`: (from, to, cause, at_ms), oldest first.
pub(crate) fn parse_log(log: &str) -> Result<Vec<super::Transition>, serde_json::Error> {
    log.lines().map(serde_json::from_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }

    #[test]
    fn log_lines_round_trip_whatever_the_cause_holds() {
        let mut log = log_line(None, "queued", "donate", 1);
        log += &log_line(Some("queued"), "rejected", "a \"quoted\"\ncause\t]", -5);
        assert_eq!(
            parse_log(&log).unwrap(),
            vec![
                (None, "queued".into(), "donate".into(), 1),
                (
                    Some("queued".into()),
                    "rejected".into(),
                    "a \"quoted\"\ncause\t]".into(),
                    -5
                ),
            ]
        );
        assert!(parse_log("").unwrap().is_empty());
    }
}
