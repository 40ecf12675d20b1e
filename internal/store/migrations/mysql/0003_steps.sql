-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- What a pipeline run records as it executes: step runs with their input
-- and output artifact versions, log references and run metadata.

CREATE TABLE step_runs (
    id                   CHAR(32) PRIMARY KEY,
    name                 VARCHAR(255) NOT NULL,
    project_id           CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id              CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    pipeline_run_id      CHAR(32) NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    status               VARCHAR(32) NOT NULL,
    start_time           BIGINT,
    end_time             BIGINT,
    cache_key            VARCHAR(255),
    cache_expires_at     BIGINT,
    code_hash            VARCHAR(255),
    docstring            LONGTEXT,
    source_code          LONGTEXT,
    original_step_run_id CHAR(32),
    exception_info       LONGTEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    is_retriable         BOOLEAN NOT NULL DEFAULT FALSE,
    latest_heartbeat     BIGINT,
    created              BIGINT NOT NULL,
    updated              BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX step_runs_run ON step_runs (pipeline_run_id, name);
CREATE INDEX step_runs_cache ON step_runs (project_id, cache_key, status, created);
CREATE INDEX step_runs_project_created ON step_runs (project_id, created, id);

-- A step's inputs and outputs, in order within each name.
CREATE TABLE step_run_artifacts (
    step_run_id         CHAR(32) NOT NULL REFERENCES step_runs (id) ON DELETE CASCADE,
    artifact_version_id CHAR(32) NOT NULL REFERENCES artifact_versions (id) ON DELETE CASCADE,
    direction           VARCHAR(8) NOT NULL,
    name                VARCHAR(255) NOT NULL,
    position            INTEGER NOT NULL,
    input_type          VARCHAR(32),
    PRIMARY KEY (step_run_id, direction, name, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX step_run_artifacts_version ON step_run_artifacts (artifact_version_id);

CREATE TABLE logs (
    id                 CHAR(32) PRIMARY KEY,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    uri                LONGTEXT,
    source             VARCHAR(64) NOT NULL,
    artifact_store_id  CHAR(32),
    log_store_id       CHAR(32),
    pipeline_run_id    CHAR(32) REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step_run_id        CHAR(32) REFERENCES step_runs (id) ON DELETE CASCADE,
    hook_invocation_id CHAR(32),
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX logs_run ON logs (pipeline_run_id);
CREATE INDEX logs_step ON logs (step_run_id);

-- Key-value metadata recorded for runs, steps and artifact versions.
CREATE TABLE run_metadata (
    id                 CHAR(32) PRIMARY KEY,
    resource_id        CHAR(32) NOT NULL,
    resource_type      VARCHAR(32) NOT NULL,
    stack_component_id CHAR(32),
    mkey               VARCHAR(255) NOT NULL,
    value              LONGTEXT NOT NULL,
    type               VARCHAR(64) NOT NULL,
    user_id            CHAR(32),
    created            BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX run_metadata_resource ON run_metadata (resource_id, resource_type);

-- The rest of what an artifact version request carries.
ALTER TABLE artifact_versions ADD COLUMN content_hash VARCHAR(255);
ALTER TABLE artifact_versions ADD COLUMN item_count BIGINT;
