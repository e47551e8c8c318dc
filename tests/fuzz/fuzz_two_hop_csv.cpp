// Any text handed to the two-hop CSV reader must either read as queries
// numbered 1..n with a prompt and their answers, or fail with Error.
#include "datasets/two_hop_csv.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::parse_or_reject([&] {
    const std::vector<datasets::TwoHopQuery> queries =
        datasets::parse_two_hop_csv(std::string(fuzz::as_bytes(data, size)), "input.csv");
    for (size_t i = 0; i < queries.size(); ++i) {
      fuzz::require(queries[i].row == i + 1, "queries are numbered by row");
      fuzz::require(!queries[i].prompt.empty(), "a query has a prompt");
      fuzz::require(queries[i].answers().front() == queries[i].e3_label, "e3_label is the first answer");
    }
  });
  return 0;
}
