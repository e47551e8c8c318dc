#include "core/hooks.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace glassbox {

namespace {

// What a captured activation's dimensions are, besides the batch.
enum class Shape : uint8_t {
  stream,     // [T, d_model]
  scale,      // [T, 1]
  heads,      // [T, H, d_head]
  kv_heads,   // [T, H_kv, d_head]
  scores,     // [H, T, T]
  neurons,    // [T, d_mlp]
  hidden,     // [N] (toy MLP: N = d_mlp)
};

struct HookSpec {
  Hook hook;
  const char* suffix;  // after "blocks.{l}." for per-layer hooks
  bool per_layer;
  int index_dim;  // dimension (batch first) that Edit::indices select; -1: none
  int pos_dim;    // dimension of token positions
  Shape shape;
};

// Batch-first shapes: [B,T,D] for streams, [B,T,H,dh] for heads, [B,H,T,T] for
// scores/patterns, [B,N] for the toy MLP's hidden units.
constexpr HookSpec kHooks[] = {
    {Hook::embed, "hook_embed", false, -1, 1, Shape::stream},
    {Hook::pos_embed, "hook_pos_embed", false, -1, 1, Shape::stream},
    {Hook::resid_pre, "hook_resid_pre", true, -1, 1, Shape::stream},
    {Hook::ln1_scale, "ln1.hook_scale", true, -1, 1, Shape::scale},
    {Hook::ln1_normalized, "ln1.hook_normalized", true, -1, 1, Shape::stream},
    {Hook::q, "attn.hook_q", true, 2, 1, Shape::heads},
    {Hook::k, "attn.hook_k", true, 2, 1, Shape::kv_heads},
    {Hook::v, "attn.hook_v", true, 2, 1, Shape::kv_heads},
    {Hook::rot_q, "attn.hook_rot_q", true, 2, 1, Shape::heads},
    {Hook::rot_k, "attn.hook_rot_k", true, 2, 1, Shape::kv_heads},
    {Hook::attn_scores, "attn.hook_attn_scores", true, 1, 2, Shape::scores},
    {Hook::pattern, "attn.hook_pattern", true, 1, 2, Shape::scores},
    {Hook::z, "attn.hook_z", true, 2, 1, Shape::heads},
    {Hook::attn_out, "hook_attn_out", true, -1, 1, Shape::stream},
    {Hook::resid_mid, "hook_resid_mid", true, -1, 1, Shape::stream},
    {Hook::ln2_scale, "ln2.hook_scale", true, -1, 1, Shape::scale},
    {Hook::ln2_normalized, "ln2.hook_normalized", true, -1, 1, Shape::stream},
    {Hook::mlp_pre, "mlp.hook_pre", true, 2, 1, Shape::neurons},
    {Hook::mlp_pre_linear, "mlp.hook_pre_linear", true, 2, 1, Shape::neurons},
    {Hook::mlp_post, "mlp.hook_post", true, 2, 1, Shape::neurons},
    {Hook::mlp_out, "hook_mlp_out", true, -1, 1, Shape::stream},
    {Hook::resid_post, "hook_resid_post", true, -1, 1, Shape::stream},
    {Hook::ln_final_scale, "ln_final.hook_scale", false, -1, 1, Shape::scale},
    {Hook::ln_final_normalized, "ln_final.hook_normalized", false, -1, 1, Shape::stream},
    {Hook::hidden_pre, "hook_hidden_pre", false, 1, -1, Shape::hidden},
    {Hook::hidden_post, "hook_hidden_post", false, 1, -1, Shape::hidden},
};
static_assert(sizeof(kHooks) / sizeof(kHooks[0]) == static_cast<size_t>(Hook::count));

const HookSpec& spec(Hook h) { return kHooks[static_cast<size_t>(h)]; }

}  // namespace

bool hook_is_per_layer(Hook h) { return spec(h).per_layer; }

std::vector<int64_t> hook_shape(Hook h, const ModelInfo& info, int64_t T) {
  switch (spec(h).shape) {
    case Shape::stream: return {T, info.d_model};
    case Shape::scale: return {T, 1};
    case Shape::heads: return {T, info.n_heads, info.d_head};
    case Shape::kv_heads: return {T, info.n_kv_heads, info.d_head};
    case Shape::scores: return {info.n_heads, T, T};
    case Shape::neurons: return {T, info.d_mlp};
    case Shape::hidden: return {info.d_mlp};
  }
  return {};
}

CaptureEstimate estimate_capture(const ModelInfo& info, const NameFilter& filter, int64_t T,
                                 int64_t bytes_per_value) {
  CaptureEstimate estimate;
  for (const std::string& name : info.hook_names) {
    Hook h;
    int layer;
    if (!filter.matches(name) || !parse_hook_name(name, &h, &layer)) continue;
    int64_t bytes = bytes_per_value;
    for (int64_t d : hook_shape(h, info, T)) bytes *= d;
    estimate.bytes += bytes;
    estimate.largest_bytes = std::max(estimate.largest_bytes, bytes);
    ++estimate.hook_points;
  }
  return estimate;
}

