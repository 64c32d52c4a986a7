// Revocation end to end with the real certferryd and CLI: certificates
// issued from the built-in CA while the CRL listener runs carry its URL as
// their CRL distribution point; `certferry certs revoke` revokes one; the
// CRL fetched over HTTP from the URL in the certificate makes
// `openssl verify -crl_check` report that certificate revoked while another
// one from the same CA still verifies.

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/daemon.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"

namespace certferry {
namespace {

using ::certferry::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "certferry-revoke-", getpid(), "-",
                      name);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// The URIs in the first certificate's cRLDistributionPoints.
std::vector<std::string> CrlDistributionPoints(const std::string& pem) {
  std::vector<std::string> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return out;
  auto* points = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  for (int i = 0; points != nullptr && i < sk_DIST_POINT_num(points); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points, i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      out.emplace_back(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
          ASN1_STRING_length(uri));
    }
  }
  CRL_DIST_POINTS_free(points);
  X509_free(cert);
  return out;
}

struct Issued {
  std::string id;
  std::string chain_pem;
};

// `certferry issue --wait` for one name; the id and the printed chain.
Issued IssueWithCli(const testing::Daemon& daemon, const std::string& name,
                    const std::string& domain) {
  auto issued = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                     daemon.address(), "issue", "--name", name,
                                     "--domain", domain, "--wait"});
  EXPECT_THAT(issued, IsOk());
  if (!issued.ok()) return {};
  EXPECT_EQ(issued->exit_code, 0) << issued->output;
  std::smatch match;
  const size_t pem = issued->output.find("-----BEGIN CERTIFICATE-----");
  if (!std::regex_search(issued->output, match,
                         std::regex(R"(id:\s+([0-9a-f-]{36}))")) ||
      pem == std::string::npos) {
    ADD_FAILURE() << "no id or chain in:\n" << issued->output;
    return {};
  }
  return {match[1], issued->output.substr(pem)};
}

// GET `url` (http://HOST:PORT/PATH); the body, or "" after a test failure.
std::string Fetch(const std::string& url) {
  std::smatch parts;
  if (!std::regex_match(url, parts,
                        std::regex(R"(http://([^/:]+):(\d+)(/.*))"))) {
    ADD_FAILURE() << "not an http://host:port/path URL: " << url;
    return "";
  }
  httplib::Client client(parts[1].str(), std::stoi(parts[2]));
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto response = client.Get(parts[3].str());
  if (!response) {
    ADD_FAILURE() << url << ": " << httplib::to_string(response.error());
    return "";
  }
  EXPECT_EQ(response->status, 200) << url << ": " << response->body;
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/pkix-crl");
  return response->body;
}

// `openssl verify` of `chain_file`'s leaf against `root_file`, checking it
// against the CRL at `crl_der` (converted to PEM with `openssl crl`).
testing::RunResult VerifyWithCrl(const std::string& root_file,
                                 const std::string& crl_der,
                                 const std::string& chain_file) {
  const std::string der_file = TempPath("crl.der");
  const std::string pem_file = TempPath("crl.pem");
  WriteFile(der_file, crl_der);
  auto converted =
      testing::RunProgram({"/usr/bin/openssl", "crl", "-inform", "DER", "-in",
                           der_file, "-out", pem_file});
  EXPECT_THAT(converted, IsOk());
  if (!converted.ok()) return {};
  EXPECT_EQ(converted->exit_code, 0) << converted->output;
  auto verify =
      testing::RunProgram({"/usr/bin/openssl", "verify", "-CAfile", root_file,
                           "-crl_check", "-CRLfile", pem_file, chain_file});
  EXPECT_THAT(verify, IsOk());
  return verify.ok() ? *verify : testing::RunResult();
}

