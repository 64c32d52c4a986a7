#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pki/internal/openssl_handles.h"

namespace certferry::testing {
namespace {

using ::certferry::pki::internal::BignumPtr;
using ::certferry::pki::internal::BioPtr;
using ::certferry::pki::internal::PkeyPtr;
using ::certferry::pki::internal::X509ExtensionPtr;
using ::certferry::pki::internal::X509Ptr;

// Test fixtures cannot continue without their certificates, and a failure
// here is a broken test environment, so abort loudly with OpenSSL's reason.
void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "test_pki: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

BioPtr MemBio(const std::string& data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  Check(bio != nullptr, "BIO_new_mem_buf");
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

PkeyPtr ReadPrivateKey(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  Check(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

X509Ptr ReadCertificate(const std::string& pem) {
  BioPtr bio = MemBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  Check(cert != nullptr, "PEM_read_bio_X509");
  return cert;
}

PkeyPtr NewKey(TestKeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case TestKeyType::kEcdsaP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case TestKeyType::kEcdsaP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case TestKeyType::kRsa2048:
      key =
          EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case TestKeyType::kRsa1024:
      key =
          EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
      break;
  }
  Check(key != nullptr, "EVP_PKEY_Q_keygen");
  return PkeyPtr(key);
}

TestKey EncodeKey(EVP_PKEY* key) {
  TestKey out;
  BioPtr priv(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr,
                                 nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  out.private_key_pem = BioContents(priv.get());
  BioPtr pub(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PUBKEY(pub.get(), key) == 1, "PEM_write_bio_PUBKEY");
  out.public_key_pem = BioContents(pub.get());
  return out;
}

void AddExtension(X509* cert, X509V3_CTX* ctx, int nid,
                  const std::string& value) {
  X509ExtensionPtr ext(
      X509V3_EXT_conf_nid(nullptr, ctx, nid, const_cast<char*>(value.c_str())));
  Check(ext != nullptr, OBJ_nid2sn(nid));
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

std::string SanValue(const std::vector<std::string>& names) {
  std::vector<std::string> entries;
  for (const std::string& name : names) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
    const bool is_ip = ip != nullptr;
    ASN1_OCTET_STRING_free(ip);
    ERR_clear_error();
    entries.push_back(absl::StrCat(is_ip ? "IP:" : "DNS:", name));
  }
  return absl::StrJoin(entries, ",");
}

void SetSerial(X509* cert, long serial) {
  BignumPtr bn(BN_new());
  Check(bn != nullptr, "BN_new");
  if (serial != 0) {
    Check(BN_set_word(bn.get(), static_cast<BN_ULONG>(serial)) == 1,
          "BN_set_word");
  } else {
    // 63 bits keeps the DER INTEGER positive without a leading zero byte
    // mattering to anyone, like the 64-bit serials public CAs use.
    Check(BN_rand(bn.get(), 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
          "BN_rand");
  }
  Check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr,
        "BN_to_ASN1_INTEGER");
}

std::string CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return BioContents(bio.get());
}

std::string CertToDer(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  Check(len > 0, "i2d_X509");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

TestKey GenerateTestKey(TestKeyType type) {
  PkeyPtr key = NewKey(type);
  return EncodeKey(key.get());
}

TestIdentity MakeCertificate(const CertSpec& spec, const TestIdentity* issuer) {
  PkeyPtr key = NewKey(spec.key_type);
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), spec.x509_version - 1) == 1,
        "X509_set_version");
  SetSerial(cert.get(), spec.serial);
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                      absl::ToTimeT(spec.not_before)) != nullptr,
        "notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                      absl::ToTimeT(spec.not_after)) != nullptr,
        "notAfter");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(
            subject, "O", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>("certferry test"), -1, -1,
            0) == 1,
        "subject O");
  Check(X509_NAME_add_entry_by_txt(
            subject, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
            -1, -1, 0) == 1,
        "subject CN");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");

  X509Ptr issuer_cert;
  PkeyPtr issuer_key;
  if (issuer != nullptr) {
    issuer_cert = ReadCertificate(issuer->cert_pem);
    issuer_key = ReadPrivateKey(issuer->key.private_key_pem);
    Check(X509_set_issuer_name(cert.get(),
                               X509_get_subject_name(issuer_cert.get())) == 1,
          "X509_set_issuer_name");
  } else {
    Check(X509_set_issuer_name(cert.get(), subject) == 1,
          "X509_set_issuer_name");
  }
  X509* signer_cert = issuer_cert ? issuer_cert.get() : cert.get();
  EVP_PKEY* signer_key = issuer_key ? issuer_key.get() : key.get();

  if (spec.x509_version >= 3) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, signer_cert, cert.get(), nullptr, nullptr, 0);
    AddExtension(cert.get(), &ctx, NID_basic_constraints,
                 spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    AddExtension(cert.get(), &ctx, NID_key_usage,
                 spec.is_ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                            : "critical,digitalSignature,keyEncipherment");
    if (!spec.is_ca && !spec.extended_key_usage.empty()) {
      AddExtension(cert.get(), &ctx, NID_ext_key_usage,
                   spec.extended_key_usage);
    }
    if (!spec.dns_names.empty()) {
      AddExtension(cert.get(), &ctx, NID_subject_alt_name,
                   SanValue(spec.dns_names));
    }
    // SKI goes first: a self-signed certificate's AKI is copied from it.
    AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    // Plain "keyid" (not "always") so an issuer without an SKI, such as a
    // v1 CA, still yields a certificate.
    AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid");
  }

  const EVP_MD* digest =
      spec.signature_digest == TestDigest::kSha1 ? EVP_sha1() : EVP_sha256();
  Check(X509_sign(cert.get(), signer_key, digest) > 0, "X509_sign");

  TestIdentity out;
  out.cert_pem = CertToPem(cert.get());
  out.cert_der = CertToDer(cert.get());
  out.key = EncodeKey(key.get());
  return out;
}

