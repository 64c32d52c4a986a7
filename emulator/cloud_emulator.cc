#include "emulator/cloud_emulator.h"

#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "emulator/signature.h"
#include "emulator/tls_endpoint.h"
#include "mapping/certificate_info_xlsx.h"
#include "pki/certificate_bundle.h"
#include "pki/certificate_signer.h"
#include "pki/key_generation.h"
#include "pki/names.h"

namespace certferry::emulator {
namespace {

using Json = nlohmann::json;
using ParamMap = std::map<std::string, std::string>;

constexpr absl::Duration kTimestampWindow = absl::Minutes(15);
constexpr char kCasVersion[] = "2020-04-07";
constexpr char kHostId[] = "cas.aliyuncs.com";

// An API answer: a JSON body with an HTTP status; errors carry Code.
struct Reply {
  int http = 200;
  std::string code;  // empty on success
  std::string message;
  Json body = Json::object();
  absl::Duration retry_after = absl::ZeroDuration();
};

Reply Error(int http, std::string code, std::string message) {
  Reply reply;
  reply.http = http;
  reply.code = std::move(code);
  reply.message = std::move(message);
  return reply;
}

Reply Missing(absl::string_view name) {
  return Error(400, "MissingParameter",
               absl::StrCat("The input parameter \"", name,
                            "\" that is mandatory for processing this "
                            "request is not supplied."));
}

Reply Invalid(absl::string_view message) {
  return Error(400, "InvalidParameter", std::string(message));
}

int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }

std::string Date(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
}

// "O=Example,CN=x" -> the value of `key`, or "".
std::string RdnValue(const std::string& dn, absl::string_view key) {
  for (absl::string_view part : absl::StrSplit(dn, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, absl::StrCat(key, "="))) {
      return std::string(part);
    }
  }
  return "";
}

std::string Sha1FingerprintHex(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha1(), md, &size);
  X509_free(cert);
  std::string out;
  for (unsigned int i = 0; i < size; ++i)
    absl::StrAppend(&out, absl::Hex(md[i], absl::kZeroPad2));
  return absl::AsciiStrToUpper(out);
}

// An xlsx workbook is a zip archive; entry names are stored uncompressed,
// so the sheet part can be found without inflating anything.
bool LooksLikeXlsx(const std::string& bytes) {
  return absl::StartsWith(bytes, "PK\x03\x04") &&
         absl::StrContains(bytes, "xl/worksheets/sheet1.xml");
}

// Minimal multipart/form-data parsing: part name -> content.
absl::StatusOr<std::map<std::string, std::string>> ParseMultipart(
    const std::string& content_type, const std::string& body) {
  size_t at = content_type.find("boundary=");
  if (!absl::StartsWith(content_type, "multipart/form-data") ||
      at == std::string::npos) {
    return absl::InvalidArgumentError(
        "Content-Type: expected multipart/form-data with a boundary");
  }
  std::string boundary = content_type.substr(at + 9);
  boundary = std::string(absl::StripSuffix(
      absl::StripPrefix(absl::StripAsciiWhitespace(boundary), "\""), "\""));
  const std::string delimiter = "--" + boundary;
  std::map<std::string, std::string> parts;
  size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) break;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string::npos) break;
    const std::string headers = body.substr(pos, headers_end - pos);
    size_t next = body.find("\r\n" + delimiter, headers_end + 4);
    if (next == std::string::npos) break;
    size_t name_at = headers.find("name=\"");
    if (name_at != std::string::npos) {
      size_t name_end = headers.find('"', name_at + 6);
      parts[headers.substr(name_at + 6, name_end - name_at - 6)] =
          body.substr(headers_end + 4, next - headers_end - 4);
    }
    pos = next + 2;
  }
  return parts;
}

std::optional<std::vector<int64_t>> ParseIdList(absl::string_view text) {
  std::vector<int64_t> ids;
  text = absl::StripPrefix(absl::StripSuffix(text, "]"), "[");
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &id)) {
      return std::nullopt;
    }
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

struct StoredCert {
  int64_t id = 0;
  std::string name;
  std::string resource_id;  // "cas-upload-xxxxxx"
  pki::CertificateBundle bundle;
  std::string product_type;  // Standard, Wildcard, Enterprise
  double price = 0;
  absl::Time created;
  // Set when a CreateCertificateRequest order issued it; 0 for an upload.
  int64_t order_id = 0;
  std::string product_code;  // the order's; empty for an upload
};

// A CreateCertificateRequest order: "domain_verify" -> "process" ->
// "certificate", or "verify_fail" for faults.failing_validation_domains,
// one worker_step each.
struct Order {
  int64_t id = 0;
  std::string domain;  // lowercase, possibly "*.example.com"
  std::string validate_type, product_code;
  std::string token;  // the DNS RecordValue / FILE Content, fixed per order
  std::string type = "domain_verify";
  absl::Time due = absl::InfiniteFuture();
  int64_t cert_id = 0;  // once "certificate"
};

struct ResourceState {
  ResourceConfig config;
  int64_t cert_id = 0;  // 0: placeholder
  std::unique_ptr<TlsEndpoint> endpoint;
};

struct Worker {
  int64_t id = 0;
  int64_t resource_id = 0;
  int64_t cert_id = 0;
  int64_t resource_cert_id = 0;  // what the resource had before
  std::string status = "editing";
  absl::Time due = absl::InfiniteFuture();
  absl::Time created, modified;
};

struct Job {
  int64_t id = 0;
  std::string name, job_type, status = "editing";
  std::vector<int64_t> cert_ids, resource_ids, contact_ids;
  std::vector<Worker> workers;
  bool rollback = false;
  absl::Time created, modified, start = absl::InfinitePast(),
                                end = absl::InfinitePast();
};

struct AirecState {
  AirecInstanceConfig config;
  std::unique_ptr<TlsEndpoint> endpoint;
  std::string binding_status = "NONE";  // VALIDATING, SUCCESS, FAILED
  std::string failure_reason;
  std::vector<std::string> mapping_domains;
  std::optional<pki::CertificateBundle> pending;
  std::string bound_sha256;
  bool https_enforced = false;
  absl::Time due = absl::InfiniteFuture();
};

struct CloudEmulator::State {
  mutable std::mutex mu;
  std::mt19937_64 rng;
  std::map<int64_t, StoredCert> certs;
  std::map<int64_t, ResourceState> resources;
  std::map<int64_t, Job> jobs;
  std::map<int64_t, Order> orders;
  std::map<std::string, AirecState> airec;
  std::map<std::string, absl::Time> nonces;
  std::deque<std::pair<absl::Time, std::string>> nonce_order;
  int64_t next_cert_id = 14000001;
  int64_t next_job_id = 7001;
  int64_t next_worker_id = 900001;
  int64_t next_order_id = 52000001;
  int credits_used = 0;
  // The CA that signs ordered certificates, made by Start.
  std::unique_ptr<pki::CertificateSigner> ca;
  std::string ca_pem;

  std::string RequestId() {
    std::uniform_int_distribution<uint32_t> d;
    return absl::StrFormat("%08X-%04X-%04X-%04X-%04X%08X", d(rng),
                           d(rng) & 0xffff, d(rng) & 0xffff, d(rng) & 0xffff,
                           d(rng) & 0xffff, d(rng));
  }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng); }
};

