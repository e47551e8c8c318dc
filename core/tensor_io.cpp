// Checkpoint records as at::Tensors, and the config readers families share.
#include <ATen/ATen.h>

#include <cmath>

#include "core/arch/family.h"
#include "core/error.h"

namespace glassbox {

namespace {

at::ScalarType scalar_type(const TensorRecord& r) {
  switch (r.dtype) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    default:
      fail(r.file ? r.file->path() : std::string("checkpoint"),
           "tensor '" + r.name + "' has dtype " + dtype_name(r.dtype) + "; weights must be F32, F16 or BF16");
  }
}

}  // namespace

at::Tensor tensor_from_record(const TensorRecord& r) {
  const at::ScalarType type = scalar_type(r);
  const auto options = at::TensorOptions().dtype(type);
  // Unaligned data (allowed by the format) is copied rather than viewed.
  if (reinterpret_cast<uintptr_t>(r.data) % dtype_size(r.dtype) != 0) {
    at::Tensor t = at::empty(r.shape, options);
    std::memcpy(t.data_ptr(), r.data, r.nbytes);
    return t;
  }
  auto keep = r.file;
  // The mapping is read-only: tensors over it are never written to.
  return at::from_blob(const_cast<std::byte*>(r.data), r.shape, [keep](void*) {}, options);
}

std::optional<std::string> nonfinite_kind(const at::Tensor& t) {
  if (t.numel() == 0) return std::nullopt;
  // LibTorch 1.13 has no half-precision aminmax on the CPU.
  const bool wide = t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble;
  const auto [min, max] = at::aminmax(wide ? t : t.to(at::kFloat));
  const double lo = min.item<double>(), hi = max.item<double>();
  if (std::isnan(lo) || std::isnan(hi)) return "NaN";
  if (std::isinf(lo) || std::isinf(hi)) return "Inf";
  return std::nullopt;
}

at::Tensor ModelFolder::weight(const std::string& name, const std::vector<int64_t>& shape) const {
  const auto check_shape = [&](const std::vector<int64_t>& actual, const std::string& file) {
    if (actual == shape) return;
    std::string want, got;
    for (auto d : shape) want += (want.empty() ? "" : ",") + std::to_string(d);
    for (auto d : actual) got += (got.empty() ? "" : ",") + std::to_string(d);
    fail(file, "tensor '" + name + "' has shape [" + got + "], but " + config_path + " implies [" + want + "]");
  };
  at::Tensor t;
  if (auto found = converted.find(name); found != converted.end()) {
    t = found->second;
    check_shape(t.sizes().vec(), dir);
  } else {
    // A GGUF model's tensors are all converted, and its checkpoint is empty: name the file.
    if (checkpoint.description().empty()) fail(dir, "no tensor named '" + name + "'");
    const TensorRecord& r = checkpoint.get(name);
    check_shape(r.shape, r.file ? r.file->path() : checkpoint.description());
    t = tensor_from_record(r);
  }
  if (t.scalar_type() == dtype && t.device() == device) return t;
  return t.to(device, dtype);
}

TransformerConfig::Act read_activation(const ModelFolder& f, const std::string& key, const std::string& fallback) {
  using Act = TransformerConfig::Act;
  const std::string name = f.string(key, fallback);
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Act::gelu_new;
  if (name == "gelu") return Act::gelu;
  if (name == "relu") return Act::relu;
  if (name == "silu" || name == "swish") return Act::silu;
  f.config_error(key + " '" + name + "' is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu, silu)");
}

void ModelFolder::config_error(const std::string& problem) const { fail(config_path, problem); }

}  // namespace glassbox
