#include "cloud/airec_client.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/api_error.h"
#include "cloud/percent_encoding.h"
#include "cloud/rpc_client.h"
#include "cloud/signature_v3.h"

namespace certferry::cloud {
namespace {

std::string Nonce() {
  thread_local absl::BitGen random;
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(absl::Uniform<uint8_t>(random));
  return absl::BytesToHexString(bytes);
}

std::string Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

absl::Status CheckInstanceId(absl::string_view instance_id) {
  if (instance_id.empty() || absl::StrContains(instance_id, "/")) {
    return absl::InvalidArgumentError(
        "instance_id: must be a non-empty AIRec instance id without '/'");
  }
  return absl::OkStatus();
}

// One part of a multipart/form-data body (RFC 7578).
void AppendPart(std::string& body, absl::string_view boundary,
                absl::string_view name, absl::string_view filename,
                absl::string_view content_type, absl::string_view data) {
  absl::StrAppend(
      &body, "--", boundary, "\r\nContent-Disposition: form-data; name=\"",
      name, "\"; filename=\"", filename, "\"\r\nContent-Type: ", content_type,
      "\r\n\r\n", data, "\r\n");
}

}  // namespace

AirecClient::AirecClient(AirecClientOptions options, Credentials credentials,
                         HttpClient& http, const Clock& clock)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      http_(http),
      clock_(clock) {
  while (absl::EndsWith(options_.endpoint, "/")) options_.endpoint.pop_back();
  absl::string_view host = options_.endpoint;
  const size_t scheme = host.find("://");
  if (scheme != absl::string_view::npos) host.remove_prefix(scheme + 3);
  host_ = std::string(host.substr(0, host.find('/')));
}

HttpRequest AirecClient::BuildRequest(absl::string_view action,
                                      absl::string_view method,
                                      absl::string_view path,
                                      absl::string_view content_type,
                                      std::string body) const {
  V3Request v3;
  v3.method = std::string(method);
  v3.path = std::string(path);
  v3.hashed_payload = HashPayloadV3(body);
  v3.headers = {{"host", host_},
                {"x-acs-action", std::string(action)},
                {"x-acs-version", kAirecVersion},
                {"x-acs-date", AlibabaTimestamp(clock_.Now())},
                {"x-acs-signature-nonce", Nonce()},
                {"x-acs-content-sha256", v3.hashed_payload}};
  if (!content_type.empty()) {
    v3.headers.emplace_back("content-type", std::string(content_type));
  }
  if (credentials_.security_token.has_value()) {
    v3.headers.emplace_back("x-acs-security-token",
                            credentials_.security_token->Reveal());
  }
  const V3Signature signature = SignV3(v3, credentials_.access_key_id,
                                       credentials_.access_key_secret.Reveal());
  HttpRequest request;
  request.method = v3.method;
  request.url = absl::StrCat(options_.endpoint, PercentEncodePath(path));
  request.headers = v3.headers;
  request.headers.emplace_back("Authorization", signature.authorization);
  request.headers.emplace_back("Accept", "application/json");
  request.body = std::move(body);
  return request;
}

absl::StatusOr<AirecInstance> AirecClient::DescribeInstance(
    absl::string_view instance_id) const {
  if (absl::Status s = CheckInstanceId(instance_id); !s.ok()) return s;
  const std::string path = absl::StrCat("/v2/openapi/instances/", instance_id);
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      http_, [&] { return BuildRequest("DescribeInstance", "GET", path); },
      options_.retry, /*idempotent=*/true);
  if (!response.ok()) {
    return WithCallContext(response.status(),
                           absl::StrCat("DescribeInstance ", instance_id));
  }
  const nlohmann::json body = nlohmann::json::parse(response->body, nullptr,
                                                    /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return absl::InternalError(
        "DescribeInstance: response is not a JSON object");
  }
  auto result = body.find("result");
  if (result == body.end() || !result->is_object()) {
    return absl::InternalError(
        absl::StrCat("DescribeInstance: response has no result object "
                     "(RequestId ",
                     Field(body, "requestId"), ")"));
  }
  const nlohmann::json& r = *result;
  AirecInstance out;
  out.instance_id = Field(r, "instanceId");
  out.name = Field(r, "name");
  out.type = Field(r, "type");
  out.status = Field(r, "status");
  out.lock_mode = Field(r, "lockMode");
  out.region_id = Field(r, "regionId");
  out.industry = Field(r, "industry");
  out.scene = Field(r, "scene");
  out.charge_type = Field(r, "chargeType");
  out.commodity_code = Field(r, "commodityCode");
  out.data_set_version = Field(r, "dataSetVersion");
  out.gmt_create = Field(r, "gmtCreate");
  out.gmt_modified = Field(r, "gmtModified");
  out.expired_time = Field(r, "expiredTime");
  out.request_id = Field(body, "requestId");
  return out;
}

