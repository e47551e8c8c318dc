#include "probes/head_svd.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

FactoredSvd factored_svd(const Factors& factors) {
  // left @ right = Q1 R1 (Q2 R2)ᵀ = Q1 (R1 R2ᵀ) Q2ᵀ; only R1 R2ᵀ (r×r) is decomposed.
  const at::Tensor left = factors.left.to(at::kDouble), right = factors.right.to(at::kDouble);
  auto [q1, r1] = at::linalg_qr(left, "reduced");
  auto [q2, r2] = at::linalg_qr(right.t(), "reduced");
  auto [u, s, vh] = at::linalg_svd(at::matmul(r1, r2.t()), /*full_matrices=*/false);
  return {at::matmul(q1, u), s, at::matmul(q2, vh.t())};
}

Factors ov_factors(const Transformer& model, int layer, int head) {
  return {model.W_V(layer)[model.kv_head(head)], model.W_O(layer)[head]};
}

Factors qk_factors(const Transformer& model, int layer, int head) {
  return {model.W_Q(layer)[head], model.W_K(layer)[model.kv_head(head)].t()};
}

namespace {

// The top_k tokens of each row of `scores` [directions, vocab].
std::vector<TokenReadout> top_tokens(const at::Tensor& scores, int top_k, const Model& model) {
  auto [values, indices] = scores.to(at::kCPU, at::kFloat).topk(top_k, /*dim=*/1);
  std::vector<TokenReadout> out;
  for (int64_t i = 0; i < scores.size(0); ++i) {
    TokenReadout r;
    r.direction = static_cast<int>(i);
    at::Tensor ids = indices[i].contiguous();
    r.ids.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
    r.scores = to_floats(values[i]);
    r.texts = model.token_strings(r.ids);
    out.push_back(std::move(r));
  }
  return out;
}

// Scores of the first n singular pairs: `primary` and `secondary` [n, vocab],
// both flipped per row so the primary row's largest-magnitude entry is positive.
void fix_signs(at::Tensor& primary, at::Tensor& secondary) {
  at::Tensor peak = primary.gather(1, primary.abs().argmax(1, /*keepdim=*/true));
  at::Tensor sign = at::where(peak < 0, -at::ones_like(peak), at::ones_like(peak));
  primary = primary * sign;
  secondary = secondary * sign;
}

Plot singular_value_plot(const std::string& name, const std::string& circuit, const HeadRef& head,
                         const std::vector<double>& values) {
  return make_plot("bar", name, circuit + " singular values of " + head_label(head),
                   at::tensor(values, at::kDouble), number_axis(static_cast<int64_t>(values.size())), {},
                   "singular value index", {}, "singular value");
}

Plot token_table(const std::string& name, const std::string& title, const std::vector<TokenReadout>& readouts) {
  std::vector<float> rows;
  std::vector<std::string> labels;
  for (const TokenReadout& r : readouts) {
    for (size_t k = 0; k < r.ids.size(); ++k) {
      rows.insert(rows.end(), {float(r.direction), float(k + 1), float(r.ids[k]), r.scores[k]});
      labels.push_back("s" + std::to_string(r.direction) + " #" + std::to_string(k + 1) + " " + r.texts[k]);
    }
  }
  at::Tensor data = at::tensor(rows, at::kFloat).view({static_cast<int64_t>(labels.size()), 4});
  return make_plot("table", name, title, data, label_axis({"direction", "rank", "token id", "score"}),
                   label_axis(std::move(labels)), {}, "direction and rank: token", "score");
}

}  // namespace

