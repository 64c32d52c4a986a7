#include "pki/certificate_signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "pki/internal/openssl_handles.h"
#include "pki/internal/x509_description.h"
#include "pki/names.h"

namespace certferry::pki {
namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

using internal::ErrorQueueGuard;

int RefusePassphrase(char*, int, int, void*) { return -1; }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<PkeyPtr> ParseKey(const SecretString& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.Reveal().data(),
                             static_cast<int>(pem.Reveal().size())),
             BIO_free);
  PkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr),
      EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        "key: not an unencrypted PEM private key");
  }
  return key;
}

absl::StatusOr<X509Ptr> ParseCertificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
             BIO_free);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
               X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("certificate: not a PEM certificate");
  }
  return cert;
}

absl::Time NotAfter(const X509* cert) {
  struct tm tm = {};
  ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
  return absl::FromTimeT(timegm(&tm));
}

absl::Time NotBefore(const X509* cert) {
  struct tm tm = {};
  ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm);
  return absl::FromTimeT(timegm(&tm));
}

absl::Status CheckValidity(absl::Time not_before, absl::Time not_after) {
  if (not_after <= not_before) {
    return absl::InvalidArgumentError(
        "validity: ends before it starts; give a positive validity");
  }
  return absl::OkStatus();
}

// A positive 16-byte serial from the CSPRNG. The first octet is 0x01-0x7f:
// a 0x00 first octet would be dropped and the serial encoded in 15 bytes.
absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  do {
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      return absl::InternalError("random serial: RAND_bytes failed");
    }
    bytes[0] &= 0x7f;
  } while (bytes[0] == 0);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      BN_bin2bn(bytes, sizeof(bytes), nullptr), BN_free);
  ASN1_INTEGER* serial = X509_get_serialNumber(cert);
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), serial) == nullptr) {
    return absl::InternalError("random serial: conversion failed");
  }
  return absl::OkStatus();
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return absl::InternalError(
        absl::StrCat("adding extension ", OBJ_nid2sn(nid), " failed"));
  }
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) {
    return absl::InternalError(
        absl::StrCat("adding extension ", OBJ_nid2sn(nid), " failed"));
  }
  return absl::OkStatus();
}

// SHA-384 for P-384 keys (matching strength), SHA-256 otherwise.
const EVP_MD* DigestFor(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits >= 521) return EVP_sha512();
    if (bits >= 384) return EVP_sha384();
  }
  return EVP_sha256();
}

absl::StatusOr<std::string> ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return absl::InternalError("encoding the certificate failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

// X509_set_pubkey encodes through OpenSSL 3's encoder framework, which
// costs more than the rest of issuing a certificate. An EC key on a named
// curve is set directly from its encoded point (`known_point` when the
// caller holds it: querying it recomputes it); anything else takes the
// general path.
bool SetPublicKey(X509* cert, EVP_PKEY* key, absl::string_view known_point) {
  const int bits = EVP_PKEY_get_bits(key);
  if (!known_point.empty() && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
      (bits == 256 || bits == 384)) {
    auto* copy = static_cast<unsigned char*>(
        OPENSSL_memdup(known_point.data(), known_point.size()));
    if (copy != nullptr &&
        X509_PUBKEY_set0_param(
            X509_get_X509_PUBKEY(cert), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
            V_ASN1_OBJECT,
            OBJ_nid2obj(bits == 256 ? NID_X9_62_prime256v1 : NID_secp384r1),
            copy, static_cast<int>(known_point.size())) == 1) {
      return true;
    }
    OPENSSL_free(copy);
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64];
    size_t group_length = 0;
    unsigned char point[256];
    size_t point_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), &group_length) == 1 &&
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        point, sizeof(point),
                                        &point_length) == 1) {
      int curve = OBJ_sn2nid(group);
      if (curve == NID_undef) curve = EC_curve_nist2nid(group);
      auto* bits =
          static_cast<unsigned char*>(OPENSSL_memdup(point, point_length));
      if (curve != NID_undef && bits != nullptr &&
          X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert),
                                 OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                                 V_ASN1_OBJECT, OBJ_nid2obj(curve), bits,
                                 static_cast<int>(point_length)) == 1) {
        return true;
      }
      OPENSSL_free(bits);
    }
  }
  return X509_set_pubkey(cert, key) == 1;
}

