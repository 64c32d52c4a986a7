// HTTP-level tests: the emulator runs in-process on free loopback ports and
// requests are signed by a small signer written here from the doc's
// algorithm (shared/ALIBABA_API.md §2.2, §2.4), independent of both the
// emulator's verifier and cloud/'s client signer.

#include "emulator/cloud_emulator.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/certificate_info_xlsx.h"
#include "pki/certificate_bundle.h"
#include "targets/endpoint_probe.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"
#include "tests/support/xlsx_files.h"

namespace certferry::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kKeyId[] = "LTAI5tTestKeyId";
constexpr char kSecret[] = "test-secret-value";

// --- test-side signer (from the doc, not from emulator/ or cloud/) ---

std::string Encode(const std::string& in) {
  std::string out;
  for (unsigned char c : in) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string HmacRaw(const EVP_MD* md, const std::string& key,
                    const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string ToHex(const std::string& raw) {
  std::string out;
  char buf[3];
  for (unsigned char c : raw) {
    snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

std::string Sha256(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return ToHex(std::string(reinterpret_cast<char*>(d), sizeof(d)));
}

std::string NowStamp(absl::Duration offset = absl::ZeroDuration()) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + offset,
                          absl::UTCTimeZone());
}

int nonce_counter = 0;
std::string NewNonce() {
  return absl::StrCat("nonce-", absl::ToUnixNanos(absl::Now()), "-",
                      ++nonce_counter);
}

// The query string of a V1-signed RPC request (§2.2).
std::string SignedQuery(const std::string& method,
                        std::map<std::string, std::string> params,
                        const std::string& secret = kSecret) {
  std::vector<std::string> pairs;
  for (const auto& [k, v] : params)
    pairs.push_back(Encode(k) + "=" + Encode(v));
  const std::string canonical = absl::StrJoin(pairs, "&");
  const std::string to_sign = method + "&%2F&" + Encode(canonical);
  unsigned char b64[64];
  const std::string mac = HmacRaw(EVP_sha1(), secret + "&", to_sign);
  int n =
      EVP_EncodeBlock(b64, reinterpret_cast<const unsigned char*>(mac.data()),
                      static_cast<int>(mac.size()));
  return canonical +
         "&Signature=" + Encode(std::string(reinterpret_cast<char*>(b64), n));
}

std::map<std::string, std::string> Common(const std::string& action) {
  return {{"Action", action},
          {"Version", "2020-04-07"},
          {"Format", "JSON"},
          {"AccessKeyId", kKeyId},
          {"SignatureMethod", "HMAC-SHA1"},
          {"SignatureVersion", "1.0"},
          {"SignatureNonce", NewNonce()},
          {"Timestamp", NowStamp()}};
}

struct Answer {
  int status = 0;
  Json body;
  httplib::Headers headers;
};

Answer ToAnswer(const httplib::Result& result) {
  Answer a;
  if (!result) return a;
  a.status = result->status;
  a.body = Json::parse(result->body, nullptr, false);
  a.headers = result->headers;
  return a;
}

constexpr char kConfig[] = R"({
  "access_keys": [{"id": "LTAI5tTestKeyId", "secret": "test-secret-value"}],
  "worker_step_ms": 30,
  "resources": [
    {"id": 1001, "product": "SLB", "domain": "www.example.com"},
    {"id": 1002, "product": "CDN", "domain": "cdn.example.com"},
    {"id": 1003, "product": "ALB", "domain": "a.b.example.com"},
    {"id": 1004, "product": "PAI-EAS", "domain": "eas.example.com"}
  ],
  "airec_instances": [{"id": "airec-cn-test1", "domain": "rec.example.com"}],
  "faults": {"failing_resource_ids": [1002]}
})";

class CloudEmulatorTest : public ::testing::Test {
 protected:
  void StartWith(const std::string& json) {
    absl::StatusOr<EmulatorConfig> config = ParseEmulatorConfig(json);
    ASSERT_TRUE(config.ok()) << config.status();
    emulator_ = std::make_unique<CloudEmulator>(*std::move(config));
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    client_ =
        std::make_unique<httplib::Client>("127.0.0.1", emulator_->api_port());
  }
  void SetUp() override { StartWith(kConfig); }
  void TearDown() override {
    client_.reset();
    if (emulator_) emulator_->Stop();
  }

  Answer Rpc(const std::string& action,
             std::map<std::string, std::string> params = {}) {
    auto all = Common(action);
    all.insert(params.begin(), params.end());
    return PostQuery(SignedQuery("POST", all));
  }
  Answer PostQuery(const std::string& query) {
    return ToAnswer(client_->Post(("/?" + query).c_str(), "",
                                  "application/x-www-form-urlencoded"));
  }

  int64_t Upload(const std::string& name, const testing::TestChain& chain) {
    Answer a =
        Rpc("UploadUserCertificate", {{"Name", name},
                                      {"Cert", chain.fullchain_pem()},
                                      {"Key", chain.leaf.key.private_key_pem}});
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return a.body.value("CertId", int64_t{0});
  }

  // Creates and starts a job; returns its JobId.
  int64_t Deploy(int64_t cert_id, int64_t resource_id) {
    Answer a = Rpc("CreateDeploymentJob",
                   {{"Name", "job"},
                    {"JobType", "user"},
                    {"CertIds", std::to_string(cert_id)},
                    {"ResourceIds", std::to_string(resource_id)},
                    {"ContactIds", "1"}});
    EXPECT_EQ(a.status, 200) << a.body.dump();
    const int64_t job = a.body.value("JobId", int64_t{0});
    a = Rpc("UpdateDeploymentJobStatus",
            {{"JobId", std::to_string(job)}, {"Status", "pending"}});
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return job;
  }

