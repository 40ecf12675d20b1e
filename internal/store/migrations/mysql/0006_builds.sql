-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Pipeline builds: the images a remote orchestrator runs.

CREATE TABLE pipeline_builds (
    id             CHAR(32) PRIMARY KEY,
    project_id     CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id        CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    pipeline_id    CHAR(32) REFERENCES pipelines (id) ON DELETE SET NULL,
    stack_id       CHAR(32) REFERENCES stacks (id) ON DELETE SET NULL,
    images         LONGTEXT NOT NULL,
    is_local       BOOLEAN NOT NULL,
    contains_code  BOOLEAN NOT NULL,
    zenml_version  VARCHAR(255),
    python_version VARCHAR(255),
    checksum       VARCHAR(255),
    stack_checksum VARCHAR(255),
    duration       BIGINT,
    created        BIGINT NOT NULL,
    updated        BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX pipeline_builds_project_created ON pipeline_builds (project_id, created, id);
