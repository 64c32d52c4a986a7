#include "diagnose/bundle/bundle_diagnosis.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "diagnose/finding_catalog.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"
#include "pki/internal/openssl_handles.h"

namespace certferry::diagnose {
namespace {

using pki::CertificateInfo;
using pki::internal::BioPtr;
using pki::internal::ErrorQueueGuard;
using pki::internal::MemBio;
using pki::internal::PkeyPtr;
using pki::internal::X509Ptr;

// certferry's own file target refuses anything larger, and no chain or key
// comes near it.
constexpr off_t kMaxFileBytes = 1 << 20;

std::string Quoted(const std::string& text) {
  return absl::StrCat("\"", text, "\"");
}

X509Ptr ReadX509(absl::string_view pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// What `openssl pkey -pubout -outform der | sha256sum` prints for the key.
std::string PublicKeySha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = key == nullptr ? -1 : i2d_PUBKEY(key, &der);
  if (length <= 0) return "unavailable";
  std::string digest = pki::Sha256Hex(absl::string_view(
      reinterpret_cast<const char*>(der), static_cast<size_t>(length)));
  OPENSSL_free(der);
  return digest;
}

// One or more DER certificates back to back and nothing else; empty when
// `data` is anything else.
std::vector<X509Ptr> DerCertificates(absl::string_view data) {
  std::vector<X509Ptr> certs;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* end = p + data.size();
  while (p < end) {
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(end - p)));
    if (cert == nullptr) return {};
    certs.push_back(std::move(cert));
  }
  return certs;
}

std::string ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

// The chain's certificates, leaf first as given; none, with the finding
// that says why, when it holds none.
std::vector<CertificateInfo> ReadChain(absl::string_view chain,
                                       std::vector<Finding>& out) {
  if (absl::StripAsciiWhitespace(chain).empty()) {
    out.push_back(MakeFinding("CERT_UNREADABLE", "the chain is empty"));
    return {};
  }
  absl::StatusOr<std::vector<CertificateInfo>> infos =
      pki::ParseCertificateChain(chain, "chain");
  if (infos.ok()) return *std::move(infos);

  const std::vector<X509Ptr> der = DerCertificates(chain);
  if (der.empty()) {
    out.push_back(
        MakeFinding("CERT_UNREADABLE", std::string(infos.status().message())));
    return {};
  }
  std::string pem;
  for (const X509Ptr& cert : der) pem += ToPem(cert.get());
  infos = pki::ParseCertificateChain(pem, "chain");
  if (!infos.ok()) {
    out.push_back(
        MakeFinding("CERT_UNREADABLE", std::string(infos.status().message())));
    return {};
  }
  out.push_back(MakeFinding(
      "DER_NOT_PEM",
      absl::StrCat("the chain is DER (binary), not PEM: ", infos->size(),
                   " certificate", infos->size() == 1 ? "" : "s",
                   ", the first ", Quoted(infos->front().subject))));
  return *std::move(infos);
}

// Reading a key must never prompt; a request for a passphrase is noted and
// refused, and tells that the key is encrypted.
int NotePassphraseRequest(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

// The private key, or null with the finding that says why there is none.
// Findings describe the text, never quote it.
PkeyPtr ReadKey(const SecretString& text, std::vector<Finding>& out) {
  const std::string& bytes = text.Reveal();
  if (absl::StripAsciiWhitespace(bytes).empty()) {
    out.push_back(MakeFinding("KEY_MISSING", "no private key was given"));
    return nullptr;
  }
  bool asked = false;
  BioPtr bio = MemBio(bytes);
  PkeyPtr key(bio == nullptr
                  ? nullptr
                  : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                            NotePassphraseRequest, &asked));
  if (key != nullptr) return key;
  if (asked) {
    out.push_back(MakeFinding(
        "KEY_ENCRYPTED",
        "the private key asks for a passphrase; whether it belongs to the "
        "certificate cannot be checked without decrypting it"));
    return nullptr;
  }
  const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
  key.reset(d2i_AutoPrivateKey(nullptr, &der, static_cast<long>(bytes.size())));
  if (key != nullptr) {
    out.push_back(
        MakeFinding("DER_NOT_PEM",
                    absl::StrCat("the private key is DER (binary), not PEM (",
                                 EVP_PKEY_get0_type_name(key.get()), ", ",
                                 EVP_PKEY_get_bits(key.get()), " bits)")));
    return key;
  }
  out.push_back(MakeFinding(
      "KEY_MISSING",
      absl::StrCat("the private key text (", bytes.size(), " bytes) holds ",
                   ReadX509(bytes) != nullptr || !DerCertificates(bytes).empty()
                       ? "a certificate, not a private key"
                       : "no readable PEM or DER private key")));
  return nullptr;
}

