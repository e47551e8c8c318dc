#include "datasets/laundry_list.h"

#include "core/error.h"
#include "datasets/rng.h"

namespace glassbox::datasets {

namespace {

const char* const kItems[] = {"milk",  "rice",   "soap",  "tea",    "eggs",   "bread", "apples", "butter",
                              "flour", "coffee", "salt",  "pepper", "onions", "beans", "cheese", "honey",
                              "lemons", "pasta", "sugar", "yogurt", "socks",  "towels", "candles", "batteries",
                              "stamps", "tape",  "glue",  "nails",  "paint",  "rope",  "matches", "napkins"};
constexpr int64_t kMaxItems = sizeof(kItems) / sizeof(kItems[0]);

}  // namespace

void LaundryListSpec::validate(const std::string& where) const {
  if (items < 2 || items > kMaxItems) {
    fail(where, "items must be in [2, " + std::to_string(kMaxItems) + "], got " + std::to_string(items));
  }
  if (length < 2 || length > items) {
    fail(where, "list length must be in [2, items = " + std::to_string(items) + "], got " + std::to_string(length));
  }
  if (train_examples < 1 || test_examples < 1) fail(where, "train and test examples must be at least 1");
}

nlohmann::json to_json(const LaundryListSpec& spec) {
  return {{"task", "laundry_list"},
          {"items", spec.items},
          {"length", spec.length},
          {"train_examples", spec.train_examples},
          {"test_examples", spec.test_examples},
          {"seed", spec.seed}};
}

PromptTask make_laundry_list(const LaundryListSpec& spec) {
  spec.validate("laundry-list task");
  PromptTask task;
  task.name = "laundry_list";
  task.spec = to_json(spec);
  for (const char* w : {"list", "got", "missing"}) task.vocab.add(w);
  const std::vector<std::string> items(kItems, kItems + spec.items);
  for (const auto& item : items) task.vocab.add(item);

  Rng rng(spec.seed);
  auto examples = [&](const std::string& name, bool train, int64_t count) {
    std::vector<std::string> prompts, answers;
    for (int64_t i = 0; i < count; ++i) {
      std::vector<int64_t> order = rng.permutation(spec.items);
      order.resize(static_cast<size_t>(spec.length));
      const size_t missing = rng.below(static_cast<uint64_t>(spec.length));
      std::string prompt = "list";
      for (int64_t k : order) prompt += " " + items[size_t(k)];
      prompt += " got";
      for (size_t j = 0; j < order.size(); ++j) {
        if (j != missing) prompt += " " + items[size_t(order[j])];
      }
      prompts.push_back(prompt + " missing");
      answers.push_back(items[size_t(order[missing])]);
    }
    task.sets.push_back(make_prompt_set(name, train, task.vocab, std::move(prompts), std::move(answers)));
  };
  examples("train", true, spec.train_examples);
  examples("test", false, spec.test_examples);
  return task;
}

}  // namespace glassbox::datasets
