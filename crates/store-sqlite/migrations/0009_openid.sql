-- oauth2u schema 9 on SQLite: OpenID Connect sign-in.
-- Sessions record how and when the user signed in (auth_time, amr) under a stable id (sid)
-- that outlives cookie rotations, and session_clients the clients each signed into.
-- A code of an OpenID request carries its nonce and sign-in (JSON), and so does the refresh
-- token of such a grant. Users get profile claims (JSON object); clients an ID token alg.
--
-- Not additive in effect: the key ring now keeps one active key per algorithm, and an older
-- oauth2u would sign access tokens with whichever key is newest (an ID token's RS256 key)
-- and retire the others. So only an oauth2u that knows schema 9 may use it.
ALTER TABLE sessions ADD COLUMN sid TEXT;
ALTER TABLE sessions ADD COLUMN auth_time INTEGER;
ALTER TABLE sessions ADD COLUMN amr TEXT;
ALTER TABLE authorization_codes ADD COLUMN openid TEXT;
ALTER TABLE tokens ADD COLUMN authentication TEXT;
ALTER TABLE users ADD COLUMN claims TEXT;
ALTER TABLE clients ADD COLUMN id_token_alg TEXT;

CREATE TABLE session_clients (
    sid           TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    signed_in_at  INTEGER NOT NULL,
    PRIMARY KEY (sid, client_id)
);

UPDATE oauth2u_schema SET compatible_from = 9 WHERE id = 1;
