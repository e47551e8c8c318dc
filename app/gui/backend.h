#pragma once
// The boundary between the GUI and the model backend: loading a model,
// tokenizing prompts and running registered analyses. The GUI's other files
// see no tensors.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model_info.h"
#include "core/session.h"
#include "probes/registry.h"

namespace glassbox {
class Model;
}

namespace glassbox::gui {

struct LoadedModel {
  std::shared_ptr<const Model> model;  // shared with running jobs
  ModelInfo info;
  std::string dir, device, dtype;
  bool has_tokenizer = false;
  SessionModel described;  // with the weights' SHA-256, for sessions
};

// A tokenized prompt: ids as the model sees them, their display strings, and
// which ones the template added (BOS/EOS).
struct Prompt {
  std::string text;
  bool add_special_tokens = false;
  std::vector<int64_t> ids;
  std::vector<std::string> strings;  // decoded pieces
  std::vector<std::string> labels;   // readable forms for chips and axes ("␣the")
  std::vector<bool> special;
};

// Throws glassbox::Error naming the file and the problem. Hashes the weights files.
LoadedModel load_model_for_gui(const std::string& dir, const std::string& device, const std::string& dtype);
// Like HF encode(text, add_special_tokens). A model without a tokenizer takes
// token ids ("0, 17, 42"). Throws Error on ids it cannot read.
Prompt tokenize_prompt(const Model& model, const std::string& text, bool add_special_tokens);

// A prompt as sessions store it, and back (a saved prompt shown without a model).
SessionPrompt session_prompt(const Prompt& prompt);
Prompt prompt_from_session(const SessionPrompt& saved);

// The active edits turned into the model's hooks once (a mean ablation runs
// its prompts here, not on every analysis run). Opaque: no tensors in the GUI.
struct ResolvedEdits;
// Throws glassbox::Error naming the edit and the problem.
std::shared_ptr<const ResolvedEdits> resolve_edits_for_gui(const Model& model,
                                                           const std::vector<probes::EditSpec>& edits,
                                                           const Progress& progress);

// One run of a registered analysis, as the GUI asks for it.
struct AnalysisRequest {
  const probes::Analysis* analysis = nullptr;
  Prompt prompt;
  std::string dataset;
  probes::ParamInputs inputs;  // what the parameters panel holds
  // The active edits (enabled ones) and their resolved form; the run records `edits`.
  std::vector<probes::EditSpec> edits;
  std::shared_ptr<const ResolvedEdits> resolved;
};

struct AnalysisRun {
  std::vector<Plot> plots;
  PlotMeta meta;
  std::optional<NumericalFault> numerical_fault;  // the first NaN or Inf its forward passes met
};

// Parses the parameters as the CLI does and runs the analysis (off the GUI thread).
AnalysisRun run_analysis(const Model& model, const std::string& model_dir, const AnalysisRequest& request,
                         const Progress& progress);
// The inputs a run gets from the window: the prompt unless the analysis takes none.
probes::AnalysisInputs analysis_inputs(const probes::Analysis& analysis, const Prompt& prompt,
                                       const std::string& dataset);
bool cuda_available();
// "2.5.1" of the LibTorch the app is linked with.
std::string libtorch_version();

}  // namespace glassbox::gui
