#include "probes/attention.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <limits>
#include <random>
#include <set>

#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// [BOS] + r + r with r `n` distinct tokens other than BOS.
std::vector<int64_t> repeated_random_tokens(int n, int64_t vocab, uint64_t seed, std::optional<int64_t> bos) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> draw(0, vocab - 1);
  std::set<int64_t> used;
  if (bos) used.insert(*bos);
  std::vector<int64_t> half;
  while (static_cast<int>(half.size()) < n) {
    int64_t t = draw(rng);
    if (used.insert(t).second) half.push_back(t);
  }
  std::vector<int64_t> tokens;
  if (bos) tokens.push_back(*bos);
  tokens.insert(tokens.end(), half.begin(), half.end());
  tokens.insert(tokens.end(), half.begin(), half.end());
  return tokens;
}

constexpr const char* kAllPatternsCapture = "blocks\\.\\d+\\.attn\\.hook_pattern";

// [n_layers, n_heads, T, T] attention patterns of one forward pass.
at::Tensor patterns_of(const Model& model, const std::vector<int64_t>& tokens, const Progress& progress) {
  RunOptions options;
  options.capture = NameFilter(kAllPatternsCapture);
  options.progress = &progress;
  RunResult run = model.run(tokens, options);
  std::vector<at::Tensor> per_layer;
  for (int l = 0; l < model.info().n_layers; ++l)
    per_layer.push_back(run.cache.get(hook_name(Hook::pattern, l)).to(at::kCPU, at::kFloat));
  return at::stack(per_layer);
}

// Key sets per query as a [T, T] mask: previous, duplicate or induction.
enum class KeySet { previous, duplicate, induction };
at::Tensor key_mask(const std::vector<int64_t>& tokens, KeySet set) {
  const int64_t T = static_cast<int64_t>(tokens.size());
  at::Tensor mask = at::zeros({T, T});
  auto m = mask.accessor<float, 2>();
  for (int64_t i = 1; i < T; ++i) {
    if (set == KeySet::previous) m[i][i - 1] = 1;
    for (int64_t j = 0; j < i && set != KeySet::previous; ++j) {
      if (tokens[j] == tokens[i]) m[i][set == KeySet::duplicate ? j : j + 1] = 1;
    }
  }
  return mask;
}

// Mean over queries with a non-empty key set of the attention to that set.
at::Tensor head_score(const at::Tensor& patterns, const at::Tensor& mask) {
  at::Tensor queries = (mask.sum(-1) > 0).nonzero().squeeze(1);
  if (queries.numel() == 0)
    return at::full({patterns.size(0), patterns.size(1)}, std::numeric_limits<float>::quiet_NaN());
  return (patterns * mask).sum(-1).index_select(-1, queries).mean(-1);
}

Plot head_plot(const std::string& name, const std::string& title, const at::Tensor& score) {
  return make_plot("heatmap", name, title, score, number_axis(score.size(1)), number_axis(score.size(0)), "head",
                   "layer", "score");
}

}  // namespace

