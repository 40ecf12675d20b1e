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
    trusted_device       INTEGER NOT NULL DEFAULT 0,
    os                   TEXT,
    ip_address           TEXT,
    hostname             TEXT,
    python_version       TEXT,
    zenml_version        TEXT,
    city                 TEXT,
    region               TEXT,
    country              TEXT,
    user_id              CHAR(32) REFERENCES users (id) ON DELETE CASCADE,
    created              BIGINT NOT NULL,
    updated              BIGINT NOT NULL
);
CREATE INDEX auth_devices_user_created ON auth_devices (user_id, created, id);
