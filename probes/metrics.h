#pragma once
// The metrics every causal analysis reads at the last position
// (docs/methods.md#metrics): the logit difference between an answer and a
// wrong answer, a target's probability or log-probability; and the normalised
// form (patched − corrupted) / (clean − corrupted), 1 where a patch restores
// the clean behaviour and 0 where it changes nothing.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/transformer.h"
#include "probes/params.h"

namespace glassbox::probes {

struct Metric {
  enum class Kind { logit_diff, prob, logprob };
  Kind kind = Kind::logit_diff;
  int64_t answer = 0;
  int64_t wrong = 0;  // logit_diff only

  // The metric of each row of last-position logits [B, vocab]: [B] float64.
  at::Tensor operator()(const at::Tensor& last_logits) const;
  // The logit difference as a direction in the unembedding's input: [d_model]
  // (W_U[:, answer] − W_U[:, wrong]); logit_diff only.
  at::Tensor logit_direction(const Transformer& model) const;
  // "logit(' Mary') − logit(' John')", "p(' Mary')", "log p(' Mary')".
  std::string label(const Model& model) const;
  std::string id() const;  // "logit_diff", "prob", "logprob"
};

// (patched − corrupted) / (clean − corrupted); NaN where clean equals corrupted.
at::Tensor normalised(const at::Tensor& patched, double clean, double corrupted);

// Parameters shared by causal analyses: metric, answer, wrong, normalise.
std::vector<ParamSpec> metric_params();
// The metric parameter's kind alone (a prompt set's rows bring their own answers).
Metric::Kind metric_kind(const ParamValues& values);
// The metric a run asks for. An empty answer is the clean prompt's top
// prediction, an empty wrong answer the corrupted prompt's (or, when that is
// the answer too, the clean prompt's second). Error `where` when the logit
// difference's two tokens are the same.
Metric metric_from(const ParamValues& values, const Model& model, const std::vector<int64_t>& clean,
                   const std::vector<int64_t>& corrupted, const std::string& where);

}  // namespace glassbox::probes
