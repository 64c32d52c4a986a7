#pragma once

// A fixture for diagnosis tests against Debian's nginx on 127.0.0.1: a
// fresh test chain for leaf.example.com, a private certificate directory,
// and nginx started with the server-block directives a test needs.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/nginx_server.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {

class NginxEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = absl::StrCat(::testing::TempDir(), "endpoint-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    chain_ = testing::MakeChain({"leaf.example.com"});
  }
  void TearDown() override {
    nginx_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Writes `contents` to `name` in the certificate directory.
  void WriteFile(const std::string& name, const std::string& contents) {
    std::ofstream out(dir_ + "/" + name, std::ios::binary | std::ios::trunc);
    out << contents;
    ASSERT_TRUE(out.good()) << name;
  }

  // Serves `chain_pem` with `key_pem` under the extra `directives`; use
  // with ASSERT_NO_FATAL_FAILURE.
  void Serve(const std::string& chain_pem, const std::string& key_pem,
             const std::string& directives) {
    WriteFile("fullchain.pem", chain_pem);
    WriteFile("privkey.pem", key_pem);
    testing::NginxOptions options;
    options.server_directives = directives;
    auto nginx = testing::NginxServer::Create(dir_, options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = *std::move(nginx);
    absl::Status started = nginx_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  // Serves the test chain (leaf and intermediate).
  void Serve(const std::string& directives) {
    Serve(chain_.fullchain_pem(), chain_.leaf.key.private_key_pem, directives);
  }

  std::string dir_;
  testing::TestChain chain_;
  std::unique_ptr<testing::NginxServer> nginx_;
};

}  // namespace certferry::diagnose
