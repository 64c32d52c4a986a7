#include "service/proto_convert.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/operation_api.h"

namespace certferry::service {

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(time);
  int64_t seconds = nanos / 1000000000;
  int64_t remainder = nanos % 1000000000;
  if (remainder < 0) {
    remainder += 1000000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(remainder));
}

absl::Time FromProto(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

v1::Certificate ToProto(const model::Certificate& c) {
  v1::Certificate out;
  out.set_id(c.id);
  out.set_name(c.name);
  for (const auto& d : c.domains) out.add_domains(d);
  out.set_version_count(c.version_count);
  ToProto(c.create_time, out.mutable_create_time());
  ToProto(c.update_time, out.mutable_update_time());
  const model::CertificateVersion& v = c.version;
  v1::CertificateVersion* pv = out.mutable_version();
  pv->set_version(v.version);
  pv->set_chain_pem(v.chain_pem);
  pv->set_chain_length(v.chain_length);
  pv->set_serial_number(v.serial_number);
  pv->set_sha256_fingerprint(v.sha256_fingerprint);
  pv->set_subject(v.subject);
  pv->set_issuer(v.issuer);
  for (const auto& n : v.dns_names) pv->add_dns_names(n);
  for (const auto& ip : v.ip_addresses) pv->add_ip_addresses(ip);
  ToProto(v.not_before, pv->mutable_not_before());
  ToProto(v.not_after, pv->mutable_not_after());
  pv->set_key_type(v.key_type);
  pv->set_key_bits(v.key_bits);
  pv->set_source(v.source == model::CertificateSource::kIssued
                     ? v1::CERTIFICATE_SOURCE_ISSUED
                     : v1::CERTIFICATE_SOURCE_IMPORTED);
  ToProto(v.create_time, pv->mutable_create_time());
  return out;
}

v1::RenewalPolicy ToProto(const model::RenewalPolicy& policy) {
  v1::RenewalPolicy out;
  out.set_enabled(policy.enabled);
  if (policy.lifetime_fraction) {
    out.set_lifetime_fraction(*policy.lifetime_fraction);
  }
  if (policy.days_before_expiry) {
    out.set_days_before_expiry(*policy.days_before_expiry);
  }
  return out;
}

v1::RenewalStatus ToProto(const model::RenewalRecord& r, absl::Time now) {
  v1::RenewalStatus out;
  *out.mutable_policy() = ToProto(r.policy);
  if (r.renewed_by_job_id != 0) {
    out.set_operation(OperationApi::OperationName(r.renewed_by_job_id));
    ToProto(r.renewed_time, out.mutable_last_attempt_time());
    out.set_renewed_from_version(r.renewed_from_version);
    out.set_renewed_to_version(r.latest_version);
  }
  if (r.issuer_kind.empty()) {
    out.set_state(v1::RENEWAL_STATE_NOT_RENEWABLE);
    return out;
  }
  // A job for the latest version says more than the policy: it runs even
  // if the policy was disabled after it was queued.
  if (r.job && r.job->state != model::JobState::kSucceeded) {
    const model::RenewalJobInfo& job = *r.job;
    out.set_operation(OperationApi::OperationName(job.id));
    out.set_attempts(job.attempts);
    if (job.attempts > 0) {
      ToProto(job.update_time, out.mutable_last_attempt_time());
    }
    if (!job.last_error.empty()) {
      out.set_last_error(
          absl::StrCat(absl::StatusCodeToString(
                           static_cast<absl::StatusCode>(job.last_error_code)),
                       ": ", job.last_error));
    }
    switch (job.state) {
      case model::JobState::kQueued:
        if (job.attempts > 0) {
          out.set_state(v1::RENEWAL_STATE_RETRYING);
          ToProto(job.run_at, out.mutable_next_renewal_time());
        } else {
          out.set_state(v1::RENEWAL_STATE_RENEWING);
        }
        break;
      case model::JobState::kRunning:
        out.set_state(v1::RENEWAL_STATE_RENEWING);
        break;
      default:  // failed, cancelled
        out.set_state(v1::RENEWAL_STATE_FAILED);
        break;
    }
    return out;
  }
  if (!r.policy.enabled) {
    out.set_state(v1::RENEWAL_STATE_DISABLED);
  } else if (r.not_after <= now) {
    out.set_state(v1::RENEWAL_STATE_EXPIRED);
  } else {
    out.set_state(v1::RENEWAL_STATE_SCHEDULED);
    ToProto(r.due_at, out.mutable_next_renewal_time());
  }
  return out;
}

}  // namespace certferry::service