AttentionResult attention(const Model& model, const AttentionParams& params, const Progress& progress) {
  as_transformer(model, "attention-heads");
  const ModelInfo& info = model.info();
  if (params.induction_seq_len < 0)
    fail("attention-heads", "induction-seq-len must be positive, got " + std::to_string(params.induction_seq_len));
  if (params.tokens.empty() && params.induction_seq_len == 0)
    fail("attention-heads", "needs a prompt, or induction-seq-len for a repeated random sequence");
  std::vector<int64_t> score_tokens = params.tokens;
  if (params.induction_seq_len > 0) {
    const int64_t length = 2 * int64_t{params.induction_seq_len} + (params.bos ? 1 : 0);
    if (params.induction_seq_len >= info.d_vocab)
      fail("attention-heads", "induction-seq-len " + std::to_string(params.induction_seq_len) +
                            " needs that many distinct tokens; the vocabulary has " + std::to_string(info.d_vocab));
    if (info.n_ctx > 0 && length > info.n_ctx)
      fail("attention-heads", "induction-seq-len " + std::to_string(params.induction_seq_len) + " makes " +
                            std::to_string(length) + " tokens, more than the model's context of " +
                            std::to_string(info.n_ctx));
    score_tokens = repeated_random_tokens(params.induction_seq_len, info.d_vocab, params.seed, params.bos);
  }
  c10::InferenceMode inference;
  AttentionResult result;
  const std::vector<int64_t>& shown = params.tokens.empty() ? score_tokens : params.tokens;
  result.token_strings = model.token_strings(shown);
  progress.update(0, "patterns");
  const bool scored_on_shown = score_tokens == shown;
  result.patterns = patterns_of(model, shown, sub_progress(progress, 0, scored_on_shown ? 0.7 : 0.35));
  const at::Tensor score_patterns =
      scored_on_shown ? result.patterns : patterns_of(model, score_tokens, sub_progress(progress, 0.35, 0.7));
  progress.update(0.7, "head scores");
  result.previous_token = head_score(score_patterns, key_mask(score_tokens, KeySet::previous));
  result.duplicate_token = head_score(score_patterns, key_mask(score_tokens, KeySet::duplicate));
  result.induction = head_score(score_patterns, key_mask(score_tokens, KeySet::induction));
  if (!scored_on_shown) {
    result.score_patterns = score_patterns;
    result.score_token_strings = model.token_strings(score_tokens);
  }
  result.score_tokens = std::move(score_tokens);
  progress.update(1, "done");
  return result;
}

std::vector<Plot> to_plots(const AttentionResult& result) {
  const int64_t n_layers = result.patterns.size(0), n_heads = result.patterns.size(1), T = result.patterns.size(2);
  const Axis tokens = token_axis(result.token_strings);
  // The head scores first: they are where one looks for a head; then every pattern.
  std::vector<Plot> plots = {head_plot("head_induction", "Induction score", result.induction),
                             head_plot("head_previous_token", "Previous-token score", result.previous_token),
                             head_plot("head_duplicate_token", "Duplicate-token score", result.duplicate_token)};
  auto add_patterns = [&](const std::string& prefix, const std::string& suffix, const at::Tensor& patterns,
                          const Axis& axis) {
    for (int64_t l = 0; l < n_layers; ++l) {
      for (int64_t h = 0; h < n_heads; ++h) {
        const std::string head = "L" + std::to_string(l) + "H" + std::to_string(h);
        plots.push_back(make_plot("heatmap", prefix + head, "Attention pattern " + head + suffix, patterns[l][h], axis,
                                  axis, "key position", "query position", "attention"));
      }
    }
  };
  add_patterns("pattern_", "", result.patterns, tokens);
  if (result.score_patterns.defined())
    add_patterns("scored_pattern_", " on the scored sequence", result.score_patterns,
                 token_axis(result.score_token_strings));
  // Each overview label names a layer or head as well as a token, so it keeps the display form.
  Axis rows, columns;
  for (int64_t l = 0; l < n_layers; ++l)
    for (size_t i = 0; i < tokens.size(); ++i)
      rows.labels.push_back("L" + std::to_string(l) + " " + axis_label(tokens, i));
  for (int64_t h = 0; h < n_heads; ++h)
    for (size_t i = 0; i < tokens.size(); ++i)
      columns.labels.push_back("H" + std::to_string(h) + " " + axis_label(tokens, i));
  plots.push_back(make_plot("heatmap", "attention_overview", "All heads (rows: layer, query; columns: head, key)",
                            result.patterns.permute({0, 2, 1, 3}).reshape({n_layers * T, n_heads * T}), columns, rows,
                            "head, key position", "layer, query position", "attention"));
  return plots;
}


