#include "issuers/acme/http01_solver.h"

#include <httplib.h>
#include <sys/socket.h>

#include <map>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace certferry::issuers::acme {
namespace {

constexpr char kChallengePath[] =
    R"(/\.well-known/acme-challenge/([A-Za-z0-9_-]+))";

bool IsBase64Url(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

class Http01Solver::Server {
 public:
  absl::Status Start(const Http01SolverConfig& config) {
    server_.Get(kChallengePath, [this](const httplib::Request& request,
                                       httplib::Response& response) {
      const std::string token = request.matches[1];
      std::optional<std::string> answer = Lookup(token);
      if (!answer) {
        LogInfo(absl::StrCat("acme http-01: no challenge for token ", token,
                             " (asked by ", request.remote_addr, ")"));
        response.status = 404;
        return;
      }
      response.set_content(*answer, "text/plain");
    });
    // httplib's default is SO_REUSEPORT, which lets a second listener (a
    // stale certferry) share the port and take half the CA's requests;
    // SO_REUSEADDR only allows a quick restart.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    // The solver answers a handful of validation requests; keep-alive
    // connections would only delay shutdown.
    server_.set_keep_alive_max_count(1);
    server_.set_keep_alive_timeout(1);
    if (config.port == 0) {
      port_ = server_.bind_to_any_port(config.address);
    } else if (server_.bind_to_port(config.address, config.port)) {
      port_ = config.port;
    }
    if (port_ <= 0) {
      return absl::UnavailableError(
          absl::StrCat("http-01 listener: cannot bind ", config.address, ":",
                       config.port, "; is the port taken or privileged?"));
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so the destructor could
    // otherwise wait forever; the socket already queues connections.
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!server_.is_running() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (!server_.is_running()) {
      return absl::InternalError("http-01 listener: accept loop did not start");
    }
    return absl::OkStatus();
  }

  ~Server() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  void Add(const std::string& token, const std::string& key_authorization) {
    absl::MutexLock lock(&mu_);
    answers_[token] = key_authorization;
  }

  void Remove(const std::string& token) {
    absl::MutexLock lock(&mu_);
    answers_.erase(token);
  }

 private:
  std::optional<std::string> Lookup(const std::string& token) {
    absl::MutexLock lock(&mu_);
    auto it = answers_.find(token);
    if (it == answers_.end()) return std::nullopt;
    return it->second;
  }

  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, std::string> answers_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Http01Solver>> Http01Solver::Start(
    const Http01SolverConfig& config) {
  if (config.port < 0 || config.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http-01 listener port: ", config.port, " is not a TCP port"));
  }
  auto server = std::make_unique<Server>();
  if (absl::Status started = server->Start(config); !started.ok()) {
    return started;
  }
  return std::unique_ptr<Http01Solver>(new Http01Solver(std::move(server)));
}

Http01Solver::Http01Solver(std::unique_ptr<Server> server)
    : server_(std::move(server)) {}

Http01Solver::~Http01Solver() = default;

int Http01Solver::port() const { return server_->port(); }

absl::Status Http01Solver::Present(const AcmeChallenge& challenge) {
  if (!IsBase64Url(challenge.token)) {
    return absl::InvalidArgumentError(
        "http-01: the CA's token is not base64url; refusing to serve it");
  }
  server_->Add(challenge.token, challenge.key_authorization);
  return absl::OkStatus();
}

absl::Status Http01Solver::CleanUp(const AcmeChallenge& challenge) {
  server_->Remove(challenge.token);
  return absl::OkStatus();
}

}  // namespace certferry::issuers::acme
