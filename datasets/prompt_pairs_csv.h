#pragma once
// Prompt sets for causal analyses (docs/file-formats.md#prompt-set-csv): a CSV
// with the columns clean, corrupted, answer, wrong (others are ignored), one
// clean/corrupted pair per row with the token the clean prompt should predict
// and the one the corrupted prompt points to, e.g.
//   clean,corrupted,answer,wrong
//   "When Mary and John went to the store, John gave a drink to","When Mary and John went to the store, Mary gave a drink to", Mary, John
// Answers keep their leading space: a CSV field is taken as written.
#include <cstddef>
#include <string>
#include <vector>

namespace glassbox::datasets {

struct PromptPairRow {
  size_t row = 0;  // 1 = the first row after the header
  std::string where;  // "pairs.csv: row 3 (line 4)"
  std::string clean, corrupted, answer, wrong;
};

// Every problem is an Error naming the file, and the row and column where there is one.
std::vector<PromptPairRow> load_prompt_pairs_csv(const std::string& path);
std::vector<PromptPairRow> parse_prompt_pairs_csv(const std::string& text, const std::string& file);

}  // namespace glassbox::datasets
