-- oauth2u schema 1 on PostgreSQL: the same tables as on SQLite. Secrets are stored only
-- as SHA-256 hashes (BYTEA), times as Unix seconds (BIGINT). Later migrations only add
-- (columns with defaults, tables, indexes), so that the previous version keeps working
-- during a rolling upgrade.

CREATE TABLE clients (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    public                      BOOLEAN NOT NULL,
    secret_hash                 BYTEA,
    previous_secret_hash        BYTEA,
    previous_secret_expires_at  BIGINT,
    redirect_uris               TEXT NOT NULL,   -- JSON array
    grant_types                 TEXT NOT NULL,   -- JSON array
    scopes                      TEXT NOT NULL,   -- space-delimited
    default_scopes              TEXT,            -- space-delimited; NULL: all of scopes
    allowed_origins             TEXT NOT NULL,   -- JSON array
    access_token_lifetime       BIGINT,          -- seconds; NULL: the server's
    refresh_token_lifetime      BIGINT,
    resource_server             TEXT,            -- the URI an API client is known by
    resources                   TEXT NOT NULL DEFAULT '[]',
    default_resource            TEXT,
    access_token_format         TEXT,            -- NULL: the server's
    created_at                  BIGINT NOT NULL
);

CREATE UNIQUE INDEX clients_by_resource_server ON clients (resource_server) WHERE resource_server IS NOT NULL;

CREATE TABLE users (
    subject        TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,               -- Argon2id PHC string
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);

CREATE TABLE authorization_codes (
    hash                   BYTEA PRIMARY KEY,
    grant_id               TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    subject                TEXT NOT NULL,
    redirect_uri           TEXT,
    scope                  TEXT NOT NULL,
    code_challenge         TEXT,
    code_challenge_method  TEXT,
    resources              TEXT NOT NULL DEFAULT '[]',
    issued_at              BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    consumed_at            BIGINT
);

CREATE INDEX authorization_codes_by_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_by_subject ON authorization_codes (subject);

CREATE TABLE tokens (
    hash              BYTEA PRIMARY KEY,
    kind              TEXT NOT NULL,            -- 'access' | 'refresh'
    grant_id          TEXT NOT NULL,            -- the family, for revoking a whole chain
    client_id         TEXT NOT NULL,
    subject           TEXT,
    scope             TEXT NOT NULL,
    audience          TEXT NOT NULL DEFAULT '[]',
    issued_at         BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    grant_expires_at  BIGINT,
    revoked_at        BIGINT,
    rotated_at        BIGINT,
    successor         BYTEA,
    paired_refresh    BYTEA,
    grace_used        BOOLEAN NOT NULL DEFAULT FALSE,
    jti               TEXT,
    kid               TEXT
);

CREATE INDEX tokens_by_grant ON tokens (grant_id);
CREATE INDEX tokens_by_client ON tokens (client_id);
CREATE INDEX tokens_by_subject ON tokens (subject);
CREATE INDEX tokens_by_paired_refresh ON tokens (paired_refresh);

CREATE TABLE sessions (
    hash          BYTEA PRIMARY KEY,
    subject       TEXT,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE INDEX sessions_by_subject ON sessions (subject);

CREATE TABLE consents (
    subject     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (subject, client_id)
);

CREATE TABLE login_failures (
    key       TEXT PRIMARY KEY,
    failures  BIGINT NOT NULL,
    first_at  BIGINT NOT NULL,
    last_at   BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    private_key    BYTEA NOT NULL,              -- PKCS#8, sealed under the master key
    public_jwk     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    activates_at   BIGINT NOT NULL,
    publish_until  BIGINT,
    revoked_at     BIGINT
);

CREATE TABLE device_codes (
    hash            BYTEA PRIMARY KEY,
    user_code       TEXT NOT NULL UNIQUE,
    client_id       TEXT NOT NULL,
    scope           TEXT NOT NULL,
    resources       TEXT NOT NULL DEFAULT '[]',
    grant_id        TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    "interval"      BIGINT NOT NULL,
    last_polled_at  BIGINT,
    status          TEXT NOT NULL DEFAULT 'pending',
    subject         TEXT,
    consumed_at     BIGINT
);
