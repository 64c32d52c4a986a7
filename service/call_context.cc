#include "service/call_context.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace certferry::service {
namespace {

constexpr size_t kMaxActorLength = 128;

bool IsPrintableAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

CallInfo CallInfoFrom(const grpc::ServerContext& context) {
  CallInfo call;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find(kActorMetadataKey); it != metadata.end()) {
    std::string actor(it->second.data(), it->second.size());
    if (!actor.empty() && actor.size() <= kMaxActorLength &&
        IsPrintableAscii(actor)) {
      call.actor = std::move(actor);
      return call;
    }
  }
  call.actor = absl::StrCat("peer:", context.peer());
  return call;
}

}  // namespace certferry::service
