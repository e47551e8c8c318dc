#include "core/model.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <filesystem>
#include <future>
#include <thread>

#include "core/arch/family.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/layer_split.h"
#include "core/numerical_faults.h"
#include "core/progress.h"
#include "core/tokenizer.h"

namespace glassbox {

namespace fs = std::filesystem;

// Adding a family: one file in core/arch and one line here.
static const Family kFamilies[] = {
    {"gpt2", load_gpt2},
    {"gpt_neox", load_gpt_neox},
    {"llama", load_llama},
    {"mistral", load_llama},
    {"qwen2", load_llama},
    {"glassbox_transformer", load_gpt2},
    {"glassbox_mlp", load_toy_mlp},
};

std::vector<std::string> supported_model_types() {
  std::vector<std::string> out;
  for (const Family& f : kFamilies) out.push_back(f.model_type);
  return out;
}

c10::Device parse_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!at::hasCUDA()) {
      fail("device", "'" + name + "' requested, but this build of LibTorch has no CUDA support or no GPU is visible");
    }
    return c10::Device(name);
  }
  fail("device", "unknown device '" + name + "' (use cpu or cuda)");
}

c10::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32") return c10::kFloat;
  if (name == "bfloat16") return c10::kBFloat16;
  fail("dtype", "unknown compute dtype '" + name + "' (use float32 or bfloat16)");
}

void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

Model::Model() = default;
Model::~Model() = default;

int64_t KVCache::length() const {
  for (const auto& t : k) {
    if (t.defined()) return t.size(2);
  }
  return 0;
}

KVCache KVCache::repeat_batch(int64_t n) const {
  KVCache out;
  for (size_t l = 0; l < k.size(); ++l) {
    out.k.push_back(k[l].defined() ? k[l].expand({n, -1, -1, -1}) : at::Tensor());
    out.v.push_back(v[l].defined() ? v[l].expand({n, -1, -1, -1}) : at::Tensor());
  }
  return out;
}

namespace {

// Ends a replay at the first hook point that holds NaN or Inf.
struct FaultLocated {};

}  // namespace

ForwardResult Model::forward(const ForwardArgs& args) const {
  NumericalWatch* watch = NumericalWatch::current();
  if (!watch || watch->fault()) return compute_forward(args);
  // The keys and values before this pass, for the replay: a pass appends to them.
  const KVCache kv_before = args.kv ? *args.kv : KVCache{};
  ForwardResult result = compute_forward(args);
  const bool logits = result.logits.defined();
  const std::optional<std::string> kind = nonfinite_kind(logits ? result.logits : result.resid);
  if (!kind) return result;
  // Replayed under the same active edits, each hook point checked until the first that holds NaN or Inf.
  NumericalFault fault;
  fault.hook = logits ? "logits" : hook_name(Hook::resid_post, (args.stop_layer < 0 ? info_.n_layers : args.stop_layer) - 1);
  fault.kind = *kind;
  HookContext check(info_.n_layers, [&fault](Hook h, int layer, const at::Tensor& x) {
    if (const std::optional<std::string> found = nonfinite_kind(x)) {
      fault.hook = hook_name(h, layer);
      fault.kind = *found;
      throw FaultLocated{};
    }
  });
  KVCache kv = kv_before;
  Progress cancel_only;  // the replay reports no progress of its own
  if (args.progress) cancel_only.cancelled = args.progress->cancelled;
  ForwardArgs replay = args;
  replay.hooks = &check;
  replay.kv = args.kv ? &kv : nullptr;
  replay.progress = args.progress ? &cancel_only : nullptr;
  try {
    compute_forward(replay);
  } catch (const FaultLocated&) {
  }
  watch->record(std::move(fault));
  return result;
}

void Model::place_layers(const std::vector<std::string>&) {
  fail(dir_, "a " + info_.family + " model cannot be split across devices (only transformers are)");
}

RunResult Model::run(const std::vector<int64_t>& tokens, const RunOptions& options) const {
  c10::InferenceMode inference;
  RunResult result;
  // Streamed activations go to the sink at once, batch dimension dropped; the rest are kept.
  ActivationCache batched = options.stream ? ActivationCache([&options](const std::string& name, const at::Tensor& t) {
    options.stream(name, t[0]);
  })
                                           : ActivationCache();
  const bool hooked = options.capture.has_value() || !options.edits.empty();
  HookContext context(info_.n_layers, options.capture ? &*options.capture : nullptr, options.edits, &batched);
  ForwardArgs args;
  args.tokens = at::tensor(tokens, at::kLong).unsqueeze(0).to(device_);
  args.hooks = hooked ? &context : nullptr;
  args.progress = options.progress;
  result.logits = forward(args).logits[0];
  if (!options.stream)
    for (const auto& name : batched.names()) result.cache.put(name, batched.get(name)[0]);
  return result;
}

