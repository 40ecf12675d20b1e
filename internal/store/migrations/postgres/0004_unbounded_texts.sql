-- Values the reference's models leave unbounded (metadata keys, a logs
-- entry's source, a snapshot's versions and hash) must not fail on a
-- column's width.
ALTER TABLE run_metadata ALTER COLUMN mkey TYPE TEXT COLLATE "C";
ALTER TABLE logs ALTER COLUMN source TYPE TEXT COLLATE "C";
ALTER TABLE pipeline_snapshots ALTER COLUMN client_version TYPE TEXT COLLATE "C";
ALTER TABLE pipeline_snapshots ALTER COLUMN server_version TYPE TEXT COLLATE "C";
ALTER TABLE pipeline_snapshots ALTER COLUMN pipeline_version_hash TYPE TEXT COLLATE "C";
-- Service accounts are stored with email_opted_in false, as the reference
-- stores them (accounts created before this read null).
UPDATE users SET email_opted_in = FALSE WHERE is_service_account = TRUE AND email_opted_in IS NULL;
