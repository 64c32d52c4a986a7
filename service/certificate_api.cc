#include "service/certificate_api.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "issuers/stored_versions.h"
#include "model/issue_job.h"
#include "model/renewal.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"
#include "pki/key_generation.h"
#include "pki/names.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "service/revocation_api.h"
#include "service/validation.h"
#include "storage/audit_repository.h"
#include "storage/certificate_repository.h"
#include "storage/job_repository.h"
#include "storage/renewal_repository.h"
#include "storage/request_id_repository.h"
#include "storage/revocation_repository.h"

namespace certferry::service {
namespace {

constexpr char kImportMethod[] = "ImportCertificate";
constexpr char kIssueMethod[] = "IssueCertificate";
constexpr char kBatchIssueMethod[] = "BatchIssueCertificates";
constexpr char kUpdateRenewalPolicyMethod[] = "UpdateRenewalPolicy";
// Must match workers::IssueCertificateHandler::kKind and
// workers::IssueCertificatesBatchHandler::kKind.
constexpr char kIssueJobKind[] = "issue_certificate";
constexpr char kIssueBatchJobKind[] = "issue_certificates";
constexpr char kPageTokenVersion[] = "v1";

// The audit log's resource name of a logical certificate.
std::string CertificateResource(absl::string_view name) {
  return absl::StrCat("certificates/", name);
}

std::string ImportRequestDigest(const v1::ImportCertificateRequest& r) {
  // Length-prefixed fields so no two different requests hash alike.
  std::string material;
  for (const std::string* field :
       {&r.name(), &r.chain_pem(), &r.private_key_pem()}) {
    absl::StrAppend(&material, field->size(), ":", *field, ";");
  }
  absl::StrAppend(&material, r.accept_expired() ? "1" : "0");
  return pki::Sha256Hex(material);
}

constexpr char kExpiryPageTokenVersion[] = "e1";
constexpr char kOrderByName[] = "name";
constexpr char kOrderByExpiry[] = "not_after";

// The filters and order a page token is bound to, so a token cannot be
// replayed against different ones.
std::string FilterKey(const v1::ListCertificatesRequest& r) {
  return pki::Sha256Hex(
             absl::StrCat(r.domain(), "\n",
                          r.has_expiring_before()
                              ? absl::StrCat(r.expiring_before().seconds(), ".",
                                             r.expiring_before().nanos())
                              : "",
                          "\n", r.order_by()))
      .substr(0, 16);
}

bool ByExpiry(const v1::ListCertificatesRequest& r) {
  return r.order_by() == kOrderByExpiry;
}

// By name: "v1", filters, last name. By expiry: "e1", filters, the last
// one's notAfter (Unix microseconds), its name.
std::string EncodePageToken(const v1::ListCertificatesRequest& r,
                            const model::Certificate& last) {
  if (ByExpiry(r)) {
    return absl::WebSafeBase64Escape(absl::StrCat(
        kExpiryPageTokenVersion, "\n", FilterKey(r), "\n",
        absl::ToUnixMicros(last.version.not_after), "\n", last.name));
  }
  return absl::WebSafeBase64Escape(
      absl::StrCat(kPageTokenVersion, "\n", FilterKey(r), "\n", last.name));
}

// Sets the query's cursor from the request's page token.
absl::Status DecodePageToken(const v1::ListCertificatesRequest& r,
                             storage::CertificateListQuery& query) {
  if (r.page_token().empty()) return absl::OkStatus();
  const bool by_expiry = ByExpiry(r);
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(r.page_token(), &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits('\n', by_expiry ? 3 : 2));
  }
  int64_t micros = 0;
  if (parts.size() != (by_expiry ? 4u : 3u) ||
      parts[0] != (by_expiry ? kExpiryPageTokenVersion : kPageTokenVersion) ||
      (by_expiry && !absl::SimpleAtoi(parts[2], &micros))) {
    return absl::InvalidArgumentError(
        "page_token: not a token from ListCertificates with this order_by; "
        "pass the next_page_token of the previous response unchanged");
  }
  if (parts[1] != FilterKey(r)) {
    return absl::InvalidArgumentError(
        "page_token: was issued for different filters; repeat the filters of "
        "the first call or start again without page_token");
  }
  query.after_name = parts.back();
  if (by_expiry) query.after_not_after = absl::FromUnixMicros(micros);
  return absl::OkStatus();
}

}  // namespace

