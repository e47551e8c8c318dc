// Back-patching on GPT-2-small-shaped random weights, T = 32: the full grid of
// 66 cells ℓ1 > ℓ2, KV-cached and batched (probes::backpatch) against a naive
// full forward pass per cell (Model::run with Edit::replace).
#include <benchmark/benchmark.h>

#include <ATen/ATen.h>

#include "bench/gpt2_small_random.h"
#include "probes/backpatch.h"

namespace glassbox {
namespace {

constexpr int64_t kPositions = 32;
constexpr int64_t kTarget = 1000;

std::vector<int64_t> random_prompt() {
  const at::Tensor ids = at::randint(50257, {kPositions}, at::kLong);
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + kPositions);
}

Transformer& model() {
  static std::unique_ptr<Transformer> m = bench::gpt2_small_random();
  return *m;
}

// range(0): the patched position (-1 = last).
void BM_BackpatchGridFast(benchmark::State& state) {
  probes::BackpatchParams params;
  params.tokens = random_prompt();
  params.position = state.range(0);
  params.target = kTarget;
  for (auto _ : state) benchmark::DoNotOptimize(probes::backpatch(model(), params, Progress{}).target_prob);
}

void BM_BackpatchGridNaive(benchmark::State& state) {
  const std::vector<int64_t> tokens = random_prompt();
  const int64_t p = state.range(0) < 0 ? kPositions + state.range(0) : state.range(0);
  const int L = model().config().n_layers;
  for (auto _ : state) {
    RunOptions capture;
    capture.capture = NameFilter("blocks\\.\\d+\\.hook_resid_post");
    const RunResult clean = model().run(tokens, capture);
    at::Tensor prob = at::full({L, L}, NAN);
    for (int l1 = 1; l1 < L; ++l1) {
      for (int l2 = 0; l2 < l1; ++l2) {
        RunOptions patched;
        patched.edits.push_back(Edit::replace(hook_name(Hook::resid_post, l2), {p},
                                              clean.cache.get(hook_name(Hook::resid_post, l1))[p]));
        prob[l1][l2] = at::softmax(model().run(tokens, patched).logits[-1], 0)[kTarget].item<float>();
      }
    }
    benchmark::DoNotOptimize(prob);
  }
}

void BM_BackpatchGridFastWithGeneration(benchmark::State& state) {
  probes::BackpatchParams params;
  params.tokens = random_prompt();
  params.target = kTarget;
  params.generate = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(probes::backpatch(model(), params, Progress{}).generated);
}

BENCHMARK(BM_BackpatchGridFast)->Arg(-1)->Arg(16)->Arg(0)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_BackpatchGridNaive)->Arg(-1)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_BackpatchGridFastWithGeneration)->Arg(10)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
}  // namespace glassbox
