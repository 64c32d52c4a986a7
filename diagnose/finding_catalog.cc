#include "diagnose/finding_catalog.h"

namespace certferry::diagnose {
namespace {

using S = Severity;

std::vector<CatalogEntry> BuildCatalog() {
  return {
      // --- DNS ---
      {"DNS_RESOLVED", S::kInfo, "The host name resolves", "", {}},
      {"DNS_NO_ADDRESS",
       S::kCritical,
       "The host name does not resolve",
       "DNS_PROBE_FINISHED_NXDOMAIN",
       {"Check the name for typos.",
        "Create the A/AAAA (or CNAME) record at the DNS provider and wait "
        "for its TTL."}},
      {"DNS_ADDRESS_MISMATCH",
       S::kHigh,
       "The host name resolves to another address than expected",
       "",
       {"Point the A/AAAA record at the expected address (the load balancer "
        "or server the certificate was deployed to).",
        "Clients may cache the old answer until the record's TTL runs out."}},

      // --- TCP ---
      {"PORT_REACHABLE", S::kOk, "The port accepts connections", "", {}},
      {"PORT_REFUSED",
       S::kCritical,
       "The connection is refused: nothing listens on the port",
       "NET::ERR_CONNECTION_REFUSED",
       {"Start the server or listener (e.g. `listen 443 ssl;` in nginx, "
        "then `nginx -s reload`).",
        "Check the port number the service is published on."}},
      {"PORT_UNREACHABLE",
       S::kCritical,
       "The connection times out: packets to the port are dropped",
       "NET::ERR_CONNECTION_TIMED_OUT",
       {"Open the port (443) in the security group / firewall for the "
        "clients' addresses.",
        "Check that the load balancer listener forwards to a healthy "
        "backend."}},

      // --- TLS handshake ---
      {"TLS_HANDSHAKE_FAILED",
       S::kCritical,
       "The TLS handshake fails",
       "NET::ERR_SSL_PROTOCOL_ERROR",
       {"Check that the port serves TLS (not plain HTTP) and that the server "
        "has a certificate and key configured for this name (SNI).",
        "Read the server's error log for the handshake failure."}},

      // --- Trust ---
      {"CHAIN_TRUSTED", S::kOk, "The chain verifies to a trusted root", "", {}},
      {"CHAIN_INCOMPLETE",
       S::kHigh,
       "The server does not send the intermediate certificate(s)",
       "NET::ERR_CERT_AUTHORITY_INVALID",
       {"Android, Java and curl clients fail here even when a desktop "
        "browser fetches the intermediate itself.",
        "Serve one PEM file with the server certificate first, then the "
        "intermediate certificate(s) (nginx: ssl_certificate fullchain.pem).",
        "Reload the server."}},
      {"CHAIN_WRONG_ORDER",
       S::kMedium,
       "The chain is not in order (leaf, then each issuer)",
       "",
       {"Put the server certificate first and each issuer after the "
        "certificate it signed.",
        "Reload the server."}},
      {"CHAIN_UNRELATED_CERT",
       S::kLow,
       "The chain contains a certificate that does not belong to it",
       "",
       {"Remove the unrelated certificate from the served PEM file.",
        "Reload the server."}},
      {"CHAIN_DUPLICATE_CERT",
       S::kLow,
       "The chain contains the same certificate twice",
       "",
       {"Remove the duplicate from the served PEM file.",
        "Reload the server."}},
      {"CHAIN_ROOT_SENT",
       S::kInfo,
       "The server sends the root certificate too",
       "",
       {"Harmless but wasteful: clients use their own copy of the root; it "
        "can be left out of the served chain."}},
      {"CERT_SELF_SIGNED",
       S::kCritical,
       "The certificate is self-signed",
       "NET::ERR_CERT_AUTHORITY_INVALID",
       {"Issue a certificate from a public CA (or the built-in CA, with its "
        "root distributed to the clients) for the exact domain.",
        "Deploy it with its intermediate certificate(s)."}},
      {"CHAIN_UNTRUSTED_ISSUER",
       S::kCritical,
       "The chain ends at an issuer the client does not trust",
       "NET::ERR_CERT_AUTHORITY_INVALID",
       {"Use a certificate from a CA the clients trust.",
        "For a private CA, install its root on the clients (or pass it with "
        "--ca to check against it)."}},
      {"CHAIN_SIGNATURE_INVALID",
       S::kCritical,
       "A certificate's signature does not verify with its issuer's key",
       "NET::ERR_CERT_INVALID",
       {"Serve the intermediate that actually issued the certificate "
        "(download it from the CA again).",
        "Reload the server."}},
      {"CHAIN_VERIFY_FAILED",
       S::kCritical,
       "The chain fails verification",
       "NET::ERR_CERT_INVALID",
       {"The evidence gives OpenSSL's reason and the certificate it names "
        "(e.g. an intermediate that is not a CA certificate).",
        "Serve the server certificate with the intermediate(s) exactly as the "
        "CA issued them; re-issue a certificate that is itself malformed."}},
      {"INTERMEDIATE_EXPIRED",
       S::kCritical,
       "An intermediate certificate in the chain has expired",
       "NET::ERR_CERT_DATE_INVALID",
       {"Download the CA's current intermediate and serve it instead.",
        "Reload the server."}},

      // --- Names ---
      {"HOSTNAME_MATCH",
       S::kOk,
       "The certificate covers the expected domain",
       "",
       {}},
      {"HOSTNAME_MISMATCH",
       S::kCritical,
       "The certificate does not cover the domain clients use",
       "NET::ERR_CERT_COMMON_NAME_INVALID",
       {"Re-issue the certificate for the exact FQDN (a wildcard covers one "
        "label only: *.example.com does not cover example.com or "
        "a.b.example.com).",
        "Check that the server selects this certificate for the name (SNI: "
        "server_name in nginx)."}},
      {"CERT_CN_ONLY",
       S::kHigh,
       "The domain is only in the Common Name; browsers ignore it there",
       "NET::ERR_CERT_COMMON_NAME_INVALID",
       {"Re-issue the certificate with the domain in subjectAltName (every "
        "CA does this by default)."}},
      {"CERT_NO_SAN",
       S::kHigh,
       "The certificate has no subjectAltName",
       "NET::ERR_CERT_COMMON_NAME_INVALID",
       {"Re-issue the certificate with a subjectAltName for each domain."}},

      // --- Dates ---
      {"CERT_VALIDITY_OK",
       S::kOk,
       "The certificate is valid for more than 60 days",
       "",
       {}},
      {"CERT_EXPIRED",
       S::kCritical,
       "The certificate has expired",
       "NET::ERR_CERT_DATE_INVALID",
       {"Renew or re-issue the certificate and deploy it.",
        "Set up automatic renewal (certferry renews before expiry)."}},
      {"CERT_NOT_YET_VALID",
       S::kCritical,
       "The certificate is not valid yet",
       "NET::ERR_CERT_DATE_INVALID",
       {"Check the server's and the clients' clocks (NTP).",
        "Serve the previous certificate until this one's notBefore."}},
      {"CERT_EXPIRES_SOON_30",
       S::kHigh,
       "The certificate expires within 30 days",
       "",
       {"Renew the certificate now and deploy it."}},
      {"CERT_EXPIRES_SOON_60",
       S::kMedium,
       "The certificate expires within 60 days",
       "",
       {"Plan the renewal; check that automatic renewal is set up."}},

      // --- Key and signature ---
      {"KEY_TOO_SMALL",
       S::kHigh,
       "The key is too small (RSA under 2048 bits)",
       "NET::ERR_CERT_WEAK_KEY",
       {"Re-issue with an RSA 2048+ or ECDSA P-256 key."}},
      {"SIGNATURE_WEAK",
       S::kHigh,
       "A certificate is signed with SHA-1 or MD5",
       "NET::ERR_CERT_WEAK_SIGNATURE_ALGORITHM",
       {"Re-issue the certificate (every CA signs with SHA-256 today).",
        "Replace a SHA-1 intermediate with the CA's current one."}},
      {"EKU_SERVER_AUTH_MISSING",
       S::kHigh,
       "The certificate is not allowed for TLS servers (no serverAuth in "
       "extendedKeyUsage)",
       "NET::ERR_CERT_INVALID",
       {"Re-issue the certificate as a TLS server certificate "
        "(extendedKeyUsage serverAuth)."}},
      {"CERT_NOT_V3",
       S::kHigh,
       "The certificate is not X.509 version 3",
       "NET::ERR_CERT_INVALID",
       {"Re-issue the certificate; v1 certificates cannot carry "
        "subjectAltName or basicConstraints."}},

      // --- Protocols ---
      {"PROTOCOL_SSL3",
       S::kCritical,
       "SSLv3 is accepted (POODLE)",
       "",
       {"Disable SSLv3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;)."}},
      {"PROTOCOL_TLS1_0",
       S::kMedium,
       "TLS 1.0 is accepted",
       "",
       {"Disable TLS 1.0 (nginx: ssl_protocols TLSv1.2 TLSv1.3;); browsers "
        "removed it in 2020."}},
      {"PROTOCOL_TLS1_1",
       S::kMedium,
       "TLS 1.1 is accepted",
       "",
       {"Disable TLS 1.1 (nginx: ssl_protocols TLSv1.2 TLSv1.3;)."}},
      {"PROTOCOL_TLS1_2_MISSING",
       S::kMedium,
       "TLS 1.2 is not offered; older clients cannot connect",
       "",
       {"Enable TLS 1.2 next to TLS 1.3 (nginx: ssl_protocols TLSv1.2 "
        "TLSv1.3;)."}},
      {"PROTOCOL_TLS1_3_MISSING",
       S::kLow,
       "TLS 1.3 is not offered",
       "",
       {"Enable TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;) for faster, "
        "safer handshakes."}},
      {"PROTOCOL_MODERN_MISSING",
       S::kHigh,
       "Neither TLS 1.2 nor TLS 1.3 is offered",
       "NET::ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
       {"Enable TLS 1.2 and TLS 1.3 (nginx: ssl_protocols TLSv1.2 "
        "TLSv1.3;)."}},
      {"PROTOCOL_UNTESTABLE",
       S::kInfo,
       "A protocol version could not be tested from here",
       "",
       {"This host's OpenSSL cannot speak it; test from a client that "
        "can (e.g. an older openssl build) if it matters."}},

      // --- Ciphers ---
      {"WEAK_CIPHER",
       S::kHigh,
       "A weak cipher suite is accepted",
       "",
       {"Restrict the cipher list to forward-secret AEAD suites (nginx: "
        "ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20; "
        "ssl_prefer_server_ciphers off;).",
        "Reload the server."}},
      {"CIPHER_NO_FORWARD_SECRECY",
       S::kLow,
       "Cipher suites without forward secrecy (RSA key exchange) are "
       "accepted",
       "",
       {"Offer only ECDHE/DHE key exchange (nginx: ssl_ciphers "
        "ECDHE+AESGCM:ECDHE+CHACHA20;)."}},
      {"CIPHER_CLASS_UNTESTABLE",
       S::kInfo,
       "A cipher class could not be tested from here",
       "",
       {"This host's OpenSSL no longer implements it, so it cannot offer "
        "it to the server."}},

      // --- OCSP and HSTS ---
      {"OCSP_STAPLED", S::kOk, "An OCSP response is stapled", "", {}},
      {"OCSP_STAPLING_MISSING",
       S::kLow,
       "No OCSP response is stapled",
       "",
       {"Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify "
        "on; with a resolver), so clients need not ask the CA."}},
      {"HSTS_PRESENT", S::kOk, "HSTS is set with a long max-age", "", {}},
      {"HSTS_MISSING",
       S::kLow,
       "No Strict-Transport-Security header",
       "",
       {"Add `add_header Strict-Transport-Security \"max-age=31536000\" "
        "always;` once HTTPS works everywhere on the domain."}},
      {"HSTS_MAX_AGE_SHORT",
       S::kLow,
       "HSTS max-age is under 180 days",
       "",
       {"Raise max-age to at least 15552000 (180 days); 31536000 is "
        "usual."}},

      // --- Deployed vs served ---
      {"SERVED_AS_DEPLOYED",
       S::kOk,
       "The endpoint serves the deployed certificate",
       "",
       {}},
      {"SERVED_NOT_DEPLOYED",
       S::kHigh,
       "The endpoint serves another certificate than the one deployed",
       "",
       {"Reload or restart the server so it reads the new files (nginx -s "
        "reload), and check that every backend behind the load balancer "
        "got the deployment.",
        "Check that the server's configuration points at the deployed files "
        "(ssl_certificate / ssl_certificate_key).",
        "Clear the CDN or load balancer certificate if it terminates TLS "
        "in front of the server."}},

      // --- Offline bundle ---
      {"CERT_UNREADABLE",
       S::kCritical,
       "No certificate can be read",
       "",
       {"Give the certificate chain as PEM, leaf first: one -----BEGIN "
        "CERTIFICATE----- block per certificate, each copied whole.",
        "The evidence says what the text holds instead (a private key, a "
        "CSR, a PKCS#12 archive, a truncated block)."}},
      {"PEM_ORDER_WRONG",
       S::kMedium,
       "The PEM blocks are not in order (leaf, then each issuer)",
       "",
       {"Put the server certificate first, then the intermediate(s): cat "
        "server.crt intermediate.crt > fullchain.pem."}},
      {"DER_NOT_PEM",
       S::kHigh,
       "The file is DER (binary), not PEM",
       "",
       {"Convert it: openssl x509 -inform der -in cert.der -out cert.pem "
        "(keys: openssl pkey -inform der -in key.der -out key.pem)."}},
      {"KEY_MISMATCH",
       S::kCritical,
       "The private key does not belong to the certificate",
       "",
       {"Compare the public-key digests: openssl x509 -in cert.pem -noout "
        "-pubkey | openssl sha256 and openssl pkey -in key.pem -pubout | "
        "openssl sha256 must match.",
        "Find the key generated with this certificate's CSR, or re-issue."}},
      {"KEY_ENCRYPTED",
       S::kHigh,
       "The private key is encrypted with a passphrase",
       "",
       {"Servers reloading unattended need it unencrypted: openssl pkey -in "
        "key.pem -out key-plain.pem, and keep the file mode 0600."}},
      {"KEY_MISSING",
       S::kCritical,
       "No private key was found",
       "",
       {"Give the PEM private key that belongs to the certificate."}},
      {"FILE_MISSING",
       S::kCritical,
       "A file the server reads is missing",
       "",
       {"Deploy the certificate to the target again."}},
      {"FILE_UNREADABLE",
       S::kCritical,
       "A file cannot be read",
       "",
       {"Fix the owner and mode so the server's user can read it "
        "(certificate 0644, key 0600 owned by the server's user)."}},
      {"KEY_FILE_TOO_OPEN",
       S::kHigh,
       "The private key file is readable by other users",
       "",
       {"chmod 0600 the key file (or 0640 with the server's group)."}},

      // --- The diagnosis itself ---
      {"CHECK_INCOMPLETE",
       S::kInfo,
       "A check did not finish, so its result is unknown",
       "",
       {"Run the diagnosis again with a longer deadline: a slow or busy "
        "server, or packet loss, can make one probe miss it.",
        "If the same check keeps failing, the server may stall or drop that "
        "kind of handshake (e.g. old protocol versions); read its error "
        "log."}},
  };
}

}  // namespace

const std::vector<CatalogEntry>& FindingCatalog() {
  static const std::vector<CatalogEntry>* catalog =
      new std::vector<CatalogEntry>(BuildCatalog());
  return *catalog;
}

std::optional<CatalogEntry> FindCatalogEntry(absl::string_view id) {
  for (const CatalogEntry& entry : FindingCatalog()) {
    if (id == entry.id) return entry;
  }
  return std::nullopt;
}

Finding MakeFinding(absl::string_view id, std::string evidence,
                    std::optional<Severity> severity) {
  Finding finding;
  finding.id = std::string(id);
  finding.evidence = std::move(evidence);
  std::optional<CatalogEntry> entry = FindCatalogEntry(id);
  if (!entry) {
    finding.title = "finding not in the catalog (a certferry bug)";
    return finding;
  }
  finding.severity = severity.value_or(entry->severity);
  finding.title = entry->title;
  finding.browser_error = entry->browser_error;
  for (const char* step : entry->remedy) finding.remedy.emplace_back(step);
  return finding;
}

}  // namespace certferry::diagnose
