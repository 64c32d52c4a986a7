#pragma once

// Creating CA certificates, signing leaf certificates and CRLs for the
// built-in CA. OpenSSL only. Every certificate is X.509 v3 with a random
// 128-bit (positive, 16-byte) serial, SHA-256 (ECDSA) or SHA-256 RSA signature
// (RSA), subjectKeyIdentifier and authorityKeyIdentifier.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret_string.h"
#include "pki/certificate_bundle.h"
#include "pki/key_generation.h"

namespace certferry::pki {

struct CaCertificateSpec {
  std::string common_name;   // required
  std::string organization;  // optional O=
  absl::Time not_before;
  absl::Time not_after;
  // basicConstraints pathLenConstraint; -1 leaves it out.
  int path_length = -1;
};

// A self-signed root: basicConstraints critical CA:TRUE, keyUsage critical
// keyCertSign+cRLSign. Returns the certificate PEM. INVALID_ARGUMENT for an
// empty common name, not_after <= not_before or an unparsable key.
absl::StatusOr<std::string> CreateRootCaCertificate(
    const SecretString& ca_key_pem, const CaCertificateSpec& spec);

struct LeafSpec {
  // DNS names (possibly "*.example.com") and IP addresses, in order; every
  // one becomes a SAN (iPAddress for IPs, dNSName otherwise) and the first
  // is the subject CN. Must not be empty.
  std::vector<std::string> names;
  absl::Time not_before;
  absl::Time not_after;
  // When set, a cRLDistributionPoints extension (RFC 5280 §4.2.1.13) with
  // this one URI, where relying parties fetch the issuer's CRL. ASCII.
  std::string crl_distribution_point;
};

// One revoked certificate on a CRL.
struct RevokedCertificate {
  std::string serial_number;  // hex, as CertificateInfo::serial_number
  absl::Time revocation_time;
  // RFC 5280 §5.3.1 CRLReason code; 0 (unspecified) leaves the reasonCode
  // extension out, as §5.3.1 asks.
  int reason_code = 0;
};

struct CrlSpec {
  int64_t crl_number = 0;  // cRLNumber; at least 1
  absl::Time this_update;
  absl::Time next_update;
  std::vector<RevokedCertificate> revoked;
};

// Holds a parsed CA certificate and key for signing many certificates
// without re-parsing. Immutable after Load; thread-safe.
class CertificateSigner {
 public:
  // INVALID_ARGUMENT if the PEMs do not parse, the key does not match the
  // certificate, or the certificate is not a CA.
  static absl::StatusOr<std::unique_ptr<CertificateSigner>> Load(
      const std::string& ca_cert_pem, const SecretString& ca_key_pem);

  virtual ~CertificateSigner() = default;

  // The CA certificate's validity.
  virtual absl::Time not_before() const = 0;
  virtual absl::Time not_after() const = 0;

  // An intermediate CA certificate for `subject_key_pem`, issued by this
  // CA: extensions as for a root. INVALID_ARGUMENT if spec.not_after is
  // after this CA's notAfter or the spec is invalid.
  virtual absl::StatusOr<std::string> SignIntermediate(
      const SecretString& subject_key_pem,
      const CaCertificateSpec& spec) const = 0;

  // A leaf: basicConstraints CA:FALSE, keyUsage critical digitalSignature
  // (+keyEncipherment for RSA keys), extendedKeyUsage serverAuth, SANs and
  // cRLDistributionPoints per LeafSpec, issuer = this CA's subject.
  // INVALID_ARGUMENT if names is empty, not_after <= not_before, not_after is
  // after the CA's notAfter, or the CRL URI is not ASCII.
  virtual absl::StatusOr<std::string> SignLeaf(const SecretString& leaf_key_pem,
                                               const LeafSpec& spec) const = 0;
  // The same for a key held parsed (no PEM decoding: the fast path for
  // issuance).
  virtual absl::StatusOr<std::string> SignLeaf(const PrivateKey& leaf_key,
                                               const LeafSpec& spec) const = 0;
  // SignLeaf for a held key, returning the certificate's facts (its PEM in
  // `pem`) without parsing it back.
  virtual absl::StatusOr<CertificateInfo> SignAndDescribeLeaf(
      const PrivateKey& leaf_key, const LeafSpec& spec) const = 0;

  // A v2 CRL (RFC 5280 §5) from this CA, DER-encoded: issuer = this CA's
  // subject, authorityKeyIdentifier = its subjectKeyIdentifier, cRLNumber,
  // and the entries sorted by serial. INVALID_ARGUMENT for a crl_number
  // below 1, next_update not after this_update, a serial that is not hex or
  // a reason code RFC 5280 does not define.
  virtual absl::StatusOr<std::string> SignCrl(const CrlSpec& spec) const = 0;
};

}  // namespace certferry::pki
