#include "targets/file_target.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/command_runner.h"
#include "common/status_macros.h"
#include "pki/certificate_bundle.h"

namespace certferry::targets {
namespace {

constexpr mode_t kDirectoryMode = 0750;
constexpr mode_t kChainMode = 0644;
constexpr mode_t kKeyMode = 0600;
constexpr off_t kMaxFileBytes = 1 << 20;

absl::Status ErrnoStatus(int error, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EIO:
    case EAGAIN:
    case EINTR:
      return absl::UnavailableError(message);
    default:
      // Permissions, read-only file systems, missing parents: the target's
      // configuration or host needs fixing before a retry can help.
      return absl::FailedPreconditionError(message);
  }
}

struct Ownership {
  uid_t uid = static_cast<uid_t>(-1);  // -1: unchanged
  gid_t gid = static_cast<gid_t>(-1);
};

std::optional<uid_t> LookUpUser(const std::string& name) {
  struct passwd entry;
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) !=
          0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->pw_uid;
}

std::optional<gid_t> LookUpGroup(const std::string& name) {
  struct group entry;
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  if (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) !=
          0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

absl::StatusOr<Ownership> ResolveOwnership(const FileTargetConfig& config) {
  Ownership ids;
  if (!config.owner.empty()) {
    auto uid = LookUpUser(config.owner);
    if (!uid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "owner: no user named \"", config.owner,
          "\" on this host; create the user or leave owner empty"));
    }
    ids.uid = *uid;
  }
  if (!config.group.empty()) {
    auto gid = LookUpGroup(config.group);
    if (!gid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group: no group named \"", config.group,
          "\" on this host; create the group or leave group empty"));
    }
    ids.gid = *gid;
  }
  return ids;
}

absl::Status ValidateFileName(const std::string& name, absl::string_view field,
                              absl::string_view example) {
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", name,
        "\" is not a plain file name; give a name such as ", example,
        " without '/' (the file is placed in directory)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCommand(const std::vector<std::string>& argv,
                             absl::string_view field) {
  if (argv.empty()) return absl::OkStatus();
  auto resolved = ResolveExecutable(argv[0]);
  if (!resolved.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, "[0]: ", resolved.status().message(),
        "; give the absolute path of an executable or a program on PATH (the "
        "command runs without a shell)"));
  }
  return absl::OkStatus();
}

std::string Quote(const std::vector<std::string>& argv) {
  return absl::StrCat("`", absl::StrJoin(argv, " "), "`");
}

// One of the two managed files: its content, or nullopt when absent.
using FileState = std::optional<SecretString>;

absl::StatusOr<FileState> ReadFileIfPresent(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return FileState();
    return ErrnoStatus(errno, absl::StrCat("reading ", path));
  }
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("reading ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a regular file; remove it or choose another name"));
  }
  if (st.st_size > kMaxFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is ", st.st_size,
                     " bytes, more than a PEM chain or key can be; check "
                     "that the target points at the right files"));
  }
  std::string content;
  content.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (true) {
    if (done == content.size()) {
      if (done > static_cast<size_t>(kMaxFileBytes)) {
        SecretString wipe(std::move(content));
        return absl::FailedPreconditionError(
            absl::StrCat(path, " grew past 1 MiB while being read"));
      }
      content.resize(done + 4096);
    }
    const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      SecretString wipe(std::move(content));
      return ErrnoStatus(errno, absl::StrCat("reading ", path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return FileState(SecretString(std::move(content)));
}

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", directory));
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) {
    return ErrnoStatus(error, absl::StrCat("fsync of ", directory));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "write");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Replaces directory/name with `content` so that a reader sees the old or
// the new file, never a partial one, and the file never has a wider mode
// than `mode` (it is created with it; fchmod makes it exact despite umask).
absl::Status WriteFileAtomically(const std::string& directory,
                                 const std::string& name,
                                 const std::string& content, mode_t mode,
                                 const Ownership& ids) {
  const std::string path = absl::StrCat(directory, "/", name);
  absl::BitGen random;
  std::string temp_path;
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
    temp_path = absl::StrFormat("%s/.%s.certferry-%016x", directory, name,
                                absl::Uniform<uint64_t>(random));
    fd = ::open(temp_path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("creating a file in ", directory));
  }
  bool renamed = false;
  absl::Cleanup remove_temp = [&] {
    if (fd >= 0) ::close(fd);
    if (!renamed) ::unlink(temp_path.c_str());
  };
  if (::fchmod(fd, mode) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting the mode of ", path));
  }
  if ((ids.uid != static_cast<uid_t>(-1) ||
       ids.gid != static_cast<gid_t>(-1)) &&
      ::fchown(fd, ids.uid, ids.gid) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting the owner of ", path));
  }
  if (absl::Status written = WriteAll(fd, content); !written.ok()) {
    return WithContext(written, absl::StrCat("writing ", path));
  }
  if (::fsync(fd) != 0) {
    return ErrnoStatus(errno, absl::StrCat("fsync of ", path));
  }
  const int close_result = ::close(fd);
  fd = -1;
  if (close_result != 0) {
    return ErrnoStatus(errno, absl::StrCat("closing ", path));
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("renaming into ", path));
  }
  renamed = true;
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing ", path));
  }
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& directory,
                             const Ownership& ids) {
  struct stat st;
  if (::stat(directory.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "directory: ", directory, " exists and is not a directory"));
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("directory ", directory));
  }
  if (::mkdir(directory.c_str(), kDirectoryMode) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, absl::StrCat("creating directory ", directory));
  }
  if (::chmod(directory.c_str(), kDirectoryMode) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting the mode of ", directory));
  }
  if ((ids.uid != static_cast<uid_t>(-1) ||
       ids.gid != static_cast<gid_t>(-1)) &&
      ::chown(directory.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoStatus(errno, absl::StrCat("setting the owner of ", directory));
  }
  const size_t slash = directory.find_last_of('/');
  return SyncDirectory(slash == 0 ? "/" : directory.substr(0, slash));
}

