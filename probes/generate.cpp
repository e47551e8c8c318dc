#include "probes/generate.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "core/tokenizer.h"
#include "datasets/rng.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

void check_params(const Model& model, const GenerateParams& p) {
  const TransformerConfig& cfg = as_transformer(model, "generate").config();
  const int64_t T = static_cast<int64_t>(p.tokens.size());
  if (T == 0) fail("generate", "the prompt has no tokens");
  for (const int64_t id : p.tokens) {
    if (id < 0 || id >= cfg.d_vocab)
      fail("generate", "prompt token " + std::to_string(id) + " is outside the vocabulary of " +
                           std::to_string(cfg.d_vocab));
  }
  if (p.max_new_tokens < 1)
    fail("generate", "max_new_tokens must be at least 1, got " + std::to_string(p.max_new_tokens));
  if (p.sample && !(p.temperature > 0 && std::isfinite(p.temperature)))
    fail("generate", "temperature must be a positive number when sampling, got " + std::to_string(p.temperature));
  if (!(p.top_p > 0 && p.top_p <= 1)) fail("generate", "top_p must lie in (0, 1], got " + std::to_string(p.top_p));
  // The last generated token is never run, so T + n − 1 positions need a position embedding.
  if (cfg.learned_pos && T + p.max_new_tokens - 1 > cfg.n_ctx) {
    fail("generate", std::to_string(T) + " prompt tokens and " + std::to_string(p.max_new_tokens) +
                         " new ones exceed the model's context of " + std::to_string(cfg.n_ctx) + " positions");
  }
}

// Uniform on [0, 1) from 53 random bits: the same on every platform.
double uniform(datasets::Rng& rng) { return static_cast<double>(rng.below(uint64_t(1) << 53)) * 0x1p-53; }

// The first index of the largest value, as argmax takes it.
int64_t argmax(const double* values, int64_t n) { return std::max_element(values, values + n) - values; }

// The next token from log-probabilities [n] (float64, CPU): the argmax, or a
// draw from the tempered distribution restricted to its top-p nucleus.
int64_t choose(const double* logprobs, int64_t n, const GenerateParams& p, datasets::Rng& rng) {
  const int64_t top = argmax(logprobs, n);
  if (!p.sample) return top;
  // Weights relative to the top token, exp((z_v − z_top) / temperature), never overflow.
  std::vector<double> weight(static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) weight[v] = std::exp((logprobs[v] - logprobs[top]) / p.temperature);
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  int64_t kept = n;
  double kept_mass = total;
  if (p.top_p < 1) {
    // Most likely first, ties by id, so that the nucleus of a tiny top_p is the argmax.
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return weight[a] != weight[b] ? weight[a] > weight[b] : a < b; });
    kept = 0;
    kept_mass = 0;
    while (kept < n && kept_mass < p.top_p * total) kept_mass += weight[order[kept++]];
  }
  double u = uniform(rng) * kept_mass;
  for (int64_t k = 0; k < kept; ++k) {
    u -= weight[order[k]];
    if (u < 0) return order[k];
  }
  return order[kept - 1];  // u left over by rounding
}

std::string decode(const Model& model, const std::vector<int64_t>& ids) {
  if (model.tokenizer()) return model.tokenizer()->decode(ids, /*skip_special_tokens=*/true);
  std::string text;
  for (const auto& piece : model.token_strings(ids)) text += piece;
  return text;
}

// One KV-cached generation (parameters already checked), reporting progress
// in [begin, end).
Generation decode_continuation(const Model& model, const GenerateParams& p, const Progress& progress, double begin,
                               double end, const std::string& message) {
  c10::InferenceMode inference;
  const Tokenizer* tokenizer = model.tokenizer();
  const std::optional<int64_t> eos = p.stop_at_eos && tokenizer ? tokenizer->eos_id() : std::nullopt;
  datasets::Rng rng(p.seed);
  KVCache kv;
  ForwardArgs step;
  step.tokens = at::tensor(p.tokens, at::kLong).unsqueeze(0).to(model.device());  // the prompt, then one token
  step.kv = &kv;
  Generation g;
  for (int i = 0; i < p.max_new_tokens; ++i) {
    progress.check();
    progress.update(begin + (end - begin) * i / p.max_new_tokens, message);
    const at::Tensor logits = model.forward(step).logits[0][-1];
    const at::Tensor logprobs = at::log_softmax(logits.to(at::kCPU, at::kDouble), -1).contiguous();
    const double* lp = logprobs.data_ptr<double>();
    const int64_t next = choose(lp, logprobs.numel(), p, rng);
    if (eos && next == *eos) {
      g.stopped_at_eos = true;
      break;
    }
    g.ids.push_back(next);
    g.probs.push_back(std::exp(lp[next]));
    step.tokens = at::full({1, 1}, next, at::kLong).to(model.device());
  }
  g.text = decode(model, g.ids);
  progress.update(end, message);
  return g;
}

}  // namespace

