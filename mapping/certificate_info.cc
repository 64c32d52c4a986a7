#include "mapping/certificate_info.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "pki/certificate_bundle.h"
#include "pki/names.h"

namespace certferry::mapping {
namespace {

struct ColumnNames {
  const char* domain;
  const char* certificate_id;
};

ColumnNames ColumnsFor(HeaderKind kind) {
  if (kind == HeaderKind::kVariant) return {"domain", "certificate_id"};
  return {"Domain", "CertificateID"};
}

// What the user most likely meant: the bare lower-case host name. Used only
// to make the suggested fix concrete.
std::string LikelyHost(absl::string_view value) {
  std::string host;
  for (char c : value) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) host += c;
  }
  absl::string_view view(host);
  if (auto scheme = view.find("://"); scheme != absl::string_view::npos) {
    view.remove_prefix(scheme + 3);
  }
  if (auto slash = view.find('/'); slash != absl::string_view::npos) {
    view = view.substr(0, slash);
  }
  while (absl::ConsumeSuffix(&view, ".")) {
  }
  return absl::AsciiStrToLower(view);
}

bool HasUpper(absl::string_view value) {
  for (char c : value) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// The first rule `domain` breaks, or "" when it is an exact FQDN. The order
// puts the most telling problem first (a URL usually also has a slash).
std::string DomainProblem(absl::string_view domain) {
  if (domain.empty()) {
    return "is empty; put the exact host name (e.g. 'api.example.com')";
  }
  const std::string host = LikelyHost(domain);
  const std::string use = absl::StrCat("use '", host, "'");
  if (absl::StrContains(domain, "://")) {
    return absl::StrCat(
        "has a scheme; AIRec wants the bare host name without 'https://' — ",
        use);
  }
  for (char c : domain) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return absl::StrCat("contains a space; remove it — ", use);
    }
  }
  if (absl::EndsWith(domain, "/")) {
    return absl::StrCat("ends with a slash; remove it — ", use);
  }
  if (absl::StrContains(domain, "/")) {
    return absl::StrCat("contains a path; AIRec maps host names — ", use);
  }
  if (absl::EndsWith(domain, ".")) {
    return absl::StrCat(
        "ends with a dot; AIRec matches the name exactly, remove the dot — ",
        use);
  }
  if (absl::StrContains(domain, "*")) {
    std::string example = "api.example.com";
    if (absl::StartsWith(domain, "*.") && domain.size() > 2) {
      example = absl::StrCat("api.", domain.substr(2));
    }
    return absl::StrCat(
        "is a wildcard; AIRec maps exact host names — list each host (e.g. '",
        absl::AsciiStrToLower(example), "')");
  }
  if (pki::IsIpAddress(domain)) {
    return "is an IP address; AIRec maps host names — put the domain clients "
           "use";
  }
  if (HasUpper(domain))
    return absl::StrCat("has upper case; use lower case '", host, "'");
  const absl::Status name = pki::ValidateCertificateName("", domain);
  if (!name.ok()) {
    // The pki message is "<field>: '<name>' <problem>"; keep the problem.
    absl::string_view message = name.message();
    const std::string quoted = absl::StrCat("'", domain, "' ");
    if (auto at = message.find(quoted); at != absl::string_view::npos) {
      message.remove_prefix(at + quoted.size());
    }
    return std::string(message);
  }
  return "";
}

std::string PortProblem(absl::string_view port) {
  if (port.empty()) return "is empty; use 443";
  int value = 0;
  if (!absl::SimpleAtoi(port, &value)) {
    return "is not a port number; use 443";
  }
  if (value < 1 || value > 65535) {
    return "is out of range; a port is 1-65535, AIRec serves HTTPS on 443";
  }
  return "";
}

std::string ProtocolProblem(absl::string_view protocol) {
  if (protocol == "HTTPS") return "";
  if (protocol.empty()) return "is empty; use 'HTTPS'";
  if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(protocol), "https")) {
    return "must be exactly 'HTTPS' (upper case, no spaces); use 'HTTPS'";
  }
  return "is not supported; the certificate is served over HTTPS — use "
         "'HTTPS'";
}

}  // namespace

std::string HeaderKindName(HeaderKind kind) {
  return kind == HeaderKind::kVariant ? "domain, certificate_id, cert_type"
                                      : "Domain, CertificateID, Protocol, Port";
}

