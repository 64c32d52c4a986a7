#include "pki/names.h"

#include <arpa/inet.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace certferry::pki {
namespace {

// The rule `name` breaks, or "" when it is a valid DNS name.
std::string DnsNameProblem(absl::string_view name) {
  if (name.empty()) return "is empty; give a DNS name or IP address";
  if (name.find("://") != absl::string_view::npos) {
    return "is a URL; give only the host name";
  }
  if (name.back() == '.') return "ends with a dot; remove it";
  if (name.back() == '/') return "ends with a slash; remove it";
  if (name.size() > 253) {
    return absl::StrCat("is ", name.size(),
                        " characters long; a DNS name has at most 253");
  }
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  if (labels.size() < 2) {
    return "is a single label; give a fully qualified name such as "
           "host.example.com";
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::string_view label = labels[i];
    if (label.empty()) return "has an empty label (two dots in a row)";
    if (label.find('*') != absl::string_view::npos) {
      if (label != "*" || i != 0) {
        return "has a wildcard outside the whole left-most label; only "
               "'*.example.com' forms are allowed, list deeper names "
               "explicitly";
      }
      if (labels.size() < 3) {
        return "is a wildcard over a top-level domain; a wildcard needs at "
               "least two labels after it";
      }
      continue;
    }
    if (label.size() > 63) {
      return absl::StrCat("has a label of ", label.size(),
                          " characters; a label has at most 63");
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return absl::StrCat(
            "contains '", std::string(1, c),
            "'; only letters, digits, hyphens and dots are allowed (LDH)");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "has a label that starts or ends with a hyphen";
    }
  }
  return "";
}

}  // namespace

bool IsIpAddress(absl::string_view text) {
  const std::string s(text);
  unsigned char buffer[16];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

absl::Status ValidateCertificateName(absl::string_view field,
                                     absl::string_view name) {
  if (IsIpAddress(name)) return absl::OkStatus();
  const std::string problem = DnsNameProblem(name);
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": '", name, "' ", problem));
}

std::string NormalizeCertificateName(absl::string_view name) {
  if (IsIpAddress(name)) return std::string(name);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<std::vector<std::string>> NormalizeDnsNames(
    absl::string_view field, const std::vector<std::string>& names) {
  if (names.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": empty; give at least one DNS name"));
  }
  std::vector<std::string> normalized;
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string entry = absl::StrCat(field, "[", i, "]");
    if (absl::Status valid = ValidateCertificateName(entry, names[i]);
        !valid.ok()) {
      return valid;
    }
    if (IsIpAddress(names[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          entry, ": '", names[i], "' is an IP address; give DNS names only"));
    }
    std::string name = NormalizeCertificateName(names[i]);
    if (seen.insert(name).second) normalized.push_back(std::move(name));
  }
  return normalized;
}

absl::StatusOr<std::vector<std::string>> ParseSanDomains(
    absl::string_view content) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::vector<std::string> problems;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    if (auto comment = line.find(" #"); comment != absl::string_view::npos) {
      line = line.substr(0, comment);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string field = absl::StrCat("line ", line_number);
    absl::Status valid = ValidateCertificateName(field, line);
    if (!valid.ok()) {
      problems.emplace_back(valid.message());
      continue;
    }
    std::string name = NormalizeCertificateName(line);
    if (seen.insert(name).second) names.push_back(std::move(name));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("san_domains: ", problems.size(), " invalid line(s): ",
                     absl::StrJoin(problems, "; "), "; nothing was issued"));
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(
        "san_domains: no names (only blank lines and comments); list one "
        "name per line");
  }
  return names;
}

bool CertificateNameCovers(absl::string_view certificate_name,
                           absl::string_view host) {
  const std::string name = absl::AsciiStrToLower(certificate_name);
  const std::string target = absl::AsciiStrToLower(host);
  if (name == target) return true;
  if (!absl::StartsWith(name, "*.") || absl::StartsWith(target, "*.")) {
    return false;
  }
  const size_t dot = target.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  // The wildcard's base must equal everything after the host's first label.
  return absl::string_view(target).substr(dot) ==
         absl::string_view(name).substr(1);
}

}  // namespace certferry::pki