absl::StatusOr<nlohmann::json> AirecClient::Call(
    absl::string_view action, absl::string_view instance_id,
    absl::string_view method, absl::string_view suffix,
    absl::string_view content_type, const std::string& body,
    std::string* request_id) const {
  if (absl::Status s = CheckInstanceId(instance_id); !s.ok()) return s;
  const std::string path =
      absl::StrCat("/v2/openapi/instances/", instance_id, suffix);
  // Binding the same files again is harmless, so every call may be retried.
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      http_,
      [&] { return BuildRequest(action, method, path, content_type, body); },
      options_.retry, /*idempotent=*/true);
  if (!response.ok()) {
    return WithCallContext(response.status(),
                           absl::StrCat(action, " ", instance_id));
  }
  const nlohmann::json parsed = nlohmann::json::parse(
      response->body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InternalError(
        absl::StrCat(action, ": response is not a JSON object"));
  }
  *request_id = Field(parsed, "requestId");
  auto result = parsed.find("result");
  if (result == parsed.end() || !result->is_object()) {
    return absl::InternalError(
        absl::StrCat(action, ": response has no result object (RequestId ",
                     *request_id, ")"));
  }
  return *result;
}

absl::StatusOr<std::string> AirecClient::BindCertificate(
    absl::string_view instance_id, const std::string& mapping_xlsx,
    const std::string& chain_pem, const SecretString& key_pem) const {
  // A boundary that cannot occur in PEM text or (with overwhelming
  // likelihood) in the zip bytes.
  const std::string boundary = absl::StrCat("certferry-", Nonce());
  std::string body;
  AppendPart(body, boundary, "mapping_file", "certificate_info.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml."
             "sheet",
             mapping_xlsx);
  AppendPart(body, boundary, "cert", "cert.pem", "application/x-pem-file",
             chain_pem);
  AppendPart(body, boundary, "key", "key.pem", "application/x-pem-file",
             key_pem.Reveal());
  absl::StrAppend(&body, "--", boundary, "--\r\n");
  std::string request_id;
  absl::StatusOr<nlohmann::json> result =
      Call("BindCertificate", instance_id, "POST", "/certificates/bind",
           absl::StrCat("multipart/form-data; boundary=", boundary), body,
           &request_id);
  if (!result.ok()) return result.status();
  return Field(*result, "status");
}

absl::StatusOr<AirecCertificateStatus> AirecClient::GetCertificateStatus(
    absl::string_view instance_id) const {
  AirecCertificateStatus out;
  absl::StatusOr<nlohmann::json> result =
      Call("DescribeCertificateStatus", instance_id, "GET",
           "/certificates/status", "", "", &out.request_id);
  if (!result.ok()) return result.status();
  const nlohmann::json& r = *result;
  out.status = Field(r, "status");
  if (auto d = r.find("domains"); d != r.end() && d->is_array()) {
    for (const nlohmann::json& domain : *d) {
      if (domain.is_string()) out.domains.push_back(domain.get<std::string>());
    }
  }
  out.certificate_sha256 = absl::AsciiStrToLower(Field(r, "certificateSha256"));
  out.failure_reason = Field(r, "failureReason");
  auto enforced = r.find("httpsEnforced");
  out.https_enforced =
      enforced != r.end() && enforced->is_boolean() && enforced->get<bool>();
  out.validation_method = Field(r, "validationMethod");
  return out;
}

absl::Status AirecClient::EnforceHttps(absl::string_view instance_id) const {
  std::string request_id;
  return Call("EnforceHttps", instance_id, "POST",
              "/certificates/enforce-https", "", "", &request_id)
      .status();
}

}  // namespace certferry::cloud
