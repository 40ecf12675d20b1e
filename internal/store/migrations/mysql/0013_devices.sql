-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- OAuth2 devices: clients that log in with the device authorization
-- grant (`zenml login <url>`). The user and device codes are kept only as
-- SHA-256 hashes. A device goes with its user, as on the reference.
CREATE TABLE auth_devices (
    id                   CHAR(32) PRIMARY KEY,
    client_id            CHAR(32) NOT NULL UNIQUE,
    user_code_hash       CHAR(64) NOT NULL,
    device_code_hash     CHAR(64) NOT NULL,
    -- pending, verified, active or locked.
    status               VARCHAR(16) NOT NULL,
    failed_auth_attempts INTEGER NOT NULL DEFAULT 0,
    expires              BIGINT,
    last_login           BIGINT,
    trusted_device       BOOLEAN NOT NULL DEFAULT FALSE,
    os                   LONGTEXT,
    ip_address           LONGTEXT,
    hostname             LONGTEXT,
    python_version       LONGTEXT,
    zenml_version        LONGTEXT,
    city                 LONGTEXT,
    region               LONGTEXT,
    country              LONGTEXT,
    user_id              CHAR(32) REFERENCES users (id) ON DELETE CASCADE,
    created              BIGINT NOT NULL,
    updated              BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX auth_devices_user_created ON auth_devices (user_id, created, id);