namespace {

// Finds a certificate of `cert_ids` whose SANs cover `domain`, or 0.
int64_t MatchingCert(const std::map<int64_t, StoredCert>& certs,
                     const std::vector<int64_t>& cert_ids,
                     const std::string& domain) {
  for (int64_t id : cert_ids) {
    auto it = certs.find(id);
    if (it == certs.end()) continue;
    for (const std::string& san : it->second.bundle.chain[0].dns_names) {
      if (pki::CertificateNameCovers(san, domain)) return id;
    }
  }
  return 0;
}

Json ResourceJson(const ResourceState& r,
                  const std::map<int64_t, StoredCert>& certs) {
  Json item = {{"Id", r.config.id},
               {"CloudName", "aliyun"},
               {"CloudProduct", r.config.product},
               {"CloudRegion", r.config.region},
               {"RegionId", r.config.region},
               {"Domain", r.config.domain},
               {"InstanceId", r.config.instance_id},
               {"ListenerId", absl::StrCat("lsn-", r.config.id, "@443")},
               // The emulator's real TLS port, so callers can verify.
               {"ListenerPort", std::to_string(r.endpoint->port())},
               {"DefaultResource", 1},
               {"EnableHttps", 1},
               {"UseSsl", 1},
               {"Status", "BUY"},
               {"CertId", r.cert_id}};
  if (auto it = certs.find(r.cert_id); it != certs.end()) {
    item["CertName"] = it->second.name;
    item["CertStartTime"] =
        std::to_string(Millis(it->second.bundle.chain[0].not_before));
    item["CertEndTime"] =
        std::to_string(Millis(it->second.bundle.chain[0].not_after));
  }
  return item;
}

// A fresh CA per run, like every other key here, so nothing expires in the
// repository and each run's issued chains are its own.
absl::Status MakeIssuingCa(CloudEmulator::State& s) {
  CF_ASSIGN_OR_RETURN(SecretString key,
                      pki::GeneratePrivateKey(pki::KeyType::kEcdsaP256));
  pki::CaCertificateSpec spec;
  spec.common_name = "certferry emulator DV CA";
  spec.organization = "certferry emulator";
  const absl::Time now = absl::Now();
  spec.not_before = now - absl::Hours(24);
  spec.not_after = now + absl::Hours(24 * 365);
  CF_ASSIGN_OR_RETURN(s.ca_pem, pki::CreateRootCaCertificate(key, spec));
  CF_ASSIGN_OR_RETURN(s.ca, pki::CertificateSigner::Load(s.ca_pem, key));
  return absl::OkStatus();
}

}  // namespace

CloudEmulator::CloudEmulator(EmulatorConfig config)
    : config_(std::move(config)), state_(std::make_unique<State>()) {
  state_->rng.seed(config_.faults.seed);
  // Like the platform: a row whose domain is not an exact FQDN (wildcard,
  // scheme, slash, trailing dot, upper case, ...) is dropped without a word,
  // the upload still "succeeds"; the other rows' domains are bound.
  mapping_reader_ = [](const std::string& xlsx_bytes)
      -> absl::StatusOr<std::vector<std::string>> {
    absl::StatusOr<mapping::CertificateInfoSheet> sheet =
        mapping::ReadCertificateInfoXlsx(xlsx_bytes);
    if (!sheet.ok()) return sheet.status();
    mapping::MappingValidationOptions options;
    options.header = sheet->header;
    std::set<int> dropped;
    for (const mapping::MappingIssue& issue :
         mapping::ValidateMappingRows(sheet->rows, options)) {
      if (absl::EqualsIgnoreCase(issue.column, "domain")) {
        dropped.insert(issue.row);
      }
    }
    std::vector<std::string> domains;
    for (const mapping::MappingRow& row : sheet->rows) {
      if (!dropped.count(row.row)) domains.push_back(row.domain);
    }
    return domains;
  };
}

CloudEmulator::~CloudEmulator() { Stop(); }

void CloudEmulator::SetMappingDomainsReader(MappingDomainsReader reader) {
  mapping_reader_ = std::move(reader);
}

absl::Status CloudEmulator::Start(const std::string& host, int port) {
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: '", host,
                     "' is not loopback; the emulator "
                     "only listens on 127.0.0.1"));
  }
  if (absl::Status ca = MakeIssuingCa(*state_); !ca.ok()) {
    return absl::InternalError(absl::StrCat("emulator CA: ", ca.message()));
  }
  for (const ResourceConfig& rc : config_.resources) {
    ResourceState& r = state_->resources[rc.id];
    r.config = rc;
    r.endpoint = std::make_unique<TlsEndpoint>(rc.domain);
    if (absl::StatusOr<int> p = r.endpoint->Start(); !p.ok()) {
      return p.status();
    }
  }
  for (const AirecInstanceConfig& ac : config_.airec_instances) {
    AirecState& a = state_->airec[ac.id];
    a.config = ac;
    a.endpoint = std::make_unique<TlsEndpoint>(ac.domain);
    if (absl::StatusOr<int> p = a.endpoint->Start(); !p.ok()) {
      return p.status();
    }
  }

  server_ = std::make_unique<httplib::Server>();
  server_->set_payload_max_length(16 << 20);
  // An idle keep-alive connection holds a server thread this long, and
  // Stop waits for it: keep shutdown quick (clients reconnect anyway).
  server_->set_keep_alive_timeout(1);
  auto rpc = [this](const httplib::Request& req, httplib::Response& res) {
    HandleRpc(req, res);
  };
  server_->Get("/", rpc);
  server_->Post("/", rpc);
  const std::string instance = R"(/v2/openapi/instances/([^/]+))";
  auto airec_get = [this](const std::string& op) {
    return [this, op](const httplib::Request& req, httplib::Response& res) {
      HandleAirec(req, res, req.body, req.matches[1], op);
    };
  };
  auto airec_post = [this](const std::string& op) {
    return [this, op](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) {
      // The V3 payload hash covers the multipart body as sent, so it is read
      // raw. httplib 0.11 insists on its multipart parser (and throws
      // bad_function_call without one) while Content-Type says multipart;
      // the Request is a mutable local inside httplib, so the header is
      // hidden for the read and restored after.
      auto& mutable_req = const_cast<httplib::Request&>(req);
      const std::string content_type = req.get_header_value("Content-Type");
      mutable_req.headers.erase("Content-Type");
      std::string body;
      reader([&](const char* data, size_t size) {
        body.append(data, size);
        return true;
      });
      if (!content_type.empty()) {
        mutable_req.headers.emplace("Content-Type", content_type);
      }
      HandleAirec(req, res, body, req.matches[1], op);
    };
  };
  server_->Get(instance, airec_get("DescribeInstance"));
  // The seeds' binding contract (AIRec itself publishes no certificate API,
  // ALIBABA_API.md §4.1).
  server_->Post(instance + "/certificates/bind", airec_post("BindCertificate"));
  server_->Get(instance + "/certificates/status",
               airec_get("DescribeCertificateStatus"));
  server_->Post(instance + "/certificates/enforce-https",
                airec_post("EnforceHttps"));

  if (port == 0) {
    api_port_ = server_->bind_to_any_port(host);
    if (api_port_ <= 0) {
      return absl::UnavailableError("--listen: cannot bind a free port");
    }
  } else if (!server_->bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot bind ", host, ":", port));
  } else {
    api_port_ = port;
  }
  server_thread_ = std::thread([this] { server_->listen_after_bind(); });
  progress_thread_ = std::thread([this] { ProgressLoop(); });
  // httplib 0.11 has no wait_until_ready; Stop() must not race ahead of
  // listen_after_bind, or that would then run forever.
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::OkStatus();
}

void CloudEmulator::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (server_) server_->stop();
  if (server_thread_.joinable()) server_thread_.join();
  if (progress_thread_.joinable()) progress_thread_.join();
  for (auto& [id, r] : state_->resources) {
    if (r.endpoint) r.endpoint->Stop();
  }
  for (auto& [id, a] : state_->airec) {
    if (a.endpoint) a.endpoint->Stop();
  }
}

std::vector<TlsEndpointInfo> CloudEmulator::Endpoints() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<TlsEndpointInfo> out;
  for (const auto& [id, r] : state_->resources) {
    out.push_back({"resource", std::to_string(id), r.config.product,
                   r.config.domain, r.endpoint->port()});
  }
  for (const auto& [id, a] : state_->airec) {
    out.push_back({"airec", id, "AIRec", a.config.domain, a.endpoint->port()});
  }
  return out;
}

int CloudEmulator::ResourceTlsPort(int64_t resource_id) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->resources.find(resource_id);
  return it == state_->resources.end() ? 0 : it->second.endpoint->port();
}

int CloudEmulator::AirecTlsPort(const std::string& instance_id) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->airec.find(instance_id);
  return it == state_->airec.end() ? 0 : it->second.endpoint->port();
}

