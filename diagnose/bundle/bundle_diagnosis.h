#pragma once

// Offline diagnosis of a certificate bundle: the chain and private key a
// user uploads, or the two files a file target serves. Evidence never holds
// key material (only public-key digests).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/secret_string.h"
#include "diagnose/finding.h"
#include "diagnose/rules/chain_rules.h"

namespace certferry::diagnose {

// Diagnoses `chain` (the bytes given: PEM, leaf first, or DER by mistake)
// and `private_key` (PEM; may be empty, encrypted or DER) against each of
// `domains` (names clients use; may be empty). Findings, unsorted:
//  - chain: DER_NOT_PEM (then diagnosed as converted), CERT_UNREADABLE
//    (empty, or neither PEM nor DER certificates; the evidence says what it
//    holds), and everything ChainFindings reports, with CHAIN_WRONG_ORDER
//    given as PEM_ORDER_WRONG; name findings once per domain;
//  - key: KEY_MISSING (empty, or no private key in it), KEY_ENCRYPTED
//    (passphrase-protected; the match cannot be checked), DER_NOT_PEM (then
//    checked as converted);
//  - match: KEY_MISMATCH when the key's public key is none of the
//    certificates' (evidence: the SHA-256 of each DER SubjectPublicKeyInfo,
//    what `openssl pkey -pubout -outform der | sha256sum` prints for the
//    key);
//  - order: one PEM_ORDER_WRONG, MEDIUM for issuers out of order, CRITICAL
//    when the first certificate is not the server's own (the key's, or the
//    first that is not a CA): a server takes the first as its own and
//    refuses to load the key with it (nginx: "key values mismatch").
// Thread-safe.
std::vector<Finding> DiagnoseBundle(absl::string_view chain,
                                    const SecretString& private_key,
                                    const std::vector<std::string>& domains,
                                    const ChainRuleOptions& options);

// Where a file target keeps its bundle (targets/file_target.h).
struct BundleFiles {
  std::string directory;  // absolute path
  std::string chain_file = "fullchain.pem";
  std::string key_file = "privkey.pem";
};

// Reads the two files and diagnoses their contents as DiagnoseBundle does,
// adding findings about the files themselves: FILE_MISSING (the directory
// or a file does not exist), FILE_UNREADABLE (not a regular file, larger
// than 1 MiB, or this process cannot read it: the evidence gives the
// error), and KEY_FILE_TOO_OPEN when the key file's mode grants others any
// access or the group write access (0600 is what certferry writes; 0640
// for a server group that reads it is accepted). A file that cannot be read
// is reported once, not again as KEY_MISSING or CERT_UNREADABLE. Reads
// only; thread-safe.
std::vector<Finding> DiagnoseBundleFiles(
    const BundleFiles& files, const std::vector<std::string>& domains,
    const ChainRuleOptions& options);

}  // namespace certferry::diagnose
