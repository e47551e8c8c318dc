// Glassbox's side of the peer benchmark (tests/bench/peers.sh; the peers' side is
// tests/reference/peer_forward.py). On one model folder and the token ids of
// each length T given, after a warm-up run at that length, it measures:
//   - forward_s: a warm forward pass with no capture (logits included);
//   - cache_s: the same with every hook point captured (TransformerLens's
//     run_with_cache), and capture_overhead = cache_s / forward_s;
//   - cache_bytes and cache_rss_bytes: what the cache holds, and how much the
//     resident set grew while it is held;
//   - logit_lens_s: the logit-lens analysis over every position, and
//     unembed_gemm_s: the matrix products alone that it cannot avoid
//     ([rows·T, d_model] × [d_model, vocab]), in the same chunks of 128 positions;
//   - forward_gflops: the forward pass's floating-point rate, to set against
//     gemm_gflops, the machine's own large-GEMM rate measured here (2048³);
//   - composition_s (once): the composition analysis (Q, K and V scores of every
//     pair of heads), against TransformerLens's all_composition_scores;
//   - at --write-at T: writing the full cache as `glassbox-cli run` does, the
//     datasets (write_s) and the durable commit (commit_s) apart, into
//     OUT/cache_T.h5 (the h5py side rewrites the same data for its baseline).
// The logits of each T go to OUT/TOOL_logits_T.f32 (raw float32 [T, vocab]) for the
// check against the peers; TOOL is --tool (default glassbox; peers.sh names a second
// build, against PyPI's LibTorch, glassbox-pypi). Prints one JSON object; exits 2 on a usage or load error.
//
//   bench_peers --model DIR --tokens-dir DIR --lengths 32,128 --out DIR [--write-at T] [--threads N] [--tool NAME]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/h5.h"
#include "core/hooks.h"
#include "core/model.h"
#include "core/progress.h"
#include "probes/logit_lens.h"
#include "probes/registry.h"

namespace {

using namespace glassbox;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGE_SIZE);
}

std::vector<int64_t> read_ids(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open the token ids");
  std::vector<int64_t> ids;
  std::string item;
  while (std::getline(in, item, ',')) ids.push_back(std::stoll(item));
  return ids;
}

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> values;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) values.push_back(std::stoll(item));
  return values;
}

// Floating-point operations of one forward pass over T tokens, as computed
// (attention over the full T × T square, masked afterwards).
double forward_flops(const ModelInfo& i, int64_t T) {
  const double t = static_cast<double>(T), d = i.d_model, dh = i.d_head, H = i.n_heads, Hkv = i.n_kv_heads;
  const double per_layer = 2 * t * d * (H + 2 * Hkv) * dh + 2 * t * H * dh * d +
                           2 * t * d * i.d_mlp * (i.gated_mlp ? 3 : 2) + 4 * H * t * t * dh;
  return i.n_layers * per_layer + 2 * t * d * static_cast<double>(i.d_vocab);
}

// The machine's float32 GEMM rate: the best of three 2048³ products.
double gemm_gflops() {
  const int64_t n = 2048;
  at::Tensor a = at::randn({n, n}), b = at::randn({n, n});
  at::mm(a, b);
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    at::Tensor c = at::mm(a, b);
    best = std::min(best, seconds_since(start));
  }
  return 2.0 * n * n * n / best / 1e9;
}

// The unembedding products the logit lens over T positions must do, in its chunks.
double unembed_gemm_seconds(const ModelInfo& info, int64_t T, int64_t rows) {
  at::Tensor W_U = at::randn({info.d_model, info.d_vocab});
  const int64_t chunk = probes::LogitLensParams{}.chunk;
  at::Tensor x = at::randn({rows * std::min(chunk, T), info.d_model});
  at::mm(x, W_U);
  const auto start = Clock::now();
  for (int64_t first = 0; first < T; first += chunk) {
    const int64_t n = std::min(chunk, T - first);
    at::Tensor y = at::mm(x.narrow(0, 0, rows * n), W_U);
  }
  return seconds_since(start);
}

