-- oauth2u schema 6 on PostgreSQL: OpenID Connect sessions and privacy.
-- Clients may get pairwise subjects (Core §8) under a sector, post-logout redirect URIs
-- (RP-Initiated Logout §3) and a back-channel logout URI (Back-Channel Logout §2.2).
-- Tokens of an OpenID grant name the session that signed the user in (sid), so that
-- logging out can revoke them, and keep the grant's `claims` request (Core §5.5).
-- server_secrets holds secrets sealed under the master key (the pairwise salt);
-- logout_deliveries is the outbox of Logout Tokens not yet delivered.
--
-- Additive: an older oauth2u ignores all of it. But it would show a pairwise client's users
-- their public subject, so register pairwise clients only once every instance knows schema 6.
ALTER TABLE clients ADD COLUMN subject_type TEXT;
ALTER TABLE clients ADD COLUMN sector_identifier TEXT;
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tokens ADD COLUMN sid TEXT;
ALTER TABLE tokens ADD COLUMN claims TEXT;

CREATE INDEX tokens_by_sid ON tokens (sid) WHERE sid IS NOT NULL;

CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    sealed      BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE logout_deliveries (
    id             BIGSERIAL PRIMARY KEY,
    client_id      TEXT NOT NULL,
    subject        TEXT NOT NULL,
    sid            TEXT,
    attempts       BIGINT NOT NULL DEFAULT 0,
    due_at         BIGINT NOT NULL,
    claimed_by     TEXT,
    claimed_until  BIGINT,
    created_at     BIGINT NOT NULL
);

CREATE INDEX logout_deliveries_by_due ON logout_deliveries (due_at);
