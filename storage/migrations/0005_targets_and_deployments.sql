-- Deploy targets (where TLS terminates) and the record of every deployment
-- to them, which rollback and audit read.

CREATE TABLE targets (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name               text NOT NULL,
  kind               text NOT NULL CHECK (kind IN ('file')),
  -- Kind-specific configuration (e.g. directory, reload command); no
  -- secrets.
  config             jsonb NOT NULL,
  -- DNS names the target serves; a deployed certificate must cover each.
  domains            text[] NOT NULL,
  verify_host        text NOT NULL DEFAULT '',
  verify_port        integer NOT NULL DEFAULT 0,
  verify_sni         text NOT NULL DEFAULT '',
  -- Serialises deployments: the deployment applying to this target now,
  -- and until when its claim holds (a crashed worker's claim runs out).
  busy_deployment_id bigint,
  busy_until         timestamptz,
  -- Deleted targets keep their deployment history.
  deleted_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX targets_live_name_idx ON targets (name)
  WHERE deleted_at IS NULL;

CREATE TABLE deployments (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  target_id              uuid NOT NULL REFERENCES targets (id),
  kind                   text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
  -- The deployment a rollback undoes.
  rolls_back_id          bigint REFERENCES deployments (id),
  -- What is deployed: a stored certificate version, or (for a rollback to
  -- contents certferry did not deploy) the sealed contents found there.
  certificate_id         uuid REFERENCES certificates (id),
  certificate_version    integer,
  contents_chain_pem     text,
  contents_key_id        uuid REFERENCES private_keys (id),
  contents_empty         boolean NOT NULL DEFAULT false,
  leaf_sha256            text NOT NULL DEFAULT '',
  -- What the target held before: a version certferry knows, or the found
  -- contents (sealed), or nothing. Recorded before anything is applied.
  previous_recorded      boolean NOT NULL DEFAULT false,
  previous_certificate_id uuid REFERENCES certificates (id),
  previous_version       integer,
  previous_chain_pem     text,
  previous_key_id        uuid REFERENCES private_keys (id),
  previous_empty         boolean NOT NULL DEFAULT false,
  previous_leaf_sha256   text NOT NULL DEFAULT '',
  state                  text NOT NULL DEFAULT 'queued' CHECK (state IN
                           ('queued', 'running', 'verifying', 'succeeded',
                            'failed', 'rolled_back')),
  verify                 boolean NOT NULL DEFAULT true,
  auto_rollback          boolean NOT NULL DEFAULT true,
  auto_rolled_back       boolean NOT NULL DEFAULT false,
  attempts               integer NOT NULL DEFAULT 0,
  error                  text NOT NULL DEFAULT '',
  -- What the verifying handshake saw, or the target's output.
  evidence               text NOT NULL DEFAULT '',
  job_id                 bigint NOT NULL,
  actor                  text NOT NULL,
  request_id             text NOT NULL DEFAULT '',
  created_at             timestamptz NOT NULL DEFAULT now(),
  started_at             timestamptz,
  finished_at            timestamptz,
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployments_target_idx ON deployments (target_id, id DESC);
CREATE INDEX deployments_certificate_idx ON deployments (certificate_id, id DESC);
CREATE INDEX deployments_job_idx ON deployments (job_id);
