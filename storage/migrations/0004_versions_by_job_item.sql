-- A batch issuance job stores many versions: a version is identified by its
-- job and its position in the job's batch (0 for single issuance jobs), and
-- that pair stays unique so a job can never store the same item twice.
ALTER TABLE certificate_versions
  ADD COLUMN issued_by_job_item integer NOT NULL DEFAULT 0
    CHECK (issued_by_job_item >= 0);
ALTER TABLE certificate_versions
  DROP CONSTRAINT certificate_versions_issued_by_job_id_key;
ALTER TABLE certificate_versions
  ADD CONSTRAINT certificate_versions_issued_by_job_item_key
    UNIQUE (issued_by_job_id, issued_by_job_item);
