// Any byte string handed to the control-vector reader must either read as
// directions N >= 1 of one length (inside the model's blocks and of its
// width, when a model is given), or fail with Error.
#include "core/control_vector.h"
#include "tests/fuzz/fuzz_input.h"

using namespace glassbox;

namespace {

void check(const ControlVector& vector, const ModelInfo* model) {
  fuzz::require(!vector.directions.empty(), "a control vector has a direction");
  const size_t width = vector.directions.begin()->second.size();
  for (const auto& [layer, values] : vector.directions) {
    fuzz::require(layer >= 1, "directions are numbered from 1");
    fuzz::require(values.size() == width, "every direction has the first one's length");
    if (model) fuzz::require(layer < model->n_layers && values.size() == size_t(model->d_model), "directions fit the model");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch_file("input.gguf", fuzz::as_bytes(data, size));
  static const ModelInfo model = [] {
    ModelInfo m;
    m.n_layers = 4;
    m.d_model = 8;
    return m;
  }();
  for (const ModelInfo* against : {&model, static_cast<const ModelInfo*>(nullptr)}) {
    fuzz::parse_or_reject([&] { check(read_control_vector(path, against), against); });
  }
  return 0;
}
