#pragma once
// A seeded random source whose output is fixed by the C++ standard
// (std::mt19937_64) and by the algorithms below, so a dataset's split and
// corruption are the same on every platform and compiler. The standard library's
// distributions and std::shuffle are implementation-defined, hence not used.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace glassbox::datasets {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform on {0, ..., n-1} by rejection (no modulo bias); n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // Fisher-Yates.
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

  // A permutation of {0, ..., n-1}.
  std::vector<int64_t> permutation(int64_t n) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    shuffle(order);
    return order;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace glassbox::datasets
