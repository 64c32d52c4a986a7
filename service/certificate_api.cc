#include "service/certificate_api.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/certificate_repository.h"
#include "storage/request_id_repository.h"

namespace certferry::service {
namespace {

constexpr char kImportMethod[] = "ImportCertificate";
constexpr char kPageTokenVersion[] = "v1";

// Associated data binding a sealed key to its own row, so a ciphertext
// copied onto another key row does not decrypt.
std::string PrivateKeyAad(const std::string& key_id) {
  return absl::StrCat("certferry/private_key/", key_id);
}

std::string ImportRequestDigest(const v1::ImportCertificateRequest& r) {
  // Length-prefixed fields so no two different requests hash alike.
  std::string material;
  for (const std::string* field :
       {&r.name(), &r.chain_pem(), &r.private_key_pem()}) {
    absl::StrAppend(&material, field->size(), ":", *field, ";");
  }
  absl::StrAppend(&material, r.accept_expired() ? "1" : "0");
  return pki::Sha256Hex(material);
}

absl::Status CheckSameRequest(const storage::RequestRecord& earlier,
                              const std::string& method,
                              const std::string& digest) {
  if (earlier.method != method || earlier.request_sha256 != digest) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id: already used by an earlier ", earlier.method,
                     " request with different content; use a new request_id "
                     "for a different request"));
  }
  return absl::OkStatus();
}

// The filters a page token is bound to, so a token cannot be replayed
// against different filters.
std::string FilterKey(const v1::ListCertificatesRequest& r) {
  return pki::Sha256Hex(
             absl::StrCat(r.domain(), "\n",
                          r.has_expiring_before()
                              ? absl::StrCat(r.expiring_before().seconds(), ".",
                                             r.expiring_before().nanos())
                              : ""))
      .substr(0, 16);
}

std::string EncodePageToken(const v1::ListCertificatesRequest& r,
                            const std::string& last_name) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kPageTokenVersion, "\n", FilterKey(r), "\n", last_name));
}

absl::StatusOr<std::string> DecodePageToken(
    const v1::ListCertificatesRequest& r) {
  if (r.page_token().empty()) return std::string();
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(r.page_token(), &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits('\n', 2));
  }
  if (parts.size() != 3 || parts[0] != kPageTokenVersion) {
    return absl::InvalidArgumentError(
        "page_token: not a token from ListCertificates; pass the "
        "next_page_token of the previous response unchanged");
  }
  if (parts[1] != FilterKey(r)) {
    return absl::InvalidArgumentError(
        "page_token: was issued for different filters; repeat the filters of "
        "the first call or start again without page_token");
  }
  return parts[2];
}

}  // namespace

CertificateApi::CertificateApi(storage::Database& db, const pki::KeyRing& keys,
                               const Clock& clock, CertificateApiConfig config)
    : db_(db), keys_(keys), clock_(clock), config_(config) {}

