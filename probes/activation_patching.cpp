#include "probes/activation_patching.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/common.h"
#include "probes/row_tensors.h"

namespace glassbox::probes {

namespace {

const std::string kWhere = "activation-patching";

struct GridSpec {
  PatchGrid grid;
  const char* id;
  Hook hook;
  bool per_head;      // a cell per head
  bool per_position;  // a cell per position
  const char* what;   // for titles
};

const GridSpec kGrids[] = {
    {PatchGrid::resid_pre, "resid_pre", Hook::resid_pre, false, true, "the residual stream (resid_pre) per position"},
    {PatchGrid::attn_out, "attn_out", Hook::attn_out, false, true, "attention outputs per position"},
    {PatchGrid::mlp_out, "mlp_out", Hook::mlp_out, false, true, "MLP outputs per position"},
    {PatchGrid::head_out, "head_out", Hook::z, true, false, "head outputs (hook_z), all positions"},
    {PatchGrid::head_out_per_position, "head_out_per_position", Hook::z, true, true,
     "head outputs (hook_z) per position"},
    {PatchGrid::pattern, "pattern", Hook::pattern, true, false, "attention patterns, all positions"},
    {PatchGrid::q, "q", Hook::q, true, false, "queries (hook_q), all positions"},
    {PatchGrid::k, "k", Hook::k, true, false, "keys (hook_k), all positions"},
    {PatchGrid::v, "v", Hook::v, true, false, "values (hook_v), all positions"},
};

const GridSpec& spec(PatchGrid grid) {
  for (const GridSpec& g : kGrids)
    if (g.grid == grid) return g;
  fail(kWhere, "unknown grid");
}

PatchGrid grid_from_id(const std::string& id) {
  for (const GridSpec& g : kGrids)
    if (id == g.id) return g.grid;
  fail(kWhere, "unknown grid '" + id + "'");
}

bool key_value_heads(const GridSpec& g) { return g.hook == Hook::k || g.hook == Hook::v; }

// Cells per layer and position: heads (query or key/value heads), or 1.
int units_of(const GridSpec& g, const TransformerConfig& cfg) {
  if (!g.per_head) return 1;
  return key_value_heads(g) ? cfg.n_kv_heads : cfg.n_heads;
}

std::vector<int64_t> grid_shape(const GridSpec& g, const TransformerConfig& cfg, int64_t positions) {
  std::vector<int64_t> shape = {cfg.n_layers};
  if (g.per_head) shape.push_back(units_of(g, cfg));
  if (g.per_position) shape.push_back(positions);
  return shape;
}

// `h` in every layer, as a capture filter.
NameFilter every_layer(Hook h) {
  const std::string rest = hook_name(h, 0).substr(std::string("blocks.0.").size());
  std::string regex = "blocks\\.\\d+\\.";
  for (char c : rest) regex += c == '.' ? std::string("\\.") : std::string(1, c);
  return NameFilter(regex);
}

// The metric at the last position of residual streams [B, T, d_model]: [B] float64 on the CPU.
at::Tensor last_metric(const Transformer& t, const Metric& metric, const at::Tensor& resid) {
  return metric(t.unembed_resid(resid.select(1, -1))).cpu();
}

struct Unpatched {
  ActivationCache cache;  // batch first [1, ...]
  double metric = 0;
};

Unpatched run_unpatched(const Transformer& t, const at::Tensor& ids, const NameFilter& capture, const Metric& metric,
                        KVCache* kv) {
  Unpatched u;
  const std::vector<Edit> no_edits;
  HookContext hooks(t.config().n_layers, &capture, no_edits, &u.cache);
  ForwardArgs args;
  args.tokens = ids;
  args.hooks = &hooks;
  args.kv = kv;
  args.logits = false;
  u.metric = last_metric(t, metric, t.forward(args).resid).item<double>();
  return u;
}

// Writes the source activation of `units` cells into batch rows [first_row,
// first_row + units): row first_row + u gets head u (all of it for layer
// grids). Per-position grids patch the pass's first position, `position`.
Edit patch_edit(const GridSpec& g, int layer, const at::Tensor& source, int64_t position, int64_t first_row,
                int64_t units) {
  // Heads first: the pattern is [H, T, T] already, q/k/v/z are [T, H, d_head].
  const bool transposed = g.per_head && g.hook != Hook::pattern;
  at::Tensor value = transposed ? source[0].transpose(0, 1) : source[0];
  if (g.per_position) value = value.select(g.per_head ? 1 : 0, position);  // [d_model] or [H, d_head]
  return Edit::custom(hook_name(g.hook, layer), [g, transposed, value, first_row, units](const at::Tensor& x) {
    at::Tensor out = x.clone();
    at::Tensor view = transposed ? out.transpose(1, 2) : out;
    if (g.per_position) view = view.select(g.per_head ? 2 : 1, 0);
    if (!g.per_head) {
      view.narrow(0, first_row, units).copy_(value);
    } else {
      for (int64_t u = 0; u < units; ++u) view[first_row + u][u].copy_(value[u]);
    }
    return out;
  });
}

// Rows of one batch at most: its widest activations (gated MLP units, attention
// scores) stay within about 256 MiB of float32.
int layers_per_batch(const TransformerConfig& cfg, int64_t positions, int64_t keys, int units) {
  const int64_t per_row = positions * std::max<int64_t>(3 * int64_t(cfg.d_mlp), 2 * int64_t(cfg.n_heads) * keys);
  const int64_t rows = std::max<int64_t>(units, (int64_t(1) << 26) / std::max<int64_t>(per_row, 1));
  return static_cast<int>(std::max<int64_t>(1, rows / units));
}

// The patched runs of one grid: every cell resumes the target run.
struct Patcher {
  const Transformer& t;
  const GridSpec& g;
  const Metric& metric;
  const at::Tensor& target_ids;  // [1, T]
  const Unpatched& source;
  const Unpatched& target;  // captured resid_post of every block
  const KVCache& target_kv;  // every position
  int units;

