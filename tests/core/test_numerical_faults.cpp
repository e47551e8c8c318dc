// NaN and Inf: weights that hold them are named at load; a forward pass whose
// output holds them is traced back to the first hook point that did.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/model.h"
#include "core/numerical_faults.h"
#include "core/planted_weights.h"

using namespace glassbox;
using test::planted_copy;

namespace {

std::optional<NumericalFault> fault_of_run(const Model& model, const RunOptions& options = {}) {
  NumericalWatch watch;
  model.run({1, 2, 3, 4, 5}, options);
  return watch.fault();
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST(NumericalFaults, CleanModelsLoadAndRunWithoutAFault) {
  for (const char* name : {"gpt2_a", "llama_gqa_bf16", "neox_f16", "qwen2"}) {
    auto model = load_model(test::model_dir(name));
    EXPECT_TRUE(model->info().nonfinite_weights.empty()) << name;
    EXPECT_FALSE(fault_of_run(*model)) << name;
  }
}

TEST(NumericalFaults, NaNWeightIsNamedAtLoadAndFoundAtTheHookAfterIt) {
  test::TempDir dir;
  auto model = load_model(planted_copy(dir, "gpt2_a", "transformer.h.1.attn.c_proj.weight", kNaN));
  EXPECT_EQ(model->info().nonfinite_weights, std::vector<std::string>{"transformer.h.1.attn.c_proj.weight"});
  const std::optional<NumericalFault> fault = fault_of_run(*model);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->hook, "blocks.1.hook_attn_out");  // the attention output weight's product
  EXPECT_EQ(fault->kind, "NaN");
}

TEST(NumericalFaults, InfWeightIsFoundWhereItIsFirstUsed) {
  test::TempDir dir;
  auto model = load_model(planted_copy(dir, "gpt2_a", "transformer.h.0.mlp.c_fc.weight", kInf));
  const std::optional<NumericalFault> fault = fault_of_run(*model);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->hook, "blocks.0.mlp.hook_pre");
  EXPECT_EQ(fault->kind, "Inf");
}

TEST(NumericalFaults, ActiveEditThatOverflowsIsFoundAtItsHook) {
  auto model = load_model(test::model_dir("gpt2_a"));
  ActiveEdits edits({Edit::scale("blocks.1.hook_resid_mid", std::numeric_limits<double>::infinity())});
  const std::optional<NumericalFault> fault = fault_of_run(*model);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->hook, "blocks.1.hook_resid_mid");
}

TEST(NumericalFaults, ReplayStreamsNothingTwice) {
  test::TempDir dir;
  auto model = load_model(planted_copy(dir, "gpt2_a", "transformer.h.1.attn.c_proj.weight", kNaN));
  std::vector<std::string> streamed;
  RunOptions capture;
  capture.capture = NameFilter(".*");
  capture.stream = [&streamed](const std::string& name, const at::Tensor&) { streamed.push_back(name); };
  EXPECT_TRUE(fault_of_run(*model, capture));
  EXPECT_EQ(streamed, model->info().hook_names);
}

TEST(NumericalFaults, KvCachedDecodingIsReplayedFromItsPastKeys) {
  test::TempDir dir;
  auto model = load_model(planted_copy(dir, "gpt2_a", "transformer.h.1.attn.c_proj.weight", kNaN));
  KVCache kv;
  ForwardArgs prefix;
  prefix.tokens = at::tensor(std::vector<int64_t>{1, 2, 3}, at::kLong).unsqueeze(0);
  prefix.kv = &kv;
  model->forward(prefix);  // outside the watch
  NumericalWatch watch;
  ForwardArgs step;
  step.tokens = at::tensor(std::vector<int64_t>{4}, at::kLong).unsqueeze(0);
  step.kv = &kv;
  model->forward(step);
  ASSERT_TRUE(watch.fault());
  EXPECT_EQ(watch.fault()->hook, "blocks.1.hook_attn_out");
  EXPECT_EQ(kv.length(), 4);  // the replay appended to a copy
}

TEST(NumericalFaults, WeightsWarningNamesFiveTensorsAndCountsTheRest) {
  EXPECT_EQ(nonfinite_weights_message("m", {"a"}), "m: tensor a holds NaN/Inf");
  EXPECT_EQ(nonfinite_weights_message("m", {"a", "b", "c", "d", "e", "f", "g"}),
            "m: tensors a, b, c, d, e and 2 more hold NaN/Inf");
}
