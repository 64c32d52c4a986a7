// cloud/'s CasClient against certferry-cloud-emulator in-process, over real
// HTTP: the client's signer and the emulator's verifier are independent
// implementations of the same published algorithm, so every accepted call
// is evidence both are right. Deploys to emulated SLB and CDN resources,
// checks what their TLS ports serve, rolls a worker back, survives 30%
// injected throttling, and orders DV certificates the emulator issues.

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cloud/cas_client.h"
#include "cloud/http_client.h"
#include "cloud/rpc_client.h"
#include "common/clock.h"
#include "emulator/cloud_emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"
#include "pki/names.h"
#include "targets/endpoint_probe.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"

namespace certferry::cloud {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kSlb = 1001;
constexpr int64_t kCdn = 1002;

class CasEmulatorTest : public ::testing::TestWithParam<SignatureVersion> {
 protected:
  void StartEmulator(double throttle_share, int worker_step_ms = 30) {
    auto config = emulator::ParseEmulatorConfig(absl::StrCat(
        R"({"access_keys": [{"id": "LTAItest", "secret": "s3cret"}],
            "worker_step_ms": )",
        worker_step_ms, R"(,
            "quotas": {"tier": "paid", "deployment_credits": 1000},
            "resources": [
              {"id": 1001, "product": "SLB", "domain": "www.example.com",
               "region": "cn-hangzhou", "instance_id": "lb-1"},
              {"id": 1002, "product": "CDN", "domain": "cdn.example.com",
               "region": "cn-hangzhou", "instance_id": "cdn-1"}],
            "faults": {"failing_validation_domains": ["fail.example.com"],
                       "throttle_share": )",
        throttle_share, R"(, "seed": 7}})"));
    ASSERT_THAT(config, IsOk());
    emulator_ = std::make_unique<emulator::CloudEmulator>(*std::move(config));
    ASSERT_THAT(emulator_->Start("127.0.0.1", 0), IsOk());

    RpcClientOptions options;
    options.endpoint = absl::StrCat("http://127.0.0.1:", emulator_->api_port());
    options.version = kCasVersion;
    options.region_id = "cn-hangzhou";
    options.signature_version = GetParam();
    options.retry.max_attempts = 10;
    options.retry.initial_backoff = absl::Milliseconds(5);
    options.retry.max_backoff = absl::Milliseconds(50);
    options.retry.sleep = [](absl::Duration d) {
      // The emulator asks for 1 s between throttled calls; the test keeps
      // the order of attempts but not the full wait.
      absl::SleepFor(std::min(d, absl::Milliseconds(20)));
    };
    Credentials credentials{"LTAItest", SecretString("s3cret"), std::nullopt};
    rpc_ = std::make_unique<RpcClient>(options, credentials, http_, clock_);
    cas_ = std::make_unique<CasClient>(*rpc_);
  }

  struct Uploaded {
    int64_t id = 0;
    std::string leaf_sha256;
  };
  Uploaded Upload(const std::string& name, std::vector<std::string> names) {
    testing::TestChain chain = testing::MakeChain(names);
    UploadUserCertificateRequest request;
    request.name = name;
    request.cert = chain.fullchain_pem();
    request.key = SecretString(chain.leaf.key.private_key_pem);
    auto uploaded = cas_->UploadUserCertificate(request);
    EXPECT_THAT(uploaded, IsOk());
    return {uploaded.ok() ? uploaded->cert_id : 0,
            pki::Sha256Hex(chain.leaf.cert_der)};
  }

  // Creates, starts and follows a deployment job to its end.
  int64_t Deploy(int64_t cert_id, std::vector<int64_t> resources,
                 std::string* end_status) {
    CreateDeploymentJobRequest request;
    request.name = absl::StrCat("job-", cert_id);
    request.job_type = "user";
    request.cert_ids = {cert_id};
    request.resource_ids = std::move(resources);
    request.contact_ids = {1};  // CAS requires a contact to notify
    auto job = cas_->CreateDeploymentJob(request);
    EXPECT_THAT(job, IsOk());
    if (!job.ok()) return 0;
    EXPECT_THAT(cas_->UpdateDeploymentJobStatus(*job, "scheduling"), IsOk());
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          auto described = cas_->DescribeDeploymentJob(*job);
          if (!described.ok()) return false;
          *end_status = described->status;
          return described->status == "success" || described->status == "error";
        },
        absl::Seconds(30)));
    return *job;
  }

  std::string Served(int64_t resource) {
    auto served = targets::FetchServedCertificate(
        {"127.0.0.1", emulator_->ResourceTlsPort(resource), ""},
        absl::Seconds(5));
    EXPECT_THAT(served, IsOk());
    return served.ok() ? served->leaf_sha256 : "";
  }

  int64_t Order(const std::string& domain, const std::string& validate_type) {
    CreateCertificateRequestParams request;
    request.domain = domain;
    request.email = "ops@example.com";
    request.phone = "13800000000";
    request.username = "Ops";
    request.validate_type = validate_type;
    auto order = cas_->CreateCertificateRequest(request);
    EXPECT_THAT(order, IsOk());
    return order.ok() ? *order : 0;
  }

  // Polls the order until `done` holds for its state (or the deadline),
  // keeping every state seen, in order.
  std::vector<CertificateState> Follow(
      int64_t order_id,
      const std::function<bool(const CertificateState&)>& done) {
    std::vector<CertificateState> seen;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          auto state = cas_->DescribeCertificateState(order_id);
          if (!state.ok()) return false;
          seen.push_back(*state);
          return done(*state);
        },
        absl::Seconds(30)));
    return seen;
  }

  SystemClock clock_;
  CurlHttpClient http_;
  std::unique_ptr<emulator::CloudEmulator> emulator_;
  std::unique_ptr<RpcClient> rpc_;
  std::unique_ptr<CasClient> cas_;
};

