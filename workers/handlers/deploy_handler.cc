#include "workers/handlers/deploy_handler.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "diagnose/finding_catalog.h"
#include "diagnose/finding_json.h"
#include "diagnose/rules/chain_rules.h"
#include "issuers/certificate_authorities.h"
#include "notify/notifications.h"
#include "pki/certificate_bundle.h"
#include "storage/audit_repository.h"
#include "storage/certificate_authority_repository.h"
#include "storage/certificate_repository.h"
#include "storage/deployment_repository.h"
#include "storage/private_key_repository.h"
#include "storage/revocation_repository.h"
#include "targets/endpoint_probe.h"

namespace certferry::workers {
namespace {

using model::DeploymentState;

// An audit event for a deployment reaching `state`.
storage::NewAuditEvent DeploymentEvent(const model::Deployment& d,
                                       DeploymentState state,
                                       const std::string& summary) {
  storage::NewAuditEvent event;
  event.actor = "system";
  event.action = absl::StrCat("deployment.", model::DeploymentStateName(state));
  event.resource = absl::StrCat("deployments/", d.id);
  event.request_id = d.request_id;
  event.outcome =
      state == DeploymentState::kFailed ? "FAILED_PRECONDITION" : "ok";
  event.summary =
      absl::StrCat(d.kind, " to target ", d.target_name, ": ", summary);
  return event;
}

std::string Truncated(std::string text, size_t limit = 4096) {
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

}  // namespace

absl::StatusOr<std::string> DeployHandler::Run(JobContext& context) {
  CF_ASSIGN_OR_RETURN(
      std::vector<model::Deployment> deployments,
      db_.RunInTransaction<std::vector<model::Deployment>>(
          "deployments_of_job", [&](storage::Transaction& tx) {
            return storage::DeploymentRepository::DeploymentsOfJob(
                tx, context.id());
          }));
  if (deployments.empty()) {
    return absl::FailedPreconditionError("the operation has no deployments");
  }
  int failed = 0;
  std::string first_failure;
  for (size_t i = 0; i < deployments.size(); ++i) {
    const model::Deployment& d = deployments[i];
    context.ReportProgress(absl::StrCat("deployment ", i + 1, " of ",
                                        deployments.size(), " (target ",
                                        d.target_name, ")"));
    if (d.state == DeploymentState::kQueued ||
        d.state == DeploymentState::kRunning ||
        d.state == DeploymentState::kVerifying) {
      if (context.cancel_requested()) {
        return absl::CancelledError(
            absl::StrCat("cancelled before deployment ", d.id, " to target ",
                         d.target_name, "; deployments before it are done"));
      }
      CF_RETURN_IF_ERROR(RunDeployment(context, d));
    }
  }
  // Re-read: the outcome of every deployment, including earlier attempts'.
  CF_ASSIGN_OR_RETURN(
      deployments, db_.RunInTransaction<std::vector<model::Deployment>>(
                       "deployments_of_job", [&](storage::Transaction& tx) {
                         return storage::DeploymentRepository::DeploymentsOfJob(
                             tx, context.id());
                       }));
  for (const model::Deployment& d : deployments) {
    if (d.state == DeploymentState::kFailed) {
      if (failed++ == 0) {
        first_failure = absl::StrCat("target ", d.target_name, ": ", d.error);
      }
    }
  }
  if (failed > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(failed, " of ", deployments.size(),
                     " deployments failed; ", first_failure));
  }
  return std::string("{}");
}

absl::Status DeployHandler::RunDeployment(JobContext& context,
                                          const model::Deployment& d) {
  (void)context;
  // Claim the target, or let the job retry while another deployment has it.
  CF_ASSIGN_OR_RETURN(
      model::Target target,
      db_.RunInTransaction<model::Target>(
          "claim_target",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Target> {
            CF_ASSIGN_OR_RETURN(
                int64_t holder,
                storage::DeploymentRepository::ClaimTarget(
                    tx, d.target_id, d.id, config_.target_claim));
            if (holder != d.id) {
              return absl::UnavailableError(absl::StrCat(
                  "target ", d.target_name, " is busy with deployment ", holder,
                  "; this deployment waits its turn"));
            }
            CF_RETURN_IF_ERROR(storage::DeploymentRepository::SetState(
                tx, d.id, DeploymentState::kRunning, "", ""));
            CF_ASSIGN_OR_RETURN(
                model::Target target,
                storage::DeploymentRepository::GetTargetById(tx, d.target_id));
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx,
                {DeploymentEvent(d, DeploymentState::kRunning,
                                 absl::StrCat("attempt ", d.attempts + 1))}));
            return target;
          }));
  absl::Cleanup release = [&] {
    absl::Status released =
        db_.RunInTransaction("release_target", [&](storage::Transaction& tx) {
          return storage::DeploymentRepository::ReleaseTarget(tx, d.target_id,
                                                              d.id);
        });
    if (!released.ok()) {
      LogWarning(absl::StrCat("deployment ", d.id,
                              ": releasing the target failed (its claim runs "
                              "out): ",
                              released.message()));
    }
  };

  // Ends the deployment in `state`, with its audit event and notices.
  auto finish = [&](DeploymentState state, const std::string& error,
                    const std::string& evidence, bool auto_rolled_back) {
    return db_.RunInTransaction(
        "finish_deployment", [&](storage::Transaction& tx) -> absl::Status {
          CF_RETURN_IF_ERROR(storage::DeploymentRepository::SetState(
              tx, d.id, state, error, Truncated(evidence), auto_rolled_back));
          std::vector<storage::NewAuditEvent> events{DeploymentEvent(
              d, state,
              state == DeploymentState::kSucceeded
                  ? absl::StrCat("serves ", d.contents.leaf_sha256.empty()
                                                ? "nothing"
                                                : d.contents.leaf_sha256)
                  : Truncated(error, 512))};
          // Notices commit with the state change they announce: none is
          // lost, none is sent for a change that did not commit.
          if (state == DeploymentState::kFailed) {
            CF_RETURN_IF_ERROR(
                notify::EnqueueNotification(
                    tx, notify::DeploymentFailed(d, Truncated(error, 1024),
                                                 auto_rolled_back))
                    .status());
          }
          if (state == DeploymentState::kSucceeded && d.rolls_back_id != 0) {
            CF_RETURN_IF_ERROR(storage::DeploymentRepository::SetState(
                tx, d.rolls_back_id, DeploymentState::kRolledBack, "",
                absl::StrCat("rolled back by deployment ", d.id)));
            model::Deployment undone = d;
            undone.id = d.rolls_back_id;
            undone.kind = "deployment";
            events.push_back(DeploymentEvent(
                undone, DeploymentState::kRolledBack,
                absl::StrCat("rolled back by deployment ", d.id)));
            CF_ASSIGN_OR_RETURN(
                undone,
                storage::DeploymentRepository::GetDeployment(tx, undone.id));
            CF_RETURN_IF_ERROR(
                notify::EnqueueNotification(
                    tx, notify::DeploymentRolledBack(undone, d.id))
                    .status());
          }
          return storage::AuditRepository::Append(tx, events);
        });
  };

  // The version may have been revoked after the deployment was queued.
  if (!d.contents.certificate_id.empty()) {
    CF_ASSIGN_OR_RETURN(std::optional<model::Revocation> revoked,
                        db_.RunAutocommit<std::optional<model::Revocation>>(
                            "find_revocation", [&](storage::Transaction& tx) {
                              return storage::RevocationRepository::Find(
                                  tx, d.contents.certificate_id,
                                  d.contents.certificate_version);
                            }));
    if (revoked) {
      return finish(DeploymentState::kFailed,
                    absl::StrCat("certificate ", d.contents.certificate_id,
                                 " version ", d.contents.certificate_version,
                                 " was ", model::DescribeRevocation(*revoked),
                                 "; a revoked certificate is not deployed, "
                                 "and the target keeps what it had"),
                    "", false);
    }
  }

  CF_ASSIGN_OR_RETURN(std::unique_ptr<targets::DeployTarget> deploy_target,
                      make_target_(target));

  // What the target holds now is what a rollback puts back; recorded once,
  // before anything changes (a re-run would find its own contents).
  model::DeployedContents previous = d.previous;
  if (!d.previous_recorded) {
    CF_ASSIGN_OR_RETURN(targets::TargetContents found,
                        deploy_target->ReadCurrent());
    CF_ASSIGN_OR_RETURN(previous, Describe(found));
    CF_RETURN_IF_ERROR(db_.RunInTransaction(
        "record_previous", [&](storage::Transaction& tx) -> absl::Status {
          if (!previous.key_id.empty()) {
            // Contents certferry did not put there: keep them, sealed, so a
            // rollback can restore them.
            CF_ASSIGN_OR_RETURN(
                pki::SealedSecret sealed,
                keys_.Seal(found.private_key_pem,
                           issuers::PrivateKeyAad(previous.key_id)));
            model::EncryptedPrivateKey key;
            key.id = previous.key_id;
            key.kek_id = sealed.kek_id;
            key.nonce = sealed.nonce;
            key.ciphertext = sealed.ciphertext;
            CF_RETURN_IF_ERROR(storage::PrivateKeyRepository::Insert(tx, key));
          }
          return storage::DeploymentRepository::RecordPrevious(tx, d.id,
                                                               previous);
        }));
  }

  CF_ASSIGN_OR_RETURN(targets::TargetContents wanted, Materialise(d.contents));
  absl::StatusOr<targets::ApplyOutcome> applied =
      absl::UnimplementedError("not undone by the target");
  if (d.kind == "rollback") {
    // The target's own undo when it has one and recorded how (CAS: the
    // worker-level rollback); else the previous contents are applied.
    CF_ASSIGN_OR_RETURN(
        model::Deployment undone,
        db_.RunInTransaction<model::Deployment>(
            "get_undone", [&](storage::Transaction& tx) {
              return storage::DeploymentRepository::GetDeployment(
                  tx, d.rolls_back_id);
            }));
    if (!undone.undo_record.empty()) {
      applied = deploy_target->Undo(undone.undo_record);
    }
  }
  if (absl::IsUnimplemented(applied.status())) {
    applied = deploy_target->Apply(wanted);
  }
  if (applied.ok() && !applied->undo_record.empty()) {
    CF_RETURN_IF_ERROR(
        db_.RunInTransaction("set_undo_record", [&](storage::Transaction& tx) {
          return storage::DeploymentRepository::SetUndoRecord(
              tx, d.id, applied->undo_record);
        }));
  }
  if (!applied.ok()) {
    if (absl::IsUnavailable(applied.status())) return applied.status();
    return finish(DeploymentState::kFailed,
                  absl::StrCat("applying failed; the target keeps what it "
                               "had: ",
                               applied.status().message()),
                  "", false);
  }

  const bool verify = d.verify && !target.verify_host.empty() &&
                      !d.contents.empty && !d.contents.leaf_sha256.empty();
  if (verify) {
    CF_RETURN_IF_ERROR(db_.RunInTransaction(
        "verifying", [&](storage::Transaction& tx) -> absl::Status {
          CF_RETURN_IF_ERROR(storage::DeploymentRepository::SetState(
              tx, d.id, DeploymentState::kVerifying, "", applied->output));
          return storage::AuditRepository::Append(
              tx, {DeploymentEvent(
                      d, DeploymentState::kVerifying,
                      absl::StrCat("applied; verifying ", target.verify_host,
                                   ":", target.verify_port))});
        }));
    targets::VerifyEndpoint endpoint{target.verify_host, target.verify_port,
                                     target.verify_sni};
    absl::StatusOr<targets::ServedCertificate> served =
        VerifyServed(endpoint, d.contents.leaf_sha256);
    // What the handshake saw, diagnosed by the same rules as
    // DiagnoseEndpoint, is kept with the deployment either way.
    CF_RETURN_IF_ERROR(RecordFindings(d, target, endpoint, served));
    if (!served.ok()) {
      const std::string evidence = std::string(served.status().message());
      std::string error = absl::StrCat(
          "verification failed: ", target.verify_host, ":", target.verify_port,
          " (SNI ", target.verify_sni,
          ") does not serve the deployed certificate ", d.contents.leaf_sha256);
      bool rolled_back = false;
      if (d.auto_rollback) {
        absl::StatusOr<targets::TargetContents> old = Materialise(previous);
        absl::StatusOr<targets::ApplyOutcome> restored =
            old.ok() ? deploy_target->Apply(*old)
                     : absl::StatusOr<targets::ApplyOutcome>(old.status());
        rolled_back = restored.ok();
        absl::StrAppend(&error,
                        rolled_back
                            ? "; rolled back automatically to what the "
                              "target had before"
                            : absl::StrCat("; automatic rollback failed too: ",
                                           restored.status().message()));
      }
      return finish(DeploymentState::kFailed, error, evidence, rolled_back);
    }
  }
  return finish(DeploymentState::kSucceeded, "", applied->output, false);
}

