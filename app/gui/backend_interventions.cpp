#include "app/gui/backend_interventions.h"

#include <QFileInfo>

#include "app/gui/private/resolved_edits.h"
#include "core/error.h"
#include "core/model.h"
#include "core/tokenizer.h"
#include "datasets/prompt_pairs_csv.h"
#include "datasets/two_hop_csv.h"
#include "probes/generate.h"
#include "probes/steering.h"

namespace glassbox::gui {

namespace {

// The prompt texts of a data set file, whichever of the two layouts it has.
std::vector<std::string> dataset_texts(const std::string& path) {
  std::vector<std::string> texts;
  try {
    for (const datasets::PromptPairRow& row : datasets::load_prompt_pairs_csv(path)) texts.push_back(row.clean);
    return texts;
  } catch (const Error& prompt_set) {
    try {
      for (const datasets::TwoHopQuery& query : datasets::load_two_hop_csv(path)) texts.push_back(query.prompt);
      return texts;
    } catch (const Error&) {
      fail(path, std::string("neither a prompt-set CSV (clean, corrupted, answer, wrong) nor a two-hop CSV: ") +
                     prompt_set.what());
    }
  }
}

// The continuation's text as it follows the prompt's: decoded together with
// the prompt, since a tokenizer that drops the spaces between words decodes a
// continuation on its own without its leading one.
Continuation continuation(const Model& model, const std::vector<int64_t>& prompt, const probes::Generation& g) {
  Continuation c{g.ids, g.text, g.stopped_at_eos};
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer || g.ids.empty()) return c;
  std::vector<int64_t> both = prompt;
  both.insert(both.end(), g.ids.begin(), g.ids.end());
  const std::string head = tokenizer->decode(prompt, true), full = tokenizer->decode(both, true);
  if (full.compare(0, head.size(), head) == 0) c.text = full.substr(head.size());
  return c;
}

// "Love − Hate", "Love … (3) − Hate … (3)": the first prompt of each side, and how many there are.
std::string side_name(const std::vector<std::string>& prompts) {
  std::string name = prompts.front();
  if (prompts.size() > 1) name += " … (" + std::to_string(prompts.size()) + ")";
  return name;
}

std::vector<std::vector<int64_t>> tokenized(const Model& model, const std::vector<std::string>& texts,
                                            bool add_special_tokens) {
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) fail("steering", "the model has no tokenizer to read the prompts with");
  std::vector<std::vector<int64_t>> ids;
  for (const std::string& text : texts) ids.push_back(tokenizer->encode(text, add_special_tokens));
  return ids;
}

}  // namespace

std::optional<probes::DatasetKind> dataset_kind(const std::string& path) {
  try {
    datasets::load_prompt_pairs_csv(path);
    return probes::DatasetKind::prompt_pairs;
  } catch (const Error&) {
  }
  try {
    datasets::load_two_hop_csv(path);
    return probes::DatasetKind::two_hop;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<std::vector<int64_t>> dataset_prompts(const Model& model, const std::string& path,
                                                  bool add_special_tokens) {
  const Tokenizer* tokenizer = model.tokenizer();
  if (!tokenizer) fail(path, "the model has no tokenizer to read the data set's prompts with");
  std::vector<std::vector<int64_t>> prompts;
  for (const std::string& text : dataset_texts(path)) prompts.push_back(tokenizer->encode(text, add_special_tokens));
  if (prompts.empty()) fail(path, "the data set has no prompts");
  return prompts;
}

SteeringVector make_steering_vector_for_gui(const Model& model, const std::vector<std::string>& towards,
                                            const std::vector<std::string>& away, const std::string& hook,
                                            bool last_position_only, bool add_special_tokens,
                                            const Progress& progress) {
  if (towards.empty() || away.empty()) fail("steering", "give at least one prompt on each side");
  progress.update(0, "steering vector at " + hook);
  const probes::SteeringVector made =
      probes::make_steering_vector(model, hook, tokenized(model, towards, add_special_tokens),
                                   tokenized(model, away, add_special_tokens), last_position_only);
  progress.update(1, "steering vector at " + hook);
  return {made.hook, made.layer, made.values, made.model_hint, side_name(towards) + " − " + side_name(away)};
}

std::vector<SteeringVector> read_steering_vectors_for_gui(const ModelInfo& model, const std::string& path) {
  const std::string name = QFileInfo(QString::fromStdString(path)).fileName().toStdString();
  std::vector<SteeringVector> vectors;
  for (const probes::SteeringVector& v : probes::load_steering_vectors(path, &model))
    vectors.push_back({v.hook, v.layer, v.values, v.model_hint, name});
  return vectors;
}

void write_steering_vector_for_gui(const std::string& path, const SteeringVector& vector) {
  probes::SteeringVector v;
  v.hook = vector.hook;
  v.layer = vector.layer;
  v.values = vector.values;
  v.model_hint = vector.model_hint;
  probes::save_steering_vectors(path, {v});
}

Continuations generate_for_gui(const Model& model, const std::vector<int64_t>& prompt,
                               const GenerateSettings& settings, const std::shared_ptr<const ResolvedEdits>& resolved,
                               const Progress& progress) {
  probes::GenerateParams params;
  params.tokens = prompt;
  params.max_new_tokens = settings.max_new_tokens;
  params.sample = settings.sample;
  params.temperature = settings.temperature;
  params.top_p = settings.top_p;
  params.seed = settings.seed;
  const ActiveEdits active(resolved ? resolved->edits : std::vector<Edit>{});
  const probes::GenerationComparison c = probes::generate_with_and_without_edits(model, params, progress);
  return {continuation(model, prompt, c.edited), continuation(model, prompt, c.unedited), c.has_edits};
}

}  // namespace glassbox::gui
