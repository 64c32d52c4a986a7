#pragma once

// Where TLS terminates, as certferry deploys to it: read what is there (so
// it can be put back), apply a certificate, restore what was there, and say
// which endpoint serves it. File targets (nginx, Apache, HAProxy read PEM
// files) implement it here; cloud targets plug into the same interface.
// Implementations are used by one deployment at a time (deployments to a
// target are serialised above this layer), so they need not be thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret_string.h"

namespace certferry::targets {

// What a target holds. Keys are secrets: never logged or put in errors.
struct TargetContents {
  bool empty = true;      // nothing there (first deployment)
  std::string chain_pem;  // as found: leaf, then intermediates
  SecretString private_key_pem;
  // SHA-256 (lowercase hex) of the first certificate of chain_pem; empty
  // when there is none or it does not parse.
  std::string leaf_sha256;
};

// The TLS endpoint a deployment is verified against.
struct VerifyEndpoint {
  std::string host;  // name or IP literal, e.g. "127.0.0.1"
  int port = 443;
  std::string sni;  // empty: no SNI
};

struct ApplyOutcome {
  // What the target reported (e.g. the reload command's output), trimmed
  // to a few KiB; never contains key material.
  std::string output;
  // How the target itself can undo this apply (CAS: the deployment job and
  // worker), kept with the deployment for Undo; empty when it has no such
  // way and a rollback applies the previous contents instead.
  std::string undo_record;
};

class DeployTarget {
 public:
  virtual ~DeployTarget() = default;

  // What the target holds now.
  virtual absl::StatusOr<TargetContents> ReadCurrent() = 0;

  // Makes the target hold `contents` (contents.empty: remove what certferry
  // manages there) and takes it into use (e.g. reloads the server). On any
  // error the target holds what it held before, as far as the target can
  // ensure it, and the status says what failed (FAILED_PRECONDITION for a
  // rejected configuration such as a failed reload, with its output;
  // DEADLINE_EXCEEDED for a timeout; UNAVAILABLE for transient trouble).
  virtual absl::StatusOr<ApplyOutcome> Apply(
      const TargetContents& contents) = 0;

  // Undoes the apply that returned `undo_record`, the target's own way (CAS:
  // the worker-level rollback). UNIMPLEMENTED when the target has none; the
  // caller then applies the previous contents.
  virtual absl::StatusOr<ApplyOutcome> Undo(const std::string& undo_record) {
    (void)undo_record;
    return absl::UnimplementedError("this target has no undo of its own");
  }
};

}  // namespace certferry::targets
