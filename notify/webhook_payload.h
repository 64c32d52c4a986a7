#pragma once

// The JSON body of a webhook delivery (schema_version 1). Keys are always
// present and sorted; those that do not apply to the event are null (or ""
// for "error"):
//
//   {"certificate": {"id": "<uuid>", "name": "shop", "version": 3,
//                    "not_after": "2026-01-31T12:00:00Z"} | null,
//    "certificate_authority": {"id": "<uuid>", "name": "root",
//                              "not_after": "..."} | null,
//    "delivery_id": "<uuid>",            (also X-Certferry-Delivery)
//    "deployment": {"id": 17, "kind": "deploy", "target": "web",
//                   "auto_rolled_back": true, "rolled_back_by": 0} | null,
//    "error": "",                        (failure events: what went wrong)
//    "event": "certificate.expiring",
//    "notification_id": 42,
//    "schema_version": 1,
//    "threshold_days": 30 | null,        (expiring events)
//    "time": "2026-01-01T12:00:00.123456Z"}   (when the event was recorded)
//
// Times are RFC 3339 in UTC. Fields may be added in later versions of the
// same schema_version; none are removed or change meaning.

#include <string>

#include "model/notification.h"

namespace certferry::notify {

// The body for delivery `delivery_id` of `notification`. Deterministic:
// every attempt of a delivery sends the same bytes. Thread-safe.
std::string WebhookPayload(const model::Notification& notification,
                           const std::string& delivery_id);

}  // namespace certferry::notify
