-- Cloud resources deployed through Alibaba Cloud CAS are targets too.
ALTER TABLE targets DROP CONSTRAINT targets_kind_check;
ALTER TABLE targets ADD CONSTRAINT targets_kind_check
  CHECK (kind IN ('file', 'cas'));
