-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Services (model deployments and the like) that pipelines start. The
-- configuration is kept as the client sent it; config_hash is the SHA-256 of
-- its text as Python's json.dumps writes it, the reference's one
-- uniqueness rule (a configuration is used at most once, in all projects).
CREATE TABLE services (
    id                 CHAR(32) PRIMARY KEY,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name               VARCHAR(255) NOT NULL,
    -- service_type as the client sent it (type, flavor, name, description,
    -- logo_url); type and flavor again for filtering and sorting.
    service_type       LONGTEXT NOT NULL,
    type               LONGTEXT NOT NULL,
    flavor             LONGTEXT NOT NULL,
    service_source     LONGTEXT,
    admin_state        VARCHAR(32),
    state              VARCHAR(32),
    config             LONGTEXT NOT NULL,
    config_hash        CHAR(64) NOT NULL,
    labels             LONGTEXT,
    status             LONGTEXT,
    endpoint           LONGTEXT,
    prediction_url     LONGTEXT,
    health_check_url   LONGTEXT,
    -- Taken from the configuration at creation, for the filters only.
    pipeline_name      LONGTEXT,
    pipeline_step_name LONGTEXT,
    model_version_id   CHAR(32) REFERENCES model_versions (id) ON DELETE SET NULL,
    pipeline_run_id    CHAR(32) REFERENCES pipeline_runs (id) ON DELETE SET NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX services_project_created ON services (project_id, created, id);
CREATE INDEX services_config_hash ON services (config_hash);
CREATE INDEX services_pipeline_run ON services (pipeline_run_id);
CREATE INDEX services_model_version ON services (model_version_id);
