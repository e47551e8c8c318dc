#include "probes/logit_attribution.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "core/error.h"
#include "probes/common.h"
#include "probes/prompt_set.h"
#include "probes/registry.h"
#include "probes/row_tensors.h"

namespace glassbox::probes {

namespace {

const char* const kWhere = "logit-attribution";

at::Tensor as_double(const at::Tensor& t) { return t.to(at::kCPU, at::kDouble); }

std::string neuron_label(int layer, int64_t neuron) {
  return "L" + std::to_string(layer) + "N" + std::to_string(neuron);
}

void check_params(const TransformerConfig& cfg, const LogitAttributionParams& params) {
  if (params.tokens.empty()) fail(kWhere, "the prompt has no tokens");
  if (params.metric.kind != Metric::Kind::logit_diff) {
    fail(kWhere, "the metric must be the logit difference (" + params.metric.id() +
                     " is not linear in the residual stream)");
  }
  for (const int64_t token : {params.metric.answer, params.metric.wrong}) {
    if (token < 0 || token >= cfg.d_vocab)
      fail(kWhere, "token " + std::to_string(token) + " is outside the vocabulary of " + std::to_string(cfg.d_vocab));
  }
  if (params.metric.answer == params.metric.wrong)
    fail(kWhere, "the answer and the wrong answer are the same token (" + std::to_string(params.metric.answer) + ")");
  if (params.neuron_layer >= cfg.n_layers)
    fail(kWhere, "neuron layer " + std::to_string(params.neuron_layer) + " is outside the model's " +
                     std::to_string(cfg.n_layers) + " layers");
  if (params.top_neurons < 1) fail(kWhere, "the number of top neurons must be at least 1");
}

// Indices of the k largest |values|, largest first.
at::Tensor top_by_magnitude(const at::Tensor& values, int k) {
  return std::get<1>(values.abs().topk(std::min<int64_t>(k, values.numel())));
}

}  // namespace

LogitAttributionResult logit_attribution(const Model& model, const LogitAttributionParams& params,
                                         const Progress& progress) {
  const Transformer& t = as_transformer(model, kWhere);
  const TransformerConfig& cfg = t.config();
  const TransformerWeights& w = t.weights();
  check_params(cfg, params);
  const int L = cfg.n_layers;
  c10::InferenceMode inference;

  LogitAttributionResult r;
  r.position = absolute_position(params.position, params.tokens.size(), kWhere);
  r.metric = params.metric;
  r.metric_label = params.metric.label(model);
  r.neuron_layer = params.neuron_layer < 0 ? L - 1 : params.neuron_layer;

  progress.update(0, "forward pass");
  progress.check();
  RunOptions options;
  options.capture = NameFilter("hook_embed|hook_pos_embed|ln_final\\.hook_scale|blocks\\.\\d+\\.(attn\\.hook_z|hook_attn_out|"
                               "hook_mlp_out)|blocks\\." +
                               std::to_string(r.neuron_layer) + "\\.mlp\\.hook_post");
  const RunResult run = model.run(params.tokens, options);
  const auto at_position = [&](Hook hook, int layer) {
    return as_double(run.cache.get(hook_name(hook, layer))[r.position]);
  };

  // Through the final norm with its scale frozen, a piece c of the residual
  // adds center(c) / scale · (ln_final.w ⊙ d) to the logit difference, d the
  // metric's direction. Centring moves onto the direction: center(c)·v = c·center(v).
  const at::Tensor direction = as_double(params.metric.logit_direction(t));
  const double scale = at_position(Hook::ln_final_scale, 0).item<double>();
  at::Tensor read = direction * as_double(w.ln_final_w) / scale;
  if (cfg.norm == TransformerConfig::Norm::layernorm) read = read - read.mean();
  const auto project = [&](const at::Tensor& piece) { return at::matmul(as_double(piece), read); };
  const auto project_bias = [&](const at::Tensor& bias) { return bias.defined() ? project(bias).item<double>() : 0.0; };

  r.heads = at::zeros({L, cfg.n_heads}, at::kDouble);
  r.attention = at::zeros({L}, at::kDouble);
  r.attention_bias = at::zeros({L}, at::kDouble);
  r.mlp = at::zeros({L}, at::kDouble);
  r.mlp_bias = at::zeros({L}, at::kDouble);
  r.embed = project(at_position(Hook::embed, 0)).item<double>();
  r.component_labels.push_back("embed");
  std::vector<double> components = {r.embed};
  if (cfg.learned_pos) {
    r.pos_embed = project(at_position(Hook::pos_embed, 0)).item<double>();
    r.component_labels.push_back("pos_embed");
    components.push_back(r.pos_embed);
  }
  for (int l = 0; l < L; ++l) {
    const LayerWeights& lw = w.layers[l];
    // Each head's output z[pos, h] @ W_O[h], [H, d_model], in the model's
    // dtype as its forward pass computes it (no float64 copy of W_O).
    const at::Tensor z = run.cache.get(hook_name(Hook::z, l))[r.position];
    r.heads[l] = project(at::matmul(z.unsqueeze(1), t.W_O(l)).squeeze(1));
    r.attention[l] = project(at_position(Hook::attn_out, l));
    r.attention_bias[l] = project_bias(lw.b_O);
    r.mlp[l] = project(at_position(Hook::mlp_out, l));
    r.mlp_bias[l] = project_bias(lw.b_out);
    const std::string layer = "L" + std::to_string(l);
    r.component_labels.push_back(layer + " heads");
    components.push_back((r.attention[l] - r.attention_bias[l]).item<double>());
    if (lw.b_O.defined()) {
      r.component_labels.push_back(layer + " b_O");
      components.push_back(r.attention_bias[l].item<double>());
    }
    r.component_labels.push_back(layer + " neurons");
    components.push_back((r.mlp[l] - r.mlp_bias[l]).item<double>());
    if (lw.b_out.defined()) {
      r.component_labels.push_back(layer + " b_out");
      components.push_back(r.mlp_bias[l].item<double>());
    }
  }
  r.neurons = at_position(Hook::mlp_post, r.neuron_layer) * project(w.layers[r.neuron_layer].W_out);
  r.top_neurons = top_by_magnitude(r.neurons, params.top_neurons);
  if (w.ln_final_b.defined()) {
    r.final_norm_bias = at::dot(as_double(w.ln_final_b), direction).item<double>();
    r.component_labels.push_back("ln_final bias");
    components.push_back(r.final_norm_bias);
  }
  if (w.b_U.defined()) {
    const at::Tensor b_U = as_double(w.b_U);
    r.unembed_bias = (b_U[params.metric.answer] - b_U[params.metric.wrong]).item<double>();
    r.component_labels.push_back("b_U");
    components.push_back(r.unembed_bias);
  }
  r.components = at::tensor(components, at::kDouble);
  r.components_sum = r.components.sum().item<double>();
  r.logit_diff = params.metric(run.logits[r.position]).item<double>();
  progress.update(1, "done");
  return r;
}

namespace {

// A row's tensors and numbers by the names its shards keep them under.
const std::pair<const char*, at::Tensor LogitAttributionResult::*> kRowTensors[] = {
    {"heads", &LogitAttributionResult::heads},         {"attention", &LogitAttributionResult::attention},
    {"attention_bias", &LogitAttributionResult::attention_bias}, {"mlp", &LogitAttributionResult::mlp},
    {"mlp_bias", &LogitAttributionResult::mlp_bias},   {"neurons", &LogitAttributionResult::neurons},
    {"components", &LogitAttributionResult::components}};
const std::pair<const char*, double LogitAttributionResult::*> kRowNumbers[] = {
    {"embed", &LogitAttributionResult::embed},
    {"pos_embed", &LogitAttributionResult::pos_embed},
    {"final_norm_bias", &LogitAttributionResult::final_norm_bias},
    {"unembed_bias", &LogitAttributionResult::unembed_bias},
    {"logit_diff", &LogitAttributionResult::logit_diff},
    {"components_sum", &LogitAttributionResult::components_sum}};

}  // namespace

void add_attribution_row(RowResults& rows, const std::string& label, const LogitAttributionResult& row) {
  std::vector<std::pair<std::string, at::Tensor>> values;
  for (const auto& [name, member] : kRowTensors) values.emplace_back(name, row.*member);
  for (const auto& [name, member] : kRowNumbers) values.emplace_back(name, at::scalar_tensor(row.*member, at::kDouble));
  add_row(rows, label, values);
  rows.constants["component_labels"] = row.component_labels;
}

LogitAttributionSetResult logit_attribution_set(const RowResults& rows, int neuron_layer, int top_neurons) {
  if (rows.size() == 0) fail(kWhere, "the prompt set has no rows");
  LogitAttributionSetResult s;
  s.rows = rows.size();
  const auto stats = [&](const char* name) { return row_stats(row_tensors(rows, name), rows.labels, kWhere); };
  for (const auto& [name, member] : kRowTensors) {
    const RowStats st = stats(name);
    s.mean.*member = st.mean.to(at::kDouble);
    s.spread.*member = st.std.to(at::kDouble);
  }
  for (const auto& [name, member] : kRowNumbers) {
    const RowStats st = stats(name);
    s.mean.*member = st.mean.to(at::kDouble).item<double>();
    s.spread.*member = st.std.to(at::kDouble).item<double>();
  }
  try {
    s.mean.component_labels = s.spread.component_labels =
        rows.constants.at("component_labels").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    fail(kWhere, "the rows do not name their components");
  }
  s.mean.neuron_layer = s.spread.neuron_layer = neuron_layer;
  s.mean.top_neurons = s.spread.top_neurons = top_by_magnitude(s.mean.neurons, top_neurons);
  s.mean.metric_label = s.spread.metric_label = "each row's logit(answer) − logit(wrong)";
  return s;
}

namespace {

// The plots of `values`; with `spread` (a prompt set), their twins of the
// standard deviation and a std column in the table.
std::vector<Plot> attribution_plots(const LogitAttributionResult& values, const LogitAttributionResult* spread,
                                    const std::string& context) {
  const int64_t L = values.heads.size(0), H = values.heads.size(1);
  const std::string value_label = "direct effect on " + values.metric_label;
  const auto layer_bars = [&](const LogitAttributionResult& r, const std::string& suffix, const std::string& title) {
    Plot p = make_plot("bar", "logit_attribution_layers" + suffix, title + context, at::stack({r.attention, r.mlp}),
                       number_axis(L), {}, "layer", value_label);
    p.series = {"attention", "mlp"};
    return p;
  };
  const auto head_map = [&](const LogitAttributionResult& r, const std::string& suffix, const std::string& title) {
    return make_plot("heatmap", "logit_attribution_heads" + suffix, title + context, r.heads, number_axis(H),
                     number_axis(L), "head", "layer", value_label);
  };
  std::vector<std::string> neuron_labels;
  for (int64_t i = 0; i < values.top_neurons.numel(); ++i)
    neuron_labels.push_back(neuron_label(values.neuron_layer, values.top_neurons[i].item<int64_t>()));
  const auto neuron_bars = [&](const LogitAttributionResult& r, const std::string& suffix, const std::string& title) {
    return make_plot("bar", "logit_attribution_neurons" + suffix, title + context,
                     r.neurons.index_select(0, values.top_neurons), label_axis(neuron_labels), {}, "neuron",
                     value_label);
  };
  const std::string layer_neurons = "top neurons of layer " + std::to_string(values.neuron_layer);
  std::vector<Plot> plots = {
      layer_bars(values, "", "Direct logit attribution per layer"),
      head_map(values, "", "Direct logit attribution per head"),
      neuron_bars(values, "", "Direct logit attribution, " + layer_neurons),
  };

  std::vector<std::string> rows = values.component_labels;
  rows.insert(rows.end(), {"sum of components", "logit difference (model)"});
  const auto column = [](const LogitAttributionResult& r) {
    return at::cat({r.components, at::tensor({r.components_sum, r.logit_diff}, at::kDouble)});
  };
  const at::Tensor table = spread ? at::stack({column(values), column(*spread)}, 1) : column(values).unsqueeze(1);
  plots.push_back(make_plot("table", "logit_attribution_components", "Direct logit attribution of every component" + context,
                            table, label_axis(spread ? std::vector<std::string>{"mean", "std"}
                                                     : std::vector<std::string>{"attribution"}),
                            label_axis(std::move(rows)), {}, "component"));
  if (spread) {
    plots.push_back(layer_bars(*spread, "_std", "Spread of the per-layer attribution"));
    plots.push_back(head_map(*spread, "_std", "Spread of the per-head attribution"));
    plots.push_back(neuron_bars(*spread, "_std", "Spread of the attribution, " + layer_neurons));
  }
  return plots;
}

nlohmann::json top_heads(const LogitAttributionResult& r) {
  const int64_t H = r.heads.size(1);
  const at::Tensor flat = r.heads.flatten();
  nlohmann::json out = nlohmann::json::array();
  const at::Tensor order = top_by_magnitude(flat, 5);
  for (int64_t i = 0; i < order.numel(); ++i) {
    const int64_t index = order[i].item<int64_t>();
    out.push_back({{"head", head_label({static_cast<int>(index / H), static_cast<int>(index % H)})},
                   {"attribution", flat[index].item<double>()}});
  }
  return out;
}

nlohmann::json summary(const LogitAttributionResult& r) {
  return {{"logit_diff", r.logit_diff}, {"components_sum", r.components_sum}, {"top_heads", top_heads(r)}};
}

LogitAttributionParams params_of(const ParamValues& v) {
  LogitAttributionParams p;
  p.position = v.integer("position");
  p.neuron_layer = static_cast<int>(v.integer("neuron_layer"));
  p.top_neurons = static_cast<int>(v.integer("top_neurons"));
  return p;
}

// Each row of the prompt set's shard, its clean prompt with its own answer and wrong token.
RowResults attribution_rows(const Model& model, const AnalysisInputs& in, const ParamValues& v,
                            const Progress& progress) {
  RowResults rows;
  const std::vector<PromptPair> pairs =
      take_shard(load_prompt_set(model, in.dataset, in.add_special_tokens), in.shard, rows, in.dataset);
  LogitAttributionParams p = params_of(v);
  for (const PromptPair& pair : pairs) {
    progress.update(double(rows.size()) / pairs.size(), pair.label);
    progress.check();
    p.tokens = pair.clean;
    p.metric.answer = pair.answer;
    p.metric.wrong = pair.wrong;
    try {
      add_attribution_row(rows, pair.label, logit_attribution(model, p, {}));
    } catch (const Error& e) {
      fail(in.dataset + ": " + pair.label, e.what());
    }
  }
  progress.update(1, "done");
  return rows;
}

AnalysisOutput attribution_from_rows(const RowResults& rows, const ParamValues& v) {
  const LogitAttributionParams p = params_of(v);
  const LogitAttributionSetResult s = logit_attribution_set(rows, p.neuron_layer, p.top_neurons);
  AnalysisOutput out{to_plots(s)};
  out.summary = summary(s.mean);
  out.summary["rows"] = s.rows;
  return out;
}

}  // namespace

std::vector<Plot> to_plots(const LogitAttributionResult& result) {
  return attribution_plots(result, nullptr, " (position " + std::to_string(result.position) + ")");
}

std::vector<Plot> to_plots(const LogitAttributionSetResult& result) {
  return attribution_plots(result.mean, &result.spread, " (mean over " + std::to_string(result.rows) + " rows)");
}

Analysis logit_attribution_analysis() {
  Analysis a;
  a.id = kWhere;
  a.title = "Direct logit attribution";
  a.description = "How much each head, MLP, neuron, embedding and bias writes directly into logit(answer) − "
                  "logit(wrong) at a position, through the final norm with its scale frozen; for the prompt or, "
                  "given a prompt set, the mean over its rows' clean prompts.";
  a.needs.dataset = Need::optional;
  a.needs.dataset_kind = DatasetKind::prompt_pairs;
  a.params = [](const ModelInfo& m) {
    std::vector<ParamSpec> specs = {
        ParamSpec::position("position", "Position", m.n_ctx, "The position whose residual stream is split; -1 is the last.")};
    // Only the logit difference is linear: its two tokens, without the metric choice.
    for (const ParamSpec& spec : metric_params()) {
      if (spec.name == "answer" || spec.name == "wrong") specs.push_back(spec);
    }
    specs.push_back(ParamSpec::integer("neuron_layer", "Neuron layer", std::max(0, m.n_layers - 1), 0, std::max(0, m.n_layers - 1),
                                       "The layer whose MLP neurons are ranked."));
    specs.push_back(ParamSpec::integer("top_neurons", "Top neurons", 20, 1, std::max(1, m.d_mlp),
                                       "How many of its neurons to show, by |attribution|."));
    return specs;
  };
  a.dataset_rows = attribution_rows;
  a.from_rows = attribution_from_rows;
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    if (!in.dataset.empty()) return attribution_from_rows(attribution_rows(model, in, v, progress), v);
    if (in.tokens.empty()) fail(kWhere, "give a prompt or a prompt set");
    LogitAttributionParams p = params_of(v);
    p.tokens = in.tokens;
    // The defaults of answer and wrong are the predictions at the position:
    // the last ones of the prompt up to it.
    const int64_t position = absolute_position(p.position, p.tokens.size(), kWhere);
    const std::vector<int64_t> prefix(p.tokens.begin(), p.tokens.begin() + position + 1);
    nlohmann::json values = v.json();
    values["metric"] = "logit_diff";
    p.metric = metric_from(ParamValues(values), model, prefix, {}, kWhere);
    const LogitAttributionResult r = logit_attribution(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = summary(r);
    out.summary["position"] = r.position;
    out.summary["answer"] = r.metric.answer;
    out.summary["wrong"] = r.metric.wrong;
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
