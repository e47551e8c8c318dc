#include "probes/ablate.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <fstream>

#include "core/error.h"
#include "core/tokenizer.h"
#include "probes/common.h"
#include "probes/edits.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// [T-1]: −log p(token t+1 | tokens ..t).
at::Tensor next_token_loss(const at::Tensor& logits, const std::vector<int64_t>& tokens) {
  const int64_t T = static_cast<int64_t>(tokens.size());
  at::Tensor next = at::tensor(std::vector<int64_t>(tokens.begin() + 1, tokens.end()), at::kLong).to(logits.device());
  at::Tensor logprobs = at::log_softmax(logits.narrow(0, 0, T - 1).to(at::kFloat), -1);
  return -logprobs.gather(1, next.unsqueeze(1)).squeeze(1);
}

}  // namespace

AblateResult ablate(const Model& model, const AblateParams& params, const Progress& progress) {
  as_transformer(model, "ablate");
  const ModelInfo& info = model.info();
  if (params.neurons.empty() && params.heads.empty()) fail("ablate", "give neurons or heads to ablate");
  if (params.tokens.size() < 2) fail("ablate", "the prompt needs at least 2 tokens for a next-token loss");
  if (params.target && (*params.target < 0 || *params.target >= info.d_vocab))
    fail("ablate", "target " + std::to_string(*params.target) + " is outside the vocabulary [0, " +
                       std::to_string(info.d_vocab) + ")");
  for (const auto& prompt : params.reference)
    if (prompt.empty()) fail("ablate", "a reference prompt has no tokens");
  c10::InferenceMode inference;
  EditSpec spec;
  spec.kind = params.mode == AblationMode::zero ? EditSpec::Kind::zero
              : params.mode == AblationMode::mean ? EditSpec::Kind::mean
                                                  : EditSpec::Kind::resample;
  spec.heads = params.heads;
  spec.neurons = params.neurons;
  if (params.mode == AblationMode::mean)
    spec.source_tokens = params.reference.empty() ? std::vector<std::vector<int64_t>>{params.tokens} : params.reference;
  if (params.mode == AblationMode::resample) {
    if (params.reference.size() != 1) fail("ablate", "resample ablation takes its activations from one prompt");
    if (params.reference[0].size() != params.tokens.size())
      fail("ablate", "the resample prompt has " + std::to_string(params.reference[0].size()) + " tokens and the prompt " +
                         std::to_string(params.tokens.size()) + "; resampling replaces position by position");
    spec.source_tokens = params.reference;
  }
  RunOptions ablated;
  ablated.edits = resolve_edits(model, {spec}, sub_progress(progress, 0, 0.8));
  progress.check();
  const at::Tensor clean_logits = model.run(params.tokens).logits;
  progress.update(0.9, "ablated run");
  const at::Tensor ablated_logits = model.run(params.tokens, ablated).logits;

  AblateResult result;
  result.token_strings = model.token_strings(params.tokens);
  result.token_loss =
      at::stack({next_token_loss(clean_logits, params.tokens), next_token_loss(ablated_logits, params.tokens)}).cpu();
  result.clean_loss = result.token_loss[0].mean().item<double>();
  result.ablated_loss = result.token_loss[1].mean().item<double>();
  result.target = params.target;
  if (params.target) {
    result.target_string = model.token_strings({*params.target})[0];
    result.target_prob = at::stack({at::softmax(clean_logits.to(at::kFloat), -1).select(-1, *params.target),
                                    at::softmax(ablated_logits.to(at::kFloat), -1).select(-1, *params.target)})
                             .cpu();
  }
  progress.update(1, "done");
  return result;
}

std::vector<Plot> to_plots(const AblateResult& result) {
  const std::vector<std::string> runs = {"clean", "ablated"};
  const Axis tokens = token_axis(result.token_strings);
  std::vector<Plot> plots;

  std::vector<at::Tensor> columns = {result.token_loss.mean(-1)};
  std::vector<std::string> column_names = {"loss"};
  if (result.target_prob.defined()) {
    columns.push_back(result.target_prob.select(1, -1));
    column_names.push_back("target_prob");
  }
  plots.push_back(make_plot("table", "ablate_summary", "Ablation: mean next-token loss and target probability",
                            at::stack(columns, 1), label_axis(column_names), label_axis(runs)));

  Axis predicting = tokens;
  predicting.labels.pop_back();
  predicting.positions.pop_back();
  Plot loss = make_plot("line", "ablate_token_loss", "Next-token loss per position", result.token_loss, predicting, {},
                        "position (predicting the next token)", "cross-entropy (nats)");
  loss.series = runs;
  plots.push_back(loss);
  if (result.target_prob.defined()) {
    Plot prob = make_plot("line", "ablate_target_prob",
                          "Probability of '" + visible_token(result.target_string) + "' (" +
                              std::to_string(*result.target) + ")",
                          result.target_prob, tokens, {}, "position", "probability");
    prob.series = runs;
    plots.push_back(prob);
  }
  return plots;
}