  Json Workers(int64_t job) {
    return Rpc("ListWorkerResource", {{"JobId", std::to_string(job)}})
        .body["Data"];
  }

  bool WorkerReaches(int64_t job, const std::string& status) {
    return testing::WaitFor([&] {
      Json w = Workers(job);
      return w.size() == 1 && w[0]["Status"] == status;
    });
  }

  std::string ServedLeaf(int port, const std::string& sni) {
    auto served = targets::FetchServedCertificate({"127.0.0.1", port, sni},
                                                  absl::Seconds(5));
    return served.ok() ? served->leaf_sha256 : served.status().ToString();
  }

  std::unique_ptr<CloudEmulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

std::string LeafSha(const testing::TestChain& chain) {
  return pki::ParseCertificateChain(chain.leaf.cert_pem, "leaf")
      .value()[0]
      .sha256_fingerprint;
}

TEST_F(CloudEmulatorTest, BadSignatureIsSignatureDoesNotMatchWithRequestId) {
  std::string query = SignedQuery("POST", Common("ListCloudResources"));
  // Signed for POST, sent as GET: the signature no longer matches.
  Answer a = ToAnswer(client_->Get(("/?" + query).c_str()));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "SignatureDoesNotMatch");
  EXPECT_FALSE(a.body["RequestId"].get<std::string>().empty());
  EXPECT_EQ(a.body["HostId"], "cas.aliyuncs.com");
  EXPECT_THAT(a.body["Recommend"].get<std::string>(),
              HasSubstr("SignatureDoesNotMatch"));

  // Wrong secret, same request shape.
  a = PostQuery(SignedQuery("POST", Common("ListCloudResources"), "nope"));
  EXPECT_EQ(a.body["Code"], "SignatureDoesNotMatch");
}

TEST_F(CloudEmulatorTest, ValidSignatureIsAccepted) {
  Answer a = Rpc("ListCloudResources", {{"CloudProduct", "SLB"}});
  ASSERT_EQ(a.status, 200) << a.body.dump();
  ASSERT_EQ(a.body["Data"].size(), 1u);
  EXPECT_EQ(a.body["Data"][0]["Id"], 1001);
  EXPECT_EQ(a.body["Data"][0]["ListenerPort"],
            std::to_string(emulator_->ResourceTlsPort(1001)));
  EXPECT_EQ(a.body["Total"], 1);
}

TEST_F(CloudEmulatorTest, FormBodyParametersAreSignedToo) {
  auto params = Common("ListCloudResources");
  params["Keyword"] = "cdn";
  Answer a = ToAnswer(client_->Post("/", SignedQuery("POST", params),
                                    "application/x-www-form-urlencoded"));
  ASSERT_EQ(a.status, 200) << a.body.dump();
  ASSERT_EQ(a.body["Data"].size(), 1u);
  EXPECT_EQ(a.body["Data"][0]["Id"], 1002);
}

TEST_F(CloudEmulatorTest, ReplayedNonceIsRejected) {
  const std::string query = SignedQuery("POST", Common("ListCloudResources"));
  EXPECT_EQ(PostQuery(query).status, 200);
  Answer replay = PostQuery(query);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(replay.body["Code"], "SignatureNonceUsed");
}

TEST_F(CloudEmulatorTest, OldTimestampIsRejected) {
  auto params = Common("ListCloudResources");
  params["Timestamp"] = NowStamp(-absl::Minutes(16));
  Answer a = PostQuery(SignedQuery("POST", params));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "InvalidTimeStamp.Expired");
  params["Timestamp"] = NowStamp(-absl::Minutes(14));
  params["SignatureNonce"] = NewNonce();
  EXPECT_EQ(PostQuery(SignedQuery("POST", params)).status, 200);
}

TEST_F(CloudEmulatorTest, UnknownAccessKeyIsNotFound) {
  auto params = Common("ListCloudResources");
  params["AccessKeyId"] = "LTAIunknown";
  Answer a = PostQuery(SignedQuery("POST", params));
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body["Code"], "InvalidAccessKeyId.NotFound");
}