std::vector<MappingIssue> ValidateMappingRows(
    const std::vector<MappingRow>& rows,
    const MappingValidationOptions& options) {
  const ColumnNames columns = ColumnsFor(options.header);
  std::vector<MappingIssue> issues;
  auto add = [&](const MappingRow& row, const char* column,
                 const std::string& value, std::string problem) {
    issues.push_back({row.row, column, value, std::move(problem)});
  };
  // Duplicates are found on the likely host so 'API.example.com' and
  // 'api.example.com/' count as the same domain.
  std::map<std::string, int> first_row_of_host;
  for (const MappingRow& row : rows) {
    const std::string domain_problem = DomainProblem(row.domain);
    if (!domain_problem.empty()) {
      add(row, columns.domain, row.domain, domain_problem);
    }
    if (!row.domain.empty()) {
      const auto [it, inserted] =
          first_row_of_host.emplace(LikelyHost(row.domain), row.row);
      if (!inserted) {
        add(row, columns.domain, row.domain,
            absl::StrCat("duplicates row ", it->second,
                         "; AIRec binds one certificate per domain — keep "
                         "one row"));
      }
    }

    if (row.certificate_id.empty()) {
      add(row, columns.certificate_id, row.certificate_id,
          "is empty; put the ID of the certificate that covers the domain");
    } else if (options.certificates.has_value()) {
      const auto cert = options.certificates->find(row.certificate_id);
      if (cert == options.certificates->end()) {
        std::vector<std::string> known;
        for (const auto& [id, names] : *options.certificates) {
          known.push_back(id);
        }
        add(row, columns.certificate_id, row.certificate_id,
            absl::StrCat(
                "is not a known certificate; use one of: ",
                known.empty() ? "(none given)" : absl::StrJoin(known, ", ")));
      } else if (domain_problem.empty()) {
        bool covered = false;
        for (const std::string& name : cert->second) {
          covered = covered || pki::CertificateNameCovers(name, row.domain);
        }
        if (!covered) {
          add(row, columns.domain, row.domain,
              absl::StrCat("is not covered by certificate '",
                           row.certificate_id,
                           "' (names: ", absl::StrJoin(cert->second, ", "),
                           "); use a certificate whose names include it"));
        }
      }
    }

    if (options.header == HeaderKind::kStandard) {
      if (std::string p = ProtocolProblem(row.protocol); !p.empty()) {
        add(row, "Protocol", row.protocol, p);
      }
      if (std::string p = PortProblem(row.port); !p.empty()) {
        add(row, "Port", row.port, p);
      }
    } else if (absl::StripAsciiWhitespace(row.cert_type).empty()) {
      add(row, "cert_type", row.cert_type,
          "is empty; put the certificate type the template asks for");
    }
  }
  return issues;
}

std::string FormatMappingIssue(const MappingIssue& issue) {
  return absl::StrCat("row ", issue.row, ", column ", issue.column, ": '",
                      issue.value, "' ", issue.problem);
}

std::string FormatMappingIssues(const std::vector<MappingIssue>& issues) {
  std::vector<std::string> lines;
  lines.reserve(issues.size());
  for (const MappingIssue& issue : issues) {
    lines.push_back(FormatMappingIssue(issue));
  }
  return absl::StrJoin(lines, "\n");
}

absl::StatusOr<std::vector<MappingRow>> BindingRows(
    absl::string_view chain_pem, const std::vector<std::string>& domains) {
  absl::StatusOr<std::vector<pki::CertificateInfo>> chain =
      pki::ParseCertificateChain(chain_pem, "chain");
  if (!chain.ok()) return chain.status();
  if (chain->empty()) {
    return absl::InvalidArgumentError("chain: no certificate");
  }
  const pki::CertificateInfo& leaf = chain->front();
  const std::string certificate_id =
      absl::StrCat("certferry-", leaf.sha256_fingerprint.substr(0, 16));
  std::vector<MappingRow> rows;
  for (const std::string& domain : domains) {
    MappingRow row;
    row.row = static_cast<int>(rows.size()) + 2;  // row 1 is the header
    row.domain = domain;
    row.certificate_id = certificate_id;
    rows.push_back(std::move(row));
  }
  MappingValidationOptions options;
  options.certificates = CertificateNames{{certificate_id, leaf.dns_names}};
  const std::vector<MappingIssue> issues = ValidateMappingRows(rows, options);
  if (!issues.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate_info.xlsx would be rejected:\n",
                     FormatMappingIssues(issues)));
  }
  return rows;
}

}  // namespace certferry::mapping
