#pragma once
// The registry of analyses. Each analysis is declared once, next to its probe:
// its id (the CLI command `glassbox-cli probe ID`, the `probe` attribute of
// exports and the key of sessions), title, description, parameters, what it
// needs and how it runs. The CLI builds its flags, --help and validation from
// the declaration, the GUI its tab and parameters panel. No Qt, no torch here.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model_info.h"
#include "core/numerical_faults.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/edit_spec.h"
#include "probes/params.h"
#include "probes/shard.h"

namespace glassbox::probes {

enum class Need { none, optional, required };

// What a data set file holds: two-hop queries (datasets/two_hop_csv.h) or
// clean/corrupted prompt pairs with their answers (datasets/prompt_pairs_csv.h).
enum class DatasetKind { two_hop, prompt_pairs };

struct Needs {
  Need prompt = Need::required;
  Need dataset = Need::none;  // a data set file of dataset_kind
  DatasetKind dataset_kind = DatasetKind::two_hop;
  bool transformer = true;    // false: the modular-arithmetic toy MLP
};

// What an analysis runs on besides its parameters.
struct AnalysisInputs {
  std::vector<int64_t> tokens;      // the prompt; empty when none was given
  bool add_special_tokens = false;  // how the prompt (and data set rows) were tokenized
  std::string dataset;              // path of the data set; empty when none
  Shard shard;                      // the data set's rows it runs on: all by default
  std::vector<EditSpec> edits;      // the active edits it runs under (enabled ones; probes/edits.h applies them)
};

struct AnalysisOutput {
  std::vector<Plot> plots;
  nlohmann::json summary = nlohmann::json::object();  // the CLI prints it; a few headline numbers
  // The first NaN or Inf its forward passes met (run_with_edits watches them), if any.
  std::optional<NumericalFault> numerical_fault = std::nullopt;
};

struct Analysis {
  std::string id;           // one spelling everywhere: "logit-lens"
  std::string title;        // "Logit lens"
  std::string description;  // one line
  Needs needs;
  bool live = false;  // cheap enough for the GUI to rerun on every prompt or parameter change
  // Parameters, with ranges from the model (layers, heads, context).
  std::function<std::vector<ParamSpec>(const ModelInfo&)> params;
  std::function<AnalysisOutput(const Model&, const AnalysisInputs&, const ParamValues&, const Progress&)> run;
  // Analyses that take a data set, so that a run splits into shards that merge
  // exactly: each row's results (of the rows of inputs.shard), and the output
  // made from them. Given a data set, `run` is from_rows(dataset_rows(...)).
  std::function<RowResults(const Model&, const AnalysisInputs&, const ParamValues&, const Progress&)> dataset_rows;
  std::function<AnalysisOutput(const RowResults&, const ParamValues&)> from_rows;
  // The hook points (a regular expression over hook names) its forward pass on the prompt
  // keeps, so that their size is shown and checked against the memory budget before it
  // runs; empty when it keeps none worth counting.
  std::function<std::string(const ModelInfo&, const ParamValues&)> captures;
};

// Bytes of activations `analysis` keeps for a prompt of T tokens (its `captures`, float32)
// plus the logits of that prompt: what it holds beyond the model, estimated before it runs.
int64_t analysis_memory_bytes(const Analysis& analysis, const ModelInfo& info, const ParamValues& values, int64_t T);

// Every analysis, in the order the GUI shows them (probes/registry.cpp).
const std::vector<Analysis>& analyses();
const Analysis* find_analysis(const std::string& id);
// Whether the analysis can run on such a model.
bool applies(const Analysis& analysis, const ModelInfo& info);
// What a data set file of this kind is, for help texts: "a prompt-pair CSV (columns …)".
std::string dataset_description(DatasetKind kind);
// Whether a run needs a prompt: when it requires one, unless it takes an
// optional data set and is given one (the data set's rows are its prompts).
bool needs_prompt(const Analysis& analysis, bool with_dataset);
// Checks the inputs against the analysis' needs; Error naming what is missing.
void check_inputs(const Analysis& analysis, const AnalysisInputs& inputs, const std::string& where);
// The params_json that exports record: the parameter values and the inputs
// (with "edits" when the run had active edits).
std::string params_json(const AnalysisInputs& inputs, const ParamValues& values);

}  // namespace glassbox::probes
