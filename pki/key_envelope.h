#pragma once

// Encryption of private keys at rest: AES-256-GCM under a key-encryption key
// (KEK). Each ciphertext records the id of the KEK that sealed it, so KEKs
// can be rotated: a KeyRing holds the current KEK plus older ones for reading.
//
// KEK file format: the base64 of 32 random bytes, optionally followed by a
// newline. The KEK id is "kek-" + the first 16 hex digits of SHA-256 over the
// raw key bytes, so it is derived, never configured.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_string.h"

namespace certferry::pki {

struct KeyEncryptionKey {
  std::string id;    // "kek-<16 hex>"
  SecretString key;  // exactly 32 raw bytes
};

// A sealed secret. `ciphertext` carries the 16-byte GCM tag at its end.
struct SealedSecret {
  std::string kek_id;
  std::string nonce;       // 12 random bytes
  std::string ciphertext;  // encrypted bytes followed by the tag
};

// Reads a KEK file. NOT_FOUND if missing; INVALID_ARGUMENT (naming the path
// and the expected format) if the content is not base64 of 32 bytes;
// FAILED_PRECONDITION if the file is readable by group or others.
absl::StatusOr<KeyEncryptionKey> LoadKeyEncryptionKey(const std::string& path);

// Creates a new KEK file with mode 0600 holding fresh random bytes.
// ALREADY_EXISTS if `path` exists (never overwrites a KEK).
absl::StatusOr<KeyEncryptionKey> GenerateKeyEncryptionKeyFile(
    const std::string& path);

// Builds a KEK from raw bytes (32 of them, else INVALID_ARGUMENT).
absl::StatusOr<KeyEncryptionKey> KeyEncryptionKeyFromBytes(std::string raw);

// Holds the KEK used for sealing plus any older KEKs still needed to open
// existing ciphertexts. Immutable after construction; thread-safe.
class KeyRing {
 public:
  explicit KeyRing(KeyEncryptionKey current,
                   std::vector<KeyEncryptionKey> previous = {});

  const std::string& current_kek_id() const { return current_id_; }

  // Seals `plaintext` under the current KEK. `associated_data` is
  // authenticated (not encrypted) and must be given again to Open.
  absl::StatusOr<SealedSecret> Seal(const SecretString& plaintext,
                                    absl::string_view associated_data) const;

  // Opens a sealed secret. FAILED_PRECONDITION if its KEK id is not in the
  // ring (name the id); DATA_LOSS if authentication fails (wrong KEK, wrong
  // associated data or tampered bytes).
  absl::StatusOr<SecretString> Open(const SealedSecret& sealed,
                                    absl::string_view associated_data) const;

 private:
  std::string current_id_;
  std::map<std::string, SecretString> keys_;
};

}  // namespace certferry::pki
