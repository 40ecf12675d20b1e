-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Service connectors and code repositories.
--
-- A connector's secret configuration values are kept as the reference
-- keeps them: in a secret of their own (public, owned by the creator,
-- hidden from the secrets API by `internal`), sealed like every secret.
-- The row keeps the rest: the non-secret configuration, the resource types
-- (a JSON list) and the labels (a JSON object).
ALTER TABLE secrets ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE service_connectors (
    id                     CHAR(32) PRIMARY KEY,
    name                   VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    connector_type         TEXT COLLATE "C" NOT NULL,
    description            TEXT COLLATE "C" NOT NULL DEFAULT '',
    auth_method            TEXT COLLATE "C" NOT NULL,
    resource_types         TEXT COLLATE "C" NOT NULL,
    resource_id            TEXT COLLATE "C",
    supports_instances     BOOLEAN NOT NULL,
    configuration          TEXT COLLATE "C",
    secret_id              CHAR(32) REFERENCES secrets (id) ON DELETE SET NULL,
    expires_at             BIGINT,
    expires_skew_tolerance BIGINT,
    expiration_seconds     BIGINT,
    labels                 TEXT COLLATE "C",
    user_id                CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created                BIGINT NOT NULL,
    updated                BIGINT NOT NULL
);
CREATE INDEX service_connectors_created ON service_connectors (created, id);
CREATE INDEX components_connector ON components (connector_id);

CREATE TABLE code_repositories (
    id          CHAR(32) PRIMARY KEY,
    name        VARCHAR(255) COLLATE "C" NOT NULL,
    project_id  CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    config      TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    logo_url    TEXT COLLATE "C",
    description TEXT COLLATE "C",
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    UNIQUE (name, project_id)
);
CREATE INDEX code_repositories_created ON code_repositories (created, id);
