#pragma once

// The DiagnosticsService RPCs as plain C++: validation, resolving what a
// request names (a stored certificate, a target) and running diagnose/.
// Diagnoses store nothing. Thread-safe.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certferry/v1/diagnosis_service.pb.h"
#include "pki/key_envelope.h"
#include "storage/database.h"

namespace certferry::service {

struct DiagnosisApiConfig {
  absl::Duration default_deadline = absl::Seconds(10);
  absl::Duration max_deadline = absl::Seconds(60);
  size_t max_chain_bytes = 1 << 20;
  size_t max_key_bytes = 64 << 10;
  size_t max_trust_bundle_bytes = 1 << 20;
};

class DiagnosisApi {
 public:
  // References must outlive this object.
  DiagnosisApi(storage::Database& db, const pki::KeyRing& keys,
               DiagnosisApiConfig config = {})
      : db_(db), keys_(keys), config_(config) {}

  // `call_deadline` caps the request's own deadline (the RPC's).
  absl::StatusOr<v1::DiagnosisReport> DiagnoseEndpoint(
      const v1::DiagnoseEndpointRequest& r,
      absl::Time call_deadline = absl::InfiniteFuture());
  absl::StatusOr<v1::DiagnosisReport> DiagnoseBundle(
      const v1::DiagnoseBundleRequest& r);

 private:
  // The extra trusted roots a request asks for: its bundle (validated) plus
  // the built-in CAs' roots when asked.
  absl::StatusOr<std::string> TrustPem(const std::string& bundle,
                                       bool builtin_cas);

  storage::Database& db_;
  const pki::KeyRing& keys_;
  DiagnosisApiConfig config_;
};

}  // namespace certferry::service