TestChain MakeChain(std::vector<std::string> dns_names,
                    absl::Time leaf_not_after, absl::Time leaf_not_before) {
  const absl::Time now = absl::Now();
  // The CAs outlive the leaf on both sides, so a test that makes the leaf
  // expired or not yet valid has exactly one offending certificate.
  const absl::Time ca_not_before =
      std::min(leaf_not_before, now) - absl::Hours(24);
  const absl::Time ca_not_after =
      std::max(leaf_not_after, now) + absl::Hours(24 * 365);

  TestChain chain;
  CertSpec root_spec;
  root_spec.common_name = "certferry test root";
  root_spec.dns_names = {};
  root_spec.is_ca = true;
  root_spec.not_before = ca_not_before;
  root_spec.not_after = ca_not_after;
  chain.root = MakeCertificate(root_spec);

  CertSpec intermediate_spec = root_spec;
  intermediate_spec.common_name = "certferry test intermediate";
  chain.intermediate = MakeCertificate(intermediate_spec, &chain.root);

  CertSpec leaf_spec;
  leaf_spec.common_name = dns_names.empty() ? "leaf" : dns_names.front();
  leaf_spec.dns_names = std::move(dns_names);
  leaf_spec.not_before = leaf_not_before;
  leaf_spec.not_after = leaf_not_after;
  chain.leaf = MakeCertificate(leaf_spec, &chain.intermediate);
  return chain;
}

std::string EncryptPrivateKeyPem(const std::string& private_key_pem,
                                 const std::string& passphrase) {
  PkeyPtr key = ReadPrivateKey(private_key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PKCS8PrivateKey(
            bio.get(), key.get(), EVP_aes_256_cbc(), passphrase.data(),
            static_cast<int>(passphrase.size()), nullptr, nullptr) == 1,
        "PEM_write_bio_PKCS8PrivateKey");
  return BioContents(bio.get());
}

std::string TraditionalPrivateKeyPem(const std::string& private_key_pem,
                                     const std::string& passphrase) {
  PkeyPtr key = ReadPrivateKey(private_key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  auto* pass =
      reinterpret_cast<unsigned char*>(const_cast<char*>(passphrase.data()));
  Check(PEM_write_bio_PrivateKey_traditional(
            bio.get(), key.get(),
            passphrase.empty() ? nullptr : EVP_aes_128_cbc(),
            passphrase.empty() ? nullptr : pass,
            static_cast<int>(passphrase.size()), nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey_traditional");
  return BioContents(bio.get());
}

std::string PrivateKeyDer(const std::string& private_key_pem) {
  PkeyPtr key = ReadPrivateKey(private_key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(i2d_PKCS8PrivateKey_bio(bio.get(), key.get(), nullptr, nullptr, 0,
                                nullptr, nullptr) == 1,
        "i2d_PKCS8PrivateKey_bio");
  return BioContents(bio.get());
}

std::string MakeOcspResponseDer(const TestIdentity& leaf,
                                const TestIdentity& issuer,
                                absl::Time next_update) {
  X509Ptr leaf_cert = ReadCertificate(leaf.cert_pem);
  X509Ptr issuer_cert = ReadCertificate(issuer.cert_pem);
  PkeyPtr issuer_key = ReadPrivateKey(issuer.key.private_key_pem);
  OCSP_CERTID* id =
      OCSP_cert_to_id(EVP_sha1(), leaf_cert.get(), issuer_cert.get());
  Check(id != nullptr, "OCSP_cert_to_id");
  std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(
      OCSP_BASICRESP_new(), &OCSP_BASICRESP_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> this_update(
      ASN1_TIME_set(nullptr, absl::ToTimeT(absl::Now() - absl::Hours(1))),
      &ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(
      ASN1_TIME_set(nullptr, absl::ToTimeT(next_update)), &ASN1_TIME_free);
  Check(basic != nullptr && this_update != nullptr && next != nullptr,
        "OCSP response allocation");
  Check(
      OCSP_basic_add1_status(basic.get(), id, V_OCSP_CERTSTATUS_GOOD, 0,
                             nullptr, this_update.get(), next.get()) != nullptr,
      "OCSP_basic_add1_status");
  OCSP_CERTID_free(id);
  Check(OCSP_basic_sign(basic.get(), issuer_cert.get(), issuer_key.get(),
                        EVP_sha256(), nullptr, 0) == 1,
        "OCSP_basic_sign");
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> response(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()),
      &OCSP_RESPONSE_free);
  Check(response != nullptr, "OCSP_response_create");
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_RESPONSE(response.get(), &der);
  Check(length > 0, "i2d_OCSP_RESPONSE");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool VerifyEs256(const std::string& private_key_pem, const std::string& data,
                 const std::string& signature) {
  if (signature.size() != 64) return false;
  PkeyPtr key = ReadPrivateKey(private_key_pem);
  // OpenSSL verifies DER (SEQUENCE of r, s); JWS carries them raw.
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  Check(ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr),
                       BN_bin2bn(bytes + 32, 32, nullptr)) == 1,
        "ECDSA_SIG_set0");
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  const bool ok =
      der_length > 0 &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                           key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_length),
                       reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

}  // namespace certferry::testing
