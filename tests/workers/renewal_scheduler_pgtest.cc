// The renewal scheduler against a real PostgreSQL: which versions are due
// (by lifetime fraction, by days before expiry, the default), which are
// left alone (disabled, imported, expired, other issuers), and one job per
// version however many schedulers scan, and when.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/renewal.h"
#include "storage/certificate_repository.h"
#include "storage/job_repository.h"
#include "storage/renewal_repository.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"
#include "workers/renewal_scheduler.h"

namespace certferry::workers {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::IsOkAndHolds;
using ::testing::Eq;

const absl::Time kT0 = absl::FromUnixSeconds(1893456000);  // 2030-01-01

class RenewalSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 8);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  // Stores a version of certificate `name` valid from `not_before` for
  // `lifetime`, issued by an issuer of `issuer_kind` ("" = imported).
  // Returns the certificate id.
  std::string Store(const std::string& name, absl::Time not_before,
                    absl::Duration lifetime,
                    const std::string& issuer_kind = model::kBuiltInCaIssuer) {
    storage::NewCertificateVersion in;
    in.certificate_name = name;
    model::CertificateVersion& v = in.version;
    v.chain_pem = "-----BEGIN CERTIFICATE-----\n(test)\n";
    v.chain_length = 1;
    v.serial_number = "01";
    v.sha256_fingerprint = NewUuid();
    v.subject = absl::StrCat("CN=", name, ".example.com");
    v.issuer = "CN=test";
    v.dns_names = {absl::StrCat(name, ".example.com")};
    v.not_before = not_before;
    v.not_after = not_before + lifetime;
    v.key_type = "ECDSA";
    v.key_bits = 256;
    v.source = issuer_kind.empty() ? model::CertificateSource::kImported
                                   : model::CertificateSource::kIssued;
    in.private_key.id = NewUuid();
    in.private_key.kek_id = "kek-test";
    in.private_key.nonce = "nonce";
    in.private_key.ciphertext = "ciphertext";
    if (!issuer_kind.empty()) in.issuance = {issuer_kind, "{}"};
    auto stored = db_->RunInTransaction<model::Certificate>(
        "store", [&](storage::Transaction& tx) {
          return storage::CertificateRepository::AddVersion(tx, in);
        });
    EXPECT_THAT(stored, IsOk());
    return stored.ok() ? stored->id : "";
  }

  void SetPolicy(const std::string& id, const model::RenewalPolicy& policy) {
    ASSERT_THAT(
        db_->RunInTransaction("policy",
                              [&](storage::Transaction& tx) {
                                return storage::RenewalRepository::SetPolicy(
                                    tx, id, policy);
                              }),
        IsOk());
  }

  std::unique_ptr<RenewalScheduler> Scheduler(
      std::vector<std::string> kinds = {model::kBuiltInCaIssuer},
      int batch = 500) {
    RenewalSchedulerConfig config;
    config.interval = absl::ZeroDuration();
    config.batch = batch;
    return std::make_unique<RenewalScheduler>(*db_, clock_, std::move(kinds),
                                              nullptr, config);
  }

  // Scans once at `now`; returns how many jobs it created.
  int ScanAt(absl::Time now) {
    clock_.Set(now);
    absl::StatusOr<int> created = Scheduler()->ScanOnce();
    EXPECT_THAT(created, IsOk());
    return created.ok() ? *created : -1;
  }

  std::string Scalar(const std::string& sql) {
    auto value = testing::QueryScalar(dsn_, sql);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : "";
  }

  int64_t RenewalJobs() {
    return std::stoll(
        Scalar("SELECT count(*) FROM jobs WHERE kind = 'renew_certificate'"));
  }

  testing::FakeClock clock_{kT0};
  std::string dsn_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(RenewalSchedulerTest, DefaultPolicyIsDueAtTwoThirdsOfTheLifetime) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 90));
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 60) - absl::Minutes(1)), 0);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 60) + absl::Minutes(1)), 1);
  // The job names the version, keyed so no other job can be made for it.
  EXPECT_EQ(Scalar("SELECT idempotency_key FROM jobs"),
            absl::StrCat("renew:", id, ":v1"));
  auto payload =
      model::ParseRenewJobPayload(Scalar("SELECT payload FROM jobs"));
  ASSERT_THAT(payload, IsOk());
  EXPECT_EQ(payload->certificate_id, id);
  EXPECT_EQ(payload->version, 1);
  EXPECT_EQ(Scalar("SELECT max_attempts FROM jobs"), "1000000");
}

