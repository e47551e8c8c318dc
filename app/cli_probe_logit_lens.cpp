// glassbox-cli probe logit-lens: every layer's residual read through the unembedding.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/cli_target.h"
#include "probes/common.h"
#include "probes/logit_lens.h"

namespace glassbox::cli {
namespace {

int probe_logit_lens(Args& args) {
  auto model = load_model_from_args(args);
  probes::LogitLensParams params;
  params.tokens = tokens_from_args(args, *model);
  params.top_k = static_cast<int>(args.integer("top-k", params.top_k));
  params.target = target_from_args(args, *model);
  params.include_embed = !args.flag("no-embed");
  const std::string out = args.get("out");
  args.finish();

  probes::LogitLensResult result = probes::logit_lens(*model, params, {});
  nlohmann::json params_json = {
      {"tokens", params.tokens}, {"top_k", params.top_k}, {"include_embed", params.include_embed}};
  params_json["target"] = params.target ? nlohmann::json(*params.target) : nlohmann::json(nullptr);
  write_plots_to(out, probes::to_plots(result), "logit-lens", params_json.dump(), *model);
  // The last position's KL per layer: how early the final prediction forms.
  nlohmann::json summary = {{"out", out},
                            {"layers", result.layer_names},
                            {"kl_last_position", probes::to_floats(result.kl.select(1, -1))}};
  if (params.target) summary["target_prob_last_position"] = probes::to_floats(result.target_prob.select(1, -1));
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe logit-lens",
     "--model DIR (--prompt S | --tokens 1,2,3) [--top-k K] [--target ID | --target-text S] [--no-embed] --out F.h5",
     &probe_logit_lens});

}  // namespace
}  // namespace glassbox::cli