namespace {

void Send(httplib::Response& res, Reply reply, const std::string& request_id,
          bool roa) {
  Json body = std::move(reply.body);
  if (!reply.code.empty()) {
    if (roa) {
      // AIRec answers with lower-case keys and no HostId (§3.1).
      body = {{"requestId", request_id},
              {"code", reply.code},
              {"message", reply.message}};
    } else {
      body = {
          {"RequestId", request_id},
          {"HostId", kHostId},
          {"Code", reply.code},
          {"Message", reply.message},
          {"Recommend",
           absl::StrCat("https://api.aliyun.com/troubleshoot?q=", reply.code,
                        "&product=cas&requestId=", request_id)}};
    }
  } else if (roa) {
    body["requestId"] = request_id;
  } else {
    body["RequestId"] = request_id;
  }
  res.status = reply.http;
  if (reply.retry_after > absl::ZeroDuration()) {
    res.set_header(
        "x-acs-retry-after",
        std::to_string(absl::ToInt64Milliseconds(reply.retry_after)));
  }
  res.set_header("x-acs-request-id", request_id);
  res.set_content(body.dump(), "application/json;charset=utf-8");
}

// Decides the injected fault for one request. `delay` is set when the
// answer should be slow; the caller sleeps outside the lock.
std::optional<Reply> InjectFault(CloudEmulator::State& s,
                                 const FaultConfig& faults, bool* delay) {
  const double roll = s.Uniform();
  *delay = faults.delay_share > 0 && s.Uniform() < faults.delay_share;
  if (roll < faults.throttle_share) {
    Reply r = Error(400, faults.throttle_code,
                    faults.throttle_code == "Throttling.User"
                        ? "Request was denied due to user flow control."
                        : "Request was denied due to request throttling.");
    r.retry_after = faults.throttle_retry_after;
    return r;
  }
  if (roll < faults.throttle_share + faults.server_error_share) {
    return Error(503, "ServiceUnavailable",
                 "The request has failed due to a temporary failure of the "
                 "server.");
  }
  return std::nullopt;
}

std::optional<Reply> CheckTimestamp(absl::string_view text, absl::Time now) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", text, absl::UTCTimeZone(), &t,
                       &error)) {
    return Error(400, "InvalidTimeStamp.Format",
                 "Specified time stamp or date value is not well formatted.");
  }
  if (absl::AbsDuration(now - t) > kTimestampWindow) {
    return Error(400, "InvalidTimeStamp.Expired",
                 absl::StrCat("Specified time stamp or date value is expired. "
                              "Server time: ",
                              absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now,
                                               absl::UTCTimeZone())));
  }
  return std::nullopt;
}

// Remembers nonces for the timestamp window; a nonce seen within it again
// is a replay.
std::optional<Reply> UseNonce(CloudEmulator::State& s, const std::string& nonce,
                              absl::Time now) {
  while (!s.nonce_order.empty() &&
         now - s.nonce_order.front().first > kTimestampWindow) {
    s.nonces.erase(s.nonce_order.front().second);
    s.nonce_order.pop_front();
  }
  if (!s.nonces.emplace(nonce, now).second) {
    return Error(400, "SignatureNonceUsed",
                 "Specified signature nonce was used already.");
  }
  s.nonce_order.emplace_back(now, nonce);
  return std::nullopt;
}

struct Authenticated {
  std::string action;
  std::string version;
  ParamMap params;  // business parameters (query and form body)
};

// Verifies V1 (Signature in the parameters) or V3 (Authorization header).
std::variant<Authenticated, Reply> Authenticate(CloudEmulator::State& s,
                                                const EmulatorConfig& config,
                                                const httplib::Request& req,
                                                const std::string& body,
                                                bool roa) {
  const absl::Time now = absl::Now();
  absl::string_view target = req.target;
  size_t q = target.find('?');
  Params query = q == absl::string_view::npos
                     ? Params{}
                     : ParseUrlEncoded(target.substr(q + 1));
  Params form;
  if (absl::StartsWith(req.get_header_value("Content-Type"),
                       "application/x-www-form-urlencoded")) {
    form = ParseUrlEncoded(body);
  }
  Params all = query;
  all.insert(all.end(), form.begin(), form.end());
  Authenticated out;
  for (const auto& [k, v] : all) out.params[k] = v;

  const std::string authorization = req.get_header_value("Authorization");
  if (authorization.empty()) {
    if (roa) {
      return Error(400, "IncompleteSignature",
                   "Authorization: an ACS3-HMAC-SHA256 signature is required");
    }
    for (const char* name :
         {"Action", "Version", "AccessKeyId", "SignatureMethod",
          "SignatureVersion", "SignatureNonce", "Timestamp", "Signature"}) {
      if (!out.params.count(name)) return Missing(name);
    }
    if (out.params["SignatureMethod"] != "HMAC-SHA1" ||
        out.params["SignatureVersion"] != "1.0") {
      return Error(400, "IncompleteSignature",
                   "SignatureMethod must be HMAC-SHA1 and SignatureVersion "
                   "1.0");
    }
    auto key = config.access_keys.find(out.params["AccessKeyId"]);
    if (key == config.access_keys.end()) {
      return Error(404, "InvalidAccessKeyId.NotFound",
                   "Specified access key is not found.");
    }
    if (auto e = CheckTimestamp(out.params["Timestamp"], now)) return *e;
    absl::Status verified = VerifyV1(req.method, all, key->second.Reveal());
    if (!verified.ok()) {
      return Error(400, "SignatureDoesNotMatch",
                   std::string(verified.message()));
    }
    if (auto e = UseNonce(s, out.params["SignatureNonce"], now)) return *e;
    out.action = out.params["Action"];
    out.version = out.params["Version"];
    for (const char* common :
         {"Action", "Version", "AccessKeyId", "SignatureMethod",
          "SignatureVersion", "SignatureNonce", "Timestamp", "Signature",
          "Format", "SignatureType", "RegionId"}) {
      out.params.erase(common);
    }
    return out;
  }

  V3Authorization auth;
  if (absl::Status s3 = ParseV3Authorization(authorization, &auth); !s3.ok()) {
    return Error(400, "IncompleteSignature", std::string(s3.message()));
  }
  for (const char* name : {"x-acs-action", "x-acs-version", "x-acs-date",
                           "x-acs-signature-nonce", "x-acs-content-sha256"}) {
    if (!req.has_header(name)) return Missing(name);
  }
  if (!absl::StrContains(absl::StrCat(";", auth.signed_headers, ";"),
                         ";host;")) {
    return Error(400, "IncompleteSignature",
                 "SignedHeaders: host must be signed");
  }
  auto key = config.access_keys.find(auth.access_key_id);
  if (key == config.access_keys.end()) {
    return Error(404, "InvalidAccessKeyId.NotFound",
                 "Specified access key is not found.");
  }
  if (auto e = CheckTimestamp(req.get_header_value("x-acs-date"), now)) {
    return *e;
  }
  V3Request v3;
  v3.method = req.method;
  v3.canonical_uri = CanonicalUri(req.path);
  v3.query = query;
  for (const auto& [name, value] : req.headers) {
    v3.headers.emplace_back(name, value);
  }
  v3.hashed_payload = Sha256Hex(body);
  if (req.get_header_value("x-acs-content-sha256") != v3.hashed_payload) {
    return Error(400, "SignatureDoesNotMatch",
                 "x-acs-content-sha256 does not match the request body.");
  }
  absl::Status verified = VerifyV3(v3, auth, key->second.Reveal());
  if (absl::IsInvalidArgument(verified)) {
    return Error(400, "IncompleteSignature", std::string(verified.message()));
  }
  if (!verified.ok()) {
    return Error(400, "SignatureDoesNotMatch", std::string(verified.message()));
  }
  if (auto e =
          UseNonce(s, req.get_header_value("x-acs-signature-nonce"), now)) {
    return *e;
  }
  out.action = req.get_header_value("x-acs-action");
  out.version = req.get_header_value("x-acs-version");
  return out;
}

}  // namespace

