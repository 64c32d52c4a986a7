#include "issuers/certificate_authorities.h"

#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "pki/certificate_bundle.h"
#include "storage/certificate_authority_repository.h"

namespace certferry::issuers {
namespace {

constexpr absl::Duration kDefaultRootValidity = absl::Hours(24 * 3650);
constexpr absl::Duration kDefaultIntermediateValidity = absl::Hours(24 * 1825);
// Backdating absorbs clock skew between us and relying parties.
constexpr absl::Duration kBackdate = absl::Minutes(5);
constexpr absl::Duration kRecordCacheTtl = absl::Seconds(5);

std::vector<std::string> PemBlocks(const std::string& chain_pem) {
  std::vector<std::string> blocks;
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t start = 0;
  while (true) {
    const size_t begin = chain_pem.find("-----BEGIN CERTIFICATE-----", start);
    if (begin == std::string::npos) break;
    const size_t end = chain_pem.find(kEnd, begin);
    if (end == std::string::npos) break;
    blocks.push_back(chain_pem.substr(begin, end + kEnd.size() - begin) + "\n");
    start = end + kEnd.size();
  }
  return blocks;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

std::string PrivateKeyAad(const std::string& key_id) {
  return absl::StrCat("certferry/private_key/", key_id);
}

CertificateAuthorities::CertificateAuthorities(storage::Database& db,
                                               const pki::KeyRing& keys,
                                               const Clock& clock,
                                               AuthoritiesConfig config)
    : db_(db), keys_(keys), clock_(clock), config_(std::move(config)) {}

std::string CertificateAuthorities::CrlUrl(const std::string& ca_id) const {
  if (config_.crl_base_url.empty()) return "";
  return absl::StrCat(config_.crl_base_url, "/crl/", ca_id, ".crl");
}

std::string CertificateAuthorities::RootOf(const std::string& chain_pem) {
  std::vector<std::string> blocks = PemBlocks(chain_pem);
  return blocks.empty() ? std::string() : blocks.back();
}

absl::StatusOr<model::EncryptedPrivateKey> CertificateAuthorities::Seal(
    const SecretString& key_pem) {
  model::EncryptedPrivateKey key;
  key.id = NewUuid();
  CF_ASSIGN_OR_RETURN(pki::SealedSecret sealed,
                      keys_.Seal(key_pem, PrivateKeyAad(key.id)));
  key.kek_id = sealed.kek_id;
  key.nonce = std::move(sealed.nonce);
  key.ciphertext = std::move(sealed.ciphertext);
  return key;
}

absl::StatusOr<model::CertificateAuthority> CertificateAuthorities::Create(
    const CreateAuthorityParams& params,
    const CreateHook& also_in_transaction) {
  const absl::Time now = clock_.Now();
  pki::CaCertificateSpec spec;
  spec.common_name =
      params.common_name.empty() ? params.name : params.common_name;
  spec.organization = params.organization;
  spec.not_before = now - kBackdate;

  std::optional<model::CertificateAuthority> parent;
  if (!params.parent.empty()) {
    CF_ASSIGN_OR_RETURN(parent, Get(params.parent));
  }
  absl::Duration validity = params.validity.value_or(
      parent ? kDefaultIntermediateValidity : kDefaultRootValidity);
  if (validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("validity: must be positive");
  }
  spec.not_after = now + validity;
  if (parent && spec.not_after > parent->not_after) {
    if (params.validity) {
      return absl::InvalidArgumentError(
          absl::StrCat("validity: would end ", Rfc3339(spec.not_after),
                       ", after the parent CA '", parent->name, "' expires (",
                       Rfc3339(parent->not_after), "); shorten it"));
    }
    spec.not_after = parent->not_after;  // default validity: cap quietly
  }

  CF_ASSIGN_OR_RETURN(SecretString key_pem,
                      pki::GeneratePrivateKey(params.key_type));
  std::string chain_pem;
  if (parent) {
    CF_ASSIGN_OR_RETURN(auto signer, Signer(*parent));
    CF_ASSIGN_OR_RETURN(std::string cert,
                        signer->SignIntermediate(key_pem, spec));
    chain_pem = cert + parent->chain_pem;
  } else {
    CF_ASSIGN_OR_RETURN(chain_pem, pki::CreateRootCaCertificate(key_pem, spec));
  }
  CF_ASSIGN_OR_RETURN(std::vector<pki::CertificateInfo> infos,
                      pki::ParseCertificateChain(chain_pem, "chain_pem"));

  model::CertificateAuthority ca;
  ca.name = params.name;
  ca.parent_id = parent ? parent->id : "";
  ca.chain_pem = chain_pem;
  ca.subject = infos.front().subject;
  ca.sha256_fingerprint = infos.front().sha256_fingerprint;
  ca.key_type = pki::KeyTypeName(params.key_type);
  ca.not_before = infos.front().not_before;
  ca.not_after = infos.front().not_after;
  CF_ASSIGN_OR_RETURN(model::EncryptedPrivateKey key, Seal(key_pem));
  ca.private_key_id = key.id;

  CF_ASSIGN_OR_RETURN(
      model::CertificateAuthority stored,
      db_.RunInTransaction<model::CertificateAuthority>(
          "create_certificate_authority",
          [&](storage::Transaction& tx)
              -> absl::StatusOr<model::CertificateAuthority> {
            CF_ASSIGN_OR_RETURN(
                model::CertificateAuthority created,
                storage::CertificateAuthorityRepository::Create(tx, ca, key));
            CF_ASSIGN_OR_RETURN(
                auto current_default,
                storage::CertificateAuthorityRepository::GetDefault(tx));
            if (params.make_default || !current_default) {
              CF_RETURN_IF_ERROR(
                  storage::CertificateAuthorityRepository::SetDefault(
                      tx, created.id));
              created.is_default = true;
            }
            if (also_in_transaction) {
              CF_RETURN_IF_ERROR(also_in_transaction(tx, created));
            }
            return created;
          }));
  LogInfo(absl::StrCat("created certificate authority name=", stored.name,
                       " id=", stored.id, " subject=", stored.subject,
                       " default=", stored.is_default ? "yes" : "no"));
  {
    // The default (and is_default of the others) may have changed.
    std::lock_guard<std::mutex> lock(mu_);
    records_.clear();
  }
  return stored;
}

absl::StatusOr<model::CertificateAuthority> CertificateAuthorities::Get(
    const std::string& id_or_name) {
  if (id_or_name.empty()) {
    return absl::InvalidArgumentError("issuer: empty; give a CA id or name");
  }
  if (auto cached = Cached(id_or_name)) return *cached;
  CF_ASSIGN_OR_RETURN(
      model::CertificateAuthority ca,
      db_.RunAutocommit<model::CertificateAuthority>(
          "get_certificate_authority", [&](storage::Transaction& tx) {
            return storage::CertificateAuthorityRepository::Get(tx, id_or_name);
          }));
  Remember(id_or_name, ca);
  return ca;
}

std::optional<model::CertificateAuthority> CertificateAuthorities::Cached(
    const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end() || absl::Now() >= it->second.expires) {
    return std::nullopt;
  }
  return it->second.ca;
}

void CertificateAuthorities::Remember(const std::string& key,
                                      const model::CertificateAuthority& ca) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[key] = {ca, absl::Now() + kRecordCacheTtl};
}

absl::StatusOr<model::CertificateAuthority>
CertificateAuthorities::GetDefault() {
  if (auto cached = Cached("")) return *cached;
  CF_ASSIGN_OR_RETURN(
      std::optional<model::CertificateAuthority> ca,
      db_.RunAutocommit<std::optional<model::CertificateAuthority>>(
          "get_default_certificate_authority", [](storage::Transaction& tx) {
            return storage::CertificateAuthorityRepository::GetDefault(tx);
          }));
  if (!ca) {
    return absl::NotFoundError(
        "issuer: no default certificate authority; create one with "
        "CreateCertificateAuthority (certferry ca create NAME) or name an "
        "issuer");
  }
  Remember("", *ca);
  return *ca;
}

absl::StatusOr<std::vector<model::CertificateAuthority>>
CertificateAuthorities::List() {
  return db_.RunAutocommit<std::vector<model::CertificateAuthority>>(
      "list_certificate_authorities", [](storage::Transaction& tx) {
        return storage::CertificateAuthorityRepository::List(tx);
      });
}

absl::StatusOr<std::shared_ptr<const pki::CertificateSigner>>
CertificateAuthorities::Signer(const model::CertificateAuthority& ca) {
  CF_ASSIGN_OR_RETURN(LoadedSigner loaded, Load(ca));
  return loaded.signer;
}

absl::StatusOr<CertificateAuthorities::LoadedSigner>
CertificateAuthorities::Load(const model::CertificateAuthority& ca) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = signers_.find(ca.id); it != signers_.end()) return it->second;
  }
  CF_ASSIGN_OR_RETURN(
      model::EncryptedPrivateKey key,
      db_.RunAutocommit<model::EncryptedPrivateKey>(
          "get_ca_key", [&](storage::Transaction& tx) {
            return storage::CertificateAuthorityRepository::GetPrivateKey(
                tx, ca.private_key_id);
          }));
  CF_ASSIGN_OR_RETURN(SecretString key_pem,
                      keys_.Open({key.kek_id, key.nonce, key.ciphertext},
                                 PrivateKeyAad(key.id)));
  std::vector<std::string> blocks = PemBlocks(ca.chain_pem);
  if (blocks.empty()) {
    return absl::DataLossError(absl::StrCat("certificate authority ", ca.name,
                                            ": stored chain has no PEM"));
  }
  CF_ASSIGN_OR_RETURN(std::unique_ptr<pki::CertificateSigner> signer,
                      pki::CertificateSigner::Load(blocks.front(), key_pem));
  LoadedSigner loaded;
  loaded.signer = std::move(signer);
  CF_ASSIGN_OR_RETURN(loaded.intermediates,
                      pki::ParseCertificateChain(ca.chain_pem, "ca chain"));
  loaded.intermediates.pop_back();  // the root
  std::lock_guard<std::mutex> lock(mu_);
  signers_[ca.id] = loaded;
  return loaded;
}

