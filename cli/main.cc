// certferry: command-line client for certferryd.
//
//   certferry [--server HOST:PORT] [--json] certs import --name N --chain F
//   --key F
//       [--request-id ID] [--accept-expired]
//   certferry certs get ID [--version N]
//   certferry certs list [--domain D] [--expiring-within 30d] [--page-size N]
//   certferry health
//
// The server comes from --server, else CERTFERRY_SERVER, else 127.0.0.1:7443.

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "cli/duration.h"
#include "common/ids.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace {

namespace v1 = certferry::v1;

constexpr char kUsage[] =
    "usage: certferry [--server HOST:PORT] [--json] [--timeout 30s] COMMAND\n"
    "\n"
    "commands:\n"
    "  certs import --name N --chain FILE --key FILE [--request-id ID]\n"
    "               [--accept-expired]\n"
    "  certs get ID [--version N]\n"
    "  certs list [--domain D] [--expiring-within 30d] [--page-size N]\n"
    "  health\n"
    "\n"
    "The server is --server, else $CERTFERRY_SERVER, else 127.0.0.1:7443.\n";

// Flags are --name value or --name=value; a flag in `kBooleans` takes no
// value. Everything else is positional.
struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name,
                  const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
};

bool ParseArgs(int argc, char** argv, Args* out, std::string* error) {
  static const std::vector<std::string> kBooleans = {"json", "accept-expired",
                                                     "help"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      out->positional.push_back(arg);
      continue;
    }
    arg = arg.substr(2);
    if (auto eq = arg.find('='); eq != std::string::npos) {
      out->flags[arg.substr(0, eq)] = arg.substr(eq + 1);
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
}

class Client {
 public:
  Client(const std::string& server, absl::Duration timeout)
      : channel_(
            grpc::CreateChannel(server, grpc::InsecureChannelCredentials())),
        certs_(v1::CertificateService::NewStub(channel_)),
        timeout_(timeout) {}

  void Prepare(grpc::ClientContext* context) const {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(timeout_));
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CertificateService::Stub> certs_;
  absl::Duration timeout_;
};

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
  grpc::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::ClientContext context;
    client.Prepare(&context);
    status = client.certs_->ImportCertificate(&context, request, &response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
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
  } else {
    PrintCertificate(response);
  }
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
  do {
    v1::ListCertificatesResponse page;
    grpc::ClientContext context;
    client.Prepare(&context);
    grpc::Status status =
        client.certs_->ListCertificates(&context, request, &page);
    if (!status.ok()) return RpcError(status);
    all.mutable_certificates()->MergeFrom(page.certificates());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());

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

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string error;
  if (!ParseArgs(argc, argv, &args, &error)) return UsageError(error);
  if (args.Has("help") || args.positional.empty()) {
    std::printf("%s", kUsage);
    return args.Has("help") ? 0 : 2;
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
  if (p[0] == "certs" && p.size() >= 2) {
    if (p[1] == "import") return Import(args, client, json);
    if (p[1] == "get") return Get(args, client, json);
    if (p[1] == "list") return List(args, client, json);
  }
  return UsageError(
      absl::StrCat("unknown command '", absl::StrJoin(p, " "), "'"));
}
