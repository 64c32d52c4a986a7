#include "storage/audit_repository.h"

#include <openssl/evp.h>

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_values.h"
#include "storage/queries/audit_queries.h"

namespace certferry::storage {
namespace {

constexpr int kVerifyPageSize = 1000;

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), static_cast<size_t>(length)));
}

// Every field length-prefixed, so no two different events encode alike;
// the time as the microseconds stored (timestamptz keeps exactly those).
std::string AuditHash(const std::string& previous_hash, int64_t id,
                      int64_t time_micros, const NewAuditEvent& e) {
  std::string material = "certferry.audit.v1\n";
  for (const std::string& field :
       {previous_hash, absl::StrCat(id), absl::StrCat(time_micros), e.actor,
        e.action, e.resource, e.request_id, e.outcome, e.summary}) {
    absl::StrAppend(&material, field.size(), ":", field, "\n");
  }
  return Sha256Hex(material);
}

AuditEvent AuditEventFromRow(const pqxx::row& row) {
  AuditEvent e;
  e.id = row[0].as<int64_t>();
  e.time = FromEpochMicros(row[1]);
  e.event.actor = row[2].as<std::string>();
  e.event.action = row[3].as<std::string>();
  e.event.resource = row[4].as<std::string>();
  e.event.request_id = row[5].as<std::string>();
  e.event.outcome = row[6].as<std::string>();
  e.event.summary = row[7].as<std::string>();
  e.previous_hash = row[8].as<std::string>();
  e.hash = row[9].as<std::string>();
  return e;
}

AuditVerification Broken(int64_t checked, int64_t id, std::string problem) {
  return AuditVerification{false, checked, id, std::move(problem)};
}

}  // namespace

const std::string& AuditRepository::GenesisHash() {
  static const auto* const kGenesis = new std::string(64, '0');
  return *kGenesis;
}

std::string AuditRepository::ComputeHash(const std::string& previous_hash,
                                         int64_t id, absl::Time time,
                                         const NewAuditEvent& event) {
  return AuditHash(previous_hash, id, absl::ToUnixMicros(time), event);
}

absl::Status AuditRepository::Append(Transaction& tx,
                                     const std::vector<NewAuditEvent>& events) {
  if (events.empty()) return absl::OkStatus();
  std::vector<std::string> actors, actions, resources, request_ids, outcomes,
      summaries;
  for (const NewAuditEvent& e : events) {
    actors.push_back(e.actor);
    actions.push_back(e.action);
    resources.push_back(e.resource);
    request_ids.push_back(e.request_id);
    outcomes.push_back(e.outcome);
    summaries.push_back(e.summary);
  }
  tx.pqxx().exec_prepared0(
      queries::kQueueAuditEvents.name, ToTextArrayLiteral(actors),
      ToTextArrayLiteral(actions), ToTextArrayLiteral(resources),
      ToTextArrayLiteral(request_ids), ToTextArrayLiteral(outcomes),
      ToTextArrayLiteral(summaries));
  return absl::OkStatus();
}

