// glassbox-cli probe attention: patterns per head and previous-token,
// duplicate-token and induction scores.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "core/tokenizer.h"
#include "probes/attention.h"
#include "probes/common.h"

namespace glassbox::cli {
namespace {

int probe_attention(Args& args) {
  auto model = load_model_from_args(args);
  probes::AttentionParams params;
  params.induction_seq_len = static_cast<int>(args.integer("induction-seq-len", 0));
  // The prompt may be left out when the scores use the random sequence.
  if (params.induction_seq_len == 0 || args.has("prompt") || args.has("tokens"))
    params.tokens = tokens_from_args(args, *model);
  params.seed = static_cast<uint64_t>(args.integer("seed", 0));
  if (model->tokenizer()) params.bos = model->tokenizer()->bos_id();
  const std::string out = args.get("out");
  args.finish();

  probes::AttentionResult result = probes::attention(*model, params, {});
  const nlohmann::json params_json = {{"tokens", params.tokens},
                                      {"induction_seq_len", params.induction_seq_len},
                                      {"seed", params.seed},
                                      {"score_tokens", result.score_tokens}};
  write_plots_to(out, probes::to_plots(result), "attention", params_json.dump(), *model);
  nlohmann::json summary = {{"out", out},
                            {"previous_token", probes::to_floats(result.previous_token)},
                            {"duplicate_token", probes::to_floats(result.duplicate_token)},
                            {"induction", probes::to_floats(result.induction)}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe attention", "--model DIR (--prompt S | --tokens 1,2,3) [--induction-seq-len N [--seed S]] --out F.h5",
     &probe_attention});

}  // namespace
}  // namespace glassbox::cli
