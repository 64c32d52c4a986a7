#pragma once

// http-01 (RFC 8555 §8.3): certferry itself serves
// /.well-known/acme-challenge/<token> on a configurable listener.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "issuers/acme/challenge_solver.h"

namespace certferry::issuers::acme {

struct Http01SolverConfig {
  // The CA connects to port 80 of every name being validated, so in
  // production this listener is port 80 or what port 80 is forwarded to.
  std::string address = "0.0.0.0";
  int port = 80;  // 0: a free port (see port())
};

// Serves the key authorizations of presented challenges from a thread-safe
// token map; everything else is 404. The listener runs on its own threads
// from Start until destruction.
class Http01Solver final : public ChallengeSolver {
 public:
  // Binds address:port and starts serving. INVALID_ARGUMENT for a port out
  // of range; UNAVAILABLE, naming the address, when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<Http01Solver>> Start(
      const Http01SolverConfig& config);
  // Stops listening and waits for the listener's threads.
  ~Http01Solver() override;
  Http01Solver(const Http01Solver&) = delete;
  Http01Solver& operator=(const Http01Solver&) = delete;

  // The bound port (the chosen one when configured with 0).
  int port() const;

  // ChallengeSolver
  std::string type() const override { return "http-01"; }
  // INVALID_ARGUMENT for a token that is not base64url (it becomes a path).
  absl::Status Present(const AcmeChallenge& challenge) override;
  absl::Status CleanUp(const AcmeChallenge& challenge) override;

 private:
  class Server;
  explicit Http01Solver(std::unique_ptr<Server> server);

  std::unique_ptr<Server> server_;
};

}  // namespace certferry::issuers::acme
