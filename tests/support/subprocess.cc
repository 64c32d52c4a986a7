#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/wait_for.h"

extern char** environ;

namespace certferry::testing {

absl::StatusOr<Subprocess> Subprocess::Start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env) {
  static std::atomic<int> counter{0};
  const std::string output_path =
      absl::StrCat(::testing::TempDir(), "subprocess-", getpid(), "-",
                   counter.fetch_add(1), ".log");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (env.count(key) == 0) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : env) {
    env_strings.push_back(absl::StrCat(key, "=", value));
  }
  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  const int fd =
      ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::InternalError("cannot create " + output_path);
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(fd);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // Unblock signals the parent may have blocked (gtest does not, but a
    // test runner might).
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    ::close(fd);
    // Nothing is ever typed into a child: a program that reads its input
    // (openssl s_client) sees end-of-file instead of waiting on the
    // runner's terminal.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      ::close(null_fd);
    }
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  ::close(fd);
  return Subprocess(pid, output_path);
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(other.pid_),
      exited_(other.exited_),
      output_path_(std::move(other.output_path_)) {
  other.pid_ = -1;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string Subprocess::Output() const {
  std::ifstream in(output_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void Subprocess::Signal(int signal_number) const {
  if (pid_ > 0 && !exited_) kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const bool done =
      WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout,
              absl::Milliseconds(10));
  if (!done) return std::nullopt;
  exited_ = true;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

absl::StatusOr<RunResult> RunProgram(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env, absl::Duration timeout) {
  auto process = Subprocess::Start(argv, env);
  if (!process.ok()) return process.status();
  std::optional<int> code = process->Wait(timeout);
  if (!code) {
    return absl::DeadlineExceededError(absl::StrCat(
        argv[0], " did not finish in time; output:\n", process->Output()));
  }
  return RunResult{*code, process->Output()};
}

}  // namespace certferry::testing