namespace {

using State = CloudEmulator::State;

const std::string* Get(const ParamMap& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() || it->second.empty() ? nullptr : &it->second;
}

// Stored certificates plus orders still on their way to one: an order takes
// its quota slot when placed, so issuing it never exceeds the quota.
int CertificatesHeld(const State& s) {
  int held = static_cast<int>(s.certs.size());
  for (const auto& [id, order] : s.orders) {
    if (order.type == "domain_verify" || order.type == "process") ++held;
  }
  return held;
}

Reply CertificateQuotaExceeded(const EmulatorConfig& c) {
  return Error(400, "QuotaExceeded.Certificate",
               absl::StrCat("The number of certificates has reached the "
                            "quota of ",
                            c.quotas.certificate_limit, " (", c.quotas.tier,
                            " tier); delete unused certificates or upgrade "
                            "your plan."));
}

// Stores `bundle` under a new CertId, with an instance id of
// `instance_prefix` and six random characters, priced by its SANs.
StoredCert& StoreCertificate(State& s, const EmulatorConfig& c,
                             std::string name,
                             absl::string_view instance_prefix,
                             pki::CertificateBundle bundle) {
  StoredCert cert;
  cert.id = s.next_cert_id++;
  cert.name = std::move(name);
  std::uniform_int_distribution<int> letter(0, 35);
  cert.resource_id = std::string(instance_prefix);
  for (int i = 0; i < 6; ++i) {
    cert.resource_id.push_back(
        "abcdefghijklmnopqrstuvwxyz0123456789"[letter(s.rng)]);
  }
  cert.bundle = std::move(bundle);
  const auto& sans = cert.bundle.chain[0].dns_names;
  const bool wildcard = std::any_of(sans.begin(), sans.end(), [](auto& n) {
    return absl::StartsWith(n, "*.");
  });
  // Enterprise is only priced here; nothing derives it from an upload yet.
  cert.product_type = wildcard ? "Wildcard" : "Standard";
  cert.price = wildcard ? c.prices.wildcard : c.prices.standard;
  cert.created = absl::Now();
  const int64_t id = cert.id;
  return s.certs.emplace(id, std::move(cert)).first->second;
}

Reply UploadUserCertificate(State& s, const EmulatorConfig& c,
                            const ParamMap& p) {
  for (const char* name : {"Name", "Cert", "Key"}) {
    if (!Get(p, name)) return Missing(name);
  }
  const std::string& name = p.at("Name");
  if (name.size() > 64) return Invalid("Name: longer than 64 characters");
  for (const auto& [id, cert] : s.certs) {
    if (cert.name == name) {
      return Error(400, "NameRepeat",
                   absl::StrCat("Name: a certificate named '", name,
                                "' already exists; choose another name"));
    }
  }
  if (CertificatesHeld(s) >= c.quotas.certificate_limit) {
    return CertificateQuotaExceeded(c);
  }
  pki::BundleValidationOptions options;
  options.now = absl::Now();
  options.accept_expired = true;  // CAS stores expired uploads, flagged
  options.fields = {"Cert", "Key"};
  absl::StatusOr<pki::CertificateBundle> bundle = pki::ParseCertificateBundle(
      p.at("Cert"), SecretString(p.at("Key")), options);
  if (!bundle.ok()) return Invalid(bundle.status().message());
  const StoredCert& cert =
      StoreCertificate(s, c, name, "cas-upload-", *std::move(bundle));
  Reply reply;
  reply.body = {{"CertId", cert.id}, {"ResourceId", cert.resource_id}};
  return reply;
}

absl::StatusOr<int64_t> IdParam(const ParamMap& p, const std::string& name) {
  const std::string* v = Get(p, name);
  int64_t id = 0;
  if (v == nullptr) return absl::NotFoundError(name);
  if (!absl::SimpleAtoi(*v, &id)) {
    return absl::InvalidArgumentError(name);
  }
  return id;
}

// MissingParameter / InvalidParameter for a bad integer parameter.
Reply BadId(const absl::Status& status) {
  const std::string name(status.message());
  return absl::IsNotFound(status)
             ? Missing(name)
             : Invalid(absl::StrCat(name, ": must be an integer"));
}

std::string IssuerName(const pki::CertificateInfo& leaf) {
  const std::string org = RdnValue(leaf.issuer, "O");
  return org.empty() ? RdnValue(leaf.issuer, "CN") : org;
}

std::string AlgorithmName(const pki::CertificateInfo& leaf) {
  return leaf.key_type == "ECDSA" ? "ECC" : leaf.key_type;
}

Reply GetUserCertificateDetail(State& s, const EmulatorConfig& c,
                               const ParamMap& p) {
  absl::StatusOr<int64_t> id = IdParam(p, "CertId");
  if (!id.ok()) return BadId(id.status());
  auto it = s.certs.find(*id);
  if (it == s.certs.end()) {
    return Error(404, "InvalidCertId.NotFound",
                 absl::StrCat("CertId: certificate ", *id, " does not exist"));
  }
  const StoredCert& cert = it->second;
  const pki::CertificateInfo& leaf = cert.bundle.chain[0];
  const absl::Time now = absl::Now();
  Json chain = Json::array();
  for (const pki::CertificateInfo& info : cert.bundle.chain) {
    chain.push_back(
        {{"CommonName", RdnValue(info.subject, "CN")},
         {"IssuerCommonName", RdnValue(info.issuer, "CN")},
         {"NotBefore", Millis(info.not_before)},
         {"NotAfter", Millis(info.not_after)},
         {"RemainDay", absl::ToInt64Hours(info.not_after - now) / 24}});
  }
  const bool wildcard = cert.product_type == "Wildcard";
  Reply reply;
  reply.body = {
      {"Id", cert.id},
      {"Name", cert.name},
      {"Common", RdnValue(leaf.subject, "CN")},
      {"Sans", absl::StrJoin(leaf.dns_names, ",")},
      {"Issuer", IssuerName(leaf)},
      {"Algorithm", AlgorithmName(leaf)},
      {"Fingerprint", Sha1FingerprintHex(leaf.pem)},
      {"Sha2", leaf.sha256_fingerprint},
      {"CertSha2", leaf.sha256_fingerprint},
      {"SerialNo", absl::AsciiStrToLower(leaf.serial_hex)},
      {"StartDate", Date(leaf.not_before)},
      {"EndDate", Date(leaf.not_after)},
      {"NotBefore", Millis(leaf.not_before)},
      {"NotAfter", Millis(leaf.not_after)},
      {"Expired", leaf.not_after < now},
      {"BuyInAliyun", cert.order_id != 0},
      {"OrderId", cert.order_id},
      {"InstanceId", cert.resource_id},
      {"CertIdentifier", absl::StrCat(cert.id, "-cn-hangzhou")},
      {"OrgName", RdnValue(leaf.subject, "O")},
      {"Country", RdnValue(leaf.subject, "C")},
      {"Province", RdnValue(leaf.subject, "ST")},
      {"City", RdnValue(leaf.subject, "L")},
      {"ResourceGroupId", ""},
      {"CertChain", chain},
      {"Tags", Json::array()},
      // DomainType as in ListUserCertificateOrder; the two Emulator* fields
      // are not Alibaba's: they expose the emulator's price book.
      {"DomainType", wildcard
                         ? "WILDCARD"
                         : (leaf.dns_names.size() > 1 ? "MULTIPLE" : "ONE")},
      {"EmulatorProductType", cert.product_type},
      {"EmulatorPrice", cert.price}};
  const std::string* filter = Get(p, "CertFilter");
  if (filter == nullptr || *filter != "true") {
    reply.body["Cert"] = cert.bundle.chain_pem;
    reply.body["Key"] = cert.bundle.private_key_pem.Reveal();
  }
  (void)c;
  return reply;
}

int PageParam(const ParamMap& p, const std::string& name, int fallback) {
  int value = 0;
  const std::string* v = Get(p, name);
  return v != nullptr && absl::SimpleAtoi(*v, &value) && value > 0 ? value
                                                                   : fallback;
}

// An uploaded certificate's order status, as ListUserCertificateOrder
// reports it: WILLEXPIRED within 30 days of its end.
std::string UploadStatus(const pki::CertificateInfo& leaf, absl::Time now) {
  if (leaf.not_after < now) return "EXPIRED";
  return leaf.not_after - now < absl::Hours(24 * 30) ? "WILLEXPIRED" : "ISSUED";
}

// CERT lists every certificate, UPLOAD only uploaded ones; CPACK and BUY
// (resource-plan and bought orders) list nothing here.
Reply ListUserCertificateOrder(State& s, const EmulatorConfig& c,
                               const ParamMap& p) {
  const std::string* type = Get(p, "OrderType");
  const std::string order_type = type == nullptr ? "CPACK" : *type;
  if (order_type != "CPACK" && order_type != "BUY" && order_type != "UPLOAD" &&
      order_type != "CERT") {
    return Invalid("OrderType: must be CPACK, BUY, UPLOAD or CERT");
  }
  const std::string* status = Get(p, "Status");
  const std::string* keyword = Get(p, "Keyword");
  const absl::Time now = absl::Now();
  const bool certificates = order_type == "UPLOAD" || order_type == "CERT";
  Json all = Json::array();
  for (const auto& [id, cert] : s.certs) {
    if (!certificates) break;
    if (order_type == "UPLOAD" && cert.order_id != 0) continue;
    const pki::CertificateInfo& leaf = cert.bundle.chain[0];
    const std::string common_name = RdnValue(leaf.subject, "CN");
    const std::string sans = absl::StrJoin(leaf.dns_names, ",");
    const std::string cert_status = UploadStatus(leaf, now);
    // No Status: what is in use, i.e. ISSUED and WILLEXPIRED (§1.2).
    if (status != nullptr ? cert_status != *status : cert_status == "EXPIRED") {
      continue;
    }
    if (keyword != nullptr && !absl::StrContains(cert.name, *keyword) &&
        !absl::StrContains(common_name, *keyword) &&
        !absl::StrContains(sans, *keyword)) {
      continue;
    }
    Json item = {{"CertificateId", cert.id},
                 {"InstanceId", cert.resource_id},
                 {"Name", cert.name},
                 {"CommonName", common_name},
                 {"Domain", common_name},
                 {"Sans", sans},
                 {"Sha2", leaf.sha256_fingerprint},
                 {"Fingerprint", Sha1FingerprintHex(leaf.pem)},
                 {"SerialNo", absl::AsciiStrToLower(leaf.serial_hex)},
                 {"Issuer", IssuerName(leaf)},
                 {"Algorithm", AlgorithmName(leaf)},
                 {"Upload", cert.order_id == 0},
                 {"OrderId", cert.order_id},
                 {"Status", cert_status},
                 {"Expired", leaf.not_after < now},
                 {"StartDate", Date(leaf.not_before)},
                 {"EndDate", Date(leaf.not_after)},
                 {"CertStartTime", Millis(leaf.not_before)},
                 {"CertEndTime", Millis(leaf.not_after)}};
    if (cert.order_id != 0) item["ProductCode"] = cert.product_code;
    all.push_back(std::move(item));
  }
  const int page = PageParam(p, "CurrentPage", 1);
  const int size = PageParam(p, "ShowSize", 50);
  Json list = Json::array();
  for (size_t i = static_cast<size_t>(page - 1) * size;
       i < all.size() && list.size() < static_cast<size_t>(size); ++i) {
    list.push_back(all[i]);
  }
  Reply reply;
  reply.body = {{"CertificateOrderList", list},
                {"CurrentPage", page},
                {"ShowSize", size},
                {"TotalCount", all.size()}};
  (void)c;
  return reply;
}

Reply ListCloudResources(State& s, const EmulatorConfig& c, const ParamMap& p) {
  const std::string* product = Get(p, "CloudProduct");
  const std::string* keyword = Get(p, "Keyword");
  const std::string* cloud = Get(p, "CloudName");
  std::optional<std::vector<int64_t>> cert_ids;
  if (const std::string* ids = Get(p, "CertIds")) {
    cert_ids = ParseIdList(*ids);
    if (!cert_ids) return Invalid("CertIds: expected a JSON array of ids");
  }
  Json all = Json::array();
  for (const auto& [id, r] : s.resources) {
    if (cloud != nullptr && *cloud != "aliyun") continue;
    if (product != nullptr && r.config.product != *product) continue;
    if (keyword != nullptr && !absl::StrContains(r.config.domain, *keyword) &&
        !absl::StrContains(r.config.instance_id, *keyword)) {
      continue;
    }
    // CertIds narrows to resources those certificates can be deployed to.
    if (cert_ids && MatchingCert(s.certs, *cert_ids, r.config.domain) == 0) {
      continue;
    }
    all.push_back(ResourceJson(r, s.certs));
  }
  const int page = PageParam(p, "CurrentPage", 1);
  const int size = PageParam(p, "ShowSize", 20);
  Json data = Json::array();
  for (size_t i = static_cast<size_t>(page - 1) * size;
       i < all.size() && data.size() < static_cast<size_t>(size); ++i) {
    data.push_back(all[i]);
  }
  Reply reply;
  reply.body = {{"Data", data},
                {"CurrentPage", page},
                {"ShowSize", size},
                {"Total", all.size()}};
  (void)c;
  return reply;
}

Reply CreateDeploymentJob(State& s, const EmulatorConfig& c,
                          const ParamMap& p) {
  for (const char* name :
       {"Name", "JobType", "CertIds", "ResourceIds", "ContactIds"}) {
    if (!Get(p, name)) return Missing(name);
  }
  const std::string& job_type = p.at("JobType");
  if (job_type != "user" && job_type != "cloud") {
    return Invalid("JobType: must be 'user' or 'cloud'");
  }
  Job job;
  std::optional<std::vector<int64_t>> certs = ParseIdList(p.at("CertIds"));
  std::optional<std::vector<int64_t>> resources =
      ParseIdList(p.at("ResourceIds"));
  std::optional<std::vector<int64_t>> contacts =
      ParseIdList(p.at("ContactIds"));
  if (!certs || certs->empty()) {
    return Invalid("CertIds: expected comma-separated certificate ids");
  }
  if (!resources || resources->empty()) {
    return Invalid("ResourceIds: expected comma-separated resource ids");
  }
  if (!contacts) return Invalid("ContactIds: expected comma-separated ids");
  for (int64_t id : *certs) {
    if (!s.certs.count(id)) {
      return Invalid(
          absl::StrCat("CertIds: certificate ", id, " does not exist"));
    }
  }
  const absl::Time now = absl::Now();
  for (int64_t id : *resources) {
    auto r = s.resources.find(id);
    if (r == s.resources.end()) {
      return Invalid(
          absl::StrCat("ResourceIds: resource ", id, " does not exist"));
    }
    const int64_t cert = MatchingCert(s.certs, *certs, r->second.config.domain);
    if (cert == 0) {
      return Invalid(absl::StrCat(
          "Number of matching certificates is 0: no certificate of CertIds "
          "covers resource ",
          id, " (", r->second.config.domain, ")"));
    }
    Worker worker;
    worker.id = s.next_worker_id++;
    worker.resource_id = id;
    worker.cert_id = cert;
    worker.created = worker.modified = now;
    job.workers.push_back(worker);
  }
  const int remaining = c.quotas.deployment_credits - s.credits_used;
  if (static_cast<int>(resources->size()) > remaining) {
    return Error(400, "QuotaExceeded.DeploymentCredits",
                 absl::StrCat("Deployment needs ", resources->size(),
                              " credits but only ", remaining, " remain."));
  }
  job.id = s.next_job_id++;
  job.name = p.at("Name");
  job.job_type = job_type;
  job.cert_ids = *certs;
  job.resource_ids = *resources;
  job.contact_ids = *contacts;
  job.created = job.modified = now;
  Reply reply;
  reply.body = {{"JobId", job.id}};
  s.jobs.emplace(job.id, std::move(job));
  return reply;
}

// Looks up JobId; sets `error` when it is missing or unknown.
Job* FindJob(State& s, const ParamMap& p, Reply* error) {
  absl::StatusOr<int64_t> id = IdParam(p, "JobId");
  if (!id.ok()) {
    *error = BadId(id.status());
    return nullptr;
  }
  auto it = s.jobs.find(*id);
  if (it == s.jobs.end()) {
    *error =
        Error(404, "InvalidJobId.NotFound",
              absl::StrCat("JobId: deployment job ", *id, " does not exist"));
    return nullptr;
  }
  return &it->second;
}

Reply UpdateDeploymentJobStatus(State& s, const EmulatorConfig& c,
                                const ParamMap& p) {
  Reply error;
  Job* job = FindJob(s, p, &error);
  if (job == nullptr) return error;
  const std::string* status = Get(p, "Status");
  if (status == nullptr) return Missing("Status");
  const absl::Time now = absl::Now();
  if (*status == "pending" || *status == "scheduling") {
    if (job->status != "editing") {
      return Error(400, "InvalidStatus",
                   absl::StrCat("Status: job ", job->id, " is ", job->status,
                                "; only an editing job can be started"));
    }
    job->status = "scheduling";
    job->start = now;
    for (Worker& w : job->workers) {
      w.status = "pending";
      w.due = now + c.worker_step;
      w.modified = now;
    }
  } else if (*status == "editing") {
    if (job->status != "editing" && job->status != "scheduling") {
      return Error(400, "InvalidStatus",
                   absl::StrCat("Status: job ", job->id, " is ", job->status,
                                " and can no longer be edited"));
    }
    job->status = "editing";
    for (Worker& w : job->workers) {
      w.status = "editing";
      w.due = absl::InfiniteFuture();
    }
  } else {
    return Invalid("Status: must be pending, scheduling or editing");
  }
  job->modified = now;
  return Reply{};
}

Json JobJson(const State& s, const Job& job) {
  std::vector<std::string> domains;
  std::string product;
  for (int64_t id : job.cert_ids) {
    if (auto it = s.certs.find(id); it != s.certs.end()) {
      for (const auto& n : it->second.bundle.chain[0].dns_names) {
        domains.push_back(n);
      }
    }
  }
  for (int64_t id : job.resource_ids) {
    if (auto it = s.resources.find(id); it != s.resources.end()) {
      product = it->second.config.product;
    }
  }
  auto ms = [](absl::Time t) {
    return t == absl::InfinitePast() ? std::string()
                                     : std::to_string(Millis(t));
  };
  Json contacts = Json::array();
  for (int64_t id : job.contact_ids) {
    contacts.push_back({{"Id", std::to_string(id)},
                        {"Name", absl::StrCat("contact-", id)},
                        {"Email", absl::StrCat("contact-", id, "@example.com")},
                        {"Mobile", ""}});
  }
  return {
      {"Id", job.id},
      {"Name", job.name},
      {"JobType", job.job_type},
      {"Status", job.status},
      {"CertType", "upload"},
      {"CertDomain", absl::StrJoin(domains, ",")},
      {"ProductName", product},
      {"InstanceId", ""},
      {"Config",
       Json{{"shareCertIds", Json::array()}, {"certIds", job.cert_ids}}.dump()},
      {"Del", 0},
      {"Rollback", job.rollback ? 1 : 0},
      {"ScheduleTime", ""},
      {"StartTime", ms(job.start)},
      {"EndTime", ms(job.end)},
      {"GmtCreate", ms(job.created)},
      {"GmtModified", ms(job.modified)},
      {"UserId", 1000000001},
      {"CasContacts", contacts}};
}

Reply DescribeDeploymentJob(State& s, const EmulatorConfig&,
                            const ParamMap& p) {
  Reply error;
  Job* job = FindJob(s, p, &error);
  if (job == nullptr) return error;
  Reply reply;
  reply.body = JobJson(s, *job);
  return reply;
}

Reply DescribeDeploymentJobStatus(State& s, const EmulatorConfig&,
                                  const ParamMap& p) {
  Reply error;
  Job* job = FindJob(s, p, &error);
  if (job == nullptr) return error;
  int success = 0, failed = 0, rollback = 0, rollback_ok = 0, rollback_err = 0;
  std::map<std::string, int> per_product;
  for (const Worker& w : job->workers) {
    if (w.status == "success") ++success;
    if (w.status == "error") ++failed;
    if (absl::StartsWith(w.status, "rollback")) ++rollback;
    if (w.status == "rollback_success") ++rollback_ok;
    if (w.status == "rollback_error") ++rollback_err;
    ++per_product[s.resources.at(w.resource_id).config.product];
  }
  Json products = Json::array();
  for (const auto& [name, count] : per_product) {
    products.push_back({{"ProductName", name}, {"Count", count}});
  }
  Reply reply;
  const int workers = static_cast<int>(job->workers.size());
  reply.body = {{"WorkerCount", workers},
                {"SuccessCount", success},
                {"FailedCount", failed},
                {"RollbackCount", rollback},
                {"RollbackSuccessCount", rollback_ok},
                {"RollbackFailedCount", rollback_err},
                {"CertCount", job->cert_ids.size()},
                {"ResourceCount", job->resource_ids.size()},
                {"MatchWorkerCount", workers},
                {"CostCount", success},
                {"BuyCount", 0},
                {"UseCount", success},
                {"ProductWorkerCount", products}};
  return reply;
}

Reply ListWorkerResource(State& s, const EmulatorConfig&, const ParamMap& p) {
  Reply error;
  Job* job = FindJob(s, p, &error);
  if (job == nullptr) return error;
  const std::string* status = Get(p, "Status");
  const std::string* product = Get(p, "CloudProduct");
  Json all = Json::array();
  for (const Worker& w : job->workers) {
    const ResourceState& r = s.resources.at(w.resource_id);
    if (status != nullptr && w.status != *status) continue;
    if (product != nullptr && r.config.product != *product) continue;
    const StoredCert& cert = s.certs.at(w.cert_id);
    all.push_back(
        {{"Id", w.id},
         {"JobId", job->id},
         {"Status", w.status},
         {"CloudName", "aliyun"},
         {"CloudProduct", r.config.product},
         {"CloudRegion", r.config.region},
         {"RegionId", r.config.region},
         {"InstanceId", r.config.instance_id},
         {"ListenerId", absl::StrCat("lsn-", r.config.id, "@443")},
         {"Port", r.endpoint->port()},
         {"DefaultResource", true},
         {"ResourceId", r.config.id},
         {"ResourceCertId", w.resource_cert_id},
         {"ResourceDomain", r.config.domain},
         {"CertId", w.cert_id},
         {"CertInstanceId", cert.resource_id},
         {"CertName", cert.name},
         {"CertDomain", absl::StrJoin(cert.bundle.chain[0].dns_names, ",")},
         {"OrderId", cert.order_id},
         {"NamespaceId", ""},
         {"UserId", 1000000001},
         {"GmtCreate", std::to_string(Millis(w.created))},
         {"GmtModified", std::to_string(Millis(w.modified))}});
  }
  const int page = PageParam(p, "CurrentPage", 1);
  const int size = PageParam(p, "ShowSize", 50);
  Json data = Json::array();
  for (size_t i = static_cast<size_t>(page - 1) * size;
       i < all.size() && data.size() < static_cast<size_t>(size); ++i) {
    data.push_back(all[i]);
  }
  Reply reply;
  reply.body = {{"Data", data},
                {"CurrentPage", page},
                {"ShowSize", size},
                {"Total", all.size()}};
  return reply;
}

Reply UpdateWorkerResourceStatus(State& s, const EmulatorConfig& c,
                                 const ParamMap& p) {
  Reply error;
  Job* job = FindJob(s, p, &error);
  if (job == nullptr) return error;
  absl::StatusOr<int64_t> worker_id = IdParam(p, "WorkerId");
  if (!worker_id.ok()) return BadId(worker_id.status());
  const std::string* status = Get(p, "Status");
  if (status == nullptr) return Missing("Status");
  auto w = std::find_if(job->workers.begin(), job->workers.end(),
                        [&](const Worker& x) { return x.id == *worker_id; });
  if (w == job->workers.end()) {
    return Error(404, "InvalidWorkerId.NotFound",
                 absl::StrCat("WorkerId: worker ", *worker_id,
                              " is not part of job ", job->id));
  }
  const absl::Time now = absl::Now();
  if (*status == "rollback") {
    if (w->status != "success") {
      return Error(400, "InvalidStatus",
                   absl::StrCat("Status: worker ", w->id, " is ", w->status,
                                "; only a successful worker can be rolled "
                                "back"));
    }
    w->status = "rollback";
    job->rollback = true;
  } else if (*status == "pending") {
    if (w->status != "error" && w->status != "editing") {
      return Error(400, "InvalidStatus",
                   absl::StrCat("Status: worker ", w->id, " is ", w->status,
                                "; only a failed or editing worker can be "
                                "run again"));
    }
    w->status = "pending";
    job->status = "processing";
  } else {
    return Invalid(
        "Status: the emulator supports 'rollback' and 'pending' here");
  }
  w->due = now + c.worker_step;
  w->modified = job->modified = now;
  return Reply{};
}

constexpr char kDefaultProductCode[] = "digicert-free-1-free";
constexpr char kFileAuthUri[] = "/.well-known/pki-validation/fileauth.txt";

// CreateCertificateRequest's ProductCode values (ALIBABA_API.md §1.1), each
// with whether it issues a wildcard.
const std::map<std::string, bool>& DvProducts() {
  static const auto* const kProducts = new std::map<std::string, bool>{
      {"digicert-free-1-free", false},    {"symantec-free-1-free", false},
      {"symantec-dv-1-starter", false},   {"geotrust-dv-1-starter", false},
      {"geotrust-dv-w-starter", true},    {"globalsign-dv-1-personal", false},
      {"globalsign-dv-w-advanced", true},
  };
  return *kProducts;
}

std::string DvProductList(bool wildcard_only) {
  std::vector<std::string> names;
  for (const auto& [name, wildcard] : DvProducts()) {
    if (wildcard || !wildcard_only) names.push_back(name);
  }
  return absl::StrJoin(names, ", ");
}

// The TXT record's name relative to the zone, taken to be the last two
// labels (the emulator has no public-suffix list): "_dnsauth" for
// example.com and *.example.com, "_dnsauth.www" for www.example.com.
std::string DnsAuthRecordDomain(absl::string_view domain) {
  absl::ConsumePrefix(&domain, "*.");
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() <= 2) return "_dnsauth";
  labels.resize(labels.size() - 2);
  return absl::StrCat("_dnsauth.", absl::StrJoin(labels, "."));
}

