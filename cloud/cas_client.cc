#include "cloud/cas_client.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace certferry::cloud {
namespace {

using nlohmann::json;

// CAS is loose with types (ids as numbers or strings, timestamps as
// strings), so readers accept either form and default when absent.
std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return static_cast<int64_t>(it->get<double>());
  if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
  int64_t value = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &value)) {
    return value;
  }
  return 0;
}

bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return it->get<std::string>() == "true";
  return Int(j, key) != 0;
}

const json& Array(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

void AddTags(const std::vector<CasTag>& tags, RpcParams& params) {
  for (size_t i = 0; i < tags.size(); ++i) {
    params[absl::StrCat("Tags.", i + 1, ".Key")] = tags[i].key;
    params[absl::StrCat("Tags.", i + 1, ".Value")] = tags[i].value;
  }
}

void SetIfNotEmpty(RpcParams& params, const char* name,
                   const std::string& value) {
  if (!value.empty()) params[name] = value;
}

bool OneOf(const std::string& value, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(),
                     [&](const char* s) { return value == s; });
}

absl::Status CheckIds(const char* field, const std::vector<int64_t>& ids) {
  if (ids.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at least one id is required"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UploadUserCertificateResponse> CasClient::UploadUserCertificate(
    const UploadUserCertificateRequest& request) const {
  if (request.name.empty() || request.name.size() > 64) {
    return absl::InvalidArgumentError(
        "name: must be 1 to 64 characters; CAS rejects longer names");
  }
  if (request.cert.empty() == !request.key.empty()) {
    return absl::InvalidArgumentError(
        "cert, key: give both (or neither, for an SM certificate pair)");
  }
  RpcParams params = {{"Name", request.name}};
  SetIfNotEmpty(params, "Cert", request.cert);
  SetIfNotEmpty(params, "Key", request.key.Reveal());
  SetIfNotEmpty(params, "EncryptCert", request.encrypt_cert);
  SetIfNotEmpty(params, "EncryptPrivateKey",
                request.encrypt_private_key.Reveal());
  SetIfNotEmpty(params, "SignCert", request.sign_cert);
  SetIfNotEmpty(params, "SignPrivateKey", request.sign_private_key.Reveal());
  SetIfNotEmpty(params, "ResourceGroupId", request.resource_group_id);
  SetIfNotEmpty(params, "ClientToken", request.client_token);
  AddTags(request.tags, params);
  absl::StatusOr<json> body =
      rpc_.Call("UploadUserCertificate", params, !request.client_token.empty());
  if (!body.ok()) return body.status();
  UploadUserCertificateResponse out;
  out.cert_id = Int(*body, "CertId");
  out.resource_id = Str(*body, "ResourceId");
  out.request_id = Str(*body, "RequestId");
  return out;
}

absl::StatusOr<UserCertificateDetail> CasClient::GetUserCertificateDetail(
    int64_t cert_id, bool cert_filter) const {
  CF_ASSIGN_OR_RETURN(
      json body, rpc_.Call("GetUserCertificateDetail",
                           {{"CertId", absl::StrCat(cert_id)},
                            {"CertFilter", cert_filter ? "true" : "false"}}));
  UserCertificateDetail d;
  d.id = Int(body, "Id");
  d.name = Str(body, "Name");
  d.common = Str(body, "Common");
  d.sans = Str(body, "Sans");
  d.issuer = Str(body, "Issuer");
  d.algorithm = Str(body, "Algorithm");
  d.fingerprint = Str(body, "Fingerprint");
  d.sha2 = Str(body, "Sha2");
  d.cert_sha2 = Str(body, "CertSha2");
  d.serial_no = Str(body, "SerialNo");
  d.start_date = Str(body, "StartDate");
  d.end_date = Str(body, "EndDate");
  d.not_before_ms = Int(body, "NotBefore");
  d.not_after_ms = Int(body, "NotAfter");
  d.expired = Bool(body, "Expired");
  d.buy_in_aliyun = Bool(body, "BuyInAliyun");
  d.order_id = Int(body, "OrderId");
  d.instance_id = Str(body, "InstanceId");
  d.cert_identifier = Str(body, "CertIdentifier");
  d.org_name = Str(body, "OrgName");
  d.country = Str(body, "Country");
  d.province = Str(body, "Province");
  d.city = Str(body, "City");
  d.resource_group_id = Str(body, "ResourceGroupId");
  d.cert = Str(body, "Cert");
  d.key = SecretString(Str(body, "Key"));
  d.encrypt_cert = Str(body, "EncryptCert");
  d.encrypt_private_key = SecretString(Str(body, "EncryptPrivateKey"));
  d.sign_cert = Str(body, "SignCert");
  d.sign_private_key = SecretString(Str(body, "SignPrivateKey"));
  for (const json& c : Array(body, "CertChain")) {
    d.cert_chain.push_back({Str(c, "CommonName"), Str(c, "IssuerCommonName"),
                            Int(c, "NotBefore"), Int(c, "NotAfter"),
                            static_cast<int32_t>(Int(c, "RemainDay"))});
  }
  for (const json& t : Array(body, "Tags")) {
    d.tags.push_back({Str(t, "TagKey"), Str(t, "TagValue")});
  }
  d.request_id = Str(body, "RequestId");
  return d;
}

absl::StatusOr<ListUserCertificateOrderResponse>
CasClient::ListUserCertificateOrder(
    const ListUserCertificateOrderRequest& request) const {
  if (!request.order_type.empty() &&
      !OneOf(request.order_type, {"CPACK", "BUY", "UPLOAD", "CERT"})) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_type: \"", request.order_type,
                     "\"; use CPACK, BUY, UPLOAD or CERT"));
  }
  RpcParams params;
  SetIfNotEmpty(params, "Keyword", request.keyword);
  SetIfNotEmpty(params, "Status", request.status);
  SetIfNotEmpty(params, "OrderType", request.order_type);
  if (request.current_page) {
    params["CurrentPage"] = absl::StrCat(*request.current_page);
  }
  if (request.show_size) params["ShowSize"] = absl::StrCat(*request.show_size);
  CF_ASSIGN_OR_RETURN(json body, rpc_.Call("ListUserCertificateOrder", params));
  ListUserCertificateOrderResponse out;
  for (const json& o : Array(body, "CertificateOrderList")) {
    CertificateOrder c;
    c.certificate_id = Int(o, "CertificateId");
    c.order_id = Int(o, "OrderId");
    c.instance_id = Str(o, "InstanceId");
    c.status = Str(o, "Status");
    c.name = Str(o, "Name");
    c.common_name = Str(o, "CommonName");
    c.sans = Str(o, "Sans");
    c.domain = Str(o, "Domain");
    c.start_date = Str(o, "StartDate");
    c.end_date = Str(o, "EndDate");
    c.cert_start_time_ms = Int(o, "CertStartTime");
    c.cert_end_time_ms = Int(o, "CertEndTime");
    c.expired = Bool(o, "Expired");
    c.upload = Bool(o, "Upload");
    c.fingerprint = Str(o, "Fingerprint");
    c.sha2 = Str(o, "Sha2");
    c.serial_no = Str(o, "SerialNo");
    c.issuer = Str(o, "Issuer");
    c.cert_type = Str(o, "CertType");
    c.domain_type = Str(o, "DomainType");
    c.algorithm = Str(o, "Algorithm");
    out.certificate_order_list.push_back(std::move(c));
  }
  out.total_count = Int(body, "TotalCount");
  out.current_page = Int(body, "CurrentPage");
  out.show_size = Int(body, "ShowSize");
  out.request_id = Str(body, "RequestId");
  return out;
}

