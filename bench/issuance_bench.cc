// End-to-end issuance throughput: --threads callers send --certs
// IssueCertificate RPCs (ECDSA P-256, one name each), or BatchIssueCertificates
// RPCs of --batch each, to a running certferryd, and the clock stops when the
// last issuance job has committed its certificates, as the database reports
// it. Every step a real caller
// pays is inside the measurement: RPC, validation, durable enqueue, claim,
// key generation, signing, key encryption, durable store, completion.
// bench/run_issuance_bench prints it next to pgbench -N on the same
// database.
//
//   issuance_bench --server 127.0.0.1:7443 --dsn 'host=...' --certs 20000
//                  --threads 16

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "storage/database.h"
#include "storage/job_repository.h"

ABSL_FLAG(std::string, server, "127.0.0.1:7443", "certferryd address");
ABSL_FLAG(std::string, dsn, "", "the daemon's PostgreSQL, to see completions");
ABSL_FLAG(int, certs, 20000, "certificates to issue");
ABSL_FLAG(int, threads, 16, "concurrent callers, one connection each");
ABSL_FLAG(int, batch, 1,
          "certificates per call: 1 uses IssueCertificate, more "
          "BatchIssueCertificates");
ABSL_FLAG(int, timeout_seconds, 600, "give up after this long");

namespace {

namespace v1 = certferry::v1;
using certferry::model::JobState;

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * (values.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int certs = absl::GetFlag(FLAGS_certs);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));

  certferry::storage::DatabaseConfig db_config;
  db_config.url = certferry::SecretString(absl::GetFlag(FLAGS_dsn));
  db_config.pool_size = 1;
  auto db = certferry::storage::Database::Connect(db_config);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str());
    return 1;
  }
  const std::string kind =
      batch == 1 ? "issue_certificate" : "issue_certificates";
  auto count = [&](JobState state) -> int64_t {
    auto counts = (*db)->RunAutocommit<std::map<JobState, int64_t>>(
        "count", [&](certferry::storage::Transaction& tx) {
          return certferry::storage::JobRepository::CountByState(tx, kind);
        });
    if (!counts.ok()) return -1;
    auto it = counts->find(state);
    return it == counts->end() ? 0 : it->second;
  };
  // Earlier runs against the same database are counted out.
  const int64_t succeeded_before = count(JobState::kSucceeded);
  const int64_t failed_before = count(JobState::kFailed);
  auto count_versions = [&]() -> int64_t {
    auto n = (*db)->RunAutocommit<int64_t>(
        "count_versions", [](certferry::storage::Transaction& tx) {
          return tx.pqxx()
              .exec1("SELECT count(*) FROM certificate_versions")[0]
              .as<int64_t>();
        });
    return n.ok() ? *n : -1;
  };
  const int64_t versions_before = count_versions();
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  std::printf(
      "certferryd %s: %d ECDSA P-256 certificates, %d callers, %d per call\n",
      absl::GetFlag(FLAGS_server).c_str(), certs, threads, batch);
  std::mutex mu;
  std::vector<double> rpc_ms;
  std::atomic<int> next{0};
  std::atomic<int> rpc_errors{0};
  std::atomic<int> failed_calls{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("certferry.bench.channel", t);  // one connection each
      auto stub = v1::CertificateService::NewStub(
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                    grpc::InsecureChannelCredentials(), args));
      std::vector<double> mine;
      auto fill = [&](int i, v1::IssueCertificateRequest* request) {
        request->set_name(absl::StrCat("bench-", run, "-", i));
        request->add_domains(absl::StrCat("svc", i, ".r", run, ".example.com"));
      };
      for (int first = next.fetch_add(batch); first < certs;
           first = next.fetch_add(batch)) {
        const int count = std::min(batch, certs - first);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
        grpc::Status status;
        const absl::Time before = absl::Now();
        if (batch == 1) {
          v1::IssueCertificateRequest request;
          fill(first, &request);
          request.set_request_id(absl::StrCat("bench-", run, "-", first));
          v1::Operation operation;
          status = stub->IssueCertificate(&context, request, &operation);
        } else {
          v1::BatchIssueCertificatesRequest request;
          for (int i = first; i < first + count; ++i) {
            fill(i, request.add_requests());
          }
          request.set_request_id(absl::StrCat("bench-", run, "-", first));
          v1::BatchIssueCertificatesResponse response;
          status = stub->BatchIssueCertificates(&context, request, &response);
        }
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - before));
        if (!status.ok()) {
          failed_calls.fetch_add(1);
          if (rpc_errors.fetch_add(count) == 0) {
            std::fprintf(stderr, "issue call: %s\n",
                         status.error_message().c_str());
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      rpc_ms.insert(rpc_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& c : callers) c.join();
  const absl::Duration submit = absl::Now() - start;
  const int calls = (certs + batch - 1) / batch;
  const int accepted_jobs = calls - failed_calls.load();

  // Polls the database until every accepted call's job has ended. Counting
  // scans the jobs table, so it polls rarely (frequent polls would take CPU
  // from what is measured); the end is the last job's own finish time.
  const absl::Time deadline =
      start + absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds));
  int64_t succeeded = 0, failed = 0;
  while (true) {
    succeeded = count(JobState::kSucceeded) - succeeded_before;
    failed = count(JobState::kFailed) - failed_before;
    if (succeeded + failed >= accepted_jobs || absl::Now() > deadline) break;
    absl::SleepFor(absl::Seconds(1));
  }
  const int64_t issued = count_versions() - versions_before;
  auto last_finish = (*db)->RunAutocommit<int64_t>(
      "last_finish", [&](certferry::storage::Transaction& tx) {
        return tx.pqxx()
            .exec_params1(
                "SELECT (extract(epoch FROM max(finished_at)) * 1e6)::bigint "
                "FROM jobs WHERE kind = $1",
                kind)[0]
            .as<int64_t>();
      });
  if (!last_finish.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(last_finish.status().message()).c_str());
    return 1;
  }
  const absl::Duration total =
      std::max(absl::FromUnixMicros(*last_finish), start) - start;

  std::printf(
      "submitted %d certificates in %zu calls in %.2fs (%.0f/s), call "
      "p50=%.2fms p99=%.2fms, %d rejected\n",
      certs, rpc_ms.size(), absl::ToDoubleSeconds(submit),
      certs / absl::ToDoubleSeconds(submit), Percentile(rpc_ms, 0.5),
      Percentile(rpc_ms, 0.99), rpc_errors.load());
  std::printf(
      "issued %lld certificates in %.2fs: %.0f certificates/s "
      "(%lld of %lld jobs failed)\n",
      static_cast<long long>(issued), absl::ToDoubleSeconds(total),
      issued / absl::ToDoubleSeconds(total), static_cast<long long>(failed),
      static_cast<long long>(succeeded + failed));
  return issued == certs ? 0 : 1;
}
