#include "cloud/rpc_client.h"

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/api_error.h"
#include "cloud/percent_encoding.h"
#include "cloud/signature_v3.h"

namespace certferry::cloud {
namespace {

std::string RandomNonce() {
  thread_local absl::BitGen random;
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(absl::Uniform<uint8_t>(random));
  return absl::BytesToHexString(bytes);
}

std::string QueryString(const RpcParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, PercentEncode(name), "=", PercentEncode(value));
  }
  return out;
}

std::string HostOf(absl::string_view endpoint) {
  const size_t scheme = endpoint.find("://");
  if (scheme != absl::string_view::npos) endpoint.remove_prefix(scheme + 3);
  return std::string(endpoint.substr(0, endpoint.find('/')));
}

}  // namespace

std::string AlibabaTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

RpcClient::RpcClient(RpcClientOptions options, Credentials credentials,
                     HttpClient& http, const Clock& clock)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      http_(http),
      clock_(clock),
      host_(HostOf(options_.endpoint)) {
  while (absl::EndsWith(options_.endpoint, "/")) options_.endpoint.pop_back();
}

HttpRequest RpcClient::BuildRequest(absl::string_view action,
                                    const RpcParams& params) const {
  HttpRequest request;
  request.method = "POST";
  const std::string timestamp = AlibabaTimestamp(clock_.Now());
  const std::string nonce = RandomNonce();
  const std::string& secret = credentials_.access_key_secret.Reveal();

  if (options_.signature_version == SignatureVersion::kV1) {
    RpcParams all = params;
    all["Action"] = std::string(action);
    all["Version"] = options_.version;
    all["Format"] = "JSON";
    all["AccessKeyId"] = credentials_.access_key_id;
    all["SignatureMethod"] = "HMAC-SHA1";
    all["SignatureVersion"] = "1.0";
    all["SignatureNonce"] = nonce;
    all["Timestamp"] = timestamp;
    if (!options_.region_id.empty()) all["RegionId"] = options_.region_id;
    if (credentials_.security_token.has_value()) {
      all["SecurityToken"] = credentials_.security_token->Reveal();
    }
    all["Signature"] = RpcSignatureV1(request.method, all, secret);
    request.url = absl::StrCat(options_.endpoint, "/?", QueryString(all));
    return request;
  }

  V3Request v3;
  v3.method = request.method;
  v3.path = "/";
  v3.query = params;
  if (!options_.region_id.empty()) v3.query["RegionId"] = options_.region_id;
  v3.hashed_payload = HashPayloadV3("");
  v3.headers = {{"host", host_},
                {"x-acs-action", std::string(action)},
                {"x-acs-version", options_.version},
                {"x-acs-date", timestamp},
                {"x-acs-signature-nonce", nonce},
                {"x-acs-content-sha256", v3.hashed_payload}};
  if (credentials_.security_token.has_value()) {
    v3.headers.emplace_back("x-acs-security-token",
                            credentials_.security_token->Reveal());
  }
  const V3Signature signature = SignV3(v3, credentials_.access_key_id, secret);
  request.headers = v3.headers;
  request.headers.emplace_back("Authorization", signature.authorization);
  request.headers.emplace_back("Accept", "application/json");
  request.url =
      absl::StrCat(options_.endpoint, "/", v3.query.empty() ? "" : "?",
                   QueryString(v3.query));
  return request;
}

absl::StatusOr<nlohmann::json> RpcClient::Call(absl::string_view action,
                                               const RpcParams& params,
                                               bool idempotent) const {
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      http_, [&] { return BuildRequest(action, params); }, options_.retry,
      idempotent);
  if (!response.ok()) return WithCallContext(response.status(), action);
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr,
                                              /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return absl::InternalError(absl::StrCat(action, ": HTTP ",
                                            response->status_code,
                                            " response is not a JSON object"));
  }
  return body;
}

}  // namespace certferry::cloud
