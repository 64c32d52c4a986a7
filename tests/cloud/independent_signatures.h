#pragma once

// The tests' own Alibaba signature checks (OpenSSL directly, their own
// encoder), deliberately independent of cloud/'s signing code so a signing
// bug cannot pass on both sides.

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"

namespace certferry::testing {

inline std::string Enc(const std::string& s) {
  std::ostringstream out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out << c;
    } else {
      out << '%' << std::uppercase << std::hex << std::setw(2)
          << std::setfill('0') << static_cast<int>(c);
    }
  }
  return out.str();
}

inline std::string Mac(const EVP_MD* md, const std::string& key,
                       const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

inline std::string Hex(const std::string& bytes) {
  std::ostringstream out;
  for (unsigned char c : bytes) {
    out << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c);
  }
  return out.str();
}

inline std::string Sha256Hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return Hex(std::string(reinterpret_cast<char*>(out), n));
}

inline std::string B64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

inline std::vector<std::pair<std::string, std::string>> SortedParams(
    const httplib::Request& req, bool skip_signature) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [k, v] : req.params) {
    if (skip_signature && k == "Signature") continue;
    params.emplace_back(k, v);
  }
  std::sort(params.begin(), params.end());
  return params;
}

inline std::string Canonical(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += Enc(k) + "=" + Enc(v);
  }
  return out;
}

// V1 Signature parameter over the decoded query.
inline bool ValidV1(const httplib::Request& req, const std::string& secret) {
  const std::string to_sign =
      req.method + "&%2F&" + Enc(Canonical(SortedParams(req, true)));
  return req.get_param_value("Signature") ==
         B64(Mac(EVP_sha1(), secret + "&", to_sign));
}

// V3 signature in the Authorization header, for RPC and ROA paths.
inline bool ValidV3(const httplib::Request& req, const std::string& key_id,
                    const std::string& secret) {
  const std::string auth = req.get_header_value("Authorization");
  std::smatch m;
  static const std::regex kAuth(
      "^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature="
      "([0-9a-f]{64})$");
  if (!std::regex_match(auth, m, kAuth) || m[1] != key_id) return false;
  std::string headers;
  for (absl::string_view name : absl::StrSplit(m[2].str(), ';')) {
    headers += std::string(name) + ":" +
               req.get_header_value(std::string(name)) + "\n";
  }
  const std::string canonical = req.method + "\n" + req.path + "\n" +
                                Canonical(SortedParams(req, false)) + "\n" +
                                headers + "\n" + m[2].str() + "\n" +
                                Sha256Hex(req.body);
  const std::string to_sign = "ACS3-HMAC-SHA256\n" + Sha256Hex(canonical);
  return m[3].str() == Hex(Mac(EVP_sha256(), secret, to_sign));
}

}  // namespace certferry::testing