CertificateApi::CertificateApi(storage::Database& db, const pki::KeyRing& keys,
                               const Clock& clock,
                               issuers::CertificateAuthorities& cas,
                               OperationApi& operations,
                               storage::JobNotifier& notifier,
                               CertificateApiConfig config)
    : db_(db),
      keys_(keys),
      clock_(clock),
      cas_(cas),
      operations_(operations),
      notifier_(notifier),
      enqueuer_(db),
      config_(config) {
  // An issuance operation's response is the certificate version it stored.
  operations_.RegisterResponse(
      kIssueJobKind,
      [this](const model::Job& job) -> absl::StatusOr<google::protobuf::Any> {
        absl::StatusOr<model::IssueJobResult> result =
            model::ParseIssueJobResult(job.result_json);
        if (!result.ok()) {
          return absl::DataLossError(absl::StrCat(
              "unreadable issuance result: ", result.status().message()));
        }
        v1::GetCertificateRequest get;
        get.set_id(result->certificate_id);
        get.set_version(result->version);
        CF_ASSIGN_OR_RETURN(v1::Certificate certificate, GetCertificate(get));
        google::protobuf::Any any;
        any.PackFrom(certificate);
        return any;
      });
  // A renewal's response is the version it issued (or, when it found the
  // version superseded, the version it was asked to renew).
  operations_.RegisterResponse(
      model::kRenewJobKind,
      [this](const model::Job& job) -> absl::StatusOr<google::protobuf::Any> {
        absl::StatusOr<model::RenewJobResult> result =
            model::ParseRenewJobResult(job.result_json);
        if (!result.ok()) {
          return absl::DataLossError(absl::StrCat("unreadable renewal result: ",
                                                  result.status().message()));
        }
        CF_ASSIGN_OR_RETURN(
            v1::Certificate certificate,
            ReadCertificate(
                result->certificate_id,
                result->version != 0 ? result->version : result->renewed_from));
        google::protobuf::Any any;
        any.PackFrom(certificate);
        return any;
      });
  // A batch's response lists its versions; their chains are a
  // GetCertificate away (a thousand chains would not fit one message).
  operations_.RegisterResponse(
      kIssueBatchJobKind,
      [](const model::Job& job) -> absl::StatusOr<google::protobuf::Any> {
        absl::StatusOr<model::IssueBatchJobResult> result =
            model::ParseIssueBatchJobResult(job.result_json);
        absl::StatusOr<model::IssueBatchJobPayload> payload =
            model::ParseIssueBatchJobPayload(job.payload_json);
        if (!result.ok() || !payload.ok() ||
            result->items.size() != payload->items.size()) {
          return absl::DataLossError(
              absl::StrCat("unreadable batch issuance result: ",
                           result.ok() ? payload.status().message()
                                       : result.status().message()));
        }
        v1::BatchIssueCertificatesResult out;
        for (size_t i = 0; i < result->items.size(); ++i) {
          auto* issued = out.add_certificates();
          issued->set_certificate_id(result->items[i].certificate_id);
          issued->set_name(payload->items[i].name);
          issued->set_version(result->items[i].version);
        }
        google::protobuf::Any any;
        any.PackFrom(out);
        return any;
      });
}