std::vector<std::string> Model::token_strings(const std::vector<int64_t>& tokens) const {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (int64_t id : tokens) out.push_back(tokenizer_ ? tokenizer_->token_text(id) : "<" + std::to_string(id) + ">");
  return out;
}

namespace {

// A Hugging Face folder: config.json and the safetensors checkpoint.
ModelFolder open_hf_folder(const std::string& dir) {
  ModelFolder folder;
  folder.dir = dir;
  folder.config_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(folder.config_path)) fail(folder.config_path, "missing: a model folder needs config.json");
  folder.config = read_json_file(folder.config_path);
  if (!folder.config.is_object()) fail(folder.config_path, "expected a JSON object");
  return folder;
}

// The floating-point tensors of the checkpoint that hold NaN or Inf: one pass over each,
// cheap beside reading them from disk.
std::vector<std::string> nonfinite_tensors(const Checkpoint& checkpoint) {
  std::vector<std::string> found;
  for (const std::string& name : checkpoint.names()) {
    const TensorRecord& r = checkpoint.get(name);
    if (r.dtype != DType::F32 && r.dtype != DType::F16 && r.dtype != DType::BF16) continue;
    if (nonfinite_kind(tensor_from_record(r))) found.push_back(name);
  }
  return found;
}

const Family& find_family(const ModelFolder& folder) {
  const std::string type = json_string(folder.config, "model_type", folder.config_path);
  for (const Family& f : kFamilies) {
    if (type == f.model_type) return f;
  }
  std::string list;
  for (const auto& t : supported_model_types()) list += (list.empty() ? "" : ", ") + t;
  fail(folder.config_path, "model_type '" + type + "' is not supported (supported: " + list + ")");
}

}  // namespace

std::unique_ptr<Model> load_model(const std::string& path, const LoadOptions& options) {
  // Named .gguf, a file is read as one, so that a damaged one says what is wrong with it.
  const bool gguf = fs::is_regular_file(path) && (is_gguf_file(path) || fs::path(path).extension() == ".gguf");
  if (!gguf && !fs::is_directory(path)) {
    fail(path, fs::exists(path) ? "not a model: expected a Hugging Face model folder or a .gguf file"
                                : "not a model folder (no such directory)");
  }
  const std::vector<std::string> devices = device_list(options.device);
  for (const std::string& name : devices) parse_device(name);  // every one named checked before any loading
  const c10::Device device = parse_device(devices.front());
  // Split: loaded as on one CPU, then each block moved to its device.
  const c10::Device load_device = devices.size() > 1 ? c10::Device(c10::kCPU) : device;
  const c10::ScalarType dtype = parse_dtype(options.dtype);
  std::shared_ptr<GgufFile> gguf_file;
  ModelFolder folder;
  const Family* family = nullptr;
  std::string weights_dtype;
  // A GGUF file's tokenizer is built from its metadata while the weights are
  // dequantized (the two only read the file); it is awaited after the weights,
  // so errors come in the same order as if one ran after the other.
  std::future<std::unique_ptr<Tokenizer>> gguf_tokenizer;
  if (gguf) {
    gguf_file = GgufFile::open(path);
    gguf_tokenizer = std::async(std::launch::async, [file = gguf_file] { return Tokenizer::from_gguf(*file); });
    folder = gguf_model_folder(*gguf_file, load_device, dtype, weights_dtype);
    family = &find_family(folder);
  } else {
    folder = open_hf_folder(path);
    family = &find_family(folder);  // before the weights: an unsupported model_type says so first
    folder.checkpoint = Checkpoint::open_dir(path);
    weights_dtype = dtype_name(folder.checkpoint.get(folder.checkpoint.names().front()).dtype);
  }
  folder.device = load_device;
  folder.dtype = dtype;

  std::unique_ptr<Model> model = family->load(folder);
  model->dir_ = path;
  model->device_ = load_device;
  if (devices.size() > 1) model->place_layers(devices);
  model->dtype_ = dtype;
  model->info_.weights_dtype = weights_dtype;
  model->info_.format = gguf ? "gguf" : "safetensors";
  model->info_.config_json = folder.config.dump();
  model->info_.nonfinite_weights = gguf ? folder.nonfinite_tensors : nonfinite_tensors(folder.checkpoint);
  const fs::path d(path);
  if (gguf) {
    model->tokenizer_ = gguf_tokenizer.get();
  } else if (fs::exists(d / "tokenizer.json") || (fs::exists(d / "vocab.json") && fs::exists(d / "merges.txt"))) {
    model->tokenizer_ = Tokenizer::from_dir(path);
  }
  return model;
}

}  // namespace glassbox
