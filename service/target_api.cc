#include "service/target_api.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "mapping/certificate_info.h"
#include "pki/names.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/deployment_repository.h"
#include "targets/target_config.h"

namespace certferry::service {
namespace {

constexpr int kMaxDomains = 100;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

// The typed configuration a FileTargetConfig message asks for, checked by
// the file target's own rules (paths, programs on this host, owner/group).
absl::StatusOr<targets::FileTargetConfig> FileConfigFrom(
    const v1::FileTargetConfig& c) {
  targets::FileTargetConfig config;
  config.directory = c.directory();
  if (!c.chain_file().empty()) config.chain_file = c.chain_file();
  if (!c.key_file().empty()) config.key_file = c.key_file();
  config.owner = c.owner();
  config.group = c.group();
  config.check_command.assign(c.check_command().begin(),
                              c.check_command().end());
  config.reload_command.assign(c.reload_command().begin(),
                               c.reload_command().end());
  if (c.has_command_timeout()) {
    config.reload_timeout = absl::Seconds(c.command_timeout().seconds());
  }
  absl::Status valid = targets::ValidateFileTargetConfig(config);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("target.file.", valid.message()));
  }
  return config;
}

std::string EncodePageToken(const std::string& last) {
  return absl::WebSafeBase64Escape(absl::StrCat("t1\n", last));
}

absl::StatusOr<std::string> DecodePageToken(const std::string& token) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.rfind("t1\n", 0) != 0) {
    return absl::InvalidArgumentError(
        "page_token: not a token from ListTargets; pass next_page_token "
        "unchanged");
  }
  return raw.substr(3);
}

}  // namespace

v1::Target ToProto(const model::Target& t) {
  v1::Target out;
  out.set_id(t.id);
  out.set_name(t.name);
  out.set_kind(t.kind);
  if (t.kind == "file") {
    absl::StatusOr<targets::FileTargetConfig> file =
        targets::FileTargetConfigFromJson(t.config_json);
    if (file.ok()) {
      v1::FileTargetConfig* f = out.mutable_file();
      f->set_directory(file->directory);
      f->set_chain_file(file->chain_file);
      f->set_key_file(file->key_file);
      f->set_owner(file->owner);
      f->set_group(file->group);
      for (const auto& arg : file->check_command) f->add_check_command(arg);
      for (const auto& arg : file->reload_command) f->add_reload_command(arg);
      f->mutable_command_timeout()->set_seconds(
          absl::ToInt64Seconds(file->reload_timeout));
    }
  }
  if (t.kind == "cas") {
    absl::StatusOr<targets::CasResourceTargetConfig> cas =
        targets::CasResourceTargetConfigFromJson(t.config_json);
    if (cas.ok()) {
      out.mutable_cas()->set_resource_id(cas->resource_id);
      out.mutable_cas()->set_contact_id(cas->contact_id);
    }
  }
  if (t.kind == "airec") {
    absl::StatusOr<targets::AirecTargetConfig> airec =
        targets::AirecTargetConfigFromJson(t.config_json);
    if (airec.ok()) {
      out.mutable_airec()->set_instance_id(airec->instance_id);
      out.mutable_airec()->set_skip_https_enforcement(!airec->enforce_https);
    }
  }
  for (const std::string& d : t.domains) out.add_domains(d);
  if (!t.verify_host.empty()) {
    out.mutable_verify_endpoint()->set_host(t.verify_host);
    out.mutable_verify_endpoint()->set_port(t.verify_port);
    out.mutable_verify_endpoint()->set_sni(t.verify_sni);
  }
  ToProto(t.create_time, out.mutable_create_time());
  return out;
}