absl::StatusOr<v1::Certificate> CertificateApi::ImportCertificate(
    const v1::ImportCertificateRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::Certificate> result = ImportOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kImportMethod,
                      CertificateResource(request.name()), request.request_id(),
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::Certificate> CertificateApi::ImportOrRefuse(
    const v1::ImportCertificateRequest& request, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", request.name()));
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  if (request.chain_pem().size() > config_.max_chain_pem_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chain_pem: larger than ", config_.max_chain_pem_bytes / 1024,
        " KiB; send only the leaf and its intermediates"));
  }
  if (request.private_key_pem().size() > config_.max_private_key_pem_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("private_key_pem: larger than ",
                     config_.max_private_key_pem_bytes / 1024,
                     " KiB; send exactly one unencrypted PEM private key"));
  }

  const std::string& request_id = request.request_id();
  const std::string digest = ImportRequestDigest(request);
  if (!request_id.empty()) {
    // A retry of a completed import returns its result even if the chain
    // has expired since.
    CF_ASSIGN_OR_RETURN(
        std::optional<model::Certificate> replay,
        db_.RunInTransaction<std::optional<model::Certificate>>(
            "find_import_request",
            [&](storage::Transaction& tx)
                -> absl::StatusOr<std::optional<model::Certificate>> {
              CF_ASSIGN_OR_RETURN(
                  auto earlier,
                  storage::RequestIdRepository::Find(tx, request_id));
              if (!earlier) return std::nullopt;
              CF_RETURN_IF_ERROR(
                  CheckSameRequest(*earlier, kImportMethod, digest));
              return storage::CertificateRepository::Get(
                  tx, earlier->resource_id, earlier->resource_version);
            }));
    if (replay) return ToProto(*replay);
  }

  pki::BundleValidationOptions options;
  options.now = clock_.Now();
  options.accept_expired = request.accept_expired();
  CF_ASSIGN_OR_RETURN(pki::CertificateBundle bundle,
                      pki::ParseCertificateBundle(
                          request.chain_pem(),
                          SecretString(request.private_key_pem()), options));

  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      issuers::BuildNewVersion(request.name(), bundle.chain_pem, bundle.chain,
                               bundle.private_key_pem,
                               model::CertificateSource::kImported, keys_));

  CF_ASSIGN_OR_RETURN(
      model::Certificate stored,
      db_.RunInTransaction<model::Certificate>(
          "import_certificate",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Certificate> {
            if (!request_id.empty()) {
              CF_ASSIGN_OR_RETURN(auto earlier,
                                  storage::RequestIdRepository::Claim(
                                      tx, request_id, kImportMethod, digest));
              if (earlier) {  // a concurrent identical request won the race
                CF_RETURN_IF_ERROR(
                    CheckSameRequest(*earlier, kImportMethod, digest));
                return storage::CertificateRepository::Get(
                    tx, earlier->resource_id, earlier->resource_version);
              }
            }
            CF_ASSIGN_OR_RETURN(
                model::Certificate added,
                storage::CertificateRepository::AddVersion(tx, input));
            if (!request_id.empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, request_id, added.id, added.version.version));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, kImportMethod, CertificateResource(added.name),
                        request_id, absl::OkStatus(),
                        absl::StrCat("imported version ", added.version.version,
                                     " sha256 ",
                                     added.version.sha256_fingerprint))}));
            return added;
          }));
  LogInfo(absl::StrCat("imported certificate name=", stored.name,
                       " id=", stored.id, " version=", stored.version.version,
                       " sha256=", stored.version.sha256_fingerprint));
  return ToProto(stored);
}

