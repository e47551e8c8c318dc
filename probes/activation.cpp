#include "probes/activation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : " × ") + std::to_string(d);
  return text;
}

}  // namespace

Activation activation(const Model& model, const std::vector<int64_t>& tokens, const std::string& hook,
                      const Progress& progress) {
  as_transformer(model, "activation");
  if (tokens.empty()) fail("activation", "the prompt has no tokens");
  const std::vector<std::string>& hooks = model.info().hook_names;
  if (std::find(hooks.begin(), hooks.end(), hook) == hooks.end())
    fail("activation", "'" + hook + "' is not a hook point of this model (glassbox-cli info --model DIR lists them)");
  c10::InferenceMode inference;
  RunOptions options;
  options.capture = NameFilter(exact_hook_regex(hook));
  progress.update(0, "forward pass");
  options.progress = &progress;  // the forward pass is the work
  at::Tensor captured = model.run(tokens, options).cache.get(hook).to(at::kCPU, at::kFloat);
  Activation r;
  r.hook = hook;
  r.token_strings = model.token_strings(tokens);
  r.shape = captured.sizes().vec();
  // Attention patterns and scores are [heads, query, key]: the query is the position.
  const int64_t T = static_cast<int64_t>(tokens.size());
  const bool per_head = std::regex_search(hook, std::regex(R"(hook_(pattern|attn_scores)$)"));
  const int64_t position_dim = per_head ? 1 : 0;
  if (captured.dim() <= position_dim || captured.size(position_dim) != T)
    fail("activation", hook + " has shape " + shape_text(r.shape) + ", not the prompt's " + std::to_string(T) +
                           " positions in dimension " + std::to_string(position_dim));
  r.values = captured.movedim(position_dim, 0).reshape({T, -1}).contiguous();
  return r;
}

std::vector<Plot> to_plots(const Activation& r) {
  const Axis tokens = token_axis(r.token_strings);
  std::string components = "component";
  if (r.shape.size() > 2) components += " (flattened " + shape_text(r.shape) + " without the position)";
  return {make_plot("heatmap", "activation", r.hook + " (" + shape_text(r.shape) + ")", r.values,
                    number_axis(r.values.size(1)), tokens, components, "position", "activation"),
          make_plot("line", "activation_norm", "‖" + r.hook + "‖₂ per position", r.values.norm(2, -1), tokens, {},
                    "position", "‖activation‖₂")};
}

Analysis activation_analysis() {
  Analysis a;
  a.id = "activation";
  a.title = "Activation";
  a.description = "One hook point's activation on the prompt: the tensor (position × component) and its norm per "
                  "position. Double-click a hook point in the model panel to show it.";
  a.live = true;
  a.params = [](const ModelInfo& m) {
    const auto resid = std::find(m.hook_names.begin(), m.hook_names.end(), "blocks.0.hook_resid_post");
    const std::string hook = resid != m.hook_names.end() ? *resid : m.hook_names.empty() ? "" : m.hook_names.front();
    return std::vector<ParamSpec>{ParamSpec::of(ParamType::text, "hook", "Hook point", hook,
                                                "A hook point by its name, e.g. blocks.3.hook_resid_post.", true)};
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    const Activation r = activation(model, in.tokens, v.text("hook"), progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"hook", r.hook}, {"shape", r.shape}, {"norm", to_floats(r.values.norm(2, -1))}};
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues& v) { return exact_hook_regex(v.text("hook")); };
  return a;
}

}  // namespace glassbox::probes
