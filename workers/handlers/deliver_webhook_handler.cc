#include "workers/handlers/deliver_webhook_handler.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "notify/webhook_payload.h"
#include "notify/webhook_signature.h"
#include "notify/webhook_url.h"
#include "storage/notification_repository.h"

namespace certferry::workers {
namespace {

constexpr size_t kMaxBodyExcerpt = 200;

absl::StatusOr<std::string> DeliveryIdOf(const std::string& payload_json) {
  const nlohmann::json payload =
      nlohmann::json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  if (payload.is_object() && payload.contains("delivery_id") &&
      payload["delivery_id"].is_string() &&
      IsUuid(payload["delivery_id"].get<std::string>())) {
    return payload["delivery_id"].get<std::string>();
  }
  return absl::InvalidArgumentError(
      "deliver_webhook payload: expected {\"delivery_id\": \"<uuid>\"}");
}

// The start of a response body, printable, for the delivery's error.
std::string Excerpt(absl::string_view body) {
  std::string out;
  for (char c : body.substr(0, kMaxBodyExcerpt)) {
    out.push_back(c >= 0x20 && c <= 0x7e ? c : ' ');
  }
  if (body.size() > kMaxBodyExcerpt) out.append("...");
  return out;
}

// 408 (request timeout) and 429 (too many requests) ask to come back
// later; every other 4xx says this request will never be accepted.
bool IsRefusal(int status_code) {
  return status_code >= 400 && status_code < 500 && status_code != 408 &&
         status_code != 429;
}

}  // namespace

absl::StatusOr<std::string> DeliverWebhookHandler::Run(JobContext& context) {
  CF_ASSIGN_OR_RETURN(const std::string delivery_id,
                      DeliveryIdOf(context.payload_json()));
  CF_ASSIGN_OR_RETURN(
      storage::DeliveryToSend delivery,
      db_.RunAutocommit<storage::DeliveryToSend>(
          "get_delivery_to_send", [&](storage::Transaction& tx) {
            return storage::NotificationRepository::GetDeliveryToSend(
                tx, delivery_id);
          }));
  const std::string origin = notify::WebhookUrlOrigin(delivery.url);
  if (delivery.endpoint_deleted) {
    return absl::FailedPreconditionError(
        absl::StrCat("webhook endpoint ", delivery.endpoint_id, " (", origin,
                     ") was deleted; delivery ", delivery_id, " not sent"));
  }
  CF_ASSIGN_OR_RETURN(
      SecretString secret,
      keys_.Open({delivery.secret.kek_id, delivery.secret.nonce,
                  delivery.secret.ciphertext},
                 notify::WebhookSecretAad(delivery.endpoint_id)));

  cloud::HttpRequest request;
  request.method = "POST";
  request.url = delivery.url;
  request.body = notify::WebhookPayload(delivery.notification, delivery_id);
  // Each attempt is signed at its own time, so receivers that refuse old
  // timestamps (replays) still take a late retry.
  const int64_t timestamp = absl::ToUnixSeconds(clock_.Now());
  request.headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", "certferry-webhook/1"},
      {notify::kEventHeader,
       model::NotificationEventName(delivery.notification.event)},
      {notify::kDeliveryHeader, delivery_id},
      {notify::kTimestampHeader, absl::StrCat(timestamp)},
      {notify::kSignatureHeader,
       notify::WebhookSignature(secret, timestamp, request.body)},
  };
  absl::StatusOr<cloud::HttpResponse> response =
      http_.Send(request, config_.timeout);

  int status_code = 0;
  absl::Status outcome;
  if (!response.ok()) {
    // The transport names the URL up to its query; the path may hold a
    // token, so only the origin goes into errors.
    const std::string url_in_message =
        delivery.url.substr(0, delivery.url.find('?'));
    const std::string detail = absl::StrReplaceAll(response.status().message(),
                                                   {{url_in_message, origin}});
    outcome = absl::Status(absl::IsDeadlineExceeded(response.status())
                               ? absl::StatusCode::kDeadlineExceeded
                               : absl::StatusCode::kUnavailable,
                           absl::StrCat("POST to ", origin, " failed: ", detail,
                                        "; retried with backoff"));
  } else {
    status_code = response->status_code;
    if (status_code >= 200 && status_code < 300) {
      outcome = absl::OkStatus();
    } else if (IsRefusal(status_code)) {
      outcome = absl::FailedPreconditionError(absl::StrCat(
          origin, " answered HTTP ", status_code, " (", Excerpt(response->body),
          "); the receiver refuses the delivery, so it is not retried: fix "
          "the receiver or the endpoint"));
    } else {
      outcome = absl::UnavailableError(
          absl::StrCat(origin, " answered HTTP ", status_code, " (",
                       Excerpt(response->body), "); retried with backoff"));
    }
  }
  absl::Status recorded = db_.RunAutocommit(
      "record_delivery_attempt", [&](storage::Transaction& tx) {
        return storage::NotificationRepository::RecordAttempt(
            tx, delivery_id, status_code, std::string(outcome.message()),
            outcome.ok());
      });
  if (!recorded.ok()) {
    // The job's own outcome still says what happened.
    LogWarning(
        absl::StrCat("webhook delivery ", delivery_id,
                     ": recording the attempt failed: ", recorded.message()));
  }
  if (!outcome.ok()) return outcome;
  nlohmann::json result = {{"delivery_id", delivery_id},
                           {"status_code", status_code}};
  return result.dump();
}

}  // namespace certferry::workers