absl::StatusOr<v1::Operation> CertificateApi::IssueCertificate(
    const v1::IssueCertificateRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::Operation> result = IssueOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kIssueMethod,
                      CertificateResource(request.name()), request.request_id(),
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::Operation> CertificateApi::IssueOrRefuse(
    const v1::IssueCertificateRequest& request, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  CF_ASSIGN_OR_RETURN(storage::NewJob job, IssueJob(request));

  // Concurrent calls share one transaction (see GroupEnqueuer).
  CF_ASSIGN_OR_RETURN(
      model::Job queued,
      enqueuer_.Enqueue(
          {std::move(job), request.request_id(), kIssueMethod,
           pki::Sha256Hex(
               absl::StrCat(kIssueMethod, "\n", request.SerializeAsString())),
           AuditEventFor(call, kIssueMethod,
                         CertificateResource(request.name()),
                         request.request_id(), absl::OkStatus(), "queued")}));
  notifier_.JobsEnqueued();
  return operations_.ToOperation(queued);
}

absl::StatusOr<v1::BatchIssueCertificatesResponse>
CertificateApi::BatchIssueCertificates(
    const v1::BatchIssueCertificatesRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::BatchIssueCertificatesResponse> result =
      BatchIssueOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kBatchIssueMethod, "", request.request_id(),
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::BatchIssueCertificatesResponse>
CertificateApi::BatchIssueOrRefuse(
    const v1::BatchIssueCertificatesRequest& request, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  if (request.requests().empty()) {
    return absl::InvalidArgumentError(
        "requests: empty; give at least one IssueCertificateRequest");
  }
  if (request.requests_size() > config_.max_batch_issue) {
    return absl::InvalidArgumentError(absl::StrCat(
        "requests: ", request.requests_size(), " requests; at most ",
        config_.max_batch_issue, " per call, split the batch"));
  }
  model::IssueBatchJobPayload payload;
  payload.items.reserve(request.requests_size());
  for (int i = 0; i < request.requests_size(); ++i) {
    const v1::IssueCertificateRequest& item = request.requests(i);
    const std::string prefix = absl::StrCat("requests[", i, "].");
    if (!item.request_id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "request_id: must be empty; set request_id on the batch"));
    }
    absl::StatusOr<model::IssueJobPayload> item_payload = IssuePayload(item);
    if (!item_payload.ok()) {
      return absl::Status(
          item_payload.status().code(),
          absl::StrCat(prefix, item_payload.status().message()));
    }
    payload.items.push_back(*std::move(item_payload));
  }
  storage::NewJob job;
  job.kind = kIssueBatchJobKind;
  job.max_attempts = config_.issue_max_attempts;
  job.payload_json = model::ToJson(payload);

  const std::string& request_id = request.request_id();
  const std::string digest = pki::Sha256Hex(
      absl::StrCat(kBatchIssueMethod, "\n", request.SerializeAsString()));
  std::string batch_summary =
      absl::StrCat("queued ", payload.items.size(), " certificates:");
  for (const model::IssueJobPayload& item : payload.items) {
    absl::StrAppend(&batch_summary, " ", item.name);
    if (batch_summary.size() > 512) break;  // AuditEventFor cuts it anyway
  }
  CF_ASSIGN_OR_RETURN(
      model::Job queued,
      db_.RunInTransaction<model::Job>(
          "batch_issue_certificates",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Job> {
            if (!request_id.empty()) {
              CF_ASSIGN_OR_RETURN(
                  auto earlier, storage::RequestIdRepository::Claim(
                                    tx, request_id, kBatchIssueMethod, digest));
              if (earlier) {
                CF_RETURN_IF_ERROR(
                    CheckSameRequest(*earlier, kBatchIssueMethod, digest));
                int64_t id = 0;
                if (!absl::SimpleAtoi(earlier->resource_id, &id)) {
                  return absl::InternalError("request_id: bad stored record");
                }
                return storage::JobRepository::Get(tx, id);
              }
            }
            CF_ASSIGN_OR_RETURN(std::vector<model::Job> queued,
                                storage::JobRepository::EnqueueMany(tx, {job}));
            if (!request_id.empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, request_id, absl::StrCat(queued.front().id), 0));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx,
                {AuditEventFor(call, kBatchIssueMethod,
                               OperationApi::OperationName(queued.front().id),
                               request_id, absl::OkStatus(), batch_summary)}));
            return queued.front();
          }));
  notifier_.JobsEnqueued();
  v1::BatchIssueCertificatesResponse response;
  CF_ASSIGN_OR_RETURN(*response.mutable_operation(),
                      operations_.ToOperation(queued));
  return response;
}

absl::StatusOr<storage::NewJob> CertificateApi::IssueJob(
    const v1::IssueCertificateRequest& request) {
  CF_ASSIGN_OR_RETURN(model::IssueJobPayload payload, IssuePayload(request));
  storage::NewJob job;
  job.kind = kIssueJobKind;
  job.max_attempts = config_.issue_max_attempts;
  job.payload_json = model::ToJson(payload);
  return job;
}

absl::StatusOr<model::IssueJobPayload> CertificateApi::IssuePayload(
    const v1::IssueCertificateRequest& request) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", request.name()));

  // Every name is checked before anything is queued.
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (int i = 0; i < request.domains_size(); ++i) {
    CF_RETURN_IF_ERROR(pki::ValidateCertificateName(
        absl::StrCat("domains[", i, "]"), request.domains(i)));
    std::string name = pki::NormalizeCertificateName(request.domains(i));
    if (seen.insert(name).second) names.push_back(std::move(name));
  }
  if (!request.san_domains().empty()) {
    CF_ASSIGN_OR_RETURN(std::vector<std::string> from_file,
                        pki::ParseSanDomains(request.san_domains()));
    for (std::string& name : from_file) {
      if (seen.insert(name).second) names.push_back(std::move(name));
    }
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(
        "domains: empty; give at least one DNS name or IP address (or a "
        "san_domains file)");
  }
  if (static_cast<int>(names.size()) > config_.max_names_per_certificate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "domains: ", names.size(), " names; at most ",
        config_.max_names_per_certificate,
        " fit in one certificate, split them across certificates"));
  }
  CF_ASSIGN_OR_RETURN(pki::KeyType key_type,
                      pki::ParseKeyType("key_type", request.key_type().empty()
                                                        ? "ecdsa-p256"
                                                        : request.key_type()));
  absl::Duration validity = config_.default_validity;
  if (request.has_validity()) {
    validity = absl::Seconds(request.validity().seconds()) +
               absl::Nanoseconds(request.validity().nanos());
    if (validity < absl::Hours(1)) {
      return absl::InvalidArgumentError("validity: must be at least 1 hour");
    }
  }
  CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca,
                      request.issuer().empty() ? cas_.GetDefault()
                                               : cas_.Get(request.issuer()));
  if (clock_.Now() + validity > ca.not_after) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity: the certificate would outlive its issuer '",
                     ca.name, "', which expires ",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ca.not_after,
                                      absl::UTCTimeZone()),
                     "; shorten the validity or use another issuer"));
  }

  model::IssueJobPayload payload;
  payload.name = request.name();
  payload.names = std::move(names);
  payload.key_type = pki::KeyTypeName(key_type);
  payload.validity_seconds = absl::ToInt64Seconds(validity);
  payload.issuer_id = ca.id;
  return payload;
}

