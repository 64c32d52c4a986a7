#include "tests/support/pebble_server.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "cloud/http_client.h"
#include "gtest/gtest.h"
#include "tests/support/nginx_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"

namespace certferry::testing {
namespace {

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PebbleServer>> PebbleServer::Start(
    const PebbleOptions& options) {
  for (const char* binary : {kPebbleBinary, kChallTestSrvBinary}) {
    if (::access(binary, X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(binary,
                       " is missing; install Debian's pebble package "
                       "(./scripts/test installs CERTFERRY_PACKAGES)"));
    }
  }
  if (options.http_port <= 0) {
    return absl::InvalidArgumentError("http_port: give the solver's port");
  }
  std::unique_ptr<PebbleServer> server(new PebbleServer());
  std::string templ = absl::StrCat(::testing::TempDir(), "pebble-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  server->directory_ = templ;
  for (int* port : {&server->acme_port_, &server->management_port_,
                    &server->dns_port_, &server->challtestsrv_port_}) {
    absl::StatusOr<int> picked = PickFreePort();
    if (!picked.ok()) return picked.status();
    *port = *picked;
  }
  absl::StatusOr<int> tls_port = PickFreePort();  // tls-alpn-01, unused
  if (!tls_port.ok()) return tls_port.status();

  const TestChain chain = MakeChain({"127.0.0.1", "localhost"});
  server->ca_file_ = server->directory_ + "/ca.pem";
  const std::string cert_file = server->directory_ + "/cert.pem";
  const std::string key_file = server->directory_ + "/key.pem";
  const std::string config_file = server->directory_ + "/pebble-config.json";
  absl::Status written = WriteFile(server->ca_file_, chain.root.cert_pem);
  if (written.ok()) written = WriteFile(cert_file, chain.fullchain_pem());
  if (written.ok()) {
    written = WriteFile(key_file, chain.leaf.key.private_key_pem);
  }
  if (written.ok()) {
    written = WriteFile(
        config_file,
        absl::StrCat(
            R"({"pebble": {"listenAddress": "127.0.0.1:)", server->acme_port_,
            R"(", "managementListenAddress": "127.0.0.1:)",
            server->management_port_, R"(", "certificate": ")", cert_file,
            R"(", "privateKey": ")", key_file, R"(", "httpPort": )",
            options.http_port, R"(, "tlsPort": )", *tls_port,
            R"(, "ocspResponderURL": "",)",
            R"( "externalAccountBindingRequired": false}})"));
  }
  if (!written.ok()) return written;

  absl::StatusOr<Subprocess> challtestsrv = Subprocess::Start(
      {kChallTestSrvBinary, "-http01", "", "-https01", "", "-tlsalpn01", "",
       "-dns01", absl::StrCat("127.0.0.1:", server->dns_port_), "-management",
       absl::StrCat("127.0.0.1:", server->challtestsrv_port_), "-defaultIPv4",
       "127.0.0.1", "-defaultIPv6", ""});
  if (!challtestsrv.ok()) return challtestsrv.status();
  server->challtestsrv_.emplace(*std::move(challtestsrv));

  std::map<std::string, std::string> env = options.env;
  // No artificial validation delay: tests and benchmarks time certferry.
  env["PEBBLE_VA_NOSLEEP"] = "1";
  if (options.nonce_reject_percent) {
    env["PEBBLE_WFE_NONCEREJECT"] = absl::StrCat(*options.nonce_reject_percent);
  }
  absl::StatusOr<Subprocess> pebble =
      Subprocess::Start({kPebbleBinary, "-config", config_file, "-dnsserver",
                         absl::StrCat("127.0.0.1:", server->dns_port_)},
                        env);
  if (!pebble.ok()) return pebble.status();
  server->pebble_.emplace(*std::move(pebble));

  cloud::CurlHttpClientOptions http_options;
  http_options.ca_file = server->ca_file_;
  cloud::CurlHttpClient http(http_options);
  auto answers = [&http](const std::string& url) {
    cloud::HttpRequest request;
    request.url = url;
    absl::StatusOr<cloud::HttpResponse> response =
        http.Send(request, absl::Seconds(2));
    return response.ok() && response->status_code < 500;
  };
  if (!WaitFor([&] { return answers(server->directory_url()); },
               absl::Seconds(30)) ||
      !WaitFor([&] { return answers(server->challtestsrv_url()); },
               absl::Seconds(30))) {
    return absl::FailedPreconditionError(
        absl::StrCat("pebble or pebble-challtestsrv did not come up; output:\n",
                     server->Output()));
  }
  return server;
}

PebbleServer::~PebbleServer() {
  pebble_.reset();  // SIGKILL and reap
  challtestsrv_.reset();
  std::error_code ignored;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
}

std::string PebbleServer::directory_url() const {
  return absl::StrCat("https://127.0.0.1:", acme_port_, "/dir");
}

std::string PebbleServer::challtestsrv_url() const {
  return absl::StrCat("http://127.0.0.1:", challtestsrv_port_);
}

absl::StatusOr<std::string> PebbleServer::RootPem() const {
  cloud::CurlHttpClientOptions http_options;
  http_options.ca_file = ca_file_;
  cloud::CurlHttpClient http(http_options);
  cloud::HttpRequest request;
  request.url =
      absl::StrCat("https://127.0.0.1:", management_port_, "/roots/0");
  absl::StatusOr<cloud::HttpResponse> response =
      http.Send(request, absl::Seconds(10));
  if (!response.ok()) return response.status();
  if (response->status_code != 200) {
    return absl::UnavailableError(
        absl::StrCat(request.url, ": HTTP ", response->status_code));
  }
  return response->body;
}

std::string PebbleServer::Output() const {
  std::string output;
  if (challtestsrv_) {
    absl::StrAppend(&output, "--- pebble-challtestsrv\n",
                    challtestsrv_->Output());
  }
  if (pebble_) absl::StrAppend(&output, "--- pebble\n", pebble_->Output());
  return output;
}

}  // namespace certferry::testing
