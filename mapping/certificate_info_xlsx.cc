#include "mapping/certificate_info_xlsx.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace certferry::mapping {
namespace {

// ---- writing

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status WriteWorkbook(const std::string& path, const std::string& tmpdir,
                           const std::vector<MappingRow>& rows) {
  // libxlsxwriter keeps its scratch files in tmpdir: ours, private.
  std::string tmpdir_copy = tmpdir;
  lxw_workbook_options options = {};
  options.tmpdir = tmpdir_copy.data();
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    return absl::InternalError("certificate_info.xlsx: cannot create workbook");
  }
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, nullptr);
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  const char* const kHeader[] = {"Domain", "CertificateID", "Protocol", "Port"};
  for (lxw_col_t col = 0; col < 4; ++col) {
    worksheet_write_string(sheet, 0, col, kHeader[col], bold);
  }
  worksheet_set_column(sheet, 0, 0, 40, nullptr);
  worksheet_set_column(sheet, 1, 1, 24, nullptr);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<lxw_row_t>(i + 1);
    const MappingRow& row = rows[i];
    worksheet_write_string(sheet, r, 0, row.domain.c_str(), nullptr);
    worksheet_write_string(sheet, r, 1, row.certificate_id.c_str(), nullptr);
    worksheet_write_string(sheet, r, 2, row.protocol.c_str(), nullptr);
    int port = 0;
    // Validated before: the port is a number, written as one (as Excel
    // would store a typed 443).
    (void)absl::SimpleAtoi(row.port, &port);
    worksheet_write_number(sheet, r, 3, port, nullptr);
  }
  const lxw_error error = workbook_close(workbook);
  if (error != LXW_NO_ERROR) {
    return absl::InternalError(absl::StrCat(
        "certificate_info.xlsx: libxlsxwriter: ", lxw_strerror(error)));
  }
  return absl::OkStatus();
}

// ---- reading: zip

constexpr char kFileTooLarge[] = "is larger than";

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

// Reads parts of one archive, enforcing the per-part and total limits on
// the bytes actually inflated (the sizes in the zip directory can lie).
class Archive {
 public:
  static absl::StatusOr<Archive> Open(absl::string_view bytes,
                                      const std::string& name,
                                      const XlsxReadLimits& limits) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source =
        zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      zip_error_fini(&error);
      return absl::InternalError(absl::StrCat(name, ": cannot open buffer"));
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == nullptr) {
      zip_source_free(source);
      const std::string detail = zip_error_strerror(&error);
      zip_error_fini(&error);
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": not an .xlsx file (not a zip archive: ", detail,
          "); save it in Excel as 'Excel Workbook (.xlsx)' — .xls and .csv "
          "are not accepted"));
    }
    zip_error_fini(&error);
    return Archive(archive, name, limits);
  }

  bool Has(const std::string& part) const {
    return zip_name_locate(archive_.get(), part.c_str(), 0) >= 0;
  }

  absl::StatusOr<std::string> Read(const std::string& part) {
    const zip_int64_t index = zip_name_locate(archive_.get(), part.c_str(), 0);
    if (index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ": part '", part, "' is missing"));
    }
    zip_file_t* file = zip_fopen_index(archive_.get(), index, 0);
    if (file == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ": cannot read part '", part,
                       "': ", zip_strerror(archive_.get())));
    }
    absl::Cleanup close = [file] { zip_fclose(file); };
    std::string out;
    char buffer[64 * 1024];
    while (true) {
      const zip_int64_t n = zip_fread(file, buffer, sizeof(buffer));
      if (n < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name_, ": part '", part,
                         "' is corrupt: ", zip_file_strerror(file)));
      }
      if (n == 0) break;
      out.append(buffer, static_cast<size_t>(n));
      total_ += static_cast<size_t>(n);
      if (out.size() > limits_.max_part_bytes ||
          total_ > limits_.max_total_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            name_, ": part '", part, "' expands to more than ",
            std::min(limits_.max_part_bytes, limits_.max_total_bytes),
            " bytes (a zip bomb, or far more rows than a mapping needs); "
            "split the mapping into smaller files"));
      }
    }
    return out;
  }

 private:
  Archive(zip_t* archive, std::string name, const XlsxReadLimits& limits)
      : archive_(archive), name_(std::move(name)), limits_(limits) {}
  std::unique_ptr<zip_t, ZipCloser> archive_;
  std::string name_;
  XlsxReadLimits limits_;
  size_t total_ = 0;
};

