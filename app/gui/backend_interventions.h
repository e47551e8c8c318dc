#pragma once
// The backend of the window's interventions (docs/gui.md#interventions): the
// prompts a mean ablation averages over, steering vectors (made, read,
// written), and text generated with and without the active edits. Like
// backend.h, no tensors.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/backend.h"

namespace glassbox::gui {

// The prompts of a data set file tokenized as the prompt bar would: the clean
// prompts of a prompt-set CSV, or the queries of a two-hop CSV. Error naming
// the file when it is neither, or when the model has no tokenizer.
std::vector<std::vector<int64_t>> dataset_prompts(const Model& model, const std::string& path,
                                                  bool add_special_tokens);

// Which of the two data set layouts a CSV file has; none when it has neither
// (or cannot be read).
std::optional<probes::DatasetKind> dataset_kind(const std::string& path);

// A steering vector as the steering dialog holds it (probes/steering.h).
struct SteeringVector {
  std::string hook;  // "blocks.12.hook_resid_post"
  int layer = 0;     // the hook's block
  std::vector<float> values;
  std::string model_hint;  // the model_type it was made on
  std::string name;        // for people: "Love − Hate", a file name
};

// The mean activation at `hook` over the `towards` prompts minus over the
// `away` prompts (each prompt its mean over positions, or its last position),
// tokenized as the prompt bar would. Off the GUI thread; Error naming the problem.
SteeringVector make_steering_vector_for_gui(const Model& model, const std::vector<std::string>& towards,
                                            const std::vector<std::string>& away, const std::string& hook,
                                            bool last_position_only, bool add_special_tokens,
                                            const Progress& progress);
// Every vector of a .gguf control vector or .safetensors file, checked against the model.
std::vector<SteeringVector> read_steering_vectors_for_gui(const ModelInfo& model, const std::string& path);
// By extension: .gguf (block outputs only) or .safetensors. Error naming the file.
void write_steering_vector_for_gui(const std::string& path, const SteeringVector& vector);

struct GenerateSettings {
  int max_new_tokens = 20;
  bool sample = false;  // false: greedy
  double temperature = 1.0, top_p = 1.0;
  uint64_t seed = 0;
};

struct Continuation {
  std::vector<int64_t> ids;  // without the prompt
  std::string text;          // decoded as it follows the prompt's text; empty for a model without a tokenizer
  bool stopped_at_eos = false;
};

struct Continuations {
  Continuation edited;  // under the active edits; empty when there are none
  Continuation unedited;
  bool has_edits = false;
};

// The prompt continued with `resolved` active (none: the unedited model only)
// and without it. Off the GUI thread; Error on bad settings or a prompt too long.
Continuations generate_for_gui(const Model& model, const std::vector<int64_t>& prompt,
                               const GenerateSettings& settings, const std::shared_ptr<const ResolvedEdits>& resolved,
                               const Progress& progress);

}  // namespace glassbox::gui