TEST(RevocationE2e, TheCrlAtTheDistributionPointRevokesOnlyTheRevokedOne) {
  testing::Daemon daemon;
  daemon.binary = CERTFERRYD_PATH;
  ASSERT_THAT(testing::StartNewDaemon(
                  &daemon, {"--bootstrap_ca=e2e-root",
                            "--crl_listen=127.0.0.1:0", "--crl_validity=48h"}),
              IsOk());
  const Issued revoked = IssueWithCli(daemon, "leaked", "leaked.example.com");
  const Issued kept = IssueWithCli(daemon, "kept", "kept.example.com");
  ASSERT_FALSE(revoked.id.empty());
  ASSERT_FALSE(kept.id.empty());

  // Both carry the listener's URL for their CA's CRL.
  const std::vector<std::string> points =
      CrlDistributionPoints(revoked.chain_pem);
  ASSERT_EQ(points.size(), 1u) << revoked.chain_pem;
  const std::string url = points[0];
  EXPECT_THAT(url, MatchesRegex(R"(http://127\.0\.0\.1:[0-9]+/crl/)"
                                R"([0-9a-f-]{36}\.crl)"));
  EXPECT_EQ(CrlDistributionPoints(kept.chain_pem), points);

  auto root =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon.address(),
                           "ca", "get", "e2e-root", "--root"});
  ASSERT_THAT(root, IsOk());
  ASSERT_EQ(root->exit_code, 0) << root->output;
  const std::string root_file = TempPath("root.pem");
  const std::string revoked_file = TempPath("leaked.pem");
  const std::string kept_file = TempPath("kept.pem");
  WriteFile(root_file, root->output);
  WriteFile(revoked_file, revoked.chain_pem);
  WriteFile(kept_file, kept.chain_pem);

  // Before: the CA's CRL (published on this first fetch) lists nothing.
  const std::string empty_crl = Fetch(url);
  ASSERT_FALSE(empty_crl.empty());
  for (const std::string& chain : {revoked_file, kept_file}) {
    testing::RunResult before = VerifyWithCrl(root_file, empty_crl, chain);
    EXPECT_EQ(before.exit_code, 0) << chain << ": " << before.output;
  }

  auto revoke = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                     daemon.address(), "certs", "revoke",
                                     revoked.id, "--reason", "keyCompromise"});
  ASSERT_THAT(revoke, IsOk());
  ASSERT_EQ(revoke->exit_code, 0) << revoke->output;
  EXPECT_THAT(revoke->output,
              HasSubstr(absl::StrCat("revoked ", revoked.id, " version 1")));
  EXPECT_THAT(revoke->output, HasSubstr("keyCompromise"));
  EXPECT_THAT(revoke->output, HasSubstr("listed on the CRL at " + url));

  auto shown =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon.address(),
                           "certs", "get", revoked.id});
  ASSERT_THAT(shown, IsOk());
  EXPECT_THAT(shown->output, HasSubstr("(keyCompromise, by "));
  EXPECT_TRUE(std::regex_search(
      shown->output, std::regex(R"(\nrevoked: +20[0-9-]+T[0-9:]+Z \()")))
      << shown->output;

  const std::string crl = Fetch(url);
  ASSERT_FALSE(crl.empty());
  testing::RunResult after = VerifyWithCrl(root_file, crl, revoked_file);
  EXPECT_NE(after.exit_code, 0) << after.output;
  EXPECT_THAT(after.output, HasSubstr("certificate revoked"));
  testing::RunResult other = VerifyWithCrl(root_file, crl, kept_file);
  EXPECT_EQ(other.exit_code, 0) << other.output;
  EXPECT_THAT(other.output, HasSubstr(": OK"));

  // The reason and the CRL number, as openssl reads them.
  WriteFile(TempPath("crl.der"), crl);
  auto text =
      testing::RunProgram({"/usr/bin/openssl", "crl", "-inform", "DER", "-in",
                           TempPath("crl.der"), "-noout", "-text"});
  ASSERT_THAT(text, IsOk());
  EXPECT_THAT(text->output, HasSubstr("Key Compromise"));
  EXPECT_TRUE(
      std::regex_search(text->output, std::regex(R"(CRL Number: *\n *2\n)")))
      << text->output;

  // Revoking again says so; an imported-style refusal is covered by the
  // service tests.
  auto again =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon.address(),
                           "certs", "revoke", revoked.id});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->exit_code, 1);
  EXPECT_THAT(again->output, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(again->output, Not(HasSubstr("PRIVATE KEY")));
}

TEST(RevocationE2e, BadCrlFlagsAreClearStartupErrors) {
  const std::map<std::string, std::string> env = {
      {"CERTFERRY_DATABASE_URL", "postgresql://unused"},
      {"CERTFERRY_KEK_FILE", TempPath("unused.kek")}};
  auto everywhere = testing::RunProgram(
      {CERTFERRYD_PATH, "serve", "--crl_listen=0.0.0.0:8080"}, env);
  ASSERT_THAT(everywhere, IsOk());
  EXPECT_EQ(everywhere->exit_code, 1);
  EXPECT_THAT(everywhere->output,
              HasSubstr("--crl_base_url: required when --crl_listen"));
  auto https = testing::RunProgram(
      {CERTFERRYD_PATH, "serve", "--crl_base_url=https://pki.example.com"},
      env);
  ASSERT_THAT(https, IsOk());
  EXPECT_EQ(https->exit_code, 1);
  EXPECT_THAT(https->output, HasSubstr("must start with http://"));
}

}  // namespace
}  // namespace certferry
