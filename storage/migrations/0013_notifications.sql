-- Webhook notifications: the endpoints that receive them, the ledger of
-- what certferry notified about (each notice once, however many replicas
-- or scans see it), and one delivery per notice and endpoint, carried out
-- by a job.

CREATE TABLE webhook_endpoints (
  id                 uuid PRIMARY KEY,
  -- https://..., or http:// to a loopback address.
  url                text NOT NULL,
  description        text NOT NULL DEFAULT '',
  -- Event names it receives; empty: every event.
  events             text[] NOT NULL DEFAULT '{}',
  -- The HMAC secret, sealed like private keys (AES-256-GCM under the KEK,
  -- associated data certferry/webhook_secret/<id>). Never returned.
  secret_kek_id      text NOT NULL,
  secret_nonce       bytea NOT NULL,
  secret_ciphertext  bytea NOT NULL,
  -- Deleted endpoints keep their delivery history.
  deleted_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- The ledger. A notice is identified by what it is about (`subject`, a
-- resource name such as certificates/<id> or deployments/<id>), the event,
-- the threshold (days before notAfter; 0 for events without one) and the
-- occurrence (what makes a repeat a new notice: the certificate version
-- for expiry, so a renewed certificate is announced again; the renewal
-- attempt for renewal failures). Whoever inserts the row (INSERT ... ON
-- CONFLICT DO NOTHING) queues its deliveries in the same transaction.
-- The other columns are a snapshot of what the payload says.
CREATE TABLE notifications (
  id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event                       text NOT NULL CHECK (event IN
                                ('certificate.expiring',
                                 'certificate.renewal_failed',
                                 'deployment.failed',
                                 'deployment.rolled_back',
                                 'certificate_authority.expiring')),
  subject                     text NOT NULL,
  threshold_days              integer NOT NULL DEFAULT 0
                                CHECK (threshold_days >= 0),
  occurrence                  text NOT NULL DEFAULT '',
  certificate_id              uuid REFERENCES certificates (id),
  certificate_name            text NOT NULL DEFAULT '',
  certificate_version         integer NOT NULL DEFAULT 0,
  -- notAfter of the certificate version or CA the notice is about.
  not_after                   timestamptz,
  certificate_authority_id    uuid REFERENCES certificate_authorities (id),
  certificate_authority_name  text NOT NULL DEFAULT '',
  deployment_id               bigint REFERENCES deployments (id),
  deployment_kind             text NOT NULL DEFAULT '',
  deployment_target           text NOT NULL DEFAULT '',
  auto_rolled_back            boolean NOT NULL DEFAULT false,
  rolled_back_by              bigint NOT NULL DEFAULT 0,
  -- The error of a failure event; never secret.
  error                       text NOT NULL DEFAULT '',
  created_at                  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT notifications_once
    UNIQUE (subject, event, threshold_days, occurrence)
);

CREATE TABLE webhook_deliveries (
  -- Sent as X-Certferry-Delivery; the same on every attempt.
  id                uuid PRIMARY KEY,
  notification_id   bigint NOT NULL REFERENCES notifications (id),
  endpoint_id       uuid NOT NULL REFERENCES webhook_endpoints (id),
  -- The job sending it (its state, attempts and last error are the
  -- delivery's). No foreign key: jobs are operational records a retention
  -- policy may prune (see 0003).
  job_id            bigint NOT NULL UNIQUE,
  -- The latest attempt: HTTP status (0: no response) and error.
  last_status_code  integer NOT NULL DEFAULT 0,
  last_error        text NOT NULL DEFAULT '',
  last_attempt_at   timestamptz,
  delivered_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (notification_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx
  ON webhook_deliveries (endpoint_id, job_id DESC);
