#pragma once

// Findings about a certificate chain as a server presents it (or as a
// bundle gives it): trust, order, names, dates, keys and signatures. Pure:
// the only inputs are the certificates and the options (OpenSSL does the
// X.509 work; no network, no files beyond the system trust store).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "diagnose/finding.h"
#include "pki/certificate_bundle.h"

namespace certferry::diagnose {

struct ChainRuleOptions {
  // Dates are judged at this instant (expiry, days left).
  absl::Time now = absl::Now();
  // The name clients use (DNS name or IP address); empty: the name rules
  // are skipped.
  std::string expected_domain;
  // Extra trusted roots (PEM, any number): the built-in CA's root or an
  // enterprise CA. Blocks that are not certificates are ignored.
  std::string extra_trust_pem;
  // Also trust the system store (Debian's /etc/ssl/certs; its bundle file is
  // read once per process, its hashed directory on each lookup).
  bool use_system_trust = true;
};

// `chain_pem`: the certificates in the order presented, one PEM block each,
// leaf first. Returns every finding, OK ones included (CHAIN_TRUSTED,
// HOSTNAME_MATCH, CERT_VALIDITY_OK), in check order, unsorted. An empty
// chain yields no findings. Thread-safe.
//
// Checks, in order:
//  - parsing: CERT_UNREADABLE for an entry that is not a certificate;
//  - structure: the leaf's path is followed through the presented
//    certificates by issuer name and signature: CHAIN_DUPLICATE_CERT,
//    CHAIN_WRONG_ORDER, CHAIN_UNRELATED_CERT, CHAIN_ROOT_SENT (INFO),
//    CHAIN_SIGNATURE_INVALID (an issuer named and sent whose key did not
//    sign);
//  - trust: X509_verify_cert against the system store (use_system_trust)
//    plus extra_trust_pem, dates ignored: CHAIN_TRUSTED, CHAIN_INCOMPLETE
//    (the leaf's issuer is not sent, or only the trust store supplied an
//    intermediate), CERT_SELF_SIGNED, CHAIN_UNTRUSTED_ISSUER (a sent
//    intermediate's issuer, or a sent root, is not trusted),
//    CHAIN_VERIFY_FAILED (any other reason OpenSSL gives), and
//    INTERMEDIATE_EXPIRED for an expired intermediate on the path;
//  - names (expected_domain set): see NameFindings;
//  - leaf dates: CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_EXPIRES_SOON_30
//    (30 days left or less), CERT_EXPIRES_SOON_60 (60 or less), or
//    CERT_VALIDITY_OK;
//  - keys and signatures of the leaf and the intermediates sent (not of a
//    self-signed root: clients use their own copy and ignore its
//    signature): KEY_TOO_SMALL (RSA under 2048 bits), SIGNATURE_WEAK
//    (SHA-1, MD5), CERT_NOT_V3, and EKU_SERVER_AUTH_MISSING for a leaf
//    whose extendedKeyUsage lacks serverAuth and anyExtendedKeyUsage (no
//    extendedKeyUsage at all allows any use).
std::vector<Finding> ChainFindings(const std::vector<std::string>& chain_pem,
                                   const ChainRuleOptions& options);

// The name findings for leaf certificate `leaf_pem` (one PEM block) and the
// name clients use, `domain` (a DNS name, possibly with a trailing dot, or an
// IP address): HOSTNAME_MATCH when a subjectAltName covers it (RFC 6125: a
// wildcard stands for exactly one left-most label; IP addresses only match
// iPAddress entries), else HOSTNAME_MISMATCH; without any DNS/IP
// subjectAltName, CERT_CN_ONLY when the Common Name covers the domain, else
// CERT_NO_SAN and HOSTNAME_MISMATCH. CERT_UNREADABLE for a `leaf_pem` that
// does not parse. Thread-safe.
std::vector<Finding> NameFindings(absl::string_view leaf_pem,
                                  absl::string_view domain);

// Which of `chain` (as presented) the rules treat as the leaf: 0, unless
// certificate 0 is a CA and a later one is not (a bundle pasted issuer
// first), then the first that is not a CA. 0 for an empty chain.
size_t LeafPosition(const std::vector<pki::CertificateInfo>& chain);

}  // namespace certferry::diagnose
