#include "pki/certificate_bundle.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "pki/internal/openssl_handles.h"
#include "pki/internal/x509_description.h"

namespace certferry::pki {
namespace {

using internal::BasicConstraintsPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::ErrorQueueGuard;
using internal::GeneralNamesPtr;
using internal::MemBio;
using internal::OpensslString;
using internal::Pkcs12Ptr;
using internal::PkeyPtr;
using internal::X509Ptr;

// Imports are non-interactive: an encrypted key must fail, never prompt on
// the server's terminal.
int RefusePassphrase(char*, int, int, void*) { return -1; }

// One "-----BEGIN X-----" ... "-----END X-----" block found in the input.
// `text` is the block normalised (each line trimmed, "\n" line ends) so
// indentation or CRLF from a paste does not defeat OpenSSL's PEM reader. It
// may hold key material, hence SecretString.
struct PemBlock {
  std::string label;
  bool complete = false;
  bool encrypted_header = false;  // traditional "Proc-Type: 4,ENCRYPTED"
  SecretString text;
};

std::vector<PemBlock> ScanPemBlocks(absl::string_view input) {
  static constexpr absl::string_view kBegin = "-----BEGIN";
  static constexpr absl::string_view kEnd = "-----END";
  static constexpr absl::string_view kDashes = "-----";

  std::vector<PemBlock> blocks;
  std::optional<PemBlock> open;
  // Reserved up front so appending never reallocates and leaves unwiped
  // copies of key lines on the heap.
  const size_t capacity = input.size() + 1;
  std::string text;
  text.reserve(capacity);
  auto close = [&](bool complete) {
    open->complete = complete;
    open->text = SecretString(std::move(text));
    text = std::string();
    text.reserve(capacity);
    blocks.push_back(std::move(*open));
    open.reset();
  };
  // Returns the label of a well-formed marker line, nullopt otherwise.
  auto marker_label =
      [](absl::string_view line,
         absl::string_view prefix) -> std::optional<std::string> {
    if (!absl::StartsWith(line, prefix) || !absl::EndsWith(line, kDashes) ||
        line.size() < prefix.size() + kDashes.size() + 2 ||
        line[prefix.size()] != ' ') {
      return std::nullopt;
    }
    return std::string(line.substr(
        prefix.size() + 1, line.size() - prefix.size() - 1 - kDashes.size()));
  };

  while (!input.empty()) {
    const size_t newline = input.find('\n');
    absl::string_view line = input.substr(0, newline);
    input = newline == absl::string_view::npos ? absl::string_view()
                                               : input.substr(newline + 1);
    line = absl::StripAsciiWhitespace(line);

    if (absl::StartsWith(line, kBegin)) {
      if (open.has_value()) close(false);
      open.emplace();
      std::optional<std::string> label = marker_label(line, kBegin);
      if (!label.has_value()) {
        // A BEGIN line cut short ("-----BEGIN CERTIF"): the block is
        // truncated from its very first line.
        blocks.push_back(std::move(*open));
        open.reset();
        continue;
      }
      open->label = *std::move(label);
      absl::StrAppend(&text, line, "\n");
      continue;
    }
    if (!open.has_value()) continue;  // text around blocks is ignored
    absl::StrAppend(&text, line, "\n");
    if (absl::StartsWith(line, kEnd)) {
      close(marker_label(line, kEnd) == open->label);
    } else if (absl::StartsWith(line, "Proc-Type:") &&
               absl::StrContains(line, "ENCRYPTED")) {
      open->encrypted_header = true;
    }
  }
  if (open.has_value()) close(false);
  return blocks;
}

bool IsCertificateLabel(absl::string_view label) {
  return label == "CERTIFICATE" || label == "X509 CERTIFICATE" ||
         label == "TRUSTED CERTIFICATE";
}

bool IsPrivateKeyLabel(absl::string_view label) {
  return absl::EndsWith(label, "PRIVATE KEY");
}

// The label is caller-supplied text; only echo it when it looks like a real
// PEM label, so a message cannot carry arbitrary pasted content.
std::string PrintableLabel(absl::string_view label) {
  if (label.empty() || label.size() > 40) return "unrecognised";
  for (char c : label) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != ' ' &&
        c != '#') {
      return "unrecognised";
    }
  }
  return std::string(label);
}

// "a FOO block" for a printable label, else a neutral description.
std::string DescribeBlock(absl::string_view label) {
  const std::string printable = PrintableLabel(label);
  if (printable == "unrecognised") return "an unrecognised PEM block";
  return absl::StrCat("a ", printable, " block");
}