  // The cells of layers [first, last) that first change position p, as one
  // batch (rows: layer-major, then unit) that gains each layer's cells at its
  // block and runs positions [p, T): their metrics [last - first, units].
  at::Tensor batch(int64_t p, int first, int last, const std::function<void()>& after_block) const {
    const int L = t.config().n_layers;
    const int64_t n = target_ids.size(1) - p;
    at::Tensor resid;  // [rows, n, d_model]: the batch after the blocks run so far
    for (int l = first; l < L; ++l) {
      std::vector<Edit> edits;
      ForwardArgs args;
      args.start_layer = l;
      args.stop_layer = l + 1;
      args.logits = false;
      if (l < last) {
        const int64_t rows_before = resid.defined() ? resid.size(0) : 0;
        edits.push_back(patch_edit(g, l, source.cache.get(hook_name(g.hook, l)), p, rows_before, units));
        if (l == 0) {
          args.tokens = target_ids.narrow(1, p, n).expand({units, n});
        } else {
          const at::Tensor fresh =
              target.cache.get(hook_name(Hook::resid_post, l - 1)).narrow(1, p, n).expand({units, -1, -1});
          resid = resid.defined() ? at::cat({resid, fresh}) : fresh;
        }
      }
      const int64_t rows = l == 0 ? units : resid.size(0);
      args.resid = resid;
      // Positions before p are the target's: its keys and values there.
      KVCache kv;
      if (p > 0) {
        kv.k.resize(L);
        kv.v.resize(L);
        kv.k[l] = target_kv.k[l].narrow(2, 0, p).expand({rows, -1, -1, -1});
        kv.v[l] = target_kv.v[l].narrow(2, 0, p).expand({rows, -1, -1, -1});
        args.kv = &kv;
      }
      HookContext hooks(L, nullptr, edits, nullptr);
      args.hooks = edits.empty() ? nullptr : &hooks;
      resid = t.forward(args).resid;
      after_block();
    }
    return last_metric(t, metric, resid).view({last - first, units});
  }
};

}  // namespace

const char* grid_id(PatchGrid grid) { return spec(grid).id; }

const char* direction_id(PatchDirection direction) {
  return direction == PatchDirection::denoising ? "denoising" : "noising";
}

PatchingResult activation_patching(const Model& model, const PatchingParams& params, const Progress& progress) {
  const Transformer& t = as_transformer(model, kWhere);
  c10::InferenceMode inference;
  const TransformerConfig& cfg = t.config();
  check_same_length(params.clean, params.corrupted, kWhere);
  if (params.clean.empty()) fail(kWhere, "the prompts have no tokens");
  for (const int64_t id : {params.metric.answer, params.metric.wrong}) {
    if (id < 0 || id >= cfg.d_vocab)
      fail(kWhere, "the metric's token " + std::to_string(id) + " is outside the vocabulary");
  }
  const GridSpec& g = spec(params.grid);
  const bool denoising = params.direction == PatchDirection::denoising;
  const auto ids = [&](const std::vector<int64_t>& tokens) {
    return at::tensor(tokens, at::kLong).unsqueeze(0).to(model.device());
  };
  const at::Tensor source_ids = ids(denoising ? params.clean : params.corrupted);
  const at::Tensor target_ids = ids(denoising ? params.corrupted : params.clean);
  const int64_t T = target_ids.size(1);
  const int L = cfg.n_layers;

  progress.update(0, "unpatched runs");
  const Unpatched source = run_unpatched(t, source_ids, every_layer(g.hook), params.metric, nullptr);
  KVCache target_kv;
  const Unpatched target = run_unpatched(t, target_ids, every_layer(Hook::resid_post), params.metric, &target_kv);

  const Patcher patcher{t, g, params.metric, target_ids, source, target, target_kv, units_of(g, cfg)};
  const int64_t n_positions = g.per_position ? T : 1;
  // [L, units, positions]: each cell's metric.
  at::Tensor cells = at::empty({L, patcher.units, n_positions}, at::kDouble);
  std::vector<int> chunk_layers(n_positions);
  int64_t blocks = 0, done = 0;
  for (int64_t p = 0; p < n_positions; ++p) {
    chunk_layers[p] = layers_per_batch(cfg, T - p, T, patcher.units);
    for (int first = 0; first < L; first += chunk_layers[p]) blocks += L - first;
  }
  const std::string message = std::string("patching ") + g.id;
  const auto after_block = [&] {
    progress.check();
    progress.update(double(++done) / blocks, message);
  };
  for (int64_t p = 0; p < n_positions; ++p) {
    for (int first = 0; first < L; first += chunk_layers[p]) {
      const int last = std::min(L, first + chunk_layers[p]);
      cells.select(2, p).narrow(0, first, last - first).copy_(patcher.batch(p, first, last, after_block));
    }
  }

  PatchingResult r;
  r.grid = params.grid;
  r.direction = params.direction;
  r.metric_label = params.metric.label(model);
  r.n_layers = L;
  r.n_heads = g.per_head ? patcher.units : 0;
  r.token_strings = model.token_strings(params.clean);
  r.clean_metric = denoising ? source.metric : target.metric;
  r.corrupted_metric = denoising ? target.metric : source.metric;
  const at::Tensor values = cells.view(grid_shape(g, cfg, T));
  r.values = values.to(at::kFloat);
  r.normalised = normalised(values, r.clean_metric, r.corrupted_metric).to(at::kFloat);
  progress.update(1.0);
  return r;
}

RowResults activation_patching_rows(const Model& model, const std::vector<PromptPair>& pairs, const Shard& shard,
                                    Metric::Kind metric, PatchGrid grid, PatchDirection direction,
                                    const Progress& progress) {
  if (pairs.empty()) fail(kWhere, "the prompt set has no rows");
  const GridSpec& g = spec(grid);
  if (g.per_position) {
    // Grids over prompts of different lengths cannot be averaged: fail before any run.
    std::vector<at::Tensor> shapes;
    std::vector<std::string> labels;
    for (const PromptPair& pair : pairs) {
      shapes.push_back(at::zeros(grid_shape(g, as_transformer(model, kWhere).config(), int64_t(pair.clean.size()))));
      labels.push_back(pair.label);
    }
    row_stats(shapes, labels, kWhere);
  }
  RowResults rows;
  const std::vector<PromptPair> taken = take_shard(pairs, shard, rows, kWhere);
  for (size_t i = 0; i < taken.size(); ++i) {
    const PromptPair& pair = taken[i];
    const double begin = double(i) / taken.size(), end = double(i + 1) / taken.size();
    Progress row_progress;
    row_progress.report = [&](double f, const std::string& msg) {
      progress.update(begin + (end - begin) * f, pair.label + ": " + msg);
    };
    row_progress.cancelled = progress.cancelled;
    PatchingParams params;
    params.clean = pair.clean;
    params.corrupted = pair.corrupted;
    params.metric = Metric{metric, pair.answer, pair.wrong};
    params.direction = direction;
    params.grid = grid;
    const PatchingResult r = activation_patching(model, params, row_progress);
    add_row(rows, pair.label,
            {{"values", r.values},
             {"normalised", r.normalised},
             {"clean_metric", at::scalar_tensor(r.clean_metric, at::kDouble)},
             {"corrupted_metric", at::scalar_tensor(r.corrupted_metric, at::kDouble)}});
  }
  return rows;
}

PatchingResult activation_patching_set(const RowResults& rows, Metric::Kind metric, PatchGrid grid,
                                       PatchDirection direction) {
  if (rows.size() == 0) fail(kWhere, "the prompt set has no rows");
  const GridSpec& g = spec(grid);
  const RowStats value_stats = row_stats(row_tensors(rows, "values"), rows.labels, kWhere);
  const RowStats normalised_stats = row_stats(row_tensors(rows, "normalised"), rows.labels, kWhere);
  const auto mean_of = [&](const std::string& name) {
    double sum = 0;
    for (const at::Tensor& row : row_tensors(rows, name)) sum += row.item<double>();
    return sum / double(rows.size());
  };
  const char* labels_of_kind[] = {"logit(answer) − logit(wrong)", "p(answer)", "log p(answer)"};
  PatchingResult r;
  r.grid = grid;
  r.direction = direction;
  r.metric_label = std::string(labels_of_kind[static_cast<int>(metric)]) + ", each row's own answers";
  r.n_layers = static_cast<int>(value_stats.mean.size(0));
  r.n_heads = g.per_head ? static_cast<int>(value_stats.mean.size(1)) : 0;
  r.rows = value_stats.rows;
  r.values = value_stats.mean;
  r.values_std = value_stats.std;
  r.normalised = normalised_stats.mean;
  r.normalised_std = normalised_stats.std;
  r.clean_metric = mean_of("clean_metric");
  r.corrupted_metric = mean_of("corrupted_metric");
  return r;
}

std::string cell_label(const PatchingResult& r, int64_t index) {
  const GridSpec& g = spec(r.grid);
  const int64_t positions = g.per_position ? r.values.size(-1) : 1;
  const int64_t heads = g.per_head ? r.n_heads : 1;
  const int64_t layer = index / (heads * positions), head = index / positions % heads, position = index % positions;
  std::string label = "L" + std::to_string(layer);
  if (g.per_head) label += (key_value_heads(g) ? "KV" : "H") + std::to_string(head);
  if (g.per_position) label += " pos " + std::to_string(position);
  return label;
}

std::vector<Plot> to_plots(const PatchingResult& r, bool normalise) {
  const GridSpec& g = spec(r.grid);
  const bool over_set = r.values_std.defined();
  Axis x, y;
  std::string x_label, y_label = "layer";
  const Axis positions = r.token_strings.empty() ? number_axis(r.values.size(-1)) : token_axis(r.token_strings);
  if (g.per_position) {
    x = positions;
    x_label = r.token_strings.empty() ? "position" : "token";
    y = g.per_head ? head_axis(r.n_layers, r.n_heads) : number_axis(r.n_layers);
    if (g.per_head) y_label = "head";
  } else {
    x = number_axis(r.n_heads);
    x_label = key_value_heads(g) ? "key/value head" : "head";
    y = number_axis(r.n_layers);
  }
  const std::string direction = r.direction == PatchDirection::denoising ? "denoising (clean into corrupted)"
                                                                         : "noising (corrupted into clean)";
  const std::string title = std::string("Activation patching of ") + g.what + ", " + direction + ": " +
                            r.metric_label + (normalise ? ", normalised" : "") +
                            (over_set ? ", mean over " + std::to_string(r.rows) + " rows" : "");
  const std::string value_label = normalise ? "(patched − corrupted) / (clean − corrupted)" : r.metric_label;
  // Layer × head × position grids as rows L0H0, L0H1, ...
  const auto rows = [](const at::Tensor& grid) { return grid.reshape({-1, grid.size(-1)}); };
  std::vector<Plot> plots;
  plots.push_back(make_plot("heatmap", "activation_patching", title, rows(normalise ? r.normalised : r.values), x, y,
                            x_label, y_label, value_label));
  if (over_set) {
    plots.push_back(make_plot("heatmap", "activation_patching_std",
                              std::string("Spread of activation patching of ") + g.what + ", " + direction +
                                  ": standard deviation over " + std::to_string(r.rows) + " rows",
                              rows(normalise ? r.normalised_std : r.values_std), x, y, x_label, y_label,
                              "standard deviation of " + value_label));
  }
  plots.push_back(make_plot("table", "activation_patching_metrics",
                            "The unpatched runs" + std::string(over_set ? " (mean over rows)" : ""),
                            at::tensor(std::vector<double>{r.clean_metric, r.corrupted_metric}, at::kDouble).view({2, 1}),
                            label_axis({r.metric_label}), label_axis({"clean", "corrupted"})));
  return plots;
}

namespace {

std::vector<int64_t> corrupted_tokens(const Model& model, const std::string& text, bool add_special_tokens) {
  if (text.empty()) fail(kWhere, "give the corrupted prompt (parameter corrupted) or a prompt set");
  if (model.tokenizer()) return model.tokenizer()->encode(text, add_special_tokens);
  return parse_token_ids(text, model.info().d_vocab, kWhere + ": corrupted (token ids; the model has no tokenizer)");
}

// The cells whose patch moves the metric most towards the source run's:
// the largest normalised values when denoising, the smallest when noising.
nlohmann::json top_cells(const PatchingResult& r, size_t n) {
  const std::vector<float> norm = to_floats(r.normalised), values = to_floats(r.values);
  const double sign = r.direction == PatchDirection::denoising ? 1 : -1;
  std::vector<int64_t> order;
  for (size_t i = 0; i < norm.size(); ++i)
    if (std::isfinite(norm[i])) order.push_back(static_cast<int64_t>(i));
  n = std::min(n, order.size());
  std::partial_sort(order.begin(), order.begin() + n, order.end(),
                    [&](int64_t a, int64_t b) { return sign * norm[a] > sign * norm[b]; });
  nlohmann::json cells = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    cells.push_back({{"cell", cell_label(r, order[i])}, {"normalised", norm[order[i]]}, {"value", values[order[i]]}});
  }
  return cells;
}

PatchDirection direction_of(const ParamValues& v) {
  return v.text("direction") == "noising" ? PatchDirection::noising : PatchDirection::denoising;
}

AnalysisOutput patching_output(const PatchingResult& r, const ParamValues& v) {
  AnalysisOutput out{to_plots(r, v.flag("normalise"))};
  out.summary = {{"grid", grid_id(r.grid)},
                 {"direction", direction_id(r.direction)},
                 {"metric", r.metric_label},
                 {"clean_metric", r.clean_metric},
                 {"corrupted_metric", r.corrupted_metric},
                 {"top_cells", top_cells(r, 5)}};
  if (r.values_std.defined()) out.summary["rows"] = r.rows;
  return out;
}

// Each row of the prompt set has its own answers; only the metric's kind comes from the parameters.
RowResults patching_rows(const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
  return activation_patching_rows(model, load_prompt_set(model, in.dataset, in.add_special_tokens), in.shard,
                                  metric_kind(v), grid_from_id(v.text("grid")), direction_of(v), progress);
}

AnalysisOutput patching_from_rows(const RowResults& rows, const ParamValues& v) {
  return patching_output(activation_patching_set(rows, metric_kind(v), grid_from_id(v.text("grid")), direction_of(v)),
                         v);
}

}  // namespace

