#include "pki/key_envelope.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "pki/digest.h"
#include "pki/internal/openssl_handles.h"

namespace certferry::pki {
namespace {

using internal::ErrorQueueGuard;

constexpr size_t kKekBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// A KEK file is 44 base64 characters and a newline; anything much larger is
// not a KEK file, and reading it whole would be pointless.
constexpr size_t kMaxKekFileBytes = 4096;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Buffers that held key or plaintext bytes are wiped before release.
class ScrubbedString {
 public:
  ScrubbedString() = default;
  ScrubbedString(const ScrubbedString&) = delete;
  ScrubbedString& operator=(const ScrubbedString&) = delete;
  ~ScrubbedString() { OPENSSL_cleanse(value_.data(), value_.size()); }
  std::string& Get() { return value_; }

 private:
  std::string value_;
};

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

std::string KekId(absl::string_view raw) {
  return absl::StrCat("kek-", Sha256Hex(raw).substr(0, 16));
}

std::string KekFormatHint(const std::string& path) {
  return absl::StrCat(
      "a KEK file holds the base64 of 32 random bytes; create "
      "one with `(umask 077 && openssl rand -base64 32 > ",
      path, ")`");
}

bool IsBase64Char(char c) {
  return absl::ascii_isalnum(c) || c == '+' || c == '/';
}

// Strict standard base64 (padded, no whitespace): EVP_DecodeBlock alone
// accepts some malformed input and counts padding as zero bytes.
bool DecodeStrictBase64(absl::string_view text, std::string* out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!IsBase64Char(text[i])) return false;
  }
  out->assign(text.size() / 4 * 3, '\0');
  const int len =
      EVP_DecodeBlock(Bytes(*out), Bytes(text), static_cast<int>(text.size()));
  if (len < 0 || static_cast<size_t>(len) < padding) return false;
  out->resize(static_cast<size_t>(len) - padding);
  return true;
}

std::string EncodeBase64(absl::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(Bytes(out), Bytes(raw), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

absl::Status ErrnoError(int error_number, absl::string_view what) {
  return absl::ErrnoToStatus(error_number, what);
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KeyEncryptionKey> KeyEncryptionKeyFromBytes(std::string raw) {
  if (raw.size() != kKekBytes) {
    const size_t size = raw.size();
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::InvalidArgumentError(
        absl::StrCat("KEK must be exactly ", kKekBytes, " bytes, got ", size));
  }
  KeyEncryptionKey kek;
  kek.id = KekId(raw);
  kek.key = SecretString(std::move(raw));
  return kek;
}

absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKey(const std::string& path) {
  ErrorQueueGuard error_guard;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return absl::NotFoundError(absl::StrCat(
          "KEK file ", path, " does not exist; ", KekFormatHint(path)));
    }
    return ErrnoError(error_number, absl::StrCat("opening KEK file ", path));
  }
  // fstat on the opened descriptor, so the mode checked is the mode of the
  // file actually read (no race with a rename between stat and open).
  struct stat st = {};
  ScrubbedString content;
  absl::Status status;
  if (::fstat(fd, &st) != 0) {
    status = ErrnoError(errno, absl::StrCat("stat of KEK file ", path));
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "KEK file ", path, " is not a regular file; ", KekFormatHint(path)));
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    status = absl::FailedPreconditionError(absl::StrCat(
        "KEK file ", path, " has mode ", mode,
        ", so group or others can access it; run `chmod 600 ", path,
        "` (and consider rotating the KEK if others may have read it)"));
  } else {
    char buf[512];
    while (status.ok()) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        status = ErrnoError(errno, absl::StrCat("reading KEK file ", path));
      } else if (n == 0) {
        break;
      } else {
        content.Get().append(buf, static_cast<size_t>(n));
        if (content.Get().size() > kMaxKekFileBytes) {
          status = absl::InvalidArgumentError(absl::StrCat(
              "KEK file ", path, " is too large to be a KEK file; ",
              KekFormatHint(path)));
        }
      }
    }
    OPENSSL_cleanse(buf, sizeof(buf));
  }
  ::close(fd);
  CF_RETURN_IF_ERROR(status);

  absl::string_view text = content.Get();
  if (absl::EndsWith(text, "\n")) text.remove_suffix(1);
  if (absl::EndsWith(text, "\r")) text.remove_suffix(1);
  ScrubbedString raw;
  if (!DecodeStrictBase64(text, &raw.Get())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEK file ", path, " is not valid base64; ", KekFormatHint(path)));
  }
  if (raw.Get().size() != kKekBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEK file ", path, " decodes to ", raw.Get().size(),
        " bytes, expected ", kKekBytes, "; ", KekFormatHint(path)));
  }
  return KeyEncryptionKeyFromBytes(raw.Get());
}

