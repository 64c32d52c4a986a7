#include "diagnose/rules/chain_rules.h"

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "diagnose/finding_catalog.h"
#include "pki/internal/openssl_handles.h"
#include "pki/names.h"

namespace certferry::diagnose {
namespace {

using pki::CertificateInfo;
using pki::internal::BioPtr;
using pki::internal::ErrorQueueGuard;
using pki::internal::ExtendedKeyUsagePtr;
using pki::internal::MemBio;
using pki::internal::X509Ptr;
using pki::internal::X509StackPtr;
using pki::internal::X509StoreCtxPtr;
using pki::internal::X509StorePtr;

// One presented certificate: its facts (pki's reading, so evidence matches
// what certferry stores) and the parsed X509 for OpenSSL's checks.
struct Cert {
  size_t position = 0;  // 0-based place in the chain as presented
  CertificateInfo info;
  X509Ptr x509;
};

X509Ptr ReadX509(absl::string_view pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Facts of a certificate OpenSSL found (in the trust store), read through
// pki like the presented ones.
std::optional<CertificateInfo> InfoOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  absl::StatusOr<std::vector<CertificateInfo>> infos =
      pki::ParseCertificateChain(
          absl::string_view(data, static_cast<size_t>(len)), "trusted");
  if (!infos.ok() || infos->size() != 1) return std::nullopt;
  return std::move(infos->front());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Days(absl::Duration d) {
  const int64_t days = absl::IDivDuration(d, absl::Hours(24), &d);
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

// Positions are 1-based in evidence, as people count.
std::string Named(const Cert& cert) {
  return absl::StrCat("certificate ", cert.position + 1, " \"",
                      cert.info.subject, "\"");
}

std::string Identified(const Cert& cert) {
  return absl::StrCat(Named(cert), " (SHA-256 ", cert.info.sha256_fingerprint,
                      ")");
}

std::string Quoted(const std::string& text) {
  return absl::StrCat("\"", text, "\"");
}

struct PresentedChain {
  std::vector<Cert> certs;
  std::vector<Finding> unreadable;
};

PresentedChain ParsePresented(const std::vector<std::string>& chain_pem) {
  PresentedChain chain;
  size_t position = 0;
  for (const std::string& pem : chain_pem) {
    absl::StatusOr<std::vector<CertificateInfo>> infos =
        pki::ParseCertificateChain(pem,
                                   absl::StrCat("certificate ", position + 1));
    if (!infos.ok()) {
      chain.unreadable.push_back(MakeFinding(
          "CERT_UNREADABLE", std::string(infos.status().message())));
      ++position;
      continue;
    }
    for (CertificateInfo& info : *infos) {
      Cert cert;
      cert.position = position++;
      // Re-read from pki's canonical PEM, which it has just parsed.
      cert.x509 = ReadX509(info.pem);
      if (cert.x509 == nullptr) continue;
      cert.info = std::move(info);
      chain.certs.push_back(std::move(cert));
    }
  }
  return chain;
}

struct Path {
  std::vector<const Cert*> certs;  // leaf first, each followed by its issuer
  bool signature_broken = false;   // a named issuer was sent but did not sign
};

bool SignedBy(const Cert& child, const Cert& issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer.x509.get());
  return key != nullptr && X509_verify(child.x509.get(), key) == 1;
}

Path FollowPath(const Cert& leaf, const std::vector<const Cert*>& unique,
                std::set<const Cert*>& claimed, std::vector<Finding>& out) {
  Path path;
  path.certs.push_back(&leaf);
  std::set<const Cert*> on_path = {&leaf};
  while (!path.certs.back()->info.self_signed) {
    const Cert& child = *path.certs.back();
    const Cert* issuer = nullptr;
    const Cert* impostor = nullptr;  // right name, wrong key
    for (const Cert* candidate : unique) {
      if (on_path.count(candidate) != 0 ||
          X509_NAME_cmp(X509_get_issuer_name(child.x509.get()),
                        X509_get_subject_name(candidate->x509.get())) != 0) {
        continue;
      }
      if (SignedBy(child, *candidate)) {
        issuer = candidate;
        break;
      }
      if (impostor == nullptr) impostor = candidate;
    }
    if (issuer != nullptr) {
      path.certs.push_back(issuer);
      on_path.insert(issuer);
      continue;
    }
    if (impostor != nullptr) {
      claimed.insert(impostor);
      path.signature_broken = true;
      out.push_back(MakeFinding(
          "CHAIN_SIGNATURE_INVALID",
          absl::StrCat(Identified(child), " names ", Quoted(child.info.issuer),
                       " as its issuer; ", Identified(*impostor),
                       " has that name, but its key did not sign ",
                       "certificate ", child.position + 1,
                       ": it is another certificate of that name (a renewed "
                       "or different intermediate)")));
    }
    break;
  }
  return path;
}

struct Structure {
  std::vector<const Cert*> unique;  // each certificate once, as first sent
  Path path;
};

Structure StructureFindings(const std::vector<Cert>& certs, const Cert& leaf,
                            std::vector<Finding>& out) {
  Structure structure;
  std::vector<const Cert*>& unique = structure.unique;
  for (const Cert& cert : certs) {
    const Cert* first = nullptr;
    for (const Cert* seen : unique) {
      if (seen->info.sha256_fingerprint == cert.info.sha256_fingerprint) {
        first = seen;
        break;
      }
    }
    if (first == nullptr) {
      unique.push_back(&cert);
      continue;
    }
    out.push_back(MakeFinding(
        "CHAIN_DUPLICATE_CERT",
        absl::StrCat(Identified(cert), " is the same certificate as ",
                     "certificate ", first->position + 1)));
  }

  std::set<const Cert*> claimed;
  structure.path = FollowPath(leaf, unique, claimed, out);
  const Path& path = structure.path;

  bool in_order = true;
  for (size_t i = 0; i < path.certs.size(); ++i) {
    if (i == 0 ? path.certs[0]->position != 0
               : path.certs[i]->position < path.certs[i - 1]->position) {
      in_order = false;
    }
  }
  if (!in_order) {
    std::vector<std::string> expected;
    for (const Cert* cert : path.certs) expected.push_back(Named(*cert));
    out.push_back(MakeFinding(
        "CHAIN_WRONG_ORDER",
        absl::StrCat("the leaf's path is ", absl::StrJoin(expected, " -> "),
                     ", but the certificates are not sent in that order")));
  }

  const std::set<const Cert*> on_path(path.certs.begin(), path.certs.end());
  for (const Cert* cert : unique) {
    if (on_path.count(cert) != 0 || claimed.count(cert) != 0) continue;
    out.push_back(MakeFinding(
        "CHAIN_UNRELATED_CERT",
        absl::StrCat(Identified(*cert), ", issued by ",
                     Quoted(cert->info.issuer),
                     ", issues none of the certificates on the path of the "
                     "leaf, ",
                     Named(leaf))));
  }
  for (size_t i = 1; i < path.certs.size(); ++i) {
    if (!path.certs[i]->info.self_signed) continue;
    out.push_back(MakeFinding(
        "CHAIN_ROOT_SENT",
        absl::StrCat(Identified(*path.certs[i]), " is a self-signed root")));
  }
  return structure;
}

struct TrustStore {
  X509StorePtr store;
  std::vector<X509Ptr> extra;  // parsed from extra_trust_pem
  std::string description;     // what is trusted, for evidence
};

// The system store's certificates, read once per process: parsing Debian's
// bundle costs OpenSSL 3 about 70 ms, adding them to a new store well under
// one. Never freed; shared read-only (X509 objects lock their own caches).
const std::vector<X509Ptr>& SystemTrustCertificates() {
  static const std::vector<X509Ptr>* const kCertificates = [] {
    ErrorQueueGuard error_guard;
    auto* certificates = new std::vector<X509Ptr>();
    X509StorePtr store(X509_STORE_new());
    if (store == nullptr || X509_STORE_set_default_paths(store.get()) != 1) {
      return certificates;
    }
    STACK_OF(X509)* all = X509_STORE_get1_all_certs(store.get());
    for (int i = 0; all != nullptr && i < sk_X509_num(all); ++i) {
      certificates->emplace_back(sk_X509_value(all, i));  // takes the ref
    }
    sk_X509_free(all);
    return certificates;
  }();
  return *kCertificates;
}

TrustStore BuildTrustStore(const ChainRuleOptions& options) {
  TrustStore trust;
  trust.store.reset(X509_STORE_new());
  if (trust.store == nullptr) return trust;
  if (options.use_system_trust) {
    for (const X509Ptr& cert : SystemTrustCertificates()) {
      X509_STORE_add_cert(trust.store.get(), cert.get());
    }
    // The hashed directory is read on demand, so it costs nothing up front
    // and covers systems whose store is only a directory.
    X509_LOOKUP* directory =
        X509_STORE_add_lookup(trust.store.get(), X509_LOOKUP_hash_dir());
    if (directory != nullptr) {
      X509_LOOKUP_add_dir(directory, nullptr, X509_FILETYPE_DEFAULT);
    }
  }
  if (!options.extra_trust_pem.empty()) {
    BioPtr bio = MemBio(options.extra_trust_pem);
    while (bio != nullptr) {
      X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (cert == nullptr) break;
      X509_STORE_add_cert(trust.store.get(), cert.get());
      trust.extra.push_back(std::move(cert));
    }
  }
  const std::string extra = absl::StrCat(trust.extra.size(), " certificate",
                                         trust.extra.size() == 1 ? "" : "s",
                                         " of the given trust bundle");
  if (options.use_system_trust) {
    trust.description =
        trust.extra.empty()
            ? "trusted here: the system store"
            : absl::StrCat("trusted here: the system store and ", extra);
  } else {
    trust.description =
        trust.extra.empty()
            ? "nothing is trusted here (no system store, no trust bundle)"
            : absl::StrCat("trusted here: only ", extra);
  }
  return trust;
}

struct Verification {
  bool ok = false;
  int error = X509_V_OK;
  size_t error_depth = 0;
  std::vector<X509Ptr> chain;  // as OpenSSL built it, leaf first
};

Verification Verify(const TrustStore& trust, const Cert& leaf,
                    const std::vector<const Cert*>& unique) {
  Verification result;
  result.error = X509_V_ERR_UNSPECIFIED;
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (trust.store == nullptr || untrusted == nullptr || ctx == nullptr) {
    return result;
  }
  // A client gets every certificate sent, related or not, to build from.
  for (const Cert* cert : unique) {
    if (cert != &leaf) sk_X509_push(untrusted.get(), cert->x509.get());
  }
  if (X509_STORE_CTX_init(ctx.get(), trust.store.get(), leaf.x509.get(),
                          untrusted.get()) != 1) {
    return result;
  }
  // Dates have their own findings; here only the path decides.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  result.ok = X509_verify_cert(ctx.get()) == 1;
  result.error = X509_STORE_CTX_get_error(ctx.get());
  result.error_depth = static_cast<size_t>(
      std::max(0, X509_STORE_CTX_get_error_depth(ctx.get())));
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; built != nullptr && i < sk_X509_num(built); ++i) {
    X509* cert = sk_X509_value(built, i);
    X509_up_ref(cert);
    result.chain.emplace_back(cert);
  }
  return result;
}

const Cert* Presented(X509* cert, const std::vector<const Cert*>& unique) {
  for (const Cert* presented : unique) {
    if (X509_cmp(presented->x509.get(), cert) == 0) return presented;
  }
  return nullptr;
}

bool IsExtraTrust(X509* cert, const TrustStore& trust) {
  for (const X509Ptr& extra : trust.extra) {
    if (X509_cmp(extra.get(), cert) == 0) return true;
  }
  return false;
}

// A certificate OpenSSL used, named as sent or as found in the store.
std::string DescribeUsed(X509* cert, const std::vector<const Cert*>& unique,
                         const TrustStore& trust) {
  if (const Cert* presented = Presented(cert, unique)) {
    return Identified(*presented);
  }
  std::optional<CertificateInfo> info = InfoOf(cert);
  if (!info) return "a certificate from the trust store";
  return absl::StrCat(
      Quoted(info->subject), " from ",
      IsExtraTrust(cert, trust) ? "the given trust bundle" : "the system store",
      " (SHA-256 ", info->sha256_fingerprint, ")");
}

// The verdict on a chain that verifies: trusted, unless OpenSSL had to take
// an intermediate from the store, which clients without that copy lack.
Finding VerifiedFinding(const Verification& verification,
                        const std::vector<const Cert*>& unique,
                        const TrustStore& trust) {
  std::vector<std::string> fetched;
  std::vector<std::string> used;
  for (size_t i = 0; i < verification.chain.size(); ++i) {
    X509* cert = verification.chain[i].get();
    used.push_back(DescribeUsed(cert, unique, trust));
    if (i > 0 && Presented(cert, unique) == nullptr &&
        X509_self_signed(cert, /*verify_signature=*/0) != 1) {
      fetched.push_back(used.back());
    }
  }
  if (!fetched.empty()) {
    return MakeFinding(
        "CHAIN_INCOMPLETE",
        absl::StrCat("the chain verifies here only because the trust store "
                     "holds the intermediate ",
                     absl::StrJoin(fetched, ", "),
                     ", which the server does not send"));
  }
  return MakeFinding("CHAIN_TRUSTED", absl::StrCat(absl::StrJoin(used, " -> "),
                                                   "; ", trust.description));
}

// The verdict on a chain that does not verify, from OpenSSL's reason and
// the path followed through what was sent. None when the path already
// explains it (a sent issuer whose key did not sign).
std::optional<Finding> FailureFinding(const Verification& verification,
                                      const Cert& leaf,
                                      const std::vector<const Cert*>& unique,
                                      const Path& path,
                                      const TrustStore& trust) {
  const Cert& top = *path.certs.back();
  X509* failed = verification.error_depth < verification.chain.size()
                     ? verification.chain[verification.error_depth].get()
                     : nullptr;
  const std::string failed_text =
      failed != nullptr ? DescribeUsed(failed, unique, trust) : Identified(top);
  const std::string reason = X509_verify_cert_error_string(verification.error);
  switch (verification.error) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return MakeFinding(
          "CERT_SELF_SIGNED",
          absl::StrCat(Identified(leaf),
                       " is self-signed (its own issuer) and not a trusted "
                       "root; ",
                       trust.description));
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return MakeFinding(
          "CHAIN_UNTRUSTED_ISSUER",
          absl::StrCat("the chain ends at the self-signed root ", failed_text,
                       ", which is not trusted; ", trust.description));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      if (path.signature_broken) return std::nullopt;
      if (verification.error == X509_V_ERR_CERT_SIGNATURE_FAILURE) {
        return MakeFinding("CHAIN_SIGNATURE_INVALID",
                           absl::StrCat(failed_text, ": ", reason));
      }
      if (&top == &leaf) {
        // Public CAs never issue from the root directly, so an issuer that
        // is neither sent nor trusted is a missing intermediate.
        return MakeFinding(
            "CHAIN_INCOMPLETE",
            absl::StrCat(Identified(leaf), " is issued by ",
                         Quoted(leaf.info.issuer),
                         ", which the server does not send and which is not "
                         "a trusted root; ",
                         trust.description));
      }
      return MakeFinding(
          "CHAIN_UNTRUSTED_ISSUER",
          absl::StrCat("the chain ends at ", Identified(top), ", whose issuer ",
                       Quoted(top.info.issuer),
                       " is neither sent nor trusted; ", trust.description));
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return MakeFinding(
          "CHAIN_UNTRUSTED_ISSUER",
          absl::StrCat(failed_text, ": ", reason, "; ", trust.description));
    default:
      return MakeFinding(
          "CHAIN_VERIFY_FAILED",
          absl::StrCat("OpenSSL: ", reason, " (error ", verification.error,
                       ") at ", failed_text));
  }
}

// Expired intermediates among those clients use: the verified path's, else
// the ones sent on the leaf's path.
void ExpiredIntermediateFindings(const Verification& verification,
                                 const std::vector<const Cert*>& unique,
                                 const Path& path, const TrustStore& trust,
                                 absl::Time now, std::vector<Finding>& out) {
  std::vector<X509*> intermediates;
  if (verification.ok) {
    for (size_t i = 1; i < verification.chain.size(); ++i) {
      intermediates.push_back(verification.chain[i].get());
    }
  } else {
    for (size_t i = 1; i < path.certs.size(); ++i) {
      intermediates.push_back(path.certs[i]->x509.get());
    }
  }
  for (X509* cert : intermediates) {
    if (X509_self_signed(cert, /*verify_signature=*/0) == 1) continue;
    const Cert* presented = Presented(cert, unique);
    const std::optional<CertificateInfo> info =
        presented != nullptr ? presented->info : InfoOf(cert);
    if (!info || now <= info->not_after) continue;
    out.push_back(MakeFinding(
        "INTERMEDIATE_EXPIRED",
        absl::StrCat("the intermediate ", DescribeUsed(cert, unique, trust),
                     " expired on ", Rfc3339(info->not_after), ", ",
                     Days(now - info->not_after), " ago")));
  }
}

void TrustFindings(const Cert& leaf, const std::vector<const Cert*>& unique,
                   const Path& path, const ChainRuleOptions& options,
                   std::vector<Finding>& out) {
  const TrustStore trust = BuildTrustStore(options);
  const Verification verification = Verify(trust, leaf, unique);
  if (verification.ok) {
    out.push_back(VerifiedFinding(verification, unique, trust));
  } else if (std::optional<Finding> failure =
                 FailureFinding(verification, leaf, unique, path, trust)) {
    out.push_back(*std::move(failure));
  }
  ExpiredIntermediateFindings(verification, unique, path, trust, options.now,
                              out);
}

std::optional<std::string> CanonicalIp(absl::string_view text) {
  const std::string address(text);
  unsigned char bytes[16];
  char canonical[INET6_ADDRSTRLEN] = {};
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, address.c_str(), bytes) == 1 &&
        inet_ntop(family, bytes, canonical, sizeof(canonical)) != nullptr) {
      return std::string(canonical);
    }
  }
  return std::nullopt;
}

