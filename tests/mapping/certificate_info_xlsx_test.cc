#include "mapping/certificate_info_xlsx.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/xlsx_files.h"

namespace certferry::mapping {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::certferry::testing::Zip;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMain[] =
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr char kRel[] =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

// A package whose workbook lives at book/wb.xml and whose first sheet (in
// tab order) is book/sheets/mapping.xml, declared after a second sheet in
// the relationships: only a reader that follows the relationships finds it.
std::map<std::string, std::string> Package(const std::string& sheet_xml,
                                           const std::string& shared_xml) {
  const std::string pkg_rel =
      "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  std::map<std::string, std::string> parts = {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats."
       "org/package/2006/content-types\"/>"},
      {"_rels/.rels",
       "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
       "openxmlformats.org/package/2006/relationships\"><Relationship "
       "Id=\"rId1\" Type=\"" +
           pkg_rel +
           "/officeDocument\" Target=\"book/wb.xml\"/>"
           "</Relationships>"},
      {"book/wb.xml",
       std::string("<?xml version=\"1.0\"?><x:workbook xmlns:x=\"") + kMain +
           "\" xmlns:rel=\"" + kRel +
           "\"><x:sheets><x:sheet name=\"Mapping\" sheetId=\"2\" "
           "rel:id=\"rId7\"/><x:sheet name=\"Notes\" sheetId=\"1\" "
           "rel:id=\"rId3\"/></x:sheets></x:workbook>"},
      {"book/_rels/wb.xml.rels",
       "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
       "openxmlformats.org/package/2006/relationships\">"
       "<Relationship Id=\"rId3\" Type=\"" +
           pkg_rel +
           "/worksheet\" Target=\"sheets/sheet1.xml\"/>"
           "<Relationship Id=\"rId7\" Type=\"" +
           pkg_rel +
           "/worksheet\" Target=\"/book/sheets/mapping.xml\"/>"
           "<Relationship Id=\"rId9\" Type=\"" +
           pkg_rel +
           "/sharedStrings\" Target=\"strings.xml\"/></Relationships>"},
      {"book/sheets/sheet1.xml",
       std::string("<worksheet xmlns=\"") + kMain +
           "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>"
           "not the mapping</t></is></c></row></sheetData></worksheet>"},
      {"book/sheets/mapping.xml", sheet_xml},
  };
  if (!shared_xml.empty()) parts["book/strings.xml"] = shared_xml;
  return parts;
}

std::string Sheet(const std::string& rows) {
  return std::string("<?xml version=\"1.0\"?><worksheet xmlns=\"") + kMain +
         "\"><sheetData>" + rows + "</sheetData></worksheet>";
}

TEST(CertificateInfoXlsx, WriteThenReadRoundTrips) {
  MappingRow a;
  a.domain = "api.example.com";
  a.certificate_id = "12345678";
  MappingRow b;
  b.domain = "shop.example.com";
  b.certificate_id = "cas-2";
  b.port = "8443";
  absl::StatusOr<std::string> bytes = WriteCertificateInfoXlsx({a, b});
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(bytes->substr(0, 2), "PK");

  absl::StatusOr<CertificateInfoSheet> sheet = ReadCertificateInfoXlsx(*bytes);
  ASSERT_THAT(sheet, IsOk());
  EXPECT_EQ(sheet->header, HeaderKind::kStandard);
  EXPECT_EQ(sheet->header_row, 1);
  ASSERT_EQ(sheet->rows.size(), 2u);
  EXPECT_EQ(sheet->rows[0].row, 2);
  EXPECT_EQ(sheet->rows[0].domain, "api.example.com");
  // A numeric-looking ID stays text, not 12345678.0.
  EXPECT_EQ(sheet->rows[0].certificate_id, "12345678");
  EXPECT_EQ(sheet->rows[0].protocol, "HTTPS");
  EXPECT_EQ(sheet->rows[0].port, "443");
  EXPECT_EQ(sheet->rows[1].row, 3);
  EXPECT_EQ(sheet->rows[1].domain, "shop.example.com");
  EXPECT_EQ(sheet->rows[1].port, "8443");
}

TEST(CertificateInfoXlsx, WriteRefusesBadRowsNamingRowAndColumn) {
  MappingRow good;
  good.domain = "api.example.com";
  good.certificate_id = "cas-1";
  MappingRow bad = good;
  bad.domain = "*.example.com";
  EXPECT_THAT(WriteCertificateInfoXlsx({good, bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 3, column Domain: '*.example.com' is "
                                 "a wildcard")));
}

TEST(CertificateInfoXlsx, WriteFileReplacesThePathAtomically) {
  const std::string path = ::testing::TempDir() + "/written_mapping.xlsx";
  MappingRow row;
  row.domain = "api.example.com";
  row.certificate_id = "cas-1";
  ASSERT_THAT(WriteCertificateInfoXlsxFile(path, {row}), IsOk());
  FILE* file = std::fopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr);
  std::string bytes;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0) {
    bytes.append(chunk, n);
  }
  std::fclose(file);
  absl::StatusOr<CertificateInfoSheet> sheet = ReadCertificateInfoXlsx(bytes);
  ASSERT_THAT(sheet, IsOk());
  ASSERT_EQ(sheet->rows.size(), 1u);
  EXPECT_EQ(sheet->rows[0].domain, "api.example.com");
}

