#pragma once
// The committed Hugging Face reference models, loaded on the test device, and
// their goldens (tests/reference/make_model_goldens.py).
#include <ATen/ATen.h>

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

}  // namespace glassbox::test
