#include "probes/logit_lens.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// One group of layer rows [g, n, d_model] (after the final norm) read through the whole
// vocabulary. The vocabulary is taken in blocks of columns of W_U, the softmax online: a
// running maximum, and sums rescaled as it grows. Each block of logits is used while it
// is still in cache, and no [g, n, vocab] tensor is made: at 512 rows it would be 100 MB
// of fresh memory per group, whose page faults and passes cost as much as the product.
struct LensRows {
  at::Tensor lse;                  // [g, n] double: log Σ_v exp(logit_v)
  at::Tensor kl;                   // [g, n] double: KL(p ‖ p_final)
  at::Tensor target_logit;         // [g, n]
  at::Tensor top_logits, top_ids;  // [g, n, k]
};

// Bytes of logits per vocabulary block.
constexpr int64_t kVocabBlockBytes = int64_t{8} << 20;

LensRows read_vocabulary(const Transformer& transformer, const at::Tensor& normed, const at::Tensor& final_logits,
                         const at::Tensor& final_lse, int64_t target, int64_t k) {
  const at::Tensor& W_U = transformer.weights().W_U;
  const at::Tensor& b_U = transformer.weights().b_U;
  const int64_t vocab = W_U.size(1), g = normed.size(0), n = normed.size(1);
  const int64_t block = std::clamp<int64_t>(kVocabBlockBytes / (int64_t{sizeof(float)} * g * n), 256, vocab);
  const at::TensorOptions doubles = normed.options().dtype(at::kDouble);
  at::Tensor max = at::full({g, n}, -INFINITY, normed.options().dtype(at::kFloat));
  // Σ exp(l − max) and Σ exp(l − max)(l − l_final), where KL = the second / the first − (lse − lse_final).
  at::Tensor sum = at::zeros({g, n}, doubles), weighted = at::zeros({g, n}, doubles);
  LensRows rows;
  for (int64_t v0 = 0; v0 < vocab; v0 += block) {
    const int64_t width = std::min(block, vocab - v0);
    at::Tensor logits = at::matmul(normed, W_U.narrow(1, v0, width));
    if (b_U.defined()) logits.add_(b_U.narrow(0, v0, width));
    logits = logits.to(at::kFloat);  // [g, n, width]
    if (target >= v0 && target < v0 + width) rows.target_logit = logits.select(-1, target - v0).clone();
    auto [top, ids] = at::topk(logits, std::min(k, width), -1);
    ids.add_(v0);
    if (rows.top_logits.defined()) {
      top = at::cat({rows.top_logits, top}, -1);
      ids = at::cat({rows.top_ids, ids}, -1);
      auto [kept, order] = at::topk(top, std::min(k, top.size(-1)), -1);
      top = kept;
      ids = ids.gather(-1, order);
    }
    rows.top_logits = top;
    rows.top_ids = ids;
    const at::Tensor new_max = at::maximum(max, at::amax(logits, -1));
    const at::Tensor rescale = (max - new_max).exp().to(at::kDouble);
    at::Tensor e = (logits - new_max.unsqueeze(-1)).exp_();
    sum = sum * rescale + e.sum(-1).to(at::kDouble);
    weighted = weighted * rescale + e.mul_(logits.sub_(final_logits.narrow(-1, v0, width))).sum(-1).to(at::kDouble);
    max = new_max;
  }
  rows.lse = max.to(at::kDouble) + sum.log();
  rows.kl = weighted / sum - (rows.lse - final_lse);
  return rows;
}

}  // namespace

