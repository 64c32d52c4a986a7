#include "issuers/acme/dns01_solver.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/command_runner.h"
#include "issuers/acme/jws.h"

namespace certferry::issuers::acme {

std::string Dns01RecordName(absl::string_view domain) {
  absl::ConsumePrefix(&domain, "*.");
  return absl::StrCat("_acme-challenge.", domain);
}

absl::StatusOr<std::unique_ptr<HookDnsProvider>> HookDnsProvider::Create(
    HookDnsProviderConfig config) {
  if (config.command.empty()) {
    return absl::InvalidArgumentError(
        "dns hook command: empty; give the program to run (it gets "
        "present|cleanup, the record name and the value)");
  }
  if (config.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("dns hook timeout: must be positive");
  }
  absl::StatusOr<std::string> program = ResolveExecutable(config.command[0]);
  if (!program.ok()) {
    return absl::Status(
        program.status().code(),
        absl::StrCat("dns hook command: ", program.status().message()));
  }
  return std::unique_ptr<HookDnsProvider>(
      new HookDnsProvider(std::move(config)));
}

absl::Status HookDnsProvider::Present(const std::string& record_name,
                                      const std::string& value) {
  return Run("present", record_name, value);
}

absl::Status HookDnsProvider::CleanUp(const std::string& record_name,
                                      const std::string& value) {
  return Run("cleanup", record_name, value);
}

absl::Status HookDnsProvider::Run(const std::string& action,
                                  const std::string& record_name,
                                  const std::string& value) {
  std::vector<std::string> argv = config_.command;
  argv.insert(argv.end(), {action, record_name, value});
  const std::string what = absl::StrCat("dns hook ", config_.command[0], " ",
                                        action, " ", record_name);
  absl::StatusOr<CommandResult> result = RunCommand(argv, config_.timeout);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(what, ": ", result.status().message()));
  }
  if (result->Succeeded()) return absl::OkStatus();
  const std::string output(absl::StripAsciiWhitespace(result->output));
  const std::string message =
      absl::StrCat(what, ": ", result->Describe(),
                   output.empty() ? "" : absl::StrCat("; output: ", output));
  if (result->timed_out) return absl::DeadlineExceededError(message);
  return absl::FailedPreconditionError(message);
}

absl::Status Dns01Solver::Present(const AcmeChallenge& challenge) {
  return provider_.Present(Dns01RecordName(challenge.domain),
                           Dns01RecordValue(challenge.key_authorization));
}

absl::Status Dns01Solver::CleanUp(const AcmeChallenge& challenge) {
  return provider_.CleanUp(Dns01RecordName(challenge.domain),
                           Dns01RecordValue(challenge.key_authorization));
}

}  // namespace certferry::issuers::acme
