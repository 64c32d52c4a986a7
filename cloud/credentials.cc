#include "cloud/credentials.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace certferry::cloud {
namespace {

constexpr char kIdVar[] = "ALIBABA_CLOUD_ACCESS_KEY_ID";
constexpr char kSecretVar[] = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
constexpr char kTokenVar[] = "ALIBABA_CLOUD_SECURITY_TOKEN";

std::optional<std::string> NonEmpty(const EnvLookup& env, const char* name) {
  std::optional<std::string> value = env(name);
  if (value.has_value() && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<Credentials> CredentialsFromEnvironment(const EnvLookup& env) {
  std::optional<std::string> id = NonEmpty(env, kIdVar);
  std::optional<std::string> secret = NonEmpty(env, kSecretVar);
  if (!id && !secret) {
    return absl::NotFoundError(
        absl::StrCat(kIdVar, " and ", kSecretVar, " are not set"));
  }
  if (!id) {
    return absl::InvalidArgumentError(
        absl::StrCat(kIdVar, " is not set but ", kSecretVar, " is; set both"));
  }
  if (!secret) {
    return absl::InvalidArgumentError(
        absl::StrCat(kSecretVar, " is not set but ", kIdVar, " is; set both"));
  }
  Credentials credentials;
  credentials.access_key_id = *std::move(id);
  credentials.access_key_secret = SecretString(*std::move(secret));
  if (std::optional<std::string> token = NonEmpty(env, kTokenVar)) {
    credentials.security_token = SecretString(*std::move(token));
  }
  return credentials;
}

absl::StatusOr<Credentials> ParseCredentialsIni(absl::string_view content,
                                                absl::string_view profile,
                                                absl::string_view origin) {
  std::map<std::string, std::string> values;
  bool found = false;
  bool in_profile = false;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = absl::StripAsciiWhitespace(
                       line.substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    values[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(origin, ": no profile [", profile, "]"));
  }
  const std::string type = values.count("type") ? values["type"] : "access_key";
  if (type != "access_key" && type != "sts") {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " [", profile, "] type = ", type,
                     ": unsupported; use access_key or sts"));
  }
  std::vector<std::string> required = {"access_key_id", "access_key_secret"};
  if (type == "sts") required.push_back("security_token");
  for (const std::string& key : required) {
    if (values[key].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          origin, " [", profile, "]: ", key, " is missing or empty"));
    }
  }
  Credentials credentials;
  credentials.access_key_id = values["access_key_id"];
  credentials.access_key_secret = SecretString(values["access_key_secret"]);
  if (type == "sts") {
    credentials.security_token = SecretString(values["security_token"]);
  }
  return credentials;
}

absl::StatusOr<Credentials> CredentialsFromFile(const std::string& path,
                                                absl::string_view profile) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  SecretString content(buffer.str());
  return ParseCredentialsIni(content.Reveal(), profile, path);
}

absl::StatusOr<Credentials> LoadDefaultCredentials(absl::string_view profile,
                                                   const EnvLookup& env) {
  absl::StatusOr<Credentials> from_env = CredentialsFromEnvironment(env);
  if (!absl::IsNotFound(from_env.status())) return from_env;

  std::string chosen(profile);
  if (chosen.empty()) {
    chosen = NonEmpty(env, "ALIBABA_CLOUD_PROFILE").value_or("default");
  }
  std::optional<std::string> home = NonEmpty(env, "HOME");
  if (!home) {
    return absl::NotFoundError(absl::StrCat(
        "no Alibaba Cloud credentials: ", from_env.status().message(),
        ", and HOME is not set so ~/.alibabacloud/credentials cannot be "
        "found"));
  }
  const std::string path = absl::StrCat(*home, "/.alibabacloud/credentials");
  absl::StatusOr<Credentials> from_file = CredentialsFromFile(path, chosen);
  if (absl::IsNotFound(from_file.status())) {
    return absl::NotFoundError(absl::StrCat(
        "no Alibaba Cloud credentials: ", from_env.status().message(), "; ",
        from_file.status().message()));
  }
  return from_file;
}

}  // namespace certferry::cloud