// ---- reading: XML

struct DocFreer {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDoc = std::unique_ptr<xmlDoc, DocFreer>;

absl::StatusOr<XmlDoc> ParseXml(const std::string& text,
                                const std::string& file_name,
                                const std::string& part) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  // No network, no entity substitution, no error printing to stderr.
  xmlDoc* doc = xmlReadMemory(
      text.data(), static_cast<int>(text.size()), part.c_str(), nullptr,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr || xmlDocGetRootElement(doc) == nullptr) {
    if (doc != nullptr) xmlFreeDoc(doc);
    const xmlError* error = xmlGetLastError();
    std::string detail = error != nullptr && error->message != nullptr
                             ? std::string(error->message)
                             : "empty document";
    detail = std::string(absl::StripTrailingAsciiWhitespace(detail));
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": part '", part, "' is not well-formed XML (",
                     detail, "); re-save the file from a spreadsheet program"));
  }
  return XmlDoc(doc);
}

bool IsElement(const xmlNode* node, const char* local_name) {
  return node->type == XML_ELEMENT_NODE &&
         xmlStrcmp(node->name, BAD_CAST local_name) == 0;
}

const xmlNode* FirstChild(const xmlNode* parent, const char* local_name) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (IsElement(c, local_name)) return c;
  }
  return nullptr;
}

std::vector<const xmlNode*> Children(const xmlNode* parent,
                                     const char* local_name) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (IsElement(c, local_name)) out.push_back(c);
  }
  return out;
}

// An attribute by local name; with `namespaced`, only one in some namespace
// (r:id), whatever prefix the writer chose.
std::optional<std::string> Attribute(const xmlNode* node, const char* name,
                                     bool namespaced = false) {
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    if (xmlStrcmp(a->name, BAD_CAST name) != 0) continue;
    if (namespaced != (a->ns != nullptr)) continue;
    xmlChar* value = xmlNodeListGetString(node->doc, a->children, 1);
    std::string out = value != nullptr ? reinterpret_cast<char*>(value) : "";
    xmlFree(value);
    return out;
  }
  return std::nullopt;
}

std::string Text(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  std::string out = content != nullptr ? reinterpret_cast<char*>(content) : "";
  xmlFree(content);
  return out;
}

// The text of a shared string item or an inline string: plain <t>, or the
// <t> of each rich-text run <r>; phonetic hints (<rPh>) are not cell text.
std::string StringItemText(const xmlNode* item) {
  std::string out;
  for (const xmlNode* c = item->children; c != nullptr; c = c->next) {
    if (IsElement(c, "t")) {
      out += Text(c);
    } else if (IsElement(c, "r")) {
      for (const xmlNode* t : Children(c, "t")) out += Text(t);
    }
  }
  return out;
}

// ---- reading: package structure

std::string DirectoryOf(const std::string& part) {
  const size_t slash = part.rfind('/');
  return slash == std::string::npos ? "" : part.substr(0, slash + 1);
}

