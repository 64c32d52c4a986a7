#pragma once

// Turns a validated chain and its key into the rows a certificate version is
// stored as, sealing the key. Shared by import and issuance so both store
// versions the same way.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret_string.h"
#include "model/certificate.h"
#include "pki/certificate_bundle.h"
#include "pki/key_envelope.h"
#include "storage/certificate_repository.h"

namespace certferry::issuers {

// `chain` is the parsed `chain_pem`, leaf first. The key is sealed with
// `keys` under a new key id bound to its row.
absl::StatusOr<storage::NewCertificateVersion> BuildNewVersion(
    const std::string& certificate_name, const std::string& chain_pem,
    const std::vector<pki::CertificateInfo>& chain,
    const SecretString& private_key_pem, model::CertificateSource source,
    const pki::KeyRing& keys);

}  // namespace certferry::issuers