absl::StatusOr<X509Ptr> NewCertificate(EVP_PKEY* subject_key,
                                       absl::Time not_before,
                                       absl::Time not_after,
                                       absl::string_view known_point = {}) {
  X509Ptr cert(X509_new(), X509_free);
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return absl::InternalError("creating a certificate failed");
  }
  CF_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                    absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after)) ==
          nullptr ||
      !SetPublicKey(cert.get(), subject_key, known_point)) {
    return absl::InternalError("setting certificate fields failed");
  }
  return cert;
}

absl::Status SetSubject(X509* cert, const std::string& common_name,
                        const std::string& organization) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(
               name, field, MBSTRING_UTF8,
               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
               0) == 1;
  };
  if (!organization.empty() && !add("O", organization)) {
    return absl::InvalidArgumentError("organization: not a valid name");
  }
  if (!common_name.empty() && !add("CN", common_name)) {
    return absl::InvalidArgumentError("common_name: not a valid name");
  }
  return absl::OkStatus();
}

// CA extensions; `issuer` is the certificate itself for a root.
absl::Status AddCaExtensions(X509* cert, X509* issuer, int path_length) {
  std::string constraints = "critical,CA:TRUE";
  if (path_length >= 0) absl::StrAppend(&constraints, ",pathlen:", path_length);
  CF_RETURN_IF_ERROR(
      AddExtension(cert, issuer, NID_basic_constraints, constraints));
  CF_RETURN_IF_ERROR(AddExtension(cert, issuer, NID_key_usage,
                                  "critical,keyCertSign,cRLSign"));
  CF_RETURN_IF_ERROR(
      AddExtension(cert, issuer, NID_subject_key_identifier, "hash"));
  return AddExtension(cert, issuer, NID_authority_key_identifier,
                      "keyid:always");
}

// subjectKeyIdentifier as RFC 5280 4.2.1.2 (1) and OpenSSL's "hash": the
// SHA-1 of the subjectPublicKey bits, which for an EC key are the encoded
// point. Computed from `known_point` when given (no config parsing).
absl::Status AddSubjectKeyId(X509* cert, X509* issuer,
                             absl::string_view known_point) {
  if (known_point.empty()) {
    return AddExtension(cert, issuer, NID_subject_key_identifier, "hash");
  }
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int digest_length = 0;
  using OctetsPtr =
      std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)>;
  OctetsPtr id(ASN1_OCTET_STRING_new(), ASN1_OCTET_STRING_free);
  if (id == nullptr ||
      EVP_Digest(known_point.data(), known_point.size(), digest, &digest_length,
                 EVP_sha1(), nullptr) != 1 ||
      ASN1_OCTET_STRING_set(id.get(), digest,
                            static_cast<int>(digest_length)) != 1 ||
      X509_add1_ext_i2d(cert, NID_subject_key_identifier, id.get(), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return absl::InternalError("adding subjectKeyIdentifier failed");
  }
  return absl::OkStatus();
}

absl::Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, DigestFor(key)) <= 0) {
    return absl::InternalError("signing the certificate failed");
  }
  return absl::OkStatus();
}

absl::Status CheckCaSpec(const CaCertificateSpec& spec) {
  if (spec.common_name.empty()) {
    return absl::InvalidArgumentError("common_name: required");
  }
  if (spec.common_name.size() > 64) {
    return absl::InvalidArgumentError(
        "common_name: longer than 64 characters (the X.509 limit)");
  }
  return CheckValidity(spec.not_before, spec.not_after);
}

using ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

// An extension built from OpenSSL's config syntax for certificates issued
// by `issuer`; null on failure.
ExtensionPtr MakeExtension(X509* issuer, int nid, const char* value) {
  X509Ptr subject(X509_new(), X509_free);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, subject.get(), nullptr, nullptr, 0);
  return ExtensionPtr(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value),
                      X509_EXTENSION_free);
}

