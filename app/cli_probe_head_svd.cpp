// glassbox-cli probe head-svd: singular values of one head's OV and QK
// circuits and their top singular directions read as tokens.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "probes/head_svd.h"

namespace glassbox::cli {
namespace {

int probe_head_svd(Args& args) {
  auto model = load_model_from_args(args);
  probes::HeadSvdParams params;
  params.head = probes::parse_head(args.get("head"), model->info(), "--head");
  params.directions = static_cast<int>(args.integer("directions", params.directions));
  params.top_k = static_cast<int>(args.integer("top-k", params.top_k));
  const std::string out = args.get("out");
  args.finish();

  Progress progress;
  const probes::HeadSvdResult result = probes::head_svd(*model, params, progress);
  const nlohmann::json recorded = {{"layer", params.head.layer},
                                   {"head", params.head.head},
                                   {"directions", params.directions},
                                   {"top_k", params.top_k}};
  write_plots_to(out, probes::to_plots(result), "head-svd", recorded.dump(), *model);
  nlohmann::json top_output = nlohmann::json::array();
  for (const auto& r : result.ov_output) top_output.push_back(r.texts.front());
  std::cout << nlohmann::json({{"out", out},
                               {"head", probes::head_label(params.head)},
                               {"ov_singular_values", result.ov_singular_values},
                               {"qk_singular_values", result.qk_singular_values},
                               {"ov_output_top_token_per_direction", top_output}})
                   .dump(2)
            << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe head-svd", "--model DIR --head L:H [--directions N (8)] [--top-k K (10)] --out F.h5", &probe_head_svd});

}  // namespace
}  // namespace glassbox::cli
