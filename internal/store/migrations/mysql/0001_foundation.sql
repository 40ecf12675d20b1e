-- Foundation: server settings, users and service accounts, API keys,
-- projects, and the stack catalogue (flavors, components, stacks).
--
-- MySQL/MariaDB form of the SQLite migration of the same number:
-- booleans are BOOLEAN, tables use utf8mb4 with the binary collation so
-- equality and ordering match SQLite's.
--
-- Conventions for every table: ids are 32 lower-case hex characters (a
-- UUID without hyphens, the form the reference's id filters compare on);
-- timestamps are integer microseconds since the Unix epoch, UTC; booleans
-- are 0/1; free-form structures are JSON text.

CREATE TABLE server_settings (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    server_id             CHAR(32) NOT NULL,
    jwt_secret            LONGTEXT NOT NULL,
    server_name           LONGTEXT NOT NULL,
    logo_url              LONGTEXT,
    active                BOOLEAN NOT NULL,
    enable_analytics      BOOLEAN NOT NULL,
    display_announcements BOOLEAN,
    display_updates       BOOLEAN,
    onboarding_state      LONGTEXT NOT NULL DEFAULT ('[]'),
    last_user_activity    BIGINT NOT NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE projects (
    id           CHAR(32) PRIMARY KEY,
    name         VARCHAR(255) NOT NULL UNIQUE,
    display_name LONGTEXT NOT NULL DEFAULT (''),
    description  LONGTEXT NOT NULL DEFAULT (''),
    metadata     LONGTEXT NOT NULL DEFAULT ('{}'),
    -- Maintained with every pipeline create and delete: the unfiltered
    -- list's exact total without counting a million rows.
    pipeline_count BIGINT NOT NULL DEFAULT 0,
    created      BIGINT NOT NULL,
    updated      BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX projects_created ON projects (created, id);

-- Users and service accounts share one table, as on the reference: a
-- service account is a user that logs in with API keys only.
CREATE TABLE users (
    id                    CHAR(32) PRIMARY KEY,
    name                  VARCHAR(255) NOT NULL,
    is_service_account    BOOLEAN NOT NULL,
    full_name             LONGTEXT NOT NULL DEFAULT (''),
    description           LONGTEXT,
    email                 LONGTEXT,
    email_opted_in        BOOLEAN,
    password_hash         LONGTEXT,
    password_changed      BIGINT,
    activation_token_hash LONGTEXT,
    active                BOOLEAN NOT NULL,
    is_admin              BOOLEAN NOT NULL,
    external_user_id      CHAR(32),
    user_metadata         LONGTEXT NOT NULL DEFAULT ('{}'),
    avatar_url            LONGTEXT,
    default_project_id    CHAR(32) REFERENCES projects (id) ON DELETE SET NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (name, is_service_account)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX users_created ON users (is_service_account, created, id);

CREATE TABLE api_keys (
    id                    CHAR(32) PRIMARY KEY,
    service_account_id    CHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                  VARCHAR(255) NOT NULL,
    description           LONGTEXT NOT NULL DEFAULT (''),
    key_hash              LONGTEXT NOT NULL,
    previous_key_hash     LONGTEXT,
    retain_period_minutes INTEGER NOT NULL DEFAULT 0,
    key_gen               INTEGER NOT NULL DEFAULT 1,
    active                BOOLEAN NOT NULL,
    last_login            BIGINT,
    last_rotated          BIGINT,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (service_account_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE flavors (
    id                         CHAR(32) PRIMARY KEY,
    name                       VARCHAR(255) NOT NULL,
    type                       VARCHAR(64) NOT NULL,
    display_name               LONGTEXT,
    integration                LONGTEXT,
    source                     LONGTEXT NOT NULL,
    logo_url                   LONGTEXT,
    is_custom                  BOOLEAN NOT NULL,
    config_schema              LONGTEXT NOT NULL DEFAULT ('{}'),
    connector_type             LONGTEXT,
    connector_resource_type    LONGTEXT,
    connector_resource_id_attr LONGTEXT,
    docs_url                   LONGTEXT,
    sdk_docs_url               LONGTEXT,
    user_id                    CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created                    BIGINT NOT NULL,
    updated                    BIGINT NOT NULL,
    UNIQUE (name, type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE components (
    id                    CHAR(32) PRIMARY KEY,
    name                  VARCHAR(255) NOT NULL,
    type                  VARCHAR(64) NOT NULL,
    flavor_name           VARCHAR(255) NOT NULL,
    configuration         LONGTEXT NOT NULL DEFAULT ('{}'),
    labels                LONGTEXT,
    environment           LONGTEXT NOT NULL DEFAULT ('{}'),
    connector_id          CHAR(32),
    connector_resource_id LONGTEXT,
    user_id               CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created               BIGINT NOT NULL,
    updated               BIGINT NOT NULL,
    UNIQUE (name, type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE stacks (
    id              CHAR(32) PRIMARY KEY,
    name            VARCHAR(255) NOT NULL UNIQUE,
    description     LONGTEXT NOT NULL DEFAULT (''),
    stack_spec_path LONGTEXT,
    labels          LONGTEXT NOT NULL DEFAULT ('{}'),
    environment     LONGTEXT NOT NULL DEFAULT ('{}'),
    user_id         CHAR(32) REFERENCES users (id) ON DELETE SET NULL,
    created         BIGINT NOT NULL,
    updated         BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE stack_components (
    stack_id     CHAR(32) NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    component_id CHAR(32) NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (stack_id, component_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX stack_components_component ON stack_components (component_id);