std::vector<std::string> CommonNames(X509* cert) {
  std::vector<std::string> names;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(
        &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    if (length < 0) continue;
    names.emplace_back(reinterpret_cast<char*>(utf8),
                       static_cast<size_t>(length));
    OPENSSL_free(utf8);
  }
  return names;
}

// Why the wildcards listed do not cover `domain`, where that is the
// surprise ("*.example.com" covers neither example.com nor a.b.example.com).
std::string WildcardHint(const std::vector<std::string>& dns_names,
                         const std::string& domain) {
  for (const std::string& name : dns_names) {
    if (!absl::StartsWith(name, "*.")) continue;
    const absl::string_view base = absl::string_view(name).substr(2);
    if (domain == base) {
      return absl::StrCat("; ", name, " does not cover ", domain, " itself");
    }
    if (absl::EndsWith(domain, absl::StrCat(".", base))) {
      return absl::StrCat("; ", name,
                          " stands for exactly one label, so it does not "
                          "cover ",
                          domain);
    }
  }
  return "";
}

std::vector<Finding> NamesOf(const CertificateInfo& info, X509* cert,
                             absl::string_view expected) {
  std::vector<Finding> out;
  std::string domain = absl::AsciiStrToLower(expected);
  if (absl::EndsWith(domain, ".")) domain.pop_back();
  const std::string leaf = absl::StrCat("the leaf ", Quoted(info.subject));

  std::vector<std::string> sans;
  for (const std::string& name : info.dns_names) {
    sans.push_back(absl::StrCat("DNS:", name));
  }
  for (const std::string& ip : info.ip_addresses) {
    sans.push_back(absl::StrCat("IP:", ip));
  }

  if (sans.empty()) {
    const std::vector<std::string> common_names = CommonNames(cert);
    for (const std::string& cn : common_names) {
      if (pki::CertificateNameCovers(cn, domain)) {
        out.push_back(MakeFinding(
            "CERT_CN_ONLY",
            absl::StrCat(leaf, " has no subjectAltName; ", domain,
                         " is only its Common Name (CN=", cn, ")")));
        return out;
      }
    }
    out.push_back(
        MakeFinding("CERT_NO_SAN",
                    absl::StrCat(leaf,
                                 " has no DNS or IP subjectAltName; its Common "
                                 "Name is ",
                                 common_names.empty()
                                     ? "absent"
                                     : absl::StrJoin(common_names, ", "))));
    out.push_back(MakeFinding(
        "HOSTNAME_MISMATCH",
        absl::StrCat(domain, " is not covered: ", leaf,
                     " names no domain in subjectAltName, and clients "
                     "ignore the Common Name")));
    return out;
  }

  std::optional<std::string> covering;
  if (std::optional<std::string> ip = CanonicalIp(domain)) {
    for (const std::string& address : info.ip_addresses) {
      if (CanonicalIp(address) == ip) covering = absl::StrCat("IP:", address);
    }
  } else {
    for (const std::string& name : info.dns_names) {
      if (pki::CertificateNameCovers(name, domain)) {
        covering = absl::StrCat("DNS:", name);
        break;
      }
    }
  }
  if (covering) {
    out.push_back(MakeFinding(
        "HOSTNAME_MATCH",
        absl::StrCat(domain, " is covered by ", *covering, " of ", leaf)));
  } else {
    out.push_back(MakeFinding(
        "HOSTNAME_MISMATCH",
        absl::StrCat(domain, " is not covered by the subjectAltName of ", leaf,
                     ": ", absl::StrJoin(sans, ", "),
                     WildcardHint(info.dns_names, domain))));
  }
  return out;
}