TEST_F(CloudEmulatorTest, MissingParameterNamesIt) {
  Answer a = Rpc("UploadUserCertificate", {{"Name", "x"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "MissingParameter");
  EXPECT_THAT(a.body["Message"].get<std::string>(), HasSubstr("\"Cert\""));
}

TEST_F(CloudEmulatorTest, DeployServesCertificateAndRollbackRestoresPrevious) {
  const int port = emulator_->ResourceTlsPort(1001);
  testing::TestChain first = testing::MakeChain({"www.example.com"});
  testing::TestChain second = testing::MakeChain({"www.example.com"});
  const int64_t first_id = Upload("first", first);
  const int64_t second_id = Upload("second", second);
  // Nothing deployed yet: the placeholder is served.
  EXPECT_NE(ServedLeaf(port, "www.example.com"), LeafSha(first));

  const int64_t job1 = Deploy(first_id, 1001);
  ASSERT_TRUE(WorkerReaches(job1, "success")) << Workers(job1).dump();
  EXPECT_EQ(ServedLeaf(port, "www.example.com"), LeafSha(first));
  Answer job = Rpc("DescribeDeploymentJob", {{"JobId", std::to_string(job1)}});
  EXPECT_TRUE(testing::WaitFor([&] {
    return Rpc("DescribeDeploymentJob", {{"JobId", std::to_string(job1)}})
               .body["Status"] == "success";
  }));

  const int64_t job2 = Deploy(second_id, 1001);
  ASSERT_TRUE(WorkerReaches(job2, "success"));
  EXPECT_EQ(ServedLeaf(port, "www.example.com"), LeafSha(second));
  Json worker = Workers(job2)[0];
  EXPECT_EQ(worker["ResourceCertId"], first_id);
  EXPECT_EQ(worker["CertId"], second_id);

  Answer rollback =
      Rpc("UpdateWorkerResourceStatus",
          {{"JobId", std::to_string(job2)},
           {"WorkerId", std::to_string(worker["Id"].get<int64_t>())},
           {"Status", "rollback"}});
  ASSERT_EQ(rollback.status, 200) << rollback.body.dump();
  ASSERT_TRUE(WorkerReaches(job2, "rollback_success"));
  EXPECT_EQ(ServedLeaf(port, "www.example.com"), LeafSha(first));

  Answer counters =
      Rpc("DescribeDeploymentJobStatus", {{"JobId", std::to_string(job2)}});
  EXPECT_EQ(counters.body["RollbackSuccessCount"], 1);
  EXPECT_EQ(Rpc("DescribeDeploymentJob", {{"JobId", std::to_string(job2)}})
                .body["Rollback"],
            1);
  // The resource reports the certificate it serves again.
  Answer resources = Rpc("ListCloudResources", {{"Keyword", "www"}});
  EXPECT_EQ(resources.body["Data"][0]["CertId"], first_id);
}

TEST_F(CloudEmulatorTest, RollbackOfFirstDeploymentServesPlaceholderAgain) {
  const int port = emulator_->ResourceTlsPort(1004);
  const std::string placeholder = ServedLeaf(port, "eas.example.com");
  testing::TestChain chain = testing::MakeChain({"eas.example.com"});
  const int64_t job = Deploy(Upload("eas", chain), 1004);
  ASSERT_TRUE(WorkerReaches(job, "success"));
  EXPECT_EQ(ServedLeaf(port, "eas.example.com"), LeafSha(chain));
  Rpc("UpdateWorkerResourceStatus",
      {{"JobId", std::to_string(job)},
       {"WorkerId", std::to_string(Workers(job)[0]["Id"].get<int64_t>())},
       {"Status", "rollback"}});
  ASSERT_TRUE(WorkerReaches(job, "rollback_success"));
  EXPECT_EQ(ServedLeaf(port, "eas.example.com"), placeholder);
}

TEST_F(CloudEmulatorTest, RollbackOfUnfinishedWorkerIsRefused) {
  testing::TestChain chain = testing::MakeChain({"cdn.example.com"});
  const int64_t job = Deploy(Upload("cdn", chain), 1002);
  ASSERT_TRUE(WorkerReaches(job, "error"));  // 1002 is configured to fail
  Answer a =
      Rpc("UpdateWorkerResourceStatus",
          {{"JobId", std::to_string(job)},
           {"WorkerId", std::to_string(Workers(job)[0]["Id"].get<int64_t>())},
           {"Status", "rollback"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "InvalidStatus");
}

TEST_F(CloudEmulatorTest, InjectedWorkerFailureLeavesResourceUnchanged) {
  const int port = emulator_->ResourceTlsPort(1002);
  testing::TestChain chain = testing::MakeChain({"cdn.example.com"});
  const int64_t job = Deploy(Upload("cdn", chain), 1002);
  ASSERT_TRUE(WorkerReaches(job, "error"));
  EXPECT_TRUE(testing::WaitFor([&] {
    return Rpc("DescribeDeploymentJob", {{"JobId", std::to_string(job)}})
               .body["Status"] == "error";
  }));
  EXPECT_NE(ServedLeaf(port, "cdn.example.com"), LeafSha(chain));
  EXPECT_EQ(Rpc("DescribeDeploymentJobStatus", {{"JobId", std::to_string(job)}})
                .body["FailedCount"],
            1);
}

TEST_F(CloudEmulatorTest, JobForUncoveredDomainIsRefused) {
  const int64_t other =
      Upload("other", testing::MakeChain({"other.example.com"}));
  Answer a = Rpc("CreateDeploymentJob", {{"Name", "j"},
                                         {"JobType", "user"},
                                         {"CertIds", std::to_string(other)},
                                         {"ResourceIds", "1001"},
                                         {"ContactIds", "1"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(a.body["Message"].get<std::string>(),
              HasSubstr("Number of matching certificates is 0"));

  // A wildcard covers one level only: *.example.com fits www.example.com
  // but not a.b.example.com.
  const int64_t wildcard =
      Upload("wildcard", testing::MakeChain({"*.example.com"}));
  a = Rpc("CreateDeploymentJob", {{"Name", "j"},
                                  {"JobType", "user"},
                                  {"CertIds", std::to_string(wildcard)},
                                  {"ResourceIds", "1003"},
                                  {"ContactIds", "1"}});
  EXPECT_THAT(a.body["Message"].get<std::string>(),
              HasSubstr("Number of matching certificates is 0"));
  a = Rpc("CreateDeploymentJob", {{"Name", "j"},
                                  {"JobType", "user"},
                                  {"CertIds", std::to_string(wildcard)},
                                  {"ResourceIds", "1001"},
                                  {"ContactIds", "1"}});
  EXPECT_EQ(a.status, 200) << a.body.dump();
}

TEST_F(CloudEmulatorTest, UploadRecordsTypeAndPrice) {
  const int64_t wildcard =
      Upload("wildcard", testing::MakeChain({"*.example.com"}));
  const int64_t standard =
      Upload("standard", testing::MakeChain({"www.example.com"}));
  Answer w =
      Rpc("GetUserCertificateDetail",
          {{"CertId", std::to_string(wildcard)}, {"CertFilter", "true"}});
  EXPECT_EQ(w.body["EmulatorProductType"], "Wildcard");
  EXPECT_DOUBLE_EQ(w.body["EmulatorPrice"].get<double>(), 1.5);
  EXPECT_EQ(w.body["DomainType"], "WILDCARD");
  EXPECT_FALSE(w.body.contains("Key"));  // CertFilter=true omits PEMs
  Answer s =
      Rpc("GetUserCertificateDetail", {{"CertId", std::to_string(standard)}});
  EXPECT_EQ(s.body["EmulatorProductType"], "Standard");
  EXPECT_DOUBLE_EQ(s.body["EmulatorPrice"].get<double>(), 0.5);
  EXPECT_EQ(s.body["Sans"], "www.example.com");
  EXPECT_EQ(s.body["CertIdentifier"], absl::StrCat(standard, "-cn-hangzhou"));
}

TEST_F(CloudEmulatorTest, ListUserCertificateOrderFindsUploadsByKeyword) {
  const testing::TestChain www = testing::MakeChain({"www.example.com"});
  const testing::TestChain shop =
      testing::MakeChain({"shop.example.com", "api.example.com"});
  const testing::TestChain wildcard = testing::MakeChain({"*.example.com"});
  const int64_t www_id = Upload("certferry-www", www);
  const int64_t shop_id = Upload("certferry-shop", shop);
  Upload("legacy-wildcard", wildcard);

  auto list = [&](std::map<std::string, std::string> params) {
    Answer a = Rpc("ListUserCertificateOrder", std::move(params));
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return a.body;
  };
  // By name, with what GetUserCertificateDetail says about the certificate.
  Json found = list({{"OrderType", "UPLOAD"}, {"Keyword", "certferry-shop"}});
  EXPECT_EQ(found["TotalCount"], 1);
  ASSERT_EQ(found["CertificateOrderList"].size(), 1u);
  const Json& item = found["CertificateOrderList"][0];
  Answer detail =
      Rpc("GetUserCertificateDetail", {{"CertId", std::to_string(shop_id)}});
  EXPECT_EQ(item["CertificateId"], shop_id);
  EXPECT_EQ(item["Name"], "certferry-shop");
  EXPECT_EQ(item["Sha2"], LeafSha(shop));
  EXPECT_EQ(item["Sha2"], detail.body["Sha2"]);
  EXPECT_EQ(item["Fingerprint"], detail.body["Fingerprint"]);
  EXPECT_EQ(item["CommonName"], detail.body["Common"]);
  EXPECT_EQ(item["Sans"], "shop.example.com,api.example.com");
  EXPECT_EQ(item["Upload"], true);
  EXPECT_EQ(item["Status"], "ISSUED");

  // By a SAN and by the common name.
  found = list({{"OrderType", "UPLOAD"}, {"Keyword", "api.example"}});
  ASSERT_EQ(found["CertificateOrderList"].size(), 1u);
  EXPECT_EQ(found["CertificateOrderList"][0]["CertificateId"], shop_id);
  found = list({{"OrderType", "CERT"}, {"Keyword", "www.example"}});
  ASSERT_EQ(found["CertificateOrderList"].size(), 1u);
  EXPECT_EQ(found["CertificateOrderList"][0]["CertificateId"], www_id);
  EXPECT_EQ(
      list({{"OrderType", "UPLOAD"}, {"Keyword", "nothing"}})["TotalCount"], 0);

  // Pages of two over the three uploads.
  found = list({{"OrderType", "UPLOAD"},
                {"Keyword", "example.com"},
                {"ShowSize", "2"},
                {"CurrentPage", "2"}});
  EXPECT_EQ(found["TotalCount"], 3);
  EXPECT_EQ(found["CurrentPage"], 2);
  EXPECT_EQ(found["ShowSize"], 2);
  ASSERT_EQ(found["CertificateOrderList"].size(), 1u);
  EXPECT_EQ(found["CertificateOrderList"][0]["Name"], "legacy-wildcard");

  // CAS's default order type lists bought orders: none here.
  EXPECT_EQ(list({})["TotalCount"], 0);
  EXPECT_EQ(
      list({{"OrderType", "UPLOAD"}, {"Status", "EXPIRED"}})["TotalCount"], 0);
  Answer bad = Rpc("ListUserCertificateOrder", {{"OrderType", "UPLOADED"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["Code"], "InvalidParameter");
}

TEST_F(CloudEmulatorTest, UploadUnderATakenNameIsNameRepeat) {
  Upload("same", testing::MakeChain({"www.example.com"}));
  testing::TestChain other = testing::MakeChain({"www.example.com"});
  Answer a =
      Rpc("UploadUserCertificate", {{"Name", "same"},
                                    {"Cert", other.fullchain_pem()},
                                    {"Key", other.leaf.key.private_key_pem}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "NameRepeat");
}

TEST_F(CloudEmulatorTest, UploadRefusesEncryptedOrMismatchedKey) {
  testing::TestChain chain = testing::MakeChain({"www.example.com"});
  testing::TestChain other = testing::MakeChain({"www.example.com"});
  Answer a = Rpc("UploadUserCertificate",
                 {{"Name", "enc"},
                  {"Cert", chain.fullchain_pem()},
                  {"Key", testing::EncryptPrivateKeyPem(
                              chain.leaf.key.private_key_pem, "pw")}});
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(a.body["Message"].get<std::string>(), HasSubstr("Key"));
  a = Rpc("UploadUserCertificate", {{"Name", "mismatch"},
                                    {"Cert", chain.fullchain_pem()},
                                    {"Key", other.leaf.key.private_key_pem}});
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(a.body["Message"].get<std::string>(), HasSubstr("Key"));
  // Neither refusal may echo key material.
  EXPECT_THAT(a.body.dump(), ::testing::Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(CloudEmulatorTest, FreeTierQuotaStopsTheEleventhUpload) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"worker_step_ms\""), 0,
                 "\"quotas\": {\"tier\": \"free\"},\n");
  StartWith(config);
  for (int i = 0; i < 10; ++i) {
    ASSERT_NE(
        Upload(absl::StrCat("c", i), testing::MakeChain({"www.example.com"})),
        0);
  }
  testing::TestChain chain = testing::MakeChain({"www.example.com"});
  Answer a =
      Rpc("UploadUserCertificate", {{"Name", "c10"},
                                    {"Cert", chain.fullchain_pem()},
                                    {"Key", chain.leaf.key.private_key_pem}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "QuotaExceeded.Certificate");
  EXPECT_THAT(a.body["Message"].get<std::string>(), HasSubstr("10"));
}

TEST_F(CloudEmulatorTest, DeploymentCreditsAreConsumed) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"worker_step_ms\""), 0,
                 "\"quotas\": {\"deployment_credits\": 1},\n");
  StartWith(config);
  const int64_t cert = Upload("w", testing::MakeChain({"*.example.com"}));
  const int64_t job = Deploy(cert, 1001);
  ASSERT_TRUE(WorkerReaches(job, "success"));
  Answer a = Rpc("CreateDeploymentJob", {{"Name", "j"},
                                         {"JobType", "user"},
                                         {"CertIds", std::to_string(cert)},
                                         {"ResourceIds", "1001"},
                                         {"ContactIds", "1"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "QuotaExceeded.DeploymentCredits");
}

TEST_F(CloudEmulatorTest, ThrottlingAnswersAboutTheConfiguredShare) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"failing_resource_ids\""), 0,
                 "\"throttle_share\": 0.3, \"seed\": 7, ");
  StartWith(config);
  int throttled = 0, ok = 0;
  constexpr int kRequests = 300;
  for (int i = 0; i < kRequests; ++i) {
    Answer a = Rpc("ListCloudResources");
    if (a.status == 400 && a.body["Code"] == "Throttling") {
      ++throttled;
      EXPECT_TRUE(a.headers.count("x-acs-retry-after"));
    } else if (a.status == 200) {
      ++ok;
    }
  }
  EXPECT_EQ(throttled + ok, kRequests);
  EXPECT_GT(throttled, kRequests * 0.2);
  EXPECT_LT(throttled, kRequests * 0.4);
}

TEST_F(CloudEmulatorTest, ThrottlingRetryAfterIsConfigurable) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"failing_resource_ids\""), 0,
                 "\"throttle_share\": 1.0, \"throttle_retry_after_ms\": 25, ");
  StartWith(config);
  Answer a = Rpc("ListCloudResources");
  EXPECT_EQ(a.status, 400);
  auto retry_after = a.headers.find("x-acs-retry-after");
  ASSERT_NE(retry_after, a.headers.end());
  EXPECT_EQ(retry_after->second, "25");
  absl::StatusOr<EmulatorConfig> zero = ParseEmulatorConfig(R"({
      "access_keys": [{"id": "k", "secret": "s"}],
      "faults": {"throttle_retry_after_ms": 0}})");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(std::string(zero.status().message()),
              HasSubstr("throttle_retry_after_ms"));
}

TEST_F(CloudEmulatorTest, ServerErrorInjectionAnswers503) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"failing_resource_ids\""), 0,
                 "\"server_error_share\": 1.0, ");
  StartWith(config);
  Answer a = Rpc("ListCloudResources");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body["Code"], "ServiceUnavailable");
}

