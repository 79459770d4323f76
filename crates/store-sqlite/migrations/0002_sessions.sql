-- oauth2u schema 2: browser sessions, remembered consent, login throttling.

CREATE TABLE sessions (
    hash          BLOB PRIMARY KEY,          -- SHA-256 of the cookie value
    subject       TEXT,                      -- NULL until the user signs in
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

CREATE INDEX sessions_by_subject ON sessions (subject);

CREATE TABLE consents (
    subject     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,               -- the scope the user agreed to, space-delimited
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (subject, client_id)
);

CREATE TABLE login_failures (
    key       TEXT PRIMARY KEY,              -- 'user:NAME' or 'ip:ADDRESS'
    failures  INTEGER NOT NULL,
    first_at  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL
);
