// Memory budgets as users write them (--memory-budget, the GUI's setting).
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/memory_budget.h"

namespace glassbox {
namespace {

TEST(MemoryBudget, SizesAndSharesOfRamAreRead) {
  const int64_t ram = physical_memory_bytes();
  ASSERT_GT(ram, 0);
  EXPECT_EQ(parse_memory_budget("25%", "x"), ram / 4);
  EXPECT_EQ(parse_memory_budget("6G", "x"), int64_t{6} << 30);
  EXPECT_EQ(parse_memory_budget("6gib", "x"), int64_t{6} << 30);
  EXPECT_EQ(parse_memory_budget("1.5G", "x"), int64_t{3} << 29);
  EXPECT_EQ(parse_memory_budget("512M", "x"), int64_t{512} << 20);
  EXPECT_EQ(parse_memory_budget("800MB", "x"), int64_t{800} << 20);
  EXPECT_EQ(parse_memory_budget("4096", "x"), 4096);
}

TEST(MemoryBudget, AnythingElseIsOneClearError) {
  for (const std::string bad : {"", "abc", "-1G", "0", "150%", "6Q", "nan", "1e30T"}) {
    try {
      parse_memory_budget(bad, "--memory-budget");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "--memory-budget: memory budget '" + bad +
                                           "' is not a size like 25%, 6G, 512M or 800MiB");
    }
  }
}

TEST(MemoryBudget, SizesAreWrittenInBinaryUnits) {
  EXPECT_EQ(binary_size(900), "900 B");
  EXPECT_EQ(binary_size(int64_t{512} << 20), "512.0 MiB");
  EXPECT_EQ(binary_size(int64_t{3} << 29), "1.5 GiB");
}

}  // namespace
}  // namespace glassbox
