-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Secrets: named sets of key/value pairs, public or private to their
-- owner. The values are one sealed document per secret (see
-- internal/secretbox): never filtered on, read only by id.
CREATE TABLE secrets (
    id            CHAR(32) PRIMARY KEY,
    -- No cascade: a user who owns secrets cannot be deleted, as on the
    -- reference (the ownership check reads this reference).
    user_id       CHAR(32) NOT NULL REFERENCES users (id),
    name          VARCHAR(255) COLLATE "C" NOT NULL,
    private       BOOLEAN NOT NULL,
    -- Whose names this one must differ from: the owner's id for a private
    -- secret, '' for a public one (public names are unique server-wide).
    name_scope    CHAR(32) NOT NULL,
    secret_values TEXT COLLATE "C" NOT NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    UNIQUE (name_scope, name)
);
CREATE INDEX secrets_created ON secrets (created, id);
CREATE INDEX secrets_user ON secrets (user_id);
