-- oauth2u schema 4: JWT access tokens (RFC 9068) and their signing keys.

CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,              -- ES256 | EdDSA | RS256
    private_key    BLOB NOT NULL,              -- PKCS#8, encrypted under the master key (AES-256-GCM)
    public_jwk     TEXT NOT NULL,              -- the public key as a JWK
    created_at     INTEGER NOT NULL,
    activates_at   INTEGER NOT NULL,           -- published before, signs from then on
    publish_until  INTEGER,                    -- set when a successor takes over
    revoked_at     INTEGER
);

ALTER TABLE clients ADD COLUMN access_token_format TEXT;   -- NULL: the server's
ALTER TABLE clients ADD COLUMN default_resource TEXT;       -- the audience when a request names none
ALTER TABLE tokens ADD COLUMN jti TEXT;                      -- JWT access tokens
ALTER TABLE tokens ADD COLUMN kid TEXT;