absl::StatusOr<int64_t> CasClient::CreateCertificateRequest(
    const CreateCertificateRequestParams& request) const {
  if (!OneOf(request.validate_type, {"DNS", "FILE"})) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validate_type: \"", request.validate_type, "\"; use DNS or FILE"));
  }
  RpcParams params = {{"Domain", request.domain},
                      {"Email", request.email},
                      {"Phone", request.phone},
                      {"Username", request.username},
                      {"ValidateType", request.validate_type}};
  SetIfNotEmpty(params, "ProductCode", request.product_code);
  AddTags(request.tags, params);
  CF_ASSIGN_OR_RETURN(json body,
                      rpc_.Call("CreateCertificateRequest", params, false));
  return Int(body, "OrderId");
}

absl::StatusOr<CertificateState> CasClient::DescribeCertificateState(
    int64_t order_id) const {
  CF_ASSIGN_OR_RETURN(json body,
                      rpc_.Call("DescribeCertificateState",
                                {{"OrderId", absl::StrCat(order_id)}}));
  CertificateState s;
  s.type = Str(body, "Type");
  s.validate_type = Str(body, "ValidateType");
  s.record_domain = Str(body, "RecordDomain");
  s.record_type = Str(body, "RecordType");
  s.record_value = Str(body, "RecordValue");
  s.domain = Str(body, "Domain");
  s.uri = Str(body, "Uri");
  s.content = Str(body, "Content");
  s.certificate = Str(body, "Certificate");
  s.private_key = SecretString(Str(body, "PrivateKey"));
  s.cert_id = Str(body, "CertId");
  s.request_id = Str(body, "RequestId");
  return s;
}

