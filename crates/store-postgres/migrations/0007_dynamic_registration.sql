-- oauth2u schema 7 on PostgreSQL: dynamic client registration (RFC 7591, RFC 7592).
-- A client that registered itself keeps the hash of its registration access token and the
-- metadata it registered (a JSON object, which RFC 7592's reads answer with); both are NULL
-- for clients an administrator made. last_used_at, when a token was last issued to it (kept
-- to the day), lets the cleanup job remove registrations nobody uses. registration_tokens holds the initial access tokens
-- (RFC 7591 §3) by hash, each with an optional expiry and an optional count of uses left.
--
-- Additive: an older oauth2u ignores all of it, and serves a dynamic client like any other.
ALTER TABLE clients ADD COLUMN registration_token_hash BYTEA;
ALTER TABLE clients ADD COLUMN registration_metadata TEXT;
ALTER TABLE clients ADD COLUMN last_used_at BIGINT;

CREATE TABLE registration_tokens (
    hash        BYTEA PRIMARY KEY,
    expires_at  BIGINT,             -- NULL: never
    uses_left   BIGINT,             -- NULL: unlimited
    created_at  BIGINT NOT NULL
);
