-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Pipeline builds: the images a remote orchestrator runs.

CREATE TABLE pipeline_builds (
    id             CHAR(32) PRIMARY KEY,
    project_id     CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id        CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    pipeline_id    CHAR(32) REFERENCES pipelines (id) ON DELETE SET NULL,
    stack_id       CHAR(32) REFERENCES stacks (id) ON DELETE SET NULL,
    images         TEXT COLLATE "C" NOT NULL,
    is_local       BOOLEAN NOT NULL,
    contains_code  BOOLEAN NOT NULL,
    zenml_version  VARCHAR(255) COLLATE "C",
    python_version VARCHAR(255) COLLATE "C",
    checksum       VARCHAR(255) COLLATE "C",
    stack_checksum VARCHAR(255) COLLATE "C",
    duration       BIGINT,
    created        BIGINT NOT NULL,
    updated        BIGINT NOT NULL
);
CREATE INDEX pipeline_builds_project_created ON pipeline_builds (project_id, created, id);
