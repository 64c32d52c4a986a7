// End to end: the real certferryd binary against a real PostgreSQL, called
// over gRPC by generated stubs, by a reflection-driven generic client and by
// the certferry CLI.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "certferry/v1/audit.grpc.pb.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "tests/support/daemon.h"
#include "tests/support/local_http_server.h"
#include "tests/support/nginx_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"

namespace certferry {
namespace {

using ::certferry::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

using testing::Daemon;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "certferry-e2e-", getpid(), "-",
                      name);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Starts certferryd on an empty database (it migrates it) and a free port.
void StartDaemon(Daemon* daemon, std::vector<std::string> extra_flags = {}) {
  daemon->binary = CERTFERRYD_PATH;
  ASSERT_THAT(testing::StartNewDaemon(daemon, extra_flags), IsOk());
}

HealthResponse::ServingStatus CheckHealth(const std::string& address,
                                          const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return HealthResponse::UNKNOWN;
  return response.status();
}

class CertferrydTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon();
    // Scans for expiring certificates every second (webhook test).
    StartDaemon(daemon_, {"--expiry_scan_interval=1s"});
    imported_keys_ = new std::vector<std::string>();
  }

  static void TearDownTestSuite() {
    // Everything certferryd logged during the suite: no key material.
    const std::string output = daemon_->process->Output();
    EXPECT_THAT(output, Not(HasSubstr("PRIVATE KEY")));
    for (const std::string& key : *imported_keys_) {
      for (absl::string_view line : absl::StrSplit(key, '\n')) {
        if (line.size() > 20 && line.find("-----") == absl::string_view::npos) {
          EXPECT_THAT(output, Not(HasSubstr(std::string(line))));
        }
      }
    }
    delete daemon_;
    delete imported_keys_;
  }

  void SetUp() override {
    ASSERT_NE(daemon_->port, 0);
    channel_ = grpc::CreateChannel(daemon_->address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::CertificateService::NewStub(channel_);
  }

  static void Deadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  grpc::Status Import(const std::string& name, const testing::TestChain& chain,
                      v1::Certificate* out) {
    v1::ImportCertificateRequest request;
    request.set_name(name);
    request.set_chain_pem(chain.fullchain_pem());
    request.set_private_key_pem(chain.leaf.key.private_key_pem);
    imported_keys_->push_back(chain.leaf.key.private_key_pem);
    grpc::ClientContext context;
    Deadline(&context);
    return stub_->ImportCertificate(&context, request, out);
  }

  static Daemon* daemon_;
  static std::vector<std::string>* imported_keys_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CertificateService::Stub> stub_;
};

Daemon* CertferrydTest::daemon_ = nullptr;
std::vector<std::string>* CertferrydTest::imported_keys_ = nullptr;

TEST_F(CertferrydTest, HealthIsServingWhileTheDatabaseAnswers) {
  EXPECT_EQ(CheckHealth(daemon_->address(), ""), HealthResponse::SERVING);
  EXPECT_EQ(CheckHealth(daemon_->address(), "certferry.v1.CertificateService"),
            HealthResponse::SERVING);
}

TEST_F(CertferrydTest, ImportedChainReadsBackWithTheSameFingerprint) {
  testing::TestChain chain = testing::MakeChain({"grpc.example.com"});
  v1::Certificate imported;
  ASSERT_TRUE(Import("grpc-roundtrip", chain, &imported).ok());
  EXPECT_EQ(imported.version().sha256_fingerprint(),
            pki::Sha256Hex(chain.leaf.cert_der));

  v1::GetCertificateRequest get;
  get.set_id(imported.id());
  v1::Certificate fetched;
  grpc::ClientContext context;
  Deadline(&context);
  ASSERT_TRUE(stub_->GetCertificate(&context, get, &fetched).ok());
  EXPECT_EQ(fetched.version().sha256_fingerprint(),
            pki::Sha256Hex(chain.leaf.cert_der));
  EXPECT_THAT(fetched.domains(), Contains("grpc.example.com"));
}

