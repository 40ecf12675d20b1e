-- PostgreSQL form of the SQLite migration of the same number
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
    status               VARCHAR(16) COLLATE "C" NOT NULL,
    failed_auth_attempts INTEGER NOT NULL DEFAULT 0,
    expires              BIGINT,
    last_login           BIGINT,
    trusted_device       BOOLEAN NOT NULL DEFAULT FALSE,
    os                   TEXT COLLATE "C",
    ip_address           TEXT COLLATE "C",
    hostname             TEXT COLLATE "C",
    python_version       TEXT COLLATE "C",
    zenml_version        TEXT COLLATE "C",
    city                 TEXT COLLATE "C",
    region               TEXT COLLATE "C",
    country              TEXT COLLATE "C",
    user_id              CHAR(32) REFERENCES users (id) ON DELETE CASCADE,
    created              BIGINT NOT NULL,
    updated              BIGINT NOT NULL
);
CREATE INDEX auth_devices_user_created ON auth_devices (user_id, created, id);
