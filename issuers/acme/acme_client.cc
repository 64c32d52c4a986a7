#include "issuers/acme/acme_client.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "issuers/acme/jws.h"
#include "issuers/acme/problem.h"
#include "nlohmann/json.hpp"
#include "pki/csr.h"
#include "pki/names.h"

namespace certferry::issuers::acme {
namespace {

using Json = nlohmann::json;

constexpr char kBadNonce[] = "urn:ietf:params:acme:error:badNonce";
constexpr char kUserAgent[] = "certferry-acme/0.1";
// Nonces beyond this are dropped (oldest first): they expire at the CA.
constexpr size_t kMaxPooledNonces = 64;

bool IsSuccess(int status) { return status >= 200 && status < 300; }

// Never throws: invalid UTF-8 (say, in a configured contact) is replaced.
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string GetString(const Json& json, const char* key) {
  if (!json.is_object()) return "";
  auto it = json.find(key);
  if (it == json.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::vector<std::string> GetStrings(const Json& json, const char* key) {
  std::vector<std::string> values;
  auto it = json.find(key);
  if (it == json.end() || !it->is_array()) return values;
  for (const Json& value : *it) {
    if (value.is_string()) values.push_back(value.get<std::string>());
  }
  return values;
}

absl::StatusOr<Json> ParseObject(absl::string_view what,
                                 const cloud::HttpResponse& response) {
  Json json = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::UnknownError(
        absl::StrCat(what, ": the CA's response is not a JSON object (HTTP ",
                     response.status_code, ")"));
  }
  return json;
}

// The identifier as ordered: the authorization names the base domain and
// flags wildcards separately (RFC 8555 §7.1.4).
std::string DisplayIdentifier(const Json& authorization) {
  const std::string value =
      GetString(authorization.value("identifier", Json::object()), "value");
  auto flag = authorization.find("wildcard");
  const bool wildcard =
      flag != authorization.end() && flag->is_boolean() && flag->get<bool>();
  return wildcard ? absl::StrCat("*.", value) : value;
}

// The error an invalid authorization or order carries, as a status.
absl::Status FailureStatus(absl::string_view what, const Json& object) {
  auto error = object.find("error");
  if (error != object.end()) {
    if (std::optional<AcmeProblem> problem = ParseProblem(Dump(*error))) {
      return WithAcmeErrorType(absl::FailedPreconditionError(absl::StrCat(
                                   what, ": ", DescribeProblem(*problem))),
                               problem->type);
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": status is ", GetString(object, "status"),
                   " and the CA gave no reason"));
}

}  // namespace

// One Issue call: the order's URLs, its deadline, and the challenges
// presented so far, which are cleaned up however the call ends.
class OrderFlow {
 public:
  OrderFlow(AcmeClient& client, const AcmeOrderRequest& request)
      : client_(client),
        request_(request),
        deadline_(absl::Now() + request.timeout) {}
  ~OrderFlow() { CleanUpAll(); }

  absl::StatusOr<AcmeIssued> Run(const std::vector<std::string>& names) {
    CF_ASSIGN_OR_RETURN(pki::PrivateKey key,
                        pki::GenerateKey(request_.key_type));
    CF_RETURN_IF_ERROR(client_.AccountUrl(deadline_).status());
    CF_ASSIGN_OR_RETURN(Json order, NewOrder(names));
    LogInfo(absl::StrCat("acme: order ", order_url_, " for ",
                         absl::StrJoin(names, ",")));

    CF_RETURN_IF_ERROR(Authorize(order));
    CleanUpAll();  // validated: the answers need not stay up

    CF_ASSIGN_OR_RETURN(order, Poll("order", order_url_, {"pending"}));
    if (GetString(order, "status") != "ready") {
      return FailureStatus(absl::StrCat("order ", order_url_), order);
    }
    CF_ASSIGN_OR_RETURN(order, Finalize(order, key, names));
    const std::string certificate_url = GetString(order, "certificate");
    if (certificate_url.empty()) {
      return absl::UnknownError(absl::StrCat(
          "order ", order_url_, ": valid but without a certificate URL"));
    }
    CF_ASSIGN_OR_RETURN(
        cloud::HttpResponse download,
        client_.Post("certificate download", certificate_url, "", deadline_,
                     /*sign_with_jwk=*/false,
                     "application/pem-certificate-chain"));
    return Check(download.body, key, names, certificate_url);
  }

 private:
  struct Presented {
    ChallengeSolver* solver;
    AcmeChallenge challenge;
  };