TEST_F(CloudEmulatorTest, DelayInjectionSlowsTheAnswer) {
  TearDown();
  std::string config = kConfig;
  config.replace(config.find("\"failing_resource_ids\""), 0,
                 "\"delay_share\": 1.0, \"delay_ms\": 300, ");
  StartWith(config);
  const absl::Time start = absl::Now();
  Answer a = Rpc("ListCloudResources");
  EXPECT_EQ(a.status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

// An RPC action signed with V3 (§2.4): business parameters in the query,
// action and version in x-acs-* headers.
TEST_F(CloudEmulatorTest, V3SignedRpcRequestIsAccepted) {
  auto send = [&](const std::string& secret, const std::string& nonce) {
    const std::string query = "CloudProduct=ALB";
    std::map<std::string, std::string> headers = {
        {"host", absl::StrCat("127.0.0.1:", emulator_->api_port())},
        {"x-acs-action", "ListCloudResources"},
        {"x-acs-version", "2020-04-07"},
        {"x-acs-date", NowStamp()},
        {"x-acs-signature-nonce", nonce},
        {"x-acs-content-sha256", Sha256("")}};
    std::string canonical_headers, signed_headers;
    for (const auto& [k, v] : headers) {
      canonical_headers += k + ":" + v + "\n";
      signed_headers += (signed_headers.empty() ? "" : ";") + k;
    }
    const std::string canonical = "POST\n/\n" + query + "\n" +
                                  canonical_headers + "\n" + signed_headers +
                                  "\n" + Sha256("");
    httplib::Headers h(headers.begin(), headers.end());
    h.emplace(
        "Authorization",
        absl::StrCat("ACS3-HMAC-SHA256 Credential=", kKeyId,
                     ",SignedHeaders=", signed_headers, ",Signature=",
                     ToHex(HmacRaw(EVP_sha256(), secret,
                                   "ACS3-HMAC-SHA256\n" + Sha256(canonical)))));
    return ToAnswer(client_->Post(("/?" + query).c_str(), h, "",
                                  "application/x-www-form-urlencoded"));
  };
  Answer a = send(kSecret, NewNonce());
  ASSERT_EQ(a.status, 200) << a.body.dump();
  ASSERT_EQ(a.body["Data"].size(), 1u);
  EXPECT_EQ(a.body["Data"][0]["Id"], 1003);
  a = send("wrong-secret", NewNonce());
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "SignatureDoesNotMatch");
}

// --- Ordering DV certificates (CreateCertificateRequest, §1.1) ---

std::map<std::string, std::string> OrderParams(const std::string& domain) {
  return {{"Domain", domain},
          {"Email", "ops@example.com"},
          {"Phone", "13800000000"},
          {"Username", "Ops"},
          {"ValidateType", "DNS"}};
}

std::string Message(const Answer& a) {
  return a.body.value("Message", std::string());
}

// kConfig with another worker_step_ms (and optional extra top-level keys).
std::string ConfigWithStep(int step_ms, const std::string& extra = "") {
  std::string config = kConfig;
  const std::string step = "\"worker_step_ms\": 30";
  config.replace(config.find(step), step.size(),
                 absl::StrCat(extra, "\"worker_step_ms\": ", step_ms));
  return config;
}

TEST_F(CloudEmulatorTest, CertificateRequestNamesEachMissingParameter) {
  for (const char* name :
       {"Domain", "Email", "Phone", "Username", "ValidateType"}) {
    auto params = OrderParams("www.example.com");
    params.erase(name);
    Answer a = Rpc("CreateCertificateRequest", params);
    EXPECT_EQ(a.status, 400) << name;
    EXPECT_EQ(a.body["Code"], "MissingParameter") << name;
    EXPECT_THAT(Message(a), HasSubstr(absl::StrCat("\"", name, "\"")));
  }
}

TEST_F(CloudEmulatorTest, CertificateRequestRefusesInvalidParameters) {
  struct Case {
    std::string param, value;
  };
  const std::vector<Case> cases = {
      {"ValidateType", "HTTP"},
      {"ProductCode", "no-such-product"},
      // An OV product belongs to CreateCertificateForPackageRequest.
      {"ProductCode", "symantec-ov-1-personal"},
      {"Domain", "a.example.com,b.example.com"},
      {"Domain", "192.0.2.10"},
      {"Domain", "bad_label.example.com"},
  };
  for (const Case& c : cases) {
    auto params = OrderParams("www.example.com");
    params[c.param] = c.value;
    Answer a = Rpc("CreateCertificateRequest", params);
    EXPECT_EQ(a.status, 400) << c.value;
    EXPECT_EQ(a.body["Code"], "InvalidParameter") << c.value;
    EXPECT_THAT(Message(a), ::testing::StartsWith(c.param + ":")) << c.value;
  }
}

TEST_F(CloudEmulatorTest, WildcardOrderNeedsAWildcardProduct) {
  auto params = OrderParams("*.example.com");
  Answer a = Rpc("CreateCertificateRequest", params);  // digicert-free-1-free
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(Message(a), ::testing::StartsWith("Domain:"));
  EXPECT_THAT(Message(a), HasSubstr("geotrust-dv-w-starter"));

  params["ProductCode"] = "geotrust-dv-1-starter";
  a = Rpc("CreateCertificateRequest", params);
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(Message(a), ::testing::StartsWith("Domain:"));

  params["ProductCode"] = "globalsign-dv-w-advanced";
  params["ValidateType"] = "FILE";  // cannot prove a wildcard
  a = Rpc("CreateCertificateRequest", params);
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(Message(a), ::testing::StartsWith("ValidateType:"));

  params["ValidateType"] = "DNS";
  a = Rpc("CreateCertificateRequest", params);
  EXPECT_EQ(a.status, 200) << a.body.dump();
  EXPECT_GT(a.body.value("OrderId", int64_t{0}), 0);
}

TEST_F(CloudEmulatorTest, CertificateStateOfAnUnknownOrderIsNotFound) {
  Answer a = Rpc("DescribeCertificateState", {{"OrderId", "424242"}});
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body["Code"], "InvalidOrderId.NotFound");
  EXPECT_THAT(Message(a), HasSubstr("OrderId"));
  EXPECT_FALSE(a.body["RequestId"].get<std::string>().empty());

  a = Rpc("DescribeCertificateState");
  EXPECT_EQ(a.body["Code"], "MissingParameter");
  EXPECT_THAT(Message(a), HasSubstr("\"OrderId\""));
  a = Rpc("DescribeCertificateState", {{"OrderId", "twelve"}});
  EXPECT_EQ(a.body["Code"], "InvalidParameter");
  EXPECT_THAT(Message(a), ::testing::StartsWith("OrderId"));
}

