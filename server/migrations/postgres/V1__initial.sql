-- FundKit reference server on PostgreSQL: the same tables as the SQLite schema (its three
-- migrations folded into one), with one difference: `change_seq` is NULL while the
-- transaction that changed a row is open, and is stamped from a sequence under the feed
-- lock as the transaction's last step (docs/server-storage.md: why a feed never skips).

CREATE TABLE fundraisers (
    id              TEXT PRIMARY KEY,
    organiser_id    TEXT NOT NULL,
    organiser_name  TEXT NOT NULL,
    kind            TEXT NOT NULL,
    category        TEXT NOT NULL,
    title           TEXT NOT NULL,
    story           TEXT NOT NULL,
    goal_minor      BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    country         TEXT NOT NULL,
    state           TEXT NOT NULL,
    confirmed_minor BIGINT NOT NULL DEFAULT 0,
    donation_count  BIGINT NOT NULL DEFAULT 0,
    duration_days   BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    ends_at_ms      BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    removal_reason  TEXT,
    change_seq      BIGINT UNIQUE
);
CREATE SEQUENCE fundraiser_changes;
CREATE INDEX fundraisers_by_organiser ON fundraisers (organiser_id, state);
CREATE INDEX fundraisers_running ON fundraisers (ends_at_ms) WHERE state = 'active';
CREATE INDEX fundraisers_unstamped ON fundraisers (id) WHERE change_seq IS NULL;

CREATE TABLE fundraiser_keys (
    organiser_id  TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    fundraiser_id TEXT NOT NULL REFERENCES fundraisers (id),
    PRIMARY KEY (organiser_id, idem_key)
);

-- One outcome per (donor, donation id): the idempotency key's unique constraint.
-- Payment tokens are never stored; the fingerprint covers them.
CREATE TABLE donations (
    donor_id           TEXT NOT NULL,
    id                 TEXT NOT NULL,
    fundraiser_id      TEXT NOT NULL,
    amount_minor       BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    message            TEXT,
    visibility         TEXT NOT NULL,
    hide_amount        BOOLEAN NOT NULL,
    fingerprint        TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    code               TEXT,
    action_url         TEXT,
    received_at_ms     BIGINT NOT NULL,
    change_seq         BIGINT UNIQUE,
    challenge          TEXT UNIQUE,
    action_deadline_ms BIGINT,
    PRIMARY KEY (donor_id, id)
);
CREATE SEQUENCE donation_changes;
CREATE INDEX donations_by_fundraiser ON donations (fundraiser_id, outcome, received_at_ms);
CREATE INDEX donations_by_donor_change ON donations (donor_id, change_seq);
CREATE INDEX donations_by_fundraiser_change ON donations (fundraiser_id, change_seq);
CREATE INDEX donations_awaiting_action ON donations (action_deadline_ms) WHERE outcome = 'needs_action';
CREATE INDEX donations_unstamped ON donations (donor_id, id) WHERE change_seq IS NULL;

-- The payment provider's ledger (simulated): one entry per idempotency key, a charge or a
-- cancellation ('void'), written in its own transactions as a real provider would be.
CREATE TABLE psp_charges (
    idem_key      TEXT PRIMARY KEY,
    outcome       TEXT NOT NULL,
    code          TEXT,
    challenge     TEXT,
    charged_at_ms BIGINT NOT NULL
);