  absl::StatusOr<Json> NewOrder(const std::vector<std::string>& names) {
    Json identifiers = Json::array();
    for (const std::string& name : names) {
      identifiers.push_back({{"type", "dns"}, {"value", name}});
    }
    CF_ASSIGN_OR_RETURN(
        cloud::HttpResponse response,
        client_.Post("newOrder", client_.directory_.new_order,
                     Dump(Json{{"identifiers", identifiers}}), deadline_));
    order_url_ = response.Header("location").value_or("");
    if (order_url_.empty()) {
      return absl::UnknownError("newOrder: the CA sent no order URL");
    }
    return ParseObject("newOrder", response);
  }

  // Presents an answer for every pending authorization, tells the CA to
  // validate them, and waits until each is valid.
  absl::Status Authorize(const Json& order) {
    const std::vector<std::string> urls = GetStrings(order, "authorizations");
    if (urls.empty()) {
      return absl::UnknownError(
          absl::StrCat("order ", order_url_, ": no authorizations"));
    }
    struct Pending {
      std::string url;
      std::string identifier;
      std::string type;
    };
    std::vector<Pending> pending;
    for (const std::string& url : urls) {
      CF_ASSIGN_OR_RETURN(cloud::HttpResponse response,
                          client_.Post("authorization", url, "", deadline_));
      CF_ASSIGN_OR_RETURN(Json authorization,
                          ParseObject("authorization", response));
      const std::string identifier = DisplayIdentifier(authorization);
      const std::string status = GetString(authorization, "status");
      if (status == "valid") continue;  // the CA reused an earlier one
      const std::string what = absl::StrCat("authorization for ", identifier);
      if (status != "pending") return FailureStatus(what, authorization);
      CF_ASSIGN_OR_RETURN(Presented presented,
                          Present(identifier, authorization));
      pending.push_back({url, identifier, presented.challenge.type});
      presented_.push_back(std::move(presented));
    }
    // Everything is up before the CA is asked to look at any of it: a
    // wildcard and its base name share one TXT record name.
    for (const Presented& presented : presented_) {
      CF_RETURN_IF_ERROR(
          client_
              .Post(absl::StrCat(presented.challenge.type, " challenge for ",
                                 presented.challenge.identifier),
                    presented.challenge.url, "{}", deadline_)
              .status());
    }
    for (const Pending& authorization : pending) {
      const std::string what =
          absl::StrCat("authorization for ", authorization.identifier);
      CF_ASSIGN_OR_RETURN(Json result,
                          Poll(what, authorization.url, {"pending"}));
      if (GetString(result, "status") != "valid") {
        return FailureStatus(
            absl::StrCat(what, " failed: the CA could not validate it with ",
                         authorization.type),
            ChallengeWithError(result, authorization.type));
      }
    }
    return absl::OkStatus();
  }

  // The challenge of `type` when it carries the error, else the
  // authorization itself.
  static Json ChallengeWithError(const Json& authorization,
                                 const std::string& type) {
    for (const Json& challenge :
         authorization.value("challenges", Json::array())) {
      if (GetString(challenge, "type") == type && challenge.contains("error")) {
        return challenge;
      }
    }
    return authorization;
  }

  absl::StatusOr<Presented> Present(const std::string& identifier,
                                    const Json& authorization) {
    std::vector<ChallengeSolver*> solvers = client_.solvers_;
    std::stable_partition(solvers.begin(), solvers.end(),
                          [&](ChallengeSolver* solver) {
                            return solver->type() == request_.challenge_type;
                          });
    const Json challenges = authorization.value("challenges", Json::array());
    for (ChallengeSolver* solver : solvers) {
      for (const Json& challenge : challenges) {
        if (GetString(challenge, "type") != solver->type()) continue;
        AcmeChallenge answer;
        answer.type = solver->type();
        answer.identifier = identifier;
        answer.domain = GetString(
            authorization.value("identifier", Json::object()), "value");
        answer.token = GetString(challenge, "token");
        answer.key_authorization =
            KeyAuthorization(answer.token, client_.thumbprint_);
        answer.url = GetString(challenge, "url");
        if (answer.token.empty() || answer.url.empty()) {
          return absl::UnknownError(
              absl::StrCat("authorization for ", identifier, ": the CA's ",
                           answer.type, " challenge has no token or URL"));
        }
        absl::Status status = solver->Present(answer);
        if (!status.ok()) {
          return absl::Status(
              status.code(),
              absl::StrCat("authorization for ", identifier, ": presenting ",
                           answer.type, " failed: ", status.message()));
        }
        return Presented{solver, std::move(answer)};
      }
    }
    std::vector<std::string> offered;
    for (const Json& challenge : challenges) {
      offered.push_back(GetString(challenge, "type"));
    }
    std::vector<std::string> configured;
    for (ChallengeSolver* solver : solvers) {
      configured.push_back(solver->type());
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "authorization for ", identifier, ": the CA offers ",
        absl::StrJoin(offered, ", "), " but certferry has solvers for ",
        configured.empty() ? "none" : absl::StrJoin(configured, ", "),
        "; configure a solver for one of the offered types",
        absl::StartsWith(identifier, "*.") ? " (wildcards need dns-01)" : ""));
  }

