// glassbox-cli info | tokenize | run
#include <ATen/ATen.h>
#include <malloc.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli.h"
#include "core/error.h"
#include "core/h5.h"
#include "core/memory_budget.h"
#include "core/tokenizer.h"

namespace glassbox::cli {
namespace {

int info(Args& args) {
  auto model = load_model_from_args(args);
  args.finish();
  const ModelInfo& i = model->info();
  nlohmann::json j = {
      {"model", model->dir()},          {"family", i.family},
      {"model_type", i.model_type},     {"n_layers", i.n_layers},
      {"n_heads", i.n_heads},           {"n_kv_heads", i.n_kv_heads},
      {"d_model", i.d_model},           {"d_head", i.d_head},
      {"d_mlp", i.d_mlp},               {"d_vocab", i.d_vocab},
      {"n_ctx", i.n_ctx},               {"norm", i.norm},
      {"act", i.act},                   {"positional", i.positional},
      {"rotary_dim", i.rotary_dim},     {"parallel_residual", i.parallel_residual},
      {"gated_mlp", i.gated_mlp},       {"tied_embeddings", i.tied_embeddings},
      {"n_params", i.n_params},         {"weights_dtype", i.weights_dtype},
      {"device", model->device().str()}, {"dtype", model->dtype() == c10::kBFloat16 ? "bfloat16" : "float32"},
      {"tokenizer", model->tokenizer() != nullptr}, {"hook_names", i.hook_names},
  };
  if (!i.block_devices.empty()) j["block_devices"] = i.block_devices;
  std::cout << j.dump(2) << "\n";
  return 0;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int tokenize(Args& args) {
  const std::string dir = args.get("model");
  if (args.has("text") == args.has("text-file")) fail("command line", "give exactly one of --text and --text-file");
  const std::string text = args.has("text") ? args.get("text") : read_text_file(args.get("text-file"));
  const bool special = args.flag("add-special-tokens");
  args.finish();
  // Only the tokenizer is needed: no weights are loaded.
  auto tokenizer = Tokenizer::from_dir(dir);
  std::cout << nlohmann::json(tokenizer->encode(text, special)).dump() << "\n";
  return 0;
}

// Float32 on the CPU, contiguous: what the HDF5 writer takes.
at::Tensor host_float(const at::Tensor& t) { return t.to(at::kCPU, at::kFloat).contiguous(); }

constexpr int kStreamMmapThreshold = 128 * 1024;  // glibc's initial value

void write_tensor(h5::Writer& file, const std::string& path, const at::Tensor& t) {
  const at::Tensor host = host_float(t);
  file.dataset(path, host.data_ptr<float>(), host.sizes().vec());
}

// What `run` will hold, checked against the budget before anything runs: the
// whole cache, or with --stream only the largest activation at a time (plus the logits).
nlohmann::json check_capture_size(const Model& model, const NameFilter& capture, int64_t T, bool stream,
                                  const std::string& budget_text) {
  const ModelInfo& info = model.info();
  const CaptureEstimate estimate = estimate_capture(info, capture, T, sizeof(float));
  const int64_t logits = T * info.d_vocab * int64_t{sizeof(float)};
  const int64_t held = (stream ? estimate.largest_bytes : estimate.bytes) + logits;
  const int64_t budget = parse_memory_budget(budget_text, "--memory-budget");
  nlohmann::json j = {{"tokens", T},
                      {"hook_points", estimate.hook_points},
                      {"cache_bytes", estimate.bytes},
                      {"logits_bytes", logits},
                      {"held_bytes", held},
                      {"stream", stream},
                      {"budget_bytes", budget},
                      {"budget", budget_text},
                      {"summary", std::to_string(estimate.hook_points) + " hook points over " + std::to_string(T) +
                                      " tokens: " + binary_size(estimate.bytes) + " of activations (float32), " +
                                      binary_size(held) + " held at once"}};
  j["fits"] = held <= budget;
  return j;
}

int run(Args& args) {
  auto model = load_model_from_args(args);
  const std::vector<int64_t> tokens = tokens_from_args(args, *model);
  const std::string prompt = args.has("prompt") ? args.get("prompt") : "";
  const std::string out = args.get("out");
  const bool dry_run = args.flag("dry-run"), stream = args.flag("stream");
  const std::string budget = args.get("memory-budget", kDefaultMemoryBudget);
  RunOptions options;
  options.capture = NameFilter(args.get("hooks", ".*"));
  args.finish();

  const nlohmann::json size = check_capture_size(*model, *options.capture, static_cast<int64_t>(tokens.size()),
                                                 stream, budget);
  if (dry_run) {
    std::cout << size.dump(2) << "\n";
    return 0;
  }
  if (!size["fits"].get<bool>())
    fail(out, size["summary"].get<std::string>() + ", above the memory budget of " +
                  binary_size(size["budget_bytes"].get<int64_t>()) + " (--memory-budget " + budget +
                  "); capture fewer hooks with --hooks, write them as they are made with --stream, or raise "
                  "--memory-budget");

  h5::Writer file(out);
  file.attr("/", "glassbox_format", std::string("activation-cache"));
  file.attr("/", "format_version", int64_t{1});
  file.attr("/", "model", model->dir());
  file.attr("/", "prompt", prompt);
  file.dataset("/tokens", tokens.data(), {static_cast<int64_t>(tokens.size())});
  file.dataset("/token_strings", model->token_strings(tokens));
  file.group("/cache");
  if (stream) {
    options.stream = [&file](const std::string& name, const at::Tensor& t) { write_tensor(file, "/cache/" + name, t); };
    // glibc raises its mmap threshold after each large free, and then keeps freed
    // activations in the heap, where the resident set grows with the whole cache
    // instead of one layer's worth: a fixed threshold returns them at once.
    ::mallopt(M_MMAP_THRESHOLD, kStreamMmapThreshold);
  }
  NumericalWatch watch;
  RunResult r = model->run(tokens, options);
  if (watch.fault()) {
    warn_numerical_fault(*model, *watch.fault());
    file.attr("/", "numerical_fault", fault_json(*watch.fault()).dump());
  }
  write_tensor(file, "/logits", r.logits);
  for (const auto& name : r.cache.names()) write_tensor(file, "/cache/" + name, r.cache.get(name));
  file.commit();
  std::cerr << "wrote " << out << ": " << tokens.size() << " tokens, "
            << (stream ? size["hook_points"].get<int64_t>() : static_cast<int64_t>(r.cache.size())) << " hook points\n";
  return 0;
}

const bool registered = register_command("info", "--model PATH [--device cpu|cuda|cuda:0,cuda:1] [--dtype float32|bfloat16]", &info) &&
                        register_command("tokenize", "--model PATH (--text S | --text-file F) [--add-special-tokens]", &tokenize) &&
                        register_command("run",
                                          "--model PATH (--prompt S | --tokens 1,2,3) --out F.h5 [--hooks REGEX] [--stream] "
                                          "[--memory-budget 25%|SIZE] [--dry-run] [--device cpu|cuda|cuda:0,cuda:1] "
                                          "[--dtype float32|bfloat16] [--threads N]",
                                          &run);

}  // namespace
}  // namespace glassbox::cli