absl::Status DeployHandler::RecordFindings(
    const model::Deployment& d, const model::Target& target,
    const targets::VerifyEndpoint& endpoint,
    const absl::StatusOr<targets::ServedCertificate>& verified) {
  // A failed verification says why in its error; look once more so the
  // findings describe what is served now.
  absl::StatusOr<targets::ServedCertificate> served = verified;
  if (!served.ok()) {
    served = targets::FetchServedCertificate(endpoint,
                                             config_.verify_connect_timeout);
  }
  std::vector<diagnose::Finding> findings;
  if (!served.ok()) {
    findings.push_back(diagnose::MakeFinding(
        "TLS_HANDSHAKE_FAILED", absl::StrCat(endpoint.host, ":", endpoint.port,
                                             ": ", served.status().message())));
  } else {
    diagnose::ChainRuleOptions options;
    options.expected_domain =
        !endpoint.sni.empty()
            ? endpoint.sni
            : (target.domains.empty() ? "" : target.domains.front());
    // Certificates from the built-in CA are trusted by the clients a
    // platform team deploys them for; their roots count as trusted here.
    CF_ASSIGN_OR_RETURN(options.extra_trust_pem, BuiltInRootsPem());
    std::vector<std::string> chain;
    for (const targets::ServedChainEntry& entry : served->chain) {
      chain.push_back(entry.pem);
    }
    findings = diagnose::ChainFindings(chain, options);
    if (served->leaf_sha256 == d.contents.leaf_sha256) {
      findings.push_back(diagnose::MakeFinding(
          "SERVED_AS_DEPLOYED", absl::StrCat("serves ", served->leaf_sha256)));
    } else {
      findings.push_back(diagnose::MakeFinding(
          "SERVED_NOT_DEPLOYED",
          absl::StrCat("serves ", served->leaf_sha256, " (",
                       served->chain.empty() ? "" : served->chain[0].subject,
                       "), deployed ", d.contents.leaf_sha256)));
    }
  }
  diagnose::SortWorstFirst(findings);
  return db_.RunInTransaction(
      "set_deployment_findings", [&](storage::Transaction& tx) {
        return storage::DeploymentRepository::SetFindings(
            tx, d.id, diagnose::FindingsToJson(findings));
      });
}