void write_cache(const std::string& path, const Model& model, const std::vector<int64_t>& tokens,
                 const RunResult& r, nlohmann::json& out) {
  const auto start = Clock::now();
  h5::Writer file(path);
  file.attr("/", "glassbox_format", std::string("activation-cache"));
  file.attr("/", "format_version", int64_t{1});
  file.dataset("/tokens", tokens.data(), {static_cast<int64_t>(tokens.size())});
  file.dataset("/token_strings", model.token_strings(tokens));
  file.dataset("/logits", r.logits.data_ptr<float>(), r.logits.sizes().vec());
  for (const auto& name : r.cache.names()) {
    const at::Tensor t = r.cache.get(name).contiguous();
    file.dataset("/cache/" + name, t.data_ptr<float>(), t.sizes().vec());
  }
  out["write_s"] = seconds_since(start);
  const auto commit = Clock::now();
  file.commit();
  out["commit_s"] = seconds_since(commit);
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[std::string(argv[i]).substr(2)] = argv[i + 1];
  for (const char* required : {"model", "tokens-dir", "lengths", "out"})
    if (!args.count(required)) fail("command line", std::string("missing --") + required);
  set_threads(args.count("threads") ? std::stoi(args["threads"]) : 2);
  const int64_t write_at = args.count("write-at") ? std::stoll(args["write-at"]) : -1;

  const std::string tool = args.count("tool") ? args["tool"] : "glassbox";
  nlohmann::json report = {{"tool", tool}, {"libtorch", TORCH_VERSION}, {"threads", at::get_num_threads()}};
  const auto open = Clock::now();
  auto model = load_model(args["model"]);
  report["open_s"] = seconds_since(open);
  report["gemm_gflops"] = gemm_gflops();
  const ModelInfo& info = model->info();
  const probes::Analysis& lens = *probes::find_analysis("logit-lens");
  {
    const probes::Analysis& composition = *probes::find_analysis("composition");
    const auto start = Clock::now();
    composition.run(*model, {}, probes::parse_params(composition.params(info), {}, *model, probes::Front::cli),
                    Progress{});
    report["composition_s"] = seconds_since(start);
  }

  for (int64_t T : parse_list(args["lengths"])) {
    const std::vector<int64_t> tokens = read_ids(args["tokens-dir"] + "/tokens_" + std::to_string(T) + ".txt");
    nlohmann::json row = {{"T", T}};
    RunOptions full;
    full.capture = NameFilter(".*");
    model->run(tokens);  // warm-up
    auto start = Clock::now();
    model->run(tokens);
    const double forward = seconds_since(start);
    row["forward_s"] = forward;
    row["forward_gflops"] = forward_flops(info, T) / forward / 1e9;
    {
      const int64_t before = resident_bytes();
      start = Clock::now();
      RunResult r = model->run(tokens, full);
      row["cache_s"] = seconds_since(start);
      row["cache_rss_bytes"] = resident_bytes() - before;
      int64_t bytes = 0;
      for (const auto& name : r.cache.names()) bytes += r.cache.get(name).numel() * int64_t{sizeof(float)};
      row["cache_bytes"] = bytes;
      row["hook_points"] = r.cache.size();
      row["capture_overhead"] = row["cache_s"].get<double>() / forward;
      std::ofstream(args["out"] + "/" + tool + "_logits_" + std::to_string(T) + ".f32", std::ios::binary)
          .write(reinterpret_cast<const char*>(r.logits.data_ptr<float>()), r.logits.numel() * sizeof(float));
      if (T == write_at) write_cache(args["out"] + "/cache_" + std::to_string(T) + ".h5", *model, tokens, r, row);
    }
    probes::AnalysisInputs in;
    in.tokens = tokens;
    const probes::ParamValues params = probes::parse_params(lens.params(info), {}, *model, probes::Front::cli);
    start = Clock::now();
    lens.run(*model, in, params, Progress{});
    row["logit_lens_s"] = seconds_since(start);
    row["unembed_gemm_s"] = unembed_gemm_seconds(info, T, info.n_layers + 1);
    row["logit_lens_over_gemm"] = row["logit_lens_s"].get<double>() / row["unembed_gemm_s"].get<double>();
    report["lengths"].push_back(row);
    std::cerr << "glassbox T=" << T << " done\n";
  }
  std::cout << report.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_peers: " << e.what() << "\n";
    return 2;
  }
}
