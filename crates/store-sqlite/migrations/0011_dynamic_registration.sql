-- oauth2u schema 11 on SQLite: dynamic client registration (RFC 7591, RFC 7592).
-- A client that registered itself keeps the hash of its registration access token and the
-- metadata it registered (a JSON object, which RFC 7592's reads answer with); both are NULL
-- for clients an administrator made. last_used_at, when a token was last issued to it (kept
-- to the day), lets the cleanup job remove registrations nobody uses. registration_tokens holds the initial access tokens
-- (RFC 7591 §3) by hash, each with an optional expiry and an optional count of uses left.
--
-- Additive: an older oauth2u ignores all of it, and serves a dynamic client like any other.
ALTER TABLE clients ADD COLUMN registration_token_hash BLOB;
ALTER TABLE clients ADD COLUMN registration_metadata TEXT;
ALTER TABLE clients ADD COLUMN last_used_at INTEGER;

CREATE TABLE registration_tokens (
    hash        BLOB PRIMARY KEY,
    expires_at  INTEGER,            -- NULL: never
    uses_left   INTEGER,            -- NULL: unlimited
    created_at  INTEGER NOT NULL
);
