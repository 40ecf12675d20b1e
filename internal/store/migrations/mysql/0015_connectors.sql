-- MySQL/MariaDB form of the SQLite migration of the same number
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
    name                   VARCHAR(255) NOT NULL UNIQUE,
    connector_type         LONGTEXT NOT NULL,
    description            LONGTEXT NOT NULL DEFAULT (''),
    auth_method            LONGTEXT NOT NULL,
    resource_types         LONGTEXT NOT NULL,
    resource_id            LONGTEXT,
    supports_instances     BOOLEAN NOT NULL,
    configuration          LONGTEXT,
    secret_id              CHAR(32) REFERENCES secrets (id) ON DELETE SET NULL,
    expires_at             BIGINT,
    expires_skew_tolerance BIGINT,
    expiration_seconds     BIGINT,
    labels                 LONGTEXT,
    user_id                CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created                BIGINT NOT NULL,
    updated                BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX service_connectors_created ON service_connectors (created, id);
CREATE INDEX components_connector ON components (connector_id);

CREATE TABLE code_repositories (
    id          CHAR(32) PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    project_id  CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    config      LONGTEXT NOT NULL,
    source      LONGTEXT NOT NULL,
    logo_url    LONGTEXT,
    description LONGTEXT,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    UNIQUE (name, project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX code_repositories_created ON code_repositories (created, id);
