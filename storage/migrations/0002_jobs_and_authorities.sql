-- Durable jobs (the queue behind every operation) and the built-in CAs.

CREATE TABLE jobs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL,
  payload           jsonb NOT NULL DEFAULT '{}',
  state             text NOT NULL DEFAULT 'queued' CHECK (state IN
                      ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Higher runs first.
  priority          smallint NOT NULL DEFAULT 0,
  run_at            timestamptz NOT NULL DEFAULT now(),
  attempts          integer NOT NULL DEFAULT 0,
  max_attempts      integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
  -- Who runs it and until when; the token changes on every claim so a
  -- worker whose lease was taken away cannot complete the job.
  lease_owner       text,
  lease_token       bigint,
  lease_expires_at  timestamptz,
  cancel_requested  boolean NOT NULL DEFAULT false,
  progress          text NOT NULL DEFAULT '',
  last_error        text,
  last_error_code   integer,
  result            jsonb,
  idempotency_key   text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  finished_at       timestamptz
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 1);

-- Claimable jobs only, so claims scan a small index however long the
-- history grows.
CREATE INDEX jobs_ready_idx ON jobs (priority DESC, run_at, id)
  WHERE state = 'queued';
CREATE INDEX jobs_leases_idx ON jobs (lease_expires_at) WHERE state = 'running';
-- Partial: most jobs have no key, and every index on this table is written
-- on every state change, so the fewer entries the better. Listing filters
-- by state or kind walk the primary key instead of having indexes of their
-- own for the same reason.
CREATE UNIQUE INDEX jobs_idempotency_key_idx ON jobs (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE SEQUENCE job_lease_tokens;

CREATE TABLE certificate_authorities (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                text NOT NULL UNIQUE,
  parent_id           uuid REFERENCES certificate_authorities (id),
  -- This CA's certificate, then its parents' up to the root.
  chain_pem           text NOT NULL,
  subject             text NOT NULL,
  sha256_fingerprint  text NOT NULL,
  key_type            text NOT NULL,
  not_before          timestamptz NOT NULL,
  not_after           timestamptz NOT NULL,
  private_key_id      uuid NOT NULL REFERENCES private_keys (id),
  is_default          boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX certificate_authorities_one_default_idx
  ON certificate_authorities (is_default) WHERE is_default;

-- Issued versions record the job that issued them: a job re-run after a
-- crash finds its own version instead of issuing a second one.
ALTER TABLE certificate_versions
  ADD COLUMN issued_by_job_id bigint UNIQUE REFERENCES jobs (id),
  ADD COLUMN issuer_ca_id uuid REFERENCES certificate_authorities (id);