absl::StatusOr<ListCloudResourcesResponse> CasClient::ListCloudResources(
    const ListCloudResourcesRequest& request) const {
  RpcParams params;
  SetIfNotEmpty(params, "CloudName", request.cloud_name);
  SetIfNotEmpty(params, "CloudProduct", request.cloud_product);
  SetIfNotEmpty(params, "SecretId", request.secret_id);
  SetIfNotEmpty(params, "Keyword", request.keyword);
  if (request.current_page) {
    params["CurrentPage"] = absl::StrCat(*request.current_page);
  }
  if (request.show_size) params["ShowSize"] = absl::StrCat(*request.show_size);
  // array<integer> with style "json" (§0).
  if (!request.cert_ids.empty())
    params["CertIds"] = json(request.cert_ids).dump();
  CF_ASSIGN_OR_RETURN(json body, rpc_.Call("ListCloudResources", params));
  ListCloudResourcesResponse out;
  for (const json& r : Array(body, "Data")) {
    CloudResource c;
    c.id = Int(r, "Id");
    c.cloud_name = Str(r, "CloudName");
    c.cloud_product = Str(r, "CloudProduct");
    c.cloud_region = Str(r, "CloudRegion");
    c.region_id = Str(r, "RegionId");
    c.domain = Str(r, "Domain");
    c.instance_id = Str(r, "InstanceId");
    c.listener_id = Str(r, "ListenerId");
    c.listener_port = Str(r, "ListenerPort");
    c.default_resource = static_cast<int32_t>(Int(r, "DefaultResource"));
    c.enable_https = static_cast<int32_t>(Int(r, "EnableHttps"));
    c.cert_id = Int(r, "CertId");
    c.cert_name = Str(r, "CertName");
    c.cert_start_time = Str(r, "CertStartTime");
    c.cert_end_time = Str(r, "CertEndTime");
    c.cloud_access_id = Str(r, "CloudAccessId");
    c.status = Str(r, "Status");
    c.use_ssl = static_cast<int32_t>(Int(r, "UseSsl"));
    c.user_id = Int(r, "UserId");
    c.gmt_create = Str(r, "GmtCreate");
    c.gmt_modified = Str(r, "GmtModified");
    out.data.push_back(std::move(c));
  }
  out.current_page = Int(body, "CurrentPage");
  out.show_size = Int(body, "ShowSize");
  out.total = Int(body, "Total");
  out.request_id = Str(body, "RequestId");
  return out;
}

absl::StatusOr<int64_t> CasClient::CreateDeploymentJob(
    const CreateDeploymentJobRequest& request) const {
  if (request.name.empty()) {
    return absl::InvalidArgumentError("name: must not be empty");
  }
  if (!OneOf(request.job_type, {"user", "cloud"})) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job_type: \"", request.job_type, "\"; use user or cloud"));
  }
  CF_RETURN_IF_ERROR(CheckIds("cert_ids", request.cert_ids));
  CF_RETURN_IF_ERROR(CheckIds("resource_ids", request.resource_ids));
  CF_RETURN_IF_ERROR(CheckIds("contact_ids", request.contact_ids));
  // Comma-separated strings, not arrays (§0).
  RpcParams params = {{"Name", request.name},
                      {"JobType", request.job_type},
                      {"CertIds", absl::StrJoin(request.cert_ids, ",")},
                      {"ResourceIds", absl::StrJoin(request.resource_ids, ",")},
                      {"ContactIds", absl::StrJoin(request.contact_ids, ",")}};
  if (request.schedule_time) {
    params["ScheduleTime"] = absl::StrCat(*request.schedule_time);
  }
  CF_ASSIGN_OR_RETURN(json body,
                      rpc_.Call("CreateDeploymentJob", params, false));
  return Int(body, "JobId");
}

absl::Status CasClient::UpdateDeploymentJobStatus(
    int64_t job_id, const std::string& status) const {
  if (!OneOf(status, {"pending", "scheduling", "editing"})) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status: \"", status, "\"; use pending, scheduling or editing"));
  }
  return rpc_
      .Call("UpdateDeploymentJobStatus",
            {{"JobId", absl::StrCat(job_id)}, {"Status", status}})
      .status();
}

absl::StatusOr<DeploymentJob> CasClient::DescribeDeploymentJob(
    int64_t job_id) const {
  CF_ASSIGN_OR_RETURN(json body, rpc_.Call("DescribeDeploymentJob",
                                           {{"JobId", absl::StrCat(job_id)}}));
  DeploymentJob j;
  j.id = Int(body, "Id");
  j.name = Str(body, "Name");
  j.job_type = Str(body, "JobType");
  j.status = Str(body, "Status");
  j.cert_type = Str(body, "CertType");
  j.cert_domain = Str(body, "CertDomain");
  j.product_name = Str(body, "ProductName");
  j.instance_id = Str(body, "InstanceId");
  j.config = Str(body, "Config");
  j.del = static_cast<int32_t>(Int(body, "Del"));
  j.rollback = static_cast<int32_t>(Int(body, "Rollback"));
  j.schedule_time = Str(body, "ScheduleTime");
  j.start_time = Str(body, "StartTime");
  j.end_time = Str(body, "EndTime");
  j.gmt_create = Str(body, "GmtCreate");
  j.gmt_modified = Str(body, "GmtModified");
  j.user_id = Int(body, "UserId");
  for (const json& c : Array(body, "CasContacts")) {
    j.cas_contacts.push_back(
        {Str(c, "Id"), Str(c, "Name"), Str(c, "Email"), Str(c, "Mobile")});
  }
  j.request_id = Str(body, "RequestId");
  return j;
}

