#pragma once
// The Laundry List task (after Merullo et al., "Talking Heads"): a list of N
// distinct items, the same list again with one item left out, and the answer is
// the missing item:
//   "list milk rice soap tea eggs got milk rice tea eggs missing" -> "soap".
#include <cstdint>
#include <string>

#include "datasets/prompt_task.h"

namespace glassbox::datasets {

struct LaundryListSpec {
  int64_t items = 20;    // distinct item words to draw from
  int64_t length = 5;    // N items per list
  int64_t train_examples = 100000;  // fewer (20000) get memorized instead of solved
  int64_t test_examples = 1000;
  uint64_t seed = 0;

  void validate(const std::string& where) const;  // throws Error
};

nlohmann::json to_json(const LaundryListSpec& spec);

// Sets: train (trained on), test (fresh random lists, measured only).
PromptTask make_laundry_list(const LaundryListSpec& spec);

}  // namespace glassbox::datasets