// The leaf extensions that are the same for every certificate a CA issues,
// built once per signer instead of parsed from config text per leaf.
struct LeafConstants {
  ExtensionPtr basic_constraints{nullptr, X509_EXTENSION_free};
  ExtensionPtr key_usage_ec{nullptr, X509_EXTENSION_free};
  ExtensionPtr key_usage_rsa{nullptr, X509_EXTENSION_free};
  ExtensionPtr extended_key_usage{nullptr, X509_EXTENSION_free};
  ExtensionPtr authority_key_id{nullptr, X509_EXTENSION_free};

  bool Build(X509* ca) {
    basic_constraints =
        MakeExtension(ca, NID_basic_constraints, "critical,CA:FALSE");
    key_usage_ec =
        MakeExtension(ca, NID_key_usage, "critical,digitalSignature");
    key_usage_rsa = MakeExtension(ca, NID_key_usage,
                                  "critical,digitalSignature,keyEncipherment");
    extended_key_usage = MakeExtension(ca, NID_ext_key_usage, "serverAuth");
    authority_key_id =
        MakeExtension(ca, NID_authority_key_identifier, "keyid:always");
    return basic_constraints && key_usage_ec && key_usage_rsa &&
           extended_key_usage && authority_key_id;
  }
};

absl::Status AddPrepared(X509* cert, const ExtensionPtr& ext) {
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return absl::InternalError("adding a certificate extension failed");
  }
  return absl::OkStatus();
}

// cRLDistributionPoints with one distribution point named by one URI,
// built from its parts: OpenSSL's config syntax would split a URI at commas.
absl::Status AddCrlDistributionPoint(X509* cert, const std::string& uri) {
  for (char c : uri) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          "crl_distribution_point: not an ASCII URI without spaces");
    }
  }
  using PointsPtr =
      std::unique_ptr<CRL_DIST_POINTS, void (*)(CRL_DIST_POINTS*)>;
  PointsPtr points(sk_DIST_POINT_new_null(), [](CRL_DIST_POINTS* p) {
    sk_DIST_POINT_pop_free(p, DIST_POINT_free);
  });
  DIST_POINT* point = DIST_POINT_new();
  if (points == nullptr || point == nullptr ||
      sk_DIST_POINT_push(points.get(), point) == 0) {
    DIST_POINT_free(point);
    return absl::InternalError("adding crlDistributionPoints failed");
  }
  point->distpoint = DIST_POINT_NAME_new();
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (point->distpoint == nullptr || name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, uri.data(), static_cast<int>(uri.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    return absl::InternalError("adding crlDistributionPoints failed");
  }
  GENERAL_NAME_set0_value(name, GEN_URI, text);
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = GENERAL_NAMES_new();
  if (point->distpoint->name.fullname == nullptr ||
      sk_GENERAL_NAME_push(point->distpoint->name.fullname, name) == 0) {
    GENERAL_NAME_free(name);
    return absl::InternalError("adding crlDistributionPoints failed");
  }
  if (X509_add1_ext_i2d(cert, NID_crl_distribution_points, points.get(), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return absl::InternalError("adding crlDistributionPoints failed");
  }
  return absl::OkStatus();
}

using CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, decltype(&X509_REVOKED_free)>;
using TimePtr = std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)>;

TimePtr Asn1Time(absl::Time t) {
  return TimePtr(ASN1_TIME_set(nullptr, absl::ToTimeT(t)), ASN1_TIME_free);
}

