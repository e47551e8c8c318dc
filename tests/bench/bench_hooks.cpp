// The cost of hook machinery on GPT-2-small-shaped random weights, T = 64:
// a plain forward pass (baseline), capturing one hook point, capturing all of
// them, and one write hook. Compare each against BM_ForwardPlain of the same run.
#include <benchmark/benchmark.h>

#include <ATen/ATen.h>

#include "bench/gpt2_small_random.h"

namespace glassbox {
namespace {

constexpr int64_t kPositions = 64;

const Transformer& model() {
  static std::unique_ptr<Transformer> m = bench::gpt2_small_random();
  return *m;
}

std::vector<int64_t> prompt() {
  const at::Tensor ids = at::randint(50257, {kPositions}, at::kLong);
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + kPositions);
}

void run(benchmark::State& state, const RunOptions& options) {
  const std::vector<int64_t> tokens = prompt();
  for (auto _ : state) benchmark::DoNotOptimize(model().run(tokens, options).logits);
}

void BM_ForwardPlain(benchmark::State& state) { run(state, {}); }

void BM_ForwardCaptureOne(benchmark::State& state) {
  RunOptions o;
  o.capture = NameFilter("blocks.11.hook_resid_post");
  run(state, o);
}

void BM_ForwardCaptureAll(benchmark::State& state) {
  RunOptions o;
  o.capture = NameFilter(".*");
  run(state, o);
}

void BM_ForwardOneEdit(benchmark::State& state) {
  RunOptions o;
  o.edits.push_back(Edit::zero("blocks.5.attn.hook_z", {}, {3}));
  run(state, o);
}

BENCHMARK(BM_ForwardPlain)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ForwardCaptureOne)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ForwardCaptureAll)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ForwardOneEdit)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace glassbox
