// CurlHttpClient and SendWithRetries against a real HTTP server on loopback.

#include "cloud/http_client.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cloud/api_error.h"
#include "cloud/retry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/local_http_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::cloud {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::LocalHttpServer;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kJson[] = "application/json";

std::string ErrorBody(const std::string& code, const std::string& message,
                      const std::string& request_id) {
  return R"({"RequestId":")" + request_id +
         R"(","HostId":"cas.aliyuncs.com","Code":")" + code +
         R"(","Message":")" + message + R"("})";
}

// Records the delays instead of sleeping.
struct RecordingSleep {
  std::vector<absl::Duration> delays;
  RetryOptions Options(int max_attempts = 4) {
    RetryOptions options;
    options.max_attempts = max_attempts;
    options.initial_backoff = absl::Milliseconds(100);
    options.total_timeout = absl::Seconds(30);
    options.sleep = [this](absl::Duration d) { delays.push_back(d); };
    return options;
  }
};

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  return request;
}

TEST(CurlHttpClient, ReturnsStatusHeadersAndBodyAndSendsBody) {
  std::string seen_method, seen_body, seen_header;
  LocalHttpServer server(
      [&](const httplib::Request& req, httplib::Response& res) {
        seen_method = req.method;
        seen_body = req.body;
        seen_header = req.get_header_value("X-Test");
        res.status = 201;
        res.set_header("X-Acs-Thing", "yes");
        res.set_content("created", "text/plain");
      });
  CurlHttpClient client;
  HttpRequest request;
  request.method = "POST";
  request.url = server.url() + "/path?a=1";
  request.headers = {{"X-Test", "hello"}};
  request.body = "payload";
  absl::StatusOr<HttpResponse> response =
      client.Send(request, absl::Seconds(10));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status_code, 201);
  EXPECT_EQ(response->body, "created");
  EXPECT_EQ(response->Header("x-acs-thing"), "yes");
  EXPECT_EQ(response->Header("X-ACS-THING"), "yes");
  EXPECT_EQ(seen_method, "POST");
  EXPECT_EQ(seen_body, "payload");
  EXPECT_EQ(seen_header, "hello");
}

TEST(CurlHttpClient, HeadReturnsHeadersWithoutWaitingForABody) {
  std::string seen_method;
  LocalHttpServer server(
      [&](const httplib::Request& req, httplib::Response& res) {
        seen_method = req.method;
        res.set_header("Replay-Nonce", "abc");
        res.set_content("body a HEAD must not read", "text/plain");
      });
  CurlHttpClient client;
  HttpRequest request = Get(server.url() + "/nonce");
  request.method = "HEAD";
  absl::StatusOr<HttpResponse> response =
      client.Send(request, absl::Seconds(10));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(seen_method, "HEAD");
  EXPECT_EQ(response->status_code, 200);
  EXPECT_EQ(response->Header("replay-nonce"), "abc");
  EXPECT_EQ(response->body, "");
}

TEST(CurlHttpClient, ReusesTheConnectionForSequentialRequests) {
  absl::Mutex mu;
  std::vector<int> client_ports;
  LocalHttpServer server(
      [&](const httplib::Request& req, httplib::Response& res) {
        absl::MutexLock lock(&mu);
        client_ports.push_back(req.remote_port);
        res.set_content("{}", kJson);
      });
  CurlHttpClient client;
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(client.Send(Get(server.url() + "/"), absl::Seconds(10)),
                IsOk());
  }
  absl::MutexLock lock(&mu);
  ASSERT_THAT(client_ports, SizeIs(3));
  // Same source port ⇒ same TCP connection.
  EXPECT_EQ(client_ports[0], client_ports[1]);
  EXPECT_EQ(client_ports[1], client_ports[2]);
}

TEST(CurlHttpClient, ConcurrentSendsAllSucceed) {
  std::atomic<int> served{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    ++served;
    res.set_content("ok", "text/plain");
  });
  CurlHttpClient client;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto response = client.Send(Get(server.url() + "/"), absl::Seconds(10));
        if (response.ok() && response->body == "ok") ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(served.load(), 20);
}

TEST(CurlHttpClient, SlowServerGivesDeadlineExceeded) {
  absl::Notification release;
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    res.set_content("late", "text/plain");
  });
  CurlHttpClient client;
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = client.Send(
      Get(server.url() + "/?Key=secret-pem"), absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  release.Notify();
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                 Not(HasSubstr("secret-pem"))));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(CurlHttpClient, ConfiguredRequestTimeoutCapsTheCallerTimeout) {
  absl::Notification release;
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  CurlHttpClientOptions options;
  options.request_timeout = absl::Milliseconds(300);
  CurlHttpClient client(options);
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response =
      client.Send(Get(server.url() + "/"), absl::Seconds(30));
  const absl::Duration took = absl::Now() - start;
  release.Notify();
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(CurlHttpClient, ServerDownGivesUnavailableNotSent) {
  LocalHttpServer server([](const httplib::Request&, httplib::Response&) {});
  const std::string url = server.url() + "/?Key=secret-pem";
  server.Stop();
  CurlHttpClient client;
  absl::StatusOr<HttpResponse> response =
      client.Send(Get(url), absl::Seconds(5));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable,
                                 Not(HasSubstr("secret-pem"))));
  EXPECT_TRUE(RequestNotSent(response.status()));
}

