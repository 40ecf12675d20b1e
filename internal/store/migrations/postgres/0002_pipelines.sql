-- PostgreSQL form of the SQLite migration of the same number.
--
-- Pipelines and what they stand on: tags and their links, snapshots, runs,
-- and the artifact records curated visualizations point at.

CREATE TABLE pipelines (
    id                 CHAR(32) PRIMARY KEY,
    name               VARCHAR(255) COLLATE "C" NOT NULL,
    project_id         CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    description        TEXT COLLATE "C",
    -- run_count numbers the runs (their per-pipeline index); it only grows.
    run_count          INTEGER NOT NULL DEFAULT 0,
    -- The newest-created run, maintained with every run create and delete,
    -- so that latest_run_* answers, filters and sorts need no subquery.
    latest_run_id      CHAR(32),
    latest_run_created BIGINT,
    -- COALESCE(latest_run_created, created): the sort_by=latest_run key.
    latest_activity    BIGINT NOT NULL,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
-- The sort indexes carry the name too, so that a name search in sort
-- order reads the index alone.
CREATE INDEX pipelines_project_created ON pipelines (project_id, created, id, name);
CREATE INDEX pipelines_project_updated ON pipelines (project_id, updated, id, name);
CREATE INDEX pipelines_project_latest ON pipelines (project_id, latest_activity, id, name);
CREATE INDEX pipelines_project_user ON pipelines (project_id, user_id, id);
CREATE INDEX pipelines_latest_run ON pipelines (latest_run_id);

CREATE TABLE tags (
    id        CHAR(32) PRIMARY KEY,
    name      VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    color     VARCHAR(32) COLLATE "C" NOT NULL,
    exclusive BOOLEAN NOT NULL,
    user_id   CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created   BIGINT NOT NULL,
    updated   BIGINT NOT NULL
);
CREATE INDEX tags_created ON tags (created, id);

-- Links are polymorphic (resource_type names the table), so the store
-- removes them itself when a resource goes.
CREATE TABLE tag_resources (
    id            CHAR(32) PRIMARY KEY,
    tag_id        CHAR(32) NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    resource_id   CHAR(32) NOT NULL,
    resource_type VARCHAR(32) COLLATE "C" NOT NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    UNIQUE (tag_id, resource_id, resource_type)
);
CREATE INDEX tag_resources_resource ON tag_resources (resource_id, resource_type, tag_id);

CREATE TABLE pipeline_snapshots (
    id                     CHAR(32) PRIMARY KEY,
    name                   VARCHAR(255) COLLATE "C",
    description            TEXT COLLATE "C",
    project_id             CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    pipeline_id            CHAR(32) NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stack_id               CHAR(32) REFERENCES stacks (id) ON DELETE SET NULL,
    user_id                CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    run_name_template      TEXT COLLATE "C" NOT NULL,
    pipeline_configuration TEXT COLLATE "C" NOT NULL,
    step_configurations    TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    step_count             INTEGER NOT NULL DEFAULT 0,
    client_environment     TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    client_version         VARCHAR(64) COLLATE "C",
    server_version         VARCHAR(64) COLLATE "C",
    pipeline_version_hash  VARCHAR(64) COLLATE "C",
    pipeline_spec          TEXT COLLATE "C",
    is_dynamic             BOOLEAN NOT NULL DEFAULT FALSE,
    source_code            TEXT COLLATE "C",
    code_path              TEXT COLLATE "C",
    build_id               CHAR(32),
    schedule_id            CHAR(32),
    code_reference_id      CHAR(32),
    template_id            CHAR(32),
    source_snapshot_id     CHAR(32),
    created                BIGINT NOT NULL,
    updated                BIGINT NOT NULL,
    UNIQUE (pipeline_id, name)
);
CREATE INDEX pipeline_snapshots_project_created ON pipeline_snapshots (project_id, created, id);

CREATE TABLE pipeline_runs (
    id                       CHAR(32) PRIMARY KEY,
    name                     VARCHAR(255) COLLATE "C" NOT NULL,
    project_id               CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    pipeline_id              CHAR(32) REFERENCES pipelines (id) ON DELETE SET NULL,
    snapshot_id              CHAR(32) NOT NULL REFERENCES pipeline_snapshots (id) ON DELETE CASCADE,
    user_id                  CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    status                   VARCHAR(32) COLLATE "C" NOT NULL,
    status_reason            TEXT COLLATE "C",
    in_progress              BOOLEAN NOT NULL,
    run_index                INTEGER NOT NULL,
    orchestrator_run_id      VARCHAR(255) COLLATE "C",
    orchestrator_environment TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    start_time               BIGINT,
    end_time                 BIGINT,
    trigger_info             TEXT COLLATE "C",
    exception_info           TEXT COLLATE "C",
    original_run_id          CHAR(32),
    parent_run_id            CHAR(32),
    child_key                VARCHAR(255) COLLATE "C",
    created                  BIGINT NOT NULL,
    updated                  BIGINT NOT NULL,
    UNIQUE (project_id, name),
    UNIQUE (snapshot_id, orchestrator_run_id)
);
CREATE INDEX pipeline_runs_pipeline_created ON pipeline_runs (pipeline_id, created, id);
CREATE INDEX pipeline_runs_project_created ON pipeline_runs (project_id, created, id);
CREATE INDEX pipeline_runs_snapshot ON pipeline_runs (snapshot_id, status);

CREATE TABLE artifacts (
    id              CHAR(32) PRIMARY KEY,
    name            VARCHAR(255) COLLATE "C" NOT NULL,
    project_id      CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    has_custom_name BOOLEAN NOT NULL DEFAULT FALSE,
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE artifact_versions (
    id                CHAR(32) PRIMARY KEY,
    artifact_id       CHAR(32) NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    version           VARCHAR(255) COLLATE "C" NOT NULL,
    project_id        CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id           CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    type              VARCHAR(64) COLLATE "C" NOT NULL,
    uri               TEXT COLLATE "C" NOT NULL,
    materializer      TEXT COLLATE "C" NOT NULL,
    data_type         TEXT COLLATE "C" NOT NULL,
    save_type         VARCHAR(32) COLLATE "C" NOT NULL,
    artifact_store_id CHAR(32),
    request           TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    created           BIGINT NOT NULL,
    updated           BIGINT NOT NULL,
    UNIQUE (artifact_id, version)
);

CREATE TABLE artifact_visualizations (
    id                  CHAR(32) PRIMARY KEY,
    artifact_version_id CHAR(32) NOT NULL REFERENCES artifact_versions (id) ON DELETE CASCADE,
    type                VARCHAR(32) COLLATE "C" NOT NULL,
    uri                 TEXT COLLATE "C" NOT NULL,
    -- Order within the version, as the client listed them.
    position            INTEGER NOT NULL DEFAULT 0,
    created             BIGINT NOT NULL,
    updated             BIGINT NOT NULL
);
CREATE INDEX artifact_visualizations_version ON artifact_visualizations (artifact_version_id);

-- Curated visualizations point at any resource (resource_type names the
-- table); the store removes them with their resource.
CREATE TABLE curated_visualizations (
    id                        CHAR(32) PRIMARY KEY,
    project_id                CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    artifact_visualization_id CHAR(32) NOT NULL REFERENCES artifact_visualizations (id) ON DELETE CASCADE,
    artifact_version_id       CHAR(32) NOT NULL,
    resource_id               CHAR(32) NOT NULL,
    resource_type             VARCHAR(32) COLLATE "C" NOT NULL,
    display_name              TEXT COLLATE "C",
    display_order             INTEGER,
    layout_size               VARCHAR(32) COLLATE "C" NOT NULL,
    created                   BIGINT NOT NULL,
    updated                   BIGINT NOT NULL,
    UNIQUE (artifact_visualization_id, resource_id, resource_type),
    UNIQUE (resource_id, resource_type, display_order)
);
