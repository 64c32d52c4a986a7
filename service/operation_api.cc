#include "service/operation_api.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "storage/audit_repository.h"
#include "storage/job_repository.h"

namespace certferry::service {
namespace {

constexpr absl::string_view kPrefix = "operations/";
constexpr char kCancelMethod[] = "CancelOperation";

v1::OperationState StateToProto(model::JobState state) {
  switch (state) {
    case model::JobState::kQueued:
      return v1::OPERATION_STATE_QUEUED;
    case model::JobState::kRunning:
      return v1::OPERATION_STATE_RUNNING;
    case model::JobState::kSucceeded:
      return v1::OPERATION_STATE_SUCCEEDED;
    case model::JobState::kFailed:
      return v1::OPERATION_STATE_FAILED;
    case model::JobState::kCancelled:
      return v1::OPERATION_STATE_CANCELLED;
  }
  return v1::OPERATION_STATE_UNSPECIFIED;
}

std::optional<model::JobState> StateFromProto(v1::OperationState state) {
  switch (state) {
    case v1::OPERATION_STATE_QUEUED:
      return model::JobState::kQueued;
    case v1::OPERATION_STATE_RUNNING:
      return model::JobState::kRunning;
    case v1::OPERATION_STATE_SUCCEEDED:
      return model::JobState::kSucceeded;
    case v1::OPERATION_STATE_FAILED:
      return model::JobState::kFailed;
    case v1::OPERATION_STATE_CANCELLED:
      return model::JobState::kCancelled;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<int64_t> ParseName(const std::string& name) {
  int64_t id = 0;
  if (!absl::StartsWith(name, kPrefix) ||
      !absl::SimpleAtoi(name.substr(kPrefix.size()), &id) || id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: '", name,
        "' is not an operation name; use the name an RPC returned, like "
        "operations/42"));
  }
  return id;
}

}  // namespace

OperationApi::OperationApi(storage::Database& db, OperationApiConfig config)
    : db_(db), config_(config) {}

void OperationApi::RegisterResponse(const std::string& kind,
                                    ResponseBuilder builder) {
  builders_[kind] = std::move(builder);
}

std::string OperationApi::OperationName(int64_t job_id) {
  return absl::StrCat(kPrefix, job_id);
}

absl::StatusOr<v1::Operation> OperationApi::ToOperation(const model::Job& job) {
  v1::Operation op;
  op.set_name(OperationName(job.id));
  v1::OperationMetadata* m = op.mutable_metadata();
  m->set_kind(job.kind);
  m->set_state(StateToProto(job.state));
  m->set_attempts(job.attempts);
  m->set_max_attempts(job.max_attempts);
  m->set_progress(job.progress);
  m->set_cancel_requested(job.cancel_requested);
  if (!job.last_error.empty()) {
    m->mutable_last_error()->set_code(job.last_error_code);
    m->mutable_last_error()->set_message(job.last_error);
  }
  ToProto(job.create_time, m->mutable_create_time());
  ToProto(job.update_time, m->mutable_update_time());
  if (job.start_time) ToProto(*job.start_time, m->mutable_start_time());
  if (job.finish_time) ToProto(*job.finish_time, m->mutable_end_time());
  if (job.state == model::JobState::kQueued) {
    ToProto(job.run_at, m->mutable_next_attempt_time());
  }
  op.set_done(model::IsTerminal(job.state));
  switch (job.state) {
    case model::JobState::kSucceeded: {
      auto it = builders_.find(job.kind);
      if (it == builders_.end()) break;
      absl::StatusOr<google::protobuf::Any> response = it->second(job);
      if (response.ok()) {
        *op.mutable_response() = *std::move(response);
      } else {
        // The result is gone (e.g. its certificate removed): say so.
        op.mutable_error()->set_code(
            static_cast<int>(response.status().code()));
        op.mutable_error()->set_message(
            absl::StrCat("the operation succeeded but its result cannot be "
                         "read: ",
                         response.status().message()));
      }
      break;
    }
    case model::JobState::kFailed:
      op.mutable_error()->set_code(job.last_error_code);
      op.mutable_error()->set_message(job.last_error);
      break;
    case model::JobState::kCancelled:
      op.mutable_error()->set_code(
          static_cast<int>(absl::StatusCode::kCancelled));
      op.mutable_error()->set_message(job.last_error.empty() ? "cancelled"
                                                             : job.last_error);
      break;
    default:
      break;
  }
  return op;
}

absl::StatusOr<model::Job> OperationApi::LoadJob(const std::string& name) {
  CF_ASSIGN_OR_RETURN(int64_t id, ParseName(name));
  return db_.RunAutocommit<model::Job>(
      "get_operation", [&](storage::Transaction& tx) {
        return storage::JobRepository::Get(tx, id);
      });
}

absl::StatusOr<v1::Operation> OperationApi::GetOperation(
    const v1::GetOperationRequest& request) {
  CF_ASSIGN_OR_RETURN(model::Job job, LoadJob(request.name()));
  return ToOperation(job);
}

absl::StatusOr<v1::ListOperationsResponse> OperationApi::ListOperations(
    const v1::ListOperationsRequest& request) {
  if (request.page_size() < 0 || request.page_size() > config_.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: must be between 1 and ", config_.max_page_size));
  }
  storage::JobListQuery query;
  query.page_size = request.page_size() == 0 ? config_.default_page_size
                                             : request.page_size();
  query.kind = request.kind();
  query.state = StateFromProto(request.state());
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &query.before_id) ||
       query.before_id <= 0)) {
    return absl::InvalidArgumentError(
        "page_token: not a token from ListOperations; pass next_page_token "
        "unchanged");
  }
  const int page_size = query.page_size;
  query.page_size += 1;
  CF_ASSIGN_OR_RETURN(std::vector<model::Job> jobs,
                      db_.RunAutocommit<std::vector<model::Job>>(
                          "list_operations", [&](storage::Transaction& tx) {
                            return storage::JobRepository::List(tx, query);
                          }));
  v1::ListOperationsResponse response;
  for (int i = 0; i < static_cast<int>(jobs.size()) && i < page_size; ++i) {
    CF_ASSIGN_OR_RETURN(*response.add_operations(), ToOperation(jobs[i]));
  }
  if (static_cast<int>(jobs.size()) > page_size) {
    response.set_next_page_token(absl::StrCat(jobs[page_size - 1].id));
  }
  return response;
}