std::optional<std::string> DecodeBase64Loose(absl::string_view input) {
  std::string compact;
  for (char c : input) {
    if (absl::ascii_isspace(c)) continue;
    if (!absl::ascii_isalnum(c) && c != '+' && c != '/' && c != '=') {
      return std::nullopt;
    }
    compact.push_back(c);
  }
  std::string decoded;
  const bool ok = !compact.empty() && absl::Base64Unescape(compact, &decoded);
  OPENSSL_cleanse(compact.data(), compact.size());
  if (!ok) return std::nullopt;
  return decoded;
}

bool ParsesAsDerCertificate(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  return cert != nullptr;
}

bool ParsesAsDerPrivateKey(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  return key != nullptr;
}

bool ParsesAsPkcs12(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  return p12 != nullptr;
}

constexpr absl::string_view kCertDerFix =
    "convert with `openssl x509 -inform der -outform pem -in cert.der`";
constexpr absl::string_view kKeyDerFix =
    "convert with `openssl pkey -inform der -in key.der -out key.pem`";

// Explains input that holds no PEM block at all: DER, PKCS#12, a base64 body
// without its BEGIN/END lines, or plain garbage.
absl::Status DescribeNonPemChain(absl::string_view input,
                                 absl::string_view field) {
  if (!input.empty() && static_cast<unsigned char>(input[0]) == 0x30) {
    if (ParsesAsPkcs12(input)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": looks like a PKCS#12 (.pfx/.p12) archive, not PEM; extract the "
          "chain with `openssl pkcs12 -in bundle.pfx -nokeys -out chain.pem`"));
    }
    if (ParsesAsDerPrivateKey(input)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": looks like a DER (binary) private key, not a certificate chain; "
          "put only certificates here, as PEM, leaf first"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": looks like DER (binary), not PEM; ", kCertDerFix));
  }
  if (std::optional<std::string> der = DecodeBase64Loose(input);
      der.has_value() && ParsesAsDerCertificate(*der)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": looks like a base64 certificate without its PEM lines; wrap it in "
        "-----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": no PEM certificate found (expected -----BEGIN CERTIFICATE-----); "
      "paste the certificate chain as PEM, leaf first"));
}

absl::Status DescribeNonPemKey(absl::string_view input,
                               absl::string_view field) {
  if (!input.empty() && static_cast<unsigned char>(input[0]) == 0x30) {
    if (ParsesAsDerCertificate(input)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": looks like a DER (binary) certificate, not a private key; supply "
          "the private key as unencrypted PEM"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": looks like DER (binary), not PEM; ", kKeyDerFix));
  }
  if (std::optional<std::string> der = DecodeBase64Loose(input);
      der.has_value()) {
    const bool is_key = ParsesAsDerPrivateKey(*der);
    OPENSSL_cleanse(der->data(), der->size());
    if (is_key) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": looks like a base64 private key without its PEM lines; wrap it "
          "in -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----"));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field,
      ": no PEM private key found (expected -----BEGIN PRIVATE KEY-----); "
      "paste the unencrypted private key as PEM"));
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return "";
  return std::string(data, static_cast<size_t>(len));
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return "";
  }
  return BioToString(bio.get());
}

absl::StatusOr<absl::Time> ToAbslTime(const ASN1_TIME* time,
                                      absl::string_view what) {
  struct tm tm = {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is malformed"));
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

bool HasCaBasicConstraint(X509* cert) {
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr)));
  return bc != nullptr && bc->ca != 0;
}

void FillKeyFacts(EVP_PKEY* key, CertificateInfo* info) {
  if (key == nullptr) return;
  info->key_bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      info->key_type = "RSA";
      return;
    case EVP_PKEY_ED25519:
      info->key_type = "Ed25519";
      return;
    case EVP_PKEY_ED448:
      info->key_type = "Ed448";
      return;
    case EVP_PKEY_EC: {
      info->key_type = "ECDSA";
      char group[80] = {};
      size_t group_len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) == 1) {
        const absl::string_view name(group, group_len);
        if (name == "prime256v1" || name == "P-256") {
          info->curve = "P-256";
        } else if (name == "secp384r1" || name == "P-384") {
          info->curve = "P-384";
        } else if (name == "secp521r1" || name == "P-521") {
          info->curve = "P-521";
        } else {
          info->curve = std::string(name);
        }
      }
      return;
    }
    default: {
      const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
      info->key_type = name != nullptr ? name : "unknown";
      return;
    }
  }
}

