#include "diagnose/probe/hsts.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace certferry::diagnose {
namespace {

// A response head larger than this is not worth reading for one header.
constexpr size_t kMaxHeadBytes = 64 * 1024;

}  // namespace

absl::StatusOr<HttpResponseHead> ParseHttpResponseHead(absl::string_view text) {
  const size_t end = text.find("\r\n\r\n");
  if (end == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "the response head has no end (no blank line)");
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(text.substr(0, end), "\r\n");
  HttpResponseHead head;
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> status_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &head.status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not an HTTP/1.x status line: \"", lines[0].substr(0, 80), "\""));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    head.headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return head;
}

StrictTransportSecurity ParseStrictTransportSecurity(absl::string_view value) {
  StrictTransportSecurity sts;
  std::optional<absl::Duration> max_age;
  std::set<std::string> seen;
  for (absl::string_view directive : absl::StrSplit(value, ';')) {
    directive = absl::StripAsciiWhitespace(directive);
    if (directive.empty()) continue;
    absl::string_view name = directive;
    absl::string_view argument;
    if (const size_t equals = directive.find('=');
        equals != absl::string_view::npos) {
      name = absl::StripAsciiWhitespace(directive.substr(0, equals));
      argument = absl::StripAsciiWhitespace(directive.substr(equals + 1));
      if (argument.size() >= 2 && argument.front() == '"' &&
          argument.back() == '"') {
        argument = argument.substr(1, argument.size() - 2);
      }
    }
    const std::string lower = absl::AsciiStrToLower(name);
    if (!seen.insert(lower).second) return {};  // repeated: invalid
    if (lower == "max-age") {
      uint64_t seconds = 0;
      if (argument.empty() ||
          argument.find_first_not_of("0123456789") != absl::string_view::npos ||
          !absl::SimpleAtoi(argument, &seconds)) {
        return {};
      }
      max_age = absl::Seconds(
          static_cast<int64_t>(std::min<uint64_t>(seconds, uint64_t{1} << 40)));
    } else if (lower == "includesubdomains") {
      sts.include_subdomains = true;
    }
  }
  if (!max_age) return {};
  sts.max_age = max_age;
  return sts;
}

HstsEvidence ProbeHsts(const ProbeTarget& target, const std::string& sni,
                       const std::string& host_header, absl::Time deadline) {
  HstsEvidence evidence;
  const absl::Time start = absl::Now();
  auto finish = [&](ProbeState state, std::string detail) {
    evidence.state = state;
    evidence.detail = std::move(detail);
    evidence.elapsed = absl::Now() - start;
    return evidence;
  };
  TlsClientOptions options;
  options.sni = sni;
  auto client = TlsClient::Create(options);
  if (!client.ok()) {
    return finish(ProbeState::kFailed, std::string(client.status().message()));
  }
  HandshakeAttempt attempt = AttemptHandshake(target, *client, deadline);
  if (!attempt.session) {
    return finish(attempt.state == ProbeState::kTimedOut ? ProbeState::kTimedOut
                                                         : ProbeState::kFailed,
                  absl::StrCat("handshake: ", attempt.detail));
  }
  const std::string request =
      absl::StrCat("GET / HTTP/1.1\r\nHost: ", host_header,
                   "\r\nUser-Agent: certferry-diagnose\r\nAccept: */*\r\n"
                   "Connection: close\r\n\r\n");
  auto status_of = [](const absl::Status& status) {
    return status.code() == absl::StatusCode::kDeadlineExceeded
               ? ProbeState::kTimedOut
               : ProbeState::kFailed;
  };
  if (absl::Status sent = attempt.session->Write(request, deadline);
      !sent.ok()) {
    return finish(status_of(sent),
                  absl::StrCat("sending the request: ", sent.message()));
  }
  auto received = attempt.session->ReadUntil(
      [](absl::string_view text) {
        return absl::StrContains(text, "\r\n\r\n");
      },
      kMaxHeadBytes, deadline);
  if (!received.ok()) {
    return finish(
        status_of(received.status()),
        absl::StrCat("reading the response: ", received.status().message()));
  }
  auto head = ParseHttpResponseHead(*received);
  if (!head.ok()) {
    return finish(ProbeState::kFailed, absl::StrCat("reading the response: ",
                                                    head.status().message()));
  }
  evidence.http_status = head->status;
  for (const auto& [name, value] : head->headers) {
    if (absl::EqualsIgnoreCase(name, "Strict-Transport-Security")) {
      evidence.header_present = true;
      evidence.header_value = value;
      StrictTransportSecurity sts = ParseStrictTransportSecurity(value);
      evidence.max_age = sts.max_age;
      evidence.include_subdomains = sts.include_subdomains;
      break;  // RFC 6797 8.1: only the first one counts
    }
  }
  return finish(ProbeState::kDone, "");
}

}  // namespace certferry::diagnose
