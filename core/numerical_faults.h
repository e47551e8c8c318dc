#pragma once
// NaN and Inf. In weights they are found at load (ModelInfo::nonfinite_weights).
// In activations, while a NumericalWatch is open, each forward pass checks its
// output once (the logits, or the residual stream of a partial pass); the first
// output holding NaN or Inf is replayed hook point by hook point to find where
// it appeared, so that a clean forward pass pays one reduction and no more.
// No torch here: the CLI and the GUI report what was found.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace glassbox {

struct NumericalFault {
  // The first hook point holding NaN or Inf ("blocks.3.hook_attn_out"). When the replay meets
  // none (the caller's own edits made them: it repeats only the active edits), the output they
  // were seen in: "logits", or the last block's hook_resid_post of a pass that stopped early.
  std::string hook;
  std::string kind;  // "NaN" or "Inf" (NaN when it holds both)
};

// Forward passes on this thread are checked while it lives; scopes nest, the innermost records.
class NumericalWatch {
 public:
  NumericalWatch();
  ~NumericalWatch();
  NumericalWatch(const NumericalWatch&) = delete;
  NumericalWatch& operator=(const NumericalWatch&) = delete;
  // The innermost open watch of this thread; null when none is open.
  static NumericalWatch* current();
  // The first fault seen, if any.
  const std::optional<NumericalFault>& fault() const { return fault_; }
  void record(NumericalFault fault);

 private:
  std::optional<NumericalFault> fault_;
  NumericalWatch* outer_;
};

// {"hook": ..., "kind": ...}: what results and summaries record as "numerical_fault".
nlohmann::json fault_json(const NumericalFault& fault);
// "NaN in the activations, first at blocks.3.hook_attn_out": the warning line's text.
std::string fault_message(const NumericalFault& fault);
// "<path>: tensor(s) A, B hold NaN/Inf", naming at most five and counting the rest.
std::string nonfinite_weights_message(const std::string& path, const std::vector<std::string>& tensors);

}  // namespace glassbox