TEST_P(CasEmulatorTest, DeployServesTheCertificateAndWorkerRollbackPutsBack) {
  StartEmulator(0);
  const Uploaded a = Upload("cert-a", {"www.example.com", "cdn.example.com"});
  std::string status;
  Deploy(a.id, {kSlb, kCdn}, &status);
  ASSERT_EQ(status, "success");
  EXPECT_EQ(Served(kSlb), a.leaf_sha256);
  EXPECT_EQ(Served(kCdn), a.leaf_sha256);

  const Uploaded b = Upload("cert-b", {"www.example.com"});
  const int64_t job = Deploy(b.id, {kSlb}, &status);
  ASSERT_EQ(status, "success");
  EXPECT_EQ(Served(kSlb), b.leaf_sha256);
  EXPECT_EQ(Served(kCdn), a.leaf_sha256);

  ListWorkerResourceRequest workers;
  workers.job_id = job;
  auto listed = cas_->ListWorkerResource(workers);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->data.size(), 1u);
  EXPECT_EQ(listed->data[0].resource_id, kSlb);
  ASSERT_THAT(
      cas_->UpdateWorkerResourceStatus(job, listed->data[0].id, "rollback"),
      IsOk());
  EXPECT_TRUE(testing::WaitFor([&] { return Served(kSlb) == a.leaf_sha256; },
                               absl::Seconds(30)));
}

TEST_P(CasEmulatorTest, UncoveredResourceIsRefusedBeforeAnyJob) {
  StartEmulator(0);
  const Uploaded other = Upload("other", {"other.example.com"});
  CreateDeploymentJobRequest request;
  request.name = "mismatch";
  request.job_type = "user";
  request.cert_ids = {other.id};
  request.resource_ids = {kSlb};
  request.contact_ids = {1};
  auto job = cas_->CreateDeploymentJob(request);
  EXPECT_FALSE(job.ok());
  EXPECT_THAT(job.status().message(),
              HasSubstr("Number of matching certificates is 0"));
}

TEST_P(CasEmulatorTest, ThirtyPercentThrottlingStillDeploysEverything) {
  StartEmulator(0.3);
  for (int i = 0; i < 4; ++i) {
    const Uploaded c = Upload(absl::StrCat("cert-", i), {"www.example.com"});
    ASSERT_NE(c.id, 0);
    std::string status;
    Deploy(c.id, {kSlb}, &status);
    EXPECT_EQ(status, "success");
    EXPECT_EQ(Served(kSlb), c.leaf_sha256);
  }
}

// A step long enough that a poll surely lands in each order state twice.
constexpr int kOrderStepMs = 400;