TEST_F(CertferrydTest, BadInputGetsInvalidArgumentNamingTheField) {
  testing::TestChain chain = testing::MakeChain();
  testing::TestChain other = testing::MakeChain();
  v1::ImportCertificateRequest request;
  request.set_name("bad-wire");
  request.set_chain_pem(chain.leaf.cert_der);  // DER, not PEM
  request.set_private_key_pem(chain.leaf.key.private_key_pem);
  v1::Certificate out;
  {
    grpc::ClientContext context;
    Deadline(&context);
    grpc::Status status = stub_->ImportCertificate(&context, request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("chain_pem"));
  }
  request.set_chain_pem(chain.fullchain_pem());
  request.set_private_key_pem(other.leaf.key.private_key_pem);
  imported_keys_->push_back(other.leaf.key.private_key_pem);
  {
    grpc::ClientContext context;
    Deadline(&context);
    grpc::Status status = stub_->ImportCertificate(&context, request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("private_key_pem"));
    EXPECT_THAT(status.error_message(), Not(HasSubstr("PRIVATE KEY")));
  }
}

// Acts as grpcurl would: discovers the service by reflection, builds the
// request from the served descriptors alone, and calls it generically.
TEST_F(CertferrydTest, GenericClientDiscoversAndCallsTheApiByReflection) {
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  Deadline(&context);
  auto stream = reflection->ServerReflectionInfo(&context);

  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  grpc::reflection::v1alpha::ServerReflectionResponse listed;
  ASSERT_TRUE(stream->Read(&listed));
  std::vector<std::string> services;
  for (const auto& s : listed.list_services_response().service()) {
    services.push_back(s.name());
  }
  EXPECT_THAT(services, Contains("certferry.v1.CertificateService"));
  EXPECT_THAT(services, Contains("grpc.health.v1.Health"));

  grpc::reflection::v1alpha::ServerReflectionRequest by_symbol;
  by_symbol.set_file_containing_symbol("certferry.v1.CertificateService");
  ASSERT_TRUE(stream->Write(by_symbol));
  grpc::reflection::v1alpha::ServerReflectionResponse files;
  ASSERT_TRUE(stream->Read(&files));
  stream->WritesDone();
  ASSERT_TRUE(files.has_file_descriptor_response())
      << files.error_response().error_message();

  // The response carries the file and its dependencies, in any order.
  google::protobuf::DescriptorPool pool;
  std::vector<google::protobuf::FileDescriptorProto> pending;
  for (const std::string& bytes :
       files.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    pending.push_back(file);
  }
  for (size_t round = 0; round < 5 && !pending.empty(); ++round) {
    std::vector<google::protobuf::FileDescriptorProto> later;
    for (const auto& file : pending) {
      bool ready = true;
      for (const auto& dep : file.dependency()) {
        if (pool.FindFileByName(dep) == nullptr) ready = false;
      }
      if (ready) {
        ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
      } else {
        later.push_back(file);
      }
    }
    pending.swap(later);
  }
  ASSERT_TRUE(pending.empty()) << "unresolved descriptor dependencies";

  const auto* service =
      pool.FindServiceByName("certferry.v1.CertificateService");
  ASSERT_NE(service, nullptr);
  const auto* method = service->FindMethodByName("ImportCertificate");
  ASSERT_NE(method, nullptr);

  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(method->input_type())->New());
  testing::TestChain chain = testing::MakeChain({"reflect.example.com"});
  imported_keys_->push_back(chain.leaf.key.private_key_pem);
  const auto* input = method->input_type();
  const auto* reflect = request->GetReflection();
  reflect->SetString(request.get(), input->FindFieldByName("name"),
                     "via-reflection");
  reflect->SetString(request.get(), input->FindFieldByName("chain_pem"),
                     chain.fullchain_pem());
  reflect->SetString(request.get(), input->FindFieldByName("private_key_pem"),
                     chain.leaf.key.private_key_pem);

  std::string wire;
  ASSERT_TRUE(request->SerializeToString(&wire));
  grpc::Slice slice(wire);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::GenericStub generic(channel_);
  grpc::ClientContext call_context;
  Deadline(&call_context);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status call_status;
  grpc::ByteBuffer response_buffer;
  generic.UnaryCall(
      &call_context,
      absl::StrCat("/", service->full_name(), "/", method->name()),
      grpc::StubOptions(), &request_buffer, &response_buffer,
      [&](grpc::Status s) {
        std::lock_guard<std::mutex> lock(mu);
        call_status = std::move(s);
        done = true;
        cv.notify_all();
      });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; }));
  }
  ASSERT_TRUE(call_status.ok()) << call_status.error_message();

  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response_buffer.Dump(&slices).ok());
  std::string response_wire;
  for (const auto& s : slices) {
    response_wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  std::unique_ptr<google::protobuf::Message> response(
      factory.GetPrototype(method->output_type())->New());
  ASSERT_TRUE(response->ParseFromString(response_wire));
  const auto* output = method->output_type();
  const auto& version = response->GetReflection()->GetMessage(
      *response, output->FindFieldByName("version"));
  EXPECT_EQ(version.GetReflection()->GetString(
                version,
                version.GetDescriptor()->FindFieldByName("sha256_fingerprint")),
            pki::Sha256Hex(chain.leaf.cert_der));
}

