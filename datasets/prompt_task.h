#pragma once
// A next-token task for the toy transformers: sets of equally long prompts, each
// with the one token that should follow (the answer), over a word vocabulary.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/json.h"
#include "datasets/word_vocab.h"

namespace glassbox::datasets {

struct PromptSet {
  std::string name;
  bool train = false;  // trained on, or only measured
  at::Tensor tokens;   // [n, T] int64, starting with BOS
  at::Tensor targets;  // [n] int64
  std::vector<std::string> prompts;  // the text of each row (without BOS)
  std::vector<std::string> answers;  // the answer word of each row
};

struct PromptTask {
  std::string name;  // two_hop | laundry_list
  nlohmann::json spec;  // the generator's parameters, stored in config.json
  WordVocab vocab;
  std::vector<PromptSet> sets;

  int64_t max_length() const;  // longest prompt in tokens
  const PromptSet& set(const std::string& name) const;  // Error if absent
};

// Builds a set from prompt texts (words separated by single spaces) and answer
// words, all in `vocab`; every prompt must have the same number of words.
PromptSet make_prompt_set(const std::string& name, bool train, const WordVocab& vocab,
                          std::vector<std::string> prompts, std::vector<std::string> answers);

}  // namespace glassbox::datasets
