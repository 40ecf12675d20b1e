-- Runs at scale and name search.
--
-- Maintained run counts: the project's runs (the unfiltered run list's
-- exact total) and each pipeline's runs (the total of a pipeline's run
-- list). They change in the transactions that create and delete runs
-- (pipelines.run_count numbers runs and only grows; run_total counts the
-- runs there are).
ALTER TABLE projects ADD COLUMN run_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pipelines ADD COLUMN run_total BIGINT NOT NULL DEFAULT 0;
UPDATE projects SET run_count = (SELECT COUNT(*) FROM pipeline_runs r WHERE r.project_id = projects.id);
UPDATE pipelines SET run_total = (SELECT COUNT(*) FROM pipeline_runs r WHERE r.pipeline_id = pipelines.id);

-- The dashboard's run lists sort by last update, the project's and a
-- pipeline's.
CREATE INDEX pipeline_runs_project_updated ON pipeline_runs (project_id, updated, id);
CREATE INDEX pipeline_runs_pipeline_updated ON pipeline_runs (pipeline_id, updated, id);
-- A run's child runs (the DAG shows them): without it, every DAG read
-- scanned all runs.
CREATE INDEX pipeline_runs_parent ON pipeline_runs (parent_run_id, created, id);

-- Trigram index of pipeline names (FTS5, external content): a prefilter
-- for contains/startswith/endswith on names; the exact LIKE is applied
-- after it. SQLite only: PostgreSQL has a pg_trgm index on the folded name.
CREATE VIRTUAL TABLE pipelines_name_trgm USING fts5(name, content='pipelines', content_rowid='rowid', tokenize='trigram');
INSERT INTO pipelines_name_trgm (pipelines_name_trgm) VALUES ('rebuild');
CREATE TRIGGER pipelines_name_trgm_insert AFTER INSERT ON pipelines BEGIN INSERT INTO pipelines_name_trgm (rowid, name) VALUES (new.rowid, new.name); END;
CREATE TRIGGER pipelines_name_trgm_delete AFTER DELETE ON pipelines BEGIN INSERT INTO pipelines_name_trgm (pipelines_name_trgm, rowid, name) VALUES ('delete', old.rowid, old.name); END;
CREATE TRIGGER pipelines_name_trgm_update AFTER UPDATE OF name ON pipelines BEGIN INSERT INTO pipelines_name_trgm (pipelines_name_trgm, rowid, name) VALUES ('delete', old.rowid, old.name); INSERT INTO pipelines_name_trgm (rowid, name) VALUES (new.rowid, new.name); END;
