// glassbox-cli probe sparsity: fraction of MLP hidden units above ε per token and layer.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "probes/common.h"
#include "probes/sparsity.h"

namespace glassbox::cli {
namespace {

int probe_sparsity(Args& args) {
  auto model = load_model_from_args(args);
  probes::SparsityParams params;
  params.tokens = tokens_from_args(args, *model);
  params.epsilon = args.number("epsilon", params.epsilon);
  const std::string out = args.get("out");
  args.finish();

  probes::SparsityResult result = probes::sparsity(*model, params, {});
  const nlohmann::json params_json = {{"tokens", params.tokens}, {"epsilon", params.epsilon}};
  write_plots_to(out, probes::to_plots(result), "sparsity", params_json.dump(), *model);
  nlohmann::json summary = {{"out", out}, {"active_fraction", probes::to_floats(result.active_fraction.mean(-1))}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe sparsity", "--model DIR (--prompt S | --tokens 1,2,3) [--epsilon E] --out F.h5", &probe_sparsity});

}  // namespace
}  // namespace glassbox::cli
