#include "probes/backpatch.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/common.h"
#include "datasets/two_hop_csv.h"
#include "probes/registry.h"
#include "probes/row_tensors.h"

namespace glassbox::probes {

bool answer_in_generation(const std::string& generation, const std::vector<std::string>& answers) {
  auto lower = [](std::string s) {
    for (char& c : s) c = c == '\n' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string text = lower(generation);
  return std::any_of(answers.begin(), answers.end(), [&](const std::string& a) {
    return !a.empty() && text.find(lower(a)) != std::string::npos;
  });
}

int64_t span_end(const std::vector<int64_t>& tokens, const std::vector<int64_t>& span) {
  if (span.empty()) return -1;
  auto it = std::search(tokens.begin(), tokens.end(), span.begin(), span.end());
  return it == tokens.end() ? -1 : static_cast<int64_t>(it - tokens.begin() + span.size()) - 1;
}

namespace {

// The unpatched prompt, split at the patched position p.
struct CleanPass {
  KVCache prefix;                       // keys/values of positions [0, p)
  KVCache full;                         // ... of every position
  std::vector<at::Tensor> resid_post;   // per block [1, T-p, d_model]
  at::Tensor last_logits;               // [1, vocab]
};

CleanPass clean_pass(const Transformer& t, const at::Tensor& ids, int64_t p) {
  const int L = t.config().n_layers;
  CleanPass c;
  if (p > 0) {
    ForwardArgs prefix;
    prefix.tokens = ids.narrow(1, 0, p);
    prefix.kv = &c.prefix;
    prefix.logits = false;
    t.forward(prefix);
  }
  // A copy shares the prefix tensors; the forward pass appends by assigning
  // new tensors, so the prefix cache stays as it is.
  c.full = c.prefix;
  const NameFilter resid_post("blocks\\.\\d+\\.hook_resid_post");
  const std::vector<Edit> no_edits;
  ActivationCache cache;
  HookContext hooks(L, &resid_post, no_edits, &cache);
  ForwardArgs rest;
  rest.tokens = ids.narrow(1, p, ids.size(1) - p);
  rest.kv = &c.full;
  rest.hooks = &hooks;
  rest.logits = false;
  const ForwardResult r = t.forward(rest);
  for (int l = 0; l < L; ++l) c.resid_post.push_back(cache.get(hook_name(Hook::resid_post, l)));
  c.last_logits = t.unembed_resid(r.resid.select(1, -1));
  return c;
}

// The cache a pass resumed at block `start` reads: the prefix of the blocks it
// runs, repeated over the batch. Earlier blocks stay empty so that
// KVCache::length() is the prefix length.
KVCache resume_cache(const KVCache& prefix, int start, int n_layers, int64_t batch) {
  KVCache kv = prefix.repeat_batch(batch);
  kv.k.resize(n_layers);
  kv.v.resize(n_layers);
  for (int l = 0; l < start; ++l) kv.k[l] = kv.v[l] = at::Tensor();
  return kv;
}

// Caches of several batches as one, rows in order.
KVCache cat_batches(const std::vector<KVCache>& caches) {
  KVCache out;
  for (size_t l = 0; l < caches.front().k.size(); ++l) {
    std::vector<at::Tensor> k, v;
    for (const KVCache& c : caches) {
      k.push_back(c.k[l]);
      v.push_back(c.v[l]);
    }
    out.k.push_back(at::cat(k, 0));
    out.v.push_back(at::cat(v, 0));
  }
  return out;
}

// Greedy continuation of `first_logits` [B, vocab] on a cache holding the
// whole prompt: [B, n] token ids.
at::Tensor greedy(const Transformer& t, const at::Tensor& first_logits, KVCache& kv, int n, const Progress& progress) {
  std::vector<at::Tensor> steps = {first_logits.argmax(-1)};
  for (int i = 1; i < n; ++i) {
    progress.check();
    ForwardArgs step;
    step.tokens = steps.back().unsqueeze(1);
    step.kv = &kv;
    steps.push_back(t.forward(step).logits.select(1, 0).argmax(-1));
  }
  return at::stack(steps, 1).to(at::kCPU);
}

// Generated ids up to (not including) the first end-of-sequence token, as
// generation stops there.
std::vector<int64_t> until_eos(const at::Tensor& row, const Tokenizer* tokenizer) {
  const at::Tensor c = row.contiguous();
  std::vector<int64_t> ids(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  if (tokenizer && tokenizer->eos_id()) {
    ids.erase(std::find(ids.begin(), ids.end(), *tokenizer->eos_id()), ids.end());
  }
  return ids;
}

std::string decode(const Model& model, const std::vector<int64_t>& ids) {
  if (model.tokenizer()) return model.tokenizer()->decode(ids, /*skip_special_tokens=*/true);
  std::string text;
  for (const auto& piece : model.token_strings(ids)) text += piece;
  return text;
}

}  // namespace

BackpatchResult backpatch(const Model& model, const BackpatchParams& params, const Progress& progress) {
  const Transformer& t = as_transformer(model, "backpatch");
  c10::InferenceMode inference;
  const auto& cfg = t.config();
  const int L = cfg.n_layers;
  const int64_t T = static_cast<int64_t>(params.tokens.size());
  if (T == 0) fail("backpatch", "the prompt has no tokens");
  if (params.position < -T || params.position >= T) {
    fail("backpatch", "position " + std::to_string(params.position) + " is outside the prompt's " +
                          std::to_string(T) + " tokens");
  }
  if (params.target >= cfg.d_vocab) {
    fail("backpatch", "target token " + std::to_string(params.target) + " is outside the vocabulary");
  }
  if (params.generate < 0) fail("backpatch", "the number of generated tokens must not be negative");
  if (params.decode_rows < 1) fail("backpatch", "decode_rows must be positive");
  if (params.generate > 0 && cfg.learned_pos && T + params.generate - 1 > cfg.n_ctx) {
    fail("backpatch", std::to_string(T) + " prompt tokens and " + std::to_string(params.generate) +
                          " generated ones exceed the model's context of " + std::to_string(cfg.n_ctx));
  }
  if (!params.answers.empty() && params.generate == 0) fail("backpatch", "answers are judged on a generation: set generate");
  if (!params.answers.empty() && !model.tokenizer()) {
    fail(model.dir(), "judging answers needs the generation as text, and the model folder has no tokenizer");
  }

  BackpatchResult r;
  r.n_layers = L;
  r.tokens = params.tokens;
  r.token_strings = model.token_strings(params.tokens);
  const int64_t p = params.position < 0 ? T + params.position : params.position;
  r.position = p;
  r.target = params.target;
  r.generate = params.generate;
  r.answers = params.answers;
  const bool judged = !params.answers.empty();
  const auto grid_opts = at::TensorOptions().dtype(at::kFloat);
  r.target_prob = at::full({L, L}, NAN, grid_opts);
  r.target_rank = at::full({L, L}, NAN, grid_opts);
  r.target_logit = at::full({L, L}, NAN, grid_opts);
  r.success = at::full({L, L}, NAN, grid_opts);
  r.generated = at::full({L, L, params.generate}, -1, at::kLong);
  r.generations.assign(size_t(L) * L, std::string());

  // Probability, logit and rank of the target in each row of logits [B, vocab],
  // in the order of `grids` below.
  auto read_target = [&](const at::Tensor& logits) {
    const at::Tensor value = logits.select(1, params.target);
    return std::array<at::Tensor, 3>{at::softmax(logits.to(at::kDouble), 1).select(1, params.target),
                                     value, (logits > value.unsqueeze(1)).sum(1)};
  };

  progress.update(0.0, "clean run");
  const at::Tensor ids = at::tensor(params.tokens, at::kLong).unsqueeze(0).to(model.device());
  CleanPass clean = clean_pass(t, ids, p);
  if (params.target >= 0) {
    const auto stats = read_target(clean.last_logits);
    r.clean_prob = stats[0].item<double>();
    r.clean_logit = stats[1].item<double>();
    r.clean_rank = stats[2].item<int64_t>();
  }
  // Rows waiting for greedy decoding, each with its cell (ℓ1, ℓ2); the clean
  // run is (-1, -1). Decoding many cells in one batch reads the weights once
  // per step for all of them.
  struct PendingRows {
    std::vector<KVCache> caches;
    std::vector<at::Tensor> logits;
    std::vector<std::pair<int, int>> cells;
  } pending;
  auto decode_pending = [&] {
    if (pending.cells.empty()) return;
    KVCache kv = cat_batches(pending.caches);
    const at::Tensor generated = greedy(t, at::cat(pending.logits, 0), kv, params.generate, progress);
    for (size_t row = 0; row < pending.cells.size(); ++row) {
      const auto [l1, l2] = pending.cells[row];
      const std::vector<int64_t> ids = until_eos(generated[row], model.tokenizer());
      const std::string text = decode(model, ids);
      const bool correct = judged && answer_in_generation(text, params.answers);
      if (l1 < 0) {
        r.clean_generated = ids;
        r.clean_generation = text;
        r.clean_correct = correct;
        continue;
      }
      r.generated[l1][l2].copy_(generated[row]);
      r.generations[size_t(l1) * L + l2] = text;
      if (judged) r.success[l1][l2].fill_(correct ? 1.0 : 0.0);
    }
    pending = {};
  };
  if (params.generate > 0) {
    pending.caches.push_back(clean.full);
    pending.logits.push_back(clean.last_logits);
    pending.cells.emplace_back(-1, -1);
  }

  // Block outputs at the patched position: the patch sources.
  std::vector<at::Tensor> sources;
  for (int l = 0; l < L; ++l) sources.push_back(clean.resid_post[l].select(1, 0));  // [1, d_model]
  for (int l2 = 0; l2 + 1 < L; ++l2) {
    progress.check();
    progress.update(double(l2 + 1) / L, "patching into block " + std::to_string(l2));
    const int64_t B = L - 1 - l2;  // sources ℓ1 = ℓ2+1 .. L-1
    at::Tensor resid = clean.resid_post[l2].expand({B, -1, -1}).clone();
    resid.select(1, 0).copy_(at::cat(std::vector<at::Tensor>(sources.begin() + l2 + 1, sources.end()), 0));
    KVCache kv = resume_cache(clean.prefix, l2 + 1, L, B);
    ForwardArgs resumed;
    resumed.resid = resid;
    resumed.start_layer = l2 + 1;
    resumed.kv = &kv;
    resumed.logits = false;
    const at::Tensor logits = t.unembed_resid(t.forward(resumed).resid.select(1, -1));  // [B, vocab]
    if (params.target >= 0) {
      const auto stats = read_target(logits);
      const at::Tensor grids[3] = {r.target_prob, r.target_logit, r.target_rank};
      for (int s = 0; s < 3; ++s) grids[s].narrow(0, l2 + 1, B).select(1, l2).copy_(stats[s]);
    }
    if (params.generate > 0) {
      // Blocks up to ℓ2 are unpatched at every position: their clean keys/values.
      for (int l = 0; l <= l2; ++l) {
        kv.k[l] = clean.full.k[l].expand({B, -1, -1, -1});
        kv.v[l] = clean.full.v[l].expand({B, -1, -1, -1});
      }
      pending.caches.push_back(std::move(kv));
      pending.logits.push_back(logits);
      for (int64_t b = 0; b < B; ++b) pending.cells.emplace_back(l2 + 1 + static_cast<int>(b), l2);
      if (pending.cells.size() >= size_t(params.decode_rows)) decode_pending();
    }
  }
  decode_pending();
  progress.update(1.0);
  return r;
}

namespace {

Plot layer_grid(const std::string& name, const std::string& title, const at::Tensor& grid,
                const std::string& value_label) {
  const int64_t L = grid.size(0);
  return make_plot("heatmap", name, title, grid, number_axis(L), number_axis(L), "patched layer l2 (resid_post replaced)",
                   "source layer l1 (resid_post taken)", value_label);
}

}  // namespace

std::vector<Plot> to_plots(const BackpatchResult& r) {
  const int L = r.n_layers;
  const std::string where = " (position " + std::to_string(r.position) + ", read at the last position)";
  std::vector<Plot> plots;
  std::vector<double> clean_values;
  std::vector<std::string> clean_rows;
  if (r.target >= 0) {
    const std::string target = "target " + std::to_string(r.target);
    plots.push_back(layer_grid("backpatch_target_prob", "back-patching: probability of " + target + where,
                               r.target_prob, "probability"));
    plots.push_back(layer_grid("backpatch_target_rank", "back-patching: rank of " + target + where, r.target_rank,
                               "rank (0 = top)"));
    plots.push_back(layer_grid("backpatch_target_logit", "back-patching: logit of " + target + where,
                               r.target_logit, "logit"));
    clean_values = {r.clean_prob, r.clean_logit, double(r.clean_rank)};
    clean_rows = {"target probability", "target logit", "target rank"};
  }
  if (r.generate > 0) {
    const bool judged = !r.answers.empty();
    if (judged) {
      plots.push_back(layer_grid("backpatch_success", "back-patching: generation contains an answer" + where,
                                 r.success, "correct (1) or not (0)"));
      clean_values.push_back(r.clean_correct ? 1.0 : 0.0);
      clean_rows.push_back("generation correct");
    }
    std::vector<double> rows = {-1, -1, judged ? (r.clean_correct ? 1.0 : 0.0) : NAN};
    std::vector<std::string> labels = {"clean: " + r.clean_generation};
    for (int l1 = 1; l1 < L; ++l1) {
      for (int l2 = 0; l2 < l1; ++l2) {
        rows.insert(rows.end(), {double(l1), double(l2), r.success[l1][l2].item<double>()});
        labels.push_back("l1=" + std::to_string(l1) + " l2=" + std::to_string(l2) + ": " +
                         r.generations[size_t(l1) * L + l2]);
      }
    }
    plots.push_back(make_plot("table", "backpatch_generations",
                              "greedy generations of " + std::to_string(r.generate) + " tokens per cell" + where,
                              at::tensor(rows, at::kDouble).view({-1, 3}),
                              label_axis({"source layer l1", "patched layer l2", "correct"}),
                              label_axis(std::move(labels)), {}, "cell: generation"));
  }
  if (!clean_rows.empty()) {
    plots.push_back(make_plot("table", "backpatch_clean", "the unpatched run" + where,
                              at::tensor(clean_values, at::kDouble).view({-1, 1}),
                              label_axis({"clean run"}), label_axis(std::move(clean_rows))));
  }
  return plots;
}

namespace {

// The rows' success grids, summed per group (originally incorrect, correct) in row order.
BackpatchDatasetResult grouped(std::vector<BackpatchQueryOutcome> rows, int n_layers, int generate) {
  const int L = n_layers;
  BackpatchDatasetResult result;
  result.n_layers = L;
  result.generate = generate;
  at::Tensor successes[2] = {at::zeros({L, L}, at::kDouble), at::zeros({L, L}, at::kDouble)};  // incorrect, correct
  int64_t counts[2] = {0, 0};
  for (const BackpatchQueryOutcome& row : rows) {
    successes[row.originally_correct] += row.success.to(at::kDouble);
    ++counts[row.originally_correct];
  }
  // Cells ℓ1 ≤ ℓ2 stay NaN through the sums; groups without rows are all NaN.
  result.success_incorrect = (successes[0] / double(counts[0])).to(at::kFloat);
  result.success_correct = (successes[1] / double(counts[1])).to(at::kFloat);
  result.rows = std::move(rows);
  return result;
}

}  // namespace

BackpatchDatasetResult backpatch_dataset(const Model& model, const std::vector<BackpatchQuery>& queries, int generate,
                                         const Progress& progress) {
  if (queries.empty()) fail("backpatch", "the data set has no queries");
  if (generate <= 0) fail("backpatch", "judging a data set needs generated tokens (generate > 0)");
  std::vector<BackpatchQueryOutcome> rows;
  for (size_t i = 0; i < queries.size(); ++i) {
    const BackpatchQuery& q = queries[i];
    const double begin = double(i) / queries.size(), end = double(i + 1) / queries.size();
    progress.update(begin, q.label);
    BackpatchParams params;
    params.tokens = q.tokens;
    params.position = q.position;
    params.generate = generate;
    params.answers = q.answers;
    const BackpatchResult r = backpatch(model, params, sub_progress(progress, begin, end));
    BackpatchQueryOutcome row;
    row.label = q.label;
    row.originally_correct = r.clean_correct;
    const at::Tensor cells = r.success.isfinite();
    row.cells = static_cast<int>(cells.sum().item<int64_t>());
    row.successful_cells = static_cast<int>(r.success.nan_to_num(0).sum().item<double>());
    row.clean_generation = r.clean_generation;
    row.success = r.success;
    rows.push_back(std::move(row));
  }
  progress.update(1.0);
  return grouped(std::move(rows), model.info().n_layers, generate);
}

RowResults backpatch_rows(const BackpatchDatasetResult& result) {
  RowResults rows;
  for (const BackpatchQueryOutcome& row : result.rows) {
    add_row(rows, row.label,
            {{"originally_correct", at::scalar_tensor(row.originally_correct ? 1.0 : 0.0, at::kDouble)},
             {"successful_cells", at::scalar_tensor(double(row.successful_cells), at::kDouble)},
             {"cells", at::scalar_tensor(double(row.cells), at::kDouble)},
             {"success", row.success}});
  }
  return rows;
}

BackpatchDatasetResult backpatch_dataset(const RowResults& rows, int generate) {
  if (rows.size() == 0) fail("backpatch", "the data set has no queries");
  const std::vector<at::Tensor> correct = row_tensors(rows, "originally_correct"),
                                successful = row_tensors(rows, "successful_cells"),
                                cells = row_tensors(rows, "cells"), success = row_tensors(rows, "success");
  std::vector<BackpatchQueryOutcome> outcomes;
  for (int64_t i = 0; i < rows.size(); ++i) {
    BackpatchQueryOutcome row;
    row.label = rows.labels[size_t(i)];
    row.originally_correct = correct[size_t(i)].item<double>() != 0;
    row.successful_cells = static_cast<int>(successful[size_t(i)].item<double>());
    row.cells = static_cast<int>(cells[size_t(i)].item<double>());
    row.success = success[size_t(i)];
    outcomes.push_back(std::move(row));
  }
  return grouped(std::move(outcomes), static_cast<int>(success.front().size(0)), generate);
}

std::vector<Plot> to_plots(const BackpatchDatasetResult& r) {
  std::vector<double> rows;
  std::vector<std::string> labels;
  int64_t group_rows[2] = {0, 0}, group_fixed[2] = {0, 0};
  for (const auto& row : r.rows) {
    rows.insert(rows.end(), {row.originally_correct ? 1.0 : 0.0, row.fixed() ? 1.0 : 0.0,
                             double(row.successful_cells), double(row.cells)});
    labels.push_back(row.label);
    ++group_rows[row.originally_correct];
    group_fixed[row.originally_correct] += row.fixed();
  }
  std::vector<Plot> plots;
  plots.push_back(make_plot("table", "backpatch_dataset_rows",
                            "back-patching per query (" + std::to_string(r.generate) + " greedy tokens)",
                            at::tensor(rows, at::kDouble).view({-1, 4}),
                            label_axis({"originally correct", "correct with some patch", "successful cells", "cells"}),
                            label_axis(std::move(labels)), {}, "query"));
  auto fraction = [](int64_t part, int64_t whole) { return whole > 0 ? double(part) / whole : NAN; };
  const int64_t all_rows = group_rows[0] + group_rows[1], all_fixed = group_fixed[0] + group_fixed[1];
  const std::vector<double> summary = {double(group_rows[1]), double(group_fixed[1]), fraction(group_fixed[1], group_rows[1]),
                                       double(group_rows[0]), double(group_fixed[0]), fraction(group_fixed[0], group_rows[0]),
                                       double(all_rows),      double(all_fixed),      fraction(all_fixed, all_rows)};
  plots.push_back(make_plot("table", "backpatch_dataset_summary",
                            "queries where some back-patch l1 > l2 gives a correct generation",
                            at::tensor(summary, at::kDouble).view({3, 3}),
                            label_axis({"rows", "rows with a successful back-patch", "fraction"}),
                            label_axis({"originally correct", "originally incorrect", "all"})));
  plots.push_back(layer_grid("backpatch_dataset_success_incorrect",
                             "originally incorrect queries made correct by each back-patch", r.success_incorrect,
                             "fraction of rows"));
  plots.push_back(layer_grid("backpatch_dataset_success_correct",
                             "originally correct queries still correct with each back-patch", r.success_correct,
                             "fraction of rows"));
  return plots;
}

namespace {

// The last token of `text` in the prompt; inside a prompt a word usually
// carries its leading space ("Imagine" -> " Imagine"), so that is tried first.
int64_t span_position(const Model& model, const std::vector<int64_t>& tokens, const std::string& text,
                      const std::string& where) {
  if (!model.tokenizer()) fail(where, "a span needs a model with a tokenizer; give a position");
  for (const std::string& variant : {" " + text, text}) {
    const int64_t end = span_end(tokens, model.tokenizer()->encode(variant));
    if (end >= 0) return end;
  }
  fail(where, "the span '" + text + "' does not occur in the prompt's tokens");
}

// The queries of the data set's shard, judged.
RowResults backpatch_dataset_rows(const Model& model, const AnalysisInputs& in, const ParamValues& v,
                                  const Progress& progress) {
  if (!model.tokenizer()) fail(in.dataset, "a data set of prompts needs a model with a tokenizer");
  const bool at_e1 = v.flag("span_e1");
  RowResults taken;
  std::vector<BackpatchQuery> queries;
  for (const datasets::TwoHopQuery& row : take_shard(datasets::load_two_hop_csv(in.dataset), in.shard, taken, in.dataset)) {
    BackpatchQuery q;
    const std::string where = in.dataset + ": row " + std::to_string(row.row);
    q.label = "row " + std::to_string(row.row) + ": " + row.prompt;
    q.tokens = model.tokenizer()->encode(row.prompt, in.add_special_tokens);
    q.position = at_e1 ? span_position(model, q.tokens, row.e1_label, where) : v.integer("position");
    q.answers = row.answers();
    queries.push_back(std::move(q));
  }
  RowResults rows = backpatch_rows(backpatch_dataset(model, queries, static_cast<int>(v.integer("generate")), progress));
  rows.dataset_rows = taken.dataset_rows;
  rows.first_row = taken.first_row;
  return rows;
}

AnalysisOutput backpatch_from_rows(const RowResults& rows, const ParamValues& v) {
  const BackpatchDatasetResult r = backpatch_dataset(rows, static_cast<int>(v.integer("generate")));
  AnalysisOutput out{to_plots(r)};
  int counts[2] = {0, 0}, fixed[2] = {0, 0};
  for (const auto& row : r.rows) {
    ++counts[row.originally_correct];
    fixed[row.originally_correct] += row.fixed();
  }
  out.summary = {{"queries", r.rows.size()},
                 {"originally_correct", counts[1]},
                 {"originally_correct_with_some_patch", fixed[1]},
                 {"originally_incorrect", counts[0]},
                 {"originally_incorrect_fixed_by_some_patch", fixed[0]}};
  return out;
}

}  // namespace

Analysis backpatch_analysis() {
  Analysis a;
  a.id = "backpatch";
  a.title = "Back-patching";
  a.description = "Patch block ℓ1's output at a position back into block ℓ2 < ℓ1 and measure the target at the last "
                  "position (Biran et al., \"Hopping Too Late\").";
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::position("position", "Position", m.n_ctx, "Patched position (click a chip); -1 is the last token."),
        ParamSpec::of(ParamType::text, "span", "Span", "",
                      "Patch the last token of this text in the prompt instead of Position (optional)."),
        ParamSpec::of(ParamType::token, "target", "Target token", "",
                      "One token read at the last position; empty: the model's own top prediction."),
        ParamSpec::integer("generate", "Generate tokens", 0, 0, 64, "Greedy tokens per cell; 0: none."),
        ParamSpec::of(ParamType::text_list, "answers", "Accepted answers", "",
                      "Comma-separated; a generation is correct if it contains one (case-insensitive)."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    BackpatchParams p;
    p.tokens = in.tokens;
    const std::string span = v.text("span");
    p.position = span.empty() ? v.integer("position") : span_position(model, p.tokens, span, "backpatch");
    const auto target = v.token("target");
    p.target = target ? *target : model.run(p.tokens).logits[-1].argmax().item<int64_t>();
    p.generate = static_cast<int>(v.integer("generate"));
    p.answers = v.texts("answers");
    const BackpatchResult r = backpatch(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"position", r.position},
                   {"target", p.target},
                   {"clean_target_prob", r.clean_prob},
                   {"best_patch_target_prob", r.target_prob.nan_to_num(-1).max().item<double>()}};
    if (p.generate > 0) out.summary["clean_generation"] = r.clean_generation;
    if (!p.answers.empty()) {
      out.summary["clean_correct"] = r.clean_correct;
      out.summary["successful_cells"] = r.success.nan_to_num(0).sum().item<double>();
    }
    return out;
  };
  return a;
}

Analysis backpatch_dataset_analysis() {
  Analysis a;
  a.id = "backpatch-dataset";
  a.title = "Back-patching a data set";
  a.description = "The back-patching grid with greedy generation for every query of a two-hop CSV: which patches "
                  "fix originally incorrect answers.";
  a.needs.prompt = Need::none;
  a.needs.dataset = Need::required;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        // Generation shares the context with the prompt: a quarter of it, at most 10, by default.
        ParamSpec::integer("generate", "Generate tokens", std::clamp<int64_t>(m.n_ctx / 4, 1, 10), 1, 64,
                           "Greedy tokens per cell."),
        ParamSpec::position("position", "Position", m.n_ctx, "Patched position in every query; -1 is the last."),
        ParamSpec::boolean("span_e1", "At the first entity", false,
                           "Patch the last token of each row's e1 instead of Position."),
    };
  };
  a.dataset_rows = backpatch_dataset_rows;
  a.from_rows = backpatch_from_rows;
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    return backpatch_from_rows(backpatch_dataset_rows(model, in, v, progress), v);
  };
  return a;
}

}  // namespace glassbox::probes