// Resolves a relationship target against the part that holds it.
std::string ResolveTarget(const std::string& source_part,
                          const std::string& target) {
  std::string joined = absl::StartsWith(target, "/")
                           ? target.substr(1)
                           : DirectoryOf(source_part) + target;
  std::vector<std::string> segments;
  for (absl::string_view s : absl::StrSplit(joined, '/')) {
    if (s.empty() || s == ".") continue;
    if (s == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.emplace_back(s);
  }
  return absl::StrJoin(segments, "/");
}

std::string RelsPartOf(const std::string& part) {
  const size_t slash = part.rfind('/');
  const std::string dir = DirectoryOf(part);
  const std::string base =
      slash == std::string::npos ? part : part.substr(slash + 1);
  return absl::StrCat(dir, "_rels/", base, ".rels");
}

struct Relationship {
  std::string type;
  std::string target;  // resolved part name
};

absl::StatusOr<std::map<std::string, Relationship>> ReadRelationships(
    Archive& archive, const std::string& file_name,
    const std::string& source_part) {
  std::map<std::string, Relationship> out;
  const std::string rels = RelsPartOf(source_part);
  if (!archive.Has(rels)) return out;
  CF_ASSIGN_OR_RETURN(const std::string text, archive.Read(rels));
  CF_ASSIGN_OR_RETURN(XmlDoc doc, ParseXml(text, file_name, rels));
  for (const xmlNode* r :
       Children(xmlDocGetRootElement(doc.get()), "Relationship")) {
    if (Attribute(r, "TargetMode").value_or("") == "External") continue;
    const std::optional<std::string> id = Attribute(r, "Id");
    const std::optional<std::string> target = Attribute(r, "Target");
    if (!id.has_value() || !target.has_value()) continue;
    out[*id] = {Attribute(r, "Type").value_or(""),
                ResolveTarget(source_part, *target)};
  }
  return out;
}

std::optional<std::string> TargetOfType(
    const std::map<std::string, Relationship>& rels, const char* suffix) {
  for (const auto& [id, rel] : rels) {
    if (absl::EndsWith(rel.type, suffix)) return rel.target;
  }
  return std::nullopt;
}

// "B12" -> column 1 (0-based), row 12; false when malformed or past Excel's
// grid (XFD1048576).
bool ParseCellReference(absl::string_view ref, int* column, int* row) {
  size_t i = 0;
  int col = 0;
  while (i < ref.size() && absl::ascii_isalpha(ref[i])) {
    col = col * 26 + (absl::ascii_toupper(ref[i]) - 'A' + 1);
    if (col > 16384) return false;
    ++i;
  }
  if (i == 0 || !absl::SimpleAtoi(ref.substr(i), row)) return false;
  if (*row < 1 || *row > 1048576) return false;
  *column = col - 1;
  return true;
}

// Excel stores every number as a double; 443 arrives as "443" or "443.0"
// or "4.43E2". Integral values are given as integers so "443" compares.
std::string NumberText(const std::string& raw) {
  double value = 0;
  if (absl::SimpleAtod(raw, &value) && std::isfinite(value) &&
      value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return raw;
}

using Grid = std::map<int, std::map<int, std::string>>;  // row -> col -> text

absl::StatusOr<Grid> ReadGrid(const xmlNode* worksheet,
                              const std::vector<std::string>& shared,
                              const std::string& file_name,
                              const std::string& part,
                              const XlsxReadLimits& limits) {
  Grid grid;
  const xmlNode* data = FirstChild(worksheet, "sheetData");
  if (data == nullptr) return grid;
  int last_row = 0;
  for (const xmlNode* row : Children(data, "row")) {
    int row_number = last_row + 1;
    if (std::optional<std::string> r = Attribute(row, "r"); r.has_value()) {
      if (!absl::SimpleAtoi(*r, &row_number) || row_number < 1 ||
          row_number > 1048576) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_name, ": ", part, ": bad row number '", *r, "'"));
      }
    }
    last_row = row_number;
    if (grid.size() > limits.max_rows) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ": more than ", limits.max_rows,
                       " rows; split the mapping into smaller files"));
    }
    int last_col = -1;
    for (const xmlNode* cell : Children(row, "c")) {
      int col = last_col + 1;
      if (std::optional<std::string> ref = Attribute(cell, "r");
          ref.has_value()) {
        int ref_row = 0;
        if (!ParseCellReference(*ref, &col, &ref_row)) {
          return absl::InvalidArgumentError(
              absl::StrCat(file_name, ": ", part, " row ", row_number,
                           ": bad cell reference '", *ref, "'"));
        }
      }
      last_col = col;
      const std::string type = Attribute(cell, "t").value_or("n");
      const xmlNode* v = FirstChild(cell, "v");
      std::string text;
      if (type == "inlineStr") {
        if (const xmlNode* is = FirstChild(cell, "is"); is != nullptr) {
          text = StringItemText(is);
        }
      } else if (v == nullptr) {
        continue;  // a styled but empty cell
      } else if (type == "s") {
        size_t index = 0;
        if (!absl::SimpleAtoi(Text(v), &index) || index >= shared.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(file_name, ": ", part, " row ", row_number,
                           ": cell refers to "
                           "shared string '",
                           Text(v), "' but the file has ", shared.size()));
        }
        text = shared[index];
      } else if (type == "b") {
        text = Text(v) == "1" ? "TRUE" : "FALSE";
      } else if (type == "n") {
        text = NumberText(Text(v));
      } else {  // "str" (formula result), "e" (error), "d" (ISO date)
        text = Text(v);
      }
      grid[row_number][col] = std::move(text);
    }
  }
  return grid;
}

