// The TLS client's checks that need no peer; handshakes against real
// servers are in endpoint_tls_e2e_test.cc.

#include "diagnose/probe/tls_client.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TlsClientCreate, OffersWhatThisOpenSslHas) {
  TlsClientOptions options;
  options.sni = "www.example.com";
  options.request_ocsp = true;
  EXPECT_THAT(TlsClient::Create(options), IsOk());

  options.min_version = TlsVersion::kTls1_0;
  options.max_version = TlsVersion::kTls1_2;
  options.cipher_list = "eNULL:!PSK:!SRP";
  EXPECT_THAT(TlsClient::Create(options), IsOk());
}

TEST(TlsClientCreate, CipherListWithNoSuiteIsFailedPrecondition) {
  TlsClientOptions options;
  options.max_version = TlsVersion::kTls1_2;
  options.cipher_list = "NO-SUCH-SUITE";
  EXPECT_THAT(TlsClient::Create(options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no cipher suite for \"NO-SUCH-SUITE\"")));
}

TEST(TlsClientCreate, NoClientHelloIsFailedPrecondition) {
  // Only PSK suites: this client has no PSK, so OpenSSL cannot build a
  // ClientHello, which Create finds without any I/O.
  TlsClientOptions options;
  options.max_version = TlsVersion::kTls1_2;
  options.cipher_list = "PSK";
  EXPECT_THAT(TlsClient::Create(options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot offer it")));
}

TEST(TlsClientCreate, SniOpenSslRefusesIsInvalidArgument) {
  TlsClientOptions options;
  options.sni = std::string(300, 'a');
  EXPECT_THAT(TlsClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sni")));
}

}  // namespace
}  // namespace certferry::diagnose