  absl::StatusOr<Json> Finalize(const Json& order, const pki::PrivateKey& key,
                                const std::vector<std::string>& names) {
    CF_ASSIGN_OR_RETURN(std::string csr, pki::CreateCsrDer(key, names));
    const std::string finalize_url = GetString(order, "finalize");
    if (finalize_url.empty()) {
      return absl::UnknownError(
          absl::StrCat("order ", order_url_, ": no finalize URL"));
    }
    CF_ASSIGN_OR_RETURN(
        cloud::HttpResponse response,
        client_.Post("finalize", finalize_url,
                     Dump(Json{{"csr", Base64Url(csr)}}), deadline_));
    CF_ASSIGN_OR_RETURN(Json finalized, ParseObject("finalize", response));
    if (GetString(finalized, "status") != "valid") {
      CF_ASSIGN_OR_RETURN(finalized,
                          Poll("order", order_url_, {"ready", "processing"}));
    }
    if (GetString(finalized, "status") != "valid") {
      return FailureStatus(absl::StrCat("order ", order_url_), finalized);
    }
    return finalized;
  }

  // POST-as-GET `url` until its status leaves `waiting`, waiting what the
  // CA's Retry-After says (else a doubling interval) between requests.
  absl::StatusOr<Json> Poll(absl::string_view what, const std::string& url,
                            std::initializer_list<absl::string_view> waiting) {
    const AcmeClientConfig& config = client_.config_;
    absl::Duration interval = config.poll_initial_interval;
    while (true) {
      CF_ASSIGN_OR_RETURN(cloud::HttpResponse response,
                          client_.Post(what, url, "", deadline_));
      CF_ASSIGN_OR_RETURN(Json object, ParseObject(what, response));
      const std::string status = GetString(object, "status");
      if (std::find(waiting.begin(), waiting.end(), status) == waiting.end()) {
        return object;
      }
      const absl::Time now = absl::Now();
      const std::optional<absl::Duration> retry_after =
          ParseRetryAfter(response.Header("retry-after"), now);
      const absl::Duration wait =
          retry_after ? std::max(*retry_after, config.poll_initial_interval)
                      : interval;
      interval = std::min(interval * 2, config.poll_max_interval);
      if (now + wait >= deadline_) {
        return absl::DeadlineExceededError(absl::StrCat(
            what, ": still ", status, " when the order's ",
            absl::FormatDuration(request_.timeout), " ran out",
            retry_after ? absl::StrCat(" (the CA asked to retry after ",
                                       absl::FormatDuration(*retry_after), ")")
                        : ""));
      }
      absl::SleepFor(wait);
    }
  }

  absl::StatusOr<AcmeIssued> Check(const std::string& chain_pem,
                                   const pki::PrivateKey& key,
                                   const std::vector<std::string>& names,
                                   const std::string& certificate_url) {
    pki::BundleValidationOptions options;
    options.now = absl::Now();
    options.fields.chain = "the CA's certificate chain";
    options.fields.private_key = "the generated key";
    absl::StatusOr<pki::CertificateBundle> bundle =
        pki::ParseCertificateBundle(chain_pem, key.pem(), options);
    if (!bundle.ok()) {
      return absl::UnknownError(absl::StrCat("certificate ", certificate_url,
                                             ": ", bundle.status().message()));
    }
    const std::vector<std::string>& covered = bundle->chain.front().dns_names;
    for (const std::string& name : names) {
      if (std::find(covered.begin(), covered.end(), name) == covered.end()) {
        return absl::UnknownError(absl::StrCat("certificate ", certificate_url,
                                               ": does not name ", name));
      }
    }
    LogInfo(absl::StrCat("acme: issued ", bundle->chain.front().serial_hex,
                         " for ", absl::StrJoin(names, ","), " (order ",
                         order_url_, ")"));
    AcmeIssued issued;
    issued.chain_pem = std::move(bundle->chain_pem);
    issued.chain = std::move(bundle->chain);
    issued.private_key_pem = key.pem();
    issued.key_type = key.type();
    issued.order_url = order_url_;
    issued.certificate_url = certificate_url;
    return issued;
  }

