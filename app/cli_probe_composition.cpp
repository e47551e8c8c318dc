// glassbox-cli probe composition: Q/K/V composition scores between every pair
// of heads, component-wise scores of one sender, and a singular-component
// intervention on one head's OV.
#include <ATen/ATen.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "app/cli_target.h"
#include "core/error.h"
#include "probes/composition.h"

namespace glassbox::cli {
namespace {

int probe_composition(Args& args) {
  auto model = load_model_from_args(args);
  const ModelInfo& info = model->info();
  probes::CompositionParams params;
  nlohmann::json recorded = nlohmann::json::object();
  if (args.has("sender")) {
    params.sender = probes::parse_head(args.get("sender"), info, "--sender");
    recorded["sender"] = probes::head_label(*params.sender);
  }
  std::optional<probes::SvdInterventionParams> intervention;
  if (args.has("intervene")) {
    probes::SvdInterventionParams p;
    p.head = probes::parse_head(args.get("intervene"), info, "--intervene");
    p.component = static_cast<int>(args.integer("component"));
    if (p.component < 0 || p.component >= info.d_head) {
      fail("command line", "--component must lie in [0, " + std::to_string(info.d_head) + ")");
    }
    p.scale = args.number("scale", 0.0);
    p.tokens = tokens_from_args(args, *model);
    p.target = target_from_args(args, *model).value_or(-1);
    recorded["intervene"] = probes::head_label(p.head);
    recorded["component"] = p.component;
    recorded["scale"] = p.scale;
    recorded["tokens"] = p.tokens;
    recorded["target"] = p.target;
    intervention = p;
  }
  const std::string out = args.get("out");
  args.finish();

  Progress progress;
  std::vector<Plot> plots = probes::to_plots(probes::composition(*model, params, progress));
  nlohmann::json summary = {{"out", out}};
  if (intervention) {
    const probes::SvdInterventionResult r = probes::svd_intervention(*model, *intervention, progress);
    for (Plot& p : probes::to_plots(r)) plots.push_back(std::move(p));
    summary["singular_value"] = r.singular_value;
    summary["largest_logit_change"] = (r.edited_logits - r.clean_logits).abs().max().item<double>();
    if (r.target >= 0) {
      summary["clean_target_prob"] = r.clean_prob;
      summary["edited_target_prob"] = r.edited_prob;
    }
  }
  write_plots_to(out, plots, "composition", recorded.dump(), *model);
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe composition",
     "--model DIR [--sender L:H] [--intervene L:H --component I [--scale S (0: remove)] "
     "(--prompt S | --tokens 1,2,3) [--target ID | --target-text S]] --out F.h5",
     &probe_composition});

}  // namespace
}  // namespace glassbox::cli
