-- Values the reference's models leave unbounded (metadata keys, a logs
-- entry's source, a snapshot's versions and hash) must not fail on a
-- column's width.
ALTER TABLE run_metadata MODIFY mkey LONGTEXT NOT NULL;
ALTER TABLE logs MODIFY source LONGTEXT NOT NULL;
ALTER TABLE pipeline_snapshots MODIFY client_version LONGTEXT;
ALTER TABLE pipeline_snapshots MODIFY server_version LONGTEXT;
ALTER TABLE pipeline_snapshots MODIFY pipeline_version_hash LONGTEXT;
-- Service accounts are stored with email_opted_in false, as the reference
-- stores them (accounts created before this read null).
UPDATE users SET email_opted_in = FALSE WHERE is_service_account = TRUE AND email_opted_in IS NULL;
