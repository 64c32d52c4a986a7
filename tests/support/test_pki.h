#pragma once

// Generates certificates and keys in-process with OpenSSL for tests, so no
// key or certificate is committed and nothing expires in the repository.

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace certferry::testing {

// kRsa1024: too weak for OpenSSL's default security level, which servers
// such as nginx refuse to load (for tests of a rejected deployment).
enum class TestKeyType { kEcdsaP256, kEcdsaP384, kRsa2048, kRsa1024 };

struct TestKey {
  std::string private_key_pem;  // unencrypted PKCS#8 PEM
  std::string public_key_pem;
};

// One generated certificate with its key.
struct TestIdentity {
  std::string cert_pem;
  std::string cert_der;  // raw DER bytes
  TestKey key;
};

// The digest the issuer signs with. kSha1: what browsers reject since 2017
// (for tests of a weak signature).
enum class TestDigest { kSha256, kSha1 };

struct CertSpec {
  std::string common_name = "leaf.example.com";
  std::vector<std::string> dns_names = {"leaf.example.com"};
  absl::Time not_before = absl::Now() - absl::Hours(1);
  absl::Time not_after = absl::Now() + absl::Hours(24 * 90);
  bool is_ca = false;
  int x509_version = 3;  // 1 produces a v1 certificate without extensions
  TestKeyType key_type = TestKeyType::kEcdsaP256;
  long serial = 0;  // 0 picks a random serial
  TestDigest signature_digest = TestDigest::kSha256;
  // extendedKeyUsage of a v3 non-CA certificate, in openssl.cnf syntax;
  // empty: no extendedKeyUsage extension.
  std::string extended_key_usage = "serverAuth,clientAuth";
};

TestKey GenerateTestKey(TestKeyType type = TestKeyType::kEcdsaP256);

// Self-signed when `issuer` is null; otherwise signed by issuer's key with
// issuer's subject as the issuer name.
TestIdentity MakeCertificate(const CertSpec& spec,
                             const TestIdentity* issuer = nullptr);

// A ready chain: root CA -> intermediate CA -> leaf for `dns_names`.
struct TestChain {
  TestIdentity root;
  TestIdentity intermediate;
  TestIdentity leaf;
  // leaf + intermediate PEM, the usual "fullchain" a server sends.
  std::string fullchain_pem() const {
    return leaf.cert_pem + intermediate.cert_pem;
  }
};
TestChain MakeChain(std::vector<std::string> dns_names = {"leaf.example.com"},
                    absl::Time leaf_not_after = absl::Now() +
                                                absl::Hours(24 * 90),
                    absl::Time leaf_not_before = absl::Now() - absl::Hours(1));

// `key` re-encoded as encrypted PKCS#8 PEM ("BEGIN ENCRYPTED PRIVATE KEY")
// under `passphrase`.
std::string EncryptPrivateKeyPem(const std::string& private_key_pem,
                                 const std::string& passphrase);

// `key` re-encoded in traditional form ("BEGIN EC PRIVATE KEY" / "BEGIN RSA
// PRIVATE KEY"); with a `passphrase`, encrypted with AES-128-CBC
// ("Proc-Type: 4,ENCRYPTED", as `openssl genrsa -aes128` wrote keys).
std::string TraditionalPrivateKeyPem(const std::string& private_key_pem,
                                     const std::string& passphrase = "");

// `key` as DER (PKCS#8 PrivateKeyInfo bytes).
std::string PrivateKeyDer(const std::string& private_key_pem);

// A DER OCSP response saying `leaf` is good, signed by its issuer's key
// (the CA answers for itself), valid from an hour ago until `next_update`:
// what a server staples (nginx: ssl_stapling_file).
std::string MakeOcspResponseDer(const TestIdentity& leaf,
                                const TestIdentity& issuer,
                                absl::Time next_update = absl::Now() +
                                                         absl::Hours(24));

// True when `signature` is a JWS ES256 signature (r || s, 32 bytes each;
// RFC 7518 §3.4) of `data` by the private key in `private_key_pem`, checked
// with OpenSSL's own ECDSA verifier.
bool VerifyEs256(const std::string& private_key_pem, const std::string& data,
                 const std::string& signature);

}  // namespace certferry::testing