LogitLensResult logit_lens(const Model& model, const LogitLensParams& params, const Progress& progress) {
  const Transformer& transformer = as_transformer(model, "logit-lens");
  const int64_t vocab = model.info().d_vocab;
  if (params.top_k < 1 || params.top_k > vocab)
    fail("logit-lens", "top-k must lie in [1, " + std::to_string(vocab) + "], got " + std::to_string(params.top_k));
  if (params.target && (*params.target < 0 || *params.target >= vocab))
    fail("logit-lens", "target " + std::to_string(*params.target) + " is outside the vocabulary [0, " +
                           std::to_string(vocab) + ")");
  c10::InferenceMode inference;
  const int n_layers = model.info().n_layers;
  LogitLensResult result;
  result.token_strings = model.token_strings(params.tokens);
  if (params.include_embed) result.layers.push_back(-1);
  for (int l = 0; l < n_layers; ++l) result.layers.push_back(l);

  // The forward pass takes about a quarter of the time on a long prompt; the chunks the rest.
  constexpr double kForwardShare = 0.25;
  const Progress forward_progress = sub_progress(progress, 0, kForwardShare);
  RunOptions options;
  options.capture = NameFilter(kResidualStreamCapture);
  options.progress = &forward_progress;
  progress.update(0, "forward pass");
  RunResult run = model.run(params.tokens, options);
  const at::Tensor& W_U = transformer.weights().W_U;
  const at::Tensor final_logits = run.logits.to(W_U.device(), at::kFloat);
  const at::Tensor final_lse = at::logsumexp(final_logits, -1).to(at::kDouble);
  // Without a target, follow the model's own final prediction at the last position.
  result.target = params.target ? *params.target : final_logits[-1].argmax().item<int64_t>();
  result.target_is_prediction = !params.target;
  result.target_string = model.token_strings({*result.target})[0];

  const int64_t rows = static_cast<int64_t>(result.layers.size());
  const int64_t T = static_cast<int64_t>(params.tokens.size()), k = params.top_k;
  const int64_t chunk = std::max<int64_t>(1, params.chunk);
  for (int layer : result.layers) result.layer_names.push_back(layer < 0 ? "embed" : "L" + std::to_string(layer));
  result.kl = at::full({rows, T}, NAN, at::kFloat);
  result.target_prob = at::full({rows, T}, NAN, at::kFloat);
  result.top_probs = at::full({rows, T, k}, NAN, at::kFloat);
  result.top_ids = at::zeros({rows, T, k}, at::kLong);
  result.top_strings.assign(size_t(rows * T * k), "");
  std::vector<at::Tensor> resids;
  for (int layer : result.layers)
    resids.push_back(run.cache.get(layer < 0 ? hook_name(Hook::resid_pre, 0) : hook_name(Hook::resid_post, layer)));
  run.cache = {};
  // Layers are read together, about kGemmRows rows of [positions, d_model] per unembedding,
  // so that the products are large enough to run at the machine's GEMM rate.
  constexpr int64_t kGemmRows = 512;
  for (int64_t begin = 0; begin < T; begin += chunk) {
    const int64_t n = std::min(chunk, T - begin);
    const int64_t group = std::clamp<int64_t>(kGemmRows / n, 1, rows);
    for (int64_t first = 0; first < rows; first += group) {
      progress.check();
      const int64_t g = std::min(group, rows - first);
      std::vector<at::Tensor> slices;
      for (int64_t row = first; row < first + g; ++row) slices.push_back(resids[size_t(row)].narrow(0, begin, n));
      const LensRows lens = read_vocabulary(transformer, transformer.final_norm(at::stack(slices)),
                                            final_logits.narrow(0, begin, n), final_lse.narrow(0, begin, n),
                                            *result.target, k);
      result.kl.narrow(0, first, g).narrow(1, begin, n).copy_(lens.kl);
      result.target_prob.narrow(0, first, g).narrow(1, begin, n).copy_((lens.target_logit - lens.lse).exp());
      result.top_probs.narrow(0, first, g).narrow(1, begin, n).copy_((lens.top_logits - lens.lse.unsqueeze(-1)).exp());
      result.top_ids.narrow(0, first, g).narrow(1, begin, n).copy_(lens.top_ids);
      const at::Tensor ids = lens.top_ids.cpu().contiguous();
      const std::vector<std::string> strings =
          model.token_strings(std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel()));
      for (int64_t r = 0; r < g; ++r)
        std::copy(strings.begin() + r * n * k, strings.begin() + (r + 1) * n * k,
                  result.top_strings.begin() + ((first + r) * T + begin) * k);
      const double done = (double(begin) * rows + double(n) * (first + g)) / (double(T) * rows);
      progress.update(kForwardShare + (1 - kForwardShare) * done,
                      "positions " + std::to_string(begin) + "–" + std::to_string(begin + n - 1) + ", " +
                          result.layer_names[size_t(first)] +
                          (g > 1 ? "–" + result.layer_names[size_t(first + g - 1)] : std::string()));
    }
    if (begin + n < T && progress.wants_partial()) progress.publish(to_plots(result));
  }
  return result;
}