Reply CreateCertificateRequest(State& s, const EmulatorConfig& c,
                               const ParamMap& p) {
  for (const char* name :
       {"Domain", "Email", "Phone", "Username", "ValidateType"}) {
    if (!Get(p, name)) return Missing(name);
  }
  const std::string& validate_type = p.at("ValidateType");
  if (validate_type != "DNS" && validate_type != "FILE") {
    return Invalid(
        absl::StrCat("ValidateType: '", validate_type, "' is not DNS or FILE"));
  }
  const std::string* product = Get(p, "ProductCode");
  const std::string product_code =
      product == nullptr ? kDefaultProductCode : *product;
  auto known = DvProducts().find(product_code);
  if (known == DvProducts().end()) {
    return Invalid(absl::StrCat("ProductCode: '", product_code,
                                "' is not a DV product; use one of ",
                                DvProductList(false)));
  }
  const std::string& domain = p.at("Domain");
  if (absl::StrContains(domain, ',')) {
    return Invalid(
        "Domain: an order covers exactly one domain; order each separately");
  }
  if (pki::IsIpAddress(domain)) {
    return Invalid(absl::StrCat("Domain: '", domain,
                                "' is an IP address; DV certificates are "
                                "for domain names"));
  }
  if (absl::Status valid = pki::ValidateCertificateName("Domain", domain);
      !valid.ok()) {
    return Invalid(valid.message());
  }
  const std::string name = pki::NormalizeCertificateName(domain);
  const bool wildcard = absl::StartsWith(name, "*.");
  if (wildcard && !known->second) {
    return Invalid(absl::StrCat("Domain: '", name, "' is a wildcard but ",
                                product_code,
                                " is not a wildcard product; order it with "
                                "ProductCode ",
                                DvProductList(true)));
  }
  // CA/Browser Forum BR 3.2.2.4.18: a file on one host cannot prove
  // control of every host a wildcard covers.
  if (wildcard && validate_type == "FILE") {
    return Invalid(
        absl::StrCat("ValidateType: FILE cannot validate the "
                     "wildcard '",
                     name, "'; use DNS"));
  }
  if (CertificatesHeld(s) >= c.quotas.certificate_limit) {
    return CertificateQuotaExceeded(c);
  }
  Order order;
  order.id = s.next_order_id++;
  order.domain = name;
  order.validate_type = validate_type;
  order.product_code = product_code;
  std::uniform_int_distribution<uint32_t> word;
  order.token = absl::StrFormat("%08x%08x%08x%08x", word(s.rng), word(s.rng),
                                word(s.rng), word(s.rng));
  order.due = absl::Now() + c.worker_step;
  Reply reply;
  reply.body = {{"OrderId", order.id}};
  s.orders.emplace(order.id, std::move(order));
  return reply;
}

