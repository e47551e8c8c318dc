#include "probes/composition.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// The three receiver matrices per head, in the order of the result's q, k, v.
constexpr int kModes = 3;
const char* const kModeNames[kModes] = {"q", "k", "v"};
const char* const kModeTitles[kModes] = {"Q", "K", "V"};

// Every head's factored circuits, laid out for batched products.
struct HeadFactorTables {
  at::Tensor senders;         // [L·H, d_head, d_model]: S_A V_Aᵀ of each OV
  at::Tensor receivers;       // [L, d_model, 3, H, d_head]: U_B S_B of QK, QKᵀ, OV
  at::Tensor sender_norm;     // [L·H]: ‖OV‖_F
  at::Tensor receiver_norm;   // [L, 3, H]: ‖QK‖_F, ‖QK‖_F, ‖OV‖_F
};

HeadFactorTables factor_tables(const Transformer& t, const Progress& progress, double fraction_end) {
  const auto& c = t.config();
  const int L = c.n_layers, H = c.n_heads;
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(t.device());
  HeadFactorTables f;
  f.senders = at::empty({int64_t(L) * H, c.d_head, c.d_model}, opts);
  f.receivers = at::empty({L, c.d_model, kModes, H, c.d_head}, opts);
  f.sender_norm = at::empty({int64_t(L) * H}, opts.dtype(at::kDouble));
  f.receiver_norm = at::empty({L, kModes, H}, opts.dtype(at::kDouble));
  for (int l = 0; l < L; ++l) {
    for (int h = 0; h < H; ++h) {
      progress.check();
      progress.update(fraction_end * (l * H + h) / (L * H), "SVD of head L" + std::to_string(l) + "H" + std::to_string(h));
      const FactoredSvd ov = factored_svd(ov_factors(t, l, h));
      const FactoredSvd qk = factored_svd(qk_factors(t, l, h));
      f.senders[l * H + h].copy_((ov.V * ov.S).t());
      // QKᵀ = V S Uᵀ: its left factor is V S.
      const at::Tensor left[kModes] = {qk.U * qk.S, qk.V * qk.S, ov.U * ov.S};
      const at::Tensor norm[kModes] = {qk.S.norm(), qk.S.norm(), ov.S.norm()};
      for (int m = 0; m < kModes; ++m) {
        f.receivers[l].select(1, m).select(1, h).copy_(left[m]);
        f.receiver_norm[l][m][h].copy_(norm[m]);
      }
      f.sender_norm[l * H + h].copy_(ov.S.norm());
    }
  }
  return f;
}

Plot head_heatmap(const std::string& name, const std::string& title, const at::Tensor& data, const Axis& y,
                  const std::string& y_label, int n_layers, int n_heads) {
  return make_plot("heatmap", name, title, data, head_axis(n_layers, n_heads), y, "receiver head", y_label,
                   "composition score");
}

}  // namespace

