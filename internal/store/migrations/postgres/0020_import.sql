-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- `zengo import`: where an import of a ZenML database stands, so that an
-- interrupted import continues where it stopped. One row per source table
-- (last_key is the JSON array of the primary key of the last row read),
-- written in the same transaction as the rows of each batch; the row named
-- '#source' holds the source's server id, so that a resumed import reads
-- the same database.
CREATE TABLE import_progress (
    source_table VARCHAR(64) COLLATE "C" PRIMARY KEY,
    last_key     TEXT COLLATE "C" NOT NULL,
    rows_read    BIGINT NOT NULL DEFAULT 0,
    done         BOOLEAN NOT NULL DEFAULT FALSE
);

-- Source rows that could not be written, with the reason: reported by the
-- final verification, never dropped silently.
CREATE TABLE import_rejects (
    source_table VARCHAR(64) COLLATE "C" NOT NULL,
    source_key   VARCHAR(255) COLLATE "C" NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (source_table, source_key)
);
