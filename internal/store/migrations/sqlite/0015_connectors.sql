-- Service connectors and code repositories.
--
-- A connector's secret configuration values are kept as the reference
-- keeps them: in a secret of their own (public, owned by the creator,
-- hidden from the secrets API by `internal`), sealed like every secret.
-- The row keeps the rest: the non-secret configuration, the resource types
-- (a JSON list) and the labels (a JSON object).
ALTER TABLE secrets ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;

CREATE TABLE service_connectors (
    id                     CHAR(32) PRIMARY KEY,
    name                   VARCHAR(255) NOT NULL UNIQUE,
    connector_type         TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    auth_method            TEXT NOT NULL,
    resource_types         TEXT NOT NULL,
    resource_id            TEXT,
    supports_instances     INTEGER NOT NULL,
    configuration          TEXT,
    secret_id              CHAR(32) REFERENCES secrets (id) ON DELETE SET NULL,
    expires_at             BIGINT,
    expires_skew_tolerance BIGINT,
    expiration_seconds     BIGINT,
    labels                 TEXT,
    user_id                CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created                BIGINT NOT NULL,
    updated                BIGINT NOT NULL
);
CREATE INDEX service_connectors_created ON service_connectors (created, id);
CREATE INDEX components_connector ON components (connector_id);

CREATE TABLE code_repositories (
    id          CHAR(32) PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    project_id  CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    config      TEXT NOT NULL,
    source      TEXT NOT NULL,
    logo_url    TEXT,
    description TEXT,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    UNIQUE (name, project_id)
);
CREATE INDEX code_repositories_created ON code_repositories (created, id);
