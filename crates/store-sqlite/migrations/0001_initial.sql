-- oauth2u schema 1. Secrets are stored only as SHA-256 hashes (BLOB), times as Unix seconds.

CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    public                      INTEGER NOT NULL,
    secret_hash                 BLOB,
    previous_secret_hash        BLOB,
    previous_secret_expires_at  INTEGER,
    redirect_uris               TEXT NOT NULL,   -- JSON array
    grant_types                 TEXT NOT NULL,   -- JSON array
    scopes                      TEXT NOT NULL,   -- space-delimited
    default_scopes              TEXT,            -- space-delimited; NULL: all of scopes
    allowed_origins             TEXT NOT NULL,   -- JSON array
    access_token_lifetime       INTEGER,         -- seconds; NULL: the server's
    refresh_token_lifetime      INTEGER,
    created_at                  INTEGER NOT NULL
);

CREATE TABLE users (
    subject        TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,               -- Argon2id PHC string
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE authorization_codes (
    hash                   BLOB PRIMARY KEY,
    grant_id               TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    subject                TEXT NOT NULL,
    redirect_uri           TEXT,                -- as sent to /authorize; NULL if omitted
    scope                  TEXT NOT NULL,
    code_challenge         TEXT,
    code_challenge_method  TEXT,
    issued_at              INTEGER NOT NULL,
    expires_at             INTEGER NOT NULL,
    consumed_at            INTEGER
);

CREATE TABLE tokens (
    hash              BLOB PRIMARY KEY,
    kind              TEXT NOT NULL,            -- 'access' | 'refresh'
    grant_id          TEXT NOT NULL,            -- the family, for revoking a whole chain
    client_id         TEXT NOT NULL,
    subject           TEXT,
    scope             TEXT NOT NULL,
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    grant_expires_at  INTEGER,                  -- refresh: the family's absolute end
    revoked_at        INTEGER,
    rotated_at        INTEGER,                  -- refresh: when it was exchanged
    successor         BLOB,                     -- refresh: the refresh token issued in its place
    paired_refresh    BLOB,                     -- access: the refresh token issued with it
    grace_used        INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX tokens_by_grant ON tokens (grant_id);
CREATE INDEX tokens_by_client ON tokens (client_id);
CREATE INDEX tokens_by_subject ON tokens (subject);
CREATE INDEX tokens_by_paired_refresh ON tokens (paired_refresh);