absl::StatusOr<KeyEncryptionKey> GenerateKeyEncryptionKeyFile(
    const std::string& path) {
  ErrorQueueGuard error_guard;
  ScrubbedString raw;
  raw.Get().assign(kKekBytes, '\0');
  if (RAND_bytes(Bytes(raw.Get()), kKekBytes) != 1) {
    return absl::InternalError("RAND_bytes failed generating a KEK");
  }
  ScrubbedString encoded;
  encoded.Get() = EncodeBase64(raw.Get());
  encoded.Get().push_back('\n');

  // O_EXCL makes "never overwrite an existing KEK" atomic.
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(
          "KEK file ", path,
          " already exists; refusing to overwrite a KEK (ciphertexts sealed "
          "under it would become unreadable); choose another path"));
    }
    return ErrnoError(error_number, absl::StrCat("creating KEK file ", path));
  }
  absl::Status status = WriteAll(fd, encoded.Get());
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError(errno, "fsync");
  if (::close(fd) != 0 && status.ok()) status = ErrnoError(errno, "close");
  if (!status.ok()) {
    // The file is ours (O_EXCL) and incomplete; leaving it would make the
    // retry fail with ALREADY_EXISTS on a file that holds no usable KEK.
    ::unlink(path.c_str());
    return WithContext(status, absl::StrCat("writing KEK file ", path));
  }
  // Persist the directory entry too; a crash must not lose a KEK that
  // ciphertexts may already depend on. Best effort: the data is synced.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return KeyEncryptionKeyFromBytes(raw.Get());
}

KeyRing::KeyRing(KeyEncryptionKey current,
                 std::vector<KeyEncryptionKey> previous)
    : current_id_(current.id) {
  keys_.emplace(current.id, std::move(current.key));
  for (KeyEncryptionKey& kek : previous) {
    keys_.emplace(kek.id, std::move(kek.key));
  }
}

absl::StatusOr<SealedSecret> KeyRing::Seal(
    const SecretString& plaintext, absl::string_view associated_data) const {
  ErrorQueueGuard error_guard;
  const auto it = keys_.find(current_id_);
  if (it == keys_.end() || it->second.size() != kKekBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("current KEK ", current_id_, " is not a 32-byte key"));
  }
  SealedSecret sealed;
  sealed.kek_id = current_id_;
  sealed.nonce.assign(kNonceBytes, '\0');
  if (RAND_bytes(Bytes(sealed.nonce), kNonceBytes) != 1) {
    return absl::InternalError("RAND_bytes failed generating a nonce");
  }

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::string& pt = plaintext.Reveal();
  sealed.ciphertext.assign(pt.size() + kTagBytes, '\0');
  unsigned char* out = Bytes(sealed.ciphertext);
  int len = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         Bytes(it->second.Reveal()),
                         Bytes(sealed.nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, Bytes(pt),
                        static_cast<int>(pt.size())) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  int total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), out + total, &len) != 1 ||
      static_cast<size_t>(total) + static_cast<size_t>(len) != pt.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          out + pt.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return sealed;
}

absl::StatusOr<SecretString> KeyRing::Open(
    const SealedSecret& sealed, absl::string_view associated_data) const {
  ErrorQueueGuard error_guard;
  const auto it = keys_.find(sealed.kek_id);
  if (it == keys_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret was sealed under KEK ", sealed.kek_id,
                     ", which is not in the key ring (current KEK ",
                     current_id_, "); add that KEK file to the previous KEKs"));
  }
  if (sealed.nonce.size() != kNonceBytes ||
      sealed.ciphertext.size() < kTagBytes) {
    return absl::DataLossError(absl::StrCat(
        "sealed secret is malformed (nonce ", sealed.nonce.size(),
        " bytes, ciphertext ", sealed.ciphertext.size(), " bytes)"));
  }
  const size_t body_len = sealed.ciphertext.size() - kTagBytes;
  const absl::string_view body(sealed.ciphertext.data(), body_len);
  std::string tag = sealed.ciphertext.substr(body_len);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  ScrubbedString plain;
  plain.Get().assign(body_len, '\0');
  unsigned char* out = Bytes(plain.Get());
  int len = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         Bytes(it->second.Reveal()),
                         Bytes(sealed.nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(body),
                        static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          Bytes(tag)) != 1) {
    return absl::InternalError("AES-256-GCM decryption setup failed");
  }
  int total = len;
  if (EVP_DecryptFinal_ex(ctx.get(), out + total, &len) != 1) {
    return absl::DataLossError(absl::StrCat(
        "sealed secret failed authentication under KEK ", sealed.kek_id,
        " (wrong KEK, wrong associated data, or tampered ciphertext)"));
  }
  total += len;
  return SecretString(plain.Get().substr(0, static_cast<size_t>(total)));
}

}  // namespace certferry::pki
