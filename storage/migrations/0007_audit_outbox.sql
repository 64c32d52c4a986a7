-- Audit events are appended to an outbox, without a lock, in the
-- transaction whose change they record; a sealer (one at a time, under the
-- chain head's lock) moves committed entries into the chain in id order.
-- Appending to the chain directly held the head's lock until commit, so no
-- two audited transactions could commit at once.
CREATE TABLE audit_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- When the event happened; copied into the chain and covered by its hash.
  time        timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor       text NOT NULL,
  action      text NOT NULL,
  resource    text NOT NULL DEFAULT '',
  request_id  text NOT NULL DEFAULT '',
  outcome     text NOT NULL,
  summary     text NOT NULL DEFAULT ''
);

-- Entries are inserted, and deleted by sealing; never changed.
CREATE TRIGGER audit_outbox_no_update
  BEFORE UPDATE ON audit_outbox
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
