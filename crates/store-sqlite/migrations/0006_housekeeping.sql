-- oauth2u schema 6: housekeeping. Indexes that let expired rows be found without a scan,
-- and lease rows so that one process at a time does a job.

CREATE INDEX tokens_by_expiry ON tokens (expires_at);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE oauth2u_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT,
    expires_at  INTEGER NOT NULL DEFAULT 0
);
