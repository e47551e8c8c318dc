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
  progress.update(0.1, "forward pass");
  const at::Tensor logits = model.run(params.tokens).logits[r.position].to(at::kCPU, at::kFloat);
  progress.check();
  const auto [top_logits, top_ids] = at::topk(logits, params.top_k);
  r.logits = top_logits;
  r.probs = at::softmax(logits, 0).index_select(0, top_ids);
  r.ids.assign(top_ids.data_ptr<int64_t>(), top_ids.data_ptr<int64_t>() + params.top_k);
  r.strings = model.token_strings(r.ids);
  return r;
}

std::vector<Plot> to_plots(const NextTokenResult& r) {
  std::vector<std::string> labels;
  for (const std::string& s : r.strings) labels.push_back(visible_token(s));
  const std::string after = std::to_string(r.position) + ":" + visible_token(r.position_token);
  const at::Tensor ids = at::tensor(r.ids).to(at::kFloat);
  const at::Tensor table = at::stack({r.probs, r.logits, ids}, 1);  // [k, 3]
  return {make_plot("table", "next_token", "Next token after " + after, table,
                    label_axis({"probability", "logit", "token id"}), label_axis(labels)),
          make_plot("bar", "next_token_probability", "Probability of the top " + std::to_string(r.ids.size()),
                    r.probs, label_axis(labels), {}, "next token", "probability")};
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
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
