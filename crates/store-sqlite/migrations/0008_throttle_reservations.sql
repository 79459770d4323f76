-- oauth2u schema 8 on SQLite: an attempt is reserved before the password (or device code) is
-- checked, by one conditional write; `allowed_at` is when the next attempt may begin, and
-- `delay` the wait that led to it (doubling, capped). Additive: older versions ignore both.
ALTER TABLE login_failures ADD COLUMN allowed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_failures ADD COLUMN delay INTEGER NOT NULL DEFAULT 0;
