#pragma once
// The active edits as data (docs/methods.md#active-edits): ablations of heads
// and neurons (zero; mean over prompts; resample from a corrupted prompt) and
// steering vectors added at a hook. This is what the GUI's chips show, what
// `--edits F.json` holds and what sessions and exports record; probes/edits.h
// turns a list of them into core Edits for a model. No torch here.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "probes/params.h"

namespace glassbox::probes {

struct EditSpec {
  enum class Kind { zero, mean, resample, steer };
  Kind kind = Kind::zero;
  bool enabled = true;

  // Ablations: heads (their hook_z) and MLP neurons (their mlp.hook_post).
  std::vector<HeadRef> heads;
  std::vector<NeuronRef> neurons;
  // mean: the prompts whose activations are averaged (every position);
  // resample: the one prompt whose activations replace the run's, position by position.
  std::vector<std::vector<int64_t>> source_tokens;
  std::string source;  // where they came from, for people: "ioi.csv", the corrupted prompt's text

  // Steering: coefficient × vector added to `hook` at `positions` (empty: all;
  // negative counts from the end).
  std::string hook;
  std::vector<float> vector;
  double coefficient = 1.0;
  std::vector<int64_t> positions;
  std::string name;  // where the vector came from: a file name, "love − hate"

  // The chip's text: "zero L17H4", "mean L3H1 +2", "resample L9N120", "steer L12 ×4".
  std::string label() const;
};

std::string kind_name(EditSpec::Kind kind);  // "zero", "mean", "resample", "steer"

// The list as JSON, and back. Reading validates: known kinds and fields, the
// fields each kind needs, the types; Error(`where`, ...) naming the edit.
nlohmann::json edits_to_json(const std::vector<EditSpec>& edits);
std::vector<EditSpec> edits_from_json(const nlohmann::json& json, const std::string& where);
std::vector<EditSpec> read_edits_file(const std::string& path);
// The enabled edits only: what a run records.
std::vector<EditSpec> enabled_edits(const std::vector<EditSpec>& edits);

}  // namespace glassbox::probes
