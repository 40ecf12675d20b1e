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
    service_type       TEXT NOT NULL,
    type               TEXT NOT NULL,
    flavor             TEXT NOT NULL,
    service_source     TEXT,
    admin_state        VARCHAR(32),
    state              VARCHAR(32),
    config             TEXT NOT NULL,
    config_hash        CHAR(64) NOT NULL,
    labels             TEXT,
    status             TEXT,
    endpoint           TEXT,
    prediction_url     TEXT,
    health_check_url   TEXT,
    -- Taken from the configuration at creation, for the filters only.
    pipeline_name      TEXT,
    pipeline_step_name TEXT,
    model_version_id   CHAR(32) REFERENCES model_versions (id) ON DELETE SET NULL,
    pipeline_run_id    CHAR(32) REFERENCES pipeline_runs (id) ON DELETE SET NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
);
CREATE INDEX services_project_created ON services (project_id, created, id);
CREATE INDEX services_config_hash ON services (config_hash);
CREATE INDEX services_pipeline_run ON services (pipeline_run_id);
CREATE INDEX services_model_version ON services (model_version_id);
