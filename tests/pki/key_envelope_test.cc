#include "pki/key_envelope.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::IsOkAndHolds;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Ne;
using ::testing::Not;
using ::testing::StartsWith;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                       static_cast<int>(n)),
            1);
  return out;
}

KeyEncryptionKey NewKek() {
  absl::StatusOr<KeyEncryptionKey> kek =
      KeyEncryptionKeyFromBytes(RandomBytes(32));
  EXPECT_THAT(kek, IsOk());
  return *std::move(kek);
}

// A fresh directory per test under the gtest temp dir.
std::string MakeTempDir() {
  std::string templ = ::testing::TempDir() + "key_envelope_test.XXXXXX";
  EXPECT_NE(::mkdtemp(templ.data()), nullptr);
  return templ;
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(KeyRing, SealThenOpenReturnsPlaintext) {
  const KeyRing ring(NewKek());
  const SecretString plaintext("-----BEGIN PRIVATE KEY-----\nsecret\n");

  const absl::StatusOr<SealedSecret> sealed = ring.Seal(plaintext, "cert-1/v2");
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->kek_id, ring.current_kek_id());
  EXPECT_EQ(sealed->nonce.size(), 12u);
  EXPECT_EQ(sealed->ciphertext.size(), plaintext.size() + 16);
  EXPECT_THAT(sealed->ciphertext, Not(HasSubstr("secret")));

  const absl::StatusOr<SecretString> opened = ring.Open(*sealed, "cert-1/v2");
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->Reveal(), plaintext.Reveal());
}

TEST(KeyRing, RoundTripsEmptyPlaintextAndEmptyAssociatedData) {
  const KeyRing ring(NewKek());

  const absl::StatusOr<SealedSecret> sealed = ring.Seal(SecretString(), "");
  ASSERT_THAT(sealed, IsOk());
  const absl::StatusOr<SecretString> opened = ring.Open(*sealed, "");
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->empty());
}

TEST(KeyRing, OpenWithWrongAssociatedDataIsDataLoss) {
  const KeyRing ring(NewKek());
  const absl::StatusOr<SealedSecret> sealed =
      ring.Seal(SecretString("key"), "cert-1/v2");
  ASSERT_THAT(sealed, IsOk());

  EXPECT_THAT(ring.Open(*sealed, "cert-1/v3"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("failed authentication")));
}

