// A full live diagnosis of a loopback HTTPS endpoint (Debian's nginx, a
// correct configuration) timed against one `openssl s_client` handshake to
// the same endpoint in the same run, and against one in-process handshake.
// Target (issue 6): a full diagnosis in under 1 s and under 20x a single
// s_client handshake.
//
//   build/bench/diagnose_bench --iterations 20

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "diagnose/diagnose.h"
#include "targets/endpoint_probe.h"
#include "tests/support/nginx_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"

ABSL_FLAG(int, iterations, 20, "diagnoses (and handshakes) to time");

namespace {

using certferry::testing::MakeChain;
using certferry::testing::NginxOptions;
using certferry::testing::NginxServer;
using certferry::testing::RunProgram;
using certferry::testing::TestChain;

struct Stats {
  double median_ms = 0, p90_ms = 0, max_ms = 0;
};

Stats Summarise(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  Stats s;
  s.median_ms = ms(samples[samples.size() / 2]);
  s.p90_ms = ms(samples[std::min(samples.size() - 1, samples.size() * 9 / 10)]);
  s.max_ms = ms(samples.back());
  return s;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "diagnose_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int iterations = std::max(1, absl::GetFlag(FLAGS_iterations));

  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("certferry-diagnose-bench-", getpid()))
                              .string();
  std::filesystem::create_directories(dir);
  const TestChain chain = MakeChain({"shop.example.com"});
  std::ofstream(dir + "/fullchain.pem") << chain.fullchain_pem();
  std::ofstream(dir + "/privkey.pem") << chain.leaf.key.private_key_pem;
  std::filesystem::permissions(dir + "/privkey.pem",
                               std::filesystem::perms(0600));
  // A correct production-style configuration: what a healthy endpoint
  // costs to diagnose (every probe runs to completion).
  NginxOptions options;
  options.server_directives =
      "ssl_protocols TLSv1.2 TLSv1.3;\n"
      "add_header Strict-Transport-Security \"max-age=31536000\" always;\n";
  auto nginx = NginxServer::Create(dir, options);
  if (!nginx.ok()) return Fail(std::string(nginx.status().message()));
  if (absl::Status s = (*nginx)->Start(); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const int port = (*nginx)->port();

  certferry::diagnose::EndpointDiagnosisRequest request;
  request.endpoint.host = "127.0.0.1";
  request.endpoint.port = port;
  request.endpoint.sni = "shop.example.com";
  request.endpoint.timeout = absl::Seconds(10);
  request.extra_trust_pem = chain.root.cert_pem;

  // Warm-up: the first call loads the system trust store once per process.
  if (auto warm = certferry::diagnose::DiagnoseEndpoint(request); !warm.ok()) {
    return Fail(std::string(warm.status().message()));
  }
  std::vector<absl::Duration> diagnoses, s_clients, handshakes;
  size_t findings = 0;
  std::string worst;
  for (int i = 0; i < iterations; ++i) {
    const absl::Time start = absl::Now();
    auto report = certferry::diagnose::DiagnoseEndpoint(request);
    diagnoses.push_back(absl::Now() - start);
    if (!report.ok()) return Fail(std::string(report.status().message()));
    findings = report->findings.size();
    worst = std::string(certferry::diagnose::SeverityName(report->worst));
  }
  for (int i = 0; i < iterations; ++i) {
    const absl::Time start = absl::Now();
    auto run = RunProgram({"/usr/bin/openssl", "s_client", "-connect",
                           absl::StrCat("127.0.0.1:", port), "-servername",
                           "shop.example.com"});
    s_clients.push_back(absl::Now() - start);
    if (!run.ok() || run->exit_code != 0) {
      return Fail("openssl s_client failed");
    }
  }
  for (int i = 0; i < iterations; ++i) {
    const absl::Time start = absl::Now();
    auto served = certferry::targets::FetchServedCertificate(
        {"127.0.0.1", port, "shop.example.com"}, absl::Seconds(5));
    handshakes.push_back(absl::Now() - start);
    if (!served.ok()) return Fail(std::string(served.status().message()));
  }
  std::filesystem::remove_all(dir);

  const Stats d = Summarise(diagnoses);
  const Stats s = Summarise(s_clients);
  const Stats h = Summarise(handshakes);
  std::printf(
      "diagnose 127.0.0.1:%d (nginx, TLS 1.2+1.3, HSTS): %d runs, median "
      "%.1f ms, p90 %.1f ms, max %.1f ms; %zu findings, worst %s\n",
      port, iterations, d.median_ms, d.p90_ms, d.max_ms, findings,
      worst.c_str());
  std::printf(
      "openssl s_client, one handshake per process: median %.1f ms, p90 "
      "%.1f ms\n",
      s.median_ms, s.p90_ms);
  std::printf("in-process handshake (FetchServedCertificate): median %.2f ms\n",
              h.median_ms);
  std::printf(
      "== full diagnose median = %.2fx one s_client handshake (target < "
      "20x), %.1f ms (target < 1000 ms); p90 %.2fx; = %.1fx one in-process "
      "handshake\n",
      d.median_ms / s.median_ms, d.median_ms, d.p90_ms / s.median_ms,
      d.median_ms / h.median_ms);
  const bool met = d.p90_ms < 1000 && d.median_ms < 20 * s.median_ms;
  std::printf("== target %s\n", met ? "met" : "NOT met");
  return met ? 0 : 1;
}
