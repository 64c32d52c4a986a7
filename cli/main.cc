// certferry: command-line client for certferryd.
//
//   certferry [--server HOST:PORT] [--json] certs import --name N --chain F
//   --key F
//       [--request-id ID] [--accept-expired]
//   certferry certs get ID [--version N]
//   certferry certs list [--domain D] [--expiring-within 30d] [--page-size N]
//   certferry certs revoke ID [--version N | --all-versions]
//       [--reason keyCompromise]
//   certferry certs expiring --within 30d
//   certferry certs renewal ID [--fraction F | --days-before N] [--disable]
//   certferry issue --name N --domain D [--domain D2 | --san-domains FILE]
//       [--key ecdsa-p256] [--validity 90d] [--issuer CA] [--wait]
//   certferry ops get|wait|cancel NAME;  certferry ops list [--state S]
//   certferry ca create NAME [--parent CA] [--key T] [--default];
//   certferry ca list;  certferry ca get ID [--root]
//   certferry targets create NAME --dir D --domain D [--reload-cmd "..."]
//       [--check-cmd "..."] [--verify HOST:PORT] [--sni S];
//   certferry targets list | get NAME | delete NAME
//   certferry deploy --cert ID [--version N] --target T [--target T2]
//       [--validate-only] [--no-verify] [--no-auto-rollback] [--wait]
//   certferry rollback DEPLOYMENT [--wait]
//   certferry deployments list [--target T] [--cert ID] [--state S] | get ID
//   certferry audit list [--resource R] [--actor A] [--since RFC3339]
//       [--limit N];  certferry audit verify
//   certferry webhooks add URL --secret-file F [--event E ...];
//   certferry webhooks list | delete ID | deliveries [--endpoint ID]
//   certferry health
//   certferry airec mapping --cert-file F --cert-id ID --domain D [...] -o F
//   certferry airec check FILE [--cert-file F --cert-id ID ...]  (local)
//
// The server comes from --server, else CERTFERRY_SERVER, else 127.0.0.1:7443.

#include <grpcpp/grpcpp.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "certferry/v1/audit.grpc.pb.h"
#include "certferry/v1/certificate_authority.grpc.pb.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "certferry/v1/deployment_service.grpc.pb.h"
#include "certferry/v1/diagnosis_service.grpc.pb.h"
#include "certferry/v1/notification_service.grpc.pb.h"
#include "certferry/v1/operations.grpc.pb.h"
#include "cli/diagnosis_report.h"
#include "cli/duration.h"
#include "common/ids.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "mapping/certificate_info.h"
#include "mapping/certificate_info_xlsx.h"
#include "pki/certificate_bundle.h"

namespace {

namespace v1 = certferry::v1;

constexpr char kUsage[] =
    "usage: certferry [--server HOST:PORT] [--json] [--timeout 30s] COMMAND\n"
    "\n"
    "commands:\n"
    "  certs import --name N --chain FILE --key FILE [--request-id ID]\n"
    "               [--accept-expired]\n"
    "  certs get ID [--version N] [--pem]   (--pem: just the chain PEM)\n"
    "  certs list [--domain D] [--expiring-within 30d] [--page-size N]\n"
    "  certs revoke ID [--version N | --all-versions] [--reason R]\n"
    "               [--request-id ID]   (R: unspecified, keyCompromise,\n"
    "               affiliationChanged, superseded, cessationOfOperation,\n"
    "               privilegeWithdrawn; certificates from a built-in CA)\n"
    "  certs expiring --within 30d   (soonest first, with renewal state)\n"
    "  certs renewal ID [--fraction 0.66 | --days-before 30] [--disable]\n"
    "                (sets the renewal policy; no options: the default)\n"
    "  issue --name N --domain D [--domain D2 ...] [--san-domains FILE]\n"
    "        [--key ecdsa-p256|ecdsa-p384|rsa-2048|rsa-3072|rsa-4096]\n"
    "        [--validity 90d] [--issuer CA] [--request-id ID] [--wait]\n"
    "  ops get NAME | ops wait NAME | ops cancel NAME\n"
    "  ops list [--state queued|running|succeeded|failed|cancelled]\n"
    "           [--kind K] [--page-size N]\n"
    "  ca create NAME [--parent CA] [--key T] [--validity 3650d] [--cn CN]\n"
    "            [--org O] [--default]\n"
    "  ca list | ca get ID [--root]   (--root: just the root PEM, for\n"
    "                                  openssl verify -CAfile)\n"
    "  targets create NAME --dir DIR --domain D [--domain D2 ...]\n"
    "          [--check-cmd \"/usr/sbin/nginx -t\"]\n"
    "          [--reload-cmd \"/usr/sbin/nginx -s reload\"]\n"
    "          [--verify HOST:PORT] [--sni NAME] [--owner U] [--group G]\n"
    "  targets create NAME --cas-resource ID --cas-contact ID --domain D\n"
    "          [--verify HOST:PORT]   (a cloud resource deployed by CAS)\n"
    "  targets create NAME --airec-instance ID --domain D [--domain D2 ...]\n"
    "          [--no-enforce-https] [--verify HOST:PORT]   (an AIRec "
    "instance)\n"
    "  targets list | targets get NAME | targets delete NAME\n"
    "  deploy --cert ID [--version N] --target T [--target T2 ...]\n"
    "         [--validate-only] [--no-verify] [--no-auto-rollback]\n"
    "         [--request-id ID] [--wait]\n"
    "  rollback DEPLOYMENT [--request-id ID] [--wait]\n"
    "  deployments list [--target T] [--cert ID] [--state S] | get ID\n"
    "  audit list [--resource R] [--actor A] [--since 2025-01-31T00:00:00Z]\n"
    "             [--limit N]   (newest first; default 50)\n"
    "  audit verify   (exit status 1 if the log was tampered with)\n"
    "  diagnose HOST[:PORT] [--sni S] [--expect-domain D] [--ca FILE]\n"
    "           [--trust-builtin] [--expect-cert ID [--version N]]\n"
    "           [--expect-target T] [--expect-address IP] [--deadline 10s]\n"
    "           (exit status 1 if anything HIGH or CRITICAL is found)\n"
    "  diagnose --chain FILE [--key FILE] | --cert ID [--version N] |\n"
    "           --file-target T   [--domain D ...] [--ca FILE] "
    "[--trust-builtin]\n"
    "           (offline: a bundle, a stored certificate, a file target)\n"
    "  webhooks add URL --secret-file FILE [--event E ...] [--description D]\n"
    "           [--request-id ID]   (events: certificate.expiring,\n"
    "           certificate.renewal_failed, deployment.failed,\n"
    "           deployment.rolled_back, certificate_authority.expiring;\n"
    "           none: all)\n"
    "  webhooks list | webhooks delete ID\n"
    "  webhooks deliveries [--endpoint ID] [--event E] [--limit N]\n"
    "           [--state pending|sending|delivered|failed|cancelled]\n"
    "  health\n"
    "  airec bind --cert ID [--version N] --target T [--validate-only\n"
    "             [-o certificate_info.xlsx]] [--no-verify] [--request-id ID]\n"
    "             [--wait]   (builds and uploads certificate_info.xlsx)\n"
    "  airec mapping --cert-file CHAIN.pem --cert-id ID --domain D\n"
    "                [--domain D2 ...] -o certificate_info.xlsx\n"
    "  airec check certificate_info.xlsx [--cert-file CHAIN.pem --cert-id ID\n"
    "              ...] [--json]   (exit status 1 if any row has a problem)\n"
    "  (airec mapping and check work on local files; they need no server)\n"
    "\n"
    "The server is --server, else $CERTFERRY_SERVER, else 127.0.0.1:7443.\n";

// Flags are --name value or --name=value; a flag in `kBooleans` takes no
// value. Everything else is positional.
struct Args {
  std::map<std::string, std::string> flags;  // last value of each flag
  std::map<std::string, std::vector<std::string>> all;  // every value
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name,
                  const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
};

bool ParseArgs(int argc, char** argv, Args* out, std::string* error) {
  static const std::vector<std::string> kBooleans = {"json",
                                                     "accept-expired",
                                                     "help",
                                                     "wait",
                                                     "root",
                                                     "default",
                                                     "pem",
                                                     "validate-only",
                                                     "no-verify",
                                                     "no-auto-rollback",
                                                     "no-enforce-https",
                                                     "all-versions",
                                                     "disable"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      out->positional.push_back(arg);
      continue;
    }
    arg = arg.substr(2);
    if (auto eq = arg.find('='); eq != std::string::npos) {
      out->flags[arg.substr(0, eq)] = arg.substr(eq + 1);
      out->all[arg.substr(0, eq)].push_back(arg.substr(eq + 1));
      continue;
    }
    if (std::find(kBooleans.begin(), kBooleans.end(), arg) != kBooleans.end()) {
      out->flags[arg] = "true";
      continue;
    }
    if (i + 1 >= argc) {
      *error = absl::StrCat("--", arg, " needs a value");
      return false;
    }
    out->flags[arg] = argv[++i];
    out->all[arg].push_back(argv[i]);
  }
  return true;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "certferry: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

int RpcError(const grpc::Status& status) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int code = status.error_code();
  std::fprintf(stderr, "certferry: %s: %s\n",
               code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN",
               status.error_message().c_str());
  return 1;
}

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = absl::StrCat("cannot read '", path, "'");
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string DaysLeft(const google::protobuf::Timestamp& not_after) {
  const absl::Duration left =
      absl::FromUnixSeconds(not_after.seconds()) - absl::Now();
  if (left < absl::ZeroDuration()) return "expired";
  return absl::StrCat(absl::ToInt64Hours(left) / 24);
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s", json.c_str());
}

