// Hostile model and session files (tests/hostile_files.h) through
// glassbox-cli, as a user runs it on a file from elsewhere: a non-zero exit
// and one line naming the file and the problem, the loader's own message,
// within 5 s and in an address space of 8 GiB, however much the file claims.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>

#include "core/model.h"
#include "core/session.h"
#include "hostile_files.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::shell_quote;

constexpr uint64_t kAddressSpace = uint64_t(8) << 30;
constexpr int kSeconds = 5;

// Runs `command PATH` on each case; `message` is the loader's error for a path.
void expect_each_refused(const std::vector<test::HostileFile>& cases, const std::string& command,
                         const std::function<std::string(const std::string&)>& message) {
  double slowest = 0;
  std::string slowest_case;
  for (const test::HostileFile& c : cases) {
    SCOPED_TRACE(c.path);
    const auto start = std::chrono::steady_clock::now();
    const test::CliRun r = test::run_cli_limited(command + " " + shell_quote(c.path), kAddressSpace, kSeconds);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(r.status, 137) << "killed: it ran past " << kSeconds << " s";
    const std::string expected = message(c.path);
    EXPECT_TRUE(test::names_file_and_problem(expected, c));
    EXPECT_TRUE(test::fails_clearly(r, expected));
    const std::string name = command.substr(0, command.find(" --"));  // "info --model" is the command "info"
    EXPECT_EQ(r.err, "glassbox-cli " + name + ": " + expected + "\n");
    if (seconds > slowest) slowest = seconds, slowest_case = c.path;
  }
  std::printf("[ hostile  ] %zu cases of '%s', the slowest %.2f s (%s)\n", cases.size(), command.c_str(), slowest,
              slowest_case.c_str());
}

TEST(HostileCli, EveryHostileGgufFailsWithOneLineNamingTheFileAndTheProblem) {
  test::TempDir tmp;
  const auto cases = test::write_hostile_ggufs(tmp.path());
  EXPECT_GE(cases.size(), 30u);
  // The file they break loads, so each fails for its own reason.
  const test::CliRun good = test::run_cli_limited(
      "info --model " + shell_quote(test::write_tiny_llama(tmp.file("good.gguf"))), kAddressSpace, kSeconds);
  ASSERT_EQ(good.status, 0) << good.err;
  expect_each_refused(cases, "info --model", [](const std::string& path) {
    return test::error_of([&] { load_model(path); });
  });
}

TEST(HostileCli, EveryHostileSessionFailsWithOneLineNamingTheFileAndTheProblem) {
  test::TempDir tmp;
  const auto cases = test::write_hostile_sessions(tmp.path());
  EXPECT_GE(cases.size(), 15u);
  const test::CliRun good =
      test::run_cli_limited("session info " + shell_quote(tmp.file("good.gbx")), kAddressSpace, kSeconds);
  ASSERT_EQ(good.status, 0) << good.err;
  expect_each_refused(cases, "session info", [](const std::string& path) {
    return test::error_of([&] { open_session(path); });
  });
}

}  // namespace
}  // namespace glassbox
