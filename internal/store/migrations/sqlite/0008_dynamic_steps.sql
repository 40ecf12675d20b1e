-- A dynamic pipeline's steps are configured while it runs: each step run
-- keeps its own configuration (spec and config, as the client sent it).
ALTER TABLE step_runs ADD COLUMN dynamic_config TEXT;
