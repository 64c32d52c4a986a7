-- Revocation of certificate versions issued by a built-in CA, and each CA's
-- current certificate revocation list (RFC 5280 §5).

-- One row per revoked version. A revocation is final: there is no
-- certificateHold (6) to lift later and no removeFromCRL (8), which only
-- delta CRLs use; cACompromise (2) and aACompromise (10) describe CA and
-- attribute-authority keys, not a leaf's. The allowed reason codes are the
-- ones RFC 5280 §5.3.1 and the CA/Browser Forum baseline requirements
-- (§7.2.2) leave for subscriber certificates.
CREATE TABLE revocations (
  certificate_id  uuid NOT NULL,
  version         integer NOT NULL,
  -- What the CRL lists: the leaf's serial (uppercase hex, as in
  -- certificate_versions) under the CA that issued it.
  serial_number   text NOT NULL,
  issuer_ca_id    uuid NOT NULL REFERENCES certificate_authorities (id),
  reason_code     smallint NOT NULL CHECK (reason_code IN (0, 1, 3, 4, 5, 9)),
  revoked_at      timestamptz NOT NULL,
  actor           text NOT NULL,
  -- The request_id of the call that revoked it ('' when none): a repeated
  -- call returns these rows.
  request_id      text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate_id, version),
  FOREIGN KEY (certificate_id, version)
    REFERENCES certificate_versions (certificate_id, version),
  UNIQUE (issuer_ca_id, serial_number)
);
CREATE INDEX revocations_request_id_idx ON revocations (request_id)
  WHERE request_id <> '';

-- The CRL each CA currently publishes. The row is also the lock that orders
-- CRL generation per CA: whoever publishes (a revocation, the scheduled
-- refresh, a fetch of a stale CRL) locks it, reads the CA's revocations and
-- stores the next number, so numbers only grow and every CRL lists every
-- revocation committed before it.
CREATE TABLE certificate_revocation_lists (
  ca_id        uuid PRIMARY KEY REFERENCES certificate_authorities (id),
  -- RFC 5280 §5.2.3 cRLNumber; 0 only inside the transaction that creates
  -- the row and stores the first CRL.
  crl_number   bigint NOT NULL DEFAULT 0 CHECK (crl_number >= 0),
  this_update  timestamptz,
  next_update  timestamptz,
  -- The signed CRL, DER, as served at <crl base URL>/crl/<ca_id>.crl.
  der          bytea,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((der IS NULL) = (crl_number = 0)),
  CHECK (der IS NULL OR next_update > this_update)
);