Finding DateFinding(const Cert& leaf, absl::Time now) {
  const CertificateInfo& info = leaf.info;
  const std::string who = absl::StrCat("the leaf ", Quoted(info.subject));
  const std::string at = absl::StrCat(" (now ", Rfc3339(now), ")");
  if (now < info.not_before) {
    return MakeFinding(
        "CERT_NOT_YET_VALID",
        absl::StrCat(who, " is valid from ", Rfc3339(info.not_before), ", in ",
                     Days(info.not_before - now), at));
  }
  if (now > info.not_after) {
    return MakeFinding(
        "CERT_EXPIRED",
        absl::StrCat(who, " expired on ", Rfc3339(info.not_after), ", ",
                     Days(now - info.not_after), " ago", at));
  }
  const absl::Duration left = info.not_after - now;
  const std::string evidence =
      absl::StrCat(who, " expires on ", Rfc3339(info.not_after), ": ",
                   Days(left), " left", at);
  if (left <= absl::Hours(24 * 30)) {
    return MakeFinding("CERT_EXPIRES_SOON_30", evidence);
  }
  if (left <= absl::Hours(24 * 60)) {
    return MakeFinding("CERT_EXPIRES_SOON_60", evidence);
  }
  return MakeFinding("CERT_VALIDITY_OK", evidence);
}