void FillSubjectAltNames(X509* cert, CertificateInfo* info) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      info->dns_names.push_back(absl::AsciiStrToLower(absl::string_view(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
          static_cast<size_t>(ASN1_STRING_length(dns)))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const int len = ASN1_STRING_length(ip);
      char text[INET6_ADDRSTRLEN] = {};
      const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
      if (family != -1 &&
          inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text))) {
        info->ip_addresses.emplace_back(text);
      }
    }
  }
}

absl::StatusOr<CertificateInfo> DescribeCertificate(X509* cert,
                                                    absl::string_view where) {
  return internal::DescribeX509(cert, nullptr, where);
}

struct ParsedChain {
  std::vector<X509Ptr> certs;
  std::vector<CertificateInfo> infos;
};

std::string BlockName(size_t index, absl::string_view label) {
  return absl::StrCat(IsCertificateLabel(label) ? "certificate " : "block ",
                      index + 1);
}

absl::Status ForeignChainBlock(size_t index, absl::string_view label,
                               absl::string_view field,
                               absl::string_view key_field) {
  const std::string where = absl::StrCat(field, ": block ", index + 1);
  if (IsPrivateKeyLabel(label)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " is a private key, not a certificate; remove it from ", field,
        " and supply the key only in ",
        key_field.empty() ? "the private key field" : key_field));
  }
  if (label == "PKCS7") {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        " is a PKCS#7 bundle, not a certificate; extract the certificates "
        "with `openssl pkcs7 -print_certs -in bundle.p7b`"));
  }
  if (absl::StrContains(label, "CERTIFICATE REQUEST")) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        " is a certificate signing request, not a certificate; paste the "
        "certificate the CA issued for it"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, " is ", DescribeBlock(label), ", not a certificate; ",
                   field, " must hold only CERTIFICATE blocks, leaf first"));
}

absl::StatusOr<ParsedChain> ParseChain(absl::string_view input,
                                       absl::string_view field,
                                       absl::string_view key_field) {
  if (absl::StripAsciiWhitespace(input).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": empty; paste the certificate chain as PEM, leaf first"));
  }
  std::vector<PemBlock> blocks = ScanPemBlocks(input);
  if (blocks.empty()) return DescribeNonPemChain(input, field);

  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].complete) continue;
    if (blocks[i].label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": block ", i + 1,
          " is truncated (its BEGIN line is cut off); paste the whole block "
          "again"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", BlockName(i, blocks[i].label),
        " is truncated (no matching -----END ", PrintableLabel(blocks[i].label),
        "----- line); paste the whole block including its END line"));
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (!IsCertificateLabel(blocks[i].label)) {
      return ForeignChainBlock(i, blocks[i].label, field, key_field);
    }
  }

  ParsedChain chain;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string where = absl::StrCat(field, ": certificate ", i + 1);
    BioPtr bio = MemBio(blocks[i].text.Reveal());
    X509Ptr cert(bio == nullptr
                     ? nullptr
                     : PEM_read_bio_X509_AUX(bio.get(), nullptr,
                                             RefusePassphrase, nullptr));
    if (cert == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          " is truncated or corrupt (its base64 body does not decode to an "
          "X.509 certificate); copy the block again without editing it"));
    }
    CF_ASSIGN_OR_RETURN(CertificateInfo info,
                        DescribeCertificate(cert.get(), where));
    chain.certs.push_back(std::move(cert));
    chain.infos.push_back(std::move(info));
  }
  return chain;
}

std::string Describe(const ParsedChain& chain, size_t index) {
  return absl::StrCat("certificate ", index + 1, " (subject ",
                      chain.infos[index].subject, ")");
}