// A CRL entry; INVALID_ARGUMENT naming `field` for a bad serial or reason.
absl::StatusOr<RevokedPtr> NewCrlEntry(const RevokedCertificate& entry,
                                       const std::string& field) {
  BIGNUM* parsed = nullptr;
  const int digits = BN_hex2bn(&parsed, entry.serial_number.c_str());
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(parsed, BN_free);
  if (bn == nullptr || entry.serial_number.empty() ||
      static_cast<size_t>(digits) != entry.serial_number.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".serial_number: not a hex serial number"));
  }
  const int code = entry.reason_code;
  if (code < 0 || code > 10 || code == 7) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".reason_code: ", code,
                     " is not an RFC 5280 CRLReason (0-6, 8-10)"));
  }
  RevokedPtr revoked(X509_REVOKED_new(), X509_REVOKED_free);
  IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr), ASN1_INTEGER_free);
  TimePtr when = Asn1Time(entry.revocation_time);
  if (revoked == nullptr || serial == nullptr || when == nullptr ||
      X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), when.get()) != 1) {
    return absl::InternalError("building a CRL entry failed");
  }
  if (code != 0) {
    std::unique_ptr<ASN1_ENUMERATED, decltype(&ASN1_ENUMERATED_free)> reason(
        ASN1_ENUMERATED_new(), ASN1_ENUMERATED_free);
    if (reason == nullptr || ASN1_ENUMERATED_set(reason.get(), code) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(),
                                  0, X509V3_ADD_DEFAULT) != 1) {
      return absl::InternalError("adding a CRL entry's reasonCode failed");
    }
  }
  return revoked;
}

class CertificateSignerImpl final : public CertificateSigner {
 public:
  CertificateSignerImpl(X509Ptr cert, PkeyPtr key,
                        std::unique_ptr<LeafConstants> leaf)
      : cert_(std::move(cert)), key_(std::move(key)), leaf_(std::move(leaf)) {}

  absl::Time not_before() const override { return NotBefore(cert_.get()); }
  absl::Time not_after() const override { return NotAfter(cert_.get()); }

