#pragma once
// Hook points with TransformerLens's names, the activation cache, and edits
// (write hooks). A forward pass calls every hook point; with no capture and no
// edits the call is a null-pointer test.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/model_info.h"

namespace glassbox {

// Every hook point of every architecture. Names: hook_name().
enum class Hook : uint8_t {
  embed,            // hook_embed                          [T, d_model]
  pos_embed,        // hook_pos_embed                      [T, d_model]
  resid_pre,        // blocks.l.hook_resid_pre             [T, d_model]
  ln1_scale,        // blocks.l.ln1.hook_scale             [T, 1]
  ln1_normalized,   // blocks.l.ln1.hook_normalized        [T, d_model]
  q,                // blocks.l.attn.hook_q                [T, H, d_head]
  k,                // blocks.l.attn.hook_k                [T, H_kv, d_head]
  v,                // blocks.l.attn.hook_v                [T, H_kv, d_head]
  rot_q,            // blocks.l.attn.hook_rot_q            [T, H, d_head]
  rot_k,            // blocks.l.attn.hook_rot_k            [T, H_kv, d_head]
  attn_scores,      // blocks.l.attn.hook_attn_scores      [H, T, T] (masked: -inf)
  pattern,          // blocks.l.attn.hook_pattern          [H, T, T]
  z,                // blocks.l.attn.hook_z                [T, H, d_head]
  attn_out,         // blocks.l.hook_attn_out              [T, d_model]
  resid_mid,        // blocks.l.hook_resid_mid             [T, d_model]
  ln2_scale,        // blocks.l.ln2.hook_scale             [T, 1]
  ln2_normalized,   // blocks.l.ln2.hook_normalized        [T, d_model]
  mlp_pre,          // blocks.l.mlp.hook_pre               [T, d_mlp]
  mlp_pre_linear,   // blocks.l.mlp.hook_pre_linear        [T, d_mlp] (gated MLPs)
  mlp_post,         // blocks.l.mlp.hook_post              [T, d_mlp]
  mlp_out,          // blocks.l.hook_mlp_out               [T, d_model]
  resid_post,       // blocks.l.hook_resid_post            [T, d_model]
  ln_final_scale,   // ln_final.hook_scale                 [T, 1]
  ln_final_normalized,  // ln_final.hook_normalized        [T, d_model]
  hidden_pre,       // hook_hidden_pre (toy MLP)           [N]
  hidden_post,      // hook_hidden_post (toy MLP)          [N]
  count
};

bool hook_is_per_layer(Hook h);
// "blocks.3.attn.hook_z"; layer is ignored for global hooks.
std::string hook_name(Hook h, int layer);
// Parses a name back; returns false if it names no hook.
bool parse_hook_name(const std::string& name, Hook* h, int* layer);

// Selects hook names by a regular expression that must match the whole name.
class NameFilter {
 public:
  NameFilter() = default;  // matches everything
  explicit NameFilter(const std::string& regex);  // throws Error on a bad regex
  bool matches(const std::string& name) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<std::regex> re_;
};

// The shape (batch dropped) of what hook point h holds for T tokens of a model like `info`.
std::vector<int64_t> hook_shape(Hook h, const ModelInfo& info, int64_t T);

// What capturing every hook point of `info.hook_names` that `filter` matches holds
// for T tokens, before anything runs: so that a capture too large is refused
// instead of exhausting memory.
struct CaptureEstimate {
  int64_t bytes = 0;          // all captured activations together
  int64_t largest_bytes = 0;  // the largest single one: what streaming to a file holds at once
  int64_t hook_points = 0;
};
CaptureEstimate estimate_capture(const ModelInfo& info, const NameFilter& filter, int64_t T,
                                 int64_t bytes_per_value);

// A write hook. Tensors seen by edits have the batch dimension first
// ([B, T, ...], or [B, H, T, T] for attention scores/patterns).
struct Edit {
  enum class Op { replace, add, zero, scale, custom };
  std::string hook;
  Op op = Op::zero;
  // Token positions (query positions for scores/patterns); empty = all;
  // negative counts from the end of the sequence.
  std::vector<int64_t> positions;
  // Heads (q/k/v/z/rot/scores/pattern) or neurons (mlp pre/post, hidden);
  // empty = all.
  std::vector<int64_t> indices;
  at::Tensor value;     // replace/add: broadcastable to the selected slice
  double factor = 1.0;  // scale
  std::function<at::Tensor(const at::Tensor&)> fn;  // custom: returns the new activation

