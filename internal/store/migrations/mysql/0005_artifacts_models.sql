-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Artifacts and models as the reference lists them.

-- A version's number when its version string is an integer (the reference's
-- version_number): the next automatic version is one more than the largest.
ALTER TABLE artifact_versions ADD COLUMN version_number BIGINT;
UPDATE artifact_versions SET version_number = CAST(version AS SIGNED) WHERE version REGEXP '^[0-9]+$';
CREATE INDEX artifact_versions_artifact_created ON artifact_versions (artifact_id, created, id);
CREATE INDEX artifact_versions_project_created ON artifact_versions (project_id, created, id);
CREATE INDEX artifact_versions_project_updated ON artifact_versions (project_id, updated, id);
CREATE INDEX artifact_versions_project_number ON artifact_versions (project_id, version_number, id);
CREATE INDEX artifacts_project_created ON artifacts (project_id, created, id);
-- The `artifact` filter matches names across the project's artifacts.
CREATE INDEX artifacts_name ON artifacts (name);

-- The newest version of each artifact, maintained with every version
-- create and delete, for latest_version_* and the latest_version sort.
ALTER TABLE artifacts ADD COLUMN latest_version_id CHAR(32);
-- COALESCE(newest version's created, created): the latest_version sort key.
ALTER TABLE artifacts ADD COLUMN latest_activity BIGINT;
UPDATE artifacts SET latest_activity = COALESCE((SELECT MAX(av.created) FROM artifact_versions av WHERE av.artifact_id = artifacts.id), created);
UPDATE artifacts SET latest_version_id = (SELECT av.id FROM artifact_versions av WHERE av.artifact_id = artifacts.id ORDER BY av.created DESC, av.id DESC LIMIT 1);
CREATE INDEX artifacts_project_latest ON artifacts (project_id, latest_activity, id);

-- The project's numbers of artifacts and artifact versions answer the
-- unfiltered totals.
ALTER TABLE projects ADD COLUMN artifact_version_count BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET artifact_version_count = (SELECT COUNT(*) FROM artifact_versions av WHERE av.project_id = projects.id);
ALTER TABLE projects ADD COLUMN artifact_count BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET artifact_count = (SELECT COUNT(*) FROM artifacts a WHERE a.project_id = projects.id);

CREATE TABLE models (
    id                      CHAR(32) PRIMARY KEY,
    project_id              CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id                 CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name                    VARCHAR(255) NOT NULL,
    license                 LONGTEXT,
    description             LONGTEXT,
    audience                LONGTEXT,
    use_cases               LONGTEXT,
    limitations             LONGTEXT,
    trade_offs              LONGTEXT,
    ethics                  LONGTEXT,
    save_models_to_registry BOOLEAN NOT NULL DEFAULT TRUE,
    -- The highest-numbered version, maintained with every version create
    -- and delete, and COALESCE(newest version's created, created).
    latest_version_id       CHAR(32),
    latest_activity         BIGINT NOT NULL,
    created                 BIGINT NOT NULL,
    updated                 BIGINT NOT NULL,
    UNIQUE (project_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX models_project_created ON models (project_id, created, id);
CREATE INDEX models_project_latest ON models (project_id, latest_activity, id);

CREATE TABLE model_versions (
    id              CHAR(32) PRIMARY KEY,
    model_id        CHAR(32) NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    project_id      CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name            VARCHAR(255) NOT NULL,
    number          INTEGER NOT NULL,
    description     LONGTEXT,
    stage           VARCHAR(255),
    -- The run a numeric version was made for: one such version per run.
    producer_run_id CHAR(32),
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL,
    UNIQUE (model_id, number),
    UNIQUE (model_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX model_versions_project_created ON model_versions (project_id, created, id);
CREATE INDEX model_versions_model_stage ON model_versions (model_id, stage);
CREATE INDEX model_versions_producer ON model_versions (model_id, producer_run_id);

CREATE TABLE model_version_artifacts (
    id                  CHAR(32) PRIMARY KEY,
    model_version_id    CHAR(32) NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    artifact_version_id CHAR(32) NOT NULL REFERENCES artifact_versions (id) ON DELETE CASCADE,
    created             BIGINT NOT NULL,
    updated             BIGINT NOT NULL,
    UNIQUE (model_version_id, artifact_version_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX model_version_artifacts_version ON model_version_artifacts (artifact_version_id);

CREATE TABLE model_version_runs (
    id               CHAR(32) PRIMARY KEY,
    model_version_id CHAR(32) NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    pipeline_run_id  CHAR(32) NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    created          BIGINT NOT NULL,
    updated          BIGINT NOT NULL,
    UNIQUE (model_version_id, pipeline_run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX model_version_runs_run ON model_version_runs (pipeline_run_id);

ALTER TABLE pipeline_runs ADD COLUMN model_version_id CHAR(32);
ALTER TABLE pipeline_runs ADD CONSTRAINT pipeline_runs_model_version FOREIGN KEY (model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL;
ALTER TABLE step_runs ADD COLUMN model_version_id CHAR(32);
ALTER TABLE step_runs ADD CONSTRAINT step_runs_model_version FOREIGN KEY (model_version_id) REFERENCES model_versions (id) ON DELETE SET NULL;

-- Whether a run still expects its steps' heartbeats (PUT .../disable_heartbeat).
ALTER TABLE pipeline_runs ADD COLUMN enable_heartbeat BOOLEAN NOT NULL DEFAULT TRUE;

-- A step's heartbeat threshold in minutes, when its run expects heartbeats.
ALTER TABLE step_runs ADD COLUMN heartbeat_threshold INTEGER;
