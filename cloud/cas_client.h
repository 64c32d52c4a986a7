#pragma once

// Typed calls of Alibaba Certificate Management Service (CAS) 2020-04-07,
// names and parameters as in ALIBABA_API.md §1. Built on an RpcClient whose
// version is "2020-04-07". Private keys travel as SecretString and never
// appear in statuses (RpcClient puts no parameter value in messages).
// Thread-safe; errors are RpcClient::Call's.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/rpc_client.h"
#include "common/secret_string.h"

namespace certferry::cloud {

inline constexpr char kCasVersion[] = "2020-04-07";
inline constexpr char kCasEndpoint[] = "https://cas.aliyuncs.com";

struct CasTag {
  std::string key;
  std::string value;
};

// --- Uploading and reading user certificates (§1.2) ---

struct UploadUserCertificateRequest {
  std::string name;  // unique per account, at most 64 characters
  std::string cert;  // PEM chain
  SecretString key;  // PEM private key
  // SM (国密) dual certificates instead of cert/key.
  std::string encrypt_cert;
  SecretString encrypt_private_key;
  std::string sign_cert;
  SecretString sign_private_key;
  std::string resource_group_id;
  std::vector<CasTag> tags;  // sent as Tags.N.Key / Tags.N.Value
  // Makes the call idempotent (CAS ≥ v4.6.0 SDK); without it a lost answer
  // is not retried, because a retry could upload twice.
  std::string client_token;
};

struct UploadUserCertificateResponse {
  int64_t cert_id = 0;
  std::string resource_id;  // e.g. "cas-upload-xki1d0"
  std::string request_id;
};

struct CertChainEntry {
  std::string common_name;
  std::string issuer_common_name;
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  int32_t remain_day = 0;
};

struct UserCertificateDetail {
  int64_t id = 0;
  std::string name, common, sans, issuer, algorithm, fingerprint, sha2,
      cert_sha2, serial_no, start_date, end_date;
  int64_t not_before_ms = 0, not_after_ms = 0;
  bool expired = false;
  bool buy_in_aliyun = false;
  int64_t order_id = 0;
  std::string instance_id, cert_identifier, org_name, country, province, city,
      resource_group_id;
  std::string cert;  // empty when cert_filter was set
  SecretString key;
  std::string encrypt_cert;
  SecretString encrypt_private_key;
  std::string sign_cert;
  SecretString sign_private_key;
  std::vector<CertChainEntry> cert_chain;
  std::vector<CasTag> tags;
  std::string request_id;
};

struct ListUserCertificateOrderRequest {
  std::string keyword;  // matches certificate name or domain
  // PAYED, CHECKING, CHECKED_FAIL, ISSUED, WILLEXPIRED, EXPIRED,
  // NOTACTIVATED, REVOKED; empty with UPLOAD/CERT: ISSUED and WILLEXPIRED.
  std::string status;
  // CPACK (CAS's default), BUY, UPLOAD (uploaded certificates), CERT.
  std::string order_type;
  std::optional<int64_t> current_page;  // CAS default 1
  std::optional<int64_t> show_size;     // CAS default 50
};

struct CertificateOrder {
  int64_t certificate_id = 0;  // set for CERT and UPLOAD
  int64_t order_id = 0;
  std::string instance_id, status, name, common_name, sans, domain, start_date,
      end_date;
  int64_t cert_start_time_ms = 0, cert_end_time_ms = 0;
  bool expired = false;
  bool upload = false;
  std::string fingerprint, sha2, serial_no, issuer, cert_type, domain_type,
      algorithm;
};

struct ListUserCertificateOrderResponse {
  std::vector<CertificateOrder> certificate_order_list;
  int64_t total_count = 0;
  int64_t current_page = 0;
  int64_t show_size = 0;
  std::string request_id;
};

// --- Issuing (§1.1) ---

struct CreateCertificateRequestParams {
  std::string domain;  // exactly one domain
  std::string email;
  std::string phone;
  std::string username;
  std::string validate_type;  // "DNS" | "FILE"
  std::string product_code;   // empty: CAS default (digicert-free-1-free)
  std::vector<CasTag> tags;
};

struct CertificateState {
  // domain_verify | process | verify_fail | certificate | payed | unknow
  std::string type;
  std::string validate_type;
  std::string record_domain, record_type, record_value;  // DNS validation
  std::string domain, uri, content;                      // FILE validation
  std::string certificate;  // PEM chain when type == "certificate"
  SecretString private_key;
  std::string cert_id;
  std::string request_id;
};

// --- Deployment targets and jobs (§1.3, §1.4) ---

struct ListCloudResourcesRequest {
  std::string cloud_name;     // aliyun | Tencent | Huawei | Aws
  std::string cloud_product;  // SLB, CDN, ALB, ...
  std::string secret_id;
  std::string keyword;
  std::optional<int32_t> current_page;
  std::optional<int32_t> show_size;
  std::vector<int64_t> cert_ids;  // sent as a JSON array
};

struct CloudResource {
  int64_t id = 0;  // the ResourceId for CreateDeploymentJob
  std::string cloud_name, cloud_product, cloud_region, region_id, domain,
      instance_id, listener_id, listener_port;
  int32_t default_resource = 0;
  int32_t enable_https = 0;
  int64_t cert_id = 0;
  std::string cert_name, cert_start_time, cert_end_time, cloud_access_id,
      status;
  int32_t use_ssl = 0;
  int64_t user_id = 0;
  std::string gmt_create, gmt_modified;
};

struct ListCloudResourcesResponse {
  std::vector<CloudResource> data;
  int64_t current_page = 0;
  int64_t show_size = 0;
  int64_t total = 0;
  std::string request_id;
};

struct CreateDeploymentJobRequest {
  std::string name;
  std::string job_type;  // "user" (cloud services) | "cloud" (multi-cloud)
  std::vector<int64_t> cert_ids;      // sent comma-separated
  std::vector<int64_t> resource_ids;  // ListCloudResources ids
  std::vector<int64_t> contact_ids;
  std::optional<int64_t> schedule_time;
};

struct CasContact {
  std::string id, name, email, mobile;
};

struct DeploymentJob {
  int64_t id = 0;
  std::string name;
  std::string job_type;  // cloud | trustee | user
  // pending | editing | scheduling | processing | error | success
  std::string status;
  std::string cert_type, cert_domain, product_name, instance_id, config;
  int32_t del = 0;
  int32_t rollback = 0;  // 1: a worker was rolled back
  std::string schedule_time, start_time, end_time, gmt_create, gmt_modified;
  int64_t user_id = 0;
  std::vector<CasContact> cas_contacts;
  std::string request_id;
};

struct DeploymentJobStatus {
  int32_t worker_count = 0, success_count = 0, failed_count = 0,
          rollback_count = 0, rollback_success_count = 0,
          rollback_failed_count = 0, cert_count = 0, resource_count = 0,
          match_worker_count = 0, cost_count = 0, buy_count = 0, use_count = 0;
  struct ProductCount {
    std::string product_name;
    int32_t count = 0;
  };
  std::vector<ProductCount> product_worker_count;
  std::string request_id;
};

struct ListWorkerResourceRequest {
  int64_t job_id = 0;
  std::string status;
  std::string cloud_product;
  std::optional<int32_t> current_page;
  std::optional<int32_t> show_size;
};

struct WorkerResource {
  int64_t id = 0;  // WorkerId
  int64_t job_id = 0;
  // editing | pending | scheduling | processing | error | success |
  // rollback | rollback_success | rollback_error
  std::string status;
  std::string cloud_name, cloud_product, cloud_region, region_id, instance_id,
      listener_id;
  int32_t port = 0;
  bool default_resource = false;
  int64_t resource_id = 0;
  int64_t resource_cert_id = 0;  // certificate before this deployment
  std::string resource_domain;
  int64_t cert_id = 0;
  std::string cert_instance_id, cert_name, cert_domain;
  int64_t order_id = 0;
  std::string namespace_id;
  int64_t user_id = 0;
  std::string gmt_create, gmt_modified;
};

struct ListWorkerResourceResponse {
  std::vector<WorkerResource> data;
  int64_t current_page = 0;
  int64_t show_size = 0;
  int64_t total = 0;
  std::string request_id;
};

class CasClient {
 public:
  // `rpc` must outlive the client and be configured for kCasVersion.
  explicit CasClient(const RpcClient& rpc) : rpc_(rpc) {}

