#include "core/numerical_faults.h"

namespace glassbox {

namespace {
thread_local NumericalWatch* innermost_watch = nullptr;
constexpr size_t kNamedTensors = 5;
}  // namespace

NumericalWatch::NumericalWatch() : outer_(innermost_watch) { innermost_watch = this; }

NumericalWatch::~NumericalWatch() { innermost_watch = outer_; }

NumericalWatch* NumericalWatch::current() { return innermost_watch; }

void NumericalWatch::record(NumericalFault fault) {
  if (!fault_) fault_ = std::move(fault);
}

nlohmann::json fault_json(const NumericalFault& fault) { return {{"hook", fault.hook}, {"kind", fault.kind}}; }

std::string fault_message(const NumericalFault& fault) {
  return fault.kind + " in the activations, first at " + fault.hook;
}

std::string nonfinite_weights_message(const std::string& path, const std::vector<std::string>& tensors) {
  std::string names;
  for (size_t i = 0; i < tensors.size() && i < kNamedTensors; ++i) names += (i ? ", " : "") + tensors[i];
  if (tensors.size() > kNamedTensors) names += " and " + std::to_string(tensors.size() - kNamedTensors) + " more";
  return path + ": " + (tensors.size() == 1 ? "tensor " + names + " holds" : "tensors " + names + " hold") +
         " NaN/Inf";
}

}  // namespace glassbox
