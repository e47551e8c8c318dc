#include "probes/steering.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "core/control_vector.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "probes/common.h"

namespace glassbox::probes {

namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// The block of a per-layer hook name; Error naming `where` otherwise.
int hook_layer(const std::string& hook, const std::string& where) {
  Hook h;
  int layer = 0;
  if (!parse_hook_name(hook, &h, &layer)) fail(where, "unknown hook " + in_quotes(hook));
  if (!hook_is_per_layer(h)) fail(where, "hook " + in_quotes(hook) + " belongs to no block; steer a blocks.L hook");
  return layer;
}

std::string extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

[[noreturn]] void unknown_extension(const std::string& path) {
  fail(path, "steering vectors are .gguf (a llama.cpp control vector) or .safetensors files");
}

std::string direction_name(int layer) { return "direction." + std::to_string(layer); }

// [d_model] float64: each prompt's activation (last position or mean over
// positions), averaged over the prompts.
at::Tensor mean_activation(const Model& model, const std::string& hook, int layer,
                           const std::vector<std::vector<int64_t>>& prompts, bool last_position_only,
                           const std::string& which) {
  if (prompts.empty()) fail("steering", "no " + which + " prompts");
  std::string pattern;
  for (char c : hook) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
  const NameFilter capture(pattern);
  const std::vector<Edit> no_edits;
  at::Tensor sum;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) fail("steering", which + " prompt " + std::to_string(i + 1) + " has no tokens");
    ActivationCache cache;
    HookContext hooks(model.info().n_layers, &capture, no_edits, &cache);
    ForwardArgs args;
    args.tokens = at::tensor(prompts[i], at::kLong).unsqueeze(0).to(model.device());
    args.stop_layer = layer + 1;  // nothing after the hook's block can change it
    args.logits = false;
    args.hooks = &hooks;
    model.forward(args);
    const at::Tensor act = cache.get(hook)[0].to(at::kCPU, at::kDouble);  // [T, d_model]
    if (act.dim() != 2 || act.size(1) != model.info().d_model)
      fail("steering", "hook " + in_quotes(hook) + " is not of width d_model (" + std::to_string(model.info().d_model) +
                           "); steer a residual-stream hook such as hook_resid_pre");
    const at::Tensor per_prompt = last_position_only ? act[-1] : act.mean(0);
    sum = sum.defined() ? sum + per_prompt : per_prompt;
  }
  return sum / static_cast<double>(prompts.size());
}

// The llama.cpp layer a vector is written at: its block output.
int control_vector_layer(const SteeringVector& v, const std::string& path) {
  Hook h;
  int layer = 0;
  parse_hook_name(v.hook, &h, &layer);
  if (h != Hook::resid_post && h != Hook::resid_pre)
    fail(path, v.hook + ": a llama.cpp control vector holds block outputs only (hook_resid_post, or the next "
                        "block's hook_resid_pre); save it as .safetensors");
  const int n = h == Hook::resid_post ? layer : layer - 1;
  if (n < 1)
    fail(path, v.hook + ": llama.cpp cannot steer the embedding or block 0's output (its directions start at "
                        "blocks.1.hook_resid_post); save it as .safetensors");
  return n;
}

void save_control_vector(const std::string& path, const std::vector<SteeringVector>& vectors) {
  ControlVector cv;
  cv.model_hint = vectors.front().model_hint;
  for (const SteeringVector& v : vectors) {
    const int n = control_vector_layer(v, path);
    if (!cv.directions.emplace(n, v.values).second)
      fail(path, "two vectors on the output of block " + std::to_string(n) + " (" + direction_name(n) + ")");
  }
  write_control_vector(path, cv);
}

void save_safetensors(const std::string& path, const std::vector<SteeringVector>& vectors) {
  std::map<std::string, std::string> metadata{{"model_hint", vectors.front().model_hint}};
  std::vector<TensorToWrite> tensors;
  for (const SteeringVector& v : vectors) {
    const std::string name = direction_name(v.layer);
    if (!metadata.emplace(name + ".hook", v.hook).second)
      fail(path, "two vectors on block " + std::to_string(v.layer) + " (" + name + "); one per block");
    tensors.push_back({name, DType::F32, {static_cast<int64_t>(v.values.size())}, v.values.data(),
                       v.values.size() * sizeof(float)});
  }
  write_safetensors(path, tensors, metadata);
}

std::vector<SteeringVector> load_control_vector(const std::string& path, const ModelInfo* model) {
  const ControlVector cv = read_control_vector(path, model);
  std::vector<SteeringVector> out;
  for (const auto& [layer, values] : cv.directions)
    out.push_back({hook_name(Hook::resid_post, layer), layer, values, cv.model_hint});
  return out;
}

