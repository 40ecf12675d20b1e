-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Services (model deployments and the like) that pipelines start. The
-- configuration is kept as the client sent it; config_hash is the SHA-256 of
-- its text as Python's json.dumps writes it, the reference's one
-- uniqueness rule (a configuration is used at most once, in all projects).
CREATE TABLE services (
    id                 CHAR(32) PRIMARY KEY,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name               VARCHAR(255) COLLATE "C" NOT NULL,
    -- service_type as the client sent it (type, flavor, name, description,
    -- logo_url); type and flavor again for filtering and sorting.
    service_type       TEXT COLLATE "C" NOT NULL,
    type               TEXT COLLATE "C" NOT NULL,
    flavor             TEXT COLLATE "C" NOT NULL,
    service_source     TEXT COLLATE "C",
    admin_state        VARCHAR(32) COLLATE "C",
    state              VARCHAR(32) COLLATE "C",
    config             TEXT COLLATE "C" NOT NULL,
    config_hash        CHAR(64) NOT NULL,
    labels             TEXT COLLATE "C",
    status             TEXT COLLATE "C",
    endpoint           TEXT COLLATE "C",
    prediction_url     TEXT COLLATE "C",
    health_check_url   TEXT COLLATE "C",
    -- Taken from the configuration at creation, for the filters only.
    pipeline_name      TEXT COLLATE "C",
    pipeline_step_name TEXT COLLATE "C",
    model_version_id   CHAR(32) REFERENCES model_versions (id) ON DELETE SET NULL,
    pipeline_run_id    CHAR(32) REFERENCES pipeline_runs (id) ON DELETE SET NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
);
CREATE INDEX services_project_created ON services (project_id, created, id);
CREATE INDEX services_config_hash ON services (config_hash);
CREATE INDEX services_pipeline_run ON services (pipeline_run_id);
CREATE INDEX services_model_version ON services (model_version_id);