bool IsWeakDigest(int digest_nid) {
  return digest_nid == NID_sha1 || digest_nid == NID_md5 ||
         digest_nid == NID_md4 || digest_nid == NID_md2 ||
         digest_nid == NID_mdc2;
}

std::optional<std::string> MissingServerAuth(X509* leaf) {
  ExtendedKeyUsagePtr usages(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(leaf, NID_ext_key_usage, nullptr, nullptr)));
  if (usages == nullptr) return std::nullopt;
  std::vector<std::string> names;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    const ASN1_OBJECT* usage = sk_ASN1_OBJECT_value(usages.get(), i);
    const int nid = OBJ_obj2nid(usage);
    if (nid == NID_server_auth || nid == NID_anyExtendedKeyUsage) {
      return std::nullopt;
    }
    if (nid != NID_undef) {
      names.emplace_back(OBJ_nid2sn(nid));  // "clientAuth", as openssl.cnf
      continue;
    }
    char oid[80] = {};
    OBJ_obj2txt(oid, sizeof(oid), usage, /*no_name=*/1);
    names.emplace_back(oid);
  }
  return absl::StrJoin(names, ", ");
}

void KeyAndSignatureFindings(const Cert& leaf, const Path& path,
                             std::vector<Finding>& out) {
  for (const Cert* cert : path.certs) {
    // A root's own signature and form are the client's business: it uses
    // its stored copy.
    if (cert != &leaf && cert->info.self_signed) continue;
    const CertificateInfo& info = cert->info;
    if (info.key_type == "RSA" && info.key_bits < 2048) {
      out.push_back(MakeFinding("KEY_TOO_SMALL",
                                absl::StrCat(Named(*cert), " has an RSA ",
                                             info.key_bits, "-bit key")));
    }
    const int signature_nid = X509_get_signature_nid(cert->x509.get());
    int digest_nid = NID_undef;
    if (!info.self_signed &&
        OBJ_find_sigid_algs(signature_nid, &digest_nid, nullptr) == 1 &&
        IsWeakDigest(digest_nid)) {
      out.push_back(MakeFinding(
          "SIGNATURE_WEAK",
          absl::StrCat(Named(*cert), " is signed with ",
                       OBJ_nid2ln(signature_nid), " (", OBJ_nid2sn(digest_nid),
                       ") by ", Quoted(info.issuer))));
    }
    if (info.version != 3) {
      out.push_back(
          MakeFinding("CERT_NOT_V3",
                      absl::StrCat(Named(*cert), " is X.509 v", info.version)));
    }
  }
  if (std::optional<std::string> usages = MissingServerAuth(leaf.x509.get())) {
    out.push_back(MakeFinding(
        "EKU_SERVER_AUTH_MISSING",
        absl::StrCat(Named(leaf),
                     " allows only: ", usages->empty() ? "nothing" : *usages)));
  }
}

}  // namespace