std::string TrimmedOutput(const std::string& output) {
  return std::string(absl::StripAsciiWhitespace(output));
}

struct CommandRun {
  absl::Status status;  // OK when the command exited 0
  std::string output;
};

CommandRun RunConfiguredCommand(const std::vector<std::string>& argv,
                                absl::string_view field,
                                absl::Duration timeout) {
  auto result = RunCommand(argv, timeout);
  if (!result.ok()) {
    return {absl::FailedPreconditionError(
                absl::StrCat(field, " ", Quote(argv),
                             " could not run: ", result.status().message())),
            ""};
  }
  std::string output = TrimmedOutput(result->output);
  if (result->Succeeded()) return {absl::OkStatus(), std::move(output)};
  std::string message =
      absl::StrCat(field, " ", Quote(argv), " failed: ", result->Describe());
  if (result->timed_out) {
    absl::StrAppend(&message, " after ", absl::FormatDuration(timeout));
  }
  absl::StrAppend(&message, "; output: ",
                  output.empty() ? "(none)" : absl::StrCat("\"", output, "\""));
  return {result->timed_out ? absl::DeadlineExceededError(message)
                            : absl::FailedPreconditionError(message),
          std::move(output)};
}

}  // namespace

std::string LeafSha256(const std::string& chain_pem) {
  static constexpr char kBegin[] = "-----BEGIN CERTIFICATE-----";
  static constexpr char kEnd[] = "-----END CERTIFICATE-----";
  const size_t begin = chain_pem.find(kBegin);
  if (begin == std::string::npos) return "";
  const size_t end = chain_pem.find(kEnd, begin);
  if (end == std::string::npos) return "";
  // Only the first block, so a broken intermediate does not hide the leaf.
  auto leaf =
      pki::ParseCertificateChain(absl::string_view(chain_pem).substr(
                                     begin, end + sizeof(kEnd) - 1 - begin),
                                 "chain");
  if (!leaf.ok() || leaf->empty()) return "";
  return (*leaf)[0].sha256_fingerprint;
}

absl::Status ValidateFileTargetConfig(const FileTargetConfig& config) {
  if (config.directory.empty() || config.directory[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("directory: \"", config.directory,
                     "\" is not an absolute path; give the full path, e.g. "
                     "/etc/nginx/certs/example.com"));
  }
  CF_RETURN_IF_ERROR(
      ValidateFileName(config.chain_file, "chain_file", "fullchain.pem"));
  CF_RETURN_IF_ERROR(
      ValidateFileName(config.key_file, "key_file", "privkey.pem"));
  if (config.chain_file == config.key_file) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_file: \"", config.key_file,
                     "\" is also chain_file; give the key its own file"));
  }
  CF_RETURN_IF_ERROR(ResolveOwnership(config).status());
  CF_RETURN_IF_ERROR(ValidateCommand(config.check_command, "check_command"));
  CF_RETURN_IF_ERROR(ValidateCommand(config.reload_command, "reload_command"));
  if (config.reload_timeout <= absl::ZeroDuration() ||
      config.reload_timeout > kMaxReloadTimeout) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reload_timeout: ", absl::FormatDuration(config.reload_timeout),
        " is out of range; give a duration above 0 and at most ",
        absl::FormatDuration(kMaxReloadTimeout)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileTarget>> FileTarget::Create(
    FileTargetConfig config) {
  CF_RETURN_IF_ERROR(ValidateFileTargetConfig(config));
  return std::unique_ptr<FileTarget>(new FileTarget(std::move(config)));
}

