-- oauth2u schema 2 on PostgreSQL: indexes that let expired rows be found without a scan.
-- (The lease table is made before migrations run, which need it.)

CREATE INDEX tokens_by_expiry ON tokens (expires_at);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
