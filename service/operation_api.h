#pragma once

// The OperationService RPCs as plain C++ over the jobs table. Each job kind
// registers how its result becomes the operation's response. Thread-safe
// once responses are registered.

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certferry/v1/operations.pb.h"
#include "google/protobuf/any.pb.h"
#include "model/job.h"
#include "service/call_info.h"
#include "storage/database.h"

namespace certferry::service {

struct OperationApiConfig {
  absl::Duration default_wait = absl::Seconds(30);
  absl::Duration max_wait = absl::Minutes(5);
  int default_page_size = 50;
  int max_page_size = 1000;
};

class OperationApi {
 public:
  // Builds the response of a succeeded job of one kind.
  using ResponseBuilder =
      std::function<absl::StatusOr<google::protobuf::Any>(const model::Job&)>;

  OperationApi(storage::Database& db, OperationApiConfig config = {});

  // Call before serving.
  void RegisterResponse(const std::string& kind, ResponseBuilder builder);

  absl::StatusOr<v1::Operation> GetOperation(
      const v1::GetOperationRequest& request);
  absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const v1::ListOperationsRequest& request);
  // Records an audit event for `call`'s actor: in the cancelling
  // transaction, or (refused) on its own.
  absl::StatusOr<v1::Operation> CancelOperation(
      const v1::CancelOperationRequest& request, const CallInfo& call = {});
  // Never blocks past `call_deadline` (the RPC's deadline).
  absl::StatusOr<v1::Operation> WaitOperation(
      const v1::WaitOperationRequest& request, absl::Time call_deadline);

  // The Operation view of a job.
  absl::StatusOr<v1::Operation> ToOperation(const model::Job& job);

  static std::string OperationName(int64_t job_id);

 private:
  absl::StatusOr<model::Job> LoadJob(const std::string& name);
  absl::StatusOr<v1::Operation> CancelOrRefuse(
      const v1::CancelOperationRequest& request, const CallInfo& call);

  storage::Database& db_;
  OperationApiConfig config_;
  std::map<std::string, ResponseBuilder> builders_;
};

}  // namespace certferry::service
