#include <gtest/gtest.h>

#include "test_util.h"

// Tests accept --device cpu|cuda (default cpu) so the parity suites can run on a GPU.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--device") glassbox::test::device() = argv[i + 1];
  }
  return RUN_ALL_TESTS();
}
