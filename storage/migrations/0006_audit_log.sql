-- The tamper-evident audit log (storage/audit_repository.h). Each event
-- carries the SHA-256 of the event before it and of its own content, so a
-- changed, removed or reordered row breaks the chain at that row.

CREATE TABLE audit_events (
  -- Assigned by the appender under the chain head's lock as the head's
  -- last_id + 1: ids are gapless (no identity column, whose rolled-back
  -- values would leave gaps), so a missing id is itself evidence.
  id             bigint PRIMARY KEY CHECK (id > 0),
  -- Decided by the appender (the database clock, read under the lock) and
  -- covered by the hash.
  time           timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor          text NOT NULL,
  action         text NOT NULL,
  resource       text NOT NULL DEFAULT '',
  request_id     text NOT NULL DEFAULT '',
  outcome        text NOT NULL,
  summary        text NOT NULL DEFAULT '',
  -- Hex SHA-256; the first event's previous_hash is 64 zeros.
  previous_hash  text NOT NULL,
  hash           text NOT NULL
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, id DESC);
CREATE INDEX audit_events_time_idx ON audit_events (time);

-- The end of the chain, one row. Appends lock it FOR UPDATE until they
-- commit, so events are chained (and numbered) in commit order, and
-- verification compares the log's last row with it, which detects removal
-- of the newest events too.
CREATE TABLE audit_chain_head (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id    bigint NOT NULL,
  last_hash  text NOT NULL
);
INSERT INTO audit_chain_head (last_id, last_hash)
VALUES (0, repeat('0', 64));

-- Append-only, even for certferry's own role (which owns the table and so
-- could otherwise change it): only a superuser can get around the trigger
-- (session_replication_role = replica, or disabling it), and the hash chain
-- shows what they changed.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
