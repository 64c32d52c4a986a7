-- A certificate version outlives the job that issued it: jobs are
-- operational records that a retention policy will prune, versions are the
-- inventory. The link stays as a plain column, still unique (one version per
-- issuance job), without a foreign key. The key check cost every stored
-- version a lookup and a lock on its job row, in the same transaction that
-- completes that job.
ALTER TABLE certificate_versions
  DROP CONSTRAINT certificate_versions_issued_by_job_id_fkey;