absl::StatusOr<v1::Certificate> CertificateApi::GetCertificate(
    const v1::GetCertificateRequest& request) {
  if (!IsUuid(request.id())) {
    return absl::InvalidArgumentError(
        "id: not a certificate id; use the id ImportCertificate or "
        "ListCertificates returned (a UUID)");
  }
  if (request.version() < 0) {
    return absl::InvalidArgumentError(
        "version: must be 0 (latest) or a positive version number");
  }
  return ReadCertificate(request.id(), request.version());
}

absl::StatusOr<v1::Certificate> CertificateApi::ReadCertificate(
    const std::string& id, int version) {
  struct Read {
    model::Certificate certificate;
    std::optional<model::Revocation> revocation;
    std::vector<model::RenewalRecord> renewal;
  };
  CF_ASSIGN_OR_RETURN(
      Read read, db_.RunInTransaction<Read>(
                     "get_certificate",
                     [&](storage::Transaction& tx) -> absl::StatusOr<Read> {
                       Read r;
                       CF_ASSIGN_OR_RETURN(r.certificate,
                                           storage::CertificateRepository::Get(
                                               tx, id, version));
                       CF_ASSIGN_OR_RETURN(r.revocation,
                                           storage::RevocationRepository::Find(
                                               tx, r.certificate.id,
                                               r.certificate.version.version));
                       CF_ASSIGN_OR_RETURN(
                           r.renewal, storage::RenewalRepository::GetRecords(
                                          tx, {id}, model::kRenewJobKind));
                       return r;
                     }));
  v1::Certificate out = ToProto(read.certificate);
  if (read.revocation) {
    *out.mutable_version()->mutable_revocation() =
        ToProto(*read.revocation, cas_.CrlUrl(read.revocation->issuer_ca_id));
  }
  if (!read.renewal.empty()) {
    *out.mutable_renewal() = ToProto(read.renewal.front(), clock_.Now());
  }
  return out;
}

absl::StatusOr<v1::Certificate> CertificateApi::UpdateRenewalPolicy(
    const v1::UpdateRenewalPolicyRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::Certificate> result = UpdatePolicyOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kUpdateRenewalPolicyMethod,
                      absl::StrCat("certificates/", request.certificate_id()),
                      "", result.status());
  }
  return result;
}

absl::StatusOr<v1::Certificate> CertificateApi::UpdatePolicyOrRefuse(
    const v1::UpdateRenewalPolicyRequest& request, const CallInfo& call) {
  if (!IsUuid(request.certificate_id())) {
    return absl::InvalidArgumentError(
        "certificate_id: not a certificate id; use the id GetCertificate or "
        "ListCertificates returns (a UUID)");
  }
  if (!request.has_policy()) {
    return absl::InvalidArgumentError(
        "policy: required; give the whole policy (an empty one restores the "
        "default: enabled, at two thirds of the lifetime)");
  }
  const v1::RenewalPolicy& p = request.policy();
  model::RenewalPolicy policy;
  policy.enabled = !p.has_enabled() || p.enabled();
  if (p.lifetime_fraction() != 0 && p.days_before_expiry() != 0) {
    return absl::InvalidArgumentError(
        "policy: set lifetime_fraction or days_before_expiry, not both");
  }
  if (p.lifetime_fraction() != 0) {
    // Earlier than a tenth would renew almost continuously; after 95% there
    // is little time left to retry a failure.
    if (!(p.lifetime_fraction() >= 0.1 && p.lifetime_fraction() <= 0.95)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy.lifetime_fraction: ", p.lifetime_fraction(),
          " is outside 0.1-0.95; e.g. 0.66 renews two thirds into the "
          "lifetime"));
    }
    policy.lifetime_fraction = p.lifetime_fraction();
  }
  if (p.days_before_expiry() != 0) {
    if (p.days_before_expiry() < 1 || p.days_before_expiry() > 3650) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy.days_before_expiry: ", p.days_before_expiry(),
                       " is outside 1-3650"));
    }
    policy.days_before_expiry = p.days_before_expiry();
  }
  CF_RETURN_IF_ERROR(db_.RunInTransaction(
      "update_renewal_policy", [&](storage::Transaction& tx) -> absl::Status {
        CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                            storage::CertificateRepository::Get(
                                tx, request.certificate_id(), 0));
        CF_RETURN_IF_ERROR(
            storage::RenewalRepository::SetPolicy(tx, certificate.id, policy));
        std::string summary =
            policy.enabled ? "renewal enabled" : "renewal disabled";
        if (policy.lifetime_fraction) {
          absl::StrAppend(&summary, " at ", *policy.lifetime_fraction,
                          " of the lifetime");
        } else if (policy.days_before_expiry) {
          absl::StrAppend(&summary, " ", *policy.days_before_expiry,
                          " days before expiry");
        }
        return storage::AuditRepository::Append(
            tx, {AuditEventFor(call, kUpdateRenewalPolicyMethod,
                               CertificateResource(certificate.name), "",
                               absl::OkStatus(), summary)});
      }));
  LogInfo(absl::StrCat("renewal policy updated certificate=",
                       request.certificate_id(), " actor=", call.actor));
  return ReadCertificate(request.certificate_id(), 0);
}

