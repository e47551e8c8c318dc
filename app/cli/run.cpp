// glassbox-cli info | tokenize | run
#include <ATen/ATen.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli.h"
#include "core/error.h"
#include "core/h5.h"
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

int run(Args& args) {
  auto model = load_model_from_args(args);
  const std::vector<int64_t> tokens = tokens_from_args(args, *model);
  const std::string prompt = args.has("prompt") ? args.get("prompt") : "";
  const std::string out = args.get("out");
  RunOptions options;
  options.capture = NameFilter(args.get("hooks", ".*"));
  args.finish();

  RunResult r = model->run(tokens, options);
  h5::Writer file(out);
  file.attr("/", "glassbox_format", std::string("activation-cache"));
  file.attr("/", "format_version", int64_t{1});
  file.attr("/", "model", model->dir());
  file.attr("/", "prompt", prompt);
  file.dataset("/tokens", tokens.data(), {static_cast<int64_t>(tokens.size())});
  file.dataset("/token_strings", model->token_strings(tokens));
  at::Tensor logits = host_float(r.logits);
  file.dataset("/logits", logits.data_ptr<float>(), logits.sizes().vec());
  file.group("/cache");
  for (const auto& name : r.cache.names()) {
    at::Tensor t = host_float(r.cache.get(name));
    file.dataset("/cache/" + name, t.data_ptr<float>(), t.sizes().vec());
  }
  file.commit();
  std::cerr << "wrote " << out << ": " << tokens.size() << " tokens, " << r.cache.size() << " hook points\n";
  return 0;
}

const bool registered = register_command("info", "--model PATH [--device cpu|cuda] [--dtype float32|bfloat16]", &info) &&
                        register_command("tokenize", "--model PATH (--text S | --text-file F) [--add-special-tokens]", &tokenize) &&
                        register_command("run",
                                          "--model PATH (--prompt S | --tokens 1,2,3) --out F.h5 [--hooks REGEX] "
                                          "[--device cpu|cuda] [--dtype float32|bfloat16] [--threads N]",
                                          &run);

}  // namespace
}  // namespace glassbox::cli