absl::Status CheckChainStructure(const ParsedChain& chain,
                                 absl::string_view field) {
  for (size_t i = 0; i < chain.infos.size(); ++i) {
    if (chain.infos[i].version != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", Describe(chain, i), " is X.509 v",
          chain.infos[i].version,
          "; v3 with subjectAltName is required; reissue the certificate"));
    }
  }
  if (chain.infos.size() > 1 && chain.infos[0].is_ca) {
    std::string hint;
    for (size_t i = 1; i < chain.infos.size(); ++i) {
      if (!chain.infos[i].is_ca) {
        hint = absl::StrCat("; ", Describe(chain, i), " looks like the leaf");
        break;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", Describe(chain, 0),
        " is a CA certificate, not the leaf; put the leaf certificate first, "
        "then its intermediates",
        hint));
  }
  for (size_t i = 0; i + 1 < chain.certs.size(); ++i) {
    X509* child = chain.certs[i].get();
    X509* parent = chain.certs[i + 1].get();
    if (X509_NAME_cmp(X509_get_issuer_name(child),
                      X509_get_subject_name(parent)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", Describe(chain, i), " was issued by ",
          chain.infos[i].issuer, ", but the next one is ",
          Describe(chain, i + 1),
          "; order the chain leaf first, each certificate followed by its "
          "issuer, and drop unrelated certificates"));
    }
    EVP_PKEY* parent_key = X509_get0_pubkey(parent);
    if (parent_key == nullptr || X509_verify(child, parent_key) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", Describe(chain, i), " is not signed by ",
          Describe(chain, i + 1),
          " although the names match; supply the intermediate that actually "
          "issued certificate ",
          i + 1));
    }
    if (!chain.infos[i + 1].is_ca) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", Describe(chain, i + 1),
          " is not a CA certificate, so it cannot issue certificate ", i + 1,
          "; supply the CA's intermediate certificate instead"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDates(const ParsedChain& chain, absl::string_view field,
                        absl::Time now) {
  for (size_t i = 0; i < chain.infos.size(); ++i) {
    const CertificateInfo& info = chain.infos[i];
    if (now < info.not_before) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": ", Describe(chain, i), " is not yet valid: notBefore ",
          Rfc3339(info.not_before), " is after now (", Rfc3339(now),
          "); check the issuer's clock or import it once it is valid"));
    }
    if (now > info.not_after) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": ", Describe(chain, i), " has expired: notAfter ",
          Rfc3339(info.not_after), " is before now (", Rfc3339(now),
          "); renew the certificate and import the new one"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(const SecretString& input,
                                        absl::string_view field,
                                        absl::string_view chain_field) {
  const std::string& pem = input.Reveal();
  if (absl::StripAsciiWhitespace(pem).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": empty; paste the private key of the leaf certificate as "
        "unencrypted PEM"));
  }
  std::vector<PemBlock> blocks = ScanPemBlocks(pem);
  if (blocks.empty()) return DescribeNonPemKey(pem, field);

  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].complete) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": block ", i + 1, " (", PrintableLabel(blocks[i].label),
        ") is truncated (no matching END line); paste the whole key "
        "including its -----END ... PRIVATE KEY----- line"));
  }

  const PemBlock* key_block = nullptr;
  int key_count = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const absl::string_view label = blocks[i].label;
    const std::string where = absl::StrCat(field, ": block ", i + 1);
    // `openssl ecparam -genkey` writes this block ahead of the key.
    if (label == "EC PARAMETERS") continue;
    if (IsCertificateLabel(label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " is a certificate, not a private key; put certificates in ",
          chain_field, " and only the private key here"));
    }
    if (!IsPrivateKeyLabel(label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " is ", DescribeBlock(label),
          ", not a private key; supply the unencrypted private key as PEM"));
    }
    if (label == PEM_STRING_PKCS8 || blocks[i].encrypted_header) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": must be unencrypted PEM (the key is passphrase-protected); "
          "decrypt with `openssl pkey -in key.pem -out key-plain.pem`"));
    }
    if (label == "OPENSSH PRIVATE KEY") {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": is an OpenSSH private key; convert a copy to PEM with "
          "`ssh-keygen -p -m PKCS8 -f key-copy`"));
    }
    key_block = &blocks[i];
    ++key_count;
  }
  if (key_count == 0) return DescribeNonPemKey(pem, field);
  if (key_count > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": contains ", key_count,
        " private keys; supply only the key of the leaf certificate"));
  }

  BioPtr bio = MemBio(key_block->text.Reveal());
  PkeyPtr key(bio == nullptr
                  ? nullptr
                  : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                            RefusePassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": the private key is truncated or corrupt (it does not decode as a "
        "PKCS#8, RSA or EC private key); export the key again without "
        "editing it"));
  }
  return key;
}

absl::StatusOr<SecretString> EncodePkcs8(EVP_PKEY* key) {
  // Secure-heap BIO: the buffer holding the PEM is wiped when freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return absl::InternalError("re-encoding the private key failed");
  }
  return SecretString(BioToString(bio.get()));
}

}  // namespace

