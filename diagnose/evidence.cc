#include "diagnose/evidence.h"

namespace certferry::diagnose {

absl::string_view ProbeStateName(ProbeState state) {
  switch (state) {
    case ProbeState::kNotRun:
      return "not run";
    case ProbeState::kDone:
      return "done";
    case ProbeState::kTimedOut:
      return "timed out";
    case ProbeState::kUntestable:
      return "untestable";
    case ProbeState::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::string_view TlsVersionName(TlsVersion version) {
  switch (version) {
    case TlsVersion::kSsl3:
      return "SSLv3";
    case TlsVersion::kTls1_0:
      return "TLSv1";
    case TlsVersion::kTls1_1:
      return "TLSv1.1";
    case TlsVersion::kTls1_2:
      return "TLSv1.2";
    case TlsVersion::kTls1_3:
      return "TLSv1.3";
  }
  return "unknown";
}

absl::string_view CipherClassName(CipherClass cipher_class) {
  switch (cipher_class) {
    case CipherClass::kNull:
      return "NULL";
    case CipherClass::kExport:
      return "EXPORT";
    case CipherClass::kRc4:
      return "RC4";
    case CipherClass::kTripleDes:
      return "3DES";
    case CipherClass::kAnonymous:
      return "anonymous";
    case CipherClass::kRsaKeyExchange:
      return "RSA key exchange";
  }
  return "unknown";
}

}  // namespace certferry::diagnose
