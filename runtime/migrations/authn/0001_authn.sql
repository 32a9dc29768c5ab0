-- portcullis authn tables, one script for SQLite and PostgreSQL (only portable types: TEXT,
-- and BIGINT, an INTEGER affinity on SQLite). Idempotent: safe to run at every start-up.
CREATE TABLE IF NOT EXISTS portcullis_revoked_jti (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS portcullis_revoked_jti_expires ON portcullis_revoked_jti (expires_at);

CREATE TABLE IF NOT EXISTS portcullis_refresh_families (
    family_id  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX IF NOT EXISTS portcullis_refresh_families_user ON portcullis_refresh_families (user_id);

-- Only SHA-256 hashes of refresh tokens are stored.
CREATE TABLE IF NOT EXISTS portcullis_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES portcullis_refresh_families (family_id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX IF NOT EXISTS portcullis_refresh_tokens_family ON portcullis_refresh_tokens (family_id);

-- Only SHA-256 hashes of session ids are stored.
CREATE TABLE IF NOT EXISTS portcullis_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS portcullis_sessions_user ON portcullis_sessions (user_id);