TEST(CurlHttpClient, OversizedResponseIsRefused) {
  LocalHttpServer server([](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(4096, 'x'), "text/plain");
  });
  CurlHttpClientOptions options;
  options.max_response_bytes = 1024;
  CurlHttpClient client(options);
  EXPECT_THAT(client.Send(Get(server.url() + "/"), absl::Seconds(5)),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(CurlHttpClient, HttpsAgainstAPlainHttpServerFails) {
  // Nothing listens with TLS here; an https URL against the plain server
  // fails the handshake, which must not be reported as success.
  LocalHttpServer server([](const httplib::Request&, httplib::Response& res) {
    res.set_content("plain", "text/plain");
  });
  CurlHttpClient client;
  absl::StatusOr<HttpResponse> response = client.Send(
      Get("https://127.0.0.1:" + std::to_string(server.port()) + "/"),
      absl::Seconds(5));
  EXPECT_THAT(response, Not(IsOk()));
}

// An HTTPS server on loopback with a certificate for "localhost" from a
// per-run test CA (root.pem).
class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cf-cloud-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const testing::TestChain chain = testing::MakeChain({"localhost"});
    Write("root.pem", chain.root.cert_pem);
    Write("server.pem", chain.fullchain_pem());
    Write("server.key", chain.leaf.key.private_key_pem);
    server_ = std::make_unique<LocalHttpServer>(
        [](const httplib::Request&, httplib::Response& res) {
          res.set_content("over tls", "text/plain");
        },
        Path("server.pem"), Path("server.key"));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
  }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  std::string Url() {
    return "https://localhost:" + std::to_string(server_->port()) + "/";
  }

  std::filesystem::path dir_;
  std::unique_ptr<LocalHttpServer> server_;
};

TEST_F(TlsServerTest, TrustsTheConfiguredCaFile) {
  CurlHttpClientOptions options;
  options.ca_file = Path("root.pem");
  CurlHttpClient client(options);
  absl::StatusOr<HttpResponse> response =
      client.Send(Get(Url()), absl::Seconds(10));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, "over tls");
}

TEST_F(TlsServerTest, VerifiesByDefault) {
  CurlHttpClient client;  // system trust store: does not know the test CA
  EXPECT_THAT(client.Send(Get(Url()), absl::Seconds(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(TlsServerTest, VerificationCanBeTurnedOff) {
  CurlHttpClientOptions options;
  options.verify_tls = false;
  CurlHttpClient client(options);
  EXPECT_THAT(client.Send(Get(Url()), absl::Seconds(10)), IsOk());
}

TEST(SendWithRetries, ThrottledTwiceThenSucceedsOnTheThirdAttempt) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    const int n = ++attempts;
    if (n <= 2) {
      res.status = 400;
      res.set_content(ErrorBody(n == 1 ? "Throttling.User" : "Throttling.Api",
                                "Request was denied due to user flow control.",
                                "R" + std::to_string(n)),
                      kJson);
      return;
    }
    res.set_content(R"({"RequestId":"R3","CertId":7})", kJson);
  });
  CurlHttpClient client;
  RecordingSleep sleep;
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, sleep.Options(),
      /*idempotent=*/false);
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->body, R"({"RequestId":"R3","CertId":7})");
  EXPECT_EQ(attempts.load(), 3);
  ASSERT_THAT(sleep.delays, SizeIs(2));
  // Equal jitter around 100ms then 200ms.
  EXPECT_GE(sleep.delays[0], absl::Milliseconds(50));
  EXPECT_LE(sleep.delays[0], absl::Milliseconds(100));
  EXPECT_GE(sleep.delays[1], absl::Milliseconds(100));
  EXPECT_LE(sleep.delays[1], absl::Milliseconds(200));
}

TEST(SendWithRetries, HonoursRetryAfterHeader) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    if (++attempts == 1) {
      res.status = 400;
      res.set_header("x-acs-retry-after", "1500");
      res.set_content(ErrorBody("Throttling", "slow down", "R1"), kJson);
      return;
    }
    res.set_content("{}", kJson);
  });
  CurlHttpClient client;
  RecordingSleep sleep;
  ASSERT_THAT(SendWithRetries(
                  client, [&] { return Get(server.url() + "/"); },
                  sleep.Options(), /*idempotent=*/true),
              IsOk());
  EXPECT_EQ(attempts.load(), 2);
  ASSERT_THAT(sleep.delays, SizeIs(1));
  EXPECT_EQ(sleep.delays[0], absl::Milliseconds(1500));
}

