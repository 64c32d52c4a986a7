#include "common/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace certferry {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// Appends what `fd` has now (non-blocking) to `result`, keeping at most
// kMaxCommandOutputBytes. Returns false at end of file or on error.
bool DrainAvailable(int fd, std::string* output, size_t* dropped) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      const size_t room = kMaxCommandOutputBytes - output->size();
      const size_t keep = std::min(room, static_cast<size_t>(n));
      output->append(buffer, keep);
      *dropped += static_cast<size_t>(n) - keep;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

}  // namespace

std::string CommandResult::Describe() const {
  if (timed_out) return "timed out and was killed";
  if (signaled) return absl::StrCat("killed by signal ", signal);
  return absl::StrCat("exit status ", exit_code);
}

absl::StatusOr<std::string> ResolveExecutable(const std::string& program) {
  if (program.empty()) {
    return absl::InvalidArgumentError("program name is empty");
  }
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), F_OK) != 0) {
      return absl::NotFoundError(absl::StrCat(program, " does not exist"));
    }
    if (!IsExecutableFile(program)) {
      return absl::FailedPreconditionError(
          absl::StrCat(program, " is not an executable file"));
    }
    return program;
  }
  const char* path = ::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", program);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(program, " is not on PATH"));
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("command is empty");
  auto executable = ResolveExecutable(argv[0]);
  if (!executable.ok()) return executable.status();
  const absl::Time deadline = absl::Now() + timeout;

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  int read_fd = pipe_fds[0];
  absl::Cleanup close_read = [&read_fd] {
    if (read_fd >= 0) ::close(read_fd);
  };

  // posix_spawn rather than fork: safe in a multi-threaded process and it
  // reports exec failures as its return value.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills everything the command started.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attr, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attr, &signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> c_argv;
  for (const auto& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawn_error = ::posix_spawn(&pid, executable->c_str(), &actions,
                                        &attr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pipe_fds[1]);
  if (spawn_error != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot execute ", *executable, ": ", std::strerror(spawn_error)));
  }

  ::fcntl(read_fd, F_SETFL, ::fcntl(read_fd, F_GETFL) | O_NONBLOCK);
  const int pid_fd = OpenPidFd(pid);
  absl::Cleanup close_pid_fd = [pid_fd] {
    if (pid_fd >= 0) ::close(pid_fd);
  };

  CommandResult result;
  size_t dropped = 0;
  int wait_status = 0;
  bool reaped = false;
  while (true) {
    const pid_t waited = ::waitpid(pid, &wait_status, WNOHANG);
    if (waited == pid) {
      reaped = true;
      break;
    }
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) break;
    pollfd fds[2];
    int count = 0;
    if (read_fd >= 0) fds[count++] = {read_fd, POLLIN, 0};
    if (pid_fd >= 0) fds[count++] = {pid_fd, POLLIN, 0};
    // Without a pidfd, exit is noticed by polling waitpid every 20 ms.
    absl::Duration wait = remaining;
    if (pid_fd < 0) wait = std::min(wait, absl::Milliseconds(20));
    const int ready = ::poll(fds, count,
                             static_cast<int>(std::max<int64_t>(
                                 1, absl::ToInt64Milliseconds(wait))));
    if (ready < 0 && errno != EINTR) break;
    if (read_fd >= 0 && !DrainAvailable(read_fd, &result.output, &dropped)) {
      ::close(read_fd);
      read_fd = -1;
    }
  }
  if (!reaped) {
    result.timed_out = true;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &wait_status, 0);
  }
  // Whatever the command wrote before it ended; a background child still
  // holding the pipe does not keep us waiting.
  if (read_fd >= 0) DrainAvailable(read_fd, &result.output, &dropped);
  if (dropped > 0) {
    absl::StrAppend(&result.output, "\n[", dropped, " more bytes not shown]");
  }
  if (!result.timed_out) {
    if (WIFEXITED(wait_status)) {
      result.exited = true;
      result.exit_code = WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
      result.signaled = true;
      result.signal = WTERMSIG(wait_status);
    }
  }
  return result;
}

}  // namespace certferry
