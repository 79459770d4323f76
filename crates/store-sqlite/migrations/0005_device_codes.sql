-- oauth2u schema 5: the device authorization grant (RFC 8628).

CREATE TABLE device_codes (
    hash            BLOB PRIMARY KEY,           -- SHA-256 of the device_code
    user_code       TEXT NOT NULL UNIQUE,       -- normalised: 8 letters of BCDFGHJKLMNPQRSTVWXZ
    client_id       TEXT NOT NULL,
    scope           TEXT NOT NULL,
    resources       TEXT NOT NULL DEFAULT '[]',
    grant_id        TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    interval        INTEGER NOT NULL,           -- seconds between polls; grows with slow_down
    last_polled_at  INTEGER,
    status          TEXT NOT NULL DEFAULT 'pending',  -- pending | approved | denied
    subject         TEXT,                       -- who approved
    consumed_at     INTEGER
);