Generation generate(const Model& model, const GenerateParams& params, const Progress& progress) {
  check_params(model, params);
  return decode_continuation(model, params, progress, 0, 1, "generating");
}

GenerationComparison generate_with_and_without_edits(const Model& model, const GenerateParams& params,
                                                     const Progress& progress) {
  check_params(model, params);
  GenerationComparison c;
  const std::vector<Edit>* active = ActiveEdits::current();
  c.has_edits = active && !active->empty();
  if (c.has_edits) c.edited = decode_continuation(model, params, progress, 0, 0.5, "generating with edits");
  const ActiveEdits none({});
  c.unedited = c.has_edits ? decode_continuation(model, params, progress, 0.5, 1, "generating without edits")
                           : decode_continuation(model, params, progress, 0, 1, "generating");
  return c;
}

std::vector<Plot> to_plots(const GenerationComparison& c) {
  std::vector<std::pair<std::string, const Generation*>> rows;
  if (c.has_edits) rows = {{"with edits", &c.edited}, {"without edits", &c.unedited}};
  else rows = {{"continuation", &c.unedited}};
  size_t steps = 1;  // an all-NaN step when every continuation is empty
  for (const auto& row : rows) steps = std::max(steps, row.second->ids.size());

  std::vector<double> table;
  std::vector<std::string> labels, series;
  std::vector<double> probs(rows.size() * steps, NAN);
  for (size_t r = 0; r < rows.size(); ++r) {
    const Generation& g = *rows[r].second;
    double logprob_sum = 0;
    for (size_t i = 0; i < g.probs.size(); ++i) {
      logprob_sum += std::log(g.probs[i]);
      probs[r * steps + i] = g.probs[i];
    }
    table.insert(table.end(), {double(g.ids.size()), g.ids.empty() ? NAN : logprob_sum / double(g.ids.size()),
                               g.stopped_at_eos ? 1.0 : 0.0});
    std::string text;  // one line: newlines as \n
    for (const char ch : g.text) text += ch == '\n' ? std::string("\\n") : std::string(1, ch);
    labels.push_back(rows[r].first + ": " + text);
    series.push_back(rows[r].first);
  }
  std::vector<Plot> plots;
  plots.push_back(make_plot("table", "generate_continuations", "Continuations of the prompt",
                            at::tensor(table, at::kDouble).view({int64_t(rows.size()), 3}),
                            label_axis({"tokens", "mean log-probability", "stopped at EOS"}),
                            label_axis(std::move(labels)), {}, "continuation"));
  Plot line = make_plot("line", "generate_token_probability", "Probability of each generated token",
                        at::tensor(probs, at::kDouble).view({int64_t(rows.size()), int64_t(steps)}),
                        number_axis(int64_t(steps), 1), {}, "generated token", "probability");
  line.series = std::move(series);
  plots.push_back(std::move(line));
  return plots;
}

Analysis generate_analysis() {
  Analysis a;
  a.id = "generate";
  a.title = "Generation";
  a.description = "Continue the prompt (greedy or sampled), with the active edits and without them.";
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        // The new tokens share a learned-position model's context with the prompt: half of it, at most 20.
        ParamSpec::integer("max_new_tokens", "New tokens", std::clamp<int64_t>(m.n_ctx / 2, 1, 20), 1, 256,
                           "Tokens to generate at most (fewer when the model ends the text)."),
        ParamSpec::choice("mode", "Mode", {"greedy", "sample"},
                          "greedy: the most likely token each step; sample: draw with temperature and top-p."),
        ParamSpec::real("temperature", "Temperature", 1.0, 0.0, 100.0,
                        "Sampling: logits are divided by it (> 0; lower is closer to greedy)."),
        ParamSpec::real("top_p", "Top p", 1.0, 0.0, 1.0,
                        "Sampling: draw only from the most likely tokens whose probability reaches it (0 < p ≤ 1)."),
        ParamSpec::integer("seed", "Seed", 0, 0, 2147483647, "Sampling: the same seed gives the same text."),
        ParamSpec::boolean("stop_at_eos", "Stop at end of text", true,
                           "Stop at the tokenizer's end-of-sequence token."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    GenerateParams p;
    p.tokens = in.tokens;
    p.max_new_tokens = static_cast<int>(v.integer("max_new_tokens"));
    p.sample = v.text("mode") == "sample";
    p.temperature = v.real("temperature");
    p.top_p = v.real("top_p");
    p.seed = static_cast<uint64_t>(v.integer("seed"));
    p.stop_at_eos = v.flag("stop_at_eos");
    const GenerationComparison c = generate_with_and_without_edits(model, p, progress);
    AnalysisOutput out{to_plots(c)};
    const Generation& shown = c.has_edits ? c.edited : c.unedited;
    out.summary = {{"text", shown.text}, {"ids", shown.ids}};
    if (c.has_edits) {
      out.summary["unedited_text"] = c.unedited.text;
      out.summary["unedited_ids"] = c.unedited.ids;
    }
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
