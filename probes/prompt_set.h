#pragma once
// Causal analyses over a prompt set (a prompt-pair CSV, datasets/prompt_pairs_csv.h):
// each row tokenized as the prompt bar would, its answers as single tokens,
// and the per-row results reduced to a mean and a spread.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"

namespace glassbox::probes {

struct PromptPair {
  std::string label;  // "row 3"
  std::vector<int64_t> clean, corrupted;
  int64_t answer = 0, wrong = 0;
};

// Reads and tokenizes every row. Errors name the file and row: a model
// without a tokenizer, an answer that is not exactly one token, a clean and a
// corrupted prompt of different lengths (both counts).
std::vector<PromptPair> load_prompt_set(const Model& model, const std::string& path, bool add_special_tokens);

// The one check every pairwise analysis makes: the same number of tokens.
void check_same_length(const std::vector<int64_t>& clean, const std::vector<int64_t>& corrupted,
                       const std::string& where);

// Mean and standard deviation (population) over rows of
// results of one shape. Error `where` naming the row whose shape differs
// (e.g. per-position grids of prompts of different lengths).
struct RowStats {
  at::Tensor mean, std;  // float32, the rows' shape
  int64_t rows = 0;
};
RowStats row_stats(const std::vector<at::Tensor>& results, const std::vector<std::string>& labels,
                   const std::string& where);

}  // namespace glassbox::probes
