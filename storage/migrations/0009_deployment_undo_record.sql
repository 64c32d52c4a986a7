-- How the target itself can undo a deployment (CAS: job and worker ids),
-- for rollbacks through the target's own mechanism.
ALTER TABLE deployments ADD COLUMN undo_record text NOT NULL DEFAULT '';
