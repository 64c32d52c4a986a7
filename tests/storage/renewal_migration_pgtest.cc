// Migration 0014 on a database with versions issued before it: each
// version issued by the built-in CA gets its issuance record from its job
// (a batch job's item at the version's position); imported versions and
// versions whose job is gone get none.

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::storage {
namespace {

using ::certferry::testing::IsOk;

std::vector<Migration> MigrationsBefore(int version) {
  std::vector<Migration> out;
  for (const Migration& m : EmbeddedMigrations()) {
    if (m.version < version) out.push_back(m);
  }
  return out;
}

TEST(RenewalMigration, RecordsHowEarlierVersionsWereIssued) {
  auto test_db = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(ApplyMigrations(**db, MigrationsBefore(14)), IsOk());

  const std::string single =
      R"({"name":"one","names":["one.example.com"],"keyType":"ecdsa-p256",)"
      R"("validitySeconds":86400,"issuerId":"00000000-0000-0000-0000-0000000000ca"})";
  const std::string item1 =
      R"({"name":"two","names":["two.example.com"],"keyType":"rsa-2048",)"
      R"("validitySeconds":3600,"issuerId":"00000000-0000-0000-0000-0000000000ca"})";
  const std::string batch =
      absl::StrCat(R"({"items":[{"name":"x"},)", item1, "]}");
  // One CA; versions of four certificates: issued alone (job 1), item 1 of
  // a batch (job 2), imported, and issued by a job that is gone (id 99).
  const std::string setup = absl::StrCat(R"sql(
INSERT INTO private_keys (id, kek_id, nonce, ciphertext)
SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'k', 'n', 'c'
FROM generate_series(1, 5) AS i;
INSERT INTO certificate_authorities (id, name, chain_pem, subject,
  sha256_fingerprint, key_type, not_before, not_after, private_key_id)
VALUES ('00000000-0000-0000-0000-0000000000ca', 'root', 'pem', 'CN=root',
        'f', 'ECDSA', now(), now() + interval '1 year',
        '00000000-0000-0000-0000-000000000005');
INSERT INTO jobs (kind, payload) VALUES ('issue_certificate', ')sql",
                                         single, R"sql('::jsonb),
  ('issue_certificates', ')sql",
                                         batch, R"sql('::jsonb);
INSERT INTO certificates (id, name, latest_version)
SELECT ('00000000-0000-0000-0000-00000000c00' || i)::uuid, 'c' || i, 1
FROM generate_series(1, 4) AS i;
INSERT INTO certificate_versions (certificate_id, version, chain_pem,
  chain_length, serial_number, sha256_fingerprint, subject, issuer,
  dns_names, ip_addresses, not_before, not_after, key_type, key_bits, source,
  private_key_id, issued_by_job_id, issued_by_job_item, issuer_ca_id)
SELECT ('00000000-0000-0000-0000-00000000c00' || i)::uuid, 1, 'pem', 1, '01',
       'fp' || i, 'CN=x', 'CN=root', '{}', '{}', now(), now() + interval '1 day',
       'ECDSA', 256, CASE WHEN i = 3 THEN 'imported' ELSE 'issued' END,
       ('00000000-0000-0000-0000-00000000000' || i)::uuid,
       CASE i WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 4 THEN 99 END,
       CASE WHEN i = 2 THEN 1 ELSE 0 END,
       CASE WHEN i = 3 THEN NULL
            ELSE '00000000-0000-0000-0000-0000000000ca'::uuid END
FROM generate_series(1, 4) AS i;
)sql");
  ASSERT_THAT(testing::ExecAsSuperuser(test_db->dsn, setup), IsOk());

  ASSERT_THAT(ApplyMigrations(**db, EmbeddedMigrations()), IsOk());
  auto record = [&](int i) {
    auto value = testing::QueryScalar(
        test_db->dsn,
        absl::StrCat("SELECT coalesce(issuer_kind, '-') || ' ' || "
                     "coalesce(issue_params::text, '-') FROM "
                     "certificate_versions WHERE certificate_id = "
                     "'00000000-0000-0000-0000-00000000c00",
                     i, "'"));
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : "";
  };
  auto canonical = [&](const std::string& json) {
    auto value = testing::QueryScalar(
        test_db->dsn, absl::StrCat("SELECT '", json, "'::jsonb::text"));
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : "";
  };
  EXPECT_EQ(record(1), "builtin_ca " + canonical(single));
  EXPECT_EQ(record(2), "builtin_ca " + canonical(item1));
  EXPECT_EQ(record(3), "- -");
  EXPECT_EQ(record(4), "- -");
}

}  // namespace
}  // namespace certferry::storage
