// CasClient against a loopback server: the parameter names and encodings
// CAS expects (ALIBABA_API.md §0/§1) and the response fields it returns.

#include "cloud/cas_client.h"

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cloud/api_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/local_http_server.h"
#include "tests/support/status_matchers.h"

namespace certferry::cloud {
namespace {

using ::certferry::testing::FakeClock;
using ::certferry::testing::IsOk;
using ::certferry::testing::LocalHttpServer;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class CasClientTest : public ::testing::Test {
 protected:
  // Answers every request with `body` (HTTP `status`) and records the
  // query parameters of the last one and the number of requests.
  void Answer(std::string body, int status = 200) {
    server_ = std::make_unique<LocalHttpServer>(
        [this, body, status](const httplib::Request& req,
                             httplib::Response& res) {
          {
            absl::MutexLock lock(&mu_);
            params_.clear();
            for (const auto& [k, v] : req.params) params_[k] = v;
            ++requests_;
          }
          res.status = status;
          res.set_content(body, "application/json");
        });
    RpcClientOptions options;
    options.endpoint = server_->url();
    options.version = kCasVersion;
    options.retry.initial_backoff = absl::Milliseconds(1);
    options.retry.sleep = [](absl::Duration) {};
    Credentials credentials;
    credentials.access_key_id = "id";
    credentials.access_key_secret = SecretString("secret");
    rpc_ = std::make_unique<RpcClient>(options, std::move(credentials), http_,
                                       clock_);
    cas_ = std::make_unique<CasClient>(*rpc_);
  }

  std::string Param(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto it = params_.find(name);
    return it == params_.end() ? "<absent>" : it->second;
  }
  int requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  std::unique_ptr<LocalHttpServer> server_;  // outlives http_'s connections
  CurlHttpClient http_;
  FakeClock clock_;
  std::unique_ptr<RpcClient> rpc_;
  std::unique_ptr<CasClient> cas_;
  absl::Mutex mu_;
  std::map<std::string, std::string> params_;
  int requests_ = 0;
};

TEST_F(CasClientTest, UploadUserCertificateSendsCertKeyAndTags) {
  Answer(R"({"RequestId":"R","CertId":8888,"ResourceId":"cas-upload-xki1d0"})");
  UploadUserCertificateRequest request;
  request.name = "web-2026";
  request.cert =
      "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";
  request.key = SecretString("-----BEGIN PRIVATE KEY-----\nKKK\n");
  request.tags = {{"env", "prod"}, {"team", "web"}};
  absl::StatusOr<UploadUserCertificateResponse> r =
      cas_->UploadUserCertificate(request);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->cert_id, 8888);
  EXPECT_EQ(r->resource_id, "cas-upload-xki1d0");
  EXPECT_EQ(r->request_id, "R");
  EXPECT_EQ(Param("Action"), "UploadUserCertificate");
  EXPECT_EQ(Param("Version"), "2020-04-07");
  EXPECT_EQ(Param("Name"), "web-2026");
  EXPECT_EQ(Param("Cert"), request.cert);
  EXPECT_EQ(Param("Key"), "-----BEGIN PRIVATE KEY-----\nKKK\n");
  EXPECT_EQ(Param("Tags.1.Key"), "env");
  EXPECT_EQ(Param("Tags.1.Value"), "prod");
  EXPECT_EQ(Param("Tags.2.Key"), "team");
  EXPECT_EQ(Param("ClientToken"), "<absent>");
}

TEST_F(CasClientTest, UploadWithoutClientTokenIsNotRetriedAndHidesTheKey) {
  Answer(R"({"RequestId":"R5","Code":"InternalError","Message":"boom"})", 500);
  UploadUserCertificateRequest request;
  request.name = "n";
  request.cert = "CERT";
  request.key = SecretString("TOP-SECRET-KEY");
  absl::StatusOr<UploadUserCertificateResponse> r =
      cas_->UploadUserCertificate(request);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("UploadUserCertificate: "
                                          "InternalError: boom (RequestId R5)"),
                                Not(HasSubstr("TOP-SECRET-KEY")))));
  EXPECT_EQ(requests(), 1);

  request.client_token = "tok-1";
  EXPECT_THAT(cas_->UploadUserCertificate(request),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(requests(), 1 + 4);  // idempotent with a token: retried
  EXPECT_EQ(Param("ClientToken"), "tok-1");
}

