-- Renewal: each issued version keeps how it was issued, so it can be issued
-- again; each certificate has a renewal policy; one function decides when a
-- version is due, for the scheduler and for the status the API shows.

-- The issuer that issued the version ('builtin_ca' for certferry's own CAs)
-- and what that issuer needs to issue its successor (for the built-in CA:
-- the issuance job payload, model/issue_job.h). NULL for imported versions.
-- Kept with the version, not looked up in its job: jobs are operational
-- records that a retention policy will prune (0003).
ALTER TABLE certificate_versions
  ADD COLUMN issuer_kind text,
  ADD COLUMN issue_params jsonb,
  ADD CONSTRAINT certificate_versions_issuance_check
    CHECK ((issuer_kind IS NULL) = (issue_params IS NULL));

-- Versions issued before this migration: their issuing job still has the
-- parameters (a batch job at the version's position). A version whose job
-- is gone keeps NULLs and is not renewed.
UPDATE certificate_versions v
SET issuer_kind = 'builtin_ca', issue_params = p.params
FROM (
  SELECT v2.certificate_id, v2.version,
         CASE j.kind
           WHEN 'issue_certificate' THEN j.payload
           ELSE j.payload -> 'items' -> v2.issued_by_job_item
         END AS params
  FROM certificate_versions v2
  JOIN jobs j ON j.id = v2.issued_by_job_id
  WHERE v2.source = 'issued' AND v2.issuer_ca_id IS NOT NULL
    AND j.kind IN ('issue_certificate', 'issue_certificates')
) p
WHERE v.certificate_id = p.certificate_id AND v.version = p.version
  AND p.params IS NOT NULL;

-- A certificate without a row has the default policy: renewed, at two
-- thirds of each version's lifetime.
CREATE TABLE renewal_policies (
  certificate_id      uuid PRIMARY KEY REFERENCES certificates (id),
  enabled             boolean NOT NULL DEFAULT true,
  -- Renew once this share of a version's lifetime (notBefore to notAfter)
  -- has passed ...
  lifetime_fraction   double precision
                        CHECK (lifetime_fraction > 0 AND lifetime_fraction < 1),
  -- ... or this many days before its notAfter. At most one of the two;
  -- neither: two thirds.
  days_before_expiry  integer CHECK (days_before_expiry > 0),
  CHECK (lifetime_fraction IS NULL OR days_before_expiry IS NULL),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- When a version with these dates is due for renewal under a policy's
-- fraction or days (NULL: not set). Days that are not shorter than the
-- lifetime fall back to two thirds, so no policy makes a new version due at
-- once (which would renew in a loop). Computed on epoch seconds: no time
-- zone or calendar arithmetic, so every session gets the same instant.
CREATE FUNCTION renewal_due_at(not_before timestamptz, not_after timestamptz,
                               lifetime_fraction double precision,
                               days_before_expiry integer)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_timestamp(CASE
    WHEN days_before_expiry IS NOT NULL
         AND days_before_expiry * 86400.0
             < extract(epoch FROM not_after) - extract(epoch FROM not_before)
      THEN extract(epoch FROM not_after) - days_before_expiry * 86400.0
    ELSE extract(epoch FROM not_before)
         + coalesce(lifetime_fraction, 2.0 / 3)
           * (extract(epoch FROM not_after) - extract(epoch FROM not_before))
  END::double precision)
$$;
