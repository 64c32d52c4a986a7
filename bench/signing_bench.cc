// Per-certificate cost of the CPU side of issuance on one thread: key
// generation, signing and describing the leaf, sealing the key. Printed
// next to `openssl speed`'s ECDSA P-256 sign figure measured by
// bench/run_signing_bench in the same run, the floor no issuer can beat.
//
//   signing_bench --iterations 20000

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pki/certificate_signer.h"
#include "pki/key_envelope.h"
#include "pki/key_generation.h"

ABSL_FLAG(int, iterations, 20000, "certificates to sign");

namespace {

using namespace certferry;  // NOLINT: a benchmark's main

template <typename F>
double MicrosPerOp(int n, F&& op) {
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    if (!op(i)) {
      std::fprintf(stderr, "operation failed at %d\n", i);
      std::exit(1);
    }
  }
  return absl::ToDoubleMicroseconds(absl::Now() - start) / n;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_iterations);

  auto ca_key = pki::GenerateKey(pki::KeyType::kEcdsaP256);
  pki::CaCertificateSpec ca_spec;
  ca_spec.common_name = "bench-root";
  ca_spec.not_before = absl::Now() - absl::Hours(1);
  ca_spec.not_after = absl::Now() + absl::Hours(24 * 3650);
  auto ca_pem = pki::CreateRootCaCertificate(ca_key->pem(), ca_spec);
  auto signer = pki::CertificateSigner::Load(*ca_pem, ca_key->pem());
  auto kek = pki::KeyEncryptionKeyFromBytes(std::string(32, '\x42'));
  if (!ca_key.ok() || !ca_pem.ok() || !signer.ok() || !kek.ok()) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  pki::KeyRing keys(*std::move(kek));

  std::vector<pki::PrivateKey> generated;
  generated.reserve(n);
  const double keygen = MicrosPerOp(n, [&](int) {
    auto key = pki::GenerateKey(pki::KeyType::kEcdsaP256);
    if (!key.ok()) return false;
    generated.push_back(*std::move(key));
    return true;
  });
  pki::LeafSpec spec;
  spec.not_before = absl::Now() - absl::Minutes(5);
  spec.not_after = absl::Now() + absl::Hours(24 * 90);
  const double sign = MicrosPerOp(n, [&](int i) {
    spec.names = {absl::StrCat("svc", i, ".example.com")};
    return (*signer)->SignAndDescribeLeaf(generated[i], spec).ok();
  });
  const double seal = MicrosPerOp(n, [&](int i) {
    return keys.Seal(generated[i].pem(), absl::StrCat("key-", i)).ok();
  });
  std::printf(
      "per ECDSA P-256 certificate, one thread, %d iterations: key + PEM "
      "%.1f us, sign + describe %.1f us, seal %.1f us, total %.1f us\n",
      n, keygen, sign, seal, keygen + sign + seal);
  return 0;
}
