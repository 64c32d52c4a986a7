// Load generator for the certificate inventory RPCs. Imports --certs
// certificates (closed loop, --threads callers), then calls GetCertificate
// and ListCertificates for --seconds each, and prints throughput and
// latency percentiles. bench/run_inventory_bench compares the Get figure
// with pgbench running the same SQL on the same database.
//
//   inventory_bench --server 127.0.0.1:7443 --threads 4 --certs 300
//                   --seconds 10 --ids_out ids.txt

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "tests/support/test_pki.h"

ABSL_FLAG(std::string, server, "127.0.0.1:7443", "certferryd address");
ABSL_FLAG(int, threads, 4, "concurrent callers");
ABSL_FLAG(int, certs, 300, "certificates to import first");
ABSL_FLAG(int, seconds, 10, "duration of each read phase");
ABSL_FLAG(std::string, ids_out, "", "write the imported ids here, one a line");

namespace {

namespace v1 = certferry::v1;

struct PhaseResult {
  std::string name;
  int64_t calls = 0;
  int64_t errors = 0;
  absl::Duration elapsed;
  std::vector<double> latencies_ms;
};

void Print(PhaseResult& r) {
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  auto pct = [&](double p) {
    if (r.latencies_ms.empty()) return 0.0;
    size_t i = static_cast<size_t>(p * (r.latencies_ms.size() - 1));
    return r.latencies_ms[i];
  };
  std::printf(
      "%-8s calls=%-7lld errors=%-4lld rate=%8.1f/s  p50=%.2fms "
      "p90=%.2fms p99=%.2fms\n",
      r.name.c_str(), static_cast<long long>(r.calls),
      static_cast<long long>(r.errors),
      r.calls / absl::ToDoubleSeconds(r.elapsed), pct(0.5), pct(0.9),
      pct(0.99));
}

// Runs `call` from `threads` threads, each on its own channel, until `stop`
// says so; `call(stub, i)` returns whether the call succeeded.
template <typename Call, typename Stop>
PhaseResult RunPhase(const std::string& name, int threads, Call call,
                     Stop stop) {
  PhaseResult result;
  result.name = name;
  std::mutex mu;
  std::atomic<int64_t> sequence{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("certferry.bench.channel", t);  // one connection per thread
      auto stub = v1::CertificateService::NewStub(
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                    grpc::InsecureChannelCredentials(), args));
      std::vector<double> latencies;
      int64_t errors = 0;
      for (int64_t i = sequence++; !stop(i); i = sequence++) {
        const absl::Time before = absl::Now();
        if (!call(*stub, i)) ++errors;
        latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - before));
      }
      std::lock_guard<std::mutex> lock(mu);
      result.calls += static_cast<int64_t>(latencies.size());
      result.errors += errors;
      result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(),
                                 latencies.end());
    });
  }
  for (auto& w : workers) w.join();
  result.elapsed = absl::Now() - start;
  return result;
}

void Deadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int certs = absl::GetFlag(FLAGS_certs);
  const absl::Duration phase = absl::Seconds(absl::GetFlag(FLAGS_seconds));

  // Chains are generated before timing starts.
  std::vector<v1::ImportCertificateRequest> requests(certs);
  for (int i = 0; i < certs; ++i) {
    certferry::testing::TestChain chain = certferry::testing::MakeChain(
        {absl::StrCat("svc", i, ".bench.example.com")});
    requests[i].set_name(absl::StrCat("bench-", i));
    requests[i].set_chain_pem(chain.fullchain_pem());
    requests[i].set_private_key_pem(chain.leaf.key.private_key_pem);
    requests[i].set_request_id(
        absl::StrCat("bench-import-", i, "-", absl::ToUnixNanos(absl::Now())));
  }
  std::vector<std::string> ids(certs);
  std::printf(
      "certferryd %s, %d threads, %d certificates, %lds per read "
      "phase\n",
      absl::GetFlag(FLAGS_server).c_str(), threads, certs,
      static_cast<long>(absl::ToInt64Seconds(phase)));

  PhaseResult import = RunPhase(
      "import", threads,
      [&](v1::CertificateService::Stub& stub, int64_t i) {
        grpc::ClientContext context;
        Deadline(&context);
        v1::Certificate response;
        grpc::Status status =
            stub.ImportCertificate(&context, requests[i], &response);
        if (status.ok()) ids[i] = response.id();
        return status.ok();
      },
      [&](int64_t i) { return i >= certs; });
  Print(import);
  if (import.errors > 0) return 1;

  const absl::Time get_end = absl::Now() + phase;
  PhaseResult get = RunPhase(
      "get", threads,
      [&](v1::CertificateService::Stub& stub, int64_t i) {
        thread_local absl::BitGen gen;
        v1::GetCertificateRequest request;
        request.set_id(ids[absl::Uniform<size_t>(gen, 0, ids.size())]);
        grpc::ClientContext context;
        Deadline(&context);
        v1::Certificate response;
        return stub.GetCertificate(&context, request, &response).ok();
      },
      [&](int64_t) { return absl::Now() >= get_end; });
  Print(get);

  const absl::Time list_end = absl::Now() + phase;
  PhaseResult list = RunPhase(
      "list50", threads,
      [&](v1::CertificateService::Stub& stub, int64_t) {
        v1::ListCertificatesRequest request;
        request.set_page_size(50);
        grpc::ClientContext context;
        Deadline(&context);
        v1::ListCertificatesResponse response;
        return stub.ListCertificates(&context, request, &response).ok();
      },
      [&](int64_t) { return absl::Now() >= list_end; });
  Print(list);

  if (!absl::GetFlag(FLAGS_ids_out).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_ids_out));
    for (const auto& id : ids) out << id << "\n";
  }
  return get.errors + list.errors > 0 ? 1 : 0;
}
