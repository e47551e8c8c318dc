#pragma once
// The committed Hugging Face reference models, loaded on the test device, and
// their goldens (tests/reference/make_model_goldens.py).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/arch/family.h"
#include "core/json.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "test_util.h"

namespace glassbox::test {

inline std::unique_ptr<Model> load_on_test_device(const std::string& path) {
  LoadOptions options;
  options.device = device();
  return load_model(path, options);
}
inline std::unique_ptr<Model> reference_model(const std::string& name) { return load_on_test_device(model_dir(name)); }

struct Golden {
  std::string name, model_dir, family, weights_dtype;
  std::map<std::string, at::Tensor> tensors;  // input_ids, logits, hook names
  std::vector<int64_t> input_ids() const {
    at::Tensor t = tensors.at("input_ids").contiguous();
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
};

inline std::vector<Golden> load_goldens() {
  std::vector<Golden> out;
  for (const auto& entry : read_json_file(data("goldens/manifest.json"))) {
    Golden g;
    g.name = entry.at("name");
    g.model_dir = data(entry.at("model_dir"));
    g.family = entry.at("family");
    g.weights_dtype = entry.at("weights_dtype");
    Checkpoint file = Checkpoint::open_file(data(entry.at("golden")));
    for (const auto& n : file.names()) {
      const TensorRecord& r = file.get(n);
      if (r.dtype == DType::I64) {
        at::Tensor t = at::empty(r.shape, at::kLong);
        std::memcpy(t.data_ptr(), r.data, r.nbytes);
        g.tensors[n] = t;
      } else {
        g.tensors[n] = tensor_from_record(r).clone();
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

// max |a - b| / max |b|: the relative error the parity tests bound.
inline double relative_error(const at::Tensor& actual, const at::Tensor& expected) {
  at::Tensor a = actual.to(at::kCPU, at::kDouble), e = expected.to(at::kCPU, at::kDouble);
  // -inf (masked scores) must agree exactly; compare finite entries only.
  at::Tensor finite = at::isfinite(e);
  double scale = e.masked_select(finite).abs().max().item<double>();
  return (a - e).masked_select(finite).abs().max().item<double>() / std::max(scale, 1e-30);
}

// Runs the golden's input through `model`, capturing every hook, and expects
// the logits and every recorded hook within 1e-4 × max|value| of the golden.
struct GoldenComparison {
  int hooks = 0;       // hook points compared (besides the logits)
  double worst = 0;    // largest relative error seen
};
inline GoldenComparison compare_with_golden(const Model& model, const Golden& g) {
  RunOptions run;
  run.capture = NameFilter(".*");
  RunResult r = model.run(g.input_ids(), run);
  GoldenComparison c;
  c.worst = relative_error(r.logits, g.tensors.at("logits"));
  EXPECT_LE(c.worst, 1e-4) << g.name << " logits";
  for (const auto& [name, expected] : g.tensors) {
    if (name == "input_ids" || name.rfind("logits", 0) == 0) continue;
    if (!r.cache.has(name)) {
      ADD_FAILURE() << g.name << ": hook " << name << " was not captured";
      continue;
    }
    const at::Tensor& actual = r.cache.get(name);
    if (actual.sizes() != expected.sizes()) {
      ADD_FAILURE() << g.name << " " << name << ": shape " << actual.sizes() << ", golden " << expected.sizes();
      continue;
    }
    const double err = relative_error(actual, expected);
    EXPECT_LE(err, 1e-4) << g.name << " " << name;
    c.worst = std::max(c.worst, err);
    ++c.hooks;
  }
  EXPECT_GT(c.hooks, 10 * model.info().n_layers) << g.name;
  return c;
}

}  // namespace glassbox::test