TEST_F(CertferrydTest, CliImportsGetsAndListsCertificates) {
  testing::TestChain chain = testing::MakeChain({"cli.example.com"});
  imported_keys_->push_back(chain.leaf.key.private_key_pem);
  const std::string chain_file = TempPath("cli-chain.pem");
  const std::string key_file = TempPath("cli-key.pem");
  WriteFile(chain_file, chain.fullchain_pem());
  WriteFile(key_file, chain.leaf.key.private_key_pem);
  const std::string fingerprint = pki::Sha256Hex(chain.leaf.cert_der);

  auto imported = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "certs", "import",
       "--name", "cli-cert", "--chain", chain_file, "--key", key_file});
  ASSERT_THAT(imported, IsOk());
  ASSERT_EQ(imported->exit_code, 0) << imported->output;
  EXPECT_THAT(imported->output, HasSubstr(fingerprint));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(imported->output, match,
                                std::regex(R"(id:\s+([0-9a-f-]{36}))")));
  const std::string id = match[1];

  // The server address may also come from the environment.
  auto got =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--json", "certs", "get", id},
                          {{"CERTFERRY_SERVER", daemon_->address()}});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->exit_code, 0) << got->output;
  EXPECT_THAT(got->output, HasSubstr(absl::StrCat("\"sha256_fingerprint\": \"",
                                                  fingerprint)));

  auto listed =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon_->address(),
                           "certs", "list", "--domain", "cli.example.com"});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->exit_code, 0) << listed->output;
  EXPECT_THAT(listed->output, HasSubstr("cli-cert"));
  EXPECT_THAT(listed->output, HasSubstr("1 certificate(s)"));

  // Valid for 90 days: not among those expiring within 30.
  auto expiring = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "certs", "list",
       "--domain", "cli.example.com", "--expiring-within", "30d"});
  ASSERT_THAT(expiring, IsOk());
  ASSERT_EQ(expiring->exit_code, 0) << expiring->output;
  EXPECT_THAT(expiring->output, HasSubstr("0 certificate(s)"));

  auto bad = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                  daemon_->address(), "certs", "get", "nope"});
  ASSERT_THAT(bad, IsOk());
  EXPECT_EQ(bad->exit_code, 1);
  EXPECT_THAT(bad->output, HasSubstr("INVALID_ARGUMENT: id:"));
}

// `certferry webhooks` against certferryd: an endpoint registered from the
// CLI receives the expiry notices certferryd's own scanner finds, and the
// secret never comes back.
TEST_F(CertferrydTest, CliWebhookReceivesExpiryNoticesFromTheScanner) {
  absl::Mutex mu;
  std::vector<std::string> bodies;
  testing::LocalHttpServer receiver(
      [&](const httplib::Request& request, httplib::Response& response) {
        absl::MutexLock lock(&mu);
        bodies.push_back(request.body);
        response.status = 204;
      });
  const std::string secret = "5be1d0c2a9f84e7b93c6d2f0a1e4b8c7";
  const std::string secret_file = TempPath("hook.secret");
  WriteFile(secret_file, secret + "\n");
  const std::string url = absl::StrCat(receiver.url(), "/hook");
  auto added = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "webhooks", "add",
       url, "--secret-file", secret_file, "--event", "certificate.expiring"});
  ASSERT_THAT(added, IsOk());
  ASSERT_EQ(added->exit_code, 0) << added->output;
  EXPECT_THAT(added->output, HasSubstr("certificate.expiring"));
  EXPECT_THAT(added->output, Not(HasSubstr(secret)));

  v1::Certificate imported;
  ASSERT_TRUE(Import("cli-expiring",
                     testing::MakeChain({"expiring.example.com"},
                                        absl::Now() + absl::Hours(24 * 10)),
                     &imported)
                  .ok());
  // The 30- and 15-day notices, from the scanner's next pass.
  auto notices = [&] {
    absl::MutexLock lock(&mu);
    int n = 0;
    for (const std::string& body : bodies) {
      if (body.find(imported.id()) != std::string::npos) ++n;
    }
    return n;
  };
  EXPECT_TRUE(
      testing::WaitFor([&] { return notices() == 2; }, absl::Seconds(30)));

  auto listed = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "webhooks", "list"});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->exit_code, 0) << listed->output;
  EXPECT_THAT(listed->output, HasSubstr(url));
  EXPECT_THAT(listed->output, Not(HasSubstr(secret)));
  // Listed as delivered once the workers have recorded it.
  std::string output;
  EXPECT_TRUE(testing::WaitFor([&] {
    auto deliveries =
        testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon_->address(),
                             "webhooks", "deliveries", "--state", "delivered"});
    output = deliveries.ok() ? deliveries->output : "";
    return absl::StrContains(output, "(cli-expiring) 30d") &&
           absl::StrContains(output, "(cli-expiring) 15d");
  })) << output;
  EXPECT_EQ(notices(), 2);  // and no more
}