TEST_F(RenewalSchedulerTest, FractionPolicyDecidesWhenDue) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 100));
  model::RenewalPolicy half;
  half.lifetime_fraction = 0.5;
  SetPolicy(id, half);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 49)), 0);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 51)), 1);
}

TEST_F(RenewalSchedulerTest, DaysPolicyDecidesWhenDue) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 90));
  model::RenewalPolicy ten_days;
  ten_days.days_before_expiry = 10;
  SetPolicy(id, ten_days);
  // Past two thirds but more than ten days before expiry: not yet.
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 79)), 0);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 81)), 1);
}

TEST_F(RenewalSchedulerTest, DaysNotShorterThanTheLifetimeMeanTwoThirds) {
  // A one-hour certificate with "a day before expiry" would be due the
  // moment it exists, and so would each renewal of it.
  const std::string id = Store("short", kT0, absl::Hours(1));
  model::RenewalPolicy one_day;
  one_day.days_before_expiry = 1;
  SetPolicy(id, one_day);
  EXPECT_EQ(ScanAt(kT0 + absl::Minutes(1)), 0);
  EXPECT_EQ(ScanAt(kT0 + absl::Minutes(39)), 0);
  EXPECT_EQ(ScanAt(kT0 + absl::Minutes(41)), 1);
}

TEST_F(RenewalSchedulerTest, DisabledPolicyIsLeftAloneUntilEnabled) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 90));
  model::RenewalPolicy off;
  off.enabled = false;
  SetPolicy(id, off);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 80)), 0);
  SetPolicy(id, model::RenewalPolicy{});
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 80)), 1);
}

TEST_F(RenewalSchedulerTest, ImportedExpiredAndUnknownIssuersAreLeftAlone) {
  Store("imported", kT0, absl::Hours(24 * 90), /*issuer_kind=*/"");
  Store("acme", kT0, absl::Hours(24 * 90), "acme");
  Store("expired", kT0, absl::Hours(24 * 30));
  const std::string ours = Store("ours", kT0, absl::Hours(24 * 90));
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 80)), 1);
  EXPECT_EQ(Scalar("SELECT payload ->> 'certificateId' FROM jobs"), ours);
  // An issuer of that kind plugs in by being scanned for.
  clock_.Set(kT0 + absl::Hours(24 * 80));
  EXPECT_THAT(Scheduler({model::kBuiltInCaIssuer, "acme"})->ScanOnce(),
              IsOkAndHolds(Eq(1)));
}

TEST_F(RenewalSchedulerTest, EachVersionGetsOneJobAndTheNextVersionItsOwn) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 90));
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 61)), 1);
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 62)), 0);
  // Even once that job has ended (here: failed for good), the version
  // gets no second one.
  ASSERT_THAT(
      testing::ExecAsSuperuser(
          dsn_, "UPDATE jobs SET state = 'failed', finished_at = now()"),
      IsOk());
  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 63)), 0);
  // Version 2 (renewed), due in its own time.
  const absl::Time t2 = kT0 + absl::Hours(24 * 63);
  EXPECT_EQ(Store("shop", t2, absl::Hours(24 * 90)), id);
  EXPECT_EQ(ScanAt(t2 + absl::Hours(24 * 59)), 0);
  EXPECT_EQ(ScanAt(t2 + absl::Hours(24 * 61)), 1);
  EXPECT_EQ(Scalar("SELECT string_agg(idempotency_key, ',' ORDER BY id) "
                   "FROM jobs"),
            absl::StrCat("renew:", id, ":v1,renew:", id, ":v2"));
}

