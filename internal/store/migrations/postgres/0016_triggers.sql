-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Webhooks and triggers. A webhook's signing secret is an internal secret
-- (a row of secrets that no secrets route shows: the column is 0015's), sealed like any other
-- and re-encrypted by rotate-key; its intake statistics are on its row
-- (the reference's webhook_stats is one row per webhook).

CREATE TABLE webhooks (
    id                    CHAR(32) PRIMARY KEY,
    project_id            CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id               CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name                  VARCHAR(255) COLLATE "C" NOT NULL,
    webhook_type          VARCHAR(255) COLLATE "C" NOT NULL,
    active                BOOLEAN NOT NULL,
    -- No cascade: the secret goes with the webhook, deleted by the store.
    secret_id             CHAR(32) NOT NULL REFERENCES secrets (id),
    received_count        BIGINT NOT NULL DEFAULT 0,
    accepted_count        BIGINT NOT NULL DEFAULT 0,
    auth_failed_count     BIGINT NOT NULL DEFAULT 0,
    invalid_payload_count BIGINT NOT NULL DEFAULT 0,
    last_received_at      BIGINT,
    last_accepted_at      BIGINT,
    last_error_at         BIGINT,
    last_error_summary    TEXT COLLATE "C",
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX webhooks_project_created ON webhooks (project_id, created, id);

-- Triggers: schedules (native), platform events and webhook events. The
-- type-specific fields are one JSON document (configuration), with the
-- columns the lists filter on kept flat, as the reference keeps them.
CREATE TABLE triggers (
    id              CHAR(32) PRIMARY KEY,
    project_id      CHAR(32) NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    name            VARCHAR(255) COLLATE "C" NOT NULL,
    active          BOOLEAN NOT NULL,
    is_archived     BOOLEAN NOT NULL DEFAULT FALSE,
    type            VARCHAR(20) COLLATE "C" NOT NULL,
    flavor          VARCHAR(50) COLLATE "C" NOT NULL,
    configuration   TEXT COLLATE "C" NOT NULL,
    concurrency     VARCHAR(20) COLLATE "C" NOT NULL,
    webhook_id      CHAR(32) REFERENCES webhooks (id) ON DELETE SET NULL,
    next_occurrence BIGINT,
    source_entity   VARCHAR(255) COLLATE "C",
    target_events   TEXT COLLATE "C",
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX triggers_project_created ON triggers (project_id, created, id);
CREATE INDEX triggers_webhook ON triggers (webhook_id);

-- The executable snapshots a trigger runs.
CREATE TABLE trigger_snapshots (
    trigger_id     CHAR(32) NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
    snapshot_id    CHAR(32) NOT NULL REFERENCES pipeline_snapshots (id) ON DELETE CASCADE,
    created        BIGINT NOT NULL,
    dispatch_state TEXT COLLATE "C",
    PRIMARY KEY (trigger_id, snapshot_id)
);
CREATE INDEX trigger_snapshots_snapshot ON trigger_snapshots (snapshot_id);