CompositionResult composition(const Model& model, const CompositionParams& params, const Progress& progress) {
  const Transformer& t = as_transformer(model, "composition");
  c10::InferenceMode inference;
  const auto& c = t.config();
  const int L = c.n_layers, H = c.n_heads, dh = c.d_head;
  const int64_t N = int64_t(L) * H, D = c.d_model;
  if (params.sender && (params.sender->layer >= L || params.sender->head >= H)) {
    fail("composition", "sender " + head_label(*params.sender) + " is outside the model");
  }

  // The SVDs are cheap next to the products: layer l's receivers read from l·H senders, so
  // the work done after layer l grows as l².
  constexpr double kSvdShare = 0.05;
  const HeadFactorTables f = factor_tables(t, progress, kSvdShare);
  const at::Tensor sender_rows = f.senders.view({N * dh, D});
  at::Tensor scores = at::full({kModes, N, N}, NAN, at::TensorOptions().dtype(at::kFloat));
  const double total_work = 0.5 * L * (L - 1);
  for (int l = 1; l < L; ++l) {
    progress.check();
    progress.update(kSvdShare + (1 - kSvdShare) * (0.5 * l * (l - 1)) / total_work,
                    "receivers in layer " + std::to_string(l) + " of " + std::to_string(L - 1));
    const int64_t n_send = int64_t(l) * H;
    // Rows (sender, i), columns (mode, receiver, j): (S_A V_Aᵀ U_B S_B)_ij.
    const at::Tensor cross = at::matmul(sender_rows.narrow(0, 0, n_send * dh), f.receivers[l].view({D, kModes * H * dh}));
    const at::Tensor frobenius = cross.view({n_send, dh, kModes, H, dh}).pow(2).sum({1, 4}).to(at::kDouble).sqrt();
    const at::Tensor denominator = f.sender_norm.narrow(0, 0, n_send).view({n_send, 1, 1}) * f.receiver_norm[l].unsqueeze(0);
    scores.narrow(1, 0, n_send).narrow(2, int64_t(l) * H, H).copy_((frobenius / denominator).permute({1, 0, 2}));
  }

  CompositionResult result;
  result.n_layers = L;
  result.n_heads = H;
  result.d_head = dh;
  result.q = scores[0];
  result.k = scores[1];
  result.v = scores[2];
  if (params.sender) {
    const HeadRef s = *params.sender;
    const FactoredSvd ov = factored_svd(ov_factors(t, s.layer, s.head));
    result.sender = s;
    result.sender_singular_values = ov.S.to(at::kCPU, at::kFloat);
    at::Tensor components = at::full({kModes, dh, N}, NAN, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor directions = ov.V.t().to(at::kFloat);  // [d_head, d_model]: unit rows v_iᵀ
    for (int l = s.layer + 1; l < L; ++l) {
      // ‖v_iᵀ U_B S_B V_Bᵀ‖ = ‖v_iᵀ U_B S_B‖ as V_B has orthonormal columns.
      const at::Tensor read = at::matmul(directions, f.receivers[l].view({D, kModes * H * dh}));
      const at::Tensor norms = read.view({dh, kModes, H, dh}).pow(2).sum(3).to(at::kDouble).sqrt();
      components.narrow(2, int64_t(l) * H, H).copy_((norms / f.receiver_norm[l].unsqueeze(0)).permute({1, 0, 2}));
    }
    result.component_q = components[0];
    result.component_k = components[1];
    result.component_v = components[2];
  }
  progress.update(1.0);
  return result;
}

std::vector<Plot> to_plots(const CompositionResult& r) {
  const at::Tensor mode_scores[kModes] = {r.q, r.k, r.v};
  const Axis senders = head_axis(r.n_layers, r.n_heads);
  std::vector<Plot> plots;
  for (int m = 0; m < kModes; ++m) {
    plots.push_back(head_heatmap(std::string("composition_") + kModeNames[m],
                                 std::string(kModeTitles[m]) + "-composition scores (sender OV into receiver)",
                                 mode_scores[m], senders, "sender head", r.n_layers, r.n_heads));
  }
  if (r.sender) {
    const std::string label = head_label(*r.sender);
    const at::Tensor components[kModes] = {r.component_q, r.component_k, r.component_v};
    for (int m = 0; m < kModes; ++m) {
      plots.push_back(head_heatmap(std::string("component_scores_") + kModeNames[m],
                                   std::string(kModeTitles[m]) + "-composition of " + label + "'s OV components",
                                   components[m], number_axis(r.d_head), "sender OV component", r.n_layers,
                                   r.n_heads));
    }
    plots.push_back(make_plot("bar", "sender_ov_singular_values", "OV singular values of " + label,
                              r.sender_singular_values, number_axis(r.d_head), {}, "component", {},
                              "singular value"));
  }
  return plots;
}

namespace {

// Replaces one layer's W_O for the lifetime of the guard: the original tensor
// (possibly memory-mapped) is never written to, and is put back on any exit.
class OutputWeightSwap {
 public:
  OutputWeightSwap(Transformer& t, int layer, at::Tensor replacement)
      : weights_(t.mutable_weights()), layer_(layer), original_(weights_.layers.at(layer).W_O) {
    weights_.layers[layer_].W_O = std::move(replacement);
  }
  ~OutputWeightSwap() { weights_.layers[layer_].W_O = original_; }
  OutputWeightSwap(const OutputWeightSwap&) = delete;
  OutputWeightSwap& operator=(const OutputWeightSwap&) = delete;

 private:
  TransformerWeights& weights_;
  int layer_;
  at::Tensor original_;
};

struct TargetStats {
  double prob, logit;
  int64_t rank;
};

TargetStats target_stats(const at::Tensor& logits, int64_t target) {
  const at::Tensor value = logits[target];
  return {at::softmax(logits.to(at::kDouble), 0)[target].item<double>(), value.item<double>(),
          (logits > value).sum().item<int64_t>()};
}

}  // namespace

SvdInterventionResult svd_intervention(Model& model, const SvdInterventionParams& params, const Progress& progress) {
  Transformer& t = as_transformer(model, "composition");
  c10::InferenceMode inference;
  const auto& c = t.config();
  const HeadRef h = params.head;
  if (h.layer < 0 || h.layer >= c.n_layers || h.head < 0 || h.head >= c.n_heads) {
    fail("composition", "intervention head " + head_label(h) + " is outside the model");
  }
  if (params.component < 0 || params.component >= c.d_head) {
    fail("composition", "component " + std::to_string(params.component) + " is outside [0, " +
                            std::to_string(c.d_head) + ")");
  }
  if (params.target >= c.d_vocab) fail("composition", "target token " + std::to_string(params.target) + " is outside the vocabulary");
  if (params.tokens.empty()) fail("composition", "the intervention needs a prompt");

  SvdInterventionResult result;
  result.head = h;
  result.component = params.component;
  result.scale = params.scale;
  result.target = params.target;
  progress.update(0.0, "clean run");
  result.clean_logits = model.run(params.tokens).logits[-1].to(at::kCPU);

  const FactoredSvd ov = factored_svd(ov_factors(t, h.layer, h.head));
  result.singular_value = ov.S[params.component].item<double>();
  const at::Tensor& W_O = t.weights().layers[h.layer].W_O;
  const at::Tensor v = ov.V.select(1, params.component).to(W_O.device());  // unit output direction, float64
  const at::Tensor head_rows = W_O.narrow(0, int64_t(h.head) * c.d_head, c.d_head).to(at::kDouble);
  at::Tensor edited = W_O.clone();
  edited.narrow(0, int64_t(h.head) * c.d_head, c.d_head)
      .copy_(head_rows - (1.0 - params.scale) * at::outer(at::matmul(head_rows, v), v));
  {
    OutputWeightSwap swap(t, h.layer, edited);
    progress.check();
    progress.update(0.5, "edited run");
    result.edited_logits = model.run(params.tokens).logits[-1].to(at::kCPU);
  }

  if (params.target >= 0) {
    const TargetStats clean = target_stats(result.clean_logits, params.target);
    const TargetStats after = target_stats(result.edited_logits, params.target);
    result.clean_prob = clean.prob;
    result.clean_logit = clean.logit;
    result.clean_rank = clean.rank;
    result.edited_prob = after.prob;
    result.edited_logit = after.logit;
    result.edited_rank = after.rank;
  }
  const int64_t k = std::min<int64_t>(params.top_k, c.d_vocab);
  const at::Tensor top = std::get<1>((result.edited_logits - result.clean_logits).abs().topk(k)).contiguous();
  result.top_changed.assign(top.data_ptr<int64_t>(), top.data_ptr<int64_t>() + k);
  result.top_changed_texts = model.token_strings(result.top_changed);
  progress.update(1.0);
  return result;
}

std::vector<Plot> to_plots(const SvdInterventionResult& r) {
  const std::string what = head_label(r.head) + " OV component " + std::to_string(r.component) + " scaled by " +
                           std::to_string(r.scale);
  std::vector<Plot> plots;
  if (r.target >= 0) {
    const at::Tensor table = at::tensor({r.clean_prob, r.edited_prob, r.edited_prob - r.clean_prob,  //
                                         r.clean_logit, r.edited_logit, r.edited_logit - r.clean_logit,
                                         double(r.clean_rank), double(r.edited_rank),
                                         double(r.edited_rank - r.clean_rank)},
                                        at::kDouble)
                                 .view({3, 3});
    plots.push_back(make_plot("table", "intervention_target",
                              "target token " + std::to_string(r.target) + " at the last position, " + what, table,
                              label_axis({"clean", "edited", "change"}), label_axis({"probability", "logit", "rank"})));
  }
  std::vector<double> rows;
  std::vector<std::string> labels;
  for (size_t i = 0; i < r.top_changed.size(); ++i) {
    const int64_t id = r.top_changed[i];
    const double clean = r.clean_logits[id].item<double>(), edited = r.edited_logits[id].item<double>();
    rows.insert(rows.end(), {double(id), clean, edited, edited - clean});
    labels.push_back(r.top_changed_texts[i]);
  }
  plots.push_back(make_plot("table", "intervention_top_changes", "largest logit changes at the last position, " + what,
                            at::tensor(rows, at::kDouble).view({-1, 4}),
                            label_axis({"token id", "clean logit", "edited logit", "change"}),
                            label_axis(std::move(labels)), {}, "token", "logit"));
  return plots;
}

Analysis composition_analysis() {
  Analysis a;
  a.id = "composition";
  a.title = "Composition";
  a.description = "Q-, K- and V-composition scores of every earlier head into every later head (Elhage et al.), "
                  "one sender's component-wise scores, and scaling one singular component of a head's OV on the "
                  "prompt.";
  a.needs.prompt = Need::optional;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::of(ParamType::head, "sender", "Sender", "",
                      "LAYER:HEAD whose component-wise scores are shown (optional)."),
        ParamSpec::of(ParamType::head, "intervene", "Intervene on", "",
                      "LAYER:HEAD whose OV component is scaled on the prompt (optional)."),
        ParamSpec::integer("component", "Component", 0, 0, std::max(m.d_head - 1, 0),
                           "Singular component of the intervened head's OV (0 = largest)."),
        ParamSpec::real("scale", "Scale", 0.0, -100.0, 100.0, "Factor on the component; 0 removes it."),
        ParamSpec::of(ParamType::token, "target", "Target token", "",
                      "Token whose probability the intervention reports (optional)."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    CompositionParams p;
    p.sender = v.head("sender");
    const CompositionResult r = composition(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    if (const auto head = v.head("intervene")) {
      if (in.tokens.empty()) fail("composition", "an intervention needs a prompt");
      SvdInterventionParams ip;
      ip.tokens = in.tokens;
      ip.head = *head;
      ip.component = static_cast<int>(v.integer("component"));
      ip.scale = v.real("scale");
      ip.target = v.token("target").value_or(-1);
      // Jobs run one at a time and svd_intervention restores W_O before it
      // returns, so no other reader sees the edited weights.
      const SvdInterventionResult ir = svd_intervention(const_cast<Model&>(model), ip, progress);
      for (Plot& plot : to_plots(ir)) out.plots.push_back(std::move(plot));
      out.summary["singular_value"] = ir.singular_value;
      out.summary["largest_logit_change"] = (ir.edited_logits - ir.clean_logits).abs().max().item<double>();
      if (ir.target >= 0) {
        out.summary["clean_target_prob"] = ir.clean_prob;
        out.summary["edited_target_prob"] = ir.edited_prob;
      }
    }
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
