#include "tests/support/xlsx_files.h"

#include <zip.h>

#include "gtest/gtest.h"

namespace certferry::testing {
namespace {

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string Zip(const std::map<std::string, std::string>& parts) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  EXPECT_NE(buffer, nullptr);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  for (const auto& [name, content] : parts) {
    zip_source_t* part =
        zip_source_buffer(archive, content.data(), content.size(), 0);
    EXPECT_GE(zip_file_add(archive, name.c_str(), part, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(archive), 0);
  std::string out;
  EXPECT_EQ(zip_source_open(buffer), 0);
  char chunk[4096];
  zip_int64_t n;
  while ((n = zip_source_read(buffer, chunk, sizeof(chunk))) > 0) {
    out.append(chunk, static_cast<size_t>(n));
  }
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

std::string HandWrittenXlsx(const std::vector<std::vector<std::string>>& rows) {
  const std::string main =
      "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const std::string rel =
      "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const std::string pkg =
      "http://schemas.openxmlformats.org/package/2006/relationships";
  std::string sheet_rows;
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string row_number = std::to_string(r + 1);
    sheet_rows += "<row r=\"" + row_number + "\">";
    for (size_t c = 0; c < rows[r].size() && c < 26; ++c) {
      sheet_rows += std::string("<c r=\"") + static_cast<char>('A' + c) +
                    row_number + "\" t=\"inlineStr\"><is><t>" +
                    XmlEscape(rows[r][c]) + "</t></is></c>";
    }
    sheet_rows += "</row>";
  }
  return Zip({
      {"[Content_Types].xml",
       "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats."
       "org/package/2006/content-types\"/>"},
      {"_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"" + pkg +
                          "\"><Relationship Id=\"rId1\" Type=\"" + rel +
                          "/officeDocument\" Target=\"xl/workbook.xml\"/>"
                          "</Relationships>"},
      {"xl/workbook.xml",
       "<?xml version=\"1.0\"?><workbook xmlns=\"" + main + "\" xmlns:r=\"" +
           rel +
           "\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/>"
           "</sheets></workbook>"},
      {"xl/_rels/workbook.xml.rels",
       "<?xml version=\"1.0\"?><Relationships xmlns=\"" + pkg +
           "\"><Relationship Id=\"rId1\" Type=\"" + rel +
           "/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"},
      {"xl/worksheets/sheet1.xml",
       "<?xml version=\"1.0\"?><worksheet xmlns=\"" + main + "\"><sheetData>" +
           sheet_rows + "</sheetData></worksheet>"},
  });
}

}  // namespace certferry::testing
