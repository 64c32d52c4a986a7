#include "storage/job_notifications.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace certferry::storage {
namespace {

constexpr char kChannel[] = "certferry_jobs";

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, bool* flag)
      : pqxx::notification_receiver(conn, kChannel), flag_(flag) {}
  void operator()(const std::string&, int) override { *flag_ = true; }

 private:
  bool* flag_;
};

}  // namespace

struct JobNotificationListener::State {
  SecretString url;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  bool notified = false;

  absl::Status Connect() {
    receiver.reset();
    conn.reset();
    try {
      conn = std::make_unique<pqxx::connection>(url.Reveal());
      receiver = std::make_unique<Receiver>(*conn, &notified);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      receiver.reset();
      conn.reset();
      std::string what = e.what();
      return absl::UnavailableError(
          absl::StrCat("job notifications: cannot connect: ",
                       what.substr(0, what.find('\n'))));
    }
  }
};

JobNotificationListener::JobNotificationListener(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

JobNotificationListener::~JobNotificationListener() {
  if (state_ != nullptr) {
    state_->receiver.reset();
    state_->conn.reset();
  }
}

absl::StatusOr<std::unique_ptr<JobNotificationListener>>
JobNotificationListener::Open(const SecretString& url) {
  auto state = std::make_unique<State>();
  state->url = url;
  absl::Status connected = state->Connect();
  if (!connected.ok()) return connected;
  return std::unique_ptr<JobNotificationListener>(
      new JobNotificationListener(std::move(state)));
}

bool JobNotificationListener::Wait(absl::Duration timeout) {
  State& s = *state_;
  s.notified = false;
  if (s.conn == nullptr) {
    absl::Status connected = s.Connect();
    if (!connected.ok()) {
      LogWarning(std::string(connected.message()));
      return false;
    }
  }
  try {
    if (s.conn->get_notifs() > 0) return true;
    const int64_t micros = absl::ToInt64Microseconds(timeout);
    s.conn->await_notification(micros / 1000000, micros % 1000000);
    return s.notified;
  } catch (const std::exception& e) {
    s.receiver.reset();
    s.conn.reset();
    return false;
  }
}

}  // namespace certferry::storage
