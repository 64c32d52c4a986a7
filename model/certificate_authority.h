#pragma once

#include <string>

#include "absl/time/time.h"

namespace certferry::model {

// A built-in CA. Its private key lives in private_keys (sealed).
struct CertificateAuthority {
  std::string id;
  std::string name;
  std::string parent_id;  // empty for a root
  std::string chain_pem;  // this CA's certificate, then parents to the root
  std::string subject;
  std::string sha256_fingerprint;
  std::string key_type;
  absl::Time not_before;
  absl::Time not_after;
  std::string private_key_id;
  bool is_default = false;
  absl::Time create_time;
};

}  // namespace certferry::model
