// run_in_child: what a crash, a hang or an exhausted address space inside a
// library becomes for the user (one Error naming the file), and that a
// finished read or an Error of ours comes through unchanged.
#include "core/child_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "core/error.h"
#include "test_util.h"

namespace glassbox {
namespace {

using test::error_of;

TEST(ChildProcess, AFinishedReadReturns) {
  EXPECT_NO_THROW(run_in_child("f.gbx", [] {}, 10));
}

TEST(ChildProcess, AnErrorComesBackWithItsMessage) {
  EXPECT_EQ(error_of([] { run_in_child("f.gbx", [] { fail("f.gbx", "no group '/runs'"); }, 10); }),
            "f.gbx: no group '/runs'");
}

TEST(ChildProcess, ACrashBecomesOneLineNamingTheFile) {
  const std::string message = error_of([] { run_in_child("f.gbx", [] { std::abort(); }, 10); });
  EXPECT_EQ(message.rfind("f.gbx: the HDF5 library crashed reading it (", 0), 0u) << message;
  EXPECT_NE(message.find("signal 6"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ChildProcess, AHangIsStoppedAtTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of([] {
    run_in_child("f.gbx", [] { std::this_thread::sleep_for(std::chrono::seconds(60)); }, 0.5);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(message.rfind("f.gbx: reading it did not finish within 0.5 s", 0), 0u) << message;
}

#if !defined(__SANITIZE_ADDRESS__)
// A size a file only claims must not be allocated: the child's address space
// is bounded (4 GiB over what it inherits, for a file that does not exist).
TEST(ChildProcess, AnAllocationPastTheBudgetFails) {
  const std::string message = error_of([] {
    run_in_child("missing.gbx", [] { std::vector<char> claimed(size_t(16) << 30, 1); }, 30);
  });
  EXPECT_EQ(message.rfind("missing.gbx: the HDF5 library failed reading it (the reading process ended with status 2",
                          0),
            0u)
      << message;
}
#endif

}  // namespace
}  // namespace glassbox
