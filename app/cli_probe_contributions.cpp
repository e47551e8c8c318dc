// glassbox-cli probe contributions: what each layer adds to the residual stream
// and the skip-layer effect (DESIGN.md §5).
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "probes/common.h"
#include "probes/contributions.h"

namespace glassbox::cli {
namespace {

int probe_contributions(Args& args) {
  auto model = load_model_from_args(args);
  probes::ContributionsParams params;
  params.tokens = tokens_from_args(args, *model);
  params.skip_layers = !args.flag("no-skip");
  const std::string out = args.get("out");
  args.finish();

  probes::ContributionsResult result = probes::contributions(*model, params, {});
  const nlohmann::json params_json = {{"tokens", params.tokens}, {"skip_layers", params.skip_layers}};
  write_plots_to(out, probes::to_plots(result), "contributions", params_json.dump(), *model);
  nlohmann::json summary = {{"out", out},
                            {"mean_attention_ratio", probes::to_floats(result.norm_ratio[0].mean(-1))},
                            {"mean_mlp_ratio", probes::to_floats(result.norm_ratio[1].mean(-1))},
                            {"mean_layer_ratio", probes::to_floats(result.norm_ratio[2].mean(-1))}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe contributions", "--model DIR (--prompt S | --tokens 1,2,3) [--no-skip] --out F.h5", &probe_contributions});

}  // namespace
}  // namespace glassbox::cli
