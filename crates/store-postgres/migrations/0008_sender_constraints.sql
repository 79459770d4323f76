-- oauth2u schema 8 on PostgreSQL: clients without shared secrets and tokens only their holder
-- can use (RFC 7523, RFC 9126, RFC 9449, RFC 9101).
-- Clients get their public keys (a JWK Set, or the URL of one) and two switches. Codes and
-- tokens get the thumbprint of the DPoP key they are bound to. single_use holds the hashes
-- of values that may be seen once (client assertion and DPoP proof `jti`s) until they
-- expire; pushed_requests holds pushed authorization requests by the hash of their
-- request_uri. The cleanup job sweeps both.
--
-- Not additive in effect: an older oauth2u would accept a DPoP-bound token as a bearer
-- token. So only an oauth2u that knows schema 8 may use it.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE tokens ADD COLUMN jkt TEXT;

CREATE TABLE single_use (
    key         BYTEA PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE pushed_requests (
    hash        BYTEA PRIMARY KEY,
    client_id   TEXT NOT NULL,
    parameters  TEXT NOT NULL,
    dpop_jkt    TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

UPDATE oauth2u_schema SET compatible_from = 8 WHERE id = 1;
