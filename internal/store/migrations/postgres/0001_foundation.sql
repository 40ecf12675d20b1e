-- Foundation: server settings, users and service accounts, API keys,
-- projects, and the stack catalogue (flavors, components, stacks).
--
-- PostgreSQL form of the SQLite migration of the same number: booleans
-- are BOOLEAN and text uses the binary "C" collation, so equality and
-- ordering match SQLite's.
--
-- Conventions for every table: ids are 32 lower-case hex characters (a
-- UUID without hyphens, the form the reference's id filters compare on);
-- timestamps are integer microseconds since the Unix epoch, UTC; booleans
-- are 0/1; free-form structures are JSON text.

CREATE TABLE server_settings (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    server_id             CHAR(32) NOT NULL,
    jwt_secret            TEXT COLLATE "C" NOT NULL,
    server_name           TEXT COLLATE "C" NOT NULL,
    logo_url              TEXT COLLATE "C",
    active                BOOLEAN NOT NULL,
    enable_analytics      BOOLEAN NOT NULL,
    display_announcements BOOLEAN,
    display_updates       BOOLEAN,
    onboarding_state      TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    last_user_activity    BIGINT NOT NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL
);

CREATE TABLE projects (
    id           CHAR(32) PRIMARY KEY,
    name         VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
    description  TEXT COLLATE "C" NOT NULL DEFAULT '',
    metadata     TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    -- Maintained with every pipeline create and delete: the unfiltered
    -- list's exact total without counting a million rows.
    pipeline_count BIGINT NOT NULL DEFAULT 0,
    created      BIGINT NOT NULL,
    updated      BIGINT NOT NULL
);
CREATE INDEX projects_created ON projects (created, id);

-- Users and service accounts share one table, as on the reference: a
-- service account is a user that logs in with API keys only.
CREATE TABLE users (
    id                    CHAR(32) PRIMARY KEY,
    name                  VARCHAR(255) COLLATE "C" NOT NULL,
    is_service_account    BOOLEAN NOT NULL,
    full_name             TEXT COLLATE "C" NOT NULL DEFAULT '',
    description           TEXT COLLATE "C",
    email                 TEXT COLLATE "C",
    email_opted_in        BOOLEAN,
    password_hash         TEXT COLLATE "C",
    password_changed      BIGINT,
    activation_token_hash TEXT COLLATE "C",
    active                BOOLEAN NOT NULL,
    is_admin              BOOLEAN NOT NULL,
    external_user_id      CHAR(32),
    user_metadata         TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    avatar_url            TEXT COLLATE "C",
    default_project_id    CHAR(32) REFERENCES projects (id) ON DELETE SET NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (name, is_service_account)
);
CREATE INDEX users_created ON users (is_service_account, created, id);

CREATE TABLE api_keys (
    id                    CHAR(32) PRIMARY KEY,
    service_account_id    CHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                  VARCHAR(255) COLLATE "C" NOT NULL,
    description           TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_hash              TEXT COLLATE "C" NOT NULL,
    previous_key_hash     TEXT COLLATE "C",
    retain_period_minutes INTEGER NOT NULL DEFAULT 0,
    key_gen               INTEGER NOT NULL DEFAULT 1,
    active                BOOLEAN NOT NULL,
    last_login            BIGINT,
    last_rotated          BIGINT,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (service_account_id, name)
);

CREATE TABLE flavors (
    id                         CHAR(32) PRIMARY KEY,
    name                       VARCHAR(255) COLLATE "C" NOT NULL,
    type                       VARCHAR(64) COLLATE "C" NOT NULL,
    display_name               TEXT COLLATE "C",
    integration                TEXT COLLATE "C",
    source                     TEXT COLLATE "C" NOT NULL,
    logo_url                   TEXT COLLATE "C",
    is_custom                  BOOLEAN NOT NULL,
    config_schema              TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    connector_type             TEXT COLLATE "C",
    connector_resource_type    TEXT COLLATE "C",
    connector_resource_id_attr TEXT COLLATE "C",
    docs_url                   TEXT COLLATE "C",
    sdk_docs_url               TEXT COLLATE "C",
    user_id                    CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created                    BIGINT NOT NULL,
    updated                    BIGINT NOT NULL,
    UNIQUE (name, type)
);

CREATE TABLE components (
    id                    CHAR(32) PRIMARY KEY,
    name                  VARCHAR(255) COLLATE "C" NOT NULL,
    type                  VARCHAR(64) COLLATE "C" NOT NULL,
    flavor_name           VARCHAR(255) COLLATE "C" NOT NULL,
    configuration         TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    labels                TEXT COLLATE "C",
    environment           TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    connector_id          CHAR(32),
    connector_resource_id TEXT COLLATE "C",
    user_id               CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (name, type)
);

CREATE TABLE stacks (
    id              CHAR(32) PRIMARY KEY,
    name            VARCHAR(255) COLLATE "C" NOT NULL UNIQUE,
    description     TEXT COLLATE "C" NOT NULL DEFAULT '',
    stack_spec_path TEXT COLLATE "C",
    labels          TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    environment     TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL
);

CREATE TABLE stack_components (
    stack_id     CHAR(32) NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    component_id CHAR(32) NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (stack_id, component_id)
);
CREATE INDEX stack_components_component ON stack_components (component_id);