  absl::StatusOr<std::string> SignIntermediate(
      const SecretString& subject_key_pem,
      const CaCertificateSpec& spec) const override {
    ErrorQueueGuard guard;
    CF_RETURN_IF_ERROR(CheckCaSpec(spec));
    CF_RETURN_IF_ERROR(CheckWithinCa(spec.not_after));
    CF_ASSIGN_OR_RETURN(PkeyPtr subject_key, ParseKey(subject_key_pem));
    CF_ASSIGN_OR_RETURN(
        X509Ptr cert,
        NewCertificate(subject_key.get(), spec.not_before, spec.not_after));
    CF_RETURN_IF_ERROR(
        SetSubject(cert.get(), spec.common_name, spec.organization));
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get()));
    CF_RETURN_IF_ERROR(
        AddCaExtensions(cert.get(), cert_.get(), spec.path_length));
    CF_RETURN_IF_ERROR(Sign(cert.get(), key_.get()));
    return ToPem(cert.get());
  }

  absl::StatusOr<std::string> SignLeaf(const SecretString& leaf_key_pem,
                                       const LeafSpec& spec) const override {
    ErrorQueueGuard guard;
    CF_ASSIGN_OR_RETURN(PkeyPtr leaf_key, ParseKey(leaf_key_pem));
    CF_ASSIGN_OR_RETURN(X509Ptr cert, BuildLeaf(leaf_key.get(), spec));
    return ToPem(cert.get());
  }

  absl::StatusOr<std::string> SignLeaf(const PrivateKey& leaf_key,
                                       const LeafSpec& spec) const override {
    ErrorQueueGuard guard;
    CF_ASSIGN_OR_RETURN(X509Ptr cert, BuildLeaf(leaf_key.native(), spec,
                                                leaf_key.ec_public_point()));
    return ToPem(cert.get());
  }

  absl::StatusOr<CertificateInfo> SignAndDescribeLeaf(
      const PrivateKey& leaf_key, const LeafSpec& spec) const override {
    ErrorQueueGuard guard;
    CF_ASSIGN_OR_RETURN(X509Ptr cert, BuildLeaf(leaf_key.native(), spec,
                                                leaf_key.ec_public_point()));
    return internal::DescribeX509(cert.get(), leaf_key.native(), "leaf");
  }

  absl::StatusOr<std::string> SignCrl(const CrlSpec& spec) const override {
    ErrorQueueGuard guard;
    if (spec.crl_number < 1) {
      return absl::InvalidArgumentError("crl_number: must be at least 1");
    }
    if (spec.next_update <= spec.this_update) {
      return absl::InvalidArgumentError(
          "next_update: must be after this_update");
    }
    CrlPtr crl(X509_CRL_new(), X509_CRL_free);
    TimePtr this_update = Asn1Time(spec.this_update);
    TimePtr next_update = Asn1Time(spec.next_update);
    if (crl == nullptr || this_update == nullptr || next_update == nullptr ||
        X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(),
                                 X509_get_subject_name(cert_.get())) != 1 ||
        X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
      return absl::InternalError("creating the CRL failed");
    }
    for (size_t i = 0; i < spec.revoked.size(); ++i) {
      CF_ASSIGN_OR_RETURN(
          RevokedPtr entry,
          NewCrlEntry(spec.revoked[i], absl::StrCat("revoked[", i, "]")));
      if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
        return absl::InternalError("adding a CRL entry failed");
      }
      entry.release();  // owned by the CRL now
    }
    X509_CRL_sort(crl.get());
    // authorityKeyIdentifier (RFC 5280 §5.2.1: MUST) from the CA's own
    // subjectKeyIdentifier, which AddCaExtensions always sets.
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert_.get());
    std::unique_ptr<AUTHORITY_KEYID, decltype(&AUTHORITY_KEYID_free)> aki(
        AUTHORITY_KEYID_new(), AUTHORITY_KEYID_free);
    if (ski == nullptr || aki == nullptr) {
      return absl::FailedPreconditionError(
          "CA certificate: no subjectKeyIdentifier to name it in the CRL");
    }
    aki->keyid = ASN1_OCTET_STRING_dup(ski);
    IntegerPtr number(ASN1_INTEGER_new(), ASN1_INTEGER_free);
    if (aki->keyid == nullptr || number == nullptr ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier,
                              aki.get(), 0, X509V3_ADD_DEFAULT) != 1 ||
        ASN1_INTEGER_set_int64(number.get(), spec.crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0,
                              X509V3_ADD_DEFAULT) != 1) {
      return absl::InternalError("adding the CRL's extensions failed");
    }
    if (X509_CRL_sign(crl.get(), key_.get(), DigestFor(key_.get())) <= 0) {
      return absl::InternalError("signing the CRL failed");
    }
    unsigned char* der = nullptr;
    const int length = i2d_X509_CRL(crl.get(), &der);
    if (length <= 0) return absl::InternalError("encoding the CRL failed");
    std::string out(reinterpret_cast<const char*>(der),
                    static_cast<size_t>(length));
    OPENSSL_free(der);
    return out;
  }

 private:
  // `known_point`: the EC key's encoded public point if the caller holds
  // it, else empty.
  absl::StatusOr<X509Ptr> BuildLeaf(EVP_PKEY* leaf_key, const LeafSpec& spec,
                                    absl::string_view known_point = {}) const {
    if (spec.names.empty()) {
      return absl::InvalidArgumentError(
          "domains: empty; a certificate needs at least one name");
    }
    CF_RETURN_IF_ERROR(CheckValidity(spec.not_before, spec.not_after));
    CF_RETURN_IF_ERROR(CheckWithinCa(spec.not_after));
    std::vector<std::string> alt_names;
    for (size_t i = 0; i < spec.names.size(); ++i) {
      CF_RETURN_IF_ERROR(ValidateCertificateName(
          absl::StrCat("domains[", i, "]"), spec.names[i]));
      alt_names.push_back(
          absl::StrCat(IsIpAddress(spec.names[i]) ? "IP:" : "DNS:",
                       NormalizeCertificateName(spec.names[i])));
    }
    CF_ASSIGN_OR_RETURN(
        X509Ptr cert,
        NewCertificate(leaf_key, spec.not_before, spec.not_after, known_point));
    // CN is limited to 64 characters; longer first names live in the SAN
    // only, which is what clients check anyway.
    const std::string cn = NormalizeCertificateName(spec.names.front());
    CF_RETURN_IF_ERROR(SetSubject(cert.get(), cn.size() <= 64 ? cn : "", ""));
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get()));
    const bool empty_subject =
        X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 0;
    CF_RETURN_IF_ERROR(AddPrepared(cert.get(), leaf_->basic_constraints));
    const bool rsa = EVP_PKEY_get_base_id(leaf_key) == EVP_PKEY_RSA;
    CF_RETURN_IF_ERROR(AddPrepared(
        cert.get(), rsa ? leaf_->key_usage_rsa : leaf_->key_usage_ec));
    CF_RETURN_IF_ERROR(AddPrepared(cert.get(), leaf_->extended_key_usage));
    CF_RETURN_IF_ERROR(
        AddExtension(cert.get(), cert_.get(), NID_subject_alt_name,
                     absl::StrCat(empty_subject ? "critical," : "",
                                  absl::StrJoin(alt_names, ","))));
    CF_RETURN_IF_ERROR(AddSubjectKeyId(cert.get(), cert_.get(), known_point));
    CF_RETURN_IF_ERROR(AddPrepared(cert.get(), leaf_->authority_key_id));
    if (!spec.crl_distribution_point.empty()) {
      CF_RETURN_IF_ERROR(
          AddCrlDistributionPoint(cert.get(), spec.crl_distribution_point));
    }
    CF_RETURN_IF_ERROR(Sign(cert.get(), key_.get()));
    return cert;
  }

  absl::Status CheckWithinCa(absl::Time not_after) const {
    const absl::Time ca_not_after = NotAfter(cert_.get());
    if (not_after > ca_not_after) {
      return absl::InvalidArgumentError(
          absl::StrCat("validity: ends ", Rfc3339(not_after),
                       " after the CA's own notAfter ", Rfc3339(ca_not_after),
                       "; shorten it"));
    }
    return absl::OkStatus();
  }

  X509Ptr cert_;
  PkeyPtr key_;
  std::unique_ptr<LeafConstants> leaf_;
};

}  // namespace

