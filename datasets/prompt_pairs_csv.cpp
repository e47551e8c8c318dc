#include "datasets/prompt_pairs_csv.h"

#include "core/error.h"
#include "datasets/two_hop_csv.h"

namespace glassbox::datasets {

std::vector<PromptPairRow> parse_prompt_pairs_csv(const std::string& text, const std::string& file) {
  std::vector<PromptPairRow> pairs;
  for (const CsvRow& row : parse_csv_rows(text, file, {"clean", "corrupted", "answer", "wrong"}, "prompt pairs")) {
    PromptPairRow p{row.row, file + ": " + row.where(), row.fields.at("clean"), row.fields.at("corrupted"),
                    row.fields.at("answer"), row.fields.at("wrong")};
    for (const auto& [column, value] : {std::pair<const char*, const std::string&>{"clean", p.clean},
                                        {"corrupted", p.corrupted}, {"answer", p.answer}, {"wrong", p.wrong}}) {
      if (value.empty()) fail(p.where + ", column " + column, "empty");
    }
    pairs.push_back(std::move(p));
  }
  return pairs;
}

std::vector<PromptPairRow> load_prompt_pairs_csv(const std::string& path) {
  return parse_prompt_pairs_csv(read_text_file(path, "prompt-set CSV file"), path);
}

}  // namespace glassbox::datasets
