// AirecClient against a loopback server.

#include "cloud/airec_client.h"

#include <regex>

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
using ::testing::HasSubstr;

struct Seen {
  std::string method, path, action, version, authorization;
  bool signature_valid = false;
};

class AirecClientTest : public ::testing::Test {
 protected:
  void Answer(int status, std::string body) {
    server_ = std::make_unique<LocalHttpServer>(
        [this, status, body](const httplib::Request& req,
                             httplib::Response& res) {
          {
            absl::MutexLock lock(&mu_);
            seen_ = {req.method,
                     req.path,
                     req.get_header_value("x-acs-action"),
                     req.get_header_value("x-acs-version"),
                     req.get_header_value("Authorization"),
                     testing::ValidV3(req, "id", "secret")};
          }
          res.status = status;
          res.set_content(body, "application/json");
        });
    AirecClientOptions options;
    options.endpoint = server_->url();
    options.retry.sleep = [](absl::Duration) {};
    Credentials credentials;
    credentials.access_key_id = "id";
    credentials.access_key_secret = SecretString("secret");
    client_ = std::make_unique<AirecClient>(options, std::move(credentials),
                                            http_, clock_);
  }
  Seen seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  std::unique_ptr<LocalHttpServer> server_;
  CurlHttpClient http_;
  FakeClock clock_;
  std::unique_ptr<AirecClient> client_;
  absl::Mutex mu_;
  Seen seen_;
};

TEST_F(AirecClientTest, DescribeInstanceSendsSignedRoaGet) {
  Answer(200, R"({"requestId":"R1","code":"","message":"","result":{
    "instanceId":"airec-cn-abc","name":"shop","type":"Standard",
    "status":"Running","lockMode":"Unlock","regionId":"cn-hangzhou"}})");
  absl::StatusOr<AirecInstance> instance =
      client_->DescribeInstance("airec-cn-abc");
  ASSERT_THAT(instance, IsOk());
  EXPECT_EQ(instance->instance_id, "airec-cn-abc");
  EXPECT_EQ(instance->status, "Running");
  EXPECT_EQ(instance->lock_mode, "Unlock");
  EXPECT_EQ(instance->request_id, "R1");
  const Seen s = seen();
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/v2/openapi/instances/airec-cn-abc");
  EXPECT_EQ(s.action, "DescribeInstance");
  EXPECT_EQ(s.version, "2020-11-26");
  EXPECT_TRUE(std::regex_match(
      s.authorization,
      std::regex("ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-"
                 "action;x-acs-content-sha256;x-acs-date;x-acs-signature-"
                 "nonce;x-acs-version,Signature=[0-9a-f]{64}")))
      << s.authorization;
  EXPECT_TRUE(s.signature_valid);
}

TEST_F(AirecClientTest, InstanceNotFoundIsNotFound) {
  Answer(404, R"({"RequestId":"R2","Code":"InstanceNotFound",
    "Message":"The specified instance does not exist."})");
  EXPECT_THAT(client_->DescribeInstance("airec-cn-missing"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("InstanceNotFound: The specified instance "
                                 "does not exist. (RequestId R2)")));
}

TEST_F(AirecClientTest, RejectsAnInstanceIdThatWouldChangeThePath) {
  Answer(200, "{}");
  EXPECT_THAT(
      client_->DescribeInstance("a/../b"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("instance_id")));
}

}  // namespace
}  // namespace certferry::cloud
