-- Certificates, the keys that sign their tokens, and numbered sequences.

-- Ed25519 keys. The current one (retired_at NULL) signs; retired ones stay published so that
-- every certificate signed before a rotation still verifies.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    -- PKCS#8 PEM.
    private_key TEXT NOT NULL,
    -- The raw 32-byte public key.
    public_key BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
-- At most one current key: two nodes that start together cannot both create one.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    -- What the certificate says, as it was issued: verification reads this one row.
    kvk_number TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    scheme TEXT NOT NULL,
    norm_version TEXT NOT NULL,
    norm_hash TEXT NOT NULL,
    -- JSON: the locations covered, with their addresses.
    locations TEXT NOT NULL,
    -- JSON: the ids of the inspections it rests on.
    inspections TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL,
    -- valid, suspended or withdrawn; "expired" is read from valid_until.
    status TEXT NOT NULL,
    status_reason TEXT,
    status_changed_at TIMESTAMP NOT NULL,
    kid TEXT NOT NULL REFERENCES signing_keys (kid),
    token TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);
CREATE INDEX certificates_provider ON certificates (provider_id, valid_until);
CREATE INDEX certificates_kvk ON certificates (kvk_number, valid_until);
CREATE INDEX certificates_register ON certificates (status, valid_until, provider_name);

-- Counters that hand out numbers once each, on every node (certificate numbers per scheme and year).
CREATE TABLE sequences (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
