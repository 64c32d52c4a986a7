#pragma once

// Conversions between model/ values and certferry.v1 protos.

#include "absl/time/time.h"
#include "certferry/v1/certificate.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "model/certificate.h"
#include "model/renewal.h"

namespace certferry::service {

void ToProto(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& timestamp);

v1::Certificate ToProto(const model::Certificate& certificate);

// A certificate's renewal status as of `now` (see v1::RenewalStatus).
v1::RenewalStatus ToProto(const model::RenewalRecord& record, absl::Time now);
v1::RenewalPolicy ToProto(const model::RenewalPolicy& policy);

}  // namespace certferry::service
