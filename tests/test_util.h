#pragma once
// Shared by the test suites: data paths, temporary folders, the device flag,
// running glassbox-cli as a user would, and reading back its plot exports.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/h5.h"
#include "core/plot.h"

namespace glassbox::test {

inline std::string& device() {
  static std::string d = "cpu";
  return d;
}

inline std::string data(const std::string& relative) { return std::string(GLASSBOX_TEST_DATA) + "/" + relative; }
inline std::string resources(const std::string& relative) {
  return std::string(GLASSBOX_RESOURCES) + "/" + relative;
}
// A committed Hugging Face reference model (tests/data/models/NAME).
inline std::string model_dir(const std::string& name) { return data("models/" + name); }

// A fresh empty folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "glassbox-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct CliRun {
  int status = -1;
  std::string out, err;
  std::string all() const { return out + err; }
};

// Runs `glassbox-cli ARGS` (ARGS as shell words; `env`: "NAME=value ..." for
// the child; `launcher`: shell words that run it, such as "timeout 5") and
// collects its exit status and output.
inline CliRun run_cli(const std::string& args, const std::string& env = "", const std::string& launcher = "") {
  TempDir dir;
  const std::string command = (env.empty() ? "" : "env " + env + " ") + launcher + " " + std::string(GLASSBOX_CLI) +
                              " " + args + " >" + dir.file("stdout") + " 2>" + dir.file("stderr");
  const int raw = std::system(command.c_str());
  CliRun run;
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = slurp(dir.file("stdout"));
  run.err = slurp(dir.file("stderr"));
  return run;
}

// run_cli with the child's address space capped at `address_space_bytes`
// (RLIMIT_AS, through the shell's ulimit -v), killed after `seconds` (status 137).
inline CliRun run_cli_limited(const std::string& args, uint64_t address_space_bytes, int seconds) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of address space for its shadow memory: under it
  // the limit is its own (an allocation past it aborts the child with a report), and the
  // instrumented program gets three times the time.
  return run_cli(args,
                 "ASAN_OPTIONS=$ASAN_OPTIONS:allocator_may_return_null=0:max_allocation_size_mb=" +
                     std::to_string(address_space_bytes >> 20),
                 "timeout -s KILL " + std::to_string(3 * seconds));
#else
  return run_cli(args, "",
                 "ulimit -v " + std::to_string(address_space_bytes / 1024) + " && timeout -s KILL " +
                     std::to_string(seconds));
#endif
}

// The message of the Error `open` throws, as a user is shown it; "(no error)" when it throws none.
template <typename Open>
std::string error_of(Open&& open) {
  try {
    open();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// One line on stderr, non-zero exit, mentioning `needle`.
inline ::testing::AssertionResult fails_clearly(const CliRun& run, const std::string& needle) {
  if (run.status == 0) return ::testing::AssertionFailure() << "exit status 0; stderr: " << run.err;
  if (run.err.find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "stderr lacks '" << needle << "': " << run.err;
  if (run.err.empty() || run.err.find('\n') != run.err.size() - 1)
    return ::testing::AssertionFailure() << "stderr is not one line: " << run.err;
  return ::testing::AssertionSuccess();
}

// The plots of an export by name.
inline std::map<std::string, Plot> read_plot_map(const std::string& path) {
  h5::Reader file(path);
  std::map<std::string, Plot> plots;
  for (Plot& p : read_plots(file)) plots[p.name] = std::move(p);
  return plots;
}

}  // namespace glassbox::test
