#pragma once

// Rules for the names a certificate is issued for, and the san_domains
// file format. Pure functions; thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace certferry::pki {

// True for a textual IPv4 or IPv6 address.
bool IsIpAddress(absl::string_view text);

// Checks one name to put in a certificate: an IP address, or a DNS name of
// letters, digits and hyphens (LDH) with labels of 1-63 characters (no
// leading/trailing hyphen), at most 253 characters, at least two labels, no
// trailing dot or slash; a wildcard only as the whole left-most label and
// followed by at least two labels ("*.example.com"; not "*.com",
// "a.*.example.com", "*a.example.com", "**.example.com"). Case is ignored.
// INVALID_ARGUMENT "<field>: '<name>' <rule broken>; <how to fix>".
absl::Status ValidateCertificateName(absl::string_view field,
                                     absl::string_view name);

// Lowercases a name (IP addresses are returned as given).
std::string NormalizeCertificateName(absl::string_view name);

// Checks DNS names (no IP addresses) as ValidateCertificateName does and
// returns them lowercased, duplicates dropped, in order. INVALID_ARGUMENT
// naming "<field>[i]" for a bad entry or "<field>" for an empty list.
absl::StatusOr<std::vector<std::string>> NormalizeDnsNames(
    absl::string_view field, const std::vector<std::string>& names);

// Parses the content of a san_domains file: one name per line; leading and
// trailing whitespace trimmed; blank lines and lines starting with '#'
// ignored (also text after " #"); names lowercased; duplicates dropped
// (first occurrence keeps its place). Every invalid line is reported, not
// only the first: INVALID_ARGUMENT "san_domains: line 3: 'a..b' ...;
// line 9: ...". An input with no names is INVALID_ARGUMENT too.
absl::StatusOr<std::vector<std::string>> ParseSanDomains(
    absl::string_view content);

// Whether a certificate name (from a SAN: "api.example.com",
// "*.example.com", an IP) covers `host` the way TLS clients match (RFC
// 6125): equal ignoring case, or a wildcard standing for exactly one
// left-most label ("*.example.com" covers "api.example.com", not
// "example.com" or "a.b.example.com"). A host that is itself a wildcard is
// covered only by the same wildcard.
bool CertificateNameCovers(absl::string_view certificate_name,
                           absl::string_view host);

}  // namespace certferry::pki
