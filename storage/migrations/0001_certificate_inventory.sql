-- The certificate inventory: logical certificates, their immutable versions,
-- their private keys (ciphertext only) and request ids for idempotency.

CREATE TABLE private_keys (
  id          uuid PRIMARY KEY,
  kek_id      text NOT NULL,
  nonce       bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX private_keys_kek_id_idx ON private_keys (kek_id);

CREATE TABLE certificates (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL UNIQUE,
  -- DNS names of the latest version.
  domains         text[] NOT NULL DEFAULT '{}',
  latest_version  integer NOT NULL DEFAULT 0,
  -- notAfter of the latest version, kept here for expiry filters and sorts.
  not_after       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_domains_idx ON certificates USING gin (domains);
CREATE INDEX certificates_not_after_idx ON certificates (not_after);

CREATE TABLE certificate_versions (
  certificate_id      uuid NOT NULL REFERENCES certificates (id),
  version             integer NOT NULL CHECK (version > 0),
  chain_pem           text NOT NULL,
  chain_length        integer NOT NULL CHECK (chain_length > 0),
  serial_number       text NOT NULL,
  sha256_fingerprint  text NOT NULL,
  subject             text NOT NULL,
  issuer              text NOT NULL,
  dns_names           text[] NOT NULL,
  ip_addresses        text[] NOT NULL,
  not_before          timestamptz NOT NULL,
  not_after           timestamptz NOT NULL,
  key_type            text NOT NULL,
  key_bits            integer NOT NULL,
  source              text NOT NULL CHECK (source IN ('imported', 'issued')),
  private_key_id      uuid NOT NULL REFERENCES private_keys (id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate_id, version)
);
CREATE INDEX certificate_versions_fingerprint_idx
  ON certificate_versions (sha256_fingerprint);

-- One row per client-chosen request_id of a mutating call: repeating the
-- request returns the recorded result instead of doing the work again.
CREATE TABLE request_ids (
  request_id        text PRIMARY KEY,
  method            text NOT NULL,
  request_sha256    text NOT NULL,
  resource_id       text NOT NULL DEFAULT '',
  resource_version  integer NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now()
);