// RFC 5280's reason names, as `openssl ca -crl_reason` takes them (any
// case here); the server refuses the ones that do not apply.
constexpr std::pair<const char*, v1::RevocationReason> kRevocationReasons[] = {
    {"unspecified", v1::REVOCATION_REASON_UNSPECIFIED},
    {"keyCompromise", v1::REVOCATION_REASON_KEY_COMPROMISE},
    {"cACompromise", v1::REVOCATION_REASON_CA_COMPROMISE},
    {"affiliationChanged", v1::REVOCATION_REASON_AFFILIATION_CHANGED},
    {"superseded", v1::REVOCATION_REASON_SUPERSEDED},
    {"cessationOfOperation", v1::REVOCATION_REASON_CESSATION_OF_OPERATION},
    {"certificateHold", v1::REVOCATION_REASON_CERTIFICATE_HOLD},
    {"removeFromCRL", v1::REVOCATION_REASON_REMOVE_FROM_CRL},
    {"privilegeWithdrawn", v1::REVOCATION_REASON_PRIVILEGE_WITHDRAWN},
    {"aACompromise", v1::REVOCATION_REASON_AA_COMPROMISE},
};

bool ParseRevocationReason(const std::string& text,
                           v1::RevocationReason* reason) {
  for (const auto& [name, value] : kRevocationReasons) {
    if (absl::EqualsIgnoreCase(text, name)) {
      *reason = value;
      return true;
    }
  }
  return false;
}

std::string RevocationReasonName(v1::RevocationReason reason) {
  for (const auto& [name, value] : kRevocationReasons) {
    if (value == reason) return name;
  }
  return absl::StrCat(static_cast<int>(reason));
}

// "scheduled", "retrying", ... for a RenewalState.
std::string RenewalStateName(v1::RenewalState state) {
  std::string name = v1::RenewalState_Name(state);
  const std::string prefix = "RENEWAL_STATE_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name == "unspecified" ? "-" : name;
}

std::string RenewalPolicyText(const v1::RenewalPolicy& p) {
  if (p.has_enabled() && !p.enabled()) return "disabled";
  if (p.days_before_expiry() > 0) {
    return absl::StrCat(p.days_before_expiry(), " days before expiry");
  }
  if (p.lifetime_fraction() > 0) {
    return absl::StrCat(p.lifetime_fraction(), " of the lifetime");
  }
  return "two thirds of the lifetime (default)";
}

void PrintRenewal(const v1::RenewalStatus& r) {
  std::printf("renewal:       %s (policy: %s)\n",
              RenewalStateName(r.state()).c_str(),
              RenewalPolicyText(r.policy()).c_str());
  if (r.has_next_renewal_time()) {
    std::printf("  next:        %s\n",
                FormatTime(r.next_renewal_time()).c_str());
  }
  if (!r.operation().empty()) {
    std::printf("  operation:   %s (%d attempts)\n", r.operation().c_str(),
                r.attempts());
  }
  if (r.has_last_attempt_time()) {
    std::printf("  last:        %s\n",
                FormatTime(r.last_attempt_time()).c_str());
  }
  if (!r.last_error().empty()) {
    std::printf("  last error:  %s\n", r.last_error().c_str());
  }
  if (r.renewed_to_version() > 0) {
    std::printf("  renewed:     version %d from version %d\n",
                r.renewed_to_version(), r.renewed_from_version());
  }
}

void PrintCertificate(const v1::Certificate& c) {
  const v1::CertificateVersion& v = c.version();
  std::printf("id:            %s\n", c.id().c_str());
  std::printf("name:          %s\n", c.name().c_str());
  std::printf("version:       %d of %d\n", v.version(), c.version_count());
  std::printf("domains:       %s\n", absl::StrJoin(c.domains(), ", ").c_str());
  std::printf("subject:       %s\n", v.subject().c_str());
  std::printf("issuer:        %s\n", v.issuer().c_str());
  std::printf("serial:        %s\n", v.serial_number().c_str());
  std::printf("sha256:        %s\n", v.sha256_fingerprint().c_str());
  std::printf("not before:    %s\n", FormatTime(v.not_before()).c_str());
  std::printf("not after:     %s (%s days left)\n",
              FormatTime(v.not_after()).c_str(),
              DaysLeft(v.not_after()).c_str());
  std::printf("key:           %s %d\n", v.key_type().c_str(), v.key_bits());
  std::printf("chain length:  %d\n", v.chain_length());
  std::printf("source:        %s\n", v.source() == v1::CERTIFICATE_SOURCE_ISSUED
                                         ? "issued"
                                         : "imported");
  if (v.has_revocation()) {
    const v1::Revocation& r = v.revocation();
    std::printf("revoked:       %s (%s, by %s)\n",
                FormatTime(r.revoke_time()).c_str(),
                RevocationReasonName(r.reason()).c_str(), r.actor().c_str());
  }
  PrintRenewal(c.renewal());
  // The chain (leaf, then intermediates) is public: printed so it can be
  // saved and checked (`openssl verify`); the private key never is.
  std::printf("\n%s", v.chain_pem().c_str());
}

class Client {
 public:
  Client(const std::string& server, absl::Duration timeout)
      : channel_(
            grpc::CreateChannel(server, grpc::InsecureChannelCredentials())),
        certs_(v1::CertificateService::NewStub(channel_)),
        ops_(v1::OperationService::NewStub(channel_)),
        cas_(v1::CertificateAuthorityService::NewStub(channel_)),
        audit_(v1::AuditService::NewStub(channel_)),
        timeout_(timeout) {}

  void Prepare(grpc::ClientContext* context) const {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(timeout_));
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CertificateService::Stub> certs_;
  std::unique_ptr<v1::OperationService::Stub> ops_;
  std::unique_ptr<v1::CertificateAuthorityService::Stub> cas_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  absl::Duration timeout_;
};

// Makes a call with a fresh context until it returns something other than
// UNAVAILABLE, at most three times: for calls whose request_id makes a
// repeat harmless.
template <typename Call>
grpc::Status CallRetryingUnavailable(const Client& client, Call call) {
  grpc::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::ClientContext context;
    client.Prepare(&context);
    status = call(&context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  return status;
}

int Import(const Args& args, Client& client, bool json) {
  for (const char* required : {"name", "chain", "key"}) {
    if (!args.Has(required)) {
      return UsageError(
          absl::StrCat("certs import: --", required, " is required"));
    }
  }
  v1::ImportCertificateRequest request;
  request.set_name(args.Get("name"));
  std::string error;
  if (!ReadFile(args.Get("chain"), request.mutable_chain_pem(), &error) ||
      !ReadFile(args.Get("key"), request.mutable_private_key_pem(), &error)) {
    return UsageError(error);
  }
  // A fresh id per invocation makes the retry below safe.
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  request.set_accept_expired(args.Has("accept-expired"));
  v1::Certificate response;
  const grpc::Status status =
      CallRetryingUnavailable(client, [&](grpc::ClientContext* context) {
        return client.certs_->ImportCertificate(context, request, &response);
      });
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
  } else {
    PrintCertificate(response);
  }
  return 0;
}

int Get(const Args& args, Client& client, bool json) {
  if (args.positional.size() != 3) {
    return UsageError("certs get: give exactly one certificate ID");
  }
  v1::GetCertificateRequest request;
  request.set_id(args.positional[2]);
  if (args.Has("version")) {
    int version = 0;
    if (!absl::SimpleAtoi(args.Get("version"), &version)) {
      return UsageError("--version: expected a number");
    }
    request.set_version(version);
  }
  v1::Certificate response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status =
      client.certs_->GetCertificate(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
  } else if (args.Has("pem")) {
    std::printf("%s", response.version().chain_pem().c_str());
  } else {
    PrintCertificate(response);
  }
  return 0;
}