absl::StatusOr<v1::Operation> OperationApi::CancelOperation(
    const v1::CancelOperationRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::Operation> result = CancelOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kCancelMethod, request.name(), "",
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::Operation> OperationApi::CancelOrRefuse(
    const v1::CancelOperationRequest& request, const CallInfo& call) {
  CF_ASSIGN_OR_RETURN(int64_t id, ParseName(request.name()));
  CF_ASSIGN_OR_RETURN(
      model::Job job,
      db_.RunInTransaction<model::Job>(
          "cancel_operation",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Job> {
            CF_ASSIGN_OR_RETURN(model::Job cancelled,
                                storage::JobRepository::Cancel(tx, id));
            // A queued job ends now, a running one is only asked to stop,
            // a finished one stays as it was: the state after tells which.
            std::string summary = absl::StrCat(
                cancelled.kind, " now ", model::JobStateName(cancelled.state));
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(call, kCancelMethod, OperationName(id), "",
                                   absl::OkStatus(), summary)}));
            return cancelled;
          }));
  return ToOperation(job);
}

absl::StatusOr<v1::Operation> OperationApi::WaitOperation(
    const v1::WaitOperationRequest& request, absl::Time call_deadline) {
  absl::Duration timeout = config_.default_wait;
  if (request.has_timeout()) {
    timeout = absl::Seconds(request.timeout().seconds()) +
              absl::Nanoseconds(request.timeout().nanos());
    if (timeout < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("timeout: must not be negative");
    }
  }
  timeout = std::min(timeout, config_.max_wait);
  const absl::Time deadline = std::min(absl::Now() + timeout, call_deadline);
  // Polls with growing pauses: a job may finish on any replica, so there is
  // no local event to wait on.
  absl::Duration pause = absl::Milliseconds(10);
  while (true) {
    CF_ASSIGN_OR_RETURN(model::Job job, LoadJob(request.name()));
    const absl::Time now = absl::Now();
    if (model::IsTerminal(job.state) || now >= deadline) {
      return ToOperation(job);
    }
    std::this_thread::sleep_for(
        absl::ToChronoMilliseconds(std::min(pause, deadline - now)));
    pause = std::min(pause * 2, absl::Milliseconds(250));
  }
}

}  // namespace certferry::service
