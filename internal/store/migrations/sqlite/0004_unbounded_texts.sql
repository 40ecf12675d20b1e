-- Values the reference's models leave unbounded must not be cut short by a
-- column's width: SQLite does not enforce VARCHAR widths, so only the
-- PostgreSQL and MySQL forms widen columns.
-- Service accounts are stored with email_opted_in false, as the reference
-- stores them (accounts created before this read null).
UPDATE users SET email_opted_in = FALSE WHERE is_service_account = TRUE AND email_opted_in IS NULL;