TEST_F(CloudEmulatorTest, DnsChallengeNamesTheRecordBelowTheZone) {
  TearDown();
  StartWith(ConfigWithStep(600000));  // orders stay in domain_verify
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"example.com", "_dnsauth"},
      {"www.example.com", "_dnsauth.www"},
      {"a.b.example.com", "_dnsauth.a.b"},
      {"*.shop.example.com", "_dnsauth.shop"},
  };
  std::set<std::string> tokens;
  for (const auto& [domain, record] : cases) {
    auto params = OrderParams(domain);
    params["ProductCode"] = "geotrust-dv-w-starter";
    Answer order = Rpc("CreateCertificateRequest", params);
    ASSERT_EQ(order.status, 200) << order.body.dump();
    const std::string id = std::to_string(order.body["OrderId"].get<int64_t>());
    Answer a = Rpc("DescribeCertificateState", {{"OrderId", id}});
    EXPECT_EQ(a.body["Type"], "domain_verify") << domain;
    EXPECT_EQ(a.body["ValidateType"], "DNS") << domain;
    EXPECT_EQ(a.body["RecordDomain"], record) << domain;
    EXPECT_EQ(a.body["RecordType"], "TXT") << domain;
    const std::string token = a.body.value("RecordValue", std::string());
    EXPECT_THAT(token, ::testing::MatchesRegex("[0-9a-f]{32}")) << domain;
    EXPECT_FALSE(a.body.contains("Certificate"));
    tokens.insert(token);
    a = Rpc("DescribeCertificateState", {{"OrderId", id}});
    EXPECT_EQ(a.body["RecordValue"], token) << "token changed between polls";
  }
  EXPECT_EQ(tokens.size(), cases.size());
}

