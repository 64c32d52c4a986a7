#include "targets/airec_target.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "mapping/certificate_info.h"
#include "mapping/certificate_info_xlsx.h"
#include "targets/file_target.h"

namespace certferry::targets {
namespace {

absl::Status WithContext(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::StatusOr<TargetContents> AirecTarget::ReadCurrent() {
  absl::StatusOr<cloud::AirecCertificateStatus> status =
      airec_.GetCertificateStatus(config_.instance_id);
  if (!status.ok()) {
    return WithContext(status.status(),
                       absl::StrCat("reading the certificate binding of AIRec "
                                    "instance ",
                                    config_.instance_id));
  }
  TargetContents contents;
  if (status->certificate_sha256.empty()) return contents;  // nothing bound
  contents.empty = false;
  contents.leaf_sha256 = status->certificate_sha256;
  return contents;
}

absl::StatusOr<ApplyOutcome> AirecTarget::Apply(
    const TargetContents& contents) {
  if (contents.empty || contents.chain_pem.empty()) {
    return absl::FailedPreconditionError(
        "an AIRec instance cannot be unbound through certferry; bind another "
        "certificate instead");
  }
  absl::StatusOr<std::vector<mapping::MappingRow>> rows =
      mapping::BindingRows(contents.chain_pem, config_.domains);
  absl::StatusOr<std::string> xlsx =
      rows.ok() ? mapping::WriteCertificateInfoXlsx(*rows)
                : absl::StatusOr<std::string>(rows.status());
  if (!xlsx.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing was sent to AIRec instance ", config_.instance_id,
                     ": ", xlsx.status().message(),
                     "\nfix the target's domains or deploy a certificate "
                     "that covers them"));
  }
  const std::string leaf = LeafSha256(contents.chain_pem);
  absl::StatusOr<std::string> started = airec_.BindCertificate(
      config_.instance_id, *xlsx, contents.chain_pem, contents.private_key_pem);
  if (!started.ok()) {
    if (absl::IsInvalidArgument(started.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "AIRec refused the binding: ", started.status().message()));
    }
    return WithContext(started.status(),
                       absl::StrCat("binding the certificate to AIRec "
                                    "instance ",
                                    config_.instance_id));
  }

  const absl::Time deadline = absl::Now() + config_.validation_timeout;
  absl::StatusOr<cloud::AirecCertificateStatus> status;
  while (true) {
    status = airec_.GetCertificateStatus(config_.instance_id);
    if (!status.ok()) {
      return WithContext(status.status(),
                         absl::StrCat("following the binding on AIRec "
                                      "instance ",
                                      config_.instance_id));
    }
    if (status->status == "SUCCESS" || status->status == "FAILED") break;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "AIRec instance ", config_.instance_id, " is still ", status->status,
          " (", status->validation_method, " validation of ",
          absl::StrJoin(config_.domains, ", "), ") after ",
          absl::FormatDuration(config_.validation_timeout),
          "; check that the validation record is in place"));
    }
    absl::SleepFor(config_.poll_interval);  // polling a remote validation
  }
  if (status->status == "FAILED") {
    return absl::FailedPreconditionError(
        absl::StrCat("AIRec instance ", config_.instance_id,
                     " failed the binding: ", status->failure_reason));
  }
  if (status->certificate_sha256 != leaf) {
    return absl::AbortedError(
        absl::StrCat("AIRec instance ", config_.instance_id, " reports ",
                     status->certificate_sha256, " bound, not ", leaf,
                     "; another binding ran at the same time"));
  }
  std::string output = absl::StrCat("AIRec instance ", config_.instance_id,
                                    " bound ", leaf.substr(0, 16), " for ",
                                    absl::StrJoin(config_.domains, ", "), " (",
                                    status->validation_method, " validation)");
  if (config_.enforce_https) {
    if (absl::Status enforced = airec_.EnforceHttps(config_.instance_id);
        !enforced.ok()) {
      return WithContext(
          enforced,
          absl::StrCat("enforcing HTTPS on AIRec instance ",
                       config_.instance_id, " (the certificate is bound)"));
    }
    absl::StrAppend(&output, "; HTTPS enforced");
  }
  return ApplyOutcome{output, ""};
}

}  // namespace certferry::targets