absl::StatusOr<std::string> DeployHandler::BuiltInRootsPem() {
  return db_.RunInTransaction<std::string>(
      "list_certificate_authorities",
      [&](storage::Transaction& tx) -> absl::StatusOr<std::string> {
        CF_ASSIGN_OR_RETURN(std::vector<model::CertificateAuthority> cas,
                            storage::CertificateAuthorityRepository::List(tx));
        std::string roots;
        for (const model::CertificateAuthority& ca : cas) {
          if (ca.parent_id.empty()) absl::StrAppend(&roots, ca.chain_pem);
        }
        return roots;
      });
}

absl::StatusOr<targets::ServedCertificate> DeployHandler::VerifyServed(
    const targets::VerifyEndpoint& endpoint, const std::string& leaf_sha256) {
  // A reloading server runs old and new workers side by side for a while
  // (nginx's old workers finish their connections first), so one matching
  // handshake can be followed by the old certificate. Verified means
  // `verify_consecutive` matching handshakes in a row.
  const absl::Time deadline = absl::Now() + config_.verify_deadline;
  while (true) {
    absl::StatusOr<targets::ServedCertificate> served =
        targets::WaitForServedLeaf(
            endpoint, leaf_sha256,
            std::max(deadline - absl::Now(), absl::ZeroDuration()),
            config_.verify_retry_interval);
    if (!served.ok()) {
      if (absl::IsFailedPrecondition(served.status())) return served;
      // The last try ran out of time or could not connect: look once more,
      // so the evidence says what the endpoint serves.
      absl::StatusOr<targets::ServedCertificate> now =
          targets::FetchServedCertificate(endpoint,
                                          config_.verify_connect_timeout);
      return absl::Status(
          served.status().code(),
          absl::StrCat(
              served.status().message(), "; served now: ",
              now.ok()
                  ? absl::StrCat(
                        now->leaf_sha256, " (",
                        now->chain.empty() ? "" : now->chain[0].subject, ")")
                  : std::string(now.status().message())));
    }
    bool consistent = true;
    for (int i = 1; i < config_.verify_consecutive && consistent; ++i) {
      absl::StatusOr<targets::ServedCertificate> again =
          targets::FetchServedCertificate(endpoint,
                                          config_.verify_connect_timeout);
      consistent = again.ok() && again->leaf_sha256 == served->leaf_sha256;
    }
    if (consistent) return served;
    if (absl::Now() >= deadline) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the endpoint served ", leaf_sha256,
          " but not consistently: other handshakes saw another certificate "
          "until the deadline"));
    }
  }
}