  void CleanUpAll() {
    for (const Presented& presented : presented_) {
      absl::Status status = presented.solver->CleanUp(presented.challenge);
      if (!status.ok()) {
        LogWarning(absl::StrCat("acme: cleaning up ", presented.challenge.type,
                                " for ", presented.challenge.identifier,
                                " failed: ", status.message()));
      }
    }
    presented_.clear();
  }

  AcmeClient& client_;
  const AcmeOrderRequest& request_;
  const absl::Time deadline_;
  std::string order_url_;
  std::vector<Presented> presented_;
};

absl::StatusOr<SecretString> GenerateAccountKey() {
  return pki::GeneratePrivateKey(pki::KeyType::kEcdsaP256);
}

absl::StatusOr<std::unique_ptr<AcmeClient>> AcmeClient::Create(
    const AcmeClientConfig& config, const SecretString& account_key_pem,
    std::vector<ChallengeSolver*> solvers) {
  cloud::CurlHttpClientOptions options;
  options.ca_file = config.ca_file;
  options.request_timeout = config.request_timeout;
  return Create(config, account_key_pem, std::move(solvers),
                std::make_shared<cloud::CurlHttpClient>(options));
}

absl::StatusOr<std::unique_ptr<AcmeClient>> AcmeClient::Create(
    const AcmeClientConfig& config, const SecretString& account_key_pem,
    std::vector<ChallengeSolver*> solvers,
    std::shared_ptr<cloud::HttpClient> http) {
  if (config.directory_url.empty()) {
    return absl::InvalidArgumentError(
        "directory_url: empty; give the ACME CA's directory URL");
  }
  if (std::find(solvers.begin(), solvers.end(), nullptr) != solvers.end()) {
    return absl::InvalidArgumentError("solvers: contains a null solver");
  }
  CF_ASSIGN_OR_RETURN(pki::Es256Key key,
                      pki::Es256Key::Parse("account_key", account_key_pem));
  std::unique_ptr<AcmeClient> client(new AcmeClient(
      config, std::move(key), std::move(solvers), std::move(http)));
  CF_RETURN_IF_ERROR(client->ReadDirectory());
  return client;
}

AcmeClient::AcmeClient(const AcmeClientConfig& config, pki::Es256Key key,
                       std::vector<ChallengeSolver*> solvers,
                       std::shared_ptr<cloud::HttpClient> http)
    : config_(config),
      key_(std::move(key)),
      thumbprint_(JwkThumbprint(key_)),
      solvers_(std::move(solvers)),
      http_(std::move(http)) {}

absl::Status AcmeClient::ReadDirectory() {
  const std::string what =
      absl::StrCat("ACME directory ", config_.directory_url);
  cloud::HttpRequest request;
  request.url = config_.directory_url;
  request.headers = {{"User-Agent", kUserAgent}};
  absl::StatusOr<cloud::HttpResponse> response =
      http_->Send(request, config_.request_timeout);
  if (!response.ok()) return WithContext(response.status(), what);
  if (!IsSuccess(response->status_code)) {
    return ProblemStatus(what, *response, absl::Now());
  }
  CF_ASSIGN_OR_RETURN(Json json, ParseObject(what, *response));
  directory_.new_nonce = GetString(json, "newNonce");
  directory_.new_account = GetString(json, "newAccount");
  directory_.new_order = GetString(json, "newOrder");
  directory_.revoke_cert = GetString(json, "revokeCert");
  directory_.key_change = GetString(json, "keyChange");
  directory_.terms_of_service =
      GetString(json.value("meta", Json::object()), "termsOfService");
  if (directory_.new_nonce.empty() || directory_.new_account.empty() ||
      directory_.new_order.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what,
        ": not an ACME directory (newNonce, newAccount or newOrder "
        "missing); check the URL"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AcmeClient::TakeNonce(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!nonces_.empty()) {
      std::string nonce = std::move(nonces_.back());
      nonces_.pop_back();
      return nonce;
    }
  }
  cloud::HttpRequest request;
  request.method = "HEAD";
  request.url = directory_.new_nonce;
  request.headers = {{"User-Agent", kUserAgent}};
  nonces_fetched_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<cloud::HttpResponse> response = http_->Send(
      request, std::min(deadline - absl::Now(), config_.request_timeout));
  if (!response.ok()) return WithContext(response.status(), "newNonce");
  std::optional<std::string> nonce = response->Header("replay-nonce");
  if (!IsSuccess(response->status_code) || !nonce || nonce->empty()) {
    return absl::UnavailableError(
        absl::StrCat("newNonce: HTTP ", response->status_code,
                     " without a Replay-Nonce header"));
  }
  return *std::move(nonce);
}

void AcmeClient::KeepNonce(const cloud::HttpResponse& response) {
  std::optional<std::string> nonce = response.Header("replay-nonce");
  if (!nonce || nonce->empty()) return;
  absl::MutexLock lock(&mu_);
  nonces_.push_back(*std::move(nonce));
  if (nonces_.size() > kMaxPooledNonces) nonces_.erase(nonces_.begin());
}

absl::StatusOr<cloud::HttpResponse> AcmeClient::Post(
    absl::string_view what, const std::string& url, absl::string_view payload,
    absl::Time deadline, bool sign_with_jwk, absl::string_view accept) {
  JwsHeader header;
  header.url = url;
  if (!sign_with_jwk) {
    absl::MutexLock lock(&mu_);
    header.kid = account_url_;
  }
  if (!sign_with_jwk && header.kid.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": no ACME account yet"));
  }
  for (int attempt = 0;; ++attempt) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": no time left before the deadline"));
    }
    CF_ASSIGN_OR_RETURN(header.nonce, TakeNonce(deadline));
    CF_ASSIGN_OR_RETURN(std::string body, SignJws(key_, header, payload));
    cloud::HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/jose+json"},
                       {"User-Agent", kUserAgent}};
    if (!accept.empty()) request.headers.emplace_back("Accept", accept);
    request.body = std::move(body);
    requests_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<cloud::HttpResponse> response =
        http_->Send(request, std::min(remaining, config_.request_timeout));
    if (!response.ok()) return WithContext(response.status(), what);
    KeepNonce(*response);
    if (IsSuccess(response->status_code)) return response;
    absl::Status status = ProblemStatus(what, *response, absl::Now());
    // RFC 8555 §6.5: the rejected request may be retried with a fresh nonce
    // (the error response carries one).
    if (AcmeErrorType(status) == kBadNonce &&
        attempt < config_.bad_nonce_retries) {
      bad_nonce_retries_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    return status;
  }
}

