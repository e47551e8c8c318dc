// Any text handed to the prompt-set (prompt-pair) CSV reader must either read
// as rows numbered 1..n, each naming where it is, or fail with Error.
#include "datasets/prompt_pairs_csv.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::parse_or_reject([&] {
    const std::vector<datasets::PromptPairRow> rows =
        datasets::parse_prompt_pairs_csv(std::string(fuzz::as_bytes(data, size)), "input.csv");
    for (size_t i = 0; i < rows.size(); ++i) {
      fuzz::require(rows[i].row == i + 1, "rows are numbered from 1");
      fuzz::require(!rows[i].clean.empty() && !rows[i].corrupted.empty() && !rows[i].answer.empty() && !rows[i].wrong.empty(),
                    "no field of a row is empty");
      fuzz::require(rows[i].where.rfind("input.csv: ", 0) == 0, "a row's place names the file");
    }
  });
  return 0;
}
