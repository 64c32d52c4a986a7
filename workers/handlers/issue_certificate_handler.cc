#include "workers/handlers/issue_certificate_handler.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "certferry/jobs/v1/jobs.pb.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "issuers/stored_versions.h"
#include "pki/certificate_bundle.h"
#include "pki/key_generation.h"
#include "storage/certificate_repository.h"

namespace certferry::workers {
namespace {

absl::StatusOr<std::string> ResultJson(const model::Certificate& certificate) {
  jobs::v1::IssueCertificateResult result;
  result.set_certificate_id(certificate.id);
  result.set_version(certificate.version.version);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(result, &json).ok()) {
    return absl::InternalError("encoding the job result failed");
  }
  return json;
}

}  // namespace

absl::StatusOr<std::string> IssueCertificateHandler::Run(JobContext& context) {
  jobs::v1::IssueCertificatePayload payload;
  if (!google::protobuf::util::JsonStringToMessage(context.payload_json(),
                                                   &payload)
           .ok()) {
    return absl::InvalidArgumentError(
        "payload: not an IssueCertificatePayload");
  }
  auto find_existing = [&] {
    return db_.RunAutocommit<std::optional<model::Certificate>>(
        "find_issued_version", [&](storage::Transaction& tx) {
          return storage::CertificateRepository::FindIssuedByJob(tx,
                                                                 context.id());
        });
  };
  // Only a re-run can find its own earlier result (a first run racing a
  // stale one is caught by the unique issued_by_job_id below).
  std::optional<model::Certificate> existing;
  if (context.attempt() > 1) {
    CF_ASSIGN_OR_RETURN(existing, find_existing());
    if (existing) return ResultJson(*existing);
  }

  context.ReportProgress("signing");
  CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca,
                      authorities_.Get(payload.issuer_id()));
  CF_ASSIGN_OR_RETURN(pki::KeyType key_type,
                      pki::ParseKeyType("key_type", payload.key_type()));
  issuers::IssueParams params;
  params.names.assign(payload.names().begin(), payload.names().end());
  params.key_type = key_type;
  params.validity = absl::Seconds(payload.validity_seconds());
  CF_ASSIGN_OR_RETURN(issuers::IssuedCertificate issued,
                      authorities_.Issue(ca, params));
  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      issuers::BuildNewVersion(payload.name(), issued.chain_pem, issued.chain,
                               issued.private_key_pem,
                               model::CertificateSource::kIssued, keys_));
  input.issued_by_job_id = context.id();
  input.issuer_ca_id = ca.id;

  context.ReportProgress("storing");
  auto stored = db_.RunInTransaction<model::Certificate>(
      "store_issued_version", [&](storage::Transaction& tx) {
        return storage::CertificateRepository::AddVersion(tx, input);
      });
  if (stored.status().code() == absl::StatusCode::kAlreadyExists) {
    // A concurrent run of this same job stored first; report its version.
    CF_ASSIGN_OR_RETURN(existing, find_existing());
    if (existing) return ResultJson(*existing);
  }
  if (!stored.ok()) return stored.status();
  LogInfo(absl::StrCat("issued certificate name=", stored->name,
                       " version=", stored->version.version, " sha256=",
                       stored->version.sha256_fingerprint, " ca=", ca.name,
                       " operation=operations/", context.id()));
  return ResultJson(*stored);
}

}  // namespace certferry::workers