absl::StatusOr<v1::Target> TargetApi::CreateTarget(
    const v1::CreateTargetRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::Target> result = CreateOrRefuse(r, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, "CreateTarget",
                      absl::StrCat("targets/", r.target().name()), "",
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::Target> TargetApi::CreateOrRefuse(
    const v1::CreateTargetRequest& r, const CallInfo& call) {
  const v1::Target& t = r.target();
  CF_RETURN_IF_ERROR(ValidateResourceName("target.name", t.name()));
  storage::NewTarget target;
  target.name = t.name();
  const std::string kind = !t.kind().empty() ? t.kind()
                           : t.has_cas()     ? "cas"
                           : t.has_airec()   ? "airec"
                                             : "file";
  if (kind == "file") {
    if (!t.has_file()) {
      return absl::InvalidArgumentError(
          "target.file: required for a file target (directory, "
          "reload_command)");
    }
    CF_ASSIGN_OR_RETURN(targets::FileTargetConfig file,
                        FileConfigFrom(t.file()));
    target.config_json = targets::FileTargetConfigToJson(file);
  } else if (kind == "cas") {
    if (!t.has_cas()) {
      return absl::InvalidArgumentError(
          "target.cas: required for a CAS target (resource_id, contact_id)");
    }
    if (t.cas().resource_id() <= 0) {
      return absl::InvalidArgumentError(
          "target.cas.resource_id: give the resource's Id from CAS "
          "ListCloudResources");
    }
    if (t.cas().contact_id() <= 0) {
      return absl::InvalidArgumentError(
          "target.cas.contact_id: give a CAS contact id (ListContact); CAS "
          "notifies it of deployment jobs");
    }
    targets::CasResourceTargetConfig cas;
    cas.resource_id = t.cas().resource_id();
    cas.contact_id = t.cas().contact_id();
    target.config_json = targets::CasResourceTargetConfigToJson(cas);
  } else if (kind == "airec") {
    if (!t.has_airec()) {
      return absl::InvalidArgumentError(
          "target.airec: required for an AIRec target (instance_id)");
    }
    const std::string& id = t.airec().instance_id();
    if (id.empty() || id.size() > 64 ||
        id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
            std::string::npos) {
      return absl::InvalidArgumentError(
          "target.airec.instance_id: give the AIRec instance id, e.g. "
          "airec-cn-abc123 (lower-case letters, digits and '-')");
    }
    // AIRec maps exact domains: each must pass certificate_info.xlsx's row
    // rules (no wildcard, scheme, slash, trailing dot, upper case).
    std::vector<mapping::MappingRow> rows;
    for (int i = 0; i < t.domains_size(); ++i) {
      mapping::MappingRow row;
      row.row = i;
      row.domain = t.domains(i);
      row.certificate_id = "-";
      rows.push_back(std::move(row));
    }
    const std::vector<mapping::MappingIssue> issues =
        mapping::ValidateMappingRows(rows, {});
    if (!issues.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("target.domains[", issues.front().row,
                       "]: ", issues.front().problem));
    }
    targets::AirecTargetConfig airec;
    airec.instance_id = id;
    airec.enforce_https = !t.airec().skip_https_enforcement();
    target.config_json = targets::AirecTargetConfigToJson(airec);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("target.kind: '", t.kind(),
                     "' is not supported; use \"file\", \"cas\" or \"airec\""));
  }
  target.kind = kind;
  if (t.domains().empty()) {
    return absl::InvalidArgumentError(
        "target.domains: give the DNS names the target serves; a deployed "
        "certificate must cover each");
  }
  if (t.domains_size() > kMaxDomains) {
    return absl::InvalidArgumentError(
        absl::StrCat("target.domains: at most ", kMaxDomains));
  }
  for (int i = 0; i < t.domains_size(); ++i) {
    CF_RETURN_IF_ERROR(pki::ValidateCertificateName(
        absl::StrCat("target.domains[", i, "]"), t.domains(i)));
    target.domains.push_back(pki::NormalizeCertificateName(t.domains(i)));
  }
  if (t.has_verify_endpoint()) {
    const v1::VerifyEndpoint& e = t.verify_endpoint();
    if (e.host().empty()) {
      return absl::InvalidArgumentError(
          "target.verify_endpoint.host: required, e.g. 127.0.0.1 or "
          "www.example.com");
    }
    if (e.port() < 0 || e.port() > 65535) {
      return absl::InvalidArgumentError(
          "target.verify_endpoint.port: must be 1-65535 (0 means 443)");
    }
    target.verify_host = e.host();
    target.verify_port = e.port() == 0 ? 443 : e.port();
    target.verify_sni = e.sni().empty() ? target.domains.front() : e.sni();
    if (absl::StartsWith(target.verify_sni, "*.")) {
      target.verify_sni = absl::StrCat("www", target.verify_sni.substr(1));
    }
  }
  CF_ASSIGN_OR_RETURN(
      model::Target created,
      db_.RunInTransaction<model::Target>(
          "create_target",
          [&](storage::Transaction& tx) -> absl::StatusOr<model::Target> {
            absl::StatusOr<model::Target> existing =
                storage::DeploymentRepository::GetTargetByName(tx, t.name());
            if (existing.ok()) {
              return absl::AlreadyExistsError(absl::StrCat(
                  "target.name: '", t.name(),
                  "' is taken; choose another name or delete that target"));
            }
            CF_ASSIGN_OR_RETURN(
                model::Target created,
                storage::DeploymentRepository::CreateTarget(tx, target));
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, "CreateTarget",
                        absl::StrCat("targets/", created.name), "",
                        absl::OkStatus(),
                        absl::StrCat(created.kind, " target for ",
                                     absl::StrJoin(created.domains, ",")))}));
            return created;
          }));
  LogInfo(absl::StrCat("created target name=", created.name,
                       " kind=", created.kind, " actor=", call.actor));
  return ToProto(created);
}