absl::StatusOr<DeploymentJobStatus> CasClient::DescribeDeploymentJobStatus(
    int64_t job_id) const {
  CF_ASSIGN_OR_RETURN(json body, rpc_.Call("DescribeDeploymentJobStatus",
                                           {{"JobId", absl::StrCat(job_id)}}));
  auto i32 = [&](const char* key) {
    return static_cast<int32_t>(Int(body, key));
  };
  DeploymentJobStatus s;
  s.worker_count = i32("WorkerCount");
  s.success_count = i32("SuccessCount");
  s.failed_count = i32("FailedCount");
  s.rollback_count = i32("RollbackCount");
  s.rollback_success_count = i32("RollbackSuccessCount");
  s.rollback_failed_count = i32("RollbackFailedCount");
  s.cert_count = i32("CertCount");
  s.resource_count = i32("ResourceCount");
  s.match_worker_count = i32("MatchWorkerCount");
  s.cost_count = i32("CostCount");
  s.buy_count = i32("BuyCount");
  s.use_count = i32("UseCount");
  for (const json& p : Array(body, "ProductWorkerCount")) {
    s.product_worker_count.push_back(
        {Str(p, "ProductName"), static_cast<int32_t>(Int(p, "Count"))});
  }
  s.request_id = Str(body, "RequestId");
  return s;
}

absl::StatusOr<ListWorkerResourceResponse> CasClient::ListWorkerResource(
    const ListWorkerResourceRequest& request) const {
  RpcParams params = {{"JobId", absl::StrCat(request.job_id)}};
  SetIfNotEmpty(params, "Status", request.status);
  SetIfNotEmpty(params, "CloudProduct", request.cloud_product);
  if (request.current_page) {
    params["CurrentPage"] = absl::StrCat(*request.current_page);
  }
  if (request.show_size) params["ShowSize"] = absl::StrCat(*request.show_size);
  CF_ASSIGN_OR_RETURN(json body, rpc_.Call("ListWorkerResource", params));
  ListWorkerResourceResponse out;
  for (const json& r : Array(body, "Data")) {
    WorkerResource w;
    w.id = Int(r, "Id");
    w.job_id = Int(r, "JobId");
    w.status = Str(r, "Status");
    w.cloud_name = Str(r, "CloudName");
    w.cloud_product = Str(r, "CloudProduct");
    w.cloud_region = Str(r, "CloudRegion");
    w.region_id = Str(r, "RegionId");
    w.instance_id = Str(r, "InstanceId");
    w.listener_id = Str(r, "ListenerId");
    w.port = static_cast<int32_t>(Int(r, "Port"));
    w.default_resource = Bool(r, "DefaultResource");
    w.resource_id = Int(r, "ResourceId");
    w.resource_cert_id = Int(r, "ResourceCertId");
    w.resource_domain = Str(r, "ResourceDomain");
    w.cert_id = Int(r, "CertId");
    w.cert_instance_id = Str(r, "CertInstanceId");
    w.cert_name = Str(r, "CertName");
    w.cert_domain = Str(r, "CertDomain");
    w.order_id = Int(r, "OrderId");
    w.namespace_id = Str(r, "NamespaceId");
    w.user_id = Int(r, "UserId");
    w.gmt_create = Str(r, "GmtCreate");
    w.gmt_modified = Str(r, "GmtModified");
    out.data.push_back(std::move(w));
  }
  out.current_page = Int(body, "CurrentPage");
  out.show_size = Int(body, "ShowSize");
  out.total = Int(body, "Total");
  out.request_id = Str(body, "RequestId");
  return out;
}

absl::Status CasClient::UpdateWorkerResourceStatus(
    int64_t job_id, int64_t worker_id, const std::string& status) const {
  if (!OneOf(status, {"editing", "pending", "success", "rollback",
                      "rollback_success", "rollback_error"})) {
    return absl::InvalidArgumentError(absl::StrCat(
        "status: \"", status,
        "\"; use editing, pending, success, rollback, rollback_success or "
        "rollback_error"));
  }
  return rpc_
      .Call("UpdateWorkerResourceStatus",
            {{"JobId", absl::StrCat(job_id)},
             {"WorkerId", absl::StrCat(worker_id)},
             {"Status", status}})
      .status();
}

}  // namespace certferry::cloud