absl::StatusOr<std::string> CreateRootCaCertificate(
    const SecretString& ca_key_pem, const CaCertificateSpec& spec) {
  ErrorQueueGuard guard;
  CF_RETURN_IF_ERROR(CheckCaSpec(spec));
  CF_ASSIGN_OR_RETURN(PkeyPtr key, ParseKey(ca_key_pem));
  CF_ASSIGN_OR_RETURN(
      X509Ptr cert, NewCertificate(key.get(), spec.not_before, spec.not_after));
  CF_RETURN_IF_ERROR(
      SetSubject(cert.get(), spec.common_name, spec.organization));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  CF_RETURN_IF_ERROR(AddCaExtensions(cert.get(), cert.get(), spec.path_length));
  CF_RETURN_IF_ERROR(Sign(cert.get(), key.get()));
  return ToPem(cert.get());
}

absl::StatusOr<std::unique_ptr<CertificateSigner>> CertificateSigner::Load(
    const std::string& ca_cert_pem, const SecretString& ca_key_pem) {
  ErrorQueueGuard guard;
  CF_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(ca_cert_pem));
  CF_ASSIGN_OR_RETURN(PkeyPtr key, ParseKey(ca_key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(
        "key: does not belong to the CA certificate");
  }
  // 1 is basicConstraints CA:TRUE; other non-zero results are legacy forms
  // (v1 self-signed, keyUsage only) that X509_check_ca also calls a CA.
  if (X509_check_ca(cert.get()) != 1) {
    return absl::InvalidArgumentError(
        "certificate: not a CA certificate (basicConstraints CA:TRUE "
        "missing)");
  }
  auto leaf = std::make_unique<LeafConstants>();
  if (!leaf->Build(cert.get())) {
    return absl::InvalidArgumentError(
        "certificate: cannot derive leaf extensions from this CA certificate");
  }
  return std::unique_ptr<CertificateSigner>(new CertificateSignerImpl(
      std::move(cert), std::move(key), std::move(leaf)));
}

}  // namespace certferry::pki