std::vector<Plot> to_plots(const LogitLensResult& result) {
  const Axis tokens = token_axis(result.token_strings);
  const Axis layers = label_axis(result.layer_names);
  const int64_t rows = result.top_ids.size(0), T = result.top_ids.size(1), k = result.top_ids.size(2);
  // Each cell names its top token, and lists the top k on hover.
  std::vector<std::string> top_token, top_k;
  const at::Tensor probs = result.top_probs.to(at::kFloat).contiguous();
  const float* p = probs.data_ptr<float>();
  for (int64_t cell = 0; cell < rows * T; ++cell) {
    if (std::isnan(p[cell * k])) {  // a chunk not computed yet
      top_token.emplace_back();
      top_k.emplace_back();
      continue;
    }
    top_token.push_back(visible_token(result.top_strings[size_t(cell * k)]));
    std::string notes;
    for (int64_t r = 0; r < k; ++r) {
      char probability[16];
      std::snprintf(probability, sizeof probability, "%.3f", p[cell * k + r]);
      notes += (r ? "\n" : "") + std::to_string(r + 1) + ". " + visible_token(result.top_strings[size_t(cell * k + r)]) +
               "  " + probability;
    }
    top_k.push_back(std::move(notes));
  }
  auto with_tokens = [&](Plot plot) {
    plot.cell_text = top_token;
    plot.cell_notes = top_k;
    return plot;
  };
  const std::string target = "'" + visible_token(result.target_string) + "' (" + std::to_string(*result.target) +
                             (result.target_is_prediction ? ", the final prediction)" : ")");
  std::vector<Plot> plots;
  plots.push_back(with_tokens(make_plot("heatmap", "logit_lens_top_prob", "Logit lens: top token and its probability",
                                        result.top_probs.select(-1, 0), tokens, layers, "position", "layer",
                                        "top-token probability")));
  plots.push_back(with_tokens(make_plot("heatmap", "logit_lens_kl", "Logit lens: KL(p_layer ‖ p_final)", result.kl,
                                        tokens, layers, "position", "layer", "KL (nats)")));
  plots.push_back(with_tokens(make_plot("heatmap", "logit_lens_target_prob", "Logit lens: probability of " + target,
                                        result.target_prob, tokens, layers, "position", "layer", "probability")));
  plots.push_back(make_plot("line", "logit_lens_target_by_layer",
                            "Probability of " + target + " at the last position, by layer", result.target_prob.select(1, -1),
                            layers, {}, "layer", "probability"));

  const at::Tensor layer_index = at::tensor(std::vector<int64_t>(result.layers.begin(), result.layers.end()));
  at::Tensor table = at::stack({layer_index.view({rows, 1, 1}).expand({rows, T, k}).to(at::kFloat),
                                at::arange(T).view({1, T, 1}).expand({rows, T, k}).to(at::kFloat),
                                at::arange(1, k + 1).view({1, 1, k}).expand({rows, T, k}).to(at::kFloat),
                                result.top_ids.to(at::kFloat), result.top_probs.to(at::kFloat)},
                               -1)
                         .view({rows * T * k, 5});
  std::vector<std::string> labels;
  for (const auto& s : result.top_strings) labels.push_back(visible_token(s));
  plots.push_back(make_plot("table", "logit_lens_top_tokens", "Logit lens: top tokens per layer and position", table,
                            label_axis({"layer", "position", "rank", "token_id", "probability"}),
                            label_axis(std::move(labels)), "", "predicted token"));
  return plots;
}

Analysis logit_lens_analysis() {
  Analysis a;
  a.id = "logit-lens";
  a.title = "Logit lens";
  a.description = "Each layer's residual stream read through the final norm and unembedding: KL to the final "
                  "distribution, top tokens, and a target token's probability.";
  a.live = true;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("top_k", "Top k", 5, 1, std::min<int64_t>(50, std::max<int64_t>(m.d_vocab, 1)),
                           "Tokens listed per layer and position."),
        ParamSpec::of(ParamType::token, "target", "Target token", "",
                      "The token whose probability is tracked; empty: the model's final prediction at the last position."),
        ParamSpec::boolean("include_embed", "Include embedding", true, "Also read the embedding as layer 'embed'."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    LogitLensParams p;
    p.tokens = in.tokens;
    p.top_k = static_cast<int>(v.integer("top_k"));
    p.target = v.token("target");
    p.include_embed = v.flag("include_embed");
    const LogitLensResult r = logit_lens(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    // The last position's KL per layer: how early the final prediction forms.
    out.summary = {{"layers", r.layer_names}, {"kl_last_position", to_floats(r.kl.select(1, -1))}};
    out.summary["target"] = *r.target;
    out.summary["target_prob_last_position"] = to_floats(r.target_prob.select(1, -1));
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues&) { return std::string(kResidualStreamCapture); };
  return a;
}

}  // namespace glassbox::probes