size_t LeafPosition(const std::vector<CertificateInfo>& chain) {
  if (chain.empty() || !chain[0].is_ca) return 0;
  for (size_t i = 1; i < chain.size(); ++i) {
    if (!chain[i].is_ca) return i;
  }
  return 0;
}

std::vector<Finding> NameFindings(absl::string_view leaf_pem,
                                  absl::string_view domain) {
  ErrorQueueGuard error_guard;
  PresentedChain chain = ParsePresented({std::string(leaf_pem)});
  if (chain.certs.empty()) return std::move(chain.unreadable);
  const Cert& leaf = chain.certs.front();
  return NamesOf(leaf.info, leaf.x509.get(), domain);
}

std::vector<Finding> ChainFindings(const std::vector<std::string>& chain_pem,
                                   const ChainRuleOptions& options) {
  ErrorQueueGuard error_guard;
  PresentedChain chain = ParsePresented(chain_pem);
  std::vector<Finding> out = std::move(chain.unreadable);
  if (chain.certs.empty()) return out;

  std::vector<CertificateInfo> infos;
  for (const Cert& cert : chain.certs) infos.push_back(cert.info);
  const Cert& leaf = chain.certs[LeafPosition(infos)];

  const Structure structure = StructureFindings(chain.certs, leaf, out);
  TrustFindings(leaf, structure.unique, structure.path, options, out);
  if (!options.expected_domain.empty()) {
    for (Finding& finding :
         NamesOf(leaf.info, leaf.x509.get(), options.expected_domain)) {
      out.push_back(std::move(finding));
    }
  }
  out.push_back(DateFinding(leaf, options.now));
  KeyAndSignatureFindings(leaf, structure.path, out);
  return out;
}

}  // namespace certferry::diagnose