bool IsBlank(const std::string& text) {
  return absl::StripAsciiWhitespace(text).empty();
}

absl::StatusOr<CertificateInfoSheet> SheetFromGrid(
    const Grid& grid, std::string sheet_name, const std::string& file_name) {
  CertificateInfoSheet sheet;
  sheet.sheet_name = std::move(sheet_name);
  const std::string expected =
      absl::StrCat(HeaderKindName(HeaderKind::kStandard), " (or ",
                   HeaderKindName(HeaderKind::kVariant), ")");
  auto header_it = grid.begin();
  for (; header_it != grid.end(); ++header_it) {
    bool blank = true;
    for (const auto& [col, text] : header_it->second) {
      blank = blank && IsBlank(text);
    }
    if (!blank) break;
  }
  if (header_it == grid.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": sheet '", sheet.sheet_name,
                     "' is empty; the first row must be the header ", expected,
                     ", then one row per domain"));
  }
  sheet.header_row = header_it->first;
  std::map<std::string, int> columns;  // lower-case header -> column
  std::vector<std::string> found;
  for (const auto& [col, text] : header_it->second) {
    if (IsBlank(text)) continue;
    const std::string key =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
    columns.emplace(key, col);
    found.emplace_back(absl::StripAsciiWhitespace(text));
  }
  const bool variant =
      columns.count("certificate_id") > 0 || columns.count("cert_type") > 0;
  sheet.header = variant && columns.count("certificateid") == 0
                     ? HeaderKind::kVariant
                     : HeaderKind::kStandard;
  const std::vector<std::string> required =
      sheet.header == HeaderKind::kVariant
          ? std::vector<std::string>{"domain", "certificate_id", "cert_type"}
          : std::vector<std::string>{"Domain", "CertificateID", "Protocol",
                                     "Port"};
  for (const std::string& name : required) {
    if (columns.count(absl::AsciiStrToLower(name)) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_name, ": header row ", sheet.header_row, " of sheet '",
          sheet.sheet_name, "' has no '", name, "' column (found: ",
          found.empty() ? "nothing" : absl::StrJoin(found, ", "),
          "); the header must be ", expected));
    }
  }
  auto cell = [](const std::map<int, std::string>& cells, int col) {
    auto it = cells.find(col);
    return it == cells.end() ? std::string() : it->second;
  };
  for (auto it = std::next(header_it); it != grid.end(); ++it) {
    bool blank = true;
    for (const auto& [col, text] : it->second) blank = blank && IsBlank(text);
    if (blank) continue;
    MappingRow row;
    row.row = it->first;
    if (sheet.header == HeaderKind::kVariant) {
      row.domain = cell(it->second, columns["domain"]);
      row.certificate_id = cell(it->second, columns["certificate_id"]);
      row.cert_type = cell(it->second, columns["cert_type"]);
    } else {
      row.domain = cell(it->second, columns["domain"]);
      row.certificate_id = cell(it->second, columns["certificateid"]);
      row.protocol = cell(it->second, columns["protocol"]);
      row.port = cell(it->second, columns["port"]);
    }
    sheet.rows.push_back(std::move(row));
  }
  if (sheet.rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ": sheet '", sheet.sheet_name,
        "' has a header but no data rows; add one row per domain"));
  }
  return sheet;
}

}  // namespace

absl::StatusOr<std::string> WriteCertificateInfoXlsx(
    const std::vector<MappingRow>& rows) {
  if (rows.empty()) {
    return absl::InvalidArgumentError(
        "certificate_info.xlsx: no rows; give at least one domain");
  }
  std::vector<MappingRow> numbered = rows;
  for (size_t i = 0; i < numbered.size(); ++i) {
    numbered[i].row = static_cast<int>(i + 2);
  }
  const std::vector<MappingIssue> issues =
      ValidateMappingRows(numbered, MappingValidationOptions{});
  if (!issues.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate_info.xlsx: ", FormatMappingIssues(issues)));
  }

  std::error_code ec;
  std::string dir_template =
      (std::filesystem::temp_directory_path(ec) / "certferry-xlsx-XXXXXX")
          .string();
  if (ec || mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(
        "certificate_info.xlsx: cannot create a temporary directory");
  }
  const std::string dir = dir_template;
  absl::Cleanup remove_dir = [&dir] {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  };
  const std::string path = dir + "/certificate_info.xlsx";
  CF_RETURN_IF_ERROR(WriteWorkbook(path, dir, numbered));
  return ReadWholeFile(path);
}