// Where the key's certificate stands in the chain; nullopt for none.
std::optional<size_t> KeyPosition(const std::vector<CertificateInfo>& chain,
                                  EVP_PKEY* key) {
  for (size_t i = 0; i < chain.size(); ++i) {
    X509Ptr cert = ReadX509(chain[i].pem);
    if (cert != nullptr &&
        EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key) == 1) {
      return i;
    }
  }
  return std::nullopt;
}

// The digests users compare by hand, for the key and every certificate.
Finding KeyMismatch(const std::vector<CertificateInfo>& chain, EVP_PKEY* key) {
  std::vector<std::string> certs;
  for (size_t i = 0; i < chain.size(); ++i) {
    X509Ptr cert = ReadX509(chain[i].pem);
    certs.push_back(absl::StrCat(
        "certificate ", i + 1, " ", Quoted(chain[i].subject), " has ",
        PublicKeySha256(cert ? X509_get0_pubkey(cert.get()) : nullptr)));
  }
  return MakeFinding(
      "KEY_MISMATCH",
      absl::StrCat("the private key belongs to no certificate of the chain; "
                   "SHA-256 of the DER SubjectPublicKeyInfo: the key has ",
                   PublicKeySha256(key), "; ", absl::StrJoin(certs, "; ")));
}

// Null `chain` or `key`: that file could not be read (reported already).
std::vector<Finding> DiagnoseContents(const std::string* chain,
                                      const SecretString* key,
                                      const std::vector<std::string>& domains,
                                      const ChainRuleOptions& options) {
  ErrorQueueGuard error_guard;
  std::vector<Finding> out;
  std::vector<CertificateInfo> infos;
  if (chain != nullptr) infos = ReadChain(*chain, out);
  const size_t leaf = LeafPosition(infos);

  // Order is one finding, whichever check saw it; the CHAIN_WRONG_ORDER
  // evidence names the whole path.
  std::vector<std::string> order_evidence;
  if (!infos.empty()) {
    std::vector<std::string> pems;
    for (const CertificateInfo& info : infos) pems.push_back(info.pem);
    ChainRuleOptions chain_options = options;
    chain_options.expected_domain.clear();
    for (Finding& finding : ChainFindings(pems, chain_options)) {
      if (finding.id == "CHAIN_WRONG_ORDER") {
        order_evidence.push_back(std::move(finding.evidence));
      } else {
        out.push_back(std::move(finding));
      }
    }
    for (const std::string& domain : domains) {
      for (Finding& finding : NameFindings(infos[leaf].pem, domain)) {
        out.push_back(std::move(finding));
      }
    }
  }

  bool leaf_not_first = leaf != 0;
  PkeyPtr private_key = key != nullptr ? ReadKey(*key, out) : nullptr;
  if (private_key != nullptr && !infos.empty()) {
    const std::optional<size_t> position =
        KeyPosition(infos, private_key.get());
    if (!position) {
      out.push_back(KeyMismatch(infos, private_key.get()));
    } else if (*position != 0) {
      leaf_not_first = true;
      order_evidence.insert(
          order_evidence.begin(),
          absl::StrCat("the private key belongs to certificate ", *position + 1,
                       " ", Quoted(infos[*position].subject),
                       ", but certificate 1 ", Quoted(infos[0].subject),
                       " comes first"));
    }
  }
  // A leaf not first is always out of its path's order, so evidence exists.
  if (!order_evidence.empty()) {
    // A server takes the first certificate as its own: with another one
    // there, it refuses to load the key with it.
    out.push_back(MakeFinding(
        "PEM_ORDER_WRONG", absl::StrJoin(order_evidence, "; "),
        leaf_not_first ? std::optional<Severity>(Severity::kCritical)
                       : std::nullopt));
  }
  return out;
}

