#pragma once

// Writing and reading AIRec's certificate_info.xlsx. Writing uses
// libxlsxwriter; reading opens the zip (libzip) and parses the OOXML parts
// (libxml2) itself, so a file saved by Excel, LibreOffice or a script reads
// the same. Neither library appears in this header. Thread-safe: no shared
// state (the writer uses its own private temporary directory per call).

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mapping/certificate_info.h"

namespace certferry::mapping {

// Builds a workbook with one sheet: header Domain, CertificateID, Protocol,
// Port, then one row per entry (Port as a number cell). MappingRow::row is
// ignored: rows are numbered from 2 in the order given. Returns the file
// bytes. INVALID_ARGUMENT (every problem, formatted as FormatMappingIssue,
// one per line) when a row breaks a rule of ValidateMappingRows that needs
// no certificate (the caller checks coverage, knowing the certificates);
// INVALID_ARGUMENT for no rows; INTERNAL when libxlsxwriter or the
// temporary file fails.
absl::StatusOr<std::string> WriteCertificateInfoXlsx(
    const std::vector<MappingRow>& rows);

// WriteCertificateInfoXlsx, then writes the bytes to `path` (through a
// temporary file in the same directory, renamed into place, so a reader
// never sees half a file). INTERNAL when the file cannot be written.
absl::Status WriteCertificateInfoXlsxFile(const std::string& path,
                                          const std::vector<MappingRow>& rows);

// Bounds on what ReadCertificateInfoXlsx accepts, against hostile or broken
// files (a zip bomb expands a few KiB into gigabytes).
struct XlsxReadLimits {
  size_t max_file_bytes = 5 << 20;    // the .xlsx itself
  size_t max_part_bytes = 16 << 20;   // one uncompressed part (XML file)
  size_t max_total_bytes = 64 << 20;  // all parts read, uncompressed
  size_t max_rows = 100000;           // data rows
};

// What was read from the first worksheet.
struct CertificateInfoSheet {
  std::string sheet_name;  // the first sheet's name in the workbook
  HeaderKind header = HeaderKind::kStandard;
  int header_row = 1;            // spreadsheet row of the header
  std::vector<MappingRow> rows;  // non-blank data rows, in order
};

// Parses an .xlsx: the first worksheet in tab order (found through
// xl/workbook.xml and its relationships, wherever the part lives), shared
// strings (rich-text runs joined), inline strings, number and boolean
// cells, sparse rows and cells (A1 references). The header is the first
// non-blank row; its cells are matched case-insensitively and in any order
// against Domain, CertificateID, Protocol, Port or domain, certificate_id,
// cert_type; other columns are ignored; blank rows are skipped. Does not
// validate the values (see ValidateMappingRows).
// INVALID_ARGUMENT, prefixed with `file_name`, for: a file over a limit,
// not a zip, no workbook or worksheet, malformed XML, a bad cell reference,
// an empty sheet, a header with a required column missing (naming it), no
// data rows.
absl::StatusOr<CertificateInfoSheet> ReadCertificateInfoXlsx(
    absl::string_view bytes,
    absl::string_view file_name = "certificate_info.xlsx",
    const XlsxReadLimits& limits = {});

}  // namespace certferry::mapping
