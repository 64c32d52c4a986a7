#include "service/proto_convert.h"

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

}  // namespace certferry::service
