#include "probes/registry.h"

#include "core/error.h"
#include "core/hooks.h"

namespace glassbox::probes {

// Each analysis is declared next to its probe (probes/<probe>.cpp).
Analysis next_token_analysis();
Analysis attention_pattern_analysis();
Analysis residual_norms_analysis();
Analysis logit_lens_analysis();
Analysis contributions_analysis();
Analysis attention_heads_analysis();
Analysis backpatch_analysis();
Analysis backpatch_dataset_analysis();
Analysis head_svd_analysis();
Analysis composition_analysis();
Analysis ablate_analysis();
Analysis importance_analysis();
Analysis sparsity_analysis();
Analysis ipr_analysis();
Analysis prune_curve_analysis();
Analysis logit_attribution_analysis();
Analysis activation_patching_analysis();
Analysis generate_analysis();
Analysis activation_analysis();

const std::vector<Analysis>& analyses() {
  static const std::vector<Analysis> all = {
      next_token_analysis(),   attention_pattern_analysis(), activation_analysis(), residual_norms_analysis(),
      logit_lens_analysis(),   contributions_analysis(),     attention_heads_analysis(),
      backpatch_analysis(),    backpatch_dataset_analysis(), head_svd_analysis(),
      composition_analysis(),  ablate_analysis(),            importance_analysis(),
      sparsity_analysis(),     ipr_analysis(),               prune_curve_analysis(),
      logit_attribution_analysis(),
      activation_patching_analysis(),
      generate_analysis(),
  };
  return all;
}

const Analysis* find_analysis(const std::string& id) {
  for (const Analysis& a : analyses())
    if (a.id == id) return &a;
  return nullptr;
}

int64_t analysis_memory_bytes(const Analysis& analysis, const ModelInfo& info, const ParamValues& values, int64_t T) {
  if (!info.transformer || T <= 0) return 0;
  const int64_t logits = T * info.d_vocab * int64_t{sizeof(float)};
  if (!analysis.captures) return logits;
  return logits + estimate_capture(info, NameFilter(analysis.captures(info, values)), T, sizeof(float)).bytes;
}

bool applies(const Analysis& analysis, const ModelInfo& info) { return analysis.needs.transformer == info.transformer; }

std::string dataset_description(DatasetKind kind) {
  if (kind == DatasetKind::prompt_pairs)
    return "a prompt-pair CSV (columns clean, corrupted, answer, wrong; docs/file-formats.md#prompt-set-csv)";
  return "a two-hop CSV (columns e1_label, r1_template, r2_template, e2_label, e3_label, e3_aliases)";
}

bool needs_prompt(const Analysis& analysis, bool with_dataset) {
  return analysis.needs.prompt == Need::required && !(with_dataset && analysis.needs.dataset == Need::optional);
}

void check_inputs(const Analysis& analysis, const AnalysisInputs& inputs, const std::string& where) {
  if (needs_prompt(analysis, !inputs.dataset.empty()) && inputs.tokens.empty())
    fail(where, analysis.id + " needs a prompt (it has no tokens)");
  if (analysis.needs.prompt == Need::none && !inputs.tokens.empty())
    fail(where, analysis.id + " takes no prompt");
  if (analysis.needs.dataset == Need::required && inputs.dataset.empty())
    fail(where, analysis.id + " needs a data set file");
  if (analysis.needs.dataset == Need::none && !inputs.dataset.empty())
    fail(where, analysis.id + " takes no data set");
}

std::string params_json(const AnalysisInputs& inputs, const ParamValues& values) {
  nlohmann::json j = values.json();
  j["tokens"] = inputs.tokens;
  j["add_special_tokens"] = inputs.add_special_tokens;
  if (!inputs.dataset.empty()) j["dataset"] = inputs.dataset;
  if (!inputs.edits.empty()) j["edits"] = edits_to_json(inputs.edits);
  return j.dump();
}

}  // namespace glassbox::probes
