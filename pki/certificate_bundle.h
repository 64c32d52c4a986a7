#pragma once

// Parsing and validation of a certificate chain and its private key, as a
// caller hands them to ImportCertificate. OpenSSL only; no I/O.
//
// Every error is INVALID_ARGUMENT (or FAILED_PRECONDITION for an expired or
// not-yet-valid chain) with a message of the form
//   "<field>: <what is wrong>; <how to fix>"
// where <field> is the request field name given in BundleFieldNames. Messages
// never contain private key material.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_string.h"

namespace certferry::pki {

// Facts about one X.509 certificate, as stored with a certificate version.
struct CertificateInfo {
  std::string serial_hex;          // uppercase hex, no separators
  std::string sha256_fingerprint;  // lowercase hex of SHA-256 over the DER
  std::string subject;             // RFC 2253 one-line form
  std::string issuer;              // RFC 2253 one-line form
  std::vector<std::string>
      dns_names;  // SAN dNSName entries, lowercase, in order
  std::vector<std::string> ip_addresses;  // SAN iPAddress entries, text form
  absl::Time not_before;
  absl::Time not_after;
  std::string key_type;      // "RSA", "ECDSA", "Ed25519", "Ed448"
  int key_bits = 0;          // RSA modulus bits, EC field bits (256/384/521)
  std::string curve;         // "P-256", "P-384", "P-521" for ECDSA, else empty
  int version = 0;           // 1-based X.509 version (3 for v3)
  bool is_ca = false;        // basicConstraints cA=TRUE
  bool self_signed = false;  // subject == issuer and verifies with own key
  std::string pem;           // the certificate re-encoded as canonical PEM
};

// A validated chain (leaf first) with its private key.
struct CertificateBundle {
  std::vector<CertificateInfo> chain;  // chain[0] is the leaf
  // The chain as given, re-encoded canonically: one PEM block per certificate,
  // leaf first, no text outside the blocks.
  std::string chain_pem;
  // The private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
  SecretString private_key_pem;
};

// Request field names used as prefixes in error messages.
struct BundleFieldNames {
  std::string chain = "chain_pem";
  std::string private_key = "private_key_pem";
};

struct BundleValidationOptions {
  absl::Time now;               // validity is checked against this instant
  bool accept_expired = false;  // when true, expired/not-yet-valid is allowed
  BundleFieldNames fields;
};

// Parses `chain_pem` (one or more PEM CERTIFICATE blocks, leaf first) and
// `private_key_pem` (exactly one unencrypted PEM private key in PKCS#8,
// traditional RSA or SEC1 EC form) and checks, in this order:
//  - chain: not empty, is PEM (DER or garbage named as such), no truncated
//    block, no non-certificate blocks, every certificate X.509 v3;
//  - leaf first: chain[0] is not a CA certificate when more certificates
//    follow, and each chain[i] is issued and signed by chain[i+1];
//  - key: present, PEM, not encrypted, exactly one key, matches the leaf's
//    public key;
//  - dates: every certificate valid at options.now unless accept_expired
//    (FAILED_PRECONDITION otherwise, naming the certificate and its dates).
// Returns INVALID_ARGUMENT / FAILED_PRECONDITION as described above.
absl::StatusOr<CertificateBundle> ParseCertificateBundle(
    absl::string_view chain_pem, const SecretString& private_key_pem,
    const BundleValidationOptions& options);

// Parses one or more PEM certificates without key or chain checks.
// INVALID_ARGUMENT (prefixed with `field`) on any parse problem.
absl::StatusOr<std::vector<CertificateInfo>> ParseCertificateChain(
    absl::string_view chain_pem, absl::string_view field);

// True when `pattern` (a SAN dNSName, possibly "*.example.com") covers the
// host name `name` per RFC 6125: exact match ignoring case, or a wildcard in
// the first label matching exactly one label.
bool NameCovers(absl::string_view pattern, absl::string_view name);

}  // namespace certferry::pki
