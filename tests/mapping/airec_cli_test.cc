// The `certferry airec` commands, run as the built binary: local files
// only, so no server is started.

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/certificate_info_xlsx.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"
#include "tests/support/xlsx_files.h"

namespace certferry::mapping {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::RunProgram;
using ::testing::HasSubstr;
using ::testing::Not;

class AirecCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/airec_cli_" + std::to_string(getpid());
    ASSERT_EQ(system(("mkdir -p " + dir_).c_str()), 0);
    chain_ = dir_ + "/chain.pem";
    std::ofstream(chain_) << testing::MakeChain(
                                 {"api.example.com", "*.apps.example.com"})
                                 .fullchain_pem();
    other_chain_ = dir_ + "/other.pem";
    std::ofstream(other_chain_)
        << testing::MakeChain({"shop.example.org"}).fullchain_pem();
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  std::string dir_, chain_, other_chain_;
};

TEST_F(AirecCliTest, MappingWritesAFileThatChecksClean) {
  const std::string out = dir_ + "/certificate_info.xlsx";
  auto written =
      RunProgram({CERTFERRY_CLI_PATH, "airec", "mapping", "--cert-file", chain_,
                  "--cert-id", "cas-1", "--domain", "api.example.com",
                  "--domain", "eu.apps.example.com", "-o", out});
  ASSERT_THAT(written, IsOk());
  ASSERT_EQ(written->exit_code, 0) << written->output;
  EXPECT_THAT(written->output, HasSubstr("2 row(s)"));

  absl::StatusOr<CertificateInfoSheet> sheet =
      ReadCertificateInfoXlsx(Slurp(out));
  ASSERT_THAT(sheet, IsOk());
  ASSERT_EQ(sheet->rows.size(), 2u);
  EXPECT_EQ(sheet->rows[1].domain, "eu.apps.example.com");
  EXPECT_EQ(sheet->rows[1].certificate_id, "cas-1");

  auto checked = RunProgram({CERTFERRY_CLI_PATH, "airec", "check", out,
                             "--cert-file", chain_, "--cert-id", "cas-1"});
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ(checked->exit_code, 0) << checked->output;
  EXPECT_THAT(checked->output,
              HasSubstr("header Domain, CertificateID, Protocol, Port"));
  EXPECT_THAT(checked->output, HasSubstr("ok: no problems"));
}

TEST_F(AirecCliTest, MappingRefusesBadDomainsWithRowAndColumn) {
  const std::string out = dir_ + "/refused.xlsx";
  auto refused = RunProgram(
      {CERTFERRY_CLI_PATH, "airec", "mapping", "--cert-file", chain_,
       "--cert-id", "cas-1", "--domain", "api.example.com", "--domain",
       "*.apps.example.com", "--domain", "shop.example.org", "-o", out});
  ASSERT_THAT(refused, IsOk());
  EXPECT_EQ(refused->exit_code, 1) << refused->output;
  EXPECT_THAT(refused->output,
              HasSubstr("row 3, column Domain: '*.apps.example.com' is a "
                        "wildcard"));
  EXPECT_THAT(refused->output,
              HasSubstr("row 4, column Domain: 'shop.example.org' is not "
                        "covered by certificate 'cas-1'"));
  EXPECT_THAT(refused->output, Not(HasSubstr("row 2")));
  EXPECT_NE(access(out.c_str(), F_OK), 0) << "nothing may be written";
}

TEST_F(AirecCliTest, CheckReportsEveryProblemAndExitsOne) {
  const std::string out = dir_ + "/mismatch.xlsx";
  MappingRow a;
  a.domain = "api.example.com";
  a.certificate_id = "cas-2";
  MappingRow b;
  b.domain = "shop.example.org";
  b.certificate_id = "cas-9";
  ASSERT_THAT(WriteCertificateInfoXlsxFile(out, {a, b}), IsOk());
  auto checked =
      RunProgram({CERTFERRY_CLI_PATH, "airec", "check", out, "--cert-file",
                  other_chain_, "--cert-id", "cas-2"});
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ(checked->exit_code, 1) << checked->output;
  EXPECT_THAT(checked->output,
              HasSubstr("row 2, column Domain: 'api.example.com' is not "
                        "covered by certificate 'cas-2' (names: "
                        "shop.example.org)"));
  EXPECT_THAT(checked->output,
              HasSubstr("row 3, column CertificateID: 'cas-9' is not a "
                        "known certificate"));
  EXPECT_THAT(checked->output, HasSubstr("2 problem(s)"));
}

TEST_F(AirecCliTest, CheckRefusesAFileThatIsNotXlsx) {
  const std::string csv = dir_ + "/mapping.csv";
  std::ofstream(csv) << "Domain,CertificateID\napi.example.com,1\n";
  auto checked = RunProgram({CERTFERRY_CLI_PATH, "airec", "check", csv});
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ(checked->exit_code, 1);
  EXPECT_THAT(checked->output,
              HasSubstr("INVALID_ARGUMENT: " + csv + ": not an .xlsx file"));
}

// A file edited by hand (not by certferry's writer) with the three mistakes
// the platform drops silently: each is named by row and column.
TEST_F(AirecCliTest, CheckNamesEveryHandEditedMistakeAsJson) {
  const std::string out = dir_ + "/hand_edited.xlsx";
  std::ofstream(out, std::ios::binary) << testing::HandWrittenXlsx(
      {{"Domain", "CertificateID", "Protocol", "Port"},
       {"api.example.com", "cas-1", "HTTPS", "443"},
       {"*.apps.example.com", "cas-1", "HTTPS", "443"},
       {"eu.apps.example.com/", "cas-1", "HTTPS", "443"},
       {"shop.example.org", "cas-1", "HTTPS", "443"}});
  auto checked =
      RunProgram({CERTFERRY_CLI_PATH, "airec", "check", out, "--cert-file",
                  chain_, "--cert-id", "cas-1", "--json"});
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ(checked->exit_code, 1) << checked->output;
  const nlohmann::json report = nlohmann::json::parse(
      checked->output, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(report.is_object()) << checked->output;
  EXPECT_EQ(report["rows"], 4);
  EXPECT_EQ(report["coverageChecked"], true);
  ASSERT_EQ(report["issues"].size(), 3u) << checked->output;
  EXPECT_EQ(report["issues"][0]["row"], 3);
  EXPECT_EQ(report["issues"][0]["column"], "Domain");
  EXPECT_THAT(report["issues"][0]["problem"].get<std::string>(),
              HasSubstr("wildcard"));
  EXPECT_EQ(report["issues"][1]["row"], 4);
  EXPECT_THAT(report["issues"][1]["problem"].get<std::string>(),
              HasSubstr("slash"));
  EXPECT_EQ(report["issues"][2]["row"], 5);
  EXPECT_THAT(report["issues"][2]["problem"].get<std::string>(),
              HasSubstr("not covered"));
}

}  // namespace
}  // namespace certferry::mapping