TEST(CertificateInfoXlsx, ReadsAnotherWritersFileWithSharedStringsAndNumbers) {
  // Shared strings: a plain one, one split into rich-text runs with a
  // phonetic hint that is not cell text, and header names in odd case.
  const std::string shared =
      std::string("<sst xmlns=\"") + kMain +
      "\" count=\"6\" uniqueCount=\"6\">"
      "<si><t>DOMAIN</t></si>"                         // 0
      "<si><t>certificateId</t></si>"                  // 1
      "<si><t>Protocol</t></si>"                       // 2
      "<si><t xml:space=\"preserve\"> Port </t></si>"  // 3
      "<si><r><rPr><b/></rPr><t>api.</t></r><r><t>example.com</t></r>"
      "<rPh sb=\"0\" eb=\"1\"><t>ignored</t></rPh></si>"  // 4
      "<si><t>HTTPS</t></si></sst>";                      // 5
  // Columns B..E (A unused), the header on row 1, a blank styled row 2,
  // data on rows 3 and 7; Port as a number cell (one as 4.43E2), one
  // domain as an inline string, one row without cell references.
  const std::string rows =
      "<row r=\"1\"><c r=\"B1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1"
      "</v></c><c r=\"D1\" t=\"s\"><v>2</v></c><c r=\"E1\" t=\"s\"><v>3</v>"
      "</c><c r=\"G1\" t=\"inlineStr\"><is><t>Notes</t></is></c></row>"
      "<row r=\"2\"><c r=\"B2\" s=\"1\"/></row>"
      "<row r=\"3\"><c r=\"B3\" t=\"s\"><v>4</v></c><c r=\"C3\"><v>1234</v>"
      "</c><c r=\"D3\" t=\"s\"><v>5</v></c><c r=\"E3\"><v>443</v></c></row>"
      "<row r=\"7\"><c r=\"B7\" t=\"inlineStr\"><is><t>shop.example.com</t>"
      "</is></c><c r=\"C7\" t=\"str\"><v>cas-2</v></c><c r=\"D7\" "
      "t=\"s\"><v>5</v></c><c r=\"E7\"><v>4.43E2</v></c></row>"
      "<row><c/><c t=\"inlineStr\"><is><t>eu.example.com</t></is></c>"
      "<c t=\"inlineStr\"><is><t>cas-3</t></is></c><c t=\"s\"><v>5</v></c>"
      "<c><v>8443</v></c></row>";
  absl::StatusOr<CertificateInfoSheet> sheet =
      ReadCertificateInfoXlsx(Zip(Package(Sheet(rows), shared)));
  ASSERT_THAT(sheet, IsOk());
  EXPECT_EQ(sheet->sheet_name, "Mapping");
  EXPECT_EQ(sheet->header, HeaderKind::kStandard);
  ASSERT_EQ(sheet->rows.size(), 3u);
  EXPECT_EQ(sheet->rows[0].row, 3);
  EXPECT_EQ(sheet->rows[0].domain, "api.example.com");
  EXPECT_EQ(sheet->rows[0].certificate_id, "1234");
  EXPECT_EQ(sheet->rows[0].protocol, "HTTPS");
  EXPECT_EQ(sheet->rows[0].port, "443");
  EXPECT_EQ(sheet->rows[1].row, 7);
  EXPECT_EQ(sheet->rows[1].domain, "shop.example.com");
  EXPECT_EQ(sheet->rows[1].certificate_id, "cas-2");
  EXPECT_EQ(sheet->rows[1].port, "443");
  EXPECT_EQ(sheet->rows[2].row, 8);
  EXPECT_EQ(sheet->rows[2].domain, "eu.example.com");
  EXPECT_EQ(sheet->rows[2].port, "8443");
  EXPECT_TRUE(ValidateMappingRows(sheet->rows, {}).empty());
}