namespace {

struct FilePair {
  FileState chain;
  FileState key;
};

absl::StatusOr<FilePair> ReadPair(const FileTargetConfig& config) {
  FilePair pair;
  CF_ASSIGN_OR_RETURN(
      pair.chain, ReadFileIfPresent(
                      absl::StrCat(config.directory, "/", config.chain_file)));
  CF_ASSIGN_OR_RETURN(pair.key, ReadFileIfPresent(absl::StrCat(
                                    config.directory, "/", config.key_file)));
  return pair;
}

absl::Status WriteOne(const FileTargetConfig& config, const std::string& name,
                      const FileState& state, mode_t mode,
                      const Ownership& ids) {
  if (!state) return RemoveFile(absl::StrCat(config.directory, "/", name));
  return WriteFileAtomically(config.directory, name, state->Reveal(), mode,
                             ids);
}

absl::Status WritePair(const FileTargetConfig& config, const FilePair& pair,
                       const Ownership& ids) {
  CF_RETURN_IF_ERROR(
      WriteOne(config, config.chain_file, pair.chain, kChainMode, ids));
  CF_RETURN_IF_ERROR(
      WriteOne(config, config.key_file, pair.key, kKeyMode, ids));
  return SyncDirectory(config.directory);
}

// `failure` after the previous files were put back: same code, unless
// putting them back failed, which leaves the target in an unknown state.
absl::Status AfterRestore(const absl::Status& failure,
                          const absl::Status& restored,
                          const std::string& directory,
                          absl::string_view extra = "") {
  if (!restored.ok()) {
    return absl::InternalError(absl::StrCat(
        failure.message(), "; restoring the previous files also failed (",
        restored.message(), "), so the files in ", directory,
        " are in an unknown state: inspect them and deploy again"));
  }
  return absl::Status(
      failure.code(),
      absl::StrCat(failure.message(), "; the previous files were restored",
                   extra));
}

}  // namespace

absl::StatusOr<TargetContents> FileTarget::ReadCurrent() {
  CF_ASSIGN_OR_RETURN(FilePair pair, ReadPair(config_));
  TargetContents contents;
  contents.empty = !pair.chain && !pair.key;
  if (pair.chain) {
    contents.chain_pem = pair.chain->Reveal();
    contents.leaf_sha256 = LeafSha256(contents.chain_pem);
  }
  if (pair.key) contents.private_key_pem = *std::move(pair.key);
  return contents;
}

absl::StatusOr<ApplyOutcome> FileTarget::Apply(const TargetContents& contents) {
  CF_ASSIGN_OR_RETURN(Ownership ids, ResolveOwnership(config_));
  CF_RETURN_IF_ERROR(EnsureDirectory(config_.directory, ids));
  CF_ASSIGN_OR_RETURN(FilePair previous, ReadPair(config_));

  FilePair wanted;
  if (!contents.empty) {
    if (!contents.chain_pem.empty())
      wanted.chain = SecretString(contents.chain_pem);
    if (!contents.private_key_pem.empty())
      wanted.key = contents.private_key_pem;
  }
  if (absl::Status written = WritePair(config_, wanted, ids); !written.ok()) {
    return AfterRestore(written, WritePair(config_, previous, ids),
                        config_.directory);
  }

  ApplyOutcome outcome;
  if (!config_.check_command.empty()) {
    CommandRun check = RunConfiguredCommand(
        config_.check_command, "check_command", config_.reload_timeout);
    // The server has not been told about the new files, so putting the old
    // ones back is all it takes.
    if (!check.status.ok()) {
      return AfterRestore(check.status, WritePair(config_, previous, ids),
                          config_.directory);
    }
    outcome.output = check.output;
  }
  if (!config_.reload_command.empty()) {
    CommandRun reload = RunConfiguredCommand(
        config_.reload_command, "reload_command", config_.reload_timeout);
    if (!reload.status.ok()) {
      const absl::Status restored = WritePair(config_, previous, ids);
      if (!restored.ok()) {
        return AfterRestore(reload.status, restored, config_.directory);
      }
      CommandRun again = RunConfiguredCommand(
          config_.reload_command, "reload_command", config_.reload_timeout);
      return AfterRestore(
          reload.status, restored, config_.directory,
          again.status.ok() ? " and reloaded"
                            : absl::StrCat(", but reloading them failed too: ",
                                           again.status.message()));
    }
    if (!reload.output.empty()) {
      if (!outcome.output.empty()) outcome.output.append("\n");
      outcome.output.append(reload.output);
    }
  }
  return outcome;
}

}  // namespace certferry::targets