absl::StatusOr<IssuedCertificate> CertificateAuthorities::Issue(
    const model::CertificateAuthority& ca, const IssueParams& params) {
  CF_ASSIGN_OR_RETURN(LoadedSigner loaded, Load(ca));
  const absl::Time now = clock_.Now();
  pki::LeafSpec spec;
  spec.names = params.names;
  spec.not_before = now - kBackdate;
  spec.not_after = now + params.validity;
  spec.crl_distribution_point = CrlUrl(ca.id);
  if (spec.not_after > ca.not_after) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity: would end ", Rfc3339(spec.not_after),
                     ", after the issuing CA '", ca.name, "' expires (",
                     Rfc3339(ca.not_after), "); shorten it"));
  }
  IssuedCertificate issued;
  CF_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::GenerateKey(params.key_type));
  CF_ASSIGN_OR_RETURN(pki::CertificateInfo leaf,
                      loaded.signer->SignAndDescribeLeaf(key, spec));
  issued.private_key_pem = key.pem();
  // Leaf, then the CA chain without its root: what servers should send.
  issued.chain_pem = leaf.pem;
  issued.chain.push_back(std::move(leaf));
  for (const pki::CertificateInfo& intermediate : loaded.intermediates) {
    issued.chain_pem += intermediate.pem;
    issued.chain.push_back(intermediate);
  }
  return issued;
}

absl::StatusOr<std::string> CertificateAuthorities::SignCrl(
    const model::CertificateAuthority& ca, const pki::CrlSpec& spec) {
  CF_ASSIGN_OR_RETURN(auto signer, Signer(ca));
  return signer->SignCrl(spec);
}

absl::Status CertificateAuthorities::Prepare(
    const model::CertificateAuthority& ca) {
  return Signer(ca).status();
}

}  // namespace certferry::issuers
