-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Schedules of pipelines on orchestrators that run them by themselves.
CREATE TABLE schedules (
    id                  CHAR(32) PRIMARY KEY,
    project_id          CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id             CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name                VARCHAR(255) COLLATE "C" NOT NULL,
    active              BOOLEAN NOT NULL,
    cron_expression     TEXT COLLATE "C",
    start_time          BIGINT,
    end_time            BIGINT,
    -- Seconds between runs (a float, as the reference keeps it).
    interval_second     DOUBLE PRECISION,
    catchup             BOOLEAN NOT NULL,
    run_once_start_time BIGINT,
    is_archived         BOOLEAN NOT NULL DEFAULT FALSE,
    orchestrator_id     CHAR(32) REFERENCES components (id) ON DELETE SET NULL,
    pipeline_id         CHAR(32) REFERENCES pipelines (id) ON DELETE SET NULL,
    created             BIGINT NOT NULL,
    updated             BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX schedules_project_created ON schedules (project_id, created, id);