HeadSvdResult head_svd(const Model& model, const HeadSvdParams& params, const Progress& progress) {
  const Transformer& t = as_transformer(model, "head-svd");
  c10::InferenceMode inference;
  const HeadRef head = params.head;
  if (head.layer < 0 || head.layer >= t.config().n_layers || head.head < 0 || head.head >= t.config().n_heads) {
    fail("head-svd", "head " + head_label(head) + " is outside the model");
  }
  const int n = std::min(params.directions, t.config().d_head);
  const int k = static_cast<int>(std::min<int64_t>(params.top_k, t.config().d_vocab));
  if (n <= 0 || k <= 0) fail("head-svd", "directions and top-k must be positive");

  HeadSvdResult result;
  result.head = head;
  progress.update(0.0, "OV SVD");
  const FactoredSvd ov = factored_svd(ov_factors(t, head.layer, head.head));
  progress.check();
  progress.update(0.25, "QK SVD");
  const FactoredSvd qk = factored_svd(qk_factors(t, head.layer, head.head));
  auto as_vector = [](const at::Tensor& s) {
    at::Tensor c = s.to(at::kCPU, at::kDouble).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  };
  result.ov_singular_values = as_vector(ov.S);
  result.qk_singular_values = as_vector(qk.S);
  progress.check();

  const TransformerWeights& w = t.weights();
  // Scores of the first n directions of each side against every token, [n, vocab]:
  // input-side directions through W_E (one pass over it), OV's output side through W_U.
  progress.update(0.5, "token read-out");
  const at::Tensor read_sides = at::cat({ov.U.narrow(1, 0, n), qk.U.narrow(1, 0, n), qk.V.narrow(1, 0, n)}, 1);
  const std::vector<at::Tensor> embedded =
      at::matmul(w.W_E, read_sides.to(w.W_E.options())).t().to(read_sides.device(), at::kFloat).split(n, 0);
  at::Tensor ov_in = embedded[0], qk_query = embedded[1], qk_key = embedded[2];
  at::Tensor ov_out =
      at::matmul(ov.V.narrow(1, 0, n).t().to(w.W_U.options()), w.W_U).to(read_sides.device(), at::kFloat);
  progress.check();
  fix_signs(ov_out, ov_in);
  fix_signs(qk_query, qk_key);
  result.ov_output = top_tokens(ov_out, k, model);
  result.ov_input = top_tokens(ov_in, k, model);
  result.qk_query = top_tokens(qk_query, k, model);
  result.qk_key = top_tokens(qk_key, k, model);
  progress.update(1.0);
  return result;
}

std::vector<Plot> to_plots(const HeadSvdResult& r) {
  const std::string h = head_label(r.head);
  return {singular_value_plot("ov_singular_values", "OV", r.head, r.ov_singular_values),
          singular_value_plot("qk_singular_values", "QK", r.head, r.qk_singular_values),
          token_table("ov_output_tokens", "OV output directions of " + h + " through W_U", r.ov_output),
          token_table("ov_input_tokens", "OV input directions of " + h + " through W_E", r.ov_input),
          token_table("qk_query_tokens", "QK query directions of " + h + " through W_E", r.qk_query),
          token_table("qk_key_tokens", "QK key directions of " + h + " through W_E", r.qk_key)};
}

Analysis head_svd_analysis() {
  Analysis a;
  a.id = "head-svd";
  a.title = "Head SVD";
  a.description = "Singular values of a head's OV and QK circuits, and their top singular directions read as "
                  "tokens through the unembedding and embedding.";
  a.live = true;
  a.needs.prompt = Need::none;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::of(ParamType::head, "head", "Head", "0:0", "LAYER:HEAD, e.g. 3:7.", true),
        ParamSpec::integer("directions", "Directions", 8, 1, std::max(m.d_head, 1), "Singular directions read out."),
        ParamSpec::integer("top_k", "Tokens per direction", 10, 1, 50, "Tokens listed per direction."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs&, const ParamValues& v, const Progress& progress) {
    HeadSvdParams p;
    p.head = *v.head("head");
    p.directions = static_cast<int>(v.integer("directions"));
    p.top_k = static_cast<int>(v.integer("top_k"));
    const HeadSvdResult r = head_svd(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    nlohmann::json top_output = nlohmann::json::array();
    for (const auto& readout : r.ov_output) top_output.push_back(readout.texts.front());
    out.summary = {{"head", head_label(p.head)},
                   {"ov_singular_values", r.ov_singular_values},
                   {"qk_singular_values", r.qk_singular_values},
                   {"ov_output_top_token_per_direction", top_output}};
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
