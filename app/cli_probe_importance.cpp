// glassbox-cli probe importance: 1 − cos(X, X + f(LN(X))) per attention, MLP and block.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "probes/common.h"
#include "probes/importance.h"

namespace glassbox::cli {
namespace {

int probe_importance(Args& args) {
  auto model = load_model_from_args(args);
  probes::ImportanceParams params;
  params.tokens = tokens_from_args(args, *model);
  const std::string out = args.get("out");
  args.finish();

  probes::ImportanceResult result = probes::importance(*model, params, {});
  write_plots_to(out, probes::to_plots(result), "importance", nlohmann::json({{"tokens", params.tokens}}).dump(),
                 *model);
  const at::Tensor mean = result.score.mean(-1);
  nlohmann::json summary = {{"out", out},
                            {"attention", probes::to_floats(mean[0])},
                            {"mlp", probes::to_floats(mean[1])},
                            {"block", probes::to_floats(mean[2])}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe importance", "--model DIR (--prompt S | --tokens 1,2,3) --out F.h5", &probe_importance});

}  // namespace
}  // namespace glassbox::cli