std::string hook_name(Hook h, int layer) {
  const HookSpec& s = spec(h);
  if (!s.per_layer) return s.suffix;
  return "blocks." + std::to_string(layer) + "." + s.suffix;
}

bool parse_hook_name(const std::string& name, Hook* h, int* layer) {
  int l = 0;
  std::string suffix = name;
  if (name.rfind("blocks.", 0) == 0) {
    size_t dot = name.find('.', 7);
    if (dot == std::string::npos || dot == 7) return false;
    for (size_t i = 7; i < dot; ++i) {
      if (name[i] < '0' || name[i] > '9') return false;
    }
    l = std::stoi(name.substr(7, dot - 7));
    suffix = name.substr(dot + 1);
  }
  bool blocks = name.rfind("blocks.", 0) == 0;
  for (const HookSpec& s : kHooks) {
    if (s.per_layer == blocks && suffix == s.suffix) {
      *h = s.hook;
      *layer = l;
      return true;
    }
  }
  return false;
}

NameFilter::NameFilter(const std::string& regex) : pattern_(regex) {
  try {
    re_ = std::make_shared<std::regex>(regex, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    fail("hook filter", "'" + regex + "' is not a valid regular expression (" + e.what() + ")");
  }
}

bool NameFilter::matches(const std::string& name) const { return !re_ || std::regex_match(name, *re_); }

Edit Edit::replace(std::string hook, std::vector<int64_t> positions, at::Tensor value,
                   std::vector<int64_t> indices) {
  Edit e;
  e.hook = std::move(hook);
  e.op = Op::replace;
  e.positions = std::move(positions);
  e.indices = std::move(indices);
  e.value = std::move(value);
  return e;
}

Edit Edit::add(std::string hook, std::vector<int64_t> positions, at::Tensor value, std::vector<int64_t> indices) {
  Edit e = replace(std::move(hook), std::move(positions), std::move(value), std::move(indices));
  e.op = Op::add;
  return e;
}

Edit Edit::zero(std::string hook, std::vector<int64_t> positions, std::vector<int64_t> indices) {
  Edit e;
  e.hook = std::move(hook);
  e.op = Op::zero;
  e.positions = std::move(positions);
  e.indices = std::move(indices);
  return e;
}

Edit Edit::scale(std::string hook, double factor, std::vector<int64_t> positions, std::vector<int64_t> indices) {
  Edit e = zero(std::move(hook), std::move(positions), std::move(indices));
  e.op = Op::scale;
  e.factor = factor;
  return e;
}

Edit Edit::custom(std::string hook, std::function<at::Tensor(const at::Tensor&)> fn) {
  Edit e;
  e.hook = std::move(hook);
  e.op = Op::custom;
  e.fn = std::move(fn);
  return e;
}

void ActivationCache::put(const std::string& name, at::Tensor t) {
  if (sink_) {
    names_.push_back(name);
    sink_(name, t);
    return;
  }
  if (!tensors_.count(name)) names_.push_back(name);
  tensors_[name] = std::move(t);
}

bool ActivationCache::has(const std::string& name) const { return tensors_.count(name) > 0; }

const at::Tensor& ActivationCache::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail("activation cache", "no activation '" + name + "' was captured");
  return it->second;
}

HookContext::HookContext(int n_layers, const NameFilter* capture, const std::vector<Edit>& edits,
                         ActivationCache* cache)
    : n_layers_(n_layers),
      flags_(static_cast<size_t>(Hook::count) * (n_layers + 1), 0),
      edits_(flags_.size()),
      cache_(cache) {
  for (size_t i = 0; i < static_cast<size_t>(Hook::count); ++i) {
    Hook h = static_cast<Hook>(i);
    int layers = hook_is_per_layer(h) ? n_layers : 1;
    for (int l = 0; l < layers; ++l) {
      if (capture && cache && capture->matches(hook_name(h, l))) flags_[slot(h, l)] |= 1;
    }
  }
  for (const Edit& e : edits) {
    Hook h;
    int l;
    if (!parse_hook_name(e.hook, &h, &l) || (hook_is_per_layer(h) && l >= n_layers)) {
      fail("edit", "'" + e.hook + "' is not a hook point of this model");
    }
    if ((e.op == Edit::Op::replace || e.op == Edit::Op::add) && !e.value.defined()) {
      fail("edit", e.hook + ": replace/add needs a value");
    }
    if (e.op == Edit::Op::custom && !e.fn) fail("edit", e.hook + ": custom edit needs a function");
    if (!e.indices.empty() && spec(h).index_dim < 0) {
      fail("edit", e.hook + " has no heads or neurons to select");
    }
    flags_[slot(h, l)] |= 2;
    edits_[slot(h, l)].push_back(&e);
  }
}