AttentionPattern attention_pattern(const Model& model, const std::vector<int64_t>& tokens, HeadRef head,
                                   const Progress& progress) {
  as_transformer(model, "attention-pattern");
  const ModelInfo& info = model.info();
  if (tokens.empty()) fail("attention-pattern", "the prompt has no tokens");
  if (head.layer < 0 || head.layer >= info.n_layers || head.head < 0 || head.head >= info.n_heads)
    fail("attention-pattern", "head " + head_label(head) + " is outside the model");
  c10::InferenceMode inference;
  RunOptions options;
  options.capture = NameFilter(exact_hook_regex(hook_name(Hook::pattern, head.layer)));
  progress.update(0, "forward pass");
  options.progress = &progress;  // the forward pass is the work
  AttentionPattern r;
  r.head = head;
  r.token_strings = model.token_strings(tokens);
  r.layer_patterns = model.run(tokens, options).cache.get(hook_name(Hook::pattern, head.layer)).to(at::kCPU, at::kFloat);
  return r;
}

std::vector<Plot> to_plots(const AttentionPattern& r) {
  const Axis tokens = token_axis(r.token_strings);
  std::vector<std::string> heads;
  for (int h = 0; h < r.layer_patterns.size(0); ++h) heads.push_back(head_label({r.head.layer, h}));
  const std::string label = head_label(r.head), layer = std::to_string(r.head.layer);
  return {make_plot("heatmap", "pattern_" + label, "Attention pattern " + label, r.layer_patterns[r.head.head], tokens,
                    tokens, "key", "query", "attention"),
          make_plot("heatmap", "last_token_L" + layer, "Attention from the last token, layer " + layer,
                    r.layer_patterns.select(1, r.layer_patterns.size(1) - 1), tokens, label_axis(heads), "key", "head",
                    "attention")};
}

Analysis attention_pattern_analysis() {
  Analysis a;
  a.id = "attention-pattern";
  a.title = "Attention";
  a.description = "Attention pattern of one head (query rows, key columns), and where every head of the layer "
                  "looks from the last token.";
  a.live = true;
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{ParamSpec::of(ParamType::head, "head", "Head", "0:0", "LAYER:HEAD, e.g. 3:7.", true)};
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    const AttentionPattern r = attention_pattern(model, in.tokens, *v.head("head"), progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"head", head_label(r.head)},
                   {"last_token_attention", to_floats(r.layer_patterns[r.head.head][-1])}};
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues& v) {
    return exact_hook_regex(hook_name(Hook::pattern, v.head("head")->layer));
  };
  return a;
}

Analysis attention_heads_analysis() {
  Analysis a;
  a.id = "attention-heads";
  a.title = "Attention heads";
  a.description = "Patterns of every head, and previous-token, duplicate-token and induction scores measured on a "
                  "repeated random sequence.";
  a.needs.prompt = Need::optional;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::integer("induction_seq_len", "Random half-length", 20, 0, std::max<int64_t>(m.n_ctx / 2 - 1, 0),
                           "Length of the random sequence that is repeated to score heads; 0: score the prompt."),
        ParamSpec::integer("seed", "Seed", 0, 0, 1000000, "Seed of the random sequence."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    AttentionParams p;
    p.tokens = in.tokens;
    p.induction_seq_len = static_cast<int>(v.integer("induction_seq_len"));
    p.seed = static_cast<uint64_t>(v.integer("seed"));
    // The random sequence starts like the prompt: with BOS when the prompt does.
    const std::optional<int64_t> bos = model.tokenizer() ? model.tokenizer()->bos_id() : std::nullopt;
    if (bos && (in.tokens.empty() ? in.add_special_tokens : in.tokens.front() == *bos)) p.bos = bos;
    const AttentionResult r = attention(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"score_tokens", r.score_tokens},
                   {"previous_token", to_floats(r.previous_token)},
                   {"duplicate_token", to_floats(r.duplicate_token)},
                   {"induction", to_floats(r.induction)}};
    return out;
  };
  // The prompt's patterns, all layers and heads (the scored sequence is short).
  a.captures = [](const ModelInfo&, const ParamValues&) { return std::string(kAllPatternsCapture); };
  return a;
}

}  // namespace glassbox::probes