absl::StatusOr<v1::Target> TargetApi::GetTarget(const v1::GetTargetRequest& r) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", r.name()));
  CF_ASSIGN_OR_RETURN(
      model::Target target,
      db_.RunInTransaction<model::Target>(
          "get_target", [&](storage::Transaction& tx) {
            return storage::DeploymentRepository::GetTargetByName(tx, r.name());
          }));
  return ToProto(target);
}

absl::StatusOr<v1::ListTargetsResponse> TargetApi::ListTargets(
    const v1::ListTargetsRequest& r) {
  if (r.page_size() < 0 || r.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        "page_size: must be between 1 and 1000 (0 means 50)");
  }
  const int page_size = r.page_size() == 0 ? kDefaultPageSize : r.page_size();
  CF_ASSIGN_OR_RETURN(std::string after, DecodePageToken(r.page_token()));
  CF_ASSIGN_OR_RETURN(std::vector<model::Target> rows,
                      db_.RunInTransaction<std::vector<model::Target>>(
                          "list_targets", [&](storage::Transaction& tx) {
                            return storage::DeploymentRepository::ListTargets(
                                tx, after, page_size + 1);
                          }));
  v1::ListTargetsResponse out;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(page_size);
       ++i) {
    *out.add_targets() = ToProto(rows[i]);
  }
  if (rows.size() > static_cast<size_t>(page_size)) {
    out.set_next_page_token(EncodePageToken(rows[page_size - 1].name));
  }
  return out;
}

absl::StatusOr<v1::DeleteTargetResponse> TargetApi::DeleteTarget(
    const v1::DeleteTargetRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::DeleteTargetResponse> result = DeleteOrRefuse(r, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, "DeleteTarget",
                      absl::StrCat("targets/", r.name()), "", result.status());
  }
  return result;
}

absl::StatusOr<v1::DeleteTargetResponse> TargetApi::DeleteOrRefuse(
    const v1::DeleteTargetRequest& r, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", r.name()));
  CF_RETURN_IF_ERROR(db_.RunInTransaction(
      "delete_target", [&](storage::Transaction& tx) -> absl::Status {
        CF_ASSIGN_OR_RETURN(
            model::Target target,
            storage::DeploymentRepository::GetTargetByName(tx, r.name()));
        CF_ASSIGN_OR_RETURN(
            std::vector<int64_t> unfinished,
            storage::DeploymentRepository::UnfinishedDeployments(tx,
                                                                 target.id));
        if (!unfinished.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "target '", r.name(), "' has an unfinished deployment ",
              unfinished.front(), "; wait for it or cancel its operation"));
        }
        CF_RETURN_IF_ERROR(
            storage::DeploymentRepository::DeleteTarget(tx, target.id));
        return storage::AuditRepository::Append(
            tx, {AuditEventFor(call, "DeleteTarget",
                               absl::StrCat("targets/", r.name()), "",
                               absl::OkStatus(), "deleted; history kept")});
      }));
  LogInfo(
      absl::StrCat("deleted target name=", r.name(), " actor=", call.actor));
  return v1::DeleteTargetResponse();
}

}  // namespace certferry::service
