#include "pki/csr.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "pki/internal/openssl_handles.h"
#include "pki/names.h"

namespace certferry::pki {
namespace {

using internal::ErrorQueueGuard;
using internal::GeneralNamesPtr;

struct X509ReqFree {
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
};
using X509ReqPtr = std::unique_ptr<X509_REQ, X509ReqFree>;

struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * p) const {
    sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free);
  }
};
using ExtensionStackPtr =
    std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree>;

absl::Status OpensslFailed(absl::string_view step) {
  return absl::InternalError(
      absl::StrCat("building the CSR: ", step, " failed"));
}

}  // namespace

absl::StatusOr<std::string> CreateCsrDer(
    const PrivateKey& key, const std::vector<std::string>& dns_names) {
  CF_ASSIGN_OR_RETURN(const std::vector<std::string> names,
                      NormalizeDnsNames("dns_names", dns_names));

  ErrorQueueGuard guard;
  X509ReqPtr request(X509_REQ_new());
  if (request == nullptr || X509_REQ_set_version(request.get(), 0) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.native()) != 1) {
    return OpensslFailed("setting the public key");
  }
  // CN is limited to 64 characters; the SAN carries every name anyway.
  if (names.front().size() <= 64) {
    X509_NAME* subject = X509_REQ_get_subject_name(request.get());
    if (X509_NAME_add_entry_by_txt(
            subject, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(names.front().c_str()), -1,
            -1, 0) != 1) {
      return OpensslFailed("setting the subject");
    }
  }

  GeneralNamesPtr alt_names(sk_GENERAL_NAME_new_null());
  if (alt_names == nullptr) return OpensslFailed("allocating the SAN");
  for (const std::string& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (entry == nullptr || text == nullptr ||
        ASN1_STRING_set(text, name.data(), static_cast<int>(name.size())) !=
            1) {
      GENERAL_NAME_free(entry);
      ASN1_IA5STRING_free(text);
      return OpensslFailed("encoding a name");
    }
    GENERAL_NAME_set0_value(entry, GEN_DNS, text);
    if (sk_GENERAL_NAME_push(alt_names.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return OpensslFailed("encoding a name");
    }
  }
  ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
  X509_EXTENSION* san =
      X509V3_EXT_i2d(NID_subject_alt_name, 0, alt_names.get());
  if (extensions == nullptr || san == nullptr ||
      sk_X509_EXTENSION_push(extensions.get(), san) == 0) {
    X509_EXTENSION_free(san);
    return OpensslFailed("adding subjectAltName");
  }
  if (X509_REQ_add_extensions(request.get(), extensions.get()) != 1) {
    return OpensslFailed("adding subjectAltName");
  }

  const EVP_MD* digest =
      key.type() == KeyType::kEcdsaP384 ? EVP_sha384() : EVP_sha256();
  if (X509_REQ_sign(request.get(), key.native(), digest) <= 0) {
    return OpensslFailed("signing");
  }
  const int length = i2d_X509_REQ(request.get(), nullptr);
  if (length <= 0) return OpensslFailed("encoding");
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509_REQ(request.get(), &out) != length) {
    return OpensslFailed("encoding");
  }
  return der;
}

}  // namespace certferry::pki