absl::StatusOr<v1::Certificate> CertificateApi::ImportCertificate(
    const v1::ImportCertificateRequest& request) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", request.name()));
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  if (request.chain_pem().size() > config_.max_chain_pem_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chain_pem: larger than ", config_.max_chain_pem_bytes / 1024,
        " KiB; send only the leaf and its intermediates"));
  }
  if (request.private_key_pem().size() > config_.max_private_key_pem_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("private_key_pem: larger than ",
                     config_.max_private_key_pem_bytes / 1024,
                     " KiB; send exactly one unencrypted PEM private key"));
  }

  const std::string& request_id = request.request_id();
  const std::string digest = ImportRequestDigest(request);
  if (!request_id.empty()) {
    // A retry of a completed import returns its result even if the chain
    // has expired since.
    CF_ASSIGN_OR_RETURN(
        std::optional<model::Certificate> replay,
        db_.RunInTransaction<std::optional<model::Certificate>>(
            "find_import_request",
            [&](storage::Transaction& tx)
                -> absl::StatusOr<std::optional<model::Certificate>> {
              CF_ASSIGN_OR_RETURN(
                  auto earlier,
                  storage::RequestIdRepository::Find(tx, request_id));
              if (!earlier) return std::nullopt;
              CF_RETURN_IF_ERROR(
                  CheckSameRequest(*earlier, kImportMethod, digest));
              return storage::CertificateRepository::Get(
                  tx, earlier->resource_id, earlier->resource_version);
            }));
    if (replay) return ToProto(*replay);
  }

  pki::BundleValidationOptions options;
  options.now = clock_.Now();
  options.accept_expired = request.accept_expired();
  CF_ASSIGN_OR_RETURN(pki::CertificateBundle bundle,
                      pki::ParseCertificateBundle(
                          request.chain_pem(),
                          SecretString(request.private_key_pem()), options));

  const pki::CertificateInfo& leaf = bundle.chain.front();
  storage::NewCertificateVersion input;
  input.certificate_name = request.name();
  model::CertificateVersion& v = input.version;
  v.chain_pem = bundle.chain_pem;
  v.chain_length = static_cast<int>(bundle.chain.size());
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
  v.source = model::CertificateSource::kImported;

  input.private_key.id = NewUuid();
  CF_ASSIGN_OR_RETURN(
      pki::SealedSecret sealed,
      keys_.Seal(bundle.private_key_pem, PrivateKeyAad(input.private_key.id)));
  input.private_key.kek_id = sealed.kek_id;
  input.private_key.nonce = std::move(sealed.nonce);
  input.private_key.ciphertext = std::move(sealed.ciphertext);

  CF_ASSIGN_OR_RETURN(
      model::Certificate stored,
      db_.RunInTransaction<model::Certificate>(
          "import_certificate",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Certificate> {
            if (!request_id.empty()) {
              CF_ASSIGN_OR_RETURN(auto earlier,
                                  storage::RequestIdRepository::Claim(
                                      tx, request_id, kImportMethod, digest));
              if (earlier) {  // a concurrent identical request won the race
                CF_RETURN_IF_ERROR(
                    CheckSameRequest(*earlier, kImportMethod, digest));
                return storage::CertificateRepository::Get(
                    tx, earlier->resource_id, earlier->resource_version);
              }
            }
            CF_ASSIGN_OR_RETURN(
                model::Certificate added,
                storage::CertificateRepository::AddVersion(tx, input));
            if (!request_id.empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, request_id, added.id, added.version.version));
            }
            return added;
          }));
  LogInfo(absl::StrCat("imported certificate name=", stored.name,
                       " id=", stored.id, " version=", stored.version.version,
                       " sha256=", stored.version.sha256_fingerprint));
  return ToProto(stored);
}

absl::StatusOr<v1::Certificate> CertificateApi::GetCertificate(
    const v1::GetCertificateRequest& request) {
  if (!IsUuid(request.id())) {
    return absl::InvalidArgumentError(
        "id: not a certificate id; use the id ImportCertificate or "
        "ListCertificates returned (a UUID)");
  }
  if (request.version() < 0) {
    return absl::InvalidArgumentError(
        "version: must be 0 (latest) or a positive version number");
  }
  CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                      db_.RunInTransaction<model::Certificate>(
                          "get_certificate", [&](storage::Transaction& tx) {
                            return storage::CertificateRepository::Get(
                                tx, request.id(), request.version());
                          }));
  return ToProto(certificate);
}

absl::StatusOr<v1::ListCertificatesResponse> CertificateApi::ListCertificates(
    const v1::ListCertificatesRequest& request) {
  if (request.page_size() < 0 || request.page_size() > config_.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 1 and ", config_.max_page_size,
                     " (0 means ", config_.default_page_size, ")"));
  }
  storage::CertificateListQuery query;
  query.page_size = request.page_size() == 0 ? config_.default_page_size
                                             : request.page_size();
  CF_ASSIGN_OR_RETURN(query.after_name, DecodePageToken(request));
  if (!request.domain().empty()) {
    CF_RETURN_IF_ERROR(ValidateDnsName("domain", request.domain(),
                                       /*allow_wildcard=*/true));
    query.domain = absl::AsciiStrToLower(request.domain());
    std::vector<absl::string_view> labels = absl::StrSplit(query.domain, '.');
    if (labels.size() > 2 && labels[0] != "*") {
      query.domain_wildcard =
          absl::StrCat("*", query.domain.substr(labels[0].size()));
    }
  }
  if (request.has_expiring_before()) {
    query.expiring_before = FromProto(request.expiring_before());
  }
  // One extra row tells whether another page follows.
  query.page_size += 1;
  CF_ASSIGN_OR_RETURN(std::vector<model::Certificate> rows,
                      db_.RunInTransaction<std::vector<model::Certificate>>(
                          "list_certificates", [&](storage::Transaction& tx) {
                            return storage::CertificateRepository::List(tx,
                                                                        query);
                          }));
  v1::ListCertificatesResponse response;
  const size_t page_size = static_cast<size_t>(query.page_size - 1);
  for (size_t i = 0; i < rows.size() && i < page_size; ++i) {
    *response.add_certificates() = ToProto(rows[i]);
  }
  if (rows.size() > page_size) {
    response.set_next_page_token(
        EncodePageToken(request, rows[page_size - 1].name));
  }
  return response;
}

}  // namespace certferry::service
