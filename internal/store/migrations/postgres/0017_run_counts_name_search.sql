-- PostgreSQL form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py; the name index is written by hand).
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

-- Trigram index of pipeline names: pg_trgm's GIN index on the name as
-- the LIKE filters fold it (ASCII letters only), so contains/startswith/
-- endswith on names use it and PostgreSQL re-checks the LIKE itself.
-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may
-- create it. Where it cannot be created the index is left out and the
-- same filters scan, with the same answers.
DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm unavailable: name search scans'; END $$;
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN EXECUTE 'CREATE INDEX pipelines_name_trgm ON pipelines USING gin (translate(name, ''ABCDEFGHIJKLMNOPQRSTUVWXYZ'', ''abcdefghijklmnopqrstuvwxyz'') gin_trgm_ops)'; END IF; END $$;