std::vector<std::vector<int64_t>> read_reference_prompts(const std::string& path, bool ids, const Model& model) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open file");
  if (!ids && !model.tokenizer()) fail(path, "the model has no tokenizer; give reference token ids");
  std::vector<std::vector<int64_t>> prompts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    prompts.push_back(ids ? parse_token_ids(line, model.info().d_vocab, path + ": line " + std::to_string(number))
                          : model.tokenizer()->encode(line));
  }
  if (prompts.empty()) fail(path, "no reference prompts in the file");
  return prompts;
}

Analysis ablate_analysis() {
  Analysis a;
  a.id = "ablate";
  a.title = "Ablation";
  a.description = "Zero or mean ablation of MLP neurons and attention heads: the change in next-token loss and in a "
                  "target's probability.";
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{
        ParamSpec::of(ParamType::heads, "heads", "Heads", "0:0",
                      "Heads to ablate: LAYER:HEAD, comma-separated (empty: none)."),
        ParamSpec::of(ParamType::neurons, "neurons", "Neurons", "",
                      "MLP neurons to ablate: LAYER:INDEX, comma-separated."),
        ParamSpec::choice("mode", "Mode", {"zero", "mean", "resample"},
                          "zero: set to 0; mean: the mean over the reference prompts (default: the prompt); "
                          "resample: the activations of the resample prompt, position by position."),
        ParamSpec::of(ParamType::text, "resample_prompt", "Resample prompt", "",
                      "Resample ablation: the prompt (e.g. the corrupted one) whose activations replace the units'; "
                      "as many tokens as the prompt."),
        ParamSpec::of(ParamType::file, "reference_prompts", "Reference prompts", "",
                      "Mean ablation: a text file with one prompt per line (optional)."),
        ParamSpec::of(ParamType::file, "reference_tokens", "Reference token ids", "",
                      "Mean ablation: a file with one prompt of comma-separated token ids per line (optional)."),
        ParamSpec::of(ParamType::token, "target", "Target token", "", "Token whose probability is reported."),
    };
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    AblateParams p;
    p.tokens = in.tokens;
    p.heads = v.heads("heads");
    p.neurons = v.neurons("neurons");
    const std::string mode = v.text("mode");
    p.mode = mode == "mean" ? AblationMode::mean : mode == "resample" ? AblationMode::resample : AblationMode::zero;
    const std::string prompts = v.text("reference_prompts"), ids = v.text("reference_tokens");
    if (!prompts.empty() && !ids.empty()) fail("ablate", "give reference prompts or reference token ids, not both");
    if ((!prompts.empty() || !ids.empty()) && p.mode != AblationMode::mean)
      fail("ablate", "reference prompts are for mode mean");
    if (!prompts.empty()) p.reference = read_reference_prompts(prompts, false, model);
    if (!ids.empty()) p.reference = read_reference_prompts(ids, true, model);
    const std::string resample = v.text("resample_prompt");
    if (!resample.empty() && p.mode != AblationMode::resample) fail("ablate", "a resample prompt is for mode resample");
    if (p.mode == AblationMode::resample) {
      if (resample.empty()) fail("ablate", "resample ablation needs a resample prompt");
      p.reference = {prompt_tokens(model, resample, in.add_special_tokens, "ablate: resample prompt")};
    }
    p.target = v.token("target");
    const AblateResult r = ablate(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"clean_loss", r.clean_loss},
                   {"ablated_loss", r.ablated_loss},
                   {"loss_change", r.ablated_loss - r.clean_loss}};
    if (p.target) {
      out.summary["clean_target_prob"] = r.target_prob[0][-1].item<double>();
      out.summary["ablated_target_prob"] = r.target_prob[1][-1].item<double>();
    }
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
