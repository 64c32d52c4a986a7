// RpcClient against a loopback server that checks every request with its
// own signature code (OpenSSL directly, its own encoder), never with
// cloud/'s signing functions.

#include "cloud/rpc_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cloud/api_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cloud/independent_signatures.h"
#include "tests/support/fake_clock.h"
#include "tests/support/local_http_server.h"
#include "tests/support/status_matchers.h"

namespace certferry::cloud {
namespace {

using ::certferry::testing::FakeClock;
using ::certferry::testing::IsOk;
using ::certferry::testing::LocalHttpServer;
using ::certferry::testing::StatusIs;
using ::certferry::testing::ValidV1;
using ::certferry::testing::ValidV3;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKeyId[] = "LTAItestid";
constexpr char kSecret[] = "test-secret";

// --- Fixture ---

struct Seen {
  std::string method, path;
  std::multimap<std::string, std::string> params;
  std::string authorization, host, acs_action, acs_version, acs_date, acs_nonce,
      content_sha, security_token;
  bool signature_valid = false;
};

class RpcClientTest : public ::testing::Test {
 protected:
  // The server answers with `respond(attempt, res)` after recording what it
  // saw and checking the signature.
  void Serve(SignatureVersion version,
             std::function<void(int, httplib::Response&)> respond) {
    server_ = std::make_unique<LocalHttpServer>(
        [this, version, respond](const httplib::Request& req,
                                 httplib::Response& res) {
          Seen seen;
          seen.method = req.method;
          seen.path = req.path;
          seen.params = req.params;
          seen.authorization = req.get_header_value("Authorization");
          seen.host = req.get_header_value("Host");
          seen.acs_action = req.get_header_value("x-acs-action");
          seen.acs_version = req.get_header_value("x-acs-version");
          seen.acs_date = req.get_header_value("x-acs-date");
          seen.acs_nonce = req.get_header_value("x-acs-signature-nonce");
          seen.content_sha = req.get_header_value("x-acs-content-sha256");
          seen.security_token = req.get_header_value("x-acs-security-token");
          seen.signature_valid = version == SignatureVersion::kV1
                                     ? ValidV1(req, kSecret)
                                     : ValidV3(req, kKeyId, kSecret);
          int attempt;
          {
            absl::MutexLock lock(&mu_);
            seen_.push_back(seen);
            attempt = static_cast<int>(seen_.size());
          }
          respond(attempt, res);
        });
  }

  RpcClient MakeClient(SignatureVersion version, bool with_token = false) {
    RpcClientOptions options;
    options.endpoint = server_->url();
    options.version = "2020-04-07";
    options.region_id = "cn-hangzhou";
    options.signature_version = version;
    options.retry.initial_backoff = absl::Milliseconds(10);
    options.retry.sleep = [this](absl::Duration d) { delays_.push_back(d); };
    Credentials credentials;
    credentials.access_key_id = kKeyId;
    credentials.access_key_secret = SecretString(kSecret);
    if (with_token) credentials.security_token = SecretString("sts-token");
    return RpcClient(options, std::move(credentials), http_, clock_);
  }

  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  static std::string Param(const Seen& s, const std::string& name) {
    auto it = s.params.find(name);
    return it == s.params.end() ? "<absent>" : it->second;
  }

  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 5, 7),
                                   absl::UTCTimeZone())};
  // Declared before http_ so the client (and its open connections) goes
  // first.
  std::unique_ptr<LocalHttpServer> server_;
  CurlHttpClient http_;
  std::vector<absl::Duration> delays_;
  absl::Mutex mu_;
  std::vector<Seen> seen_;
};

void Ok(int, httplib::Response& res) {
  res.set_content(R"({"RequestId":"REQ-1","CertId":1234})", "application/json");
}

// PEM-like text with everything that needs encoding.
constexpr char kTrickyValue[] =
    "-----BEGIN CERTIFICATE-----\nMIIB+/a=b&c*d~e f\n\xE4\xB8\xAD\n"
    "-----END CERTIFICATE-----\n";