TEST_F(CloudEmulatorTest, PendingOrderHoldsACertificateQuotaSlot) {
  TearDown();
  StartWith(ConfigWithStep(600000, "\"quotas\": {\"tier\": \"free\"},\n"));
  for (int i = 0; i < 9; ++i) {
    ASSERT_NE(
        Upload(absl::StrCat("c", i), testing::MakeChain({"www.example.com"})),
        0);
  }
  Answer a = Rpc("CreateCertificateRequest", OrderParams("www.example.com"));
  ASSERT_EQ(a.status, 200) << a.body.dump();
  // The order is far from issued, but the tenth slot is already its.
  testing::TestChain chain = testing::MakeChain({"www.example.com"});
  a = Rpc("UploadUserCertificate", {{"Name", "c9"},
                                    {"Cert", chain.fullchain_pem()},
                                    {"Key", chain.leaf.key.private_key_pem}});
  EXPECT_EQ(a.body["Code"], "QuotaExceeded.Certificate");
  a = Rpc("CreateCertificateRequest", OrderParams("api.example.com"));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["Code"], "QuotaExceeded.Certificate");
}

TEST(EmulatorConfigTest, FailingValidationDomainsMustBeDomainNames) {
  absl::StatusOr<EmulatorConfig> config = ParseEmulatorConfig(R"({
    "access_keys": [{"id": "k", "secret": "s"}],
    "faults": {"failing_validation_domains": ["Bad.Example.com", "x y"]}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("faults.failing_validation_domains[1]"));
  config = ParseEmulatorConfig(R"({
    "access_keys": [{"id": "k", "secret": "s"}],
    "faults": {"failing_validation_domains": ["Bad.Example.com"]}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->faults.failing_validation_domains,
              ::testing::ElementsAre("bad.example.com"));
}