TEST(CertificateInfoXlsx, ReadsVariantHeaderAndReportsIt) {
  const std::string shared = std::string("<sst xmlns=\"") + kMain +
                             "\"><si><t>Domain</t></si><si><t>Cert_Type</t>"
                             "</si><si><t>certificate_id</t></si></sst>";
  const std::string rows =
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1"
      "</v></c><c r=\"D1\" t=\"s\"><v>2</v></c></row>"
      "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>*.example.com</t>"
      "</is></c><c r=\"D4\" t=\"inlineStr\"><is><t>cas-1</t></is></c>"
      "</row>";
  absl::StatusOr<CertificateInfoSheet> sheet =
      ReadCertificateInfoXlsx(Zip(Package(Sheet(rows), shared)));
  ASSERT_THAT(sheet, IsOk());
  EXPECT_EQ(sheet->header, HeaderKind::kVariant);
  EXPECT_EQ(HeaderKindName(sheet->header), "domain, certificate_id, cert_type");
  ASSERT_EQ(sheet->rows.size(), 1u);
  EXPECT_EQ(sheet->rows[0].domain, "*.example.com");
  EXPECT_EQ(sheet->rows[0].certificate_id, "cas-1");
  EXPECT_EQ(sheet->rows[0].cert_type, "");
  MappingValidationOptions options;
  options.header = sheet->header;
  const std::vector<MappingIssue> issues =
      ValidateMappingRows(sheet->rows, options);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_THAT(FormatMappingIssue(issues[0]),
              HasSubstr("row 4, column domain: '*.example.com' is a "
                        "wildcard"));
  EXPECT_THAT(FormatMappingIssue(issues[1]),
              HasSubstr("row 4, column cert_type: '' is empty"));
}

TEST(CertificateInfoXlsx, RefusesSomethingThatIsNotAZip) {
  EXPECT_THAT(ReadCertificateInfoXlsx("Domain,CertificateID\n", "map.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("map.csv: not an .xlsx file")));
}

TEST(CertificateInfoXlsx, RefusesAZipThatIsNotAWorkbook) {
  EXPECT_THAT(ReadCertificateInfoXlsx(Zip({{"readme.txt", "hello"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no workbook part")));
}

TEST(CertificateInfoXlsx, RefusesMissingColumnNamingIt) {
  const std::string rows =
      "<row r=\"1\"><c t=\"inlineStr\"><is><t>Domain</t></is></c>"
      "<c t=\"inlineStr\"><is><t>CertificateID</t></is></c>"
      "<c t=\"inlineStr\"><is><t>Protocol</t></is></c></row>"
      "<row r=\"2\"><c t=\"inlineStr\"><is><t>a.example.com</t></is></c>"
      "</row>";
  EXPECT_THAT(
      ReadCertificateInfoXlsx(Zip(Package(Sheet(rows), ""))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("header row 1 of sheet 'Mapping' has no 'Port' "
                         "column (found: Domain, CertificateID, Protocol)")));
}

TEST(CertificateInfoXlsx, RefusesEmptySheetAndHeaderOnly) {
  EXPECT_THAT(ReadCertificateInfoXlsx(Zip(Package(Sheet(""), ""))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sheet 'Mapping' is empty")));
  const std::string header_only =
      "<row r=\"1\"><c t=\"inlineStr\"><is><t>domain</t></is></c>"
      "<c t=\"inlineStr\"><is><t>certificate_id</t></is></c>"
      "<c t=\"inlineStr\"><is><t>cert_type</t></is></c></row>";
  EXPECT_THAT(ReadCertificateInfoXlsx(Zip(Package(Sheet(header_only), ""))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has a header but no data rows")));
}

TEST(CertificateInfoXlsx, RefusesWorkbookWithoutWorksheet) {
  std::map<std::string, std::string> parts = Package(Sheet(""), "");
  parts["book/wb.xml"] =
      std::string("<workbook xmlns=\"") + kMain + "\"><sheets/></workbook>";
  EXPECT_THAT(ReadCertificateInfoXlsx(Zip(parts)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has no worksheet")));
}

TEST(CertificateInfoXlsx, RefusesPartThatExpandsPastTheCap) {
  // 17 MiB of blanks deflate to a few KiB: the file is small, the part is
  // not. The default per-part cap is 16 MiB.
  std::string huge = Sheet("");
  huge.insert(huge.find("<sheetData>"), std::string(17 << 20, ' '));
  const std::string bytes = Zip(Package(huge, ""));
  ASSERT_LT(bytes.size(), 1u << 20);
  EXPECT_THAT(ReadCertificateInfoXlsx(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'book/sheets/mapping.xml' expands to more "
                                 "than 16777216 bytes")));
}

TEST(CertificateInfoXlsx, RefusesFileOverTheSizeLimit) {
  EXPECT_THAT(ReadCertificateInfoXlsx(std::string((5 << 20) + 1, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is larger than 5242880 bytes")));
}

TEST(CertificateInfoXlsx, RefusesMalformedXmlAndBadReferences) {
  EXPECT_THAT(ReadCertificateInfoXlsx(Zip(Package("<worksheet><row", ""))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'book/sheets/mapping.xml' is not "
                                 "well-formed XML")));
  EXPECT_THAT(
      ReadCertificateInfoXlsx(Zip(Package(
          Sheet("<row r=\"1\"><c r=\"1A\" t=\"inlineStr\"><is><t>x</t></is>"
                "</c></row>"),
          ""))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("bad cell reference '1A'")));
  EXPECT_THAT(
      ReadCertificateInfoXlsx(Zip(Package(
          Sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>7</v></c></row>"), ""))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("shared string '7'")));
}

}  // namespace
}  // namespace certferry::mapping
