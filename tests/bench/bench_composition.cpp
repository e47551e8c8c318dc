// Composition scores for all 144 heads of a GPT-2-small-shaped random model
// (Q, K and V for every earlier-layer sender into every receiver), one head's
// SVD, and the component-wise scores of one sender.
#include <benchmark/benchmark.h>

#include "bench/gpt2_small_random.h"
#include "probes/composition.h"

namespace glassbox {
namespace {

Transformer& model() {
  static std::unique_ptr<Transformer> m = bench::gpt2_small_random();
  return *m;
}

void BM_CompositionAllHeads(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(probes::composition(model(), {}, Progress{}).q);
}

void BM_CompositionAllHeadsWithSender(benchmark::State& state) {
  probes::CompositionParams params;
  params.sender = probes::HeadRef{0, 0};
  for (auto _ : state) benchmark::DoNotOptimize(probes::composition(model(), params, Progress{}).component_q);
}

void BM_HeadSvdOneHead(benchmark::State& state) {
  probes::HeadSvdParams params;
  params.head = {5, 1};
  for (auto _ : state) benchmark::DoNotOptimize(probes::head_svd(model(), params, Progress{}).ov_singular_values);
}

BENCHMARK(BM_CompositionAllHeads)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_CompositionAllHeadsWithSender)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_HeadSvdOneHead)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace glassbox
