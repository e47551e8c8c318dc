#include "probes/prompt_set.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/tokenizer.h"
#include "datasets/prompt_pairs_csv.h"
#include "probes/params.h"

namespace glassbox::probes {

void check_same_length(const std::vector<int64_t>& clean, const std::vector<int64_t>& corrupted,
                       const std::string& where) {
  if (clean.size() != corrupted.size()) {
    fail(where, "the clean prompt has " + std::to_string(clean.size()) + " tokens and the corrupted one " +
                    std::to_string(corrupted.size()) + "; patching pairs positions, so they need the same number");
  }
}

std::vector<PromptPair> load_prompt_set(const Model& model, const std::string& path, bool add_special_tokens) {
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) fail(path, "a prompt set is text, and the model has no tokenizer");
  std::vector<PromptPair> pairs;
  for (const datasets::PromptPairRow& row : datasets::load_prompt_pairs_csv(path)) {
    PromptPair p;
    p.label = "row " + std::to_string(row.row);
    p.clean = tokenizer->encode(row.clean, add_special_tokens);
    p.corrupted = tokenizer->encode(row.corrupted, add_special_tokens);
    check_same_length(p.clean, p.corrupted, row.where);
    p.answer = parse_token(row.answer, true, model, row.where + ", column answer");
    p.wrong = parse_token(row.wrong, true, model, row.where + ", column wrong");
    pairs.push_back(std::move(p));
  }
  return pairs;
}

RowStats row_stats(const std::vector<at::Tensor>& results, const std::vector<std::string>& labels,
                   const std::string& where) {
  if (results.empty()) fail(where, "no rows");
  for (size_t i = 1; i < results.size(); ++i) {
    if (results[i].sizes() != results[0].sizes()) {
      fail(where, labels[i] + " gives a result of shape " + c10::str(results[i].sizes()) + " and " + labels[0] +
                      " one of shape " + c10::str(results[0].sizes()) +
                      " (per-position results need prompts of the same length)");
    }
  }
  const at::Tensor stacked = at::stack(results).to(at::kDouble).cpu();
  RowStats s;
  s.rows = static_cast<int64_t>(results.size());
  s.mean = stacked.mean(0).to(at::kFloat);
  s.std = (stacked - stacked.mean(0, true)).pow(2).mean(0).sqrt().to(at::kFloat);
  return s;
}

}  // namespace glassbox::probes