std::vector<SteeringVector> load_safetensors(const std::string& path, const ModelInfo* model) {
  auto file = SafetensorsFile::open(path);
  const auto& metadata = file->metadata();
  auto hint = metadata.find("model_hint");
  std::vector<SteeringVector> out;
  for (const auto& [name, record] : file->tensors()) {
    const std::string what = "tensor " + in_quotes(name);
    SteeringVector v;
    v.layer = direction_layer(name);
    if (v.layer < 0) fail(path, what + ": expected direction.L with a block L");
    auto hook = metadata.find(name + ".hook");
    if (hook == metadata.end()) fail(path, what + ": no metadata " + in_quotes(name + ".hook") + " naming its hook");
    v.hook = hook->second;
    if (hook_layer(v.hook, path) != v.layer)
      fail(path, what + ": its hook " + in_quotes(v.hook) + " is not on block " + std::to_string(v.layer));
    if (record.dtype != DType::F32 || record.shape.size() != 1)
      fail(path, what + ": expected a one-dimensional F32 tensor");
    v.values.resize(static_cast<size_t>(record.numel()));
    std::memcpy(v.values.data(), record.data, record.nbytes);
    if (!out.empty() && v.values.size() != out.front().values.size())
      fail(path, what + ": " + std::to_string(v.values.size()) + " values, but " +
                     direction_name(out.front().layer) + " has " + std::to_string(out.front().values.size()));
    if (model) {
      const auto& names = model->hook_names;
      if (std::find(names.begin(), names.end(), v.hook) == names.end())
        fail(path, what + ": the model has no hook " + in_quotes(v.hook));
      if (static_cast<int64_t>(v.values.size()) != model->d_model)
        fail(path, what + ": " + std::to_string(v.values.size()) + " values, the model's d_model is " +
                       std::to_string(model->d_model));
    }
    if (hint != metadata.end()) v.model_hint = hint->second;
    out.push_back(std::move(v));
  }
  if (out.empty()) fail(path, "no direction tensors");
  std::sort(out.begin(), out.end(), [](const SteeringVector& a, const SteeringVector& b) { return a.layer < b.layer; });
  return out;
}

}  // namespace

at::Tensor steering_vector(const Model& model, const std::string& hook,
                           const std::vector<std::vector<int64_t>>& positive,
                           const std::vector<std::vector<int64_t>>& negative, bool last_position_only) {
  as_transformer(model, "steering");
  const int layer = hook_layer(hook, "steering");
  const auto& names = model.info().hook_names;
  if (std::find(names.begin(), names.end(), hook) == names.end())
    fail("steering", "the model has no hook " + in_quotes(hook));
  c10::InferenceMode inference;
  const at::Tensor difference = mean_activation(model, hook, layer, positive, last_position_only, "positive") -
                                mean_activation(model, hook, layer, negative, last_position_only, "negative");
  return difference.to(at::kFloat);
}

double SteeringVector::norm() const {
  double sum = 0;
  for (float x : values) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

Edit SteeringVector::edit(double coefficient, std::vector<int64_t> positions) const {
  at::Tensor value = at::tensor(values, at::kFloat) * coefficient;
  return Edit::add(hook, std::move(positions), value);
}

SteeringVector make_steering_vector(const Model& model, const std::string& hook,
                                    const std::vector<std::vector<int64_t>>& positive,
                                    const std::vector<std::vector<int64_t>>& negative, bool last_position_only) {
  SteeringVector v;
  v.hook = hook;
  v.layer = hook_layer(hook, "steering");
  v.values = to_floats(steering_vector(model, hook, positive, negative, last_position_only));
  v.model_hint = model.info().model_type;
  return v;
}

void save_steering_vectors(const std::string& path, const std::vector<SteeringVector>& vectors) {
  const std::string ext = extension(path);
  if (ext != ".gguf" && ext != ".safetensors") unknown_extension(path);
  if (vectors.empty()) fail(path, "no steering vectors to save");
  for (const SteeringVector& v : vectors) {
    if (hook_layer(v.hook, path) != v.layer)
      fail(path, "vector at " + in_quotes(v.hook) + " says it is on block " + std::to_string(v.layer));
    if (v.values.empty() || v.values.size() != vectors.front().values.size())
      fail(path, "vector at " + in_quotes(v.hook) + " has " + std::to_string(v.values.size()) + " values, the first " +
                     std::to_string(vectors.front().values.size()) + " (vectors cannot be empty)");
  }
  if (ext == ".gguf") {
    save_control_vector(path, vectors);
  } else {
    save_safetensors(path, vectors);
  }
}

std::vector<SteeringVector> load_steering_vectors(const std::string& path, const ModelInfo* model) {
  const std::string ext = extension(path);
  if (ext == ".gguf") return load_control_vector(path, model);
  if (ext == ".safetensors") return load_safetensors(path, model);
  unknown_extension(path);
}

}  // namespace glassbox::probes
