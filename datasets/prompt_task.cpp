#include "datasets/prompt_task.h"

#include <ATen/ATen.h>

#include <sstream>

#include "core/error.h"

namespace glassbox::datasets {

int64_t PromptTask::max_length() const {
  int64_t longest = 0;
  for (const PromptSet& s : sets) longest = std::max(longest, s.tokens.size(1));
  return longest;
}

const PromptSet& PromptTask::set(const std::string& wanted) const {
  for (const PromptSet& s : sets) {
    if (s.name == wanted) return s;
  }
  fail(name + " task", "has no set '" + wanted + "'");
}

PromptSet make_prompt_set(const std::string& name, bool train, const WordVocab& vocab,
                          std::vector<std::string> prompts, std::vector<std::string> answers) {
  if (prompts.empty() || prompts.size() != answers.size()) fail(name, "needs prompts, one answer each");
  std::vector<int64_t> ids, targets;
  int64_t length = -1;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::istringstream words(prompts[i]);
    std::string word;
    int64_t n = 1;
    ids.push_back(WordVocab::bos_id());
    while (words >> word) {
      ids.push_back(vocab.id(word));
      ++n;
    }
    if (length >= 0 && n != length) fail(name, "prompts differ in length: '" + prompts[i] + "'");
    length = n;
    targets.push_back(vocab.id(answers[i]));
  }
  PromptSet set;
  set.name = name;
  set.train = train;
  const int64_t rows = static_cast<int64_t>(prompts.size());
  set.tokens = at::tensor(ids, at::kLong).view({rows, length});
  set.targets = at::tensor(targets, at::kLong);
  set.prompts = std::move(prompts);
  set.answers = std::move(answers);
  return set;
}

}  // namespace glassbox::datasets
