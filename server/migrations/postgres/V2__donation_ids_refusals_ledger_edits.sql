-- V2 (the SQLite schema's v4): a donation id names one donation whoever sends it, in its
-- canonical spelling (lower-case hyphenated UUID); the key was (donor_id, id), so another
-- donor's reuse of a public id inherited its outcome. Refused items keep no content; the
-- provider's ledger records what each charge was for; edits of a running fundraiser's
-- text wait for review. What happens to existing rows (docs/server-storage.md):
-- - ids take their canonical spelling; a row whose id is not a UUID (only ever a refusal)
--   is dropped;
-- - the first row of each canonical id stays; later ones (another donor's reuse, or a
--   respelling) move to donation_id_conflicts;
-- - refusals made before any payment step keep only id, donor, code and time;
-- - fundraisers' totals are counted again from the rows that stay, announced on the feed
--   where they change;
-- - ledger entries learn the fundraiser and amount of the donation they charged.

ALTER TABLE donations ADD COLUMN canon TEXT;
UPDATE donations SET canon = CASE
    WHEN id ~ '^[0-9a-fA-F]{32}$' THEN lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-'
        || substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21, 12))
    WHEN id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
        THEN lower(id)
    WHEN id ~ '^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$'
        THEN lower(substr(id, 2, 36))
    WHEN id ~ '^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
        THEN lower(substr(id, 10, 36))
END;
DELETE FROM donations WHERE canon IS NULL;

CREATE TABLE donation_id_conflicts (
    id             TEXT NOT NULL,
    original_id    TEXT NOT NULL,
    donor_id       TEXT NOT NULL,
    fundraiser_id  TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    code           TEXT,
    received_at_ms BIGINT NOT NULL
);
CREATE TABLE donation_ranks AS
    SELECT donor_id, id, row_number() OVER (
        PARTITION BY canon ORDER BY received_at_ms, change_seq NULLS LAST, donor_id, id) AS n
    FROM donations;
INSERT INTO donation_id_conflicts (id, original_id, donor_id, fundraiser_id, amount_minor, currency,
        outcome, code, received_at_ms)
    SELECT d.canon, d.id, d.donor_id, d.fundraiser_id, d.amount_minor, d.currency, d.outcome, d.code,
        d.received_at_ms
    FROM donations d JOIN donation_ranks r ON r.donor_id = d.donor_id AND r.id = d.id
    WHERE r.n > 1;
DELETE FROM donations d USING donation_ranks r
    WHERE r.donor_id = d.donor_id AND r.id = d.id AND r.n > 1;

DROP TABLE donation_ranks;
ALTER TABLE donations DROP CONSTRAINT donations_pkey;
UPDATE donations SET id = canon WHERE id <> canon;
ALTER TABLE donations DROP COLUMN canon;
ALTER TABLE donations ADD PRIMARY KEY (id);

UPDATE donations SET outcome = 'refused', fundraiser_id = '', amount_minor = 0, currency = '',
        message = NULL, visibility = 'anonymous', hide_amount = FALSE, fingerprint = 'refused'
    WHERE outcome = 'rejected' AND (code IS NULL OR code NOT IN ('declined', 'payment_expired',
        'invalid_payment_token', 'authentication_failed', 'action_abandoned'));

UPDATE fundraisers f SET confirmed_minor = t.total, donation_count = t.n, change_seq = NULL
    FROM (SELECT f2.id, COALESCE(SUM(d.amount_minor), 0)::BIGINT AS total, COUNT(d.id) AS n
          FROM fundraisers f2
          LEFT JOIN donations d ON d.fundraiser_id = f2.id AND d.outcome = 'accepted'
          GROUP BY f2.id) t
    WHERE f.id = t.id AND (f.confirmed_minor <> t.total OR f.donation_count <> t.n);
UPDATE fundraisers SET change_seq = nextval('fundraiser_changes') WHERE change_seq IS NULL;

ALTER TABLE psp_charges ADD COLUMN fundraiser_id TEXT, ADD COLUMN amount_minor BIGINT,
    ADD COLUMN currency TEXT;
UPDATE psp_charges p SET fundraiser_id = d.fundraiser_id, amount_minor = d.amount_minor,
        currency = d.currency
    FROM donations d WHERE d.id = p.idem_key;
CREATE INDEX psp_charges_by_fundraiser ON psp_charges (fundraiser_id, outcome);

CREATE TABLE fundraiser_edits (
    fundraiser_id   TEXT PRIMARY KEY REFERENCES fundraisers (id),
    title           TEXT NOT NULL,
    story           TEXT NOT NULL,
    submitted_at_ms BIGINT NOT NULL,
    declined_reason TEXT
);
