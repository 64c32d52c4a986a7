#pragma once

// certferry's built-in certificate authorities: creating root and
// intermediate CAs (keys generated here and stored sealed) and issuing leaf
// certificates from them. Thread-safe; decrypted CA keys are cached in
// memory per CA so issuing does not open the key for every certificate.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/secret_string.h"
#include "model/certificate.h"
#include "model/certificate_authority.h"
#include "pki/certificate_signer.h"
#include "pki/key_envelope.h"
#include "pki/key_generation.h"
#include "storage/database.h"

namespace certferry::issuers {

struct CreateAuthorityParams {
  std::string name;
  std::string common_name;  // defaults to name
  std::string organization;
  std::string parent;  // id or name; empty for a root
  pki::KeyType key_type = pki::KeyType::kEcdsaP256;
  std::optional<absl::Duration> validity;  // default 10 y root, 5 y inter.
  bool make_default = false;
};

struct IssueParams {
  std::vector<std::string> names;  // validated, normalised
  pki::KeyType key_type = pki::KeyType::kEcdsaP256;
  absl::Duration validity;
};

struct IssuedCertificate {
  std::string chain_pem;  // leaf, then intermediates (no root)
  std::vector<pki::CertificateInfo> chain;  // the facts of chain_pem's blocks
  SecretString private_key_pem;
};

struct AuthoritiesConfig {
  // Where certferry's CRLs are served, as http://host[:port][/path] without
  // a trailing slash. Leaves issued while it is set carry
  // CrlUrl(<their CA's id>) as their CRL distribution point; empty: none.
  std::string crl_base_url;
};

class CertificateAuthorities {
 public:
  // All references must outlive this object.
  CertificateAuthorities(storage::Database& db, const pki::KeyRing& keys,
                         const Clock& clock, AuthoritiesConfig config = {});

  // Generates the key, creates and stores the CA. INVALID_ARGUMENT for a
  // validity the parent cannot cover; NOT_FOUND for an unknown parent;
  // ALREADY_EXISTS for a taken name.
  // `also_in_transaction`, if given, runs in the transaction that stores
  // the CA, after it is stored (e.g. to append its audit event); its error
  // rolls the creation back and is returned.
  using CreateHook = std::function<absl::Status(
      storage::Transaction&, const model::CertificateAuthority&)>;
  absl::StatusOr<model::CertificateAuthority> Create(
      const CreateAuthorityParams& params,
      const CreateHook& also_in_transaction = nullptr);

  // By id or name; NOT_FOUND. Found CAs are remembered for a few seconds
  // (CA records do not change; this spares issuance a read per
  // certificate).
  absl::StatusOr<model::CertificateAuthority> Get(
      const std::string& id_or_name);
  // The default CA; NOT_FOUND (saying how to create one) if none. Cached
  // like Get: another replica's new default is seen within seconds.
  absl::StatusOr<model::CertificateAuthority> GetDefault();
  absl::StatusOr<std::vector<model::CertificateAuthority>> List();

  // Signs a new certificate for `params` under `ca`. INVALID_ARGUMENT if
  // the validity outlives the CA.
  absl::StatusOr<IssuedCertificate> Issue(const model::CertificateAuthority& ca,
                                          const IssueParams& params);

  // Signs a CRL as `ca` (see pki::CertificateSigner::SignCrl); DER. Opens
  // the CA's key on first use like Issue, which reads the database, so call
  // Prepare first when a transaction is open.
  absl::StatusOr<std::string> SignCrl(const model::CertificateAuthority& ca,
                                      const pki::CrlSpec& spec);

  // Loads `ca`'s signer (key opened) so that later Issue and SignCrl calls
  // for it need no database read.
  absl::Status Prepare(const model::CertificateAuthority& ca);

  // The URL of CA `ca_id`'s CRL: <crl_base_url>/crl/<ca_id>.crl; empty
  // when no crl_base_url is configured.
  std::string CrlUrl(const std::string& ca_id) const;

  // The root certificate (last block) of a CA chain.
  static std::string RootOf(const std::string& chain_pem);

 private:
  absl::StatusOr<std::shared_ptr<const pki::CertificateSigner>> Signer(
      const model::CertificateAuthority& ca);
  absl::StatusOr<model::EncryptedPrivateKey> Seal(const SecretString& key_pem);
  std::optional<model::CertificateAuthority> Cached(const std::string& key);
  void Remember(const std::string& key, const model::CertificateAuthority& ca);

  storage::Database& db_;
  const pki::KeyRing& keys_;
  const Clock& clock_;
  const AuthoritiesConfig config_;
  std::mutex mu_;
  struct LoadedSigner {
    std::shared_ptr<const pki::CertificateSigner> signer;
    // The CA's chain without its root, what follows an issued leaf.
    std::vector<pki::CertificateInfo> intermediates;
  };
  absl::StatusOr<LoadedSigner> Load(const model::CertificateAuthority& ca);
  std::map<std::string, LoadedSigner> signers_;  // by CA id
  struct CachedAuthority {
    model::CertificateAuthority ca;
    absl::Time expires;
  };
  // By the id or name asked for; "" holds the default.
  std::map<std::string, CachedAuthority> records_;
};

// Associated data binding a sealed key to its own row, so a ciphertext
// copied onto another key row does not decrypt.
std::string PrivateKeyAad(const std::string& key_id);

}  // namespace certferry::issuers