Reply DescribeCertificateState(State& s, const EmulatorConfig&,
                               const ParamMap& p) {
  absl::StatusOr<int64_t> id = IdParam(p, "OrderId");
  if (!id.ok()) return BadId(id.status());
  auto it = s.orders.find(*id);
  if (it == s.orders.end()) {
    return Error(404, "InvalidOrderId.NotFound",
                 absl::StrCat("OrderId: order ", *id, " does not exist"));
  }
  const Order& order = it->second;
  Reply reply;
  reply.body["Type"] = order.type;
  if (order.type == "domain_verify") {
    reply.body["ValidateType"] = order.validate_type;
    if (order.validate_type == "DNS") {
      reply.body["RecordDomain"] = DnsAuthRecordDomain(order.domain);
      reply.body["RecordType"] = "TXT";
      reply.body["RecordValue"] = order.token;
    } else {
      reply.body["Domain"] = order.domain;
      reply.body["Uri"] = kFileAuthUri;
      reply.body["Content"] = order.token;
    }
  } else if (auto cert = s.certs.find(order.cert_id);
             order.type == "certificate" && cert != s.certs.end()) {
    reply.body["Certificate"] = cert->second.bundle.chain_pem;
    reply.body["PrivateKey"] = cert->second.bundle.private_key_pem.Reveal();
    reply.body["CertId"] = std::to_string(cert->second.id);
  }
  return reply;
}