TEST_F(CasClientTest, UploadValidatesNameAndPair) {
  Answer("{}");
  UploadUserCertificateRequest request;
  request.name = std::string(65, 'n');
  request.cert = "C";
  request.key = SecretString("K");
  EXPECT_THAT(cas_->UploadUserCertificate(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name:")));
  request.name = "ok";
  request.key = SecretString();
  EXPECT_THAT(
      cas_->UploadUserCertificate(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cert, key")));
  EXPECT_EQ(requests(), 0);
}

TEST_F(CasClientTest, GetUserCertificateDetailParsesFields) {
  Answer(R"({"RequestId":"R","Id":77,"Name":"web","Common":"a.example.com",
    "Sans":"a.example.com,b.example.com","Issuer":"Test CA","Algorithm":"RSA",
    "Fingerprint":"FP","Sha2":"S2","SerialNo":"01","StartDate":"2026-01-01",
    "EndDate":"2026-04-01","NotBefore":1767225600000,"NotAfter":"1775001600000",
    "Expired":false,"BuyInAliyun":true,"OrderId":5,"InstanceId":"cas-ivauto-x",
    "CertIdentifier":"77-cn-hangzhou","Cert":"PEM","Key":"KEYPEM",
    "CertChain":[{"CommonName":"a.example.com","IssuerCommonName":"Test CA",
      "NotBefore":1,"NotAfter":2,"RemainDay":30}],
    "Tags":[{"TagKey":"env","TagValue":"prod"}]})");
  absl::StatusOr<UserCertificateDetail> d = cas_->GetUserCertificateDetail(77);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(Param("CertId"), "77");
  EXPECT_EQ(Param("CertFilter"), "false");
  EXPECT_EQ(d->id, 77);
  EXPECT_EQ(d->sans, "a.example.com,b.example.com");
  EXPECT_EQ(d->not_before_ms, 1767225600000);
  EXPECT_EQ(d->not_after_ms, 1775001600000);  // numeric string accepted
  EXPECT_TRUE(d->buy_in_aliyun);
  EXPECT_EQ(d->cert_identifier, "77-cn-hangzhou");
  EXPECT_EQ(d->key.Reveal(), "KEYPEM");
  ASSERT_EQ(d->cert_chain.size(), 1u);
  EXPECT_EQ(d->cert_chain[0].remain_day, 30);
  ASSERT_EQ(d->tags.size(), 1u);
  EXPECT_EQ(d->tags[0].value, "prod");
}

TEST_F(CasClientTest, ListUserCertificateOrderSendsFiltersAndParsesItems) {
  Answer(R"({"RequestId":"R","TotalCount":3,"CurrentPage":2,"ShowSize":2,
    "CertificateOrderList":[{"CertificateId":14000003,"Name":"web",
      "CommonName":"a.example.com","Sans":"a.example.com,b.example.com",
      "Sha2":"AB12","Fingerprint":"FP","Upload":true,"Status":"ISSUED",
      "Expired":false,"CertStartTime":1767225600000,
      "CertEndTime":"1775001600000","InstanceId":"cas-upload-x"}]})");
  ListUserCertificateOrderRequest request;
  request.keyword = "web";
  request.order_type = "UPLOAD";
  request.current_page = 2;
  request.show_size = 2;
  absl::StatusOr<ListUserCertificateOrderResponse> r =
      cas_->ListUserCertificateOrder(request);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Param("Action"), "ListUserCertificateOrder");
  EXPECT_EQ(Param("Keyword"), "web");
  EXPECT_EQ(Param("OrderType"), "UPLOAD");
  EXPECT_EQ(Param("CurrentPage"), "2");
  EXPECT_EQ(Param("ShowSize"), "2");
  EXPECT_EQ(Param("Status"), "<absent>");
  EXPECT_EQ(r->total_count, 3);
  EXPECT_EQ(r->current_page, 2);
  EXPECT_EQ(r->show_size, 2);
  EXPECT_EQ(r->request_id, "R");
  ASSERT_EQ(r->certificate_order_list.size(), 1u);
  const CertificateOrder& c = r->certificate_order_list[0];
  EXPECT_EQ(c.certificate_id, 14000003);
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.common_name, "a.example.com");
  EXPECT_EQ(c.sans, "a.example.com,b.example.com");
  EXPECT_EQ(c.sha2, "AB12");
  EXPECT_EQ(c.fingerprint, "FP");
  EXPECT_TRUE(c.upload);
  EXPECT_EQ(c.status, "ISSUED");
  EXPECT_EQ(c.cert_end_time_ms, 1775001600000);  // numeric string accepted
  EXPECT_EQ(c.instance_id, "cas-upload-x");

  request.order_type = "UPLOADED";
  EXPECT_THAT(
      cas_->ListUserCertificateOrder(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order_type")));
  EXPECT_EQ(requests(), 1);
}

TEST_F(CasClientTest, CertificateOrderFlow) {
  Answer(R"({"RequestId":"R","OrderId":123456})");
  CreateCertificateRequestParams order;
  order.domain = "www.example.com";
  order.email = "ops@example.com";
  order.phone = "123";
  order.username = "Ops";
  order.validate_type = "DNS";
  ASSERT_THAT(cas_->CreateCertificateRequest(order), IsOk());
  EXPECT_EQ(*cas_->CreateCertificateRequest(order), 123456);
  EXPECT_EQ(Param("Domain"), "www.example.com");
  EXPECT_EQ(Param("ValidateType"), "DNS");
  EXPECT_EQ(Param("ProductCode"), "<absent>");
  order.validate_type = "HTTP";
  EXPECT_THAT(
      cas_->CreateCertificateRequest(order),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("validate_type")));

  Answer(R"({"RequestId":"R","Type":"domain_verify","ValidateType":"DNS",
    "RecordDomain":"_dnsauth","RecordType":"TXT","RecordValue":"v123"})");
  absl::StatusOr<CertificateState> s = cas_->DescribeCertificateState(123456);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(Param("OrderId"), "123456");
  EXPECT_EQ(s->type, "domain_verify");
  EXPECT_EQ(s->record_domain, "_dnsauth");
  EXPECT_EQ(s->record_value, "v123");
}

