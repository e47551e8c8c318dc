#include "core/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

// GCC says __SANITIZE_ADDRESS__; clang 14 only answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define GLASSBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GLASSBOX_ASAN 1
#endif
#endif

namespace glassbox {

namespace {

// What the child writes to the pipe before it ends: one status byte, then for
// an Error its message.
constexpr char kFinished = 'F', kThrew = 'E';

// Bounds the child's address space to what it inherited plus room for any
// genuine read, none for the sizes a damaged file merely claims; never above a
// limit the parent already had (ulimit -v). Not under AddressSanitizer, which
// reserves terabytes of shadow memory up front.
void bound_address_space(const std::string& file) {
#if defined(GLASSBOX_ASAN)
  (void)file;
#else
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(file, ec);
  const uint64_t budget = (uint64_t(4) << 30) + 4 * uint64_t(ec ? 0 : size);
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  const rlim_t limit = pages * uint64_t(::sysconf(_SC_PAGESIZE)) + budget;
  rlimit bound{};
  ::getrlimit(RLIMIT_AS, &bound);
  if (bound.rlim_cur == RLIM_INFINITY || limit < bound.rlim_cur) bound.rlim_cur = limit;
  ::setrlimit(RLIMIT_AS, &bound);
#endif
}

void write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

[[noreturn]] void child(int fd, const std::string& file, const std::function<void()>& work) {
  // Its one word is the report: what a crash prints (a sanitizer's report
  // included) would be a second line under the parent's one.
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) {
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
  }
  bound_address_space(file);
  std::string report(1, kFinished);
  int status = 0;
  try {
    work();
  } catch (const Error& e) {
    report = std::string(1, kThrew) + e.what();
    status = 1;
  } catch (const std::exception& e) {
    report = e.what();  // no status byte: reported as not finishing
    status = 2;
  }
  write_all(fd, report);
  ::_exit(status);
}

std::string signal_name(int signal) {
  const char* name = ::strsignal(signal);
  return name ? std::string(name) + " (signal " + std::to_string(signal) + ")" : "signal " + std::to_string(signal);
}

}  // namespace

void run_in_child(const std::string& file, const std::function<void()>& work, double timeout_seconds) {
  int fds[2];
  if (::pipe(fds) != 0) fail(file, std::string("cannot read it in a child process (pipe: ") + std::strerror(errno) + ")");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail(file, std::string("cannot read it in a child process (fork: ") + std::strerror(errno) + ")");
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], file, work);
  }
  ::close(fds[1]);

  // Collect the report until the child closes the pipe or the time is up.
  std::string report;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd readable{fds[0], POLLIN, 0};
    const int ready = ::poll(&readable, 1, int(std::min<long long>(left, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buffer, size_t(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
  if (timed_out)
    fail(file, std::string("reading it did not finish within ") + seconds +
                   " s (libhdf5 loops on some damaged files); it was stopped");
  if (WIFSIGNALED(status))
    fail(file, "the HDF5 library crashed reading it (" + signal_name(WTERMSIG(status)) +
                   "): the file is damaged or was made to crash readers");
  if (!report.empty() && report[0] == kFinished) return;
  if (!report.empty() && report[0] == kThrew) throw Error(report.substr(1));
  fail(file, "the HDF5 library failed reading it (the reading process ended with status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                 (report.empty() ? std::string() : ": " + report) + "): the file is damaged");
}

}  // namespace glassbox