absl::StatusOr<CertificateBundle> ParseCertificateBundle(
    absl::string_view chain_pem, const SecretString& private_key_pem,
    const BundleValidationOptions& options) {
  ErrorQueueGuard error_guard;
  const std::string& chain_field = options.fields.chain;
  const std::string& key_field = options.fields.private_key;

  CF_ASSIGN_OR_RETURN(ParsedChain chain,
                      ParseChain(chain_pem, chain_field, key_field));
  CF_RETURN_IF_ERROR(CheckChainStructure(chain, chain_field));

  CF_ASSIGN_OR_RETURN(PkeyPtr key,
                      ParsePrivateKey(private_key_pem, key_field, chain_field));
  EVP_PKEY* leaf_key = X509_get0_pubkey(chain.certs[0].get());
  if (leaf_key == nullptr || EVP_PKEY_eq(leaf_key, key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        key_field,
        ": does not belong to the leaf certificate (public keys differ); "
        "supply the key the certificate was issued for (leaf subject ",
        chain.infos[0].subject, ")"));
  }

  if (!options.accept_expired) {
    CF_RETURN_IF_ERROR(CheckDates(chain, chain_field, options.now));
  }

  CertificateBundle bundle;
  CF_ASSIGN_OR_RETURN(bundle.private_key_pem, EncodePkcs8(key.get()));
  for (const CertificateInfo& info : chain.infos) {
    bundle.chain_pem.append(info.pem);
  }
  bundle.chain = std::move(chain.infos);
  return bundle;
}

absl::StatusOr<std::vector<CertificateInfo>> ParseCertificateChain(
    absl::string_view chain_pem, absl::string_view field) {
  ErrorQueueGuard error_guard;
  CF_ASSIGN_OR_RETURN(ParsedChain chain,
                      ParseChain(chain_pem, field, /*key_field=*/""));
  return std::move(chain.infos);
}

bool NameCovers(absl::string_view pattern, absl::string_view name) {
  if (absl::EndsWith(pattern, ".")) pattern.remove_suffix(1);
  if (absl::EndsWith(name, ".")) name.remove_suffix(1);
  if (pattern.empty() || name.empty() || absl::StrContains(name, '*')) {
    return false;
  }
  if (!absl::StartsWith(pattern, "*.")) {
    return !absl::StrContains(pattern, '*') &&
           absl::EqualsIgnoreCase(pattern, name);
  }
  const absl::string_view base = pattern.substr(2);
  // "*.com" and "*." would cover whole top-level domains.
  if (base.empty() || absl::StrContains(base, '*') ||
      !absl::StrContains(base, '.')) {
    return false;
  }
  const size_t first_dot = name.find('.');
  if (first_dot == absl::string_view::npos || first_dot == 0) return false;
  return absl::EqualsIgnoreCase(name.substr(first_dot + 1), base);
}

namespace internal {

absl::StatusOr<CertificateInfo> DescribeX509(X509* cert, EVP_PKEY* public_key,
                                             absl::string_view where) {
  CertificateInfo info;
  BignumPtr serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), /*bn=*/nullptr));
  if (serial == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has a malformed serial number"));
  }
  OpensslString serial_hex(BN_bn2hex(serial.get()));
  if (serial_hex == nullptr) return absl::InternalError("BN_bn2hex failed");
  info.serial_hex = serial_hex.get();

  // Encoded once, for both the fingerprint and the PEM.
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert, &der);
  if (der_length <= 0) return absl::InternalError("i2d_X509 failed");
  const std::string der_bytes(reinterpret_cast<const char*>(der),
                              static_cast<size_t>(der_length));
  OPENSSL_free(der);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(der_bytes.data(), der_bytes.size(), digest, &digest_len,
                 EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 failed");
  }
  info.sha256_fingerprint = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_len));

  info.subject = NameToString(X509_get_subject_name(cert));
  info.issuer = NameToString(X509_get_issuer_name(cert));
  FillSubjectAltNames(cert, &info);
  CF_ASSIGN_OR_RETURN(
      info.not_before,
      ToAbslTime(X509_get0_notBefore(cert), absl::StrCat(where, " notBefore")));
  CF_ASSIGN_OR_RETURN(
      info.not_after,
      ToAbslTime(X509_get0_notAfter(cert), absl::StrCat(where, " notAfter")));
  EVP_PKEY* own_key =
      public_key != nullptr ? public_key : X509_get0_pubkey(cert);
  FillKeyFacts(own_key, &info);
  info.version = static_cast<int>(X509_get_version(cert)) + 1;
  info.is_ca = HasCaBasicConstraint(cert);
  info.self_signed = X509_NAME_cmp(X509_get_subject_name(cert),
                                   X509_get_issuer_name(cert)) == 0 &&
                     own_key != nullptr && X509_verify(cert, own_key) == 1;

  // What PEM_write_bio_X509 writes: base64 in lines of 64.
  const std::string base64 = absl::Base64Escape(der_bytes);
  info.pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < base64.size(); i += 64) {
    info.pem.append(base64, i, 64);
    info.pem.push_back('\n');
  }
  info.pem += "-----END CERTIFICATE-----\n";
  return info;
}

}  // namespace internal

}  // namespace certferry::pki