TEST(KeyRing, OpenOfTamperedCiphertextIsDataLoss) {
  const KeyRing ring(NewKek());
  const absl::StatusOr<SealedSecret> sealed =
      ring.Seal(SecretString("private key bytes"), "ad");
  ASSERT_THAT(sealed, IsOk());

  SealedSecret body_flipped = *sealed;
  body_flipped.ciphertext[0] ^= 0x01;
  EXPECT_THAT(ring.Open(body_flipped, "ad"),
              StatusIs(absl::StatusCode::kDataLoss));

  SealedSecret tag_flipped = *sealed;
  tag_flipped.ciphertext.back() ^= 0x80;
  EXPECT_THAT(ring.Open(tag_flipped, "ad"),
              StatusIs(absl::StatusCode::kDataLoss));

  SealedSecret nonce_flipped = *sealed;
  nonce_flipped.nonce[5] ^= 0x10;
  EXPECT_THAT(ring.Open(nonce_flipped, "ad"),
              StatusIs(absl::StatusCode::kDataLoss));

  SealedSecret cut = *sealed;
  cut.ciphertext.resize(10);
  EXPECT_THAT(ring.Open(cut, "ad"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyRing, OpenWithUnknownKekIdIsFailedPrecondition) {
  const KeyRing sealer(NewKek());
  const KeyRing other(NewKek());
  const absl::StatusOr<SealedSecret> sealed =
      sealer.Seal(SecretString("key"), "ad");
  ASSERT_THAT(sealed, IsOk());

  EXPECT_THAT(other.Open(*sealed, "ad"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(sealer.current_kek_id())));
}

TEST(KeyRing, SealUsesFreshNonceEachTime) {
  const KeyRing ring(NewKek());
  const SecretString plaintext("same plaintext");

  const absl::StatusOr<SealedSecret> first = ring.Seal(plaintext, "ad");
  const absl::StatusOr<SealedSecret> second = ring.Seal(plaintext, "ad");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());

  EXPECT_NE(first->nonce, second->nonce);
  EXPECT_NE(first->ciphertext, second->ciphertext);
}

TEST(KeyRing, RotatedRingOpensSecretsSealedUnderPreviousKek) {
  const KeyEncryptionKey old_kek = NewKek();
  const KeyEncryptionKey new_kek = NewKek();
  const absl::StatusOr<SealedSecret> old_sealed =
      KeyRing(old_kek).Seal(SecretString("old secret"), "ad");
  ASSERT_THAT(old_sealed, IsOk());

  const KeyRing rotated(new_kek, {old_kek});

  const absl::StatusOr<SecretString> opened = rotated.Open(*old_sealed, "ad");
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->Reveal(), "old secret");
  EXPECT_EQ(rotated.current_kek_id(), new_kek.id);
  const absl::StatusOr<SealedSecret> new_sealed =
      rotated.Seal(SecretString("new secret"), "ad");
  ASSERT_THAT(new_sealed, IsOk());
  EXPECT_EQ(new_sealed->kek_id, new_kek.id);
  EXPECT_THAT(KeyRing(old_kek).Open(*new_sealed, "ad"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(KeyEncryptionKeyFromBytes, IdIsStableAndDerivedFromSha256) {
  const std::string raw = RandomBytes(32);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(
      EVP_Digest(raw.data(), raw.size(), digest, &len, EVP_sha256(), nullptr),
      1);
  const std::string expected_id =
      absl::StrCat("kek-", absl::BytesToHexString(absl::string_view(
                               reinterpret_cast<const char*>(digest), 8)));

  const absl::StatusOr<KeyEncryptionKey> first = KeyEncryptionKeyFromBytes(raw);
  const absl::StatusOr<KeyEncryptionKey> second =
      KeyEncryptionKeyFromBytes(raw);

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->id, expected_id);
  EXPECT_THAT(first->id, MatchesRegex("kek-[0-9a-f]{16}"));
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(first->key.Reveal(), raw);
  EXPECT_THAT(NewKek().id, Ne(first->id));
  EXPECT_THAT(KeyEncryptionKeyFromBytes(raw),
              IsOkAndHolds(Field(&KeyEncryptionKey::id, StartsWith("kek-"))));
}

TEST(KeyEncryptionKeyFromBytes, RejectsWrongLength) {
  EXPECT_THAT(KeyEncryptionKeyFromBytes(RandomBytes(16)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
  EXPECT_THAT(KeyEncryptionKeyFromBytes(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GenerateKeyEncryptionKeyFile, CreatesMode0600FileThatLoads) {
  const std::string path = MakeTempDir() + "/kek";

  const absl::StatusOr<KeyEncryptionKey> generated =
      GenerateKeyEncryptionKeyFile(path);
  ASSERT_THAT(generated, IsOk());

  struct stat st = {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string content = ReadFile(path);
  EXPECT_EQ(content.size(), 45u);  // 44 base64 characters and a newline
  EXPECT_EQ(content.back(), '\n');

  const absl::StatusOr<KeyEncryptionKey> loaded = LoadKeyEncryptionKey(path);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->id, generated->id);
  EXPECT_EQ(loaded->key.Reveal(), generated->key.Reveal());
  EXPECT_EQ(loaded->key.size(), 32u);
}

TEST(GenerateKeyEncryptionKeyFile, RefusesToOverwrite) {
  const std::string path = MakeTempDir() + "/kek";
  ASSERT_THAT(GenerateKeyEncryptionKeyFile(path), IsOk());
  const std::string before = ReadFile(path);

  EXPECT_THAT(GenerateKeyEncryptionKeyFile(path),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(path)));
  EXPECT_EQ(ReadFile(path), before);
}

TEST(GenerateKeyEncryptionKeyFile, GeneratesDistinctKeys) {
  const std::string dir = MakeTempDir();

  const absl::StatusOr<KeyEncryptionKey> a =
      GenerateKeyEncryptionKeyFile(dir + "/a");
  const absl::StatusOr<KeyEncryptionKey> b =
      GenerateKeyEncryptionKeyFile(dir + "/b");

  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->id, b->id);
}

TEST(LoadKeyEncryptionKey, MissingFileIsNotFound) {
  const std::string path = MakeTempDir() + "/missing";

  EXPECT_THAT(LoadKeyEncryptionKey(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(LoadKeyEncryptionKey, RejectsFileReadableByOthers) {
  const std::string path = MakeTempDir() + "/kek";
  const std::string encoded = absl::Base64Escape(RandomBytes(32));
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    WriteFile(path, encoded + "\n", mode);

    EXPECT_THAT(LoadKeyEncryptionKey(path),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr(path), HasSubstr("chmod 600"))))
        << "mode " << std::oct << mode;
  }
}

TEST(LoadKeyEncryptionKey, AcceptsOwnerOnlyFileWithOrWithoutNewline) {
  const std::string dir = MakeTempDir();
  const std::string raw = RandomBytes(32);
  const std::string encoded = absl::Base64Escape(raw);
  WriteFile(dir + "/plain", encoded, 0600);
  WriteFile(dir + "/crlf", encoded + "\r\n", 0400);

  const absl::StatusOr<KeyEncryptionKey> plain =
      LoadKeyEncryptionKey(dir + "/plain");
  const absl::StatusOr<KeyEncryptionKey> crlf =
      LoadKeyEncryptionKey(dir + "/crlf");

  ASSERT_THAT(plain, IsOk());
  ASSERT_THAT(crlf, IsOk());
  EXPECT_EQ(plain->key.Reveal(), raw);
  EXPECT_EQ(crlf->id, plain->id);
}

TEST(LoadKeyEncryptionKey, RejectsGarbageWithoutEchoingIt) {
  const std::string path = MakeTempDir() + "/kek";
  WriteFile(path, "not base64 at all: s3cr3t!\n", 0600);

  EXPECT_THAT(LoadKeyEncryptionKey(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("base64"),
                             Not(HasSubstr("s3cr3t")))));
}

TEST(LoadKeyEncryptionKey, RejectsWrongLength) {
  const std::string dir = MakeTempDir();
  WriteFile(dir + "/short", absl::Base64Escape(RandomBytes(16)) + "\n", 0600);
  WriteFile(dir + "/long", absl::Base64Escape(RandomBytes(33)) + "\n", 0600);
  WriteFile(dir + "/empty", "", 0600);

  EXPECT_THAT(LoadKeyEncryptionKey(dir + "/short"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("decodes to 16 bytes, expected 32")));
  EXPECT_THAT(LoadKeyEncryptionKey(dir + "/long"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("decodes to 33 bytes, expected 32")));
  EXPECT_THAT(LoadKeyEncryptionKey(dir + "/empty"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(dir)));
}

TEST(LoadKeyEncryptionKey, RejectsBadPadding) {
  const std::string dir = MakeTempDir();
  std::string encoded = absl::Base64Escape(RandomBytes(32));
  ASSERT_EQ(encoded.back(), '=');
  encoded.back() = 'A';  // 33 bytes' worth, no padding
  WriteFile(dir + "/kek", encoded + "\n", 0600);
  WriteFile(dir + "/inner", "AAAA=AAA" + encoded.substr(8) + "\n", 0600);

  EXPECT_THAT(LoadKeyEncryptionKey(dir + "/kek"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadKeyEncryptionKey(dir + "/inner"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace certferry::pki