// Issues an order's certificate from the emulator CA (a fresh P-256 key,
// a 90-day leaf with the domain as its only SAN) and stores it like an
// upload. Returns the CertId.
absl::StatusOr<int64_t> IssueCertificate(State& s, const EmulatorConfig& c,
                                         const Order& order, absl::Time now) {
  CF_ASSIGN_OR_RETURN(pki::PrivateKey key,
                      pki::GenerateKey(pki::KeyType::kEcdsaP256));
  pki::LeafSpec spec;
  spec.names = {order.domain};
  spec.not_before = now - absl::Hours(1);  // clients' clocks may lag
  spec.not_after = std::min(now + absl::Hours(24 * 90), s.ca->not_after());
  CF_ASSIGN_OR_RETURN(std::string leaf_pem, s.ca->SignLeaf(key, spec));
  pki::BundleValidationOptions options;
  options.now = now;
  options.fields = {"Certificate", "PrivateKey"};
  CF_ASSIGN_OR_RETURN(
      pki::CertificateBundle bundle,
      pki::ParseCertificateBundle(leaf_pem + s.ca_pem, key.pem(), options));
  StoredCert& cert = StoreCertificate(s, c, absl::StrCat("cert-", order.id),
                                      "cas-ivauto-", std::move(bundle));
  cert.order_id = order.id;
  cert.product_code = order.product_code;
  return cert.id;
}

// Moves an order one state on once its step is due.
void AdvanceOrder(State& s, const EmulatorConfig& c, Order& order,
                  absl::Time now) {
  if (order.due > now) return;
  order.due = absl::InfiniteFuture();
  if (order.type == "domain_verify") {
    const auto& failing = c.faults.failing_validation_domains;
    if (std::find(failing.begin(), failing.end(), order.domain) !=
        failing.end()) {
      order.type = "verify_fail";
    } else {
      order.type = "process";
      order.due = now + c.worker_step;
    }
  } else if (order.type == "process") {
    absl::StatusOr<int64_t> cert = IssueCertificate(s, c, order, now);
    if (cert.ok()) {
      order.cert_id = *cert;
      order.type = "certificate";
    } else {
      // Our own CA failing is an emulator bug; the order shows CAS's
      // unknown state rather than hanging in "process".
      LogError(absl::StrCat("certferry-cloud-emulator: order ", order.id,
                            ": issuing failed: ", cert.status().message()));
      order.type = "unknow";
    }
  }
}

using Action = Reply (*)(State&, const EmulatorConfig&, const ParamMap&);

const std::map<std::string, Action>& Actions() {
  static const auto* const kActions = new std::map<std::string, Action>{
      {"UploadUserCertificate", UploadUserCertificate},
      {"CreateCertificateRequest", CreateCertificateRequest},
      {"DescribeCertificateState", DescribeCertificateState},
      {"GetUserCertificateDetail", GetUserCertificateDetail},
      {"ListUserCertificateOrder", ListUserCertificateOrder},
      {"ListCloudResources", ListCloudResources},
      {"CreateDeploymentJob", CreateDeploymentJob},
      {"UpdateDeploymentJobStatus", UpdateDeploymentJobStatus},
      {"DescribeDeploymentJob", DescribeDeploymentJob},
      {"DescribeDeploymentJobStatus", DescribeDeploymentJobStatus},
      {"ListWorkerResource", ListWorkerResource},
      {"UpdateWorkerResourceStatus", UpdateWorkerResourceStatus},
  };
  return *kActions;
}

}  // namespace