absl::StatusOr<AcmeAccount> AcmeClient::NewAccount(bool only_return_existing,
                                                   absl::Time deadline) {
  Json payload = Json::object();
  if (only_return_existing) {
    payload["onlyReturnExisting"] = true;
  } else {
    payload["termsOfServiceAgreed"] = config_.terms_of_service_agreed;
    if (!config_.contact.empty()) payload["contact"] = config_.contact;
  }
  const char* what = only_return_existing ? "account lookup" : "newAccount";
  CF_ASSIGN_OR_RETURN(cloud::HttpResponse response,
                      Post(what, directory_.new_account, Dump(payload),
                           deadline, /*sign_with_jwk=*/true));
  AcmeAccount account;
  account.url = response.Header("location").value_or("");
  if (account.url.empty()) {
    return absl::UnknownError(
        absl::StrCat(what, ": the CA sent no account URL"));
  }
  account.created = response.status_code == 201;
  CF_ASSIGN_OR_RETURN(Json json, ParseObject(what, response));
  account.status = GetString(json, "status");
  account.contact = GetStrings(json, "contact");
  if (account.status != "valid") {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the account ", account.url, " is ",
                     account.status, "; use another account key"));
  }
  absl::MutexLock lock(&mu_);
  account_url_ = account.url;
  return account;
}

absl::StatusOr<std::string> AcmeClient::AccountUrl(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!account_url_.empty()) return account_url_;
  }
  CF_ASSIGN_OR_RETURN(AcmeAccount account, NewAccount(false, deadline));
  return account.url;
}

absl::StatusOr<AcmeAccount> AcmeClient::CreateAccount() {
  return NewAccount(false, absl::Now() + config_.request_timeout);
}

absl::StatusOr<AcmeAccount> AcmeClient::FindAccount() {
  return NewAccount(true, absl::Now() + config_.request_timeout);
}

absl::StatusOr<AcmeIssued> AcmeClient::Issue(const AcmeOrderRequest& request) {
  CF_ASSIGN_OR_RETURN(std::vector<std::string> names,
                      pki::NormalizeDnsNames("dns_names", request.dns_names));
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout: must be positive");
  }
  OrderFlow flow(*this, request);
  return flow.Run(names);
}

AcmeClientStats AcmeClient::stats() const {
  AcmeClientStats stats;
  stats.requests = requests_.load(std::memory_order_relaxed);
  stats.bad_nonce_retries = bad_nonce_retries_.load(std::memory_order_relaxed);
  stats.nonces_fetched = nonces_fetched_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace certferry::issuers::acme
