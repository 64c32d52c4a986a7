#include "storage/job_notifications.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "storage/job_repository.h"

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

JobNotifier::JobNotifier(Database& db) : db_(db) {
  thread_ = std::thread([this] { Loop(); });
}

JobNotifier::~JobNotifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void JobNotifier::JobsEnqueued() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  cv_.notify_one();
}

int64_t JobNotifier::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

void JobNotifier::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return pending_ || stopping_; });
    // Pending work is sent even when stopping, so no enqueue goes unheard.
    if (!pending_) return;
    pending_ = false;
    lock.unlock();
    absl::Status status = db_.RunAutocommit("notify_jobs", [](Transaction& tx) {
      return JobRepository::NotifyWorkers(tx);
    });
    if (!status.ok()) {
      LogWarning(absl::StrCat("job notification failed (workers poll): ",
                              status.message()));
    }
    lock.lock();
    ++sent_;
  }
}

}  // namespace certferry::storage
