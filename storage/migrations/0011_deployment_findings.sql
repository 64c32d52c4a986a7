-- What the verifying handshake saw, diagnosed (chain, names, dates, keys):
-- a JSON array of findings kept with the deployment.
ALTER TABLE deployments ADD COLUMN findings jsonb NOT NULL DEFAULT '[]';
