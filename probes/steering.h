#pragma once
// Steering vectors (docs/methods.md#steering): the mean activation at a hook
// over prompts that show a behaviour minus over prompts that do not
// ("activation addition" by mean difference; one pair of prompts is the
// special case of one prompt each), added back at that hook with a
// coefficient. Saved as llama.cpp control vectors (.gguf) or as safetensors.
//
// Typical use (a GUI dialog: two prompt lists in, a file out):
//   SteeringVector v = make_steering_vector(model, "blocks.6.hook_resid_pre", positive, negative, true);
//   save_steering_vectors("honest.gguf", {v});
//   for (const SteeringVector& s : load_steering_vectors("honest.gguf", &model.info())) edits.push_back(s.edit(4.0));
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/hooks.h"
#include "core/model.h"

namespace glassbox::probes {

// Mean activation at `hook` over the positive prompts minus over the negative
// ones: [d_model] float32 on the CPU. Per prompt, the activation at its last
// position (last_position_only) or its mean over all positions; every prompt
// then counts once, whatever its length. `hook` is a block's hook of width
// d_model (blocks.L.hook_resid_pre, hook_resid_mid, hook_resid_post,
// hook_attn_out, hook_mlp_out, ...). Error for a hook the model lacks, an
// empty list or an empty prompt.
at::Tensor steering_vector(const Model& model, const std::string& hook,
                           const std::vector<std::vector<int64_t>>& positive,
                           const std::vector<std::vector<int64_t>>& negative, bool last_position_only);

struct SteeringVector {
  std::string hook;           // e.g. "blocks.6.hook_resid_pre"
  int layer = 0;              // the hook's block
  std::vector<float> values;  // d_model
  std::string model_hint;     // the model's model_type when made ("llama"); informational

  double norm() const;  // Euclidean
  // Edit::add(hook, positions, coefficient * values): positions empty = every
  // position (as llama.cpp applies a control vector), negative from the end.
  Edit edit(double coefficient, std::vector<int64_t> positions = {}) const;
};

// steering_vector() with the hook, its layer and the model's model_type.
SteeringVector make_steering_vector(const Model& model, const std::string& hook,
                                    const std::vector<std::vector<int64_t>>& positive,
                                    const std::vector<std::vector<int64_t>>& negative, bool last_position_only);

// Saves by extension:
//  .gguf: a llama.cpp control vector. It holds block outputs only, direction.N
//    = blocks.N.hook_resid_post (N >= 1); a vector at blocks.L.hook_resid_pre
//    (L >= 2) is the same activation and is written as direction.L-1. Other
//    hooks, or two vectors on one block output: Error (use .safetensors).
//  .safetensors: F32 tensors direction.L (L = the vector's layer) with
//    metadata model_hint and direction.L.hook = the hook name; any hook.
// Vectors must share one length. Atomic (temporary file, then rename).
void save_steering_vectors(const std::string& path, const std::vector<SteeringVector>& vectors);

// Loads a file of either kind: one SteeringVector per direction, by layer (a
// control vector's direction.N comes back at blocks.N.hook_resid_post). With a
// model, every layer must be one of its blocks and every length its d_model.
// Error names the file and the problem.
std::vector<SteeringVector> load_steering_vectors(const std::string& path, const ModelInfo* model = nullptr);

}  // namespace glassbox::probes