// The support ticket "works in Chrome, fails on Android": nginx serves the
// leaf without its intermediate. `certferry diagnose` names it, says what
// browsers show and how to fix it, and exits 1; --json carries the same.
TEST_F(CertferrydTest, CliDiagnosesAnEndpointMissingItsIntermediate) {
  const std::string dir = TempPath("diagnose-nginx");
  std::filesystem::create_directories(dir);
  testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  WriteFile(dir + "/fullchain.pem", chain.leaf.cert_pem);  // no intermediate
  WriteFile(dir + "/privkey.pem", chain.leaf.key.private_key_pem);
  auto nginx = testing::NginxServer::Create(dir);
  ASSERT_THAT(nginx, IsOk());
  ASSERT_THAT((*nginx)->Start(), IsOk());
  const std::string ca = TempPath("diagnose-root.pem");
  WriteFile(ca, chain.root.cert_pem);
  const std::string endpoint = absl::StrCat("127.0.0.1:", (*nginx)->port());

  auto text = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                   daemon_->address(), "diagnose", endpoint,
                                   "--sni", "shop.example.com", "--ca", ca});
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(text->exit_code, 1) << text->output;
  EXPECT_THAT(text->output, HasSubstr("worst HIGH"));
  EXPECT_THAT(text->output, HasSubstr("[CHAIN_INCOMPLETE]"));
  EXPECT_THAT(text->output,
              HasSubstr("browsers show: NET::ERR_CERT_AUTHORITY_INVALID"));
  EXPECT_THAT(text->output, HasSubstr("[HOSTNAME_MATCH]"));

  auto json = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "--json", "diagnose",
       endpoint, "--sni", "shop.example.com", "--ca", ca, "--expect-domain",
       "www.example.org"});
  ASSERT_THAT(json, IsOk());
  EXPECT_EQ(json->exit_code, 1) << json->output;
  EXPECT_THAT(json->output, HasSubstr("\"id\": \"HOSTNAME_MISMATCH\""));
  EXPECT_THAT(json->output, HasSubstr("\"worst\": \"SEVERITY_CRITICAL\""));

  // Offline: the same files as a bundle, and a bad argument.
  auto bundle = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "diagnose",
       "--chain", dir + "/fullchain.pem", "--key", dir + "/privkey.pem",
       "--domain", "shop.example.com", "--ca", ca});
  ASSERT_THAT(bundle, IsOk());
  EXPECT_THAT(bundle->output, HasSubstr("[CHAIN_INCOMPLETE]"));
  EXPECT_THAT(bundle->output, ::testing::Not(HasSubstr("KEY_MISMATCH")));
  auto bad =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon_->address(),
                           "diagnose", "https://shop.example.com/"});
  ASSERT_THAT(bad, IsOk());
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_THAT(bad->output, HasSubstr("without https://"));
}

