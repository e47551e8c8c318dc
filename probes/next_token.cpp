#include "probes/next_token.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

NextTokenResult next_token(const Model& model, const NextTokenParams& params, const Progress& progress) {
  as_transformer(model, "next-token");
  if (params.tokens.empty()) fail("next-token", "the prompt has no tokens");
  const int64_t vocab = model.info().d_vocab;
  if (params.top_k < 1 || params.top_k > vocab)
    fail("next-token", "top-k must lie in [1, " + std::to_string(vocab) + "], got " + std::to_string(params.top_k));
  c10::InferenceMode inference;
  NextTokenResult r;
  r.position = absolute_position(params.position, params.tokens.size(), "next-token");
  r.position_token = model.token_strings({params.tokens[size_t(r.position)]})[0];
  progress.update(0, "forward pass");
  const Progress forward_progress = sub_progress(progress, 0, 0.9);
  RunOptions options;
  options.progress = &forward_progress;
  const at::Tensor logits = model.run(params.tokens, options).logits[r.position].to(at::kCPU, at::kFloat);
  progress.check();
  const auto [top_logits, top_ids] = at::topk(logits, params.top_k);
  r.logits = top_logits;
  r.probs = at::softmax(logits, 0).index_select(0, top_ids);
  r.ids.assign(top_ids.data_ptr<int64_t>(), top_ids.data_ptr<int64_t>() + params.top_k);
  r.strings = model.token_strings(r.ids);
  const std::vector<Edit>* active = ActiveEdits::current();
  if (active && !active->empty()) {
    ActiveEdits none({});
    const at::Tensor unedited = at::softmax(model.run(params.tokens).logits[r.position].to(at::kCPU, at::kFloat), 0);
    r.edited = true;
    r.unedited_probs = unedited.index_select(0, top_ids);
    const auto [top_probs, ids] = at::topk(unedited, params.top_k);
    r.unedited_top_probs = top_probs;
    r.unedited_ids.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + params.top_k);
    r.unedited_strings = model.token_strings(r.unedited_ids);
  }
  return r;
}

namespace {

std::vector<std::string> visible_tokens(const std::vector<std::string>& strings) {
  std::vector<std::string> labels;
  for (const std::string& s : strings) labels.push_back(visible_token(s));
  return labels;
}

}  // namespace

std::vector<Plot> to_plots(const NextTokenResult& r) {
  const std::vector<std::string> labels = visible_tokens(r.strings);
  const std::string after = std::to_string(r.position) + ":" + visible_token(r.position_token);
  const at::Tensor ids = at::tensor(r.ids).to(at::kFloat);
  std::vector<at::Tensor> columns = {r.probs, r.logits, ids};
  std::vector<std::string> column_names = {"probability", "logit", "token id"};
  if (r.edited) {
    columns.push_back(r.unedited_probs);
    column_names.push_back("probability without edits");
  }
  const std::string under = r.edited ? " (with the active edits)" : "";
  std::vector<Plot> plots = {make_plot("table", "next_token", "Next token after " + after + under,
                                       at::stack(columns, 1), label_axis(column_names), label_axis(labels))};
  if (!r.edited) {
    plots.push_back(make_plot("bar", "next_token_probability", "Probability of the top " + std::to_string(r.ids.size()),
                              r.probs, label_axis(labels), {}, "next token", "probability"));
    return plots;
  }
  Plot bars = make_plot("bar", "next_token_probability",
                        "Probability of the top " + std::to_string(r.ids.size()) + ", with and without the edits",
                        at::stack({r.probs, r.unedited_probs}), label_axis(labels), {}, "next token", "probability");
  bars.series = {"with edits", "without edits"};
  plots.push_back(bars);
  const at::Tensor unedited_ids = at::tensor(r.unedited_ids).to(at::kFloat);
  plots.push_back(make_plot("table", "next_token_unedited", "Next token after " + after + " without the edits",
                            at::stack({r.unedited_top_probs, unedited_ids}, 1), label_axis({"probability", "token id"}),
                            label_axis(visible_tokens(r.unedited_strings))));
  return plots;
}

Analysis next_token_analysis() {
  Analysis a;
  a.id = "next-token";
  a.title = "Next-token predictions";
  a.description = "Most likely next tokens at one position (click a token chip to choose it).";
  a.live = true;
  a.params = [](const ModelInfo& m) {
    return std::vector<ParamSpec>{
        ParamSpec::position("position", "Position", m.n_ctx, "Token position whose next token is predicted."),
        ParamSpec::integer("top_k", "Top k", 10, 1, std::min<int64_t>(100, std::max<int64_t>(m.d_vocab, 1)),
                           "How many tokens to list."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    NextTokenParams p;
    p.tokens = in.tokens;
    p.position = v.integer("position");
    p.top_k = static_cast<int>(v.integer("top_k"));
    const NextTokenResult r = next_token(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"position", r.position}, {"top_ids", r.ids}, {"top_tokens", r.strings},
                   {"top_probs", to_floats(r.probs)}};
    if (r.edited) {
      out.summary["unedited_top_tokens"] = r.unedited_strings;
      out.summary["unedited_top_probs"] = to_floats(r.unedited_top_probs);
    }
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
