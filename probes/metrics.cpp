#include "probes/metrics.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

#include "core/error.h"
#include "core/plot.h"

namespace glassbox::probes {

at::Tensor Metric::operator()(const at::Tensor& last_logits) const {
  const at::Tensor logits = last_logits.to(at::kDouble);
  switch (kind) {
    case Kind::logit_diff: return logits.select(-1, answer) - logits.select(-1, wrong);
    case Kind::prob: return at::softmax(logits, -1).select(-1, answer);
    case Kind::logprob: return at::log_softmax(logits, -1).select(-1, answer);
  }
  return {};
}

at::Tensor Metric::logit_direction(const Transformer& model) const {
  if (kind != Kind::logit_diff) fail("metric", "only the logit difference is a direction in the residual stream");
  const at::Tensor& W_U = model.weights().W_U;
  return (W_U.select(1, answer) - W_U.select(1, wrong)).to(model.device());  // W_U is on the last device when split
}

std::string Metric::label(const Model& model) const {
  const auto quoted = [&](int64_t id) { return "'" + visible_token(model.token_strings({id})[0]) + "'"; };
  switch (kind) {
    case Kind::logit_diff: return "logit(" + quoted(answer) + ") − logit(" + quoted(wrong) + ")";
    case Kind::prob: return "p(" + quoted(answer) + ")";
    case Kind::logprob: return "log p(" + quoted(answer) + ")";
  }
  return {};
}

std::string Metric::id() const {
  switch (kind) {
    case Kind::logit_diff: return "logit_diff";
    case Kind::prob: return "prob";
    case Kind::logprob: return "logprob";
  }
  return {};
}

at::Tensor normalised(const at::Tensor& patched, double clean, double corrupted) {
  if (clean == corrupted) return at::full_like(patched, NAN);
  return (patched - corrupted) / (clean - corrupted);
}

std::vector<ParamSpec> metric_params() {
  return {
      ParamSpec::choice("metric", "Metric", {"logit_diff", "prob", "logprob"},
                        "Read at the last position: logit(answer) − logit(wrong), p(answer) or log p(answer)."),
      ParamSpec::of(ParamType::token, "answer", "Answer", "",
                    "The correct next token (e.g. ' Mary'); empty: the clean prompt's top prediction."),
      ParamSpec::of(ParamType::token, "wrong", "Wrong answer", "",
                    "The logit difference's other token (e.g. ' John'); empty: the corrupted prompt's top "
                    "prediction."),
      ParamSpec::boolean("normalise", "Normalise", true,
                         "Report (patched − corrupted) / (clean − corrupted): 1 restores the clean run, 0 is no "
                         "change."),
  };
}

Metric::Kind metric_kind(const ParamValues& values) {
  const std::string kind = values.text("metric");
  return kind == "prob" ? Metric::Kind::prob : kind == "logprob" ? Metric::Kind::logprob : Metric::Kind::logit_diff;
}

Metric metric_from(const ParamValues& values, const Model& model, const std::vector<int64_t>& clean,
                   const std::vector<int64_t>& corrupted, const std::string& where) {
  c10::InferenceMode inference;
  Metric m;
  m.kind = metric_kind(values);
  const auto top2 = [&](const std::vector<int64_t>& tokens) {
    const at::Tensor ids = std::get<1>(at::topk(model.run(tokens).logits[-1], 2)).cpu();
    return std::pair<int64_t, int64_t>{ids[0].item<int64_t>(), ids[1].item<int64_t>()};
  };
  const auto answer = values.token("answer");
  m.answer = answer ? *answer : top2(clean).first;
  if (m.kind != Metric::Kind::logit_diff) return m;
  if (const auto wrong = values.token("wrong")) {
    m.wrong = *wrong;
  } else {
    const auto [first, second] = top2(corrupted.empty() ? clean : corrupted);
    m.wrong = first != m.answer ? first : second;
  }
  if (m.wrong == m.answer)
    fail(where, "the answer and the wrong answer are the same token (" + std::to_string(m.answer) + ")");
  return m;
}

}  // namespace glassbox::probes