TEST_F(CasClientTest, ListCloudResourcesSendsCertIdsAsJsonArray) {
  Answer(R"({"RequestId":"R","CurrentPage":1,"ShowSize":20,"Total":1,
    "Data":[{"Id":9001,"CloudName":"aliyun","CloudProduct":"SLB",
      "Domain":"a.example.com","InstanceId":"lb-1","ListenerId":"lsn-1@443",
      "ListenerPort":"443","EnableHttps":1,"CertId":55,"UserId":42}]})");
  ListCloudResourcesRequest request;
  request.cloud_name = "aliyun";
  request.cloud_product = "SLB";
  request.cert_ids = {1, 2};
  absl::StatusOr<ListCloudResourcesResponse> r =
      cas_->ListCloudResources(request);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Param("CertIds"), "[1,2]");
  EXPECT_EQ(Param("CloudProduct"), "SLB");
  EXPECT_EQ(r->total, 1);
  ASSERT_EQ(r->data.size(), 1u);
  EXPECT_EQ(r->data[0].id, 9001);
  EXPECT_EQ(r->data[0].listener_id, "lsn-1@443");
  EXPECT_EQ(r->data[0].enable_https, 1);
}

TEST_F(CasClientTest, CreateDeploymentJobSendsCommaSeparatedIds) {
  Answer(R"({"RequestId":"R","JobId":31})");
  CreateDeploymentJobRequest request;
  request.name = "deploy-web";
  request.job_type = "user";
  request.cert_ids = {12342649, 12304338};
  request.resource_ids = {9001};
  request.contact_ids = {1, 2};
  absl::StatusOr<int64_t> job = cas_->CreateDeploymentJob(request);
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ(*job, 31);
  EXPECT_EQ(Param("CertIds"), "12342649,12304338");
  EXPECT_EQ(Param("ResourceIds"), "9001");
  EXPECT_EQ(Param("ContactIds"), "1,2");
  EXPECT_EQ(Param("JobType"), "user");
  EXPECT_EQ(Param("ScheduleTime"), "<absent>");

  request.contact_ids.clear();
  EXPECT_THAT(
      cas_->CreateDeploymentJob(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact_ids")));
}

TEST_F(CasClientTest, JobStatusCallsValidateStatusValues) {
  Answer(R"({"RequestId":"R"})");
  EXPECT_THAT(cas_->UpdateDeploymentJobStatus(31, "pending"), IsOk());
  EXPECT_EQ(Param("Action"), "UpdateDeploymentJobStatus");
  EXPECT_EQ(Param("JobId"), "31");
  EXPECT_EQ(Param("Status"), "pending");
  EXPECT_THAT(
      cas_->UpdateDeploymentJobStatus(31, "executing"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("status")));
  EXPECT_THAT(cas_->UpdateWorkerResourceStatus(31, 7, "rollback"), IsOk());
  EXPECT_EQ(Param("WorkerId"), "7");
  EXPECT_EQ(Param("Status"), "rollback");
  EXPECT_THAT(cas_->UpdateWorkerResourceStatus(31, 7, "processing"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CasClientTest, DescribeDeploymentJobAndStatus) {
  Answer(R"({"RequestId":"R","Id":31,"Name":"deploy-web","JobType":"user",
    "Status":"success","CertType":"upload","Rollback":1,
    "ScheduleTime":"1706613560008","UserId":42,
    "CasContacts":[{"Id":"1","Name":"Ops","Email":"o@e.com","Mobile":"1"}],
    "WorkerCount":3,"SuccessCount":2,"FailedCount":1,"RollbackCount":1,
    "ProductWorkerCount":[{"ProductName":"SLB","Count":3}]})");
  absl::StatusOr<DeploymentJob> job = cas_->DescribeDeploymentJob(31);
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ(job->status, "success");
  EXPECT_EQ(job->rollback, 1);
  EXPECT_EQ(job->schedule_time, "1706613560008");
  ASSERT_EQ(job->cas_contacts.size(), 1u);
  EXPECT_EQ(job->cas_contacts[0].email, "o@e.com");

  absl::StatusOr<DeploymentJobStatus> status =
      cas_->DescribeDeploymentJobStatus(31);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(Param("Action"), "DescribeDeploymentJobStatus");
  EXPECT_EQ(status->worker_count, 3);
  EXPECT_EQ(status->failed_count, 1);
  ASSERT_EQ(status->product_worker_count.size(), 1u);
  EXPECT_EQ(status->product_worker_count[0].count, 3);
}

TEST_F(CasClientTest, ListWorkerResourceParsesWorkers) {
  Answer(R"({"RequestId":"R","Total":1,"Data":[{"Id":7,"JobId":31,
    "Status":"error","CloudProduct":"SLB","ResourceId":9001,
    "ResourceCertId":54,"CertId":55,"Port":443,"DefaultResource":true}]})");
  ListWorkerResourceRequest request;
  request.job_id = 31;
  request.status = "error";
  request.show_size = 50;
  absl::StatusOr<ListWorkerResourceResponse> r =
      cas_->ListWorkerResource(request);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(Param("JobId"), "31");
  EXPECT_EQ(Param("Status"), "error");
  EXPECT_EQ(Param("ShowSize"), "50");
  ASSERT_EQ(r->data.size(), 1u);
  EXPECT_EQ(r->data[0].id, 7);
  EXPECT_EQ(r->data[0].resource_cert_id, 54);
  EXPECT_EQ(r->data[0].port, 443);
  EXPECT_TRUE(r->data[0].default_resource);
}

TEST_F(CasClientTest, NotFoundErrorKeepsTheRawCode) {
  Answer(R"({"RequestId":"RNF","Code":"NotFound.Certificate",
    "Message":"The certificate does not exist."})",
         400);
  absl::StatusOr<UserCertificateDetail> d = cas_->GetUserCertificateDetail(1);
  EXPECT_THAT(
      d, StatusIs(absl::StatusCode::kNotFound, HasSubstr("(RequestId RNF)")));
  ASSERT_TRUE(GetApiError(d.status()).has_value());
  EXPECT_EQ(GetApiError(d.status())->code, "NotFound.Certificate");
}

}  // namespace
}  // namespace certferry::cloud
