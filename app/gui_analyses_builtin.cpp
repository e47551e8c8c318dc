// The analyses that need only a forward pass: next-token predictions,
// attention patterns and residual-stream norms.
#include <ATen/ATen.h>

#include "app/gui_analysis.h"
#include "core/error.h"
#include "probes/common.h"

namespace glassbox::gui {

namespace {

bool runs_prompts(const ModelSummary& m) { return m.transformer; }

void require_prompt(const AnalysisRequest& request) {
  if (request.prompt.ids.empty()) fail("prompt", "type a prompt first: it has no tokens");
}

// A position as typed (negative counts from the end) made absolute.
int64_t absolute_position(int64_t position, size_t n_tokens, const std::string& analysis) {
  const int64_t n = static_cast<int64_t>(n_tokens);
  const int64_t p = position < 0 ? n + position : position;
  if (p < 0 || p >= n)
    fail(analysis, "position " + std::to_string(position) + " is outside the prompt's " + std::to_string(n) +
                       " tokens");
  return p;
}

Analysis next_token() {
  Analysis a;
  a.id = "next_token";
  a.name = "Next-token predictions";
  a.description = "Most likely next tokens at one position (click a token chip to choose it).";
  a.live = true;
  a.applies = runs_prompts;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("position", "Position", -1, -1, static_cast<int>(std::max<int64_t>(m.n_ctx, 1)) - 1,
                           "Token position whose next token is predicted; -1 is the last."),
        ParamSpec::integer("top_k", "Top k", 10, 1, 100, "How many tokens to list."),
    };
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    require_prompt(request);
    const auto& ids = request.prompt.ids;
    const int64_t pos = absolute_position(request.params.integer("position"), ids.size(), "next-token predictions");
    progress.update(0.1, "forward pass");
    const at::Tensor logits = model.run(ids).logits[pos].to(at::kCPU, at::kFloat);
    progress.check();
    const int64_t k = std::min<int64_t>(request.params.integer("top_k"), logits.size(0));
    const auto [top_logits, top_ids] = at::topk(logits, k);
    const at::Tensor top_probs = at::softmax(logits, 0).index_select(0, top_ids);

    std::vector<int64_t> id_list(top_ids.data_ptr<int64_t>(), top_ids.data_ptr<int64_t>() + k);
    std::vector<std::string> labels;
    for (const std::string& s : model.token_strings(id_list)) labels.push_back(probes::visible_token(s));
    const std::string after = std::to_string(pos) + ":" + probes::visible_token(request.prompt.strings[size_t(pos)]);

    at::Tensor table = at::stack({top_probs, top_logits, top_ids.to(at::kFloat)}, 1);  // [k, 3]
    Plot listing = probes::make_plot("table", "next_token", "Next token after " + after, table,
                                     probes::label_axis({"probability", "logit", "token id"}),
                                     probes::label_axis(labels));
    Plot bars = probes::make_plot("bar", "next_token_probability", "Probability of the top " + std::to_string(k),
                                  top_probs, probes::label_axis(labels), {}, "next token", "probability");
    return std::vector<Plot>{std::move(listing), std::move(bars)};
  };
  return a;
}

Analysis attention_pattern() {
  Analysis a;
  a.id = "attention";
  a.name = "Attention";
  a.description = "Attention pattern of one head (query rows, key columns), and where every head of the layer "
                  "looks from the last token.";
  a.live = true;
  a.applies = runs_prompts;
  a.params = [](const ModelSummary& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("layer", "Layer", 0, 0, std::max(m.n_layers - 1, 0)),
        ParamSpec::integer("head", "Head", 0, 0, std::max(m.n_heads - 1, 0)),
    };
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    require_prompt(request);
    const int layer = request.params.integer("layer"), head = request.params.integer("head");
    const ModelInfo& info = model.info();
    if (layer < 0 || layer >= info.n_layers) fail("attention", "layer " + std::to_string(layer) + " does not exist");
    if (head < 0 || head >= info.n_heads) fail("attention", "head " + std::to_string(head) + " does not exist");
    RunOptions options;
    const std::string hook = "blocks." + std::to_string(layer) + ".attn.hook_pattern";
    options.capture = NameFilter("blocks\\." + std::to_string(layer) + "\\.attn\\.hook_pattern");
    progress.update(0.1, "forward pass");
    const at::Tensor pattern = model.run(request.prompt.ids, options).cache.get(hook);  // [H, T, T]
    const Axis tokens = probes::token_axis(request.prompt.strings);
    std::vector<std::string> heads;
    for (int h = 0; h < info.n_heads; ++h) heads.push_back("L" + std::to_string(layer) + "H" + std::to_string(h));
    const std::string label = "L" + std::to_string(layer) + "H" + std::to_string(head);

    Plot one = probes::make_plot("heatmap", "pattern_" + label, "Attention pattern " + label, pattern[head], tokens,
                                 tokens, "key", "query", "attention");
    Plot last = probes::make_plot("heatmap", "last_token_L" + std::to_string(layer),
                                  "Attention from the last token, layer " + std::to_string(layer),
                                  pattern.select(1, pattern.size(1) - 1), tokens, probes::label_axis(heads), "key",
                                  "head", "attention");
    return std::vector<Plot>{std::move(one), std::move(last)};
  };
  return a;
}

Analysis residual_norms() {
  Analysis a;
  a.id = "residual_norms";
  a.name = "Residual norms";
  a.description = "‖residual stream‖₂ after the embedding and after every block, per token.";
  a.live = true;
  a.applies = runs_prompts;
  a.params = [](const ModelSummary&) { return std::vector<ParamSpec>{}; };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    require_prompt(request);
    RunOptions options;
    options.capture = NameFilter("blocks\\.0\\.hook_resid_pre|blocks\\.\\d+\\.hook_resid_post");
    progress.update(0.1, "forward pass");
    const RunResult run = model.run(request.prompt.ids, options);
    const int n_layers = model.info().n_layers;
    std::vector<at::Tensor> rows = {run.cache.get("blocks.0.hook_resid_pre")};
    std::vector<std::string> names = {"embed"};
    for (int l = 0; l < n_layers; ++l) {
      rows.push_back(run.cache.get("blocks." + std::to_string(l) + ".hook_resid_post"));
      names.push_back("L" + std::to_string(l));
    }
    const at::Tensor norms = at::stack(rows).to(at::kFloat).norm(2, -1);  // [L+1, T]
    Plot map = probes::make_plot("heatmap", "resid_norm", "Residual stream norm", norms,
                                 probes::token_axis(request.prompt.strings), probes::label_axis(names), "token",
                                 "after", "‖resid‖₂");
    Plot mean = probes::make_plot("line", "resid_norm_mean", "Mean over tokens", norms.mean(1),
                                  probes::label_axis(names), {}, "after", "mean ‖resid‖₂");
    return std::vector<Plot>{std::move(map), std::move(mean)};
  };
  return a;
}

}  // namespace

std::vector<Analysis> builtin_analyses() { return {next_token(), attention_pattern(), residual_norms()}; }

}  // namespace glassbox::gui