void CloudEmulator::HandleRpc(const httplib::Request& req,
                              httplib::Response& res) {
  std::string request_id;
  Reply reply;
  bool delay = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    request_id = state_->RequestId();
    if (auto fault = InjectFault(*state_, config_.faults, &delay)) {
      reply = *fault;
    } else {
      auto auth = Authenticate(*state_, config_, req, req.body, false);
      if (Reply* e = std::get_if<Reply>(&auth)) {
        reply = *e;
      } else {
        Authenticated& a = std::get<Authenticated>(auth);
        auto action = Actions().find(a.action);
        if (action == Actions().end()) {
          reply = Error(404, "InvalidAction.NotFound",
                        "Specified api is not found, please check your url "
                        "and method.");
        } else if (a.version != kCasVersion) {
          reply = Error(400, "InvalidVersion",
                        absl::StrCat("Specified parameter Version is not "
                                     "valid; CAS speaks ",
                                     kCasVersion));
        } else {
          reply = action->second(*state_, config_, a.params);
        }
      }
    }
  }
  if (delay) absl::SleepFor(config_.faults.delay);
  Send(res, std::move(reply), request_id, false);
}

void CloudEmulator::HandleAirec(const httplib::Request& req,
                                httplib::Response& res, const std::string& body,
                                const std::string& instance_id,
                                const std::string& operation) {
  std::string request_id;
  Reply reply;
  bool delay = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    State& s = *state_;
    request_id = s.RequestId();
    auto fault = InjectFault(s, config_.faults, &delay);
    auto auth = fault ? std::variant<Authenticated, Reply>(*fault)
                      : Authenticate(s, config_, req, body, true);
    auto instance = s.airec.find(instance_id);
    if (Reply* e = std::get_if<Reply>(&auth)) {
      reply = *e;
    } else if (instance == s.airec.end()) {
      reply = Error(404, "InstanceNotFound",
                    "The specified instance does not exist. Check the "
                    "instanceId please.");
    } else if (AirecState& a = instance->second;
               operation == "DescribeInstance") {
      reply.body["result"] = {
          {"instanceId", a.config.id},   {"name", a.config.id},
          {"type", "Standard"},          {"status", "Running"},
          {"regionId", a.config.region}, {"lockMode", "Unlock"},
          {"chargeType", "PrePaid"}};
    } else if (operation == "DescribeCertificateStatus") {
      reply.body["result"] = {{"instanceId", a.config.id},
                              {"status", a.binding_status},
                              {"domains", a.mapping_domains},
                              {"certificateSha256", a.bound_sha256},
                              {"failureReason", a.failure_reason},
                              {"httpsEnforced", a.https_enforced},
                              {"validationMethod", a.config.validation},
                              {"tlsPort", a.endpoint->port()}};
    } else if (operation == "EnforceHttps") {
      if (a.binding_status != "SUCCESS") {
        reply = Error(400, "InvalidStatus.CertificateNotBound",
                      absl::StrCat("HTTPS can only be enforced after a "
                                   "certificate binding succeeded; binding is ",
                                   a.binding_status));
      } else {
        a.https_enforced = true;
        reply.body["result"] = {{"instanceId", a.config.id},
                                {"httpsEnforced", true}};
      }
    } else {  // BindCertificate
      absl::StatusOr<std::map<std::string, std::string>> parts =
          ParseMultipart(req.get_header_value("Content-Type"), body);
      if (!parts.ok()) {
        reply = Invalid(parts.status().message());
      } else if (!parts->count("mapping_file")) {
        reply = Missing("mapping_file");
      } else if (!parts->count("cert")) {
        reply = Missing("cert");
      } else if (!parts->count("key")) {
        reply = Missing("key");
      } else if (!LooksLikeXlsx(parts->at("mapping_file"))) {
        reply = Invalid(
            "mapping_file: not an xlsx workbook (expected a zip with "
            "xl/worksheets/sheet1.xml); upload certificate_info.xlsx");
      } else {
        pki::BundleValidationOptions options;
        options.now = absl::Now();
        options.fields = {"cert", "key"};
        absl::StatusOr<pki::CertificateBundle> bundle =
            pki::ParseCertificateBundle(
                parts->at("cert"), SecretString(parts->at("key")), options);
        absl::StatusOr<std::vector<std::string>> domains =
            std::vector<std::string>{a.config.domain};
        if (mapping_reader_)
          domains = mapping_reader_(parts->at("mapping_file"));
        if (!bundle.ok()) {
          reply = Invalid(bundle.status().message());
        } else if (!domains.ok()) {
          reply = Invalid(
              absl::StrCat("mapping_file: ", domains.status().message()));
        } else {
          a.pending = *std::move(bundle);
          a.mapping_domains = *domains;
          a.binding_status = "VALIDATING";
          a.failure_reason.clear();
          a.due = absl::Now() + config_.worker_step;
          reply.body["result"] = {{"instanceId", a.config.id},
                                  {"status", a.binding_status}};
        }
      }
    }
  }
  if (delay) absl::SleepFor(config_.faults.delay);
  Send(res, std::move(reply), request_id, true);
}

void CloudEmulator::ProgressLoop() {
  std::unique_lock<std::mutex> stop_lock(stop_mu_);
  while (!stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(20),
                            [this] { return stopping_; })) {
    std::lock_guard<std::mutex> lock(state_->mu);
    State& s = *state_;
    const absl::Time now = absl::Now();
    for (auto& [job_id, job] : s.jobs) {
      bool any_active = false, any_error = false, touched = false;
      for (Worker& w : job.workers) {
        if (w.due <= now) {
          touched = true;
          w.modified = now;
          w.due = absl::InfiniteFuture();
          ResourceState& r = s.resources.at(w.resource_id);
          if (w.status == "pending") {
            w.status = "processing";
            w.due = now + config_.worker_step;
            job.status = "processing";
          } else if (w.status == "processing") {
            const auto& failing = config_.faults.failing_resource_ids;
            const StoredCert& cert = s.certs.at(w.cert_id);
            if (std::find(failing.begin(), failing.end(), w.resource_id) !=
                    failing.end() ||
                !r.endpoint
                     ->SetCertificate(cert.bundle.chain_pem,
                                      cert.bundle.private_key_pem)
                     .ok()) {
              w.status = "error";
            } else {
              w.resource_cert_id = r.cert_id;
              r.cert_id = w.cert_id;
              ++s.credits_used;
              w.status = "success";
            }
          } else if (w.status == "rollback") {
            // Put back what the resource had before this worker.
            auto prev = s.certs.find(w.resource_cert_id);
            if (prev == s.certs.end()) {
              r.endpoint->ServePlaceholder();
              r.cert_id = 0;
              w.status = "rollback_success";
            } else if (r.endpoint
                           ->SetCertificate(prev->second.bundle.chain_pem,
                                            prev->second.bundle.private_key_pem)
                           .ok()) {
              r.cert_id = w.resource_cert_id;
              w.status = "rollback_success";
            } else {
              w.status = "rollback_error";
            }
          }
        }
        if (w.status == "pending" || w.status == "processing" ||
            w.status == "rollback") {
          any_active = true;
        }
        if (w.status == "error") any_error = true;
      }
      if (touched && !any_active && job.status == "processing") {
        job.status = any_error ? "error" : "success";
        job.end = now;
        job.modified = now;
      }
    }
    for (auto& [id, order] : s.orders) AdvanceOrder(s, config_, order, now);
    for (auto& [id, a] : s.airec) {
      if (a.due > now || !a.pending) continue;
      a.due = absl::InfiniteFuture();
      std::vector<std::string> uncovered;
      for (const std::string& domain : a.mapping_domains) {
        const auto& sans = a.pending->chain[0].dns_names;
        if (std::none_of(sans.begin(), sans.end(), [&](const auto& san) {
              return pki::CertificateNameCovers(san, domain);
            })) {
          uncovered.push_back(domain);
        }
      }
      if (a.mapping_domains.empty()) {
        a.binding_status = "FAILED";
        a.failure_reason = "certificate_info.xlsx has no usable row";
      } else if (!uncovered.empty()) {
        a.binding_status = "FAILED";
        a.failure_reason =
            absl::StrCat("certificate does not cover mapped domain(s): ",
                         absl::StrJoin(uncovered, ", "));
      } else if (absl::Status st = a.endpoint->SetCertificate(
                     a.pending->chain_pem, a.pending->private_key_pem);
                 !st.ok()) {
        a.binding_status = "FAILED";
        a.failure_reason = std::string(st.message());
      } else {
        a.binding_status = "SUCCESS";
        a.bound_sha256 = a.pending->chain[0].sha256_fingerprint;
      }
      a.pending.reset();
    }
  }
}

}  // namespace certferry::emulator
