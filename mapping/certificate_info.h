#pragma once

// The rows of AIRec's certificate_info.xlsx (which custom domain is served
// with which certificate) and the rules every row must follow. AIRec drops a
// bad row without saying so; these checks name the row, the column, the value
// and the fix instead. Pure functions; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace certferry::mapping {

// Which header the sheet uses.
enum class HeaderKind {
  // Domain, CertificateID, Protocol, Port (what certferry writes).
  kStandard,
  // domain, certificate_id, cert_type (older templates).
  kVariant,
};

// The header as text, e.g. "Domain, CertificateID, Protocol, Port".
std::string HeaderKindName(HeaderKind kind);

// One data row. Values are cell text as read (numbers in their shortest
// integer form when integral, e.g. 443), so a bad value can be reported as
// the user typed it.
struct MappingRow {
  int row = 0;  // 1-based spreadsheet row as Excel shows it; header = 1
  std::string domain;
  std::string certificate_id;
  std::string protocol = "HTTPS";  // kStandard only
  std::string port = "443";        // kStandard only
  std::string cert_type;           // kVariant only
};

// One broken rule in one cell.
struct MappingIssue {
  int row = 0;          // as in MappingRow::row
  std::string column;   // header name, e.g. "Domain" or "certificate_id"
  std::string value;    // the cell text
  std::string problem;  // what is wrong and how to fix it
};

// SAN DNS names of each certificate, by CertificateID.
using CertificateNames = std::map<std::string, std::vector<std::string>>;

struct MappingValidationOptions {
  HeaderKind header = HeaderKind::kStandard;
  // When set, every CertificateID must be a key here and that certificate's
  // names must cover the row's domain (RFC 6125, pki::CertificateNameCovers).
  // When unset, a CertificateID only has to be non-empty.
  std::optional<CertificateNames> certificates;
};

// Checks every row and returns every problem, in row order (empty = clean):
//  - domain: an exact lower-case FQDN: no wildcard, no scheme ("https://"),
//    no path or trailing slash, no trailing dot, no spaces, not an IP
//    address, valid LDH labels; no two rows with the same domain;
//  - CertificateID: present (and known, and covering the domain, when
//    options.certificates is set);
//  - kStandard: Protocol exactly "HTTPS"; Port an integer 1-65535 (443 is
//    what AIRec serves HTTPS on; other ports are accepted);
//  - kVariant: cert_type non-empty. Alibaba documents no API or value list
//    for it (shared/ALIBABA_API.md §4.1: AIRec has no certificate API), so
//    any non-empty text is accepted.
std::vector<MappingIssue> ValidateMappingRows(
    const std::vector<MappingRow>& rows,
    const MappingValidationOptions& options);

// "row 3, column Domain: '*.example.com' is a wildcard; ...".
std::string FormatMappingIssue(const MappingIssue& issue);

// Every issue formatted, one per line, no trailing newline.
std::string FormatMappingIssues(const std::vector<MappingIssue>& issues);

// The rows that bind one certificate (leaf first in `chain_pem`) to
// `domains`, one row each (rows 2.., HTTPS, 443), checked as above against
// the leaf's names. CertificateID is "certferry-" and the leaf's SHA-256
// fingerprint's first 16 hex digits. INVALID_ARGUMENT listing every row
// problem (row, column, fix), or naming a chain that does not parse.
absl::StatusOr<std::vector<MappingRow>> BindingRows(
    absl::string_view chain_pem, const std::vector<std::string>& domains);

}  // namespace certferry::mapping
