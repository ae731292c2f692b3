-- V3 (the SQLite schema's v5): fees, Gift Aid and where donations came from
-- (docs/fees.md, docs/gift-aid.md, docs/links.md). `donor_pays_minor` is what the donor
-- was charged (NULL in older rows: the amount); Gift Aid declarations live in their own
-- table, apart from public data. Existing rows keep their meaning: no fee, no Gift Aid,
-- no source, nothing covered.

ALTER TABLE fundraisers ADD COLUMN charity_name TEXT;
ALTER TABLE fundraisers ADD COLUMN charity_number TEXT;
ALTER TABLE donations ADD COLUMN donor_pays_minor BIGINT;
ALTER TABLE donations ADD COLUMN fee_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE donations ADD COLUMN cover_fee BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donations ADD COLUMN gift_aid BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donations ADD COLUMN source TEXT;
ALTER TABLE psp_charges ADD COLUMN covered_fee_minor BIGINT NOT NULL DEFAULT 0;

CREATE TABLE gift_aid_declarations (
    donation_id     TEXT PRIMARY KEY,
    fundraiser_id   TEXT NOT NULL,
    charity_name    TEXT NOT NULL,
    charity_number  TEXT NOT NULL,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    house           TEXT NOT NULL,
    postcode        TEXT NOT NULL,
    wording_version TEXT NOT NULL,
    declared_at_ms  BIGINT NOT NULL
);
CREATE INDEX gift_aid_by_fundraiser ON gift_aid_declarations(fundraiser_id);
