#include "issuers/stored_versions.h"

#include "common/ids.h"
#include "common/status_macros.h"
#include "issuers/certificate_authorities.h"

namespace certferry::issuers {

absl::StatusOr<storage::NewCertificateVersion> BuildNewVersion(
    const std::string& certificate_name, const std::string& chain_pem,
    const std::vector<pki::CertificateInfo>& chain,
    const SecretString& private_key_pem, model::CertificateSource source,
    const pki::KeyRing& keys) {
  if (chain.empty()) {
    return absl::InvalidArgumentError("chain_pem: no certificate");
  }
  const pki::CertificateInfo& leaf = chain.front();
  storage::NewCertificateVersion input;
  input.certificate_name = certificate_name;
  model::CertificateVersion& v = input.version;
  v.chain_pem = chain_pem;
  v.chain_length = static_cast<int>(chain.size());
  v.serial_number = leaf.serial_hex;
  v.sha256_fingerprint = leaf.sha256_fingerprint;
  v.subject = leaf.subject;
  v.issuer = leaf.issuer;
  v.dns_names = leaf.dns_names;
  v.ip_addresses = leaf.ip_addresses;
  v.not_before = leaf.not_before;
  v.not_after = leaf.not_after;
  v.key_type = leaf.key_type;
  v.key_bits = leaf.key_bits;
  v.source = source;

  input.private_key.id = NewUuid();
  CF_ASSIGN_OR_RETURN(
      pki::SealedSecret sealed,
      keys.Seal(private_key_pem, PrivateKeyAad(input.private_key.id)));
  input.private_key.kek_id = sealed.kek_id;
  input.private_key.nonce = std::move(sealed.nonce);
  input.private_key.ciphertext = std::move(sealed.ciphertext);
  return input;
}

}  // namespace certferry::issuers
