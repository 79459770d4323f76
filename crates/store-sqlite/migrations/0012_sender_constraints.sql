-- oauth2u schema 12 on SQLite: clients without shared secrets and tokens only their holder
-- can use (RFC 7523, RFC 9126, RFC 9449, RFC 9101).
-- Clients get their public keys (a JWK Set, or the URL of one) and two switches. Codes and
-- tokens get the thumbprint of the DPoP key they are bound to. single_use holds the hashes
-- of values that may be seen once (client assertion and DPoP proof `jti`s) until they
-- expire; pushed_requests holds pushed authorization requests by the hash of their
-- request_uri. The cleanup job sweeps both.
--
-- Not additive in effect: an older oauth2u would accept a DPoP-bound token as a bearer
-- token. So only an oauth2u that knows schema 12 may use it.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE tokens ADD COLUMN jkt TEXT;

CREATE TABLE single_use (
    key         BLOB PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE pushed_requests (
    hash        BLOB PRIMARY KEY,
    client_id   TEXT NOT NULL,
    parameters  TEXT NOT NULL,
    dpop_jkt    TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

UPDATE oauth2u_schema SET compatible_from = 12 WHERE id = 1;
