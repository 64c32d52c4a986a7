#include "tests/support/nginx_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/wait_for.h"

namespace certferry::testing {
namespace {

bool CanConnect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address),
                            sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return absl::InternalError("binding 127.0.0.1:0: " + error);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Create(
    std::string cert_directory, std::string chain_file, std::string key_file) {
  NginxOptions options;
  options.chain_file = std::move(chain_file);
  options.key_file = std::move(key_file);
  return Create(std::move(cert_directory), std::move(options));
}

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Create(
    std::string cert_directory, NginxOptions options) {
  if (::access(kNginxBinary, X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(kNginxBinary,
                     " is missing; install Debian's nginx package "
                     "(./scripts/test installs CERTFERRY_PACKAGES)"));
  }
  std::unique_ptr<NginxServer> server(new NginxServer());
  server->cert_directory_ = std::move(cert_directory);
  server->options_ = std::move(options);
  std::string templ = absl::StrCat(::testing::TempDir(), "nginx-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  server->prefix_ = templ;
  server->config_path_ = server->prefix_ + "/nginx.conf";
  server->error_log_path_ = server->prefix_ + "/error.log";
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  if (absl::Status written = server->WriteConfig(); !written.ok()) {
    return written;
  }
  return server;
}

NginxServer::~NginxServer() {
  if (process_) {
    process_->Signal(SIGTERM);  // fast shutdown: master stops its workers
    process_->Wait(absl::Seconds(10));
    process_.reset();  // SIGKILL if still running
  }
  std::error_code ignored;
  std::filesystem::remove_all(prefix_, ignored);
}

absl::Status NginxServer::WriteConfig() {
  std::ofstream out(config_path_, std::ios::trunc);
  const std::string& p = prefix_;
  // Workers of a root master would run as `nobody`; keep them root so they
  // can use the private prefix. Without root the directive only warns.
  if (::geteuid() == 0) out << "user root;\n";
  out << "daemon off;\n"
      << "master_process on;\n"
      << "worker_processes 1;\n"
      << "pid " << p << "/nginx.pid;\n"
      << "error_log " << error_log_path_ << " info;\n"
      << "events { worker_connections 64; }\n"
      << "http {\n"
      << "  access_log off;\n"
      << "  client_body_temp_path " << p << "/client_body;\n"
      << "  proxy_temp_path " << p << "/proxy;\n"
      << "  fastcgi_temp_path " << p << "/fastcgi;\n"
      << "  uwsgi_temp_path " << p << "/uwsgi;\n"
      << "  scgi_temp_path " << p << "/scgi;\n"
      << "  server {\n"
      << "    listen 127.0.0.1:" << port_ << (options_.tls ? " ssl" : "")
      << ";\n"
      << "    server_name localhost;\n";
  if (options_.tls) {
    out << "    ssl_certificate " << cert_directory_ << "/"
        << options_.chain_file << ";\n"
        << "    ssl_certificate_key " << cert_directory_ << "/"
        << options_.key_file << ";\n";
  }
  out << options_.server_directives << "\n"
      << "    location / { return 200 \"certferry test\\n\"; }\n"
      << "  }\n"
      << "}\n";
  out.close();
  if (!out) return absl::InternalError("cannot write " + config_path_);
  return absl::OkStatus();
}

std::vector<std::string> NginxServer::BaseArgs() const {
  return {kNginxBinary, "-p", prefix_ + "/",  "-c",
          config_path_, "-e", error_log_path_};
}

std::vector<std::string> NginxServer::CheckCommand() const {
  std::vector<std::string> argv = BaseArgs();
  argv.insert(argv.end(), {"-t", "-q"});
  return argv;
}

std::vector<std::string> NginxServer::ReloadCommand() const {
  std::vector<std::string> argv = BaseArgs();
  argv.insert(argv.end(), {"-s", "reload"});
  return argv;
}

std::string NginxServer::ErrorLog() const {
  std::ifstream in(error_log_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool NginxServer::Running() {
  if (!process_) return false;
  return ::kill(process_->pid(), 0) == 0 &&
         !process_->Wait(absl::ZeroDuration()).has_value();
}

absl::Status NginxServer::Start() {
  if (process_) return absl::FailedPreconditionError("nginx already started");
  // The port was only free when picked; on a collision pick another.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto process = Subprocess::Start(BaseArgs());
    if (!process.ok()) return process.status();
    process_.emplace(*std::move(process));
    bool exited = false;
    const bool listening = WaitFor([&] {
      if (CanConnect(port_)) return true;
      exited = process_->Wait(absl::ZeroDuration()).has_value();
      return exited;
    });
    if (listening && !exited) return absl::OkStatus();
    const std::string output = process_->Output() + ErrorLog();
    process_.reset();
    if (!absl::StrContains(output, "Address already in use")) {
      return absl::FailedPreconditionError(
          absl::StrCat("nginx did not start on port ", port_, ":\n", output));
    }
    auto port = PickFreePort();
    if (!port.ok()) return port.status();
    port_ = *port;
    if (absl::Status written = WriteConfig(); !written.ok()) return written;
  }
  return absl::UnavailableError("nginx: no free port after 3 attempts");
}

}  // namespace certferry::testing