TEST_F(RenewalSchedulerTest, BatchesUntilEveryDueVersionHasItsJob) {
  for (int i = 0; i < 7; ++i) {
    Store(absl::StrCat("cert-", i), kT0, absl::Hours(24 * 90));
  }
  clock_.Set(kT0 + absl::Hours(24 * 70));
  EXPECT_THAT(Scheduler({model::kBuiltInCaIssuer}, /*batch=*/3)->ScanOnce(),
              IsOkAndHolds(Eq(7)));
  EXPECT_EQ(RenewalJobs(), 7);
}

TEST_F(RenewalSchedulerTest, ConcurrentSchedulersCreateOneJobPerVersion) {
  constexpr int kCertificates = 40;
  constexpr int kSchedulers = 6;
  for (int i = 0; i < kCertificates; ++i) {
    Store(absl::StrCat("cert-", i), kT0, absl::Hours(24 * 90));
  }
  clock_.Set(kT0 + absl::Hours(24 * 70));
  // Small batches make the replicas' transactions interleave and collide
  // on the same versions.
  std::vector<std::unique_ptr<RenewalScheduler>> schedulers;
  for (int i = 0; i < kSchedulers; ++i) {
    schedulers.push_back(Scheduler({model::kBuiltInCaIssuer}, /*batch=*/4));
  }
  std::atomic<int> created{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (auto& scheduler : schedulers) {
    threads.emplace_back([&, s = scheduler.get()] {
      for (int round = 0; round < 3; ++round) {
        absl::StatusOr<int> n = s->ScanOnce();
        if (n.ok()) {
          created += *n;
        } else {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(created.load(), kCertificates);
  EXPECT_EQ(RenewalJobs(), kCertificates);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT payload ->> 'certificateId') "
                   "FROM jobs"),
            absl::StrCat(kCertificates));
}

TEST_F(RenewalSchedulerTest, ThreadScansWithoutBeingAsked) {
  Store("shop", kT0, absl::Hours(24 * 90));
  clock_.Set(kT0 + absl::Hours(24 * 70));
  RenewalSchedulerConfig config;
  config.interval = absl::Milliseconds(50);
  RenewalScheduler scheduler(*db_, clock_, {model::kBuiltInCaIssuer}, nullptr,
                             config);
  scheduler.Start();
  EXPECT_TRUE(testing::WaitFor([&] { return RenewalJobs() == 1; }));
  scheduler.Stop();
  EXPECT_EQ(RenewalJobs(), 1);
}

TEST_F(RenewalSchedulerTest, RecordsShowPolicyDueTimeAndJob) {
  const std::string id = Store("shop", kT0, absl::Hours(24 * 90));
  const std::string imported =
      Store("imported", kT0, absl::Hours(24 * 90), /*issuer_kind=*/"");
  model::RenewalPolicy ten_days;
  ten_days.days_before_expiry = 10;
  SetPolicy(id, ten_days);
  auto read = [&] {
    return db_->RunInTransaction<std::vector<model::RenewalRecord>>(
        "records", [&](storage::Transaction& tx) {
          return storage::RenewalRepository::GetRecords(
              tx, {imported, id, NewUuid()}, model::kRenewJobKind);
        });
  };
  auto records = read();
  ASSERT_THAT(records, IsOk());
  ASSERT_EQ(records->size(), 2u);  // the unknown id is left out
  EXPECT_EQ((*records)[0].certificate_id, imported);
  EXPECT_EQ((*records)[0].issuer_kind, "");
  const model::RenewalRecord& r = (*records)[1];
  EXPECT_EQ(r.issuer_kind, model::kBuiltInCaIssuer);
  EXPECT_EQ(r.policy.days_before_expiry, 10);
  EXPECT_FALSE(r.policy.lifetime_fraction.has_value());
  EXPECT_EQ(r.due_at, kT0 + absl::Hours(24 * 80));
  EXPECT_FALSE(r.job.has_value());

  EXPECT_EQ(ScanAt(kT0 + absl::Hours(24 * 81)), 1);
  records = read();
  ASSERT_THAT(records, IsOk());
  ASSERT_TRUE((*records)[1].job.has_value());
  EXPECT_EQ((*records)[1].job->state, model::JobState::kQueued);
  EXPECT_EQ((*records)[1].job->attempts, 0);
}

}  // namespace
}  // namespace certferry::workers