// --- AIRec (ROA, V3) ---

// A real certificate_info.xlsx mapping each domain to certificate 1.
std::string MappingFor(const std::vector<std::string>& domains) {
  std::vector<mapping::MappingRow> rows;
  for (const std::string& domain : domains) {
    mapping::MappingRow row;
    row.row = static_cast<int>(rows.size()) + 2;
    row.domain = domain;
    row.certificate_id = "1";
    rows.push_back(row);
  }
  auto bytes = mapping::WriteCertificateInfoXlsx(rows);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

struct Part {
  std::string name, content;
};

class AirecTest : public CloudEmulatorTest {
 protected:
  Answer Roa(const std::string& method, const std::string& path,
             const std::vector<Part>& parts = {}) {
    const std::string boundary = "certferryBoundary7MA4YWxk";
    std::string body;
    for (const Part& p : parts) {
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
              p.name + "\"; filename=\"" + p.name +
              "\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
              p.content + "\r\n";
    }
    if (!parts.empty()) body += "--" + boundary + "--\r\n";
    const std::string content_type =
        parts.empty() ? "" : "multipart/form-data; boundary=" + boundary;
    std::map<std::string, std::string> headers = {
        {"host", absl::StrCat("127.0.0.1:", emulator_->api_port())},
        {"x-acs-action", "BindCertificate"},
        {"x-acs-version", "2020-11-26"},
        {"x-acs-date", NowStamp()},
        {"x-acs-signature-nonce", NewNonce()},
        {"x-acs-content-sha256", Sha256(body)}};
    if (!content_type.empty()) headers["content-type"] = content_type;
    std::string canonical_headers, signed_headers;
    for (const auto& [k, v] : headers) {
      canonical_headers += k + ":" + v + "\n";
      signed_headers += (signed_headers.empty() ? "" : ";") + k;
    }
    std::string uri;
    for (size_t i = 0; i < path.size(); ++i) {
      uri +=
          path[i] == '/' ? std::string("/") : Encode(std::string(1, path[i]));
    }
    const std::string canonical = method + "\n" + uri + "\n\n" +
                                  canonical_headers + "\n" + signed_headers +
                                  "\n" + Sha256(body);
    const std::string signature = ToHex(HmacRaw(
        EVP_sha256(), kSecret, "ACS3-HMAC-SHA256\n" + Sha256(canonical)));
    httplib::Headers h;
    for (const auto& [k, v] : headers) {
      if (k != "content-type") h.emplace(k, v);
    }
    h.emplace("Authorization",
              absl::StrCat("ACS3-HMAC-SHA256 Credential=", kKeyId,
                           ",SignedHeaders=", signed_headers,
                           ",Signature=", signature));
    if (method == "GET") return ToAnswer(client_->Get(path.c_str(), h));
    return ToAnswer(client_->Post(path.c_str(), h, body, content_type.c_str()));
  }

  Answer Bind(const std::string& cert, const std::string& key,
              const std::string& mapping = MappingFor({"rec.example.com"})) {
    return Roa("POST", "/v2/openapi/instances/airec-cn-test1/certificates/bind",
               {{"mapping_file", mapping}, {"cert", cert}, {"key", key}});
  }

  std::string BindingStatus() {
    return Roa("GET",
               "/v2/openapi/instances/airec-cn-test1/certificates/status")
        .body["result"]
        .value("status", "");
  }
};

TEST_F(AirecTest, BindingSucceedsAndInstanceServesTheCertificate) {
  testing::TestChain chain = testing::MakeChain({"rec.example.com"});
  Answer a = Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem);
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.body["result"]["status"], "VALIDATING");
  EXPECT_FALSE(a.body["requestId"].get<std::string>().empty());
  ASSERT_TRUE(testing::WaitFor([&] { return BindingStatus() == "SUCCESS"; }));
  EXPECT_EQ(
      ServedLeaf(emulator_->AirecTlsPort("airec-cn-test1"), "rec.example.com"),
      LeafSha(chain));
  Answer enforce =
      Roa("POST",
          "/v2/openapi/instances/airec-cn-test1/certificates/enforce-https");
  EXPECT_EQ(enforce.status, 200) << enforce.body.dump();
  EXPECT_EQ(enforce.body["result"]["httpsEnforced"], true);
}