HookContext::HookContext(int n_layers, Observer observer)
    : n_layers_(n_layers),
      flags_(static_cast<size_t>(Hook::count) * (n_layers + 1), 4),
      edits_(flags_.size()),
      cache_(nullptr),
      observer_(std::move(observer)) {
  for (Hook unwanted : {Hook::attn_scores, Hook::pattern})
    for (int l = 0; l < n_layers; ++l) flags_[slot(unwanted, l)] = 0;
}

size_t HookContext::slot(Hook h, int layer) const {
  return static_cast<size_t>(h) * (n_layers_ + 1) + (hook_is_per_layer(h) ? layer : n_layers_);
}

namespace {

// Index tensor for positions given relative to the sequence, inside a chunk
// that starts at absolute position `offset` and has `length` positions.
// Positions outside the chunk are dropped (they were handled by an earlier
// chunk when decoding incrementally).
std::vector<int64_t> local_positions(const std::vector<int64_t>& positions, int64_t offset, int64_t length,
                                     const std::string& hook) {
  std::vector<int64_t> local;
  int64_t total = offset + length;
  for (int64_t p : positions) {
    int64_t abs = p < 0 ? total + p : p;
    if (abs < 0 || abs >= total) {
      fail("edit", hook + ": position " + std::to_string(p) + " is outside the sequence of " +
                       std::to_string(total) + " tokens");
    }
    if (abs >= offset) local.push_back(abs - offset);
  }
  return local;
}

at::Tensor apply_edit(const Edit& e, const HookSpec& s, at::Tensor x, int64_t offset) {
  if (e.op == Edit::Op::custom) return e.fn(x);
  // Select the edited region as a view: positions along pos_dim, indices along index_dim.
  at::Tensor out = x.clone();
  at::Tensor region = out;
  if (!e.positions.empty() && s.pos_dim >= 0) {
    auto local = local_positions(e.positions, offset, x.size(s.pos_dim), e.hook);
    if (local.empty()) return x;
    region = region.index_select(s.pos_dim, at::tensor(local, at::kLong).to(x.device()));
  }
  at::Tensor index;
  if (!e.indices.empty()) {
    int64_t n = x.size(s.index_dim);
    for (int64_t i : e.indices) {
      if (i < 0 || i >= n) {
        fail("edit", e.hook + ": index " + std::to_string(i) + " is outside [0, " + std::to_string(n) + ")");
      }
    }
    index = at::tensor(e.indices, at::kLong).to(x.device());
    region = region.index_select(s.index_dim, index);
  }
  at::Tensor value;
  switch (e.op) {
    case Edit::Op::replace: value = e.value.to(region.options()).expand_as(region); break;
    case Edit::Op::add: value = region + e.value.to(region.options()); break;
    case Edit::Op::zero: value = at::zeros_like(region); break;
    case Edit::Op::scale: value = region * e.factor; break;
    case Edit::Op::custom: break;
  }
  // Write the region back: first along indices, then along positions.
  if (!e.positions.empty() && s.pos_dim >= 0) {
    auto local = local_positions(e.positions, offset, x.size(s.pos_dim), e.hook);
    at::Tensor pos_index = at::tensor(local, at::kLong).to(x.device());
    if (index.defined()) {
      at::Tensor rows = out.index_select(s.pos_dim, pos_index);
      rows.index_copy_(s.index_dim, index, value);
      value = rows;
    }
    out.index_copy_(s.pos_dim, pos_index, value);
  } else if (index.defined()) {
    out.index_copy_(s.index_dim, index, value);
  } else {
    out.copy_(value);
  }
  return out;
}

}  // namespace

at::Tensor HookContext::operator()(Hook h, int layer, at::Tensor x, int64_t seq_offset) {
  size_t i = slot(h, layer);
  uint8_t f = flags_[i];
  if (!f) return next_ ? (*next_)(h, layer, std::move(x), seq_offset) : x;
  if (f & 2) {
    for (const Edit* e : edits_[i]) x = apply_edit(*e, spec(h), std::move(x), seq_offset);
  }
  if (f & 1) cache_->put(hook_name(h, layer), capture_device_ ? x.detach().to(*capture_device_) : x.detach());
  if (f & 4) observer_(h, layer, x);
  return next_ ? (*next_)(h, layer, std::move(x), seq_offset) : x;
}

namespace {
thread_local const std::vector<Edit>* active_edits = nullptr;
}

ActiveEdits::ActiveEdits(std::vector<Edit> edits) : edits_(std::move(edits)), outer_(active_edits) {
  active_edits = &edits_;
}

ActiveEdits::~ActiveEdits() { active_edits = outer_; }

const std::vector<Edit>* ActiveEdits::current() { return active_edits; }

}  // namespace glassbox