  // Retried after a lost answer only with a client_token.
  absl::StatusOr<UploadUserCertificateResponse> UploadUserCertificate(
      const UploadUserCertificateRequest& request) const;
  // cert_filter: leave out Cert/Key and the SM pairs.
  absl::StatusOr<UserCertificateDetail> GetUserCertificateDetail(
      int64_t cert_id, bool cert_filter = false) const;
  // One page of orders or certificates; UPLOAD lists uploaded ones.
  absl::StatusOr<ListUserCertificateOrderResponse> ListUserCertificateOrder(
      const ListUserCertificateOrderRequest& request) const;

  // Orders a certificate; returns the OrderId. Not retried after a lost
  // answer (it would order twice).
  absl::StatusOr<int64_t> CreateCertificateRequest(
      const CreateCertificateRequestParams& request) const;
  absl::StatusOr<CertificateState> DescribeCertificateState(
      int64_t order_id) const;

  absl::StatusOr<ListCloudResourcesResponse> ListCloudResources(
      const ListCloudResourcesRequest& request) const;

  // Creates a job in "editing"; it runs only after
  // UpdateDeploymentJobStatus(job_id, "pending"). Returns the JobId. Not
  // retried after a lost answer.
  absl::StatusOr<int64_t> CreateDeploymentJob(
      const CreateDeploymentJobRequest& request) const;
  // status: "pending", "scheduling" or "editing".
  absl::Status UpdateDeploymentJobStatus(int64_t job_id,
                                         const std::string& status) const;
  absl::StatusOr<DeploymentJob> DescribeDeploymentJob(int64_t job_id) const;
  absl::StatusOr<DeploymentJobStatus> DescribeDeploymentJobStatus(
      int64_t job_id) const;
  absl::StatusOr<ListWorkerResourceResponse> ListWorkerResource(
      const ListWorkerResourceRequest& request) const;
  // Rolls back or re-runs one worker; status: editing, pending, success,
  // rollback, rollback_success or rollback_error.
  absl::Status UpdateWorkerResourceStatus(int64_t job_id, int64_t worker_id,
                                          const std::string& status) const;

 private:
  const RpcClient& rpc_;
};

}  // namespace certferry::cloud