TEST(SendWithRetries, RetryAfterBeyondTheDeadlineStopsAtOnce) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    ++attempts;
    res.status = 503;
    res.set_header("x-acs-retry-after", "60000");
    res.set_content(ErrorBody("ServiceUnavailable", "busy", "R9"), kJson);
  });
  CurlHttpClient client;
  RecordingSleep sleep;
  RetryOptions options = sleep.Options();
  options.total_timeout = absl::Seconds(5);
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, options, true);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable,
                                 AllOf(HasSubstr("ServiceUnavailable: busy"),
                                       HasSubstr("deadline reached"))));
  EXPECT_EQ(attempts.load(), 1);
  EXPECT_THAT(sleep.delays, SizeIs(0));
}

TEST(SendWithRetries, NonRetryableErrorCarriesCodeMessageAndRequestId) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    ++attempts;
    res.status = 400;
    res.set_content(
        ErrorBody("InvalidParameter",
                  "The specified parameter Name is invalid.", "1234"),
        kJson);
  });
  CurlHttpClient client;
  RecordingSleep sleep;
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, sleep.Options(), true);
  EXPECT_THAT(response,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "InvalidParameter: The specified parameter Name is "
                       "invalid. (RequestId 1234)"));
  EXPECT_EQ(attempts.load(), 1);
  std::optional<ApiError> error = GetApiError(response.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "InvalidParameter");
  EXPECT_EQ(error->message, "The specified parameter Name is invalid.");
  EXPECT_EQ(error->request_id, "1234");
  EXPECT_EQ(error->host_id, "cas.aliyuncs.com");
  EXPECT_EQ(error->http_status, 400);
}

TEST(SendWithRetries, ServerErrorIsRetriedOnlyWhenIdempotent) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    ++attempts;
    res.status = 500;
    res.set_content(ErrorBody("InternalError", "oops", "R5"), kJson);
  });
  CurlHttpClient client;
  RecordingSleep once;
  EXPECT_THAT(SendWithRetries(
                  client, [&] { return Get(server.url() + "/"); },
                  once.Options(), /*idempotent=*/false),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("R5")));
  EXPECT_EQ(attempts.load(), 1);

  attempts = 0;
  RecordingSleep retried;
  EXPECT_THAT(
      SendWithRetries(
          client, [&] { return Get(server.url() + "/"); }, retried.Options(3),
          /*idempotent=*/true),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("after 3 attempts")));
  EXPECT_EQ(attempts.load(), 3);
}

TEST(SendWithRetries,
     PersistentThrottlingEndsResourceExhaustedAfterMaxAttempts) {
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response& res) {
    ++attempts;
    res.status = 400;
    res.set_content(ErrorBody("Throttling", "denied", "RT"), kJson);
  });
  CurlHttpClient client;
  RecordingSleep sleep;
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, sleep.Options(4), false);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("after 4 attempts")));
  EXPECT_EQ(attempts.load(), 4);
  EXPECT_EQ(GetApiError(response.status())->code, "Throttling");
}

TEST(SendWithRetries, ServerDownGivesUnavailableAfterBoundedRetries) {
  LocalHttpServer server([](const httplib::Request&, httplib::Response&) {});
  const std::string url = server.url() + "/";
  server.Stop();
  CurlHttpClient client;
  RecordingSleep sleep;
  int builds = 0;
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client,
      [&] {
        ++builds;
        return Get(url);
      },
      sleep.Options(4), /*idempotent=*/false);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kUnavailable,
                                 HasSubstr("after 4 attempts")));
  EXPECT_EQ(builds, 4);
  EXPECT_THAT(sleep.delays, SizeIs(3));
}

TEST(SendWithRetries, TimeoutIsNotRetriedForNonIdempotentCalls) {
  absl::Notification release;
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response&) {
    ++attempts;
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  CurlHttpClientOptions options;
  options.request_timeout = absl::Milliseconds(200);
  CurlHttpClient client(options);
  RecordingSleep sleep;
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, sleep.Options(),
      /*idempotent=*/false);
  release.Notify();
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(attempts.load(), 1);
}

TEST(SendWithRetries, TotalTimeoutBoundsTimedOutIdempotentCalls) {
  absl::Notification release;
  std::atomic<int> attempts{0};
  LocalHttpServer server([&](const httplib::Request&, httplib::Response&) {
    ++attempts;
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  CurlHttpClient client;
  RetryOptions options;
  options.max_attempts = 100;
  options.initial_backoff = absl::Milliseconds(1);
  options.total_timeout = absl::Milliseconds(600);
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = SendWithRetries(
      client, [&] { return Get(server.url() + "/"); }, options, true);
  const absl::Duration took = absl::Now() - start;
  release.Notify();
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_GE(attempts.load(), 1);
  EXPECT_LT(attempts.load(), 100);
}

}  // namespace
}  // namespace certferry::cloud