absl::StatusOr<v1::ListCertificatesResponse> CertificateApi::ListCertificates(
    const v1::ListCertificatesRequest& request) {
  if (request.page_size() < 0 || request.page_size() > config_.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 1 and ", config_.max_page_size,
                     " (0 means ", config_.default_page_size, ")"));
  }
  storage::CertificateListQuery query;
  query.page_size = request.page_size() == 0 ? config_.default_page_size
                                             : request.page_size();
  if (!request.order_by().empty() && request.order_by() != kOrderByName &&
      request.order_by() != kOrderByExpiry) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_by: '", request.order_by(),
                     "' is not supported; use name or not_after (soonest "
                     "expiry first)"));
  }
  query.by_expiry = ByExpiry(request);
  CF_RETURN_IF_ERROR(DecodePageToken(request, query));
  if (!request.domain().empty()) {
    CF_RETURN_IF_ERROR(
        pki::ValidateCertificateName("domain", request.domain()));
    query.domain = absl::AsciiStrToLower(request.domain());
    std::vector<absl::string_view> labels = absl::StrSplit(query.domain, '.');
    if (labels.size() > 2 && labels[0] != "*") {
      query.domain_wildcard =
          absl::StrCat("*", query.domain.substr(labels[0].size()));
    }
  }
  if (request.has_expiring_before()) {
    query.expiring_before = FromProto(request.expiring_before());
  }
  // One extra row tells whether another page follows.
  query.page_size += 1;
  const size_t page_size = static_cast<size_t>(query.page_size - 1);
  struct Page {
    std::vector<model::Certificate> rows;
    std::vector<model::RenewalRecord> renewals;
  };
  CF_ASSIGN_OR_RETURN(
      Page page,
      db_.RunInTransaction<Page>(
          "list_certificates",
          [&](storage::Transaction& tx) -> absl::StatusOr<Page> {
            Page p;
            CF_ASSIGN_OR_RETURN(
                p.rows, storage::CertificateRepository::List(tx, query));
            std::vector<std::string> ids;
            for (size_t i = 0; i < p.rows.size() && i < page_size; ++i) {
              ids.push_back(p.rows[i].id);
            }
            CF_ASSIGN_OR_RETURN(p.renewals,
                                storage::RenewalRepository::GetRecords(
                                    tx, ids, model::kRenewJobKind));
            return p;
          }));
  v1::ListCertificatesResponse response;
  const absl::Time now = clock_.Now();
  for (size_t i = 0; i < page.rows.size() && i < page_size; ++i) {
    v1::Certificate* c = response.add_certificates();
    *c = ToProto(page.rows[i]);
    // Records come back in row order; a certificate always has one.
    if (i < page.renewals.size() &&
        page.renewals[i].certificate_id == page.rows[i].id) {
      *c->mutable_renewal() = ToProto(page.renewals[i], now);
    }
  }
  if (page.rows.size() > page_size) {
    response.set_next_page_token(
        EncodePageToken(request, page.rows[page_size - 1]));
  }
  return response;
}

}  // namespace certferry::service