Analysis activation_patching_analysis() {
  Analysis a;
  a.id = "activation-patching";
  a.title = "Activation patching";
  a.description = "Patch activations between a clean and a corrupted prompt, one cell of a grid at a time "
                  "(TransformerLens's patching grids), and read a metric at the last position.";
  a.needs.prompt = Need::required;
  a.needs.dataset = Need::optional;
  a.needs.dataset_kind = DatasetKind::prompt_pairs;
  a.params = [](const ModelInfo&) {
    std::vector<std::string> grids;
    for (const GridSpec& g : kGrids) grids.push_back(g.id);
    std::vector<ParamSpec> specs = {
        ParamSpec::of(ParamType::text, "corrupted", "Corrupted prompt", "",
                      "The corrupted prompt (the prompt is the clean one), with as many tokens and tokenized like it; "
                      "token ids \"1, 2, 3\" for a model without a tokenizer. Needed unless a prompt set is given."),
        ParamSpec::choice("grid", "Grid", grids,
                          "What is patched: resid_pre, attn_out, mlp_out per layer and position; head_out (hook_z) "
                          "per head over all positions or head_out_per_position; pattern, q, k, v per head (k and v "
                          "per key/value head)."),
        ParamSpec::choice("direction", "Direction", {"denoising", "noising"},
                          "denoising: clean activations into the corrupted run; noising: corrupted activations into "
                          "the clean run."),
    };
    for (ParamSpec& s : metric_params()) specs.push_back(std::move(s));
    return specs;
  };
  a.dataset_rows = patching_rows;
  a.from_rows = patching_from_rows;
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    if (!in.dataset.empty()) return patching_from_rows(patching_rows(model, in, v, progress), v);
    if (in.tokens.empty()) fail(kWhere, "give a prompt or a prompt set");
    PatchingParams p;
    p.clean = in.tokens;
    p.corrupted = corrupted_tokens(model, v.text("corrupted"), in.add_special_tokens);
    check_same_length(p.clean, p.corrupted, kWhere);
    p.metric = metric_from(v, model, p.clean, p.corrupted, kWhere);
    p.direction = direction_of(v);
    p.grid = grid_from_id(v.text("grid"));
    return patching_output(activation_patching(model, p, progress), v);
  };
  return a;
}

}  // namespace glassbox::probes
