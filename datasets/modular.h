#pragma once
// Modular arithmetic (a op b) mod p over all p² pairs, split into train and
// test, with a fraction of the training labels corrupted (docs/methods.md, Doshi
// et al.). The split and the corruption follow from the spec alone, so a probe
// can rebuild them from a model folder's config.json.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "core/json.h"

namespace glassbox::datasets {

enum class ModularOp { add, sub, mul };

const char* modular_op_name(ModularOp op);                                 // "add", "sub", "mul"
ModularOp parse_modular_op(const std::string& name, const std::string& where);  // throws Error
int64_t apply_modular_op(ModularOp op, int64_t a, int64_t b, int64_t p);

struct ModularSpec {
  int64_t p = 97;
  ModularOp op = ModularOp::add;
  double train_frac = 0.5;
  double corrupt = 0.0;  // ξ: fraction of training labels replaced by Uniform{0..p-1}
  uint64_t seed = 0;

  // Throws Error "<where>: <problem>" for a value outside its range.
  void validate(const std::string& where) const;
  int64_t n_train() const;      // ⌊train_frac · p²⌋
  int64_t n_corrupted() const;  // ⌊corrupt · n_train⌋
};

// As stored in a model folder's config.json under "dataset".
nlohmann::json to_json(const ModularSpec& spec);
ModularSpec modular_spec_from_json(const nlohmann::json& dataset, const std::string& file);
// The spec a toy MLP folder was trained on (config.json's "dataset"); Error
// naming the file if it has none or it is not a modular task.
ModularSpec modular_spec_from_model_dir(const std::string& dir);

// Every pair (a, b), row a·p + b. Masks are bool; labels int64.
struct ModularData {
  ModularSpec spec;
  at::Tensor pairs;        // [p², 2]
  at::Tensor true_labels;  // [p²]: (a op b) mod p
  at::Tensor labels;       // [p²]: what training sees (corrupted where `corrupted`)
  at::Tensor train;        // [p²]: in the training split
  at::Tensor corrupted;    // [p²]: a training example whose label was replaced
                           // (the replacement may equal the true label by chance)
};

// The pairs are ordered by a seeded permutation; its first n_train are the
// training split and the first n_corrupted of those get a random label.
ModularData make_modular(const ModularSpec& spec);

}  // namespace glassbox::datasets
