#include "emulator/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace certferry::emulator {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

std::string Hmac(const EVP_MD* md, absl::string_view key,
                 absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &mac_size);
  return std::string(reinterpret_cast<char*>(mac), mac_size);
}

std::string Base64(absl::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(n);
  return out;
}

// Signatures are compared in constant time: the emulator should not teach
// clients to rely on anything weaker than the real gateway.
bool SameSignature(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

std::string CanonicalQuery(Params params) {
  std::sort(params.begin(), params.end());
  std::vector<std::string> parts;
  parts.reserve(params.size());
  for (const auto& [name, value] : params) {
    parts.push_back(
        absl::StrCat(AcsPercentEncode(name), "=", AcsPercentEncode(value)));
  }
  return absl::StrJoin(parts, "&");
}

}  // namespace

std::string AcsPercentEncode(absl::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

std::string PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() &&
               absl::ascii_isxdigit(text[i + 1]) &&
               absl::ascii_isxdigit(text[i + 2])) {
      auto nibble = [](char h) {
        return absl::ascii_isdigit(h) ? h - '0'
                                      : absl::ascii_tolower(h) - 'a' + 10;
      };
      out.push_back(
          static_cast<char>(nibble(text[i + 1]) * 16 + nibble(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Params ParseUrlEncoded(absl::string_view text) {
  Params params;
  for (absl::string_view part : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    params.emplace_back(PercentDecode(kv.first, true),
                        PercentDecode(kv.second, true));
  }
  return params;
}

std::string V1StringToSign(absl::string_view method, const Params& params) {
  Params signed_params;
  for (const auto& p : params) {
    if (p.first != "Signature") signed_params.push_back(p);
  }
  return absl::StrCat(method, "&", AcsPercentEncode("/"), "&",
                      AcsPercentEncode(CanonicalQuery(signed_params)));
}

std::string V1Signature(absl::string_view access_key_secret,
                        absl::string_view string_to_sign) {
  return Base64(
      Hmac(EVP_sha1(), absl::StrCat(access_key_secret, "&"), string_to_sign));
}

absl::Status VerifyV1(absl::string_view method, const Params& params,
                      absl::string_view access_key_secret) {
  const std::string* given = nullptr;
  for (const auto& p : params) {
    if (p.first == "Signature") given = &p.second;
  }
  if (given == nullptr || given->empty()) {
    return absl::InvalidArgumentError("Signature is missing");
  }
  const std::string string_to_sign = V1StringToSign(method, params);
  if (!SameSignature(*given, V1Signature(access_key_secret, string_to_sign))) {
    return absl::UnauthenticatedError(
        absl::StrCat("Specified signature is not matched with our "
                     "calculation. server string to sign is:",
                     string_to_sign));
  }
  return absl::OkStatus();
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return Hex(digest, sizeof(digest));
}

std::string CanonicalUri(absl::string_view decoded_path) {
  if (decoded_path.empty()) return "/";
  std::vector<std::string> segments;
  for (absl::string_view segment : absl::StrSplit(decoded_path, '/')) {
    segments.push_back(AcsPercentEncode(segment));
  }
  return absl::StrJoin(segments, "/");
}

std::string V3CanonicalRequest(const V3Request& request,
                               absl::string_view signed_headers) {
  // Duplicate header names: values sorted and joined with ',' (§2.4 step 4).
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& [name, value] : request.headers) {
    by_name[absl::AsciiStrToLower(name)].push_back(
        std::string(absl::StripAsciiWhitespace(value)));
  }
  std::string canonical_headers;
  for (absl::string_view name :
       absl::StrSplit(signed_headers, ';', absl::SkipEmpty())) {
    std::vector<std::string> values = by_name[std::string(name)];
    std::sort(values.begin(), values.end());
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","),
                    "\n");
  }
  return absl::StrCat(request.method, "\n", request.canonical_uri, "\n",
                      CanonicalQuery(request.query), "\n", canonical_headers,
                      "\n", signed_headers, "\n", request.hashed_payload);
}

std::string V3Signature(absl::string_view access_key_secret,
                        absl::string_view canonical_request) {
  const std::string string_to_sign =
      absl::StrCat("ACS3-HMAC-SHA256\n", Sha256Hex(canonical_request));
  const std::string mac = Hmac(EVP_sha256(), access_key_secret, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

absl::Status ParseV3Authorization(absl::string_view header,
                                  V3Authorization* out) {
  absl::string_view rest = header;
  if (!absl::ConsumePrefix(&rest, "ACS3-HMAC-SHA256 ")) {
    return absl::InvalidArgumentError(
        "Authorization: expected 'ACS3-HMAC-SHA256 Credential=..'");
  }
  *out = V3Authorization{};
  for (absl::string_view part : absl::StrSplit(rest, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "Credential=")) {
      out->access_key_id = std::string(part);
    } else if (absl::ConsumePrefix(&part, "SignedHeaders=")) {
      out->signed_headers = std::string(part);
    } else if (absl::ConsumePrefix(&part, "Signature=")) {
      out->signature = std::string(part);
    }
  }
  if (out->access_key_id.empty() || out->signed_headers.empty() ||
      out->signature.empty()) {
    return absl::InvalidArgumentError(
        "Authorization: Credential, SignedHeaders and Signature are all "
        "required");
  }
  return absl::OkStatus();
}

absl::Status VerifyV3(const V3Request& request,
                      const V3Authorization& authorization,
                      absl::string_view access_key_secret) {
  std::vector<std::string> signed_names =
      absl::StrSplit(authorization.signed_headers, ';', absl::SkipEmpty());
  auto is_signed = [&](const std::string& name) {
    return std::find(signed_names.begin(), signed_names.end(), name) !=
           signed_names.end();
  };
  for (const auto& [name, value] : request.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (absl::StartsWith(lower, "x-acs-") && !is_signed(lower)) {
      return absl::InvalidArgumentError(
          absl::StrCat("SignedHeaders: header ", lower, " is not signed"));
    }
  }
  const std::string canonical =
      V3CanonicalRequest(request, authorization.signed_headers);
  if (!SameSignature(authorization.signature,
                     V3Signature(access_key_secret, canonical))) {
    return absl::UnauthenticatedError(absl::StrCat(
        "The request signature does not conform to Aliyun standards. server "
        "string to sign is:",
        canonical));
  }
  return absl::OkStatus();
}

}  // namespace certferry::emulator