// Every page of `request` into `all`. Returns 0, or RpcError's exit status.
int ListAll(Client& client, v1::ListCertificatesRequest request,
            v1::ListCertificatesResponse* all) {
  do {
    v1::ListCertificatesResponse page;
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status =
        client.certs_->ListCertificates(&context, request, &page);
    if (!status.ok()) return RpcError(status);
    all->mutable_certificates()->MergeFrom(page.certificates());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return 0;
}

int List(const Args& args, Client& client, bool json) {
  v1::ListCertificatesRequest request;
  request.set_domain(args.Get("domain"));
  if (args.Has("page-size")) {
    int size = 0;
    if (!absl::SimpleAtoi(args.Get("page-size"), &size)) {
      return UsageError("--page-size: expected a number");
    }
    request.set_page_size(size);
  }
  if (args.Has("expiring-within")) {
    absl::Duration within;
    if (!certferry::cli::ParseHumanDuration(args.Get("expiring-within"),
                                            &within)) {
      return UsageError(
          "--expiring-within: expected a duration such as 30d, 12h or 90m");
    }
    const int64_t seconds = absl::ToUnixSeconds(absl::Now() + within);
    request.mutable_expiring_before()->set_seconds(seconds);
  }
  v1::ListCertificatesResponse all;
  if (int failed = ListAll(client, request, &all); failed != 0) return failed;

  if (json) {
    PrintJson(all);
    return 0;
  }
  std::printf("%-36s  %-28s  %4s  %-20s  %9s  %s\n", "ID", "NAME", "VER",
              "NOT AFTER", "DAYS LEFT", "DOMAINS");
  for (const v1::Certificate& c : all.certificates()) {
    std::printf("%-36s  %-28s  %4d  %-20s  %9s  %s\n", c.id().c_str(),
                c.name().c_str(), c.version().version(),
                FormatTime(c.version().not_after()).c_str(),
                DaysLeft(c.version().not_after()).c_str(),
                absl::StrJoin(c.domains(), ",").c_str());
  }
  std::printf("%d certificate(s)\n", all.certificates_size());
  return 0;
}

int Revoke(const Args& args, Client& client, bool json) {
  if (args.positional.size() != 3) {
    return UsageError("certs revoke: give exactly one certificate ID");
  }
  v1::RevokeCertificateRequest request;
  request.set_id(args.positional[2]);
  int version = 0;
  if (args.Has("version") && !absl::SimpleAtoi(args.Get("version"), &version)) {
    return UsageError("--version: expected a number");
  }
  request.set_version(version);
  request.set_all_versions(args.Has("all-versions"));
  if (args.Has("reason")) {
    v1::RevocationReason reason;
    if (!ParseRevocationReason(args.Get("reason"), &reason)) {
      return UsageError(absl::StrCat(
          "--reason: '", args.Get("reason"),
          "' is not an RFC 5280 reason; use keyCompromise, superseded, "
          "affiliationChanged, cessationOfOperation, privilegeWithdrawn or "
          "unspecified"));
    }
    request.set_reason(reason);
  }
  // A fresh id per invocation makes the retry below safe.
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  v1::RevokeCertificateResponse response;
  const grpc::Status status =
      CallRetryingUnavailable(client, [&](grpc::ClientContext* context) {
        return client.certs_->RevokeCertificate(context, request, &response);
      });
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
    return 0;
  }
  for (const v1::Revocation& r : response.revocations()) {
    std::printf("revoked %s version %d (serial %s): %s, %s by %s\n",
                r.certificate_id().c_str(), r.version(),
                r.serial_number().c_str(),
                RevocationReasonName(r.reason()).c_str(),
                FormatTime(r.revoke_time()).c_str(), r.actor().c_str());
    if (!r.crl_url().empty()) {
      std::printf("  listed on the CRL at %s\n", r.crl_url().c_str());
    }
  }
  return 0;
}

int Expiring(const Args& args, Client& client, bool json) {
  absl::Duration within;
  if (!args.Has("within") ||
      !certferry::cli::ParseHumanDuration(args.Get("within"), &within)) {
    return UsageError(
        "certs expiring: --within takes a duration such as 30d, 12h or 90m");
  }
  v1::ListCertificatesRequest request;
  request.set_order_by("not_after");
  request.mutable_expiring_before()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + within));
  v1::ListCertificatesResponse all;
  if (int failed = ListAll(client, request, &all); failed != 0) return failed;

  if (json) {
    PrintJson(all);
    return 0;
  }
  std::printf("%-28s  %4s  %-20s  %9s  %-13s  %-20s  %s\n", "NAME", "VER",
              "NOT AFTER", "DAYS LEFT", "RENEWAL", "NEXT RENEWAL",
              "LAST ERROR");
  for (const v1::Certificate& c : all.certificates()) {
    const v1::RenewalStatus& r = c.renewal();
    std::printf(
        "%-28s  %4d  %-20s  %9s  %-13s  %-20s  %s\n", c.name().c_str(),
        c.version().version(), FormatTime(c.version().not_after()).c_str(),
        DaysLeft(c.version().not_after()).c_str(),
        RenewalStateName(r.state()).c_str(),
        r.has_next_renewal_time() ? FormatTime(r.next_renewal_time()).c_str()
                                  : "-",
        r.last_error().substr(0, 80).c_str());
  }
  std::printf("%d certificate(s) expiring within %s\n", all.certificates_size(),
              args.Get("within").c_str());
  return 0;
}

int Renewal(const Args& args, Client& client, bool json) {
  const auto& p = args.positional;
  if (p.size() != 3) {
    return UsageError("certs renewal: give exactly one certificate ID");
  }
  v1::UpdateRenewalPolicyRequest request;
  request.set_certificate_id(p[2]);
  v1::RenewalPolicy* policy = request.mutable_policy();
  policy->set_enabled(!args.Has("disable"));
  if (args.Has("fraction")) {
    double fraction = 0;
    if (!absl::SimpleAtod(args.Get("fraction"), &fraction)) {
      return UsageError("--fraction: expected a number such as 0.66");
    }
    policy->set_lifetime_fraction(fraction);
  }
  if (args.Has("days-before")) {
    int days = 0;
    if (!absl::SimpleAtoi(args.Get("days-before"), &days)) {
      return UsageError("--days-before: expected a number of days");
    }
    policy->set_days_before_expiry(days);
  }
  v1::Certificate response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status =
      client.certs_->UpdateRenewalPolicy(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
  } else {
    std::printf("certificate:   %s (%s)\n", response.name().c_str(),
                response.id().c_str());
    PrintRenewal(response.renewal());
  }
  return 0;
}

