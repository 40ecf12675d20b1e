-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Run templates: a snapshot kept under a name to run again.
CREATE TABLE run_templates (
    id                 CHAR(32) PRIMARY KEY,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name               VARCHAR(255) NOT NULL,
    description        LONGTEXT,
    hidden             BOOLEAN NOT NULL DEFAULT FALSE,
    source_snapshot_id CHAR(32) REFERENCES pipeline_snapshots (id) ON DELETE SET NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL,
    UNIQUE (project_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX run_templates_project_created ON run_templates (project_id, created, id);
CREATE INDEX run_templates_snapshot ON run_templates (source_snapshot_id);
-- A template's latest run is the newest run of a snapshot made from it.
CREATE INDEX pipeline_snapshots_template ON pipeline_snapshots (template_id);

-- Deployments: a snapshot served by a deployer component.
CREATE TABLE deployments (
    id                  CHAR(32) PRIMARY KEY,
    project_id          CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id             CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name                VARCHAR(255) NOT NULL,
    url                 LONGTEXT,
    status              VARCHAR(32) NOT NULL,
    deployment_metadata LONGTEXT NOT NULL,
    auth_key            LONGTEXT,
    snapshot_id         CHAR(32) REFERENCES pipeline_snapshots (id) ON DELETE SET NULL,
    -- A deployer that still manages deployments cannot be deleted.
    deployer_id         CHAR(32) REFERENCES components (id) ON DELETE SET NULL,
    created             BIGINT NOT NULL,
    updated             BIGINT NOT NULL,
    UNIQUE (project_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX deployments_project_created ON deployments (project_id, created, id);
CREATE INDEX deployments_snapshot ON deployments (snapshot_id, created, id);
CREATE INDEX deployments_deployer ON deployments (deployer_id);