absl::StatusOr<model::DeployedContents> DeployHandler::Describe(
    const targets::TargetContents& found) {
  model::DeployedContents out;
  if (found.empty) {
    out.empty = true;
    return out;
  }
  out.leaf_sha256 = found.leaf_sha256;
  if (!found.leaf_sha256.empty()) {
    using KnownVersion = std::optional<std::pair<std::string, int>>;
    CF_ASSIGN_OR_RETURN(
        KnownVersion known,
        db_.RunInTransaction<KnownVersion>(
            "find_version_by_fingerprint", [&](storage::Transaction& tx) {
              return storage::DeploymentRepository::FindVersionByFingerprint(
                  tx, found.leaf_sha256);
            }));
    if (known) {
      out.certificate_id = known->first;
      out.certificate_version = known->second;
      return out;
    }
  }
  // Contents certferry did not put there. Some targets (AIRec) only report
  // the fingerprint: recorded as such, they cannot be put back.
  if (found.chain_pem.empty()) return out;
  out.chain_pem = found.chain_pem;
  out.key_id = NewUuid();
  return out;
}

absl::StatusOr<targets::TargetContents> DeployHandler::Materialise(
    const model::DeployedContents& contents) {
  targets::TargetContents out;
  if (contents.empty) return out;  // out.empty is true
  out.empty = false;
  out.leaf_sha256 = contents.leaf_sha256;
  model::EncryptedPrivateKey key;
  if (!contents.certificate_id.empty()) {
    CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                        db_.RunInTransaction<model::Certificate>(
                            "get_certificate", [&](storage::Transaction& tx) {
                              return storage::CertificateRepository::Get(
                                  tx, contents.certificate_id,
                                  contents.certificate_version);
                            }));
    out.chain_pem = certificate.version.chain_pem;
    CF_ASSIGN_OR_RETURN(
        key, db_.RunInTransaction<model::EncryptedPrivateKey>(
                 "get_private_key", [&](storage::Transaction& tx) {
                   return storage::CertificateRepository::GetPrivateKey(
                       tx, contents.certificate_id,
                       contents.certificate_version);
                 }));
  } else {
    if (contents.key_id.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the target held ", contents.leaf_sha256,
          ", which certferry did not put there and the target does not hand "
          "back; deploy a certificate instead of rolling back"));
    }
    out.chain_pem = contents.chain_pem;
    CF_ASSIGN_OR_RETURN(key,
                        db_.RunInTransaction<model::EncryptedPrivateKey>(
                            "get_private_key", [&](storage::Transaction& tx) {
                              return storage::PrivateKeyRepository::Get(
                                  tx, contents.key_id);
                            }));
  }
  CF_ASSIGN_OR_RETURN(out.private_key_pem,
                      keys_.Open({key.kek_id, key.nonce, key.ciphertext},
                                 issuers::PrivateKeyAad(key.id)));
  return out;
}

}  // namespace certferry::workers
