DROP TABLE audit_log;
DROP TABLE repairs;
DROP TABLE findings;
DROP TABLE photos;
DROP TABLE idempotency_keys;
DROP TABLE answers;
DROP TABLE inspections;
