-- Run templates: a snapshot kept under a name to run again.
CREATE TABLE run_templates (
    id                 CHAR(32) PRIMARY KEY,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name               VARCHAR(255) NOT NULL,
    description        TEXT,
    hidden             INTEGER NOT NULL DEFAULT 0,
    source_snapshot_id CHAR(32) REFERENCES pipeline_snapshots (id) ON DELETE SET NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
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
    url                 TEXT,
    status              VARCHAR(32) NOT NULL,
    deployment_metadata TEXT NOT NULL,
    auth_key            TEXT,
    snapshot_id         CHAR(32) REFERENCES pipeline_snapshots (id) ON DELETE SET NULL,
    -- A deployer that still manages deployments cannot be deleted.
    deployer_id         CHAR(32) REFERENCES components (id) ON DELETE SET NULL,
    created             BIGINT NOT NULL,
    updated             BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX deployments_project_created ON deployments (project_id, created, id);
CREATE INDEX deployments_snapshot ON deployments (snapshot_id, created, id);
CREATE INDEX deployments_deployer ON deployments (deployer_id);