std::string DeploymentStateName(v1::DeploymentState state) {
  std::string name = v1::DeploymentState_Name(state);
  const std::string prefix = "DEPLOYMENT_STATE_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

void PrintDeployment(const v1::Deployment& d) {
  std::printf("deployment:    %lld (%s to target %s)\n",
              static_cast<long long>(d.id()), d.kind().c_str(),
              d.target().c_str());
  std::printf("state:         %s%s\n", DeploymentStateName(d.state()).c_str(),
              d.auto_rolled_back() ? " (rolled back automatically)" : "");
  if (d.rolls_back() != 0) {
    std::printf("rolls back:    %lld\n",
                static_cast<long long>(d.rolls_back()));
  }
  if (!d.certificate_id().empty()) {
    std::printf("certificate:   %s version %d\n", d.certificate_id().c_str(),
                d.certificate_version());
  }
  std::printf("leaf sha256:   %s\n",
              d.leaf_sha256().empty() ? "(none)" : d.leaf_sha256().c_str());
  if (d.previous_empty()) {
    std::printf("before:        (nothing)\n");
  } else if (!d.previous_leaf_sha256().empty()) {
    std::printf("before:        %s%s\n", d.previous_leaf_sha256().c_str(),
                d.previous_certificate_id().empty()
                    ? " (not deployed by certferry)"
                    : absl::StrCat(" (", d.previous_certificate_id(),
                                   " version ", d.previous_version(), ")")
                          .c_str());
  }
  std::printf("operation:     %s, actor %s, attempts %d\n",
              d.operation().c_str(), d.actor().c_str(), d.attempts());
  if (!d.error().empty()) std::printf("error:         %s\n", d.error().c_str());
  if (!d.evidence().empty()) {
    std::printf("evidence:      %s\n", d.evidence().c_str());
  }
  // The verifying handshake's diagnosis, worst first; anything above OK
  // with its title (the whole finding is in --json and `certferry diagnose`).
  for (const v1::Finding& f : d.findings()) {
    if (f.severity() <= v1::SEVERITY_OK) continue;
    std::printf("finding:       %s %s: %s\n",
                v1::Severity_Name(f.severity()).substr(9).c_str(),
                f.id().c_str(), f.title().c_str());
  }
}

const char* StateName(v1::OperationState state) {
  switch (state) {
    case v1::OPERATION_STATE_QUEUED:
      return "queued";
    case v1::OPERATION_STATE_RUNNING:
      return "running";
    case v1::OPERATION_STATE_SUCCEEDED:
      return "succeeded";
    case v1::OPERATION_STATE_FAILED:
      return "failed";
    case v1::OPERATION_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

// Prints an operation; its certificate when it carries one. Exit code 1
// for a failed or cancelled operation.
int PrintOperation(const v1::Operation& op, bool json) {
  v1::Certificate certificate;
  const bool has_certificate =
      op.has_response() && op.response().UnpackTo(&certificate);
  if (json) {
    PrintJson(op);
  } else {
    const v1::OperationMetadata& m = op.metadata();
    std::printf("operation:     %s\n", op.name().c_str());
    std::printf("kind:          %s\n", m.kind().c_str());
    std::printf("state:         %s (attempt %d of %d)\n", StateName(m.state()),
                m.attempts(), m.max_attempts());
    if (!m.progress().empty()) {
      std::printf("progress:      %s\n", m.progress().c_str());
    }
    if (op.has_error()) {
      std::printf("error:         %s\n", op.error().message().c_str());
    } else if (m.has_last_error()) {
      std::printf("last error:    %s (retrying)\n",
                  m.last_error().message().c_str());
    }
    if (has_certificate) {
      std::printf("\n");
      PrintCertificate(certificate);
    }
    v1::DeploymentOperationResult deployments;
    if (op.has_response() && op.response().UnpackTo(&deployments)) {
      for (const v1::Deployment& d : deployments.deployments()) {
        std::printf("\n");
        PrintDeployment(d);
      }
    }
  }
  return op.done() && op.has_error() ? 1 : 0;
}

// Waits for `op` to finish, reporting each change of state or progress on
// stderr, then prints the final operation.
int WaitAndPrint(Client& client, v1::Operation op, bool json) {
  std::string last;
  while (!op.done()) {
    const std::string now = absl::StrCat(
        StateName(op.metadata().state()), " (attempt ",
        op.metadata().attempts(), "/", op.metadata().max_attempts(), ")",
        op.metadata().progress().empty() ? "" : ": ", op.metadata().progress());
    if (now != last) {
      std::fprintf(stderr, "%s: %s\n", op.name().c_str(), now.c_str());
      last = now;
    }
    v1::WaitOperationRequest request;
    request.set_name(op.name());
    request.mutable_timeout()->set_seconds(2);
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status = client.ops_->WaitOperation(&context, request, &op);
    if (!status.ok()) return RpcError(status);
  }
  std::fprintf(stderr, "%s: %s\n", op.name().c_str(),
               StateName(op.metadata().state()));
  return PrintOperation(op, json);
}

int Issue(const Args& args, Client& client, bool json) {
  if (!args.Has("name")) return UsageError("issue: --name is required");
  v1::IssueCertificateRequest request;
  request.set_name(args.Get("name"));
  if (auto it = args.all.find("domain"); it != args.all.end()) {
    for (const std::string& d : it->second) request.add_domains(d);
  }
  std::string error;
  if (args.Has("san-domains") &&
      !ReadFile(args.Get("san-domains"), request.mutable_san_domains(),
                &error)) {
    return UsageError(error);
  }
  request.set_key_type(args.Get("key"));
  request.set_issuer(args.Get("issuer"));
  if (args.Has("validity")) {
    absl::Duration validity;
    if (!certferry::cli::ParseHumanDuration(args.Get("validity"), &validity)) {
      return UsageError("--validity: expected a duration such as 90d");
    }
    request.mutable_validity()->set_seconds(absl::ToInt64Seconds(validity));
  }
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  v1::Operation op;
  grpc::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::ClientContext context;
    client.Prepare(&context);
    status = client.certs_->IssueCertificate(&context, request, &op);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  if (!status.ok()) return RpcError(status);
  if (args.Has("wait")) return WaitAndPrint(client, op, json);
  return PrintOperation(op, json);
}

int Ops(const Args& args, Client& client, bool json) {
  const std::vector<std::string>& p = args.positional;
  if (p.size() == 2 && p[1] == "list") {
    v1::ListOperationsRequest request;
    request.set_kind(args.Get("kind"));
    if (args.Has("state")) {
      const std::string state = "OPERATION_STATE_" + args.Get("state");
      v1::OperationState value;
      std::string upper = state;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      if (!v1::OperationState_Parse(upper, &value)) {
        return UsageError(
            "--state: one of queued, running, succeeded, failed, cancelled");
      }
      request.set_state(value);
    }
    int size = 20;
    if (args.Has("page-size") &&
        !absl::SimpleAtoi(args.Get("page-size"), &size)) {
      return UsageError("--page-size: expected a number");
    }
    request.set_page_size(size);
    v1::ListOperationsResponse response;
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status =
        client.ops_->ListOperations(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
      return 0;
    }
    std::printf("%-20s  %-20s  %-10s  %7s  %-20s  %s\n", "NAME", "KIND",
                "STATE", "ATTEMPT", "CREATED", "ERROR");
    for (const v1::Operation& op : response.operations()) {
      const v1::OperationMetadata& m = op.metadata();
      std::printf("%-20s  %-20s  %-10s  %3d/%-3d  %-20s  %s\n",
                  op.name().c_str(), m.kind().c_str(), StateName(m.state()),
                  m.attempts(), m.max_attempts(),
                  FormatTime(m.create_time()).c_str(),
                  op.error().message().c_str());
    }
    return 0;
  }
  if (p.size() != 3) return UsageError("ops: give a command and a NAME");
  v1::Operation op;
  grpc::Status status;
  grpc::ClientContext context;
  client.Prepare(&context);
  if (p[1] == "get") {
    v1::GetOperationRequest request;
    request.set_name(p[2]);
    status = client.ops_->GetOperation(&context, request, &op);
  } else if (p[1] == "cancel") {
    v1::CancelOperationRequest request;
    request.set_name(p[2]);
    status = client.ops_->CancelOperation(&context, request, &op);
  } else if (p[1] == "wait") {
    v1::GetOperationRequest request;
    request.set_name(p[2]);
    status = client.ops_->GetOperation(&context, request, &op);
    if (status.ok()) return WaitAndPrint(client, op, json);
  } else {
    return UsageError(absl::StrCat("ops: unknown command '", p[1], "'"));
  }
  if (!status.ok()) return RpcError(status);
  return PrintOperation(op, json);
}

void PrintAuthority(const v1::CertificateAuthority& ca) {
  std::printf("id:            %s\n", ca.id().c_str());
  std::printf("name:          %s%s\n", ca.name().c_str(),
              ca.is_default() ? " (default issuer)" : "");
  std::printf("subject:       %s\n", ca.subject().c_str());
  std::printf("parent:        %s\n",
              ca.parent_id().empty() ? "(root)" : ca.parent_id().c_str());
  std::printf("key:           %s\n", ca.key_type().c_str());
  std::printf("sha256:        %s\n", ca.sha256_fingerprint().c_str());
  std::printf("not after:     %s\n", FormatTime(ca.not_after()).c_str());
}

int Ca(const Args& args, Client& client, bool json) {
  const std::vector<std::string>& p = args.positional;
  if (p.size() == 2 && p[1] == "list") {
    v1::ListCertificateAuthoritiesResponse response;
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status = client.cas_->ListCertificateAuthorities(
        &context, v1::ListCertificateAuthoritiesRequest(), &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
      return 0;
    }
    std::printf("%-36s  %-24s  %-8s  %-20s  %s\n", "ID", "NAME", "DEFAULT",
                "NOT AFTER", "SUBJECT");
    for (const auto& ca : response.certificate_authorities()) {
      std::printf("%-36s  %-24s  %-8s  %-20s  %s\n", ca.id().c_str(),
                  ca.name().c_str(), ca.is_default() ? "yes" : "",
                  FormatTime(ca.not_after()).c_str(), ca.subject().c_str());
    }
    return 0;
  }
  if (p.size() != 3) return UsageError("ca: give a command and a NAME or ID");
  v1::CertificateAuthority ca;
  grpc::Status status;
  grpc::ClientContext context;
  client.Prepare(&context);
  if (p[1] == "create") {
    v1::CreateCertificateAuthorityRequest request;
    request.set_name(p[2]);
    request.set_parent(args.Get("parent"));
    request.set_key_type(args.Get("key"));
    request.set_common_name(args.Get("cn"));
    request.set_organization(args.Get("org"));
    request.set_make_default(args.Has("default"));
    request.set_request_id(args.Get("request-id", certferry::NewUuid()));
    if (args.Has("validity")) {
      absl::Duration validity;
      if (!certferry::cli::ParseHumanDuration(args.Get("validity"),
                                              &validity)) {
        return UsageError("--validity: expected a duration such as 3650d");
      }
      request.mutable_validity()->set_seconds(absl::ToInt64Seconds(validity));
    }
    status = client.cas_->CreateCertificateAuthority(&context, request, &ca);
  } else if (p[1] == "get") {
    v1::GetCertificateAuthorityRequest request;
    request.set_id(p[2]);
    status = client.cas_->GetCertificateAuthority(&context, request, &ca);
  } else {
    return UsageError(absl::StrCat("ca: unknown command '", p[1], "'"));
  }
  if (!status.ok()) return RpcError(status);
  if (args.Has("root")) {
    std::printf("%s", ca.root_pem().c_str());
  } else if (json) {
    PrintJson(ca);
  } else {
    PrintAuthority(ca);
  }
  return 0;
}

std::vector<std::string> SplitCommand(const std::string& text) {
  std::vector<std::string> argv;
  for (absl::string_view part : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    argv.emplace_back(part);
  }
  return argv;
}

void PrintTarget(const v1::Target& t) {
  std::printf("target:        %s (%s)\n", t.name().c_str(), t.kind().c_str());
  std::printf("domains:       %s\n", absl::StrJoin(t.domains(), ", ").c_str());
  if (t.has_file()) {
    std::printf("directory:     %s (%s, %s)\n", t.file().directory().c_str(),
                t.file().chain_file().c_str(), t.file().key_file().c_str());
    if (!t.file().check_command().empty()) {
      std::printf("check:         %s\n",
                  absl::StrJoin(t.file().check_command(), " ").c_str());
    }
    if (!t.file().reload_command().empty()) {
      std::printf("reload:        %s\n",
                  absl::StrJoin(t.file().reload_command(), " ").c_str());
    }
  }
  if (t.has_cas()) {
    std::printf("CAS resource:  %lld (contact %lld)\n",
                static_cast<long long>(t.cas().resource_id()),
                static_cast<long long>(t.cas().contact_id()));
  }
  if (t.has_airec()) {
    std::printf(
        "AIRec:         %s (HTTPS %s)\n", t.airec().instance_id().c_str(),
        t.airec().skip_https_enforcement() ? "not enforced" : "enforced");
  }
  if (t.has_verify_endpoint()) {
    std::printf("verify:        %s:%d (SNI %s)\n",
                t.verify_endpoint().host().c_str(), t.verify_endpoint().port(),
                t.verify_endpoint().sni().c_str());
  }
}

int Targets(const Args& args, Client& client, bool json) {
  auto stub = v1::TargetService::NewStub(client.channel_);
  const std::vector<std::string>& p = args.positional;
  grpc::ClientContext context;
  client.Prepare(&context);
  if (p[1] == "create" && p.size() == 3) {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name(p[2]);
    if (args.Has("cas-resource")) {
      int64_t resource = 0, contact = 0;
      if (!absl::SimpleAtoi(args.Get("cas-resource"), &resource) ||
          !absl::SimpleAtoi(args.Get("cas-contact", "0"), &contact)) {
        return UsageError("--cas-resource and --cas-contact take numeric ids");
      }
      t->set_kind("cas");
      t->mutable_cas()->set_resource_id(resource);
      t->mutable_cas()->set_contact_id(contact);
    } else if (args.Has("airec-instance")) {
      t->set_kind("airec");
      t->mutable_airec()->set_instance_id(args.Get("airec-instance"));
      t->mutable_airec()->set_skip_https_enforcement(
          args.Has("no-enforce-https"));
    } else {
      if (!args.Has("dir")) {
        return UsageError(
            "targets create: --dir (a file target), --cas-resource (a "
            "cloud resource deployed by CAS) or --airec-instance (an AIRec "
            "instance) is required");
      }
      t->set_kind("file");
      v1::FileTargetConfig* file = t->mutable_file();
      file->set_directory(args.Get("dir"));
      file->set_owner(args.Get("owner"));
      file->set_group(args.Get("group"));
      for (const std::string& arg : SplitCommand(args.Get("check-cmd"))) {
        file->add_check_command(arg);
      }
      for (const std::string& arg : SplitCommand(args.Get("reload-cmd"))) {
        file->add_reload_command(arg);
      }
    }
    if (auto it = args.all.find("domain"); it != args.all.end()) {
      for (const std::string& d : it->second) t->add_domains(d);
    }
    if (args.Has("verify")) {
      const std::string verify = args.Get("verify");
      const size_t colon = verify.rfind(':');
      int port = 0;
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(verify.substr(colon + 1), &port)) {
        return UsageError("--verify: expected HOST:PORT, e.g. 127.0.0.1:443");
      }
      t->mutable_verify_endpoint()->set_host(verify.substr(0, colon));
      t->mutable_verify_endpoint()->set_port(port);
      t->mutable_verify_endpoint()->set_sni(args.Get("sni"));
    }
    v1::Target created;
    grpc::Status status = stub->CreateTarget(&context, request, &created);
    if (!status.ok()) return RpcError(status);
    json ? PrintJson(created) : PrintTarget(created);
    return 0;
  }
  if (p[1] == "get" && p.size() == 3) {
    v1::GetTargetRequest request;
    request.set_name(p[2]);
    v1::Target target;
    grpc::Status status = stub->GetTarget(&context, request, &target);
    if (!status.ok()) return RpcError(status);
    json ? PrintJson(target) : PrintTarget(target);
    return 0;
  }
  if (p[1] == "delete" && p.size() == 3) {
    v1::DeleteTargetRequest request;
    request.set_name(p[2]);
    v1::DeleteTargetResponse response;
    grpc::Status status = stub->DeleteTarget(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    std::printf("deleted target %s\n", p[2].c_str());
    return 0;
  }
  if (p[1] == "list") {
    v1::ListTargetsRequest request;
    v1::ListTargetsResponse response;
    grpc::Status status = stub->ListTargets(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
    } else {
      for (const v1::Target& t : response.targets()) {
        std::printf("%-24s %-6s %s\n", t.name().c_str(), t.kind().c_str(),
                    absl::StrJoin(t.domains(), ",").c_str());
      }
    }
    return 0;
  }
  return UsageError(
      "targets: expected create NAME, get NAME, delete NAME or list");
}

int Deploy(const Args& args, Client& client, bool json) {
  if (!args.Has("cert")) return UsageError("deploy: --cert is required");
  v1::DeployCertificateRequest request;
  request.set_certificate_id(args.Get("cert"));
  int version = 0;
  if (args.Has("version") && !absl::SimpleAtoi(args.Get("version"), &version)) {
    return UsageError("--version: expected a number");
  }
  request.set_version(version);
  if (auto it = args.all.find("target"); it != args.all.end()) {
    for (const std::string& t : it->second) request.add_targets(t);
  }
  request.set_validate_only(args.Has("validate-only"));
  if (args.Has("no-verify")) request.set_verify(false);
  if (args.Has("no-auto-rollback")) request.set_auto_rollback(false);
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  auto stub = v1::DeploymentService::NewStub(client.channel_);
  v1::DeployCertificateResponse response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status = stub->DeployCertificate(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (request.validate_only()) {
    if (json) {
      PrintJson(response);
      return 0;
    }
    bool all_match = true;
    for (const v1::DeploymentPreview& p : response.previews()) {
      std::printf(
          "target %s: %d matching certificate(s); matching %s; "
          "unmatched %s\n",
          p.target().c_str(), p.matching_certificates(),
          absl::StrJoin(p.matching_domains(), ",").c_str(),
          p.unmatched_domains().empty()
              ? "none"
              : absl::StrJoin(p.unmatched_domains(), ",").c_str());
      all_match = all_match && p.unmatched_domains().empty();
    }
    return all_match ? 0 : 1;
  }
  if (args.Has("wait")) {
    return WaitAndPrint(client, response.operation(), json);
  }
  if (json) {
    PrintJson(response);
    return 0;
  }
  PrintOperation(response.operation(), false);
  for (const v1::Deployment& d : response.deployments()) {
    std::printf("\n");
    PrintDeployment(d);
  }
  return 0;
}

int AirecBind(const Args& args, Client& client, bool json) {
  if (!args.Has("cert") || !args.Has("target")) {
    return UsageError("airec bind: --cert and --target are required");
  }
  v1::BindCertificateRequest request;
  request.set_certificate_id(args.Get("cert"));
  request.set_target(args.Get("target"));
  int version = 0;
  if (args.Has("version") && !absl::SimpleAtoi(args.Get("version"), &version)) {
    return UsageError("--version: expected a number");
  }
  request.set_version(version);
  request.set_validate_only(args.Has("validate-only"));
  if (args.Has("no-verify")) request.set_verify(false);
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  std::string output;
  const std::vector<std::string>& p = args.positional;
  for (size_t i = 2; i + 1 < p.size(); ++i) {
    if (p[i] == "-o") output = p[i + 1];
  }
  auto stub = v1::DeploymentService::NewStub(client.channel_);
  v1::BindCertificateResponse response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status = stub->BindCertificate(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (request.validate_only()) {
    if (!output.empty()) {
      std::ofstream file(output, std::ios::binary | std::ios::trunc);
      file << response.mapping_file();
      if (!file.flush()) {
        std::fprintf(stderr, "certferry: cannot write %s\n", output.c_str());
        return 1;
      }
    }
    response.clear_mapping_file();  // bytes are for -o, not the terminal
    if (json) {
      PrintJson(response);
      return 0;
    }
    std::printf("certificate_info.xlsx for target %s:\n",
                request.target().c_str());
    for (const v1::CertificateInfoRow& row : response.mapping()) {
      std::printf("  row %d: %s  %s  %s  %d\n", row.row(), row.domain().c_str(),
                  row.certificate_id().c_str(), row.protocol().c_str(),
                  row.port());
    }
    if (!output.empty()) std::printf("written to %s\n", output.c_str());
    return 0;
  }
  if (args.Has("wait")) {
    return WaitAndPrint(client, response.operation(), json);
  }
  if (json) {
    PrintJson(response);
    return 0;
  }
  PrintOperation(response.operation(), false);
  std::printf("\n");
  PrintDeployment(response.deployment());
  return 0;
}

// HOST, HOST:PORT, [IPV6] or [IPV6]:PORT.
bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  *port = 443;
  std::string rest;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return false;
    *host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    *host = text;  // a bare IPv6 literal
  } else {
    const size_t colon = text.rfind(':');
    *host = text.substr(0, colon);
    if (colon != std::string::npos) rest = text.substr(colon);
  }
  if (rest.empty()) return !host->empty();
  return rest[0] == ':' && absl::SimpleAtoi(rest.substr(1), port) &&
         !host->empty();
}

int Diagnose(const Args& args, Client& client, bool json) {
  const std::vector<std::string>& p = args.positional;
  std::string trust, error;
  if (args.Has("ca") && !ReadFile(args.Get("ca"), &trust, &error)) {
    return UsageError(error);
  }
  int version = 0;
  if (args.Has("version") && !absl::SimpleAtoi(args.Get("version"), &version)) {
    return UsageError("--version: expected a number");
  }
  auto stub = v1::DiagnosticsService::NewStub(client.channel_);
  v1::DiagnosisReport report;
  std::string subject;
  grpc::ClientContext context;
  const bool offline =
      args.Has("chain") || args.Has("cert") || args.Has("file-target");
  if (offline) {
    if (p.size() != 1) {
      return UsageError(
          "diagnose: give HOST[:PORT], or --chain/--cert/--file-target");
    }
    v1::DiagnoseBundleRequest request;
    if (args.Has("chain")) {
      std::string chain, key;
      if (!ReadFile(args.Get("chain"), &chain, &error) ||
          (args.Has("key") && !ReadFile(args.Get("key"), &key, &error))) {
        return UsageError(error);
      }
      request.mutable_files()->set_chain_pem(chain);
      request.mutable_files()->set_private_key_pem(key);
      subject = args.Get("chain");
    } else if (args.Has("cert")) {
      request.mutable_certificate()->set_id(args.Get("cert"));
      request.mutable_certificate()->set_version(version);
      subject = absl::StrCat("certificate ", args.Get("cert"));
    } else {
      request.set_file_target(args.Get("file-target"));
      subject = absl::StrCat("target ", args.Get("file-target"));
    }
    if (auto it = args.all.find("domain"); it != args.all.end()) {
      for (const std::string& d : it->second) request.add_intended_domains(d);
    }
    request.set_trust_bundle_pem(trust);
    request.set_trust_builtin_cas(args.Has("trust-builtin"));
    client.Prepare(&context);
    grpc::Status status = stub->DiagnoseBundle(&context, request, &report);
    if (!status.ok()) return RpcError(status);
  } else {
    if (p.size() != 2) return UsageError("diagnose: give HOST[:PORT]");
    v1::DiagnoseEndpointRequest request;
    std::string host;
    int port = 443;
    if (absl::StrContains(p[1], "://") || absl::StrContains(p[1], "/")) {
      return UsageError(absl::StrCat(
          "diagnose: '", p[1],
          "' is a URL; give the host and port only, without https:// or a "
          "path (e.g. shop.example.com or shop.example.com:8443)"));
    }
    if (!SplitHostPort(p[1], &host, &port) || port < 1 || port > 65535) {
      return UsageError(
          "diagnose: expected HOST[:PORT], e.g. shop.example.com or "
          "[::1]:8443");
    }
    request.set_host(host);
    request.set_port(port);
    request.set_sni(args.Get("sni"));
    request.set_expected_domain(args.Get("expect-domain"));
    request.set_expected_certificate_id(args.Get("expect-cert"));
    request.set_expected_version(version);
    request.set_expected_target(args.Get("expect-target"));
    request.set_expected_address(args.Get("expect-address"));
    request.set_trust_bundle_pem(trust);
    request.set_trust_builtin_cas(args.Has("trust-builtin"));
    absl::Duration deadline = absl::Seconds(10);
    if (args.Has("deadline") &&
        !certferry::cli::ParseHumanDuration(args.Get("deadline"), &deadline)) {
      return UsageError("--deadline: expected a duration such as 10s");
    }
    const int64_t deadline_ms = absl::ToInt64Milliseconds(deadline);
    request.mutable_deadline()->set_seconds(deadline_ms / 1000);
    request.mutable_deadline()->set_nanos(
        static_cast<int32_t>(deadline_ms % 1000) * 1000000);
    subject = absl::StrCat(host, ":", port);
    client.Prepare(&context);
    // The RPC waits for the whole diagnosis.
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoSeconds(deadline + absl::Seconds(10)));
    grpc::Status status = stub->DiagnoseEndpoint(&context, request, &report);
    if (!status.ok()) return RpcError(status);
  }
  if (json) {
    PrintJson(report);
  } else {
    std::printf("%s",
                certferry::cli::FormatDiagnosisReport(subject, report).c_str());
  }
  return certferry::cli::DiagnosisExitCode(report);
}

int Rollback(const Args& args, Client& client, bool json) {
  const std::vector<std::string>& p = args.positional;
  int64_t id = 0;
  if (p.size() != 2 || !absl::SimpleAtoi(p[1], &id)) {
    return UsageError("rollback: give the deployment id");
  }
  v1::RollbackDeploymentRequest request;
  request.set_deployment(id);
  request.set_request_id(args.Get("request-id", certferry::NewUuid()));
  auto stub = v1::DeploymentService::NewStub(client.channel_);
  v1::RollbackDeploymentResponse response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status = stub->RollbackDeployment(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (args.Has("wait")) {
    return WaitAndPrint(client, response.operation(), json);
  }
  if (json) {
    PrintJson(response);
    return 0;
  }
  PrintOperation(response.operation(), false);
  std::printf("\n");
  PrintDeployment(response.deployment());
  return 0;
}

int Deployments(const Args& args, Client& client, bool json) {
  const std::vector<std::string>& p = args.positional;
  auto stub = v1::DeploymentService::NewStub(client.channel_);
  grpc::ClientContext context;
  client.Prepare(&context);
  if (p[1] == "get" && p.size() == 3) {
    v1::GetDeploymentRequest request;
    int64_t id = 0;
    if (!absl::SimpleAtoi(p[2], &id)) return UsageError("expected an id");
    request.set_id(id);
    v1::Deployment d;
    grpc::Status status = stub->GetDeployment(&context, request, &d);
    if (!status.ok()) return RpcError(status);
    json ? PrintJson(d) : PrintDeployment(d);
    return 0;
  }
  if (p[1] == "list") {
    v1::ListDeploymentsRequest request;
    request.set_target(args.Get("target"));
    request.set_certificate_id(args.Get("cert"));
    if (args.Has("state")) {
      std::string name = "DEPLOYMENT_STATE_" + args.Get("state");
      for (char& c : name) c = static_cast<char>(std::toupper(c));
      v1::DeploymentState state;
      if (!v1::DeploymentState_Parse(name, &state)) {
        return UsageError(
            "--state: queued, running, verifying, succeeded, failed or "
            "rolled_back");
      }
      request.set_state(state);
    }
    v1::ListDeploymentsResponse response;
    grpc::Status status = stub->ListDeployments(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
      return 0;
    }
    for (const v1::Deployment& d : response.deployments()) {
      std::printf("%-6lld %-8s %-20s %-12s %s\n",
                  static_cast<long long>(d.id()), d.kind().c_str(),
                  d.target().c_str(), DeploymentStateName(d.state()).c_str(),
                  d.leaf_sha256().substr(0, 16).c_str());
    }
    return 0;
  }
  return UsageError("deployments: expected list or get ID");
}

std::string DeliveryStateName(v1::WebhookDeliveryState state) {
  std::string name = v1::WebhookDeliveryState_Name(state).substr(
      sizeof("WEBHOOK_DELIVERY_STATE_") - 1);
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

void PrintWebhookEndpoint(const v1::WebhookEndpoint& e) {
  std::printf("endpoint:      %s\n", e.id().c_str());
  std::printf("url:           %s\n", e.url().c_str());
  std::printf(
      "events:        %s\n",
      e.events().empty() ? "all" : absl::StrJoin(e.events(), ", ").c_str());
  if (!e.description().empty()) {
    std::printf("description:   %s\n", e.description().c_str());
  }
  std::printf("created:       %s\n", FormatTime(e.create_time()).c_str());
}

// webhooks add URL --secret-file F [--event E ...] [--description D]
//          list | delete ID | deliveries [--endpoint ID] [--state S]
//          [--event E] [--limit N]
int Webhooks(const Args& args, Client& client, bool json) {
  auto stub = v1::NotificationService::NewStub(client.channel_);
  const std::vector<std::string>& p = args.positional;
  grpc::ClientContext context;
  client.Prepare(&context);
  if (p[1] == "add" && p.size() == 3) {
    if (!args.Has("secret-file")) {
      return UsageError(
          "webhooks add: --secret-file is required (create one with "
          "`openssl rand -hex 32 > F`)");
    }
    v1::CreateWebhookEndpointRequest request;
    request.set_url(p[2]);
    std::string error;
    if (!ReadFile(args.Get("secret-file"), request.mutable_secret(), &error)) {
      return UsageError(error);
    }
    // A file written by echo or an editor ends in a newline that is not
    // part of the secret.
    while (!request.secret().empty() && (request.secret().back() == '\n' ||
                                         request.secret().back() == '\r')) {
      request.mutable_secret()->pop_back();
    }
    if (auto it = args.all.find("event"); it != args.all.end()) {
      for (const std::string& e : it->second) request.add_events(e);
    }
    request.set_description(args.Get("description"));
    request.set_request_id(args.Get("request-id", certferry::NewUuid()));
    v1::WebhookEndpoint created;
    grpc::Status status =
        stub->CreateWebhookEndpoint(&context, request, &created);
    if (!status.ok()) return RpcError(status);
    json ? PrintJson(created) : PrintWebhookEndpoint(created);
    return 0;
  }
  if (p[1] == "delete" && p.size() == 3) {
    v1::DeleteWebhookEndpointRequest request;
    request.set_id(p[2]);
    v1::DeleteWebhookEndpointResponse response;
    grpc::Status status =
        stub->DeleteWebhookEndpoint(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    std::printf("deleted webhook endpoint %s\n", p[2].c_str());
    return 0;
  }
  if (p[1] == "list" && p.size() == 2) {
    v1::ListWebhookEndpointsRequest request;
    request.set_page_size(1000);
    v1::ListWebhookEndpointsResponse response;
    grpc::Status status =
        stub->ListWebhookEndpoints(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
      return 0;
    }
    std::printf("%-36s  %-40s  %s\n", "ID", "EVENTS", "URL");
    for (const v1::WebhookEndpoint& e : response.endpoints()) {
      std::printf(
          "%-36s  %-40s  %s\n", e.id().c_str(),
          e.events().empty() ? "all" : absl::StrJoin(e.events(), ",").c_str(),
          e.url().c_str());
    }
    return 0;
  }
  if (p[1] == "deliveries" && p.size() == 2) {
    v1::ListWebhookDeliveriesRequest request;
    request.set_endpoint_id(args.Get("endpoint"));
    request.set_event(args.Get("event"));
    if (args.Has("state")) {
      std::string name = "WEBHOOK_DELIVERY_STATE_" + args.Get("state");
      for (char& c : name) c = static_cast<char>(std::toupper(c));
      v1::WebhookDeliveryState state;
      if (!v1::WebhookDeliveryState_Parse(name, &state)) {
        return UsageError(
            "--state: pending, sending, delivered, failed or cancelled");
      }
      request.set_state(state);
    }
    int limit = 50;
    if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) ||
                              limit < 1 || limit > 1000)) {
      return UsageError("--limit: expected a number from 1 to 1000");
    }
    request.set_page_size(limit);
    v1::ListWebhookDeliveriesResponse response;
    grpc::Status status =
        stub->ListWebhookDeliveries(&context, request, &response);
    if (!status.ok()) return RpcError(status);
    if (json) {
      PrintJson(response);
      return 0;
    }
    std::printf("%-20s  %-30s  %-36s  %-9s  %-8s  %-4s  %s\n", "CREATED",
                "EVENT", "DELIVERY", "STATE", "ATTEMPTS", "HTTP", "SUBJECT");
    for (const v1::WebhookDelivery& d : response.deliveries()) {
      const v1::Notification& n = d.notification();
      std::string subject = n.subject();
      if (!n.certificate_name().empty()) {
        absl::StrAppend(&subject, " (", n.certificate_name(), ")");
      }
      if (n.threshold_days() > 0) {
        absl::StrAppend(&subject, " ", n.threshold_days(), "d");
      }
      std::printf("%-20s  %-30s  %-36s  %-9s  %3d/%-4d  %-4d  %s\n",
                  FormatTime(d.create_time()).c_str(), n.event().c_str(),
                  d.id().c_str(), DeliveryStateName(d.state()).c_str(),
                  d.attempts(), d.max_attempts(), d.last_status_code(),
                  subject.c_str());
      if (!d.last_error().empty() &&
          d.state() != v1::WEBHOOK_DELIVERY_STATE_DELIVERED) {
        std::printf("    last error: %s\n", d.last_error().c_str());
      }
    }
    return 0;
  }
  return UsageError(
      "webhooks: expected add URL --secret-file F, list, delete ID or "
      "deliveries");
}

int Health(Client& client, bool json) {
  auto stub = grpc::health::v1::Health::NewStub(client.channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
  } else {
    std::printf("%s\n",
                grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                    response.status())
                    .c_str());
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 1;
}

int AuditList(const Args& args, Client& client, bool json) {
  v1::ListAuditEventsRequest request;
  request.set_resource(args.Get("resource"));
  request.set_actor(args.Get("actor"));
  if (args.Has("since")) {
    absl::Time since;
    std::string parse_error;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("since"), &since,
                         &parse_error)) {
      return UsageError(absl::StrCat(
          "--since: expected an RFC 3339 time such as 2025-01-31T00:00:00Z (",
          parse_error, ")"));
    }
    request.mutable_start_time()->set_seconds(absl::ToUnixSeconds(since));
  }
  int limit = 50;
  if (args.Has("limit") &&
      (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit < 1)) {
    return UsageError("--limit: expected a positive number");
  }
  v1::ListAuditEventsResponse all;
  while (all.events_size() < limit) {
    request.set_page_size(std::min(limit - all.events_size(), 1000));
    v1::ListAuditEventsResponse page;
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status =
        client.audit_->ListAuditEvents(&context, request, &page);
    if (!status.ok()) return RpcError(status);
    for (v1::AuditEvent& event : *page.mutable_events()) {
      *all.add_events() = std::move(event);
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (json) {
    PrintJson(all);
    return 0;
  }
  std::printf("%-8s  %-20s  %-24s  %-26s  %-30s  %-16s  %s\n", "ID", "TIME",
              "ACTOR", "ACTION", "RESOURCE", "OUTCOME", "SUMMARY");
  for (const v1::AuditEvent& e : all.events()) {
    std::printf("%-8lld  %-20s  %-24s  %-26s  %-30s  %-16s  %s\n",
                static_cast<long long>(e.id()), FormatTime(e.time()).c_str(),
                e.actor().c_str(), e.action().c_str(), e.resource().c_str(),
                e.outcome().c_str(), e.summary().c_str());
  }
  return 0;
}

int AuditVerify(Client& client, bool json) {
  v1::VerifyAuditLogResponse response;
  grpc::ClientContext context;
  client.Prepare(&context);
  grpc::Status status = client.audit_->VerifyAuditLog(&context, {}, &response);
  if (!status.ok()) return RpcError(status);
  if (json) {
    PrintJson(response);
  } else if (response.intact()) {
    std::printf("audit log intact: %lld events checked\n",
                static_cast<long long>(response.events_checked()));
  } else {
    std::printf(
        "audit log BROKEN at event %lld: %s\n(%lld events before it are "
        "sound)\n",
        static_cast<long long>(response.first_broken_event_id()),
        response.problem().c_str(),
        static_cast<long long>(response.events_checked()));
  }
  return response.intact() ? 0 : 1;
}

// ---- airec: certificate_info.xlsx, local files only (no server).

int LocalError(const absl::Status& status) {
  std::fprintf(stderr, "certferry: %s: %s\n",
               absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

// Reads each --cert-file and keys its leaf's SAN DNS names by the --cert-id
// at the same position, so rows can be checked against what the
// certificate really names.
bool LoadCertificateNames(const Args& args,
                          certferry::mapping::CertificateNames* out,
                          std::string* error) {
  static const std::vector<std::string> kNone;
  auto values = [&args](const char* flag) -> const std::vector<std::string>& {
    auto it = args.all.find(flag);
    return it == args.all.end() ? kNone : it->second;
  };
  const std::vector<std::string>& files = values("cert-file");
  const std::vector<std::string>& ids = values("cert-id");
  if (files.size() != ids.size()) {
    *error = absl::StrCat("give one --cert-id per --cert-file (got ",
                          files.size(), " files and ", ids.size(), " ids)");
    return false;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::string pem;
    if (!ReadFile(files[i], &pem, error)) return false;
    absl::StatusOr<std::vector<certferry::pki::CertificateInfo>> chain =
        certferry::pki::ParseCertificateChain(pem, "--cert-file " + files[i]);
    if (!chain.ok()) {
      *error = std::string(chain.status().message());
      return false;
    }
    (*out)[ids[i]] = chain->front().dns_names;
  }
  return true;
}

int AirecMapping(const Args& args) {
  // -o is the one short flag: ParseArgs leaves it positional.
  std::string output = args.Get("output");
  const std::vector<std::string>& p = args.positional;
  for (size_t i = 2; i + 1 < p.size(); ++i) {
    if (p[i] == "-o") output = p[i + 1];
  }
  if (output.empty()) return UsageError("airec mapping: -o FILE is required");
  if (!args.Has("cert-file") || !args.Has("cert-id")) {
    return UsageError(
        "airec mapping: --cert-file and --cert-id are required (the "
        "domains are checked against the certificate's names)");
  }
  auto domains = args.all.find("domain");
  if (domains == args.all.end()) {
    return UsageError("airec mapping: give at least one --domain");
  }
  certferry::mapping::MappingValidationOptions options;
  options.certificates.emplace();
  std::string error;
  if (!LoadCertificateNames(args, &*options.certificates, &error)) {
    return UsageError(error);
  }
  if (options.certificates->size() != 1) {
    return UsageError("airec mapping: give exactly one --cert-file/--cert-id");
  }
  const std::string id = options.certificates->begin()->first;
  std::vector<certferry::mapping::MappingRow> rows;
  for (const std::string& domain : domains->second) {
    certferry::mapping::MappingRow row;
    row.row = static_cast<int>(rows.size()) + 2;  // as the sheet will show
    row.domain = domain;
    row.certificate_id = id;
    rows.push_back(std::move(row));
  }
  const std::vector<certferry::mapping::MappingIssue> issues =
      certferry::mapping::ValidateMappingRows(rows, options);
  if (!issues.empty()) {
    std::fprintf(stderr, "certferry: %s not written; fix these:\n%s\n",
                 output.c_str(),
                 certferry::mapping::FormatMappingIssues(issues).c_str());
    return 1;
  }
  absl::Status written =
      certferry::mapping::WriteCertificateInfoXlsxFile(output, rows);
  if (!written.ok()) return LocalError(written);
  std::printf("wrote %s: %zu row(s), header %s\n", output.c_str(), rows.size(),
              certferry::mapping::HeaderKindName(
                  certferry::mapping::HeaderKind::kStandard)
                  .c_str());
  return 0;
}

int AirecCheck(const Args& args) {
  const std::vector<std::string>& p = args.positional;
  if (p.size() != 3) {
    return UsageError("airec check: give exactly one certificate_info.xlsx");
  }
  std::string bytes, error;
  if (!ReadFile(p[2], &bytes, &error)) return UsageError(error);
  certferry::mapping::MappingValidationOptions options;
  if (args.Has("cert-file") || args.Has("cert-id")) {
    options.certificates.emplace();
    if (!LoadCertificateNames(args, &*options.certificates, &error)) {
      return UsageError(error);
    }
  }
  absl::StatusOr<certferry::mapping::CertificateInfoSheet> sheet =
      certferry::mapping::ReadCertificateInfoXlsx(bytes, p[2]);
  if (!sheet.ok()) return LocalError(sheet.status());
  options.header = sheet->header;
  const std::vector<certferry::mapping::MappingIssue> issues =
      certferry::mapping::ValidateMappingRows(sheet->rows, options);
  if (args.Has("json")) {
    nlohmann::json out = {
        {"file", p[2]},
        {"sheet", sheet->sheet_name},
        {"header", certferry::mapping::HeaderKindName(sheet->header)},
        {"headerRow", sheet->header_row},
        {"rows", sheet->rows.size()},
        {"coverageChecked", options.certificates.has_value()},
        {"issues", nlohmann::json::array()}};
    for (const certferry::mapping::MappingIssue& issue : issues) {
      out["issues"].push_back({{"row", issue.row},
                               {"column", issue.column},
                               {"value", issue.value},
                               {"problem", issue.problem}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return issues.empty() ? 0 : 1;
  }
  std::printf("%s: sheet '%s', header %s (row %d), %zu row(s)\n", p[2].c_str(),
              sheet->sheet_name.c_str(),
              certferry::mapping::HeaderKindName(sheet->header).c_str(),
              sheet->header_row, sheet->rows.size());
  for (const certferry::mapping::MappingIssue& issue : issues) {
    std::printf("%s\n", certferry::mapping::FormatMappingIssue(issue).c_str());
  }
  if (!issues.empty()) {
    std::printf("%zu problem(s)\n", issues.size());
    return 1;
  }
  std::printf("ok: no problems%s\n",
              options.certificates.has_value()
                  ? ""
                  : " (certificate coverage not checked: give --cert-file "
                    "and --cert-id)");
  return 0;
}

int Airec(const Args& args) {
  const std::vector<std::string>& p = args.positional;
  if (p.size() >= 2 && p[1] == "mapping") return AirecMapping(args);
  if (p.size() >= 2 && p[1] == "check") return AirecCheck(args);
  return UsageError("airec: expected mapping or check");
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, &args, &error)) return UsageError(error);
  if (args.Has("help") || args.positional.empty()) {
    std::printf("%s", kUsage);
    return args.Has("help") ? 0 : 2;
  }
  if (args.positional[0] == "airec" &&
      (args.positional.size() < 2 || args.positional[1] != "bind")) {
    return Airec(args);  // local files, no server
  }
  std::string server = args.Get("server");
  if (server.empty()) {
    const char* env = std::getenv("CERTFERRY_SERVER");
    server = env != nullptr && *env != 0 ? env : "127.0.0.1:7443";
  }
  absl::Duration timeout = absl::Seconds(30);
  if (args.Has("timeout") &&
      !certferry::cli::ParseHumanDuration(args.Get("timeout"), &timeout)) {
    return UsageError("--timeout: expected a duration such as 30s");
  }
  Client client(server, timeout);
  const bool json = args.Has("json");
  const std::vector<std::string>& p = args.positional;
  if (p[0] == "health") return Health(client, json);
  if (p[0] == "issue") return Issue(args, client, json);
  if (p[0] == "ops" && p.size() >= 2) return Ops(args, client, json);
  if (p[0] == "ca" && p.size() >= 2) return Ca(args, client, json);
  if (p[0] == "targets" && p.size() >= 2) return Targets(args, client, json);
  if (p[0] == "deploy") return Deploy(args, client, json);
  if (p[0] == "rollback") return Rollback(args, client, json);
  if (p[0] == "airec") return AirecBind(args, client, json);
  if (p[0] == "diagnose") return Diagnose(args, client, json);
  if (p[0] == "deployments" && p.size() >= 2) {
    return Deployments(args, client, json);
  }
  if (p[0] == "webhooks" && p.size() >= 2) return Webhooks(args, client, json);
  if (p[0] == "audit" && p.size() == 2) {
    if (p[1] == "list") return AuditList(args, client, json);
    if (p[1] == "verify") return AuditVerify(client, json);
  }
  if (p[0] == "certs" && p.size() >= 2) {
    if (p[1] == "import") return Import(args, client, json);
    if (p[1] == "get") return Get(args, client, json);
    if (p[1] == "list") return List(args, client, json);
    if (p[1] == "revoke") return Revoke(args, client, json);
    if (p[1] == "expiring") return Expiring(args, client, json);
    if (p[1] == "renewal") return Renewal(args, client, json);
  }
  return UsageError(
      absl::StrCat("unknown command '", absl::StrJoin(p, " "), "'"));
}