TEST_F(RpcClientTest, V1SendsCommonParamsAndAValidSignature) {
  Serve(SignatureVersion::kV1, Ok);
  RpcClient client = MakeClient(SignatureVersion::kV1);
  absl::StatusOr<nlohmann::json> body = client.Call(
      "UploadUserCertificate", {{"Name", "my cert"}, {"Cert", kTrickyValue}});
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ((*body)["CertId"], 1234);

  ASSERT_EQ(seen().size(), 1u);
  const Seen s = seen()[0];
  EXPECT_TRUE(s.signature_valid);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.path, "/");
  EXPECT_EQ(Param(s, "Action"), "UploadUserCertificate");
  EXPECT_EQ(Param(s, "Version"), "2020-04-07");
  EXPECT_EQ(Param(s, "Format"), "JSON");
  EXPECT_EQ(Param(s, "AccessKeyId"), kKeyId);
  EXPECT_EQ(Param(s, "SignatureMethod"), "HMAC-SHA1");
  EXPECT_EQ(Param(s, "SignatureVersion"), "1.0");
  EXPECT_EQ(Param(s, "RegionId"), "cn-hangzhou");
  EXPECT_EQ(Param(s, "Timestamp"), "2026-11-23T09:05:07Z");
  EXPECT_TRUE(std::regex_match(
      Param(s, "Timestamp"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_TRUE(
      std::regex_match(Param(s, "SignatureNonce"), std::regex("[0-9a-f]{32}")));
  EXPECT_NE(Param(s, "Signature"), "<absent>");
  EXPECT_EQ(Param(s, "Name"), "my cert");
  EXPECT_EQ(Param(s, "Cert"), kTrickyValue);
  EXPECT_EQ(Param(s, "SecurityToken"), "<absent>");
}

TEST_F(RpcClientTest, IndependentVerifierRejectsAWrongSecret) {
  // Guards the verifier itself: it must not accept anything.
  std::atomic<bool> valid_with_wrong_secret{true};
  server_ = std::make_unique<LocalHttpServer>(
      [&](const httplib::Request& req, httplib::Response& res) {
        valid_with_wrong_secret = ValidV1(req, "other-secret");
        Ok(1, res);
      });
  RpcClient client = MakeClient(SignatureVersion::kV1);
  ASSERT_THAT(client.Call("ListCloudResources", {}), IsOk());
  EXPECT_FALSE(valid_with_wrong_secret.load());
  server_->Stop();  // the handler refers to this test's locals
}

TEST_F(RpcClientTest, V1SendsSecurityTokenForStsCredentials) {
  Serve(SignatureVersion::kV1, Ok);
  RpcClient client = MakeClient(SignatureVersion::kV1, /*with_token=*/true);
  ASSERT_THAT(client.Call("GetUserCertificateDetail", {{"CertId", "1"}}),
              IsOk());
  const Seen s = seen().at(0);
  EXPECT_EQ(Param(s, "SecurityToken"), "sts-token");
  EXPECT_TRUE(s.signature_valid);
}

TEST_F(RpcClientTest, V3SignsHeadersAndKeepsOnlyBusinessParamsInQuery) {
  Serve(SignatureVersion::kV3, Ok);
  RpcClient client = MakeClient(SignatureVersion::kV3, /*with_token=*/true);
  ASSERT_THAT(client.Call("UploadUserCertificate",
                          {{"Name", "n"}, {"Cert", kTrickyValue}}),
              IsOk());
  const Seen s = seen().at(0);
  EXPECT_TRUE(s.signature_valid) << s.authorization;
  EXPECT_EQ(s.acs_action, "UploadUserCertificate");
  EXPECT_EQ(s.acs_version, "2020-04-07");
  EXPECT_EQ(s.acs_date, "2026-11-23T09:05:07Z");
  EXPECT_TRUE(std::regex_match(s.acs_nonce, std::regex("[0-9a-f]{32}")));
  EXPECT_EQ(s.content_sha,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.security_token, "sts-token");
  EXPECT_EQ(s.host, "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_THAT(s.authorization,
              HasSubstr("SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
                        "x-acs-date;x-acs-security-token;x-acs-signature-nonce;"
                        "x-acs-version,"));
  EXPECT_EQ(Param(s, "Cert"), kTrickyValue);
  EXPECT_EQ(Param(s, "RegionId"), "cn-hangzhou");
  EXPECT_EQ(Param(s, "Signature"), "<absent>");
  EXPECT_EQ(Param(s, "AccessKeyId"), "<absent>");
}

TEST_F(RpcClientTest, ThrottledTwiceThenSucceedsWithFreshNonces) {
  Serve(SignatureVersion::kV1, [](int attempt, httplib::Response& res) {
    if (attempt <= 2) {
      res.status = 400;
      res.set_content(
          R"({"RequestId":"T","Code":"Throttling.User","Message":"slow"})",
          "application/json");
      return;
    }
    Ok(attempt, res);
  });
  RpcClient client = MakeClient(SignatureVersion::kV1);
  ASSERT_THAT(client.Call("CreateDeploymentJob", {{"Name", "j"}},
                          /*idempotent=*/false),
              IsOk());
  const std::vector<Seen> all = seen();
  ASSERT_EQ(all.size(), 3u);
  std::set<std::string> nonces;
  for (const Seen& s : all) {
    EXPECT_TRUE(s.signature_valid);
    nonces.insert(Param(s, "SignatureNonce"));
  }
  EXPECT_EQ(nonces.size(), 3u);
  EXPECT_EQ(delays_.size(), 2u);
}

TEST_F(RpcClientTest, ApiErrorKeepsCodeMessageAndRequestId) {
  Serve(SignatureVersion::kV1, [](int, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"RequestId":"4F1C","HostId":"cas.aliyuncs.com",)"
                    R"("Code":"InvalidAccessKeyId.NotFound",)"
                    R"("Message":"Specified access key is not found."})",
                    "application/json");
  });
  RpcClient client = MakeClient(SignatureVersion::kV1);
  absl::StatusOr<nlohmann::json> body =
      client.Call("GetUserCertificateDetail", {{"CertId", "9"}});
  EXPECT_THAT(body, StatusIs(absl::StatusCode::kUnauthenticated,
                             "GetUserCertificateDetail: "
                             "InvalidAccessKeyId.NotFound: Specified access "
                             "key is not found. (RequestId 4F1C)"));
  ASSERT_TRUE(GetApiError(body.status()).has_value());
  EXPECT_EQ(GetApiError(body.status())->code, "InvalidAccessKeyId.NotFound");
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(RpcClientTest, NonJsonSuccessBodyIsInternal) {
  Serve(SignatureVersion::kV1, [](int, httplib::Response& res) {
    res.set_content("<xml/>", "text/xml");
  });
  RpcClient client = MakeClient(SignatureVersion::kV1);
  EXPECT_THAT(client.Call("ListCloudResources", {}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not a JSON")));
}

TEST_F(RpcClientTest, ServerDownIsUnavailableAndLeaksNoParameters) {
  Serve(SignatureVersion::kV1, Ok);
  RpcClient client = MakeClient(SignatureVersion::kV1);
  server_->Stop();
  absl::StatusOr<nlohmann::json> body = client.Call(
      "UploadUserCertificate", {{"Key", "PRIVATE-KEY-MATERIAL"}}, false);
  EXPECT_THAT(body, StatusIs(absl::StatusCode::kUnavailable,
                             AllOf(HasSubstr("after 4 attempts"),
                                   Not(HasSubstr("PRIVATE-KEY-MATERIAL")),
                                   Not(HasSubstr(kSecret)))));
  EXPECT_EQ(delays_.size(), 3u);
}

}  // namespace
}  // namespace certferry::cloud
