#include "app/gui/backend.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include "app/gui/private/resolved_edits.h"
#include "core/model.h"
#include "core/plot.h"
#include "core/tokenizer.h"
#include "probes/common.h"
#include "probes/edits.h"

namespace glassbox::gui {

std::shared_ptr<const ResolvedEdits> resolve_edits_for_gui(const Model& model,
                                                           const std::vector<probes::EditSpec>& edits,
                                                           const Progress& progress) {
  auto resolved = std::make_shared<ResolvedEdits>();
  resolved->edits = probes::resolve_edits(model, edits, progress);
  return resolved;
}

LoadedModel load_model_for_gui(const std::string& dir, const std::string& device, const std::string& dtype) {
  LoadOptions options;
  options.device = device;
  options.dtype = dtype;
  LoadedModel loaded;
  loaded.model = load_model(dir, options);
  loaded.info = loaded.model->info();
  loaded.dir = dir;
  loaded.device = device;
  loaded.dtype = dtype;
  loaded.has_tokenizer = loaded.model->tokenizer() != nullptr;
  loaded.described = describe_model(dir, loaded.info, device, dtype);
  return loaded;
}

Prompt tokenize_prompt(const Model& model, const std::string& text, bool add_special_tokens) {
  Prompt p;
  p.text = text;
  p.add_special_tokens = add_special_tokens;
  const Tokenizer* tokenizer = model.tokenizer();
  if (tokenizer) {
    p.ids = tokenizer->encode(text, add_special_tokens);
  } else {
    p.ids = probes::parse_token_ids(text, model.info().d_vocab,
                                    "prompt (this model has no tokenizer: type token ids such as 1, 2, 3)");
  }
  p.strings = model.token_strings(p.ids);
  const auto bos = tokenizer ? tokenizer->bos_id() : std::nullopt;
  const auto eos = tokenizer ? tokenizer->eos_id() : std::nullopt;
  for (int64_t id : p.ids) p.special.push_back(add_special_tokens && (id == bos || id == eos));
  for (const std::string& s : p.strings) p.labels.push_back(visible_token(s));
  return p;
}

SessionPrompt session_prompt(const Prompt& prompt) {
  return SessionPrompt{prompt.text, prompt.add_special_tokens, prompt.ids, prompt.strings};
}

Prompt prompt_from_session(const SessionPrompt& saved) {
  Prompt p;
  p.text = saved.text;
  p.add_special_tokens = saved.add_special_tokens;
  p.ids = saved.tokens;
  p.strings = saved.token_strings;
  for (const std::string& s : p.strings) p.labels.push_back(visible_token(s));
  p.special.assign(p.ids.size(), false);
  return p;
}

probes::AnalysisInputs analysis_inputs(const probes::Analysis& analysis, const Prompt& prompt,
                                       const std::string& dataset) {
  probes::AnalysisInputs in;
  if (analysis.needs.prompt != probes::Need::none) {
    in.tokens = prompt.ids;
    in.add_special_tokens = prompt.add_special_tokens;
  }
  if (analysis.needs.dataset != probes::Need::none) {
    in.dataset = dataset;
    in.add_special_tokens = prompt.add_special_tokens;
  }
  return in;
}

AnalysisRun run_analysis(const Model& model, const std::string& model_dir, const AnalysisRequest& request,
                         const Progress& progress) {
  const probes::Analysis& analysis = *request.analysis;
  probes::AnalysisInputs in = analysis_inputs(analysis, request.prompt, request.dataset);
  in.edits = probes::enabled_edits(request.edits);
  probes::check_inputs(analysis, in, analysis.title);
  const probes::ParamValues values =
      probes::parse_params(analysis.params(model.info()), request.inputs, model, probes::Front::gui);
  AnalysisRun run;
  const std::vector<Edit> none;
  probes::AnalysisOutput output =
      probes::run_with_edits(analysis, model, in, values, request.resolved ? request.resolved->edits : none, progress);
  run.plots = std::move(output.plots);
  run.numerical_fault = output.numerical_fault;
  run.meta = PlotMeta{analysis.id, probes::params_json(in, values), model_dir};
  if (analysis.needs.prompt != probes::Need::none) {
    // A model without a tokenizer is prompted with token ids, which `tokens` already holds.
    if (model.tokenizer()) run.meta.prompt = request.prompt.text;
    run.meta.tokens = in.tokens;
  }
  return run;
}

bool cuda_available() { return at::hasCUDA(); }

std::string libtorch_version() { return TORCH_VERSION; }

}  // namespace glassbox::gui