absl::StatusOr<int> AuditRepository::Seal(Transaction& tx, int limit) {
  const pqxx::row head =
      tx.pqxx().exec_prepared1(queries::kLockAuditChainHead.name);
  int64_t id = head[0].as<int64_t>();
  std::string hash = head[1].as<std::string>();
  const pqxx::result taken =
      tx.pqxx().exec_prepared(queries::kTakeAuditOutbox.name, limit);
  if (taken.empty()) return 0;
  struct Entry {
    int64_t outbox_id;
    int64_t time_micros;
    NewAuditEvent event;
  };
  std::vector<Entry> entries;
  entries.reserve(taken.size());
  for (const auto& row : taken) {
    Entry& e = entries.emplace_back();
    e.outbox_id = row[0].as<int64_t>();
    e.time_micros = row[1].as<int64_t>();
    e.event.actor = row[2].as<std::string>();
    e.event.action = row[3].as<std::string>();
    e.event.resource = row[4].as<std::string>();
    e.event.request_id = row[5].as<std::string>();
    e.event.outcome = row[6].as<std::string>();
    e.event.summary = row[7].as<std::string>();
  }
  // Queue order (RETURNING gives none).
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.outbox_id < b.outbox_id;
  });
  std::vector<std::string> ids, times, actors, actions, resources, request_ids,
      outcomes, summaries, previous_hashes, hashes;
  for (const Entry& entry : entries) {
    const NewAuditEvent& e = entry.event;
    ++id;
    previous_hashes.push_back(hash);
    hash = AuditHash(hash, id, entry.time_micros, e);
    ids.push_back(absl::StrCat(id));
    times.push_back(absl::StrCat(entry.time_micros));
    actors.push_back(e.actor);
    actions.push_back(e.action);
    resources.push_back(e.resource);
    request_ids.push_back(e.request_id);
    outcomes.push_back(e.outcome);
    summaries.push_back(e.summary);
    hashes.push_back(hash);
  }
  const pqxx::result moved = tx.pqxx().exec_prepared(
      queries::kAppendAuditEvents.name, ToTextArrayLiteral(ids),
      ToTextArrayLiteral(times), ToTextArrayLiteral(actors),
      ToTextArrayLiteral(actions), ToTextArrayLiteral(resources),
      ToTextArrayLiteral(request_ids), ToTextArrayLiteral(outcomes),
      ToTextArrayLiteral(summaries), ToTextArrayLiteral(previous_hashes),
      ToTextArrayLiteral(hashes), id, hash);
  if (moved.size() != 1) {
    return absl::InternalError(
        "audit log: the chain head row is missing; re-run the migrations");
  }
  return static_cast<int>(entries.size());
}

absl::Status AuditRepository::SealAll(Transaction& tx) {
  constexpr int kBatch = 1000;
  while (true) {
    absl::StatusOr<int> sealed = Seal(tx, kBatch);
    if (!sealed.ok()) return sealed.status();
    if (*sealed < kBatch) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<AuditEvent>> AuditRepository::List(
    Transaction& tx, const AuditQuery& query) {
  // Read your writes: what was appended and committed is listed.
  if (absl::Status sealed = SealAll(tx); !sealed.ok()) return sealed;
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListAuditEvents.name, query.resource, query.actor,
      query.before_id,
      query.since ? ToTimestampText(*query.since) : std::string(),
      query.until ? ToTimestampText(*query.until) : std::string(),
      query.page_size);
  std::vector<AuditEvent> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(AuditEventFromRow(row));
  return out;
}

absl::StatusOr<AuditVerification> AuditRepository::Verify(Transaction& tx) {
  if (absl::Status sealed = SealAll(tx); !sealed.ok()) return sealed;
  // The head and the chain up to it as this transaction sees them.
  const pqxx::row head =
      tx.pqxx().exec_prepared1(queries::kGetAuditChainHead.name);
  const int64_t head_id = head[0].as<int64_t>();
  const std::string head_hash = head[1].as<std::string>();

  int64_t checked = 0;
  int64_t last_id = 0;
  std::string last_hash = GenesisHash();
  while (true) {
    const pqxx::result rows = tx.pqxx().exec_prepared(
        queries::kScanAuditEvents.name, last_id, head_id, kVerifyPageSize);
    for (const auto& row : rows) {
      const AuditEvent e = AuditEventFromRow(row);
      if (e.id != last_id + 1) {
        return Broken(checked, e.id,
                      absl::StrCat("events ", last_id + 1, " to ", e.id - 1,
                                   " are missing (ids are gapless)"));
      }
      if (e.previous_hash != last_hash) {
        return Broken(checked, e.id,
                      absl::StrCat("previous_hash does not match the hash of "
                                   "event ",
                                   last_id,
                                   "; an earlier event was removed or "
                                   "replaced"));
      }
      if (AuditHash(e.previous_hash, e.id, absl::ToUnixMicros(e.time),
                    e.event) != e.hash) {
        return Broken(checked, e.id,
                      "the content does not match its hash; the event was "
                      "changed after it was written");
      }
      ++checked;
      last_id = e.id;
      last_hash = e.hash;
    }
    if (rows.size() < static_cast<size_t>(kVerifyPageSize)) break;
  }
  if (last_id != head_id) {
    return Broken(checked, last_id + 1,
                  absl::StrCat("the log ends at event ", last_id,
                               " but the chain head records event ", head_id,
                               "; the newest events were removed"));
  }
  if (last_hash != head_hash) {
    return Broken(checked, last_id,
                  "the last event's hash does not match the chain head");
  }
  return AuditVerification{true, checked, 0, ""};
}

}  // namespace certferry::storage
