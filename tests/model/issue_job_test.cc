#include "model/issue_job.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::model {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IssueJobPayload, RoundTripsThroughJson) {
  IssueJobPayload payload{"shop",
                          {"shop.example.com", "*.api.example.com", "10.0.0.1"},
                          "ecdsa-p384",
                          7776000,
                          "7c0b7f0e-0000-4000-8000-000000000001"};
  auto parsed = ParseIssueJobPayload(ToJson(payload));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->name, "shop");
  EXPECT_THAT(parsed->names,
              ElementsAre("shop.example.com", "*.api.example.com", "10.0.0.1"));
  EXPECT_EQ(parsed->key_type, "ecdsa-p384");
  EXPECT_EQ(parsed->validity_seconds, 7776000);
  EXPECT_EQ(parsed->issuer_id, "7c0b7f0e-0000-4000-8000-000000000001");
}

// Rows queued by the earlier protobuf-JSON encoding carry int64 as strings.
TEST(IssueJobPayload, ReadsRowsWrittenByProtobufJson) {
  auto parsed = ParseIssueJobPayload(
      R"({"name":"a","names":["a.example.com"],"keyType":"ecdsa-p256",)"
      R"("validitySeconds":"3600","issuerId":"ca"})");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->validity_seconds, 3600);
  auto result = ParseIssueJobResult(R"({"certificateId":"c","version":3})");
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->version, 3);
}

TEST(IssueJobPayload, MalformedInputNamesWhatIsWrong) {
  EXPECT_THAT(ParseIssueJobPayload("not json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a JSON object")));
  EXPECT_THAT(ParseIssueJobPayload(
                  R"({"name":"a","names":[],"keyType":"k","issuerId":"c",)"
                  R"("validitySeconds":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("names must be a non-empty array")));
  EXPECT_THAT(ParseIssueJobPayload(
                  R"({"name":"a","names":["x"],"keyType":"k","issuerId":"c",)"
                  R"("validitySeconds":"soon"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("validitySeconds")));
  EXPECT_THAT(
      ParseIssueJobResult(R"({"version":1})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificateId")));
}

TEST(IssueJobResult, RoundTripsThroughJson) {
  auto parsed = ParseIssueJobResult(ToJson(IssueJobResult{"id-1", 7}));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->certificate_id, "id-1");
  EXPECT_EQ(parsed->version, 7);
}

TEST(IssueBatchJob, RoundTripsThroughJsonInOrder) {
  IssueBatchJobPayload payload;
  for (const char* name : {"first", "second"}) {
    payload.items.push_back(
        {name, {std::string(name) + ".example.com"}, "ecdsa-p256", 60, "ca"});
  }
  auto parsed = ParseIssueBatchJobPayload(ToJson(payload));
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->items.size(), 2u);
  EXPECT_EQ(parsed->items[1].name, "second");
  EXPECT_EQ(parsed->items[1].names.front(), "second.example.com");
  EXPECT_EQ(parsed->items[0].validity_seconds, 60);

  auto result = ParseIssueBatchJobResult(
      ToJson(IssueBatchJobResult{{{"id-1", 1}, {"id-2", 4}}}));
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->items.size(), 2u);
  EXPECT_EQ(result->items[1].certificate_id, "id-2");
  EXPECT_EQ(result->items[1].version, 4);
}

TEST(IssueBatchJob, MalformedItemIsNamedByIndex) {
  EXPECT_THAT(ParseIssueBatchJobPayload(R"({"items":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("items must be a non-empty array")));
  EXPECT_THAT(
      ParseIssueBatchJobPayload(
          R"({"items":[{"name":"a","names":["a"],"keyType":"k",)"
          R"("issuerId":"c","validitySeconds":1},{"name":"b"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("items[1]")));
  EXPECT_THAT(
      ParseIssueBatchJobResult(R"({"items":[{"version":1}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("items[0]")));
}

}  // namespace
}  // namespace certferry::model
