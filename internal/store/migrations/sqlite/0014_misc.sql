-- Hooks a run or step invoked (success, failure, init, cleanup), with the
-- artifact versions they produced.
CREATE TABLE hook_invocations (
    id              CHAR(32) PRIMARY KEY,
    project_id      CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    pipeline_run_id CHAR(32) NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    step_run_id     CHAR(32) REFERENCES step_runs (id) ON DELETE CASCADE,
    hook_type       VARCHAR(64) NOT NULL,
    name            VARCHAR(255),
    status          VARCHAR(64) NOT NULL,
    start_time      BIGINT NOT NULL,
    end_time        BIGINT,
    source          TEXT,
    exception_info  TEXT,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL
);
CREATE INDEX hook_invocations_project_created ON hook_invocations (project_id, created, id);
CREATE INDEX hook_invocations_run ON hook_invocations (pipeline_run_id);
CREATE INDEX hook_invocations_step ON hook_invocations (step_run_id);

CREATE TABLE hook_invocation_outputs (
    hook_invocation_id  CHAR(32) NOT NULL REFERENCES hook_invocations (id) ON DELETE CASCADE,
    artifact_version_id CHAR(32) NOT NULL REFERENCES artifact_versions (id) ON DELETE CASCADE,
    name                VARCHAR(255) NOT NULL,
    -- The request's order, in which the answer lists them.
    position            INTEGER NOT NULL,
    PRIMARY KEY (hook_invocation_id, artifact_version_id, name)
);
CREATE INDEX hook_invocation_outputs_version ON hook_invocation_outputs (artifact_version_id);
CREATE INDEX logs_hook_invocation ON logs (hook_invocation_id);

-- What a dynamic run waits for (a human's answer, an external signal),
-- at most one pending per run.
CREATE TABLE run_wait_conditions (
    id                      CHAR(32) PRIMARY KEY,
    project_id              CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id                 CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    run_id                  CHAR(32) NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    resolved_by_user_id     CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name                    VARCHAR(255) NOT NULL,
    type                    VARCHAR(64) NOT NULL,
    status                  VARCHAR(64) NOT NULL,
    question                TEXT,
    data_schema             TEXT,
    resolution              VARCHAR(64),
    result                  TEXT,
    last_polled_at          BIGINT,
    poller_instance_id      VARCHAR(255),
    poller_lease_expires_at BIGINT,
    resolved_at             BIGINT,
    created                 BIGINT NOT NULL,
    updated                 BIGINT NOT NULL,
    UNIQUE (run_id, name)
);
CREATE INDEX run_wait_conditions_run_status ON run_wait_conditions (run_id, status);
CREATE INDEX run_wait_conditions_project_created ON run_wait_conditions (project_id, created, id);
