-- AIRec recommendation instances (certificate_info.xlsx binding) are
-- targets too.
ALTER TABLE targets DROP CONSTRAINT targets_kind_check;
ALTER TABLE targets ADD CONSTRAINT targets_kind_check
  CHECK (kind IN ('file', 'cas', 'airec'));