  static Edit replace(std::string hook, std::vector<int64_t> positions, at::Tensor value,
                      std::vector<int64_t> indices = {});
  static Edit add(std::string hook, std::vector<int64_t> positions, at::Tensor value,
                  std::vector<int64_t> indices = {});
  static Edit zero(std::string hook, std::vector<int64_t> positions = {},
                   std::vector<int64_t> indices = {});
  static Edit scale(std::string hook, double factor, std::vector<int64_t> positions = {},
                    std::vector<int64_t> indices = {});
  static Edit custom(std::string hook, std::function<at::Tensor(const at::Tensor&)> fn);
};

// Captured activations by hook name, in the order the forward pass made them.
// A streaming cache hands each one to its sink as it is made and keeps only
// the names, so that a capture larger than memory can go straight to a file.
class ActivationCache {
 public:
  using Sink = std::function<void(const std::string& name, const at::Tensor& t)>;
  ActivationCache() = default;
  explicit ActivationCache(Sink sink) : sink_(std::move(sink)) {}
  void put(const std::string& name, at::Tensor t);
  bool has(const std::string& name) const;
  const at::Tensor& get(const std::string& name) const;  // throws Error if absent
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::map<std::string, at::Tensor> tensors_;
  Sink sink_;
};

// The hooks of one forward pass. Built from a capture filter and edits once per
// run; the per-call check is a table lookup.
class HookContext {
 public:
  HookContext(int n_layers, const NameFilter* capture, const std::vector<Edit>& edits,
              ActivationCache* cache);
  // Shows `observer` every hook point in the order the forward pass reaches them. All are
  // wanted (the norms take their hooked path) but the attention scores and pattern, whose
  // [B, H, T, T] squares a batched pass may not hold; hook_z shows what they led to.
  using Observer = std::function<void(Hook h, int layer, const at::Tensor& x)>;
  HookContext(int n_layers, Observer observer);
  // Captures and/or edits `x` (batch first). `seq_offset` is the absolute
  // position of x's first token (non-zero when decoding with a KV cache).
  at::Tensor operator()(Hook h, int layer, at::Tensor x, int64_t seq_offset = 0);
  // Captured activations are moved to `device` (a model split across devices keeps them together).
  void capture_to(c10::Device device) { capture_device_ = device; }
  bool wants(Hook h, int layer) const { return flags_[slot(h, layer)] != 0 || (next_ && next_->wants(h, layer)); }
  // Hands each activation on to `next` after this context's edits (the active
  // edits run first, then the caller's own hooks see and may change the result).
  void then(HookContext* next) { next_ = next; }

 private:
  size_t slot(Hook h, int layer) const;
  int n_layers_;
  std::vector<uint8_t> flags_;  // bit 0: capture, bit 1: edited, bit 2: observed
  std::vector<std::vector<const Edit*>> edits_;
  ActivationCache* cache_;
  Observer observer_;
  HookContext* next_ = nullptr;
  std::optional<c10::Device> capture_device_;
};

// Edits every forward pass on this thread applies while the scope lives: the
// active edits of the GUI's chips and of the CLI's --edits. Analyses run under
// them unchanged. Scopes nest; an empty scope runs the unedited model.
class ActiveEdits {
 public:
  explicit ActiveEdits(std::vector<Edit> edits);
  ~ActiveEdits();
  ActiveEdits(const ActiveEdits&) = delete;
  ActiveEdits& operator=(const ActiveEdits&) = delete;
  // The innermost scope's edits; null outside every scope.
  static const std::vector<Edit>* current();

 private:
  std::vector<Edit> edits_;
  const std::vector<Edit>* outer_;
};

// Applies a hook if there is a context: the form used inside forward passes.
inline at::Tensor hook(HookContext* ctx, Hook h, int layer, at::Tensor x, int64_t seq_offset = 0) {
  return ctx ? (*ctx)(h, layer, std::move(x), seq_offset) : x;
}
inline bool hook_wanted(const HookContext* ctx, Hook h, int layer) {
  return ctx && ctx->wants(h, layer);
}

}  // namespace glassbox
