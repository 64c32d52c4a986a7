#pragma once

// An Alibaba Cloud emulator for end-to-end tests: speaks CAS 2020-04-07
// (RPC style, signature V1 or V3) and a certificate-binding API for AIRec
// instances (ROA style, signature V3) over plain HTTP on 127.0.0.1, and
// terminates real TLS for every emulated resource and AIRec instance on its
// own loopback port, serving whatever certificate is deployed there.
// See shared/ALIBABA_API.md for the protocol.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "emulator/emulator_config.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace certferry::emulator {

// One TLS listener, as printed on startup.
struct TlsEndpointInfo {
  std::string kind;     // "resource" or "airec"
  std::string id;       // resource id or AIRec instanceId
  std::string product;  // CAS product; "AIRec" for instances
  std::string domain;
  int port = 0;
};

// Reads the domains a certificate_info.xlsx mapping binds. The default reads
// the workbook with mapping::ReadCertificateInfoXlsx and takes the Domain
// column as written (no row checks: like the platform, a bad row fails the
// binding later, silently); tests may replace it.
using MappingDomainsReader =
    std::function<absl::StatusOr<std::vector<std::string>>(
        const std::string& xlsx_bytes)>;

// Threading: Start spawns the HTTP server's threads, a progress thread that
// moves deployment workers, AIRec bindings and certificate orders along
// (issuing ordered certificates from a CA made by Start), and one thread per
// TLS endpoint. All state is guarded by one mutex; every public method is
// thread-safe. Stop (or the destructor) joins everything.
class CloudEmulator {
 public:
  explicit CloudEmulator(EmulatorConfig config);
  ~CloudEmulator();
  CloudEmulator(const CloudEmulator&) = delete;
  CloudEmulator& operator=(const CloudEmulator&) = delete;

  // Call before Start.
  void SetMappingDomainsReader(MappingDomainsReader reader);

  // Makes the issuing CA, binds the API on host:port (port 0 picks a free
  // one) and starts every TLS endpoint. INVALID_ARGUMENT for a non-loopback
  // host; UNAVAILABLE when the port cannot be bound; INTERNAL when the CA or
  // a TLS endpoint fails.
  absl::Status Start(const std::string& host, int port);
  void Stop();

  int api_port() const { return api_port_; }
  std::vector<TlsEndpointInfo> Endpoints() const;
  // The TLS port of a resource / AIRec instance, or 0 when unknown.
  int ResourceTlsPort(int64_t resource_id) const;
  int AirecTlsPort(const std::string& instance_id) const;

  // Implementation detail; public only so helpers in the .cc can name it.
  struct State;

 private:
  void HandleRpc(const httplib::Request& req, httplib::Response& res);
  void HandleAirec(const httplib::Request& req, httplib::Response& res,
                   const std::string& body, const std::string& instance_id,
                   const std::string& operation);
  void ProgressLoop();

  EmulatorConfig config_;
  MappingDomainsReader mapping_reader_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<State> state_;
  std::thread server_thread_;
  std::thread progress_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  int api_port_ = 0;
};

}  // namespace certferry::emulator
