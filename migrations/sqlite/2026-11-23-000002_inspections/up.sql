-- Inspections, their answers and photos, findings and their repairs, and the audit trail.
CREATE TABLE inspections (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    -- None for an administrative inspection, which concerns the organisation.
    location_id TEXT REFERENCES locations (id),
    inspection_body_id TEXT NOT NULL REFERENCES inspection_bodies (id),
    inspector_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    scheduled_for DATE NOT NULL,
    status TEXT NOT NULL,
    scheme TEXT NOT NULL,
    -- Pinned when the inspection starts.
    norm_version TEXT,
    norm_hash TEXT,
    inspected_on DATE,
    started_at TIMESTAMP,
    submitted_at TIMESTAMP,
    result TEXT,
    verdict TEXT,
    -- Optimistic concurrency: every change to the answers raises it (the ETag).
    version INTEGER NOT NULL,
    -- A correction is a new inspection beside the one it corrects.
    corrects_id TEXT REFERENCES inspections (id),
    correction_reason TEXT,
    -- A re-inspection checks the open findings of an earlier inspection.
    reinspection_of TEXT REFERENCES inspections (id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX inspections_provider ON inspections (provider_id, scheduled_for);
CREATE INDEX inspections_location ON inspections (location_id, scheduled_for);
CREATE INDEX inspections_body ON inspections (inspection_body_id, scheduled_for);

CREATE TABLE answers (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    question TEXT NOT NULL,
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    device_time TIMESTAMP,
    server_time TIMESTAMP NOT NULL,
    -- The inspection version this answer was set in.
    set_in_version INTEGER NOT NULL,
    PRIMARY KEY (inspection_id, question)
);

-- Results of requests sent with an Idempotency-Key, to answer a retry the same way.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE photos (
    id TEXT PRIMARY KEY NOT NULL,
    inspection_id TEXT REFERENCES inspections (id),
    finding_id TEXT,
    question TEXT,
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX photos_inspection ON photos (inspection_id, question);
CREATE INDEX photos_finding ON photos (finding_id);

CREATE TABLE findings (
    id TEXT PRIMARY KEY NOT NULL,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    location_id TEXT REFERENCES locations (id),
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    article TEXT NOT NULL,
    severity TEXT NOT NULL,
    explanation TEXT NOT NULL,
    closable_by TEXT NOT NULL,
    found_on DATE NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    closed_on DATE,
    closed_by TEXT,
    closed_by_inspection_id TEXT REFERENCES inspections (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX findings_provider ON findings (provider_id, status, due_on);
CREATE INDEX findings_inspection ON findings (inspection_id);

CREATE TABLE repairs (
    id TEXT PRIMARY KEY NOT NULL,
    finding_id TEXT NOT NULL REFERENCES findings (id),
    note TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    decision TEXT,
    decision_note TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP
);
CREATE INDEX repairs_finding ON repairs (finding_id);

-- Append-only: rows are inserted, never changed or removed.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    inspection_id TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_inspection ON audit_log (inspection_id, id);
CREATE INDEX audit_entity ON audit_log (entity, entity_id, id);