TEST_F(CertferrydTest, AuditLogNamesTheCallerAndVerifiesFromTheCli) {
  testing::TestChain chain = testing::MakeChain({"audit.example.com"});
  v1::ImportCertificateRequest request;
  request.set_name("audit-e2e");
  request.set_chain_pem(chain.fullchain_pem());
  request.set_private_key_pem(chain.leaf.key.private_key_pem);
  imported_keys_->push_back(chain.leaf.key.private_key_pem);
  v1::Certificate out;
  {
    grpc::ClientContext context;
    Deadline(&context);
    context.AddMetadata("x-certferry-actor", "deploy-bot@team-a");
    ASSERT_TRUE(stub_->ImportCertificate(&context, request, &out).ok());
  }
  {
    grpc::ClientContext context;  // no actor metadata: the peer is recorded
    Deadline(&context);
    ASSERT_TRUE(stub_->ImportCertificate(&context, request, &out).ok());
  }

  auto audit = v1::AuditService::NewStub(channel_);
  v1::ListAuditEventsRequest list;
  list.set_resource("certificates/audit-e2e");
  v1::ListAuditEventsResponse events;
  grpc::ClientContext context;
  Deadline(&context);
  ASSERT_TRUE(audit->ListAuditEvents(&context, list, &events).ok());
  ASSERT_EQ(events.events_size(), 2);
  EXPECT_THAT(events.events(0).actor(), ::testing::StartsWith("peer:"));
  EXPECT_EQ(events.events(1).actor(), "deploy-bot@team-a");

  auto listed = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "audit", "list",
       "--resource", "certificates/audit-e2e", "--limit", "5"});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->exit_code, 0) << listed->output;
  EXPECT_THAT(listed->output, HasSubstr("deploy-bot@team-a"));
  EXPECT_THAT(listed->output, HasSubstr("ImportCertificate"));

  auto verified = testing::RunProgram(
      {CERTFERRY_CLI_PATH, "--server", daemon_->address(), "audit", "verify"});
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->exit_code, 0) << verified->output;
  EXPECT_THAT(verified->output, HasSubstr("intact"));
}

TEST_F(CertferrydTest, DatabaseDumpContainsNoPlaintextPrivateKey) {
  testing::TestChain chain = testing::MakeChain({"dump.example.com"});
  v1::Certificate imported;
  ASSERT_TRUE(Import("dump-check", chain, &imported).ok());

  const char* bindir = std::getenv("CERTFERRY_PG_BINDIR");
  ASSERT_NE(bindir, nullptr)
      << "CERTFERRY_PG_BINDIR is not set; run ./scripts/test";
  auto dump = testing::RunProgram({absl::StrCat(bindir, "/pg_dump"),
                                   "--data-only", "-d", daemon_->database.dsn});
  ASSERT_THAT(dump, IsOk());
  ASSERT_EQ(dump->exit_code, 0) << dump->output;
  // The dump does hold the certificate (so the check below means something)...
  EXPECT_THAT(dump->output, HasSubstr(imported.version().sha256_fingerprint()));
  // ...but no private key in any form we know of.
  EXPECT_THAT(dump->output, Not(HasSubstr("PRIVATE KEY")));
  for (const std::string& key : *imported_keys_) {
    for (absl::string_view line : absl::StrSplit(key, '\n')) {
      if (line.size() > 20 && line.find("-----") == absl::string_view::npos) {
        EXPECT_THAT(dump->output, Not(HasSubstr(std::string(line))));
      }
    }
  }
}

TEST(CertferrydLifecycle, SigtermDrainsAndExitsZero) {
  Daemon daemon;
  StartDaemon(&daemon);
  ASSERT_EQ(CheckHealth(daemon.address(), ""), HealthResponse::SERVING);
  daemon.process->Signal(SIGTERM);
  std::optional<int> code = daemon.process->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.has_value()) << "certferryd did not stop on SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.process->Output();
  EXPECT_THAT(daemon.process->Output(), HasSubstr("shut down"));
}

TEST(CertferrydLifecycle, HealthTurnsNotServingWhenTheDatabaseIsGone) {
  Daemon daemon;
  StartDaemon(&daemon, {"--health_check_interval=100ms"});
  ASSERT_EQ(CheckHealth(daemon.address(), ""), HealthResponse::SERVING);
  ASSERT_THAT(testing::DropTestDatabase(daemon.database.name), IsOk());
  EXPECT_TRUE(testing::WaitFor([&] {
    return CheckHealth(daemon.address(), "certferry.v1.CertificateService") ==
           HealthResponse::NOT_SERVING;
  })) << daemon.process->Output();
}

TEST(CertferrydLifecycle, MissingKekFileIsAClearStartupError) {
  auto database = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(database, IsOk());
  auto run = testing::RunProgram(
      {CERTFERRYD_PATH, "serve", "--listen=127.0.0.1:0"},
      {{"CERTFERRY_DATABASE_URL", database->dsn},
       {"CERTFERRY_KEK_FILE", TempPath("does-not-exist.kek")}});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_THAT(run->output, HasSubstr("--kek_file"));
}

}  // namespace
}  // namespace certferry