// Reads the regular file `path` (at most kMaxFileBytes) into `content` and
// gives its mode, or adds the finding that says why it cannot be read.
bool ReadFile(const std::string& path, std::string& content, mode_t& mode,
              std::vector<Finding>& out) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    out.push_back(
        error == ENOENT
            ? MakeFinding("FILE_MISSING", absl::StrCat(path, " does not exist"))
            : MakeFinding("FILE_UNREADABLE",
                          absl::StrCat(path, ": ", std::strerror(error))));
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    out.push_back(MakeFinding(
        "FILE_UNREADABLE",
        absl::StrCat(path, " is not a regular file",
                     S_ISDIR(info.st_mode) ? " but a directory" : "")));
    return false;
  }
  if (info.st_size > kMaxFileBytes) {
    out.push_back(MakeFinding(
        "FILE_UNREADABLE",
        absl::StrCat(path, " holds ", info.st_size,
                     " bytes, more than any certificate or key file (1 MiB)")));
    return false;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.push_back(MakeFinding("FILE_UNREADABLE",
                              absl::StrCat(path, ": ", std::strerror(errno))));
    return false;
  }
  // Sized up front: growing would leave copies of key bytes on the heap.
  content.assign(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      out.push_back(MakeFinding(
          "FILE_UNREADABLE", absl::StrCat(path, ": ", std::strerror(error))));
      return false;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  content.resize(done);
  mode = info.st_mode;
  return true;
}

}  // namespace

std::vector<Finding> DiagnoseBundle(absl::string_view chain,
                                    const SecretString& private_key,
                                    const std::vector<std::string>& domains,
                                    const ChainRuleOptions& options) {
  const std::string chain_text(chain);
  return DiagnoseContents(&chain_text, &private_key, domains, options);
}

std::vector<Finding> DiagnoseBundleFiles(
    const BundleFiles& files, const std::vector<std::string>& domains,
    const ChainRuleOptions& options) {
  std::vector<Finding> out;
  struct stat directory;
  if (::stat(files.directory.c_str(), &directory) != 0 ||
      !S_ISDIR(directory.st_mode)) {
    out.push_back(MakeFinding(
        "FILE_MISSING",
        absl::StrCat("the directory ", files.directory, " does not exist")));
    return out;
  }
  std::string base = files.directory;
  if (!base.empty() && base.back() != '/') base.push_back('/');
  const std::string chain_path = base + files.chain_file;
  const std::string key_path = base + files.key_file;

  std::string chain;
  mode_t chain_mode = 0;
  const bool have_chain = ReadFile(chain_path, chain, chain_mode, out);
  std::string key_bytes;
  mode_t key_mode = 0;
  const bool have_key = ReadFile(key_path, key_bytes, key_mode, out);
  const SecretString key(std::move(key_bytes));

  // 0640 stays acceptable: a server group may need to read the key.
  if (have_key && (key_mode & 0027) != 0) {
    out.push_back(MakeFinding(
        "KEY_FILE_TOO_OPEN",
        absl::StrFormat("%s has mode %04o: %s", key_path, key_mode & 07777,
                        (key_mode & 0007) != 0 ? "other users can access it"
                                               : "its group can write it")));
  }

  for (Finding& finding :
       DiagnoseContents(have_chain ? &chain : nullptr,
                        have_key ? &key : nullptr, domains, options)) {
    out.push_back(std::move(finding));
  }
  return out;
}

}  // namespace certferry::diagnose