TEST_P(CasEmulatorTest, DnsOrderIsIssuedAndItsCertificateDeploys) {
  StartEmulator(0, kOrderStepMs);
  const int64_t order = Order("www.example.com", "DNS");
  ASSERT_NE(order, 0);
  const std::vector<CertificateState> seen =
      Follow(order, [](const CertificateState& s) {
        return s.type == "certificate" || s.type == "verify_fail";
      });
  ASSERT_FALSE(seen.empty());

  // domain_verify, then process, then certificate, never back.
  std::vector<std::string> types;
  for (const CertificateState& s : seen) {
    if (types.empty() || types.back() != s.type) types.push_back(s.type);
  }
  EXPECT_THAT(
      types, ::testing::ElementsAre("domain_verify", "process", "certificate"));
  // The DNS challenge is there, and the same on every poll.
  std::vector<const CertificateState*> verifying;
  for (const CertificateState& s : seen) {
    if (s.type == "domain_verify") verifying.push_back(&s);
  }
  ASSERT_GE(verifying.size(), 2u);
  const CertificateState& challenge = *verifying.front();
  EXPECT_EQ(challenge.validate_type, "DNS");
  EXPECT_EQ(challenge.record_domain, "_dnsauth.www");
  EXPECT_EQ(challenge.record_type, "TXT");
  EXPECT_FALSE(challenge.record_value.empty());
  EXPECT_TRUE(challenge.certificate.empty());
  for (const CertificateState* s : verifying) {
    EXPECT_EQ(s->record_domain, challenge.record_domain);
    EXPECT_EQ(s->record_value, challenge.record_value);
  }

  // The issued chain parses, its leaf covers the domain, the key matches
  // (ParseCertificateBundle checks it) and is not encrypted.
  const CertificateState& issued = seen.back();
  ASSERT_EQ(issued.type, "certificate");
  pki::BundleValidationOptions options;
  options.now = absl::Now();
  options.fields = {"Certificate", "PrivateKey"};
  auto bundle = pki::ParseCertificateBundle(issued.certificate,
                                            issued.private_key, options);
  ASSERT_THAT(bundle, IsOk());
  ASSERT_EQ(bundle->chain.size(), 2u);
  const pki::CertificateInfo& leaf = bundle->chain[0];
  EXPECT_THAT(leaf.dns_names, ::testing::ElementsAre("www.example.com"));
  EXPECT_TRUE(std::any_of(
      leaf.dns_names.begin(), leaf.dns_names.end(), [](const std::string& n) {
        return pki::CertificateNameCovers(n, "www.example.com");
      }));
  EXPECT_FALSE(leaf.is_ca);
  EXPECT_TRUE(bundle->chain[1].is_ca);
  EXPECT_TRUE(bundle->chain[1].self_signed);
  EXPECT_THAT(issued.private_key.Reveal(), HasSubstr("BEGIN PRIVATE KEY"));

  // Stored like an upload: described, listed as CERT but not UPLOAD.
  int64_t cert_id = 0;
  ASSERT_TRUE(absl::SimpleAtoi(issued.cert_id, &cert_id)) << issued.cert_id;
  auto detail = cas_->GetUserCertificateDetail(cert_id);
  ASSERT_THAT(detail, IsOk());
  EXPECT_EQ(detail->sans, "www.example.com");
  EXPECT_EQ(detail->order_id, order);
  EXPECT_EQ(detail->sha2, leaf.sha256_fingerprint);
  auto listed = [&](const std::string& order_type) {
    ListUserCertificateOrderRequest request;
    request.order_type = order_type;
    auto list = cas_->ListUserCertificateOrder(request);
    EXPECT_THAT(list, IsOk());
    std::vector<int64_t> ids;
    if (list.ok()) {
      for (const CertificateOrder& o : list->certificate_order_list) {
        ids.push_back(o.certificate_id);
      }
    }
    return ids;
  };
  EXPECT_THAT(listed("CERT"), ::testing::Contains(cert_id));
  EXPECT_THAT(listed("UPLOAD"), ::testing::Not(::testing::Contains(cert_id)));

  // And it deploys: the SLB's TLS port serves the issued leaf.
  std::string status;
  Deploy(cert_id, {kSlb}, &status);
  ASSERT_EQ(status, "success");
  EXPECT_EQ(Served(kSlb), leaf.sha256_fingerprint);
}

TEST_P(CasEmulatorTest, FileOrderShowsWhereToPutTheFile) {
  StartEmulator(0, kOrderStepMs);
  const int64_t order = Order("cdn.example.com", "FILE");
  ASSERT_NE(order, 0);
  auto state = cas_->DescribeCertificateState(order);
  ASSERT_THAT(state, IsOk());
  ASSERT_EQ(state->type, "domain_verify");
  EXPECT_EQ(state->validate_type, "FILE");
  EXPECT_EQ(state->domain, "cdn.example.com");
  EXPECT_EQ(state->uri, "/.well-known/pki-validation/fileauth.txt");
  EXPECT_FALSE(state->content.empty());
  EXPECT_TRUE(state->record_domain.empty());
  EXPECT_TRUE(state->record_value.empty());
}

TEST_P(CasEmulatorTest, OrderForAFailingValidationDomainEndsVerifyFail) {
  StartEmulator(0);
  const int64_t order = Order("fail.example.com", "DNS");
  ASSERT_NE(order, 0);
  const std::vector<CertificateState> seen =
      Follow(order, [](const CertificateState& s) {
        return s.type == "verify_fail" || s.type == "certificate";
      });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type, "verify_fail");
  EXPECT_TRUE(seen.back().certificate.empty());
  EXPECT_TRUE(seen.back().cert_id.empty());
}

TEST_P(CasEmulatorTest, UnknownOrderIsNotFound) {
  StartEmulator(0);
  EXPECT_THAT(cas_->DescribeCertificateState(424242),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("OrderId")));
}

INSTANTIATE_TEST_SUITE_P(BothSignatures, CasEmulatorTest,
                         ::testing::Values(SignatureVersion::kV1,
                                           SignatureVersion::kV3));

}  // namespace
}  // namespace certferry::cloud
