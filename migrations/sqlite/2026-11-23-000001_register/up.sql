-- The register, users and keys. Identifiers are UUIDv7 text, times are UTC.
CREATE TABLE providers (
    id TEXT PRIMARY KEY NOT NULL,
    kvk_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX providers_name ON providers (lower(name));

CREATE TABLE locations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    street TEXT NOT NULL,
    house_number TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    bag_id TEXT,
    housing_form TEXT NOT NULL,
    municipal_designation TEXT,
    permit_applied_on DATE,
    max_beds INTEGER NOT NULL,
    responsibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX locations_provider ON locations (provider_id, id);

CREATE TABLE inspection_bodies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    accreditation_number TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY NOT NULL,
    kvk_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    abu_member BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id TEXT,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_agency ON api_keys (agency_id);

-- Secrets every node must share (the login-token key), created once by the first node.
CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