TEST_F(AirecTest, BindingFailsWhenCertificateDoesNotCoverTheDomain) {
  testing::TestChain chain = testing::MakeChain({"other.example.com"});
  ASSERT_EQ(Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem).status,
            200);
  ASSERT_TRUE(testing::WaitFor([&] { return BindingStatus() == "FAILED"; }));
  Answer enforce =
      Roa("POST",
          "/v2/openapi/instances/airec-cn-test1/certificates/enforce-https");
  EXPECT_EQ(enforce.status, 400);
  EXPECT_EQ(enforce.body["code"], "InvalidStatus.CertificateNotBound");
  EXPECT_NE(
      ServedLeaf(emulator_->AirecTlsPort("airec-cn-test1"), "rec.example.com"),
      LeafSha(chain));
}

// The mapping is read for real: a domain the certificate does not cover
// fails the binding (silently at the upload, as the platform does).
TEST_F(AirecTest, MappingOfAnUncoveredDomainFailsTheBinding) {
  testing::TestChain chain = testing::MakeChain({"rec.example.com"});
  ASSERT_EQ(Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem,
                 MappingFor({"api.example.com"}))
                .status,
            200);
  ASSERT_TRUE(testing::WaitFor([&] { return BindingStatus() == "FAILED"; }));
}

// The platform's silent failure certferry exists to prevent: rows that are
// not exact FQDNs vanish, the upload still answers 200.
TEST_F(AirecTest, RowsThatAreNotExactDomainsAreDroppedSilently) {
  testing::TestChain chain =
      testing::MakeChain({"rec.example.com", "*.rec.example.com"});
  Answer a = Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem,
                  testing::HandWrittenXlsx(
                      {{"Domain", "CertificateID", "Protocol", "Port"},
                       {"*.rec.example.com", "1", "HTTPS", "443"},
                       {"rec.example.com", "1", "HTTPS", "443"},
                       {"api.rec.example.com/", "1", "HTTPS", "443"}}));
  ASSERT_EQ(a.status, 200) << a.body.dump();
  ASSERT_TRUE(testing::WaitFor([&] { return BindingStatus() == "SUCCESS"; }));
  Answer status =
      Roa("GET", "/v2/openapi/instances/airec-cn-test1/certificates/status");
  EXPECT_EQ(status.body["result"]["domains"],
            nlohmann::json::array({"rec.example.com"}));
}

TEST_F(AirecTest, MappingWithNoUsableRowFailsTheBinding) {
  testing::TestChain chain = testing::MakeChain({"*.example.com"});
  ASSERT_EQ(Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem,
                 testing::HandWrittenXlsx(
                     {{"Domain", "CertificateID", "Protocol", "Port"},
                      {"*.example.com", "1", "HTTPS", "443"}}))
                .status,
            200);
  ASSERT_TRUE(testing::WaitFor([&] { return BindingStatus() == "FAILED"; }));
  Answer status =
      Roa("GET", "/v2/openapi/instances/airec-cn-test1/certificates/status");
  EXPECT_THAT(status.body["result"]["failureReason"].get<std::string>(),
              HasSubstr("no usable row"));
}

TEST_F(AirecTest, NonXlsxMappingIsRefused) {
  testing::TestChain chain = testing::MakeChain({"rec.example.com"});
  Answer a = Bind(chain.fullchain_pem(), chain.leaf.key.private_key_pem,
                  "Domain,CertificateID\nrec.example.com,1\n");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["code"], "InvalidParameter");
  EXPECT_THAT(a.body["message"].get<std::string>(), HasSubstr("mapping_file"));
}

TEST_F(AirecTest, UnsignedRequestIsRefused) {
  Answer a = ToAnswer(
      client_->Get("/v2/openapi/instances/airec-cn-test1/certificates/status"));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["code"], "IncompleteSignature");
}

TEST_F(AirecTest, UnknownInstanceIsNotFound) {
  Answer a = Roa("GET", "/v2/openapi/instances/airec-cn-nope");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body["code"], "InstanceNotFound");
}

}  // namespace
}  // namespace certferry::emulator
