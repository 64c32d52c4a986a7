#pragma once

// pki-internal: describing an in-memory OpenSSL certificate. Not for use
// outside pki/ (it exposes OpenSSL types).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/certificate_bundle.h"

namespace certferry::pki::internal {

// The facts of `cert`. `public_key` is the certificate's public key when the
// caller holds it already (X509_get0_pubkey would decode it again through
// OpenSSL 3's decoder framework, the most expensive step); null: read it
// from the certificate. `where` prefixes errors ("chain_pem certificate 2").
absl::StatusOr<CertificateInfo> DescribeX509(X509* cert, EVP_PKEY* public_key,
                                             absl::string_view where);

}  // namespace certferry::pki::internal