absl::Status WriteCertificateInfoXlsxFile(const std::string& path,
                                          const std::vector<MappingRow>& rows) {
  CF_ASSIGN_OR_RETURN(const std::string bytes, WriteCertificateInfoXlsx(rows));
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create a temporary file next to '", path, "'"));
  }
  absl::Cleanup remove_temp = [&temp] { ::unlink(temp.c_str()); };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n =
        ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == bytes.size() && ::fsync(fd) == 0;
  if (::close(fd) != 0 || !ok) {
    return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
  }
  // mkstemp made it 0600; a mapping file is not a secret.
  ::chmod(temp.c_str(), 0644);
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot write '", path, "': ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<CertificateInfoSheet> ReadCertificateInfoXlsx(
    absl::string_view bytes, absl::string_view file_name,
    const XlsxReadLimits& limits) {
  const std::string name(file_name);
  if (bytes.size() > limits.max_file_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": ", kFileTooLarge, " ", limits.max_file_bytes, " bytes (it is ",
        bytes.size(),
        "); a domain mapping is a few KiB — remove unrelated sheets or "
        "images"));
  }
  CF_ASSIGN_OR_RETURN(Archive archive, Archive::Open(bytes, name, limits));

  // The workbook part is named by the package's root relationships;
  // xl/workbook.xml is only the usual place.
  CF_ASSIGN_OR_RETURN(auto root_rels, ReadRelationships(archive, name, ""));
  const std::string workbook_part =
      TargetOfType(root_rels, "/officeDocument").value_or("xl/workbook.xml");
  if (!archive.Has(workbook_part)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": no workbook part ('", workbook_part,
        "'); this zip is not an Excel workbook — save it as .xlsx"));
  }
  CF_ASSIGN_OR_RETURN(const std::string workbook_xml,
                      archive.Read(workbook_part));
  CF_ASSIGN_OR_RETURN(XmlDoc workbook,
                      ParseXml(workbook_xml, name, workbook_part));
  CF_ASSIGN_OR_RETURN(auto workbook_rels,
                      ReadRelationships(archive, name, workbook_part));

  const xmlNode* sheets =
      FirstChild(xmlDocGetRootElement(workbook.get()), "sheets");
  const xmlNode* first_sheet =
      sheets != nullptr ? FirstChild(sheets, "sheet") : nullptr;
  if (first_sheet == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        name,
        ": the workbook has no worksheet; put the mapping on the first "
        "sheet"));
  }
  const std::string sheet_name = Attribute(first_sheet, "name").value_or("");
  const std::optional<std::string> rel_id =
      Attribute(first_sheet, "id", /*namespaced=*/true);
  const auto rel =
      rel_id.has_value() ? workbook_rels.find(*rel_id) : workbook_rels.end();
  if (rel == workbook_rels.end() || !archive.Has(rel->second.target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": the first sheet '", sheet_name,
        "' has no worksheet part in the file; re-save it from a spreadsheet "
        "program"));
  }
  const std::string sheet_part = rel->second.target;

  std::vector<std::string> shared;
  std::optional<std::string> shared_part =
      TargetOfType(workbook_rels, "/sharedStrings");
  if (!shared_part.has_value() && archive.Has("xl/sharedStrings.xml")) {
    shared_part = "xl/sharedStrings.xml";
  }
  if (shared_part.has_value() && archive.Has(*shared_part)) {
    CF_ASSIGN_OR_RETURN(const std::string text, archive.Read(*shared_part));
    CF_ASSIGN_OR_RETURN(XmlDoc doc, ParseXml(text, name, *shared_part));
    for (const xmlNode* si : Children(xmlDocGetRootElement(doc.get()), "si")) {
      shared.push_back(StringItemText(si));
    }
  }

  CF_ASSIGN_OR_RETURN(const std::string sheet_xml, archive.Read(sheet_part));
  CF_ASSIGN_OR_RETURN(XmlDoc sheet_doc, ParseXml(sheet_xml, name, sheet_part));
  CF_ASSIGN_OR_RETURN(Grid grid, ReadGrid(xmlDocGetRootElement(sheet_doc.get()),
                                          shared, name, sheet_part, limits));
  return SheetFromGrid(grid, sheet_name, name);
}

}  // namespace certferry::mapping
