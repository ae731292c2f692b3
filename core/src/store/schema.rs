//! The schema, as forward-only migrations tracked in SQLite's `user_version` by
//! `rusqlite_migration`. Never edit a released migration: append a new one.

use rusqlite_migration::{Migrations, M};
use std::sync::LazyLock;

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
    ])
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }
}
